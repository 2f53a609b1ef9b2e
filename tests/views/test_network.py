"""NetworkView: thumbnails, links and the explain panel, checked on the figure's state."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nnviz.core.records import DataRecord, FieldRecord, RunnerUpdate
from nnviz.explain.neuron import explain_neuron
from nnviz.mathml import mathml
from nnviz.views.network import NetworkView
from nnviz.views.network_geometry import WIDTHS
from nnviz.views.rasters import quantize
from nnviz.views.style import BLUE, ORANGE

# conftest.py is not importable as a module here (no package): load it by path.
_spec = importlib.util.spec_from_file_location(
    "views_conftest", Path(__file__).with_name("conftest.py")
)
_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conftest)
collect_updates = _conftest.collect_updates

R = 16


def plane_field(widths: tuple[int, ...], step: int = 1, seed: int = 0) -> FieldRecord:
    """A synthetic FieldRecord as FieldProbe would send on 2-D data (random thumbnails)."""
    rng = np.random.default_rng(seed)
    data = DataRecord("spiral", "classification", 2, ("x1", "x2"), np.zeros(4), np.zeros(4))
    grid = np.linspace(-6, 6, R, dtype=np.float32)
    neurons = tuple(rng.uniform(-1, 1, (w, R, R)).astype(np.float32) for w in widths)
    neurons = (neurons[0] * 6, *neurons[1:-1], (neurons[-1] + 1) / 2)  # x in +-6, P in [0, 1]
    means = tuple(rng.uniform(-1, 1, w) for w in widths)
    return FieldRecord(step, data, thumb_x=grid, thumb_y=grid, neurons=neurons, unit_means=means)


@pytest.fixture(scope="module")
def wide_updates() -> list[RunnerUpdate]:
    """A 2-8-8-1 tanh net on spiral: the Playground's usual picture."""
    return collect_updates(hidden=(8, 8), steps=8)


@pytest.fixture()
def view_and_update(wide_updates):
    update = replace(wide_updates[-1], field=plane_field((2, 8, 8, 1)))
    view = NetworkView()
    view.update(update)
    return view, update


def neuron_indices(view: NetworkView) -> list[tuple[int, int]]:
    return view._units


LEVEL = 2 / 254  # one quantize level of the thumbnails' [-1, 1] scale


def shown(raster: dict) -> np.ndarray:
    """A thumbnail's values as drawn: its quantize levels back on the [-1, 1] scale."""
    assert raster["levels"] == [-1.0, 1.0] and raster["z"].dtype == np.uint8
    return raster["z"] * LEVEL - 1


def listen(view: NetworkView) -> list[tuple[dict, list]]:
    """Keep every custom message (content, buffers) the figure sends from now on."""
    sent: list[tuple[dict, list]] = []
    view.figure.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
    return sent


def test_one_thumbnail_per_unit_with_the_field_values(view_and_update) -> None:
    view, update = view_and_update
    rasters = view.figure.rasters
    assert len(rasters) == 2 + 8 + 8 + 1
    assert not any(t.type == "heatmap" for t in view.figure.data)
    assert len(view.figure.data) == 8 + 1 + 1 + 1  # links, link hover, neurons, biases
    neurons = update.field.neurons
    hidden = rasters[2 + 3]  # layer 1, neuron 4: tanh, shown as it is
    np.testing.assert_array_equal(hidden["z"], quantize(neurons[1][3], -1, 1))
    assert np.allclose(shown(hidden), neurons[1][3], atol=LEVEL / 2 + 1e-6)
    x1 = shown(rasters[0])  # inputs scaled by their own range
    assert np.allclose(x1, neurons[0][0] / np.abs(neurons[0][0]).max(), atol=LEVEL / 2 + 1e-6)
    output = shown(rasters[-1])  # P(class 1) 0..1 shown as -1..1
    assert np.allclose(output, 2 * neurons[3][0] - 1, atol=LEVEL / 2 + 1e-6)
    assert hidden["z"].shape == (R, R)
    # each thumbnail sits on its own 1 x 1 square, the column of its layer, its row
    assert hidden["x"] == pytest.approx([3.0 - 0.5, 3.0 + 0.5])
    assert hidden["y"] == pytest.approx([-3 * 1.4 - 0.5, -3 * 1.4 + 0.5])
    assert all(r["visible"] and (r["zmin"], r["zmax"]) == (-1.0, 1.0) for r in rasters)


