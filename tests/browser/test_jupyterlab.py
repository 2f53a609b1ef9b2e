"""The Playground and lesson 03 in JupyterLab, as a student runs them: Run All, Play, Pause; the
views redraw (their data-draws counters grow), no error output appears, and a page reloaded
while the kernel lives draws every view again (the state it gets is current).

JupyterLab serves a copy of notebooks/ (running cells there may autosave outputs), with
nnviz's server extension: the front end's assets come from its static route, cached.
"""

from __future__ import annotations

import shutil

import pytest
from voila_harness import ROOT, LabServer, offline_page

RELOADS = 20  # page loads per notebook in the no-blank-plots test
DRAWS = """() => Object.fromEntries([...document.querySelectorAll('[class*="nnviz-view-"]')]
  .map((el) => [[...el.classList].find((c) => c.startsWith('nnviz-view-')).slice(11),
                Number(el.dataset.draws || 0)]))"""
ERRORS = """() => ({
  stderr: document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]').length,
  errors: document.querySelectorAll('[data-mime-type="application/vnd.jupyter.error"]').length,
  widgetErrors: [...document.querySelectorAll('.jp-OutputArea-output')]
    .filter((o) => /Error displaying widget|Loading widget/.test(o.innerText)).length,
})"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    for name in ("01_playground.ipynb", "03_backpropagation.ipynb"):
        shutil.copy(ROOT / "notebooks" / name, root / name)
    server = LabServer(root)
    yield server
    server.stop()


def open_notebook(browser, lab, name: str):
    """The notebook open in JupyterLab, all cells run, its Play button shown."""
    page = offline_page(browser, width=1400, height=1000)
    page.goto(lab.notebook(name))
    page.wait_for_function(
        "() => window.jupyterapp && document.querySelector('.jp-NotebookPanel') &&"
        " window.jupyterapp.shell.currentWidget &&"
        " window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel",
        timeout=180_000,
    )
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
        " === 'idle'",
        timeout=180_000,
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        "() => { const b = document.querySelector('.nnviz-play'); return b && !b.disabled; }",
        timeout=300_000,
    )
    return page


def wait_drawn(page, names, before: dict | None = None) -> dict:
    before = before or {}
    page.wait_for_function(
        f"(() => {{ const now = ({DRAWS})(); return {list(names)!r}.every("
        f"(n) => (now[n] || 0) > ({before!r}[n] || 0)); }})()",
        timeout=120_000,
    )
    return page.evaluate(DRAWS)


@pytest.mark.parametrize("name", ["01_playground", "03_backpropagation"])
def test_run_all_play_and_pause_in_jupyterlab(browser, lab, name):
    page = open_notebook(browser, lab, name)
    try:
        play = page.locator(".nnviz-play").first
        play.scroll_into_view_if_needed()  # JupyterLab draws only the cells in view
        names = list(page.evaluate(DRAWS))
        assert names, "no nnviz views on the page"
        drawn = wait_drawn(page, names)
        play.click()
        drawn = wait_drawn(page, names, drawn)
        drawn = wait_drawn(page, names, drawn)
        play.click()
        page.wait_for_function(
            "/paused/.test(document.querySelector('.nnviz-status').innerText)", timeout=30_000
        )
        assert page.evaluate(ERRORS) == {"stderr": 0, "errors": 0, "widgetErrors": 0}
        # The front end came from nnviz's static route, not over the websocket.
        loaded = page.evaluate(
            "() => performance.getEntriesByType('resource').map((e) => e.name)"
            ".filter((n) => n.includes('/nnviz/static/'))"
        )
        assert any("nnviz-plot.js" in url for url in loaded), loaded
        assert any("plotly-nnviz" in url for url in loaded), loaded
        # Reloaded while the kernel lives (saved, so the outputs come back): every view draws
        # again from the kernel's current state, every time.
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        for reload in range(RELOADS):
            page.reload()
            page.wait_for_function(
                "() => document.querySelectorAll('.nnviz-figure').length > 0", timeout=180_000
            )
            drawn = wait_drawn(page, names)
            assert all(drawn[n] >= 1 for n in names), f"reload {reload + 1}: {drawn}"
    finally:
        page.context.close()
