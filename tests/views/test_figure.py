"""Figure: one plotly.js per kernel, a tiny per-figure module, and state that stays current."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly

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
