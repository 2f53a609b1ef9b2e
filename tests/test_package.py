"""The package's surface: every public name resolves, and `import nnviz` stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import nnviz


@pytest.mark.parametrize("name", nnviz.__all__)
def test_every_public_name_resolves_to_its_module(name):
    value = getattr(nnviz, name)
    assert value is getattr(sys.modules[nnviz._LOCATIONS[name]], name)
    assert name in dir(nnviz)


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'Trainr'"):
        nnviz.Trainr  # noqa: B018


def test_import_nnviz_loads_neither_torch_nor_plotly_until_asked():
    code = (
        "import sys, nnviz; print(sorted({'torch', 'plotly'} & set(sys.modules)));"
        "nnviz.Trainer; print(sorted({'torch', 'plotly'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["[]", "['torch']"]


def test_views_never_import_torch():
    code = "import sys, nnviz.views; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_views_defer_nbformat_yet_plotly_and_nbformat_still_work():
    code = (
        "import sys, nnviz.views; print('jsonschema' in sys.modules);"
        "import plotly.io._renderers as r, nbformat; print(r.nbformat.__version__ == "
        "nbformat.__version__); print(type(nbformat.v4.new_notebook()).__name__)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "NotebookNode"]
