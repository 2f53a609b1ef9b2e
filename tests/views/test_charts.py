"""chart_figure and surface_figure: panels, colours matched by name, axes, paths and errors."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core.records import Chart, Series, Surface
from nnviz.views import chart_figure, surface_figure
from nnviz.views.charts import COLORS
from nnviz.views.figure import Figure


def series(name: str, scale: float = 1.0, **options: object) -> Series:
    x = np.arange(1.0, 6.0)
    return Series(name, x, scale * x**2, **options)


def test_one_panel_per_chart_with_its_axes_and_scales():
    updates = Chart("by updates", (series("GD"), series("SGD", 2.0)), "updates", "C", y_log=True)
    seconds = Chart("by seconds", (series("SGD", 3.0),), "seconds", "C", x_log=True)
    figure = chart_figure(updates, seconds)
    assert isinstance(figure, Figure)
    assert [trace.name for trace in figure.data] == ["GD", "SGD", "SGD"]
    assert figure.layout.yaxis.type == "log" and figure.layout.xaxis.type == "linear"
    assert figure.layout.xaxis2.type == "log" and figure.layout.yaxis2.type == "linear"
    assert (
        figure.layout.xaxis.title.text == "updates" and figure.layout.xaxis2.title.text == "seconds"
    )
    assert [annotation.text for annotation in figure.layout.annotations] == [
        "by updates",
        "by seconds",
    ]
    np.testing.assert_allclose(figure.data[2].y, 3.0 * np.arange(1.0, 6.0) ** 2)
    # the third trace sits in the second panel
    assert figure.data[2].xaxis == "x2" and figure.data[0].xaxis == "x"


def test_a_name_keeps_its_colour_and_is_listed_once():
    first = Chart("a", (series("GD"), series("SGD")))
    second = Chart("b", (series("SGD"), series("GD"), series("batch 10", dash=True)))
    figure = chart_figure(first, second)
    colour = {}
    for trace in figure.data:
        colour.setdefault(trace.name, trace.line.color)
        assert trace.line.color == colour[trace.name]
    assert colour == {"GD": COLORS[0], "SGD": COLORS[1], "batch 10": COLORS[2]}
    assert [trace.showlegend for trace in figure.data] == [True, True, False, False, True]
    assert figure.data[4].line.dash == "dash" and figure.data[0].line.dash == "solid"
    assert figure.layout.showlegend is True


def test_columns_wrap_panels_into_rows():
    charts = [Chart(str(index), (series("only"),)) for index in range(5)]
    figure = chart_figure(*charts, columns=2)
    # 5 panels in 3 rows of 2: the fifth panel's x axis is anchored in the third row
    assert figure.layout.xaxis5.domain == figure.layout.xaxis.domain
    assert figure.layout.yaxis5.domain[1] < figure.layout.yaxis3.domain[0]
    assert figure.layout.showlegend is False  # one name: no legend needed


def test_bars_are_bar_traces():
    figure = chart_figure(Chart("weights", (series("L1", mode="bars"), series("L2"))))
    assert figure.data[0].type == "bar" and figure.data[1].type == "scatter"


def test_surface_draws_contours_paths_and_end_markers():
    grid = np.linspace(-1.0, 1.0, 7)
    loss = np.add.outer(grid**2, 2 * grid**2) + 0.5  # z[i, j] at (x[j], y[i])
    path = Series("GD", np.array([1.0, 0.5, 0.1]), np.array([1.0, 0.4, 0.05]), "lines+markers")
    surface = Surface("C(w1, w2)", grid, grid, loss, "w1", "w2", "C", paths=(path,), log_z=True)
    figure = surface_figure(surface)
    contour, line, end = figure.data
    assert contour.type == "contour"
    np.testing.assert_allclose(contour.z, np.log10(loss))
    np.testing.assert_allclose(contour.customdata, loss)  # hover shows the loss itself
    np.testing.assert_allclose(line.x, path.x)
    assert tuple(end.x) == (0.1,) and tuple(end.y) == (0.05,)
    assert end.marker.color == line.line.color
    assert figure.layout.xaxis.title.text == "w1"


def test_several_surfaces_share_one_scale_and_points_get_no_end_marker():
    grid = np.linspace(0.0, 1.0, 4)
    low = Surface("λ = 0", grid, grid, np.zeros((4, 4)), "x1", "x2", "a")
    points = Series("label 1", np.array([0.2, 0.8]), np.array([0.5, 0.5]), "markers")
    high = Surface("λ = 0.01", grid, grid, np.full((4, 4), 2.0), "x1", "x2", "a", paths=(points,))
    figure = surface_figure(low, high)
    first, second, markers = figure.data
    assert (first.zmin, first.zmax) == (second.zmin, second.zmax) == (0.0, 2.0)
    assert first.showscale is True and second.showscale is False  # one colour bar
    assert markers.mode == "markers" and markers.xaxis == "x2"  # no "x" added at a point
    assert [a.text for a in figure.layout.annotations] == ["λ = 0", "λ = 0.01"]


def test_bad_input_names_the_parameter():
    with pytest.raises(TypeError, match="charts must be one or more Chart"):
        chart_figure()
    with pytest.raises(TypeError, match="charts must be one or more Chart"):
        chart_figure(series("x"))
    with pytest.raises(ValueError, match="columns"):
        chart_figure(Chart("a", (series("x"),)), columns=0)
    with pytest.raises(TypeError, match="surfaces must be one or more Surface records; got Chart"):
        surface_figure(Chart("a", ()))
    with pytest.raises(TypeError, match="got nothing"):
        surface_figure()
    with pytest.raises(ValueError, match="mode must be one of"):
        Series("x", np.zeros(2), np.zeros(2), mode="area")
    with pytest.raises(ValueError, match="equal length"):
        Series("x", np.zeros(2), np.zeros(3))