def test_links_follow_the_weights_signs_and_magnitudes(view_and_update) -> None:
    view, update = view_and_update
    weights = np.concatenate([layer.weight.reshape(-1) for layer in update.probe.layers])
    links = view.figure.data[:8]
    assert [t.line.color for t in links] == [BLUE] * 4 + [ORANGE] * 4
    counts = [int(np.isnan(np.asarray(t.x, float)).sum()) for t in links]  # one NaN per link
    assert sum(counts) == len(weights) == 2 * 8 + 8 * 8 + 8
    assert sum(counts[:4]) == (weights >= 0).sum()
    edges = [0.25, 0.5, 1.0]
    for index, trace in enumerate(links):
        sign = 1 if index < 4 else -1
        magnitude = np.abs(weights[(weights >= 0) == (sign > 0)])
        bucket = index % 4
        low = 0 if bucket == 0 else edges[bucket - 1]
        high = edges[bucket] if bucket < 3 else np.inf
        assert counts[index] == ((magnitude >= low) & (magnitude < high)).sum()
        assert trace.line.width == WIDTHS[bucket]
    hover = view.figure.data[8]
    assert np.allclose(hover.customdata, weights)
    assert hover.text[0] == "w<sub>1,1</sub><sup>1</sup>"
    biases = view.figure.data[-1]
    assert np.allclose(biases.marker.color, np.concatenate([l.bias for l in update.probe.layers]))


def test_select_writes_explain_neuron_into_the_panel(view_and_update) -> None:
    view, update = view_and_update
    view.select(2, 5)
    expected = explain_neuron(update.probe, 2, 5, 0, format="latex")
    assert view.panel.value == mathml(expected)
    assert view.dropdown.value == (2, 5)
    frame = np.asarray(view.figure.data[-2].marker.line.width)
    assert frame[neuron_indices(view).index((2, 4))] == 4 and (frame == 4).sum() == 1
    view.example_slider.value = 3  # another row of the mini-batch
    assert view.panel.value == mathml(explain_neuron(update.probe, 2, 5, 3, "latex"))
    with pytest.raises(ValueError, match="neuron=9"):
        view.select(2, 9)
    with pytest.raises(ValueError, match="layer=0"):
        view.select(0, 1)


def test_dropdown_and_click_select_like_select(view_and_update) -> None:
    view, update = view_and_update
    view.dropdown.value = (3, 1)
    assert view.selected == (3, 1)
    assert view.panel.value == mathml(explain_neuron(update.probe, 3, 1, 0, "latex"))
    # A click as the browser reports it: the custom message nnviz's front end sends.
    trace = len(view.figure.data) - 2
    point = neuron_indices(view).index((1, 6))
    click = {"method": "click", "points": [{"trace": trace, "point": point, "x": 3, "y": 0}]}
    view.figure._on_front_message(view.figure, click, [])
    assert view.selected == (1, 7) and view.dropdown.value == (1, 7)
    assert view.panel.value == mathml(explain_neuron(update.probe, 1, 7, 0, "latex"))


def test_text_panel_and_hover_show_a_z_delta(wide_updates) -> None:
    update = replace(wide_updates[-1], field=plane_field((2, 8, 8, 1)))
    view = NetworkView(explain_format="text")
    view.update(update)
    view.select(1, 2)
    assert "δ_2^1 = " in view.panel.value and view.panel.value.startswith("<pre>")
    hover = view.figure.data[-2].text[neuron_indices(view).index((1, 1))]
    layer = update.probe.layers[0]
    assert f"δ = {layer.delta[0, 1]:.4g}" in hover and f"a = {layer.a[0, 1]:.4g}" in hover
    assert f"mean a = {update.field.unit_means[1][1]:.4g}" in hover


def test_architecture_change_rebuilds_and_reset_clears(wide_updates) -> None:
    view = NetworkView()
    view.update(replace(wide_updates[-1], field=plane_field((2, 8, 8, 1))))
    small = collect_updates(hidden=(3,), steps=2)[-1]
    view.update(replace(small, field=plane_field((2, 3, 1))))
    assert len(view.figure.rasters) == 2 + 3 + 1
    assert len(view.figure.data) == 8 + 1 + 1 + 1
    np.testing.assert_array_equal(view.figure.rasters[-1]["z"].shape, (R, R))
    assert len(view.figure.data[8].customdata) == 2 * 3 + 3
    assert [value for _, value in view.dropdown.options] == [(1, 1), (1, 2), (1, 3), (2, 1)]
    view.update(replace(small, step=0, state="idle", probe=None, field=None))
    assert len(view.figure.data) == 0 and view.selected == (1, 1)
    assert view.figure.rasters == ()


def test_digits_draw_circles_and_one_input_block() -> None:
    update = collect_updates("digits", hidden=(5,), steps=2)[-1]
    view = NetworkView()
    view.update(update)  # no field: circles coloured by the probe's batch means
    neurons = view.figure.data[-2]
    assert neurons.marker.symbol == "circle"
    assert view.figure.rasters == () and len(view.figure.data) == 8 + 1 + 1 + 1
    assert len(neurons.x) == 1 + 5 + 10
    assert any(a.text == "64 inputs" for a in view.figure.layout.annotations)
    means = update.probe.layers[0].a.mean(0)  # tanh hidden layer: shown as it is
    assert np.allclose(np.asarray(neurons.marker.color)[1:6], means, atol=1e-6)
    first = update.probe.layers[0].weight
    assert np.allclose(view.figure.data[8].customdata[:5], first.mean(1), atol=1e-6)


