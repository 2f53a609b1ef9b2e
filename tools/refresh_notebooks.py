"""Re-run the lesson notebooks and store only their golden outputs.

    python tools/refresh_notebooks.py                      # every notebook in notebooks/
    python tools/refresh_notebooks.py notebooks/03_*.ipynb # some of them

Each notebook is executed top to bottom in a fresh kernel (the interpreter running this script).
Cells marked `# NBVAL_CHECK_OUTPUT` keep their outputs and an execution count: those are the
numbers nbval compares in `make test`. Every other cell is stored without outputs, so no widget
state (about 5 MB per plotly figure) and no timing noise reaches the repository. Golden cells must
print text only: a widget or figure there would make nbval compare a random id.

The Chinese twins (notebooks/zh/) are not run: their code cells are the English ones, so after a
refresh tools/twins.py copies the new golden outputs into them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
import twins
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
# The golden numbers are defined with one BLAS/OpenMP thread, as nbval runs them (conftest.py).
THREADS = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
MARKER = "NBVAL_CHECK_OUTPUT"
TEXT_ONLY = {"text/plain", "text/markdown", "text/latex"}


def golden(cell: nbformat.NotebookNode) -> bool:
    """Whether nbval --nbval-lax compares this cell's outputs."""
    return cell.cell_type == "code" and MARKER in cell.source


def strip(notebook: nbformat.NotebookNode, path: Path) -> int:
    """Keep golden outputs only; returns the number of golden cells."""
    notebook.metadata.pop("widgets", None)
    count = 0
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if not golden(cell):
            cell.outputs = []
            cell.execution_count = None
            continue
        count += 1
        cell.execution_count = count
        for output in cell.outputs:
            kinds = set(output.get("data", {})) - TEXT_ONLY
            if output.output_type == "error" or kinds:
                raise SystemExit(
                    f"{path.name}: golden cell {count} has a {output.output_type} output with "
                    f"{sorted(kinds) or output.get('ename')}; golden cells must print text only"
                )
    return count


def refresh(path: Path, timeout: int) -> None:
    """Execute one notebook in its own folder and write it back with golden outputs only."""
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    count = strip(notebook, path)
    nbformat.write(notebook, path)
    size = path.stat().st_size / 1024
    print(
        f"{path.name}: {count} golden cells, {size:.0f} KB, {time.perf_counter() - started:.1f} s"
    )


def main(argv: list[str] | None = None) -> None:
    """Refresh the notebooks named on the command line, or all of notebooks/."""
    os.environ.update(THREADS)  # kernels inherit it
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    arguments = parser.parse_args(argv)
    paths = arguments.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        path = path.resolve()
        if path.parent.name == twins.CHINESE.name:
            raise SystemExit(
                f"{path.name}: a Chinese twin takes its outputs from English: refresh "
                f"notebooks/{path.name}"
            )
        refresh(path, arguments.timeout)
        if (twins.CHINESE / path.name).exists() and twins.sync(path.stem):
            print(f"  synced notebooks/zh/{path.name}")


if __name__ == "__main__":
    sys.exit(main())
