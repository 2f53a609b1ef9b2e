"""Charts for the lessons' experiments: Chart and Surface records drawn as plotly figures.

    figure = chart_figure(loss_by_updates, loss_by_examples, loss_by_seconds)   # one row of panels
    figure = surface_figure(loss_surface)     # contours of the loss with the optimisers' paths

A series keeps its colour across panels (matched by name), and the legend lists it once, so "SGD"
is the same orange in every panel of a comparison. The figures are `Figure`s (the shared plotly
bundle), drawn once from their records; nothing here streams or reads a trainer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnviz.core.checks import check_int
from nnviz.core.records import Chart, Series, Surface
from nnviz.views.figure import Figure
from nnviz.views.style import BASE_LAYOUT, CONFIG

# Distinguishable on white and for the common colour-vision deficiencies (Okabe-Ito, reordered).
COLORS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#000000", "#f0e442")


def _colours(charts: Sequence[Chart | Surface]) -> dict[str, str]:
    """One colour per series name, in order of first appearance across all panels."""
    names: dict[str, str] = {}
    for chart in charts:
        for series in chart.series if isinstance(chart, Chart) else chart.paths:
            if series.name not in names:
                names[series.name] = COLORS[len(names) % len(COLORS)]
    return names


def _axis(log: bool) -> dict:
    """A linear axis, or a log one labelled once per decade as powers of ten (plotly's default
    labels every digit between decades: "3 4 ... 9 0.01 2 3")."""
    if not log:
        return {"type": "linear"}
    return {"type": "log", "dtick": 1, "exponentformat": "power", "minor": {"showgrid": True}}


def _trace(series: Series, colour: str, first: bool) -> go.Bar | go.Scatter:
    """The plotly trace of one series; the legend lists a name only at its first appearance."""
    common = {
        "name": series.name,
        "legendgroup": series.name,
        "showlegend": first,
        "x": np.asarray(series.x, dtype=float),
        "y": np.asarray(series.y, dtype=float),
    }
    if series.mode == "bars":
        return go.Bar(marker={"color": colour}, opacity=0.6, **common)
    return go.Scatter(
        mode=series.mode,
        line={"color": colour, "width": 2, "dash": "dash" if series.dash else "solid"},
        marker={"color": colour, "size": 6},
        **common,
    )


def chart_figure(
    *charts: Chart, columns: int | None = None, height: int | None = None, title: str = ""
) -> Figure:
    """A figure with one panel per Chart, `columns` to a row (default: all in one row, up to 3)."""
    if not charts or not all(isinstance(chart, Chart) for chart in charts):
        raise TypeError(f"charts must be one or more Chart records; got {charts!r}")
    columns = (
        check_int("columns", columns, minimum=1) if columns is not None else min(len(charts), 3)
    )
    rows = math.ceil(len(charts) / columns)
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[chart.title for chart in charts],
        horizontal_spacing=0.08,
        vertical_spacing=0.16 if rows > 1 else 0.1,
    )
    colours = _colours(charts)
    shown: set[str] = set()
    for index, chart in enumerate(charts):
        row, column = index // columns + 1, index % columns + 1
        for series in chart.series:
            first = series.name not in shown
            shown.add(series.name)
            figure.add_trace(_trace(series, colours[series.name], first), row=row, col=column)
        figure.update_xaxes(title_text=chart.x_title, **_axis(chart.x_log), row=row, col=column)
        figure.update_yaxes(title_text=chart.y_title, **_axis(chart.y_log), row=row, col=column)
    return _finish(figure, height or 60 + 280 * rows, title, legend=len(colours) > 1)


def surface_figure(
    *surfaces: Surface, columns: int | None = None, height: int | None = None, title: str = ""
) -> Figure:
    """Contours of each Surface in a panel of its own, its paths drawn on top.

    A path drawn as a line ends in an x (where the optimiser stopped); paths of markers (e.g. the
    training points) are drawn as they are. Panels share one colour scale and one colour bar.
    """
    if not surfaces or not all(isinstance(surface, Surface) for surface in surfaces):
        kinds = ", ".join(type(surface).__name__ for surface in surfaces) or "nothing"
        raise TypeError(f"surfaces must be one or more Surface records; got {kinds}")
    columns = check_int("columns", columns, minimum=1) if columns is not None else len(surfaces)
    rows = math.ceil(len(surfaces) / columns)
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[surface.title for surface in surfaces],
        horizontal_spacing=0.06,
        vertical_spacing=0.12,
    )
    shown = [_shown(surface) for surface in surfaces]
    low = min(float(np.nanmin(values)) for values in shown)
    high = max(float(np.nanmax(values)) for values in shown)
    colours = _colours(surfaces)
    listed: set[str] = set()
    for index, (surface, values) in enumerate(zip(surfaces, shown, strict=True)):
        row, column = index // columns + 1, index % columns + 1
        figure.add_trace(_contour(surface, values, low, high, index == 0), row=row, col=column)
        for path in surface.paths:
            colour = colours[path.name]
            figure.add_trace(_trace(path, colour, path.name not in listed), row=row, col=column)
            listed.add(path.name)
            if path.mode != "markers" and len(path.x):
                end = go.Scatter(
                    x=[float(path.x[-1])],
                    y=[float(path.y[-1])],
                    mode="markers",
                    marker={"color": colour, "size": 10, "symbol": "x"},
                    legendgroup=path.name,
                    showlegend=False,
                    hoverinfo="skip",
                )
                figure.add_trace(end, row=row, col=column)
        figure.update_xaxes(title_text=surface.x_title, row=row, col=column)
        figure.update_yaxes(title_text=surface.y_title, row=row, col=column)
    default = 420 if len(surfaces) == 1 else 60 + 340 * rows
    return _finish(figure, height or default, title, legend=bool(colours))


def _shown(surface: Surface) -> np.ndarray:
    """The values the contours draw: z, or log10 z for a surface spanning decades."""
    z = np.asarray(surface.z, dtype=float)
    return np.log10(np.maximum(z, 1e-12)) if surface.log_z else z


def _contour(surface: Surface, shown: np.ndarray, low: float, high: float, bar: bool) -> go.Contour:
    """One panel's contours on the figure's common scale [low, high]; hover shows z itself."""
    label = f"log10 {surface.z_title}" if surface.log_z else surface.z_title
    return go.Contour(
        x=np.asarray(surface.x, dtype=float),
        y=np.asarray(surface.y, dtype=float),
        z=shown,
        zmin=low,
        zmax=high,
        colorscale="Greys",
        reversescale=True,
        ncontours=24,
        contours={"coloring": "heatmap", "showlines": True},
        line={"width": 0.5},
        showscale=bar,
        colorbar={"title": {"text": label, "side": "right"}, "thickness": 12},
        name=surface.z_title,
        showlegend=False,
        hovertemplate=f"{surface.x_title} %{{x:.3g}}<br>{surface.y_title} %{{y:.3g}}<br>"
        f"{surface.z_title} %{{customdata:.4g}}<extra></extra>",
        customdata=np.asarray(surface.z, dtype=float),
    )


def _finish(figure: go.Figure, height: int, title: str, legend: bool) -> Figure:
    """The house layout on a built figure, wrapped as a widget Figure (shared plotly bundle)."""
    check_int("height", height, minimum=100)
    figure.update_layout(
        {**BASE_LAYOUT, "height": height, "showlegend": legend},
        legend={"orientation": "h", "y": -0.18 if height < 400 else -0.12, "x": 0},
        margin={"l": 55, "r": 15, "t": 50 if title else 35, "b": 70 if legend else 40},
    )
    if title:
        figure.update_layout(title={"text": title, "x": 0.01, "font": {"size": 14}})
    widget = Figure(figure)
    widget._config = {**widget._config, **CONFIG}
    return widget