def test_bytes_per_refresh_are_bounded(wide_updates) -> None:
    view = NetworkView()
    sent = listen(view)
    view.update(replace(wide_updates[-1], field=plane_field((2, 8, 8, 1))))
    sent.clear()
    before = view.figure.bytes_sent
    for seed in range(3):  # fresh thumbnails and weights each time: every value changes
        update = replace(wide_updates[-2 - seed], field=plane_field((2, 8, 8, 1), seed=seed + 1))
        view.update(update)
    assert len(sent) == 3 and all(content["op"] == "update" for content, _ in sent)
    for content, buffers in sent:  # every thumbnail travels, one byte a cell
        assert sorted(content["rasters"]) == list(range(2 + 8 + 8 + 1))
        z = [edit["z"] for edit in content["rasters"].values()]
        assert all(ref["dtype"] == "uint8" and ref["shape"] == f"{R},{R}" for ref in z)
        assert sum(buffers[ref["$b"]].nbytes for ref in z) == 19 * R * R
    per_refresh = (view.figure.bytes_sent - before) / 3
    # 19 thumbnails x 256 cells are ~4.9 KB as bytes (whole percents in JSON were ~25 KB).
    assert 5_000 < per_refresh < 16_000


def test_field_probe_integration() -> None:
    fields = pytest.importorskip("nnviz.probes.field")
    updates = collect_updates(hidden=(4, 3), steps=4, callbacks=(fields.FieldProbe(thumbnail=8),))
    view = NetworkView()
    view.update(updates[-1])
    rasters = view.figure.rasters
    assert len(rasters) == 2 + 4 + 3 + 1
    neuron = updates[-1].field.neurons[2][1]  # layer 2, neuron 2: tanh, shown as it is
    assert rasters[2 + 4 + 1]["z"].shape == neuron.shape == (8, 8)
    assert np.allclose(shown(rasters[2 + 4 + 1]), neuron, atol=LEVEL / 2 + 1e-6)
    assert np.ptp(neuron) > 4 * LEVEL  # a real picture, not a flat square


def test_links_travel_only_when_a_link_changes_sign_or_width(wide_updates) -> None:
    rng = np.random.default_rng(3)
    shapes = [(8, 2), (8, 8), (1, 8)]
    # |w| in the middle of each width bucket, so a 5% change moves no link to another bucket.
    weights = [rng.choice([-1.5, -0.7, -0.4, -0.1, 0.1, 0.4, 0.7, 1.5], shape) for shape in shapes]
    biases = tuple(np.zeros(shape[0], np.float32) for shape in shapes)

    def update_with(matrices: list[np.ndarray]) -> RunnerUpdate:
        field = replace(plane_field((2, 8, 8, 1)), weights=tuple(matrices), biases=biases)
        return replace(wide_updates[-1], field=field)

    view = NetworkView()
    sent = listen(view)
    view.update(update_with(weights))
    blue_before = int(np.isnan(np.asarray(view.figure.data[0].x, float)).sum())  # w < 0.25

    def restyled() -> set[str]:
        updates = [content for content, _ in sent if content["op"] == "update"]
        assert len(updates) == len(sent) == 1  # one message per refresh
        edits = updates[0]["rasters"].values()  # the same thumbnails: no z travels again
        assert not any("z" in edit for edit in edits)
        return set(updates[0]["restyle"])

    sent.clear()
    view.update(update_with([1.05 * w for w in weights]))
    keys = restyled()
    assert "customdata" in keys and "x" not in keys and "y" not in keys
    flat = np.concatenate([1.05 * w.reshape(-1) for w in weights])
    assert np.allclose(view.figure.data[8].customdata, flat, rtol=1e-6)
    sent.clear()
    flipped = [w.copy() for w in weights]
    flipped[1][0, 0] = 0.1 if weights[1][0, 0] != 0.1 else -0.1  # one link changes bucket
    view.update(update_with(flipped))
    assert {"x", "y"} <= restyled()
    x = view.figure.data[0].x
    assert x.dtype == np.float32 and x.ndim == 1  # binary buffers, not JSON lists
    moved = 1 if flipped[1][0, 0] == 0.1 else -1
    assert int(np.isnan(np.asarray(x, float)).sum()) == blue_before + moved


def test_the_widget_is_built_once_so_classes_set_on_it_show():
    view = NetworkView()
    view.widget.add_class("nnviz-view-network")
    assert view.widget is view.widget
    assert "nnviz-view-network" in view.widget._dom_classes
