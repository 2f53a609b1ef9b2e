"""The lessons as files: complete, thin, small, golden cells stored, and nbval's guard working.

nbval itself runs every notebook in `make test` (pyproject: testpaths include notebooks/, with
--nbval-lax): these tests check what that run cannot, e.g. that a changed golden number fails.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = (
    "00_start_here",
    "01_playground",
    "02_forward_propagation",
    "03_backpropagation",
    "04_gradient_descent",
    "05_learning_rate",
    "06_optimizers",
    "07_regularization",
    "08_generalization",
    "09_seed_example",
    "10_scaling",
)
# The Chinese lessons written so far (tools/twins.py); every lesson is to get one (issue 13).
TRANSLATED = tuple(sorted(path.stem for path in (NOTEBOOKS / "zh").glob("*.ipynb")))
TWINS = tuple(f"zh/{name}" for name in TRANSLATED)
TAUGHT = LESSONS[2:]  # the lessons with numbers to check; 00 and 01 are a guide and a dashboard
MARKER = "# NBVAL_CHECK_OUTPUT"
TEXT = {"text/plain", "text/markdown", "text/latex"}
CJK = re.compile(r"[\u4e00-\u9fff]")
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
INLINE_MATH = re.compile(r"(?<!\$)\$(?!\$)[^$\n]+?\$")
# What a translation keeps as it is: maths, code, links' targets, HTML tags.
NOT_PROSE = re.compile(
    r"\$\$.+?\$\$|\$[^$\n]+\$|```.+?```|`[^`]*`|\]\([^)]*\)|<[^>]+>|https?://\S+", re.S
)


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def code_cells(notebook: nbformat.NotebookNode) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def golden_cells(notebook: nbformat.NotebookNode) -> list:
    return [cell for cell in code_cells(notebook) if cell.source.startswith(MARKER)]


def markdown(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_every_lesson_is_there():
    assert sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb")) == sorted(LESSONS)


def test_every_chinese_lesson_is_the_twin_of_an_english_one():
    assert TRANSLATED and set(TRANSLATED) <= set(LESSONS)


@pytest.mark.parametrize("name", TRANSLATED)
def test_chinese_twin_runs_the_english_code_and_translates_the_text(name):
    english, twin = read(name), read(f"zh/{name}")
    assert [c.cell_type for c in twin.cells] == [c.cell_type for c in english.cells], (
        f"zh/{name}: cells added or removed; the twin must follow its English lesson"
    )
    for index, (ours, theirs) in enumerate(zip(english.cells, twin.cells, strict=True)):
        if ours.cell_type == "code":
            for field in ("source", "outputs", "execution_count"):
                assert theirs.get(field) == ours.get(field), (
                    f"zh/{name}: code cell {index} differs in {field} from the English lesson "
                    "(python tools/twins.py sync copies the English code cells)"
                )
            continue
        prose = NOT_PROSE.sub(" ", theirs.source)
        if re.search(r"[A-Za-z]{3,}", NOT_PROSE.sub(" ", ours.source)):
            assert CJK.search(prose), f"zh/{name}: markdown cell {index} is not translated"
        # A translation keeps every formula of the English cell, character for character.
        for pattern in (DISPLAY_MATH, INLINE_MATH):
            missing = set(pattern.findall(ours.source)) - set(pattern.findall(theirs.source))
            assert not missing, f"zh/{name}: markdown cell {index} lost {sorted(missing)[:3]}"


@pytest.mark.parametrize("name", LESSONS + TWINS)
def test_notebooks_are_thin_and_small(name):
    path = NOTEBOOKS / f"{name}.ipynb"
    assert path.stat().st_size < 1_000_000
    notebook = read(name)
    nbformat.validate(notebook)
    assert "widgets" not in notebook.metadata  # widget state is never stored
    for cell in code_cells(notebook):
        tree = ast.parse(cell.source)
        defined = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
        ]
        assert not defined, f"{name}: notebooks define no functions or classes:\n{cell.source}"
        # Voila executes the page before showing it: a live dashboard must wait for Play.
        for call in re.findall(r"nnviz\.live\((?:[^()]|\([^()]*\))*\)", cell.source, re.S):
            assert "start=False" in call, f"{name}: {call}"
        if not cell.source.startswith(MARKER):
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{name}: only golden cells keep outputs (tools/refresh_notebooks.py)"
            )


@pytest.mark.parametrize("name", TAUGHT)
def test_lessons_have_golden_numbers_formulas_and_questions(name):
    notebook = read(name)
    golden = golden_cells(notebook)
    assert len(golden) >= 2, f"{name} has {len(golden)} golden cells"
    for cell in golden:
        assert cell.execution_count is not None and cell.outputs, cell.source
        for output in cell.outputs:
            assert output.output_type != "error"
            assert set(output.get("data", {})) <= TEXT, "golden outputs are text only"
        assert re.search(r"\d", "".join(o.get("text", "") for o in cell.outputs) or "0")
    text = markdown(notebook)
    assert "$$" in text and re.search(r"\\delta|a_j\^l|w_\{ij\}\^l|\\eta|\\lambda|z_j\^l", text)
    last = [cell for cell in notebook.cells if cell.cell_type == "markdown"][-1].source
    assert last.startswith("## Try it") and last.count("\n1. ") + last.count("\n- ") >= 1


@pytest.mark.parametrize("name", LESSONS[1:])
def test_every_lesson_has_a_dashboard(name):
    sources = "\n".join(cell.source for cell in code_cells(read(name)))
    assert re.search(r"nnviz\.(Playground|live|ForwardExplorer)\b", sources)


@pytest.mark.parametrize(
    "start", ["00_start_here", *(["zh/00_start_here"] * ("00_start_here" in TRANSLATED))]
)
def test_start_here_links_every_lesson(start):
    text = markdown(read(start))
    for name in LESSONS[1:]:
        assert f"({name}.ipynb)" in text


def test_nbval_fails_when_a_golden_number_changes(tmp_path):
    notebook = read("02_forward_propagation")
    cell = golden_cells(notebook)[0]
    output = next(o for o in cell.outputs if o.output_type == "stream")
    number = re.search(r"\d+\.\d{3,}", output.text)
    changed = number[0][:-1] + str((int(number[0][-1]) + 1) % 10)
    output.text = output.text.replace(number[0], changed, 1)
    copy = tmp_path / "tampered.ipynb"
    nbformat.write(notebook, copy)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the project's addopts
    options = ["-c", str(tmp_path / "pytest.ini"), "-p", "no:cacheprovider", "-q"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *options, "--nbval-lax", "--nbval-current-env", str(copy)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout[-3000:]
    failed = re.search(r"(\d+) failed, (\d+) passed", result.stdout)
    assert failed and failed[1] == "1", result.stdout[-3000:]
    assert changed in result.stdout and number[0] in result.stdout  # expected vs. got
