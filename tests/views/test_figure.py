"""Figure: one plotly.js per kernel, a tiny per-figure module, and state that stays current."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly
from ipywidgets.widgets.widget import _remove_buffers

from nnviz.views.figure import Figure, PlotlyLibrary, make_figure, plotly_library

BUNDLE = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"


def test_figures_share_one_library_carrying_plotlys_bundle():
    first, second = make_figure(), make_figure()
    library = plotly_library()
    assert isinstance(library, PlotlyLibrary)
    assert library.get_state()["source"] == BUNDLE.read_text(encoding="utf-8")
    assert plotly_library() is library  # one per kernel, however many figures
    for figure in (first, second):
        esm = figure.get_state()["_esm"]
        assert len(esm) < 2_000  # vs ~5 MB for plotly's own FigureWidget
        assert f"__nnviz_plotly_{plotly.__version__}" in esm


def test_a_closed_library_is_opened_again():
    plotly_library().close()
    make_figure()
    assert plotly_library().comm is not None


def test_late_state_is_the_current_figure():
    figure = make_figure(height=250)
    figure.add_scatter(y=np.array([1.0, 2.0, 3.0], np.float32))
    with figure.batch_update():
        figure.data[0].y = np.array([7.0, 8.0], np.float32)
        figure.layout.title.text = "now"
    state = figure.get_state()  # what a browser that connects now receives
    assert np.asarray(state["_widget_data"][0]["y"]["buffer"]).tolist() == [7.0, 8.0]
    assert state["_widget_layout"]["title"]["text"] == "now"
    assert state["_widget_layout"]["height"] == 250
    assert figure.get_state("_esm").keys() == {"_esm"}  # partial states stay partial


def test_make_figure_applies_the_house_layout_and_overrides():
    figure = make_figure(height=120, width=300, margin={"l": 0})
    assert isinstance(figure, Figure)
    assert (figure.layout.height, figure.layout.width) == (120, 300)
    assert figure.layout.margin.l == 0
    assert figure._config["displaylogo"] is False


def test_assigned_arrays_reach_the_wire_contiguous():
    figure = make_figure()
    figure.add_scatter(y=[1.0, 2.0])
    strided = np.arange(10, dtype=np.float32)[::2]  # a view: zmq would refuse it
    with figure.batch_update():
        figure.assign(0, {"y": strided})
        figure.assign_layout({"xaxis.range": np.array([0.0, 4.0])[::1]})
    sent = figure.data[0].y
    assert sent.flags.c_contiguous and sent.tolist() == strided.tolist()
    _state, _paths, buffers = _remove_buffers(figure.get_state())
    assert all(memoryview(buffer).contiguous for buffer in buffers)


def test_views_wait_for_a_browser_that_has_not_drawn_the_last_refresh(monkeypatch):
    from nnviz.records import RunnerUpdate
    from nnviz.views.base import View

    view = View()
    view.figure.add_scatter(y=[0.0])
    view.draw = lambda: view.figure.assign(0, {"y": np.array([view.draws], np.float32)})
    running = RunnerUpdate(None, None, {}, {}, "running", "running", 5, 0.0)
    clock = [100.0]
    monkeypatch.setattr("nnviz.views.base.time.monotonic", lambda: clock[0])
    view(running)
    assert view.draws == 1 and not view.figure.awaiting_browser  # no browser: never waits
    # A browser acknowledges drawing update 1 (what the page's plotly view now sends).
    edit = view.figure._last_trace_edit_id
    view.figure._js2py_traceDeltas = {"trace_deltas": [], "trace_edit_id": edit}
    clock[0] += 0.2
    view(running)
    assert view.draws == 2 and view.figure.awaiting_browser  # sent; not drawn there yet
    clock[0] += 0.2
    view(running)
    assert view.draws == 2  # due, but the browser is still busy: no new message
    view.figure._js2py_traceDeltas = {
        "trace_deltas": [],
        "trace_edit_id": view.figure._last_trace_edit_id,
    }  # drawn 0.2 s after it was sent: the browser gets as long again to itself
    clock[0] += 0.1
    view(running)
    assert view.draws == 2 and view.figure.awaiting_browser
    clock[0] += 0.15
    view(running)
    assert view.draws == 3
    clock[0] += 5.1  # no acknowledgement for over 5 s: a closed page must not stall
    view(running)
    assert view.draws == 4
