"""Keep the Chinese lessons (notebooks/zh/) twins of the English ones.

    python tools/twins.py new 03_backpropagation   # start a twin: a copy of the English lesson
    python tools/twins.py sync                     # copy every English code cell into its twin
    python tools/twins.py check                    # list what differs; exit 1 if anything does

A twin has the English lesson's cells in the same order: its markdown cells are translated, its
code cells are the English ones, golden outputs included (the code is the same, so the numbers
are). `sync` copies code cells (source, outputs, execution count) from English into the twin and
keeps the twin's markdown; tools/refresh_notebooks.py runs it after storing new golden outputs,
so a changed lesson needs only its markdown translated again. A twin whose cell kinds no longer
line up with its English lesson (a cell added or removed) is reported, never guessed at.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "notebooks"
CHINESE = ENGLISH / "zh"
CODE_FIELDS = ("source", "outputs", "execution_count")


def lessons() -> list[str]:
    """The English lessons' names, in order."""
    return sorted(path.stem for path in ENGLISH.glob("*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    """A notebook, as nbformat version 4."""
    return nbformat.read(path, as_version=4)


def write(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Write a notebook, making its folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def kinds(notebook: nbformat.NotebookNode) -> list[str]:
    """The cell kinds in order: a twin's must equal its English lesson's."""
    return [cell.cell_type for cell in notebook.cells]


def differences(name: str) -> list[str]:
    """What keeps notebooks/zh/<name> from being the twin of notebooks/<name>; empty if nothing."""
    twin_path = CHINESE / f"{name}.ipynb"
    if not twin_path.exists():
        return [f"{name}: no Chinese twin (python tools/twins.py new {name})"]
    english, twin = read(ENGLISH / f"{name}.ipynb"), read(twin_path)
    if kinds(english) != kinds(twin):
        return [f"{name}: cell kinds differ: English {kinds(english)}, Chinese {kinds(twin)}"]
    found = []
    for index, (ours, theirs) in enumerate(zip(english.cells, twin.cells, strict=True)):
        if ours.cell_type != "code":
            if ours.source and ours.source == theirs.source:
                found.append(f"{name}: markdown cell {index} is not translated")
            continue
        for field in CODE_FIELDS:
            if ours.get(field) != theirs.get(field):
                found.append(f"{name}: code cell {index} differs in {field}")
    return found


def new(name: str) -> Path:
    """Start a twin as a copy of the English lesson, for its markdown to be translated."""
    path = CHINESE / f"{name}.ipynb"
    if path.exists():
        raise SystemExit(f"{path} exists; edit its markdown, or delete it to start again")
    write(read(ENGLISH / f"{name}.ipynb"), path)
    return path


def sync(name: str) -> bool:
    """Copy the English code cells into an existing twin; returns whether anything changed."""
    path = CHINESE / f"{name}.ipynb"
    english, twin = read(ENGLISH / f"{name}.ipynb"), read(path)
    if kinds(english) != kinds(twin):
        raise SystemExit(
            f"{path.name}: the English lesson's cells were added or removed "
            f"(English {kinds(english)}, Chinese {kinds(twin)}): "
            "add or remove the same cells in the twin, then sync again"
        )
    changed = False
    for ours, theirs in zip(english.cells, twin.cells, strict=True):
        if ours.cell_type != "code":
            continue
        for field in CODE_FIELDS:
            if ours.get(field) != theirs.get(field):
                theirs[field] = copy.deepcopy(ours.get(field))
                changed = True
    if changed:
        write(twin, path)
    return changed


def main(argv: list[str] | None = None) -> int:
    """new, sync or check, for the named lessons or all of them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("new", "sync", "check"))
    parser.add_argument("names", nargs="*", help="lesson names, e.g. 03_backpropagation")
    args = parser.parse_args(argv)
    names = [Path(name).stem for name in args.names] or lessons()
    if args.command == "new":
        for name in args.names:
            print(f"wrote {new(Path(name).stem).relative_to(ROOT)}")
        return 0
    if args.command == "sync":
        for name in names:
            if (CHINESE / f"{name}.ipynb").exists() and sync(name):
                print(f"synced notebooks/zh/{name}.ipynb")
        return 0
    found = [line for name in names for line in differences(name)]
    print("\n".join(found) or "every lesson has its Chinese twin")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
