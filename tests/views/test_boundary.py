"""DecisionBoundaryView: figure state after real updates, and what one refresh sends."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from conftest import collect_updates
from nnviz import MLP, Trainer, from_arrays, make_dataset
from nnviz.core.records import RunnerUpdate
from nnviz.probes.field import FieldProbe
from nnviz.views.boundary import DecisionBoundaryView
from nnviz.views.rasters import quantize

TRAIN, TEST, CONFUSION = range(3)  # traces; the plane is raster 0


@pytest.fixture(scope="module")
def spiral() -> list[RunnerUpdate]:
    return collect_updates(callbacks=(FieldProbe(),))


@pytest.fixture(scope="module")
def digits() -> list[RunnerUpdate]:
    return collect_updates(dataset="digits", hidden=(6,), steps=5, callbacks=(FieldProbe(),))


def listen(view: DecisionBoundaryView) -> list[tuple[dict, list]]:
    """Keep every custom message (content, buffers) the figure sends from now on."""
    sent: list[tuple[dict, list]] = []
    view.figure.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
    return sent


def restyled(sent: list) -> set[str]:
    """Trace properties the update messages changed."""
    return {key for content, _ in sent if content["op"] == "update" for key in content["restyle"]}


def raster_edits(sent: list) -> set[str]:
    """Raster properties the update messages changed."""
    return {
        key
        for content, _ in sent
        if content["op"] == "update"
        for edit in content["rasters"].values()
        for key in edit
    }


def plane(view: DecisionBoundaryView) -> np.ndarray:
    """The raster's z decoded back to values (NaN where quantize marked it)."""
    values = view.plane()
    assert values is not None
    return values


def step(view: DecisionBoundaryView) -> float:
    """One quantize level of the plane's colour scale."""
    low, high = view.figure.rasters[0]["levels"]
    return (high - low) / 254


def test_heatmap_is_the_output_rounded_and_points_are_the_data(spiral):
    view, field = DecisionBoundaryView(), spiral[-1].field
    view.update(spiral[-1])
    raster = view.figure.rasters[0]
    train, test = view.figure.data[TRAIN], view.figure.data[TEST]
    assert raster["visible"] and raster["levels"] == [0.0, 1.0]  # P(class 1), white at 0.5
    assert (raster["zmin"], raster["zmax"]) == (0.0, 1.0)
    assert raster["z"].dtype == np.uint8 and raster["z"].shape == field.output.shape
    np.testing.assert_array_equal(raster["z"], quantize(field.output, 0.0, 1.0))
    np.testing.assert_allclose(plane(view), field.output, atol=0.5 / 254 + 1e-6)
    assert "%{z:.2f}" in raster["hover"]
    # The image spans the grid's cells: half a cell beyond the first and last centres.
    half_x = (field.grid_x[1] - field.grid_x[0]) / 2
    half_y = (field.grid_y[1] - field.grid_y[0]) / 2
    assert raster["x"] == pytest.approx([field.grid_x[0] - half_x, field.grid_x[-1] + half_x])
    assert raster["y"] == pytest.approx([field.grid_y[0] - half_y, field.grid_y[-1] + half_y])
    data = field.data
    for trace, points, targets in ((train, data.train_points, data.train_targets),
                                   (test, data.test_points, data.test_targets)):  # fmt: skip
        np.testing.assert_array_equal(trace.x, points[:, 0])
        np.testing.assert_array_equal(trace.y, points[:, 1])
        np.testing.assert_array_equal(trace.marker.color, targets)
    assert (train.marker.line.color, test.marker.line.color) == ("white", "black")
    assert list(view.figure.layout.xaxis.range) == pytest.approx(data.extent[:2])
    assert view.figure.layout.yaxis.scaleanchor == "x"
    assert view.figure.layout.title.text.startswith(f"step {spiral[-1].step}")
    assert not view.figure.data[CONFUSION].visible


def test_show_test_hides_the_test_points_from_python_and_from_the_checkbox(spiral):
    view = DecisionBoundaryView(show_test=False)
    view.update(spiral[-1])
    assert view.figure.data[TEST].visible is False and view.figure.data[TRAIN].visible
    assert view.figure.rasters[0]["visible"] is True  # the plane stays
    view.show_test = True
    assert view.figure.data[TEST].visible is True
    box = next(child for child in view.widget.children[0].children if "test" in child.description)
    box.value = False
    assert view.show_test is False and view.figure.data[TEST].visible is False
    view.show_test = True
    assert box.value is True  # the checkbox follows the attribute
    with pytest.raises(ValueError, match=r"show_test.*'yes'"):
        view.show_test = "yes"
    with pytest.raises(ValueError, match="discretize"):
        DecisionBoundaryView(discretize=1)


def test_discretize_turns_the_plane_into_hard_classes(spiral):
    view = DecisionBoundaryView()
    view.update(spiral[-1])
    view.discretize = True
    output = spiral[-1].field.output
    np.testing.assert_allclose(plane(view), (output >= 0.5).astype(np.float32), atol=1e-6)
    assert "class %{z:.0f}" in view.figure.rasters[0]["hover"]
    view.discretize = False
    np.testing.assert_allclose(plane(view), output, atol=step(view) / 2 + 1e-6)
    assert "P(class 1) %{z:.2f}" in view.figure.rasters[0]["hover"]


def test_k_classes_shade_each_class_by_its_confidence():
    rng = np.random.default_rng(1)
    points = rng.uniform(-2, 2, (60, 2))
    labels = np.digitize(points[:, 0], [-0.7, 0.7])  # three vertical bands
    data = from_arrays(points, labels, test_fraction=0.25, seed=0)
    trainer = Trainer(MLP([2, 6, 3], seed=0), data, lr=0.3, batch_size=15)
    trainer.fit(steps=40)
    field = FieldProbe(resolution=10, thumbnail=4).snapshot(trainer)
    update = RunnerUpdate(None, None, {}, {}, "paused", "", field.step, 0.0, field=field)
    view = DecisionBoundaryView()
    view.update(update)
    raster = view.figure.rasters[0]
    assert (raster["zmin"], raster["zmax"]) == (-0.5, 2.5)
    assert raster["levels"] == [-0.5, 2.5]
    z = plane(view)
    shade = (field.confidence - 1 / 3) / (2 / 3)  # 0 at a guess, 1 when sure
    np.testing.assert_allclose(z, field.output - 0.45 + 0.9 * shade, atol=step(view) / 2 + 1e-5)
    np.testing.assert_array_equal(np.round(z), field.output)  # hover's "class %{z:.0f}"
    view.discretize = True
    hard = plane(view)  # a class is not exactly a level: within half a level, and rounds to it
    np.testing.assert_allclose(hard, field.output, atol=step(view) / 2 + 1e-5)
    np.testing.assert_array_equal(np.round(hard), field.output)


def test_regression_scale_is_centred_at_zero_and_spans_the_targets():
    # (collect_updates cannot make a regression net: it compares n_classes None > 2.)
    data = make_dataset("multi_gauss", n_samples=50, test_fraction=0.2, seed=0)
    trainer = Trainer(MLP([2, 4, 1], seed=0), data, batch_size=10)
    trainer.fit(steps=5)
    field = FieldProbe(resolution=12, thumbnail=4).snapshot(trainer)
    view = DecisionBoundaryView()
    view.update(RunnerUpdate(None, None, {}, {}, "paused", "", field.step, 0.0, field=field))
    raster, targets = view.figure.rasters[0], data.y_train.numpy()
    bound = max(np.abs(targets).max(), np.abs(data.y_test.numpy()).max())
    assert (raster["zmin"], raster["zmax"]) == pytest.approx((-bound, bound))
    assert raster["levels"] == pytest.approx([-bound, bound])
    expected = np.clip(field.output, -bound, bound)  # beyond the scale: its end colour
    np.testing.assert_allclose(plane(view), expected, atol=step(view) / 2 + 1e-5)
    np.testing.assert_allclose(view.figure.data[TRAIN].marker.color, targets[:, 0])
    view.discretize = True
    raster = view.figure.rasters[0]
    np.testing.assert_allclose(plane(view), np.where(field.output >= 0, 1.0, -1.0), atol=1e-6)
    assert (raster["zmin"], raster["zmax"]) == (-1.0, 1.0) and raster["levels"] == [-1.0, 1.0]


@pytest.mark.parametrize("dataset", ["digits", "random"])
def test_other_data_shows_the_confusion_matrix_with_accuracy(dataset):
    updates = collect_updates(dataset=dataset, hidden=(5,), steps=5, callbacks=(FieldProbe(),))
    field = updates[-1].field
    view = DecisionBoundaryView()
    sent = listen(view)
    view.update(updates[-1])
    traces = view.figure.data
    assert [trace.visible for trace in traces] == [False, False, True]
    assert view.figure.rasters[0]["visible"] is False and view.plane() is None
    z = traces[CONFUSION].z
    assert isinstance(z, np.ndarray) and z.dtype == np.int32  # a typed array in the browser
    np.testing.assert_array_equal(z, field.confusion)
    (content, buffers), = sent  # fmt: skip
    wire = content["restyle"]["z"][content["traces"].index(CONFUSION)]
    assert (wire["dtype"], wire["shape"]) == ("int32", ",".join(map(str, field.confusion.shape)))
    received = np.frombuffer(buffers[wire["$b"]], np.int32).reshape(field.confusion.shape)
    np.testing.assert_array_equal(received, field.confusion)
    assert list(traces[CONFUSION].x) == [str(k) for k in range(field.data.n_classes)]
    assert view.figure.layout.yaxis.autorange == "reversed"  # class 0 on top, as in a table
    truth = field.data.test_targets
    correct = sum(field.confusion[k, k] for k in range(field.data.n_classes))
    assert field.confusion.sum() == len(truth)
    assert f"test accuracy {correct / len(truth):.1%}" in view.figure.layout.title.text


def test_points_go_over_the_wire_only_when_the_data_changes(spiral, digits):
    view = DecisionBoundaryView()
    sent = listen(view)
    before = view.figure.bytes_sent
    view.update(spiral[0])
    (content, buffers), = sent  # fmt: skip
    assert {"x", "y", "marker.color"} <= restyled(sent)
    points = spiral[0].field.data.train_points
    wire = content["restyle"]["x"][content["traces"].index(TRAIN)]
    np.testing.assert_array_equal(np.frombuffer(buffers[wire["$b"]], np.float32), points[:, 0])
    first = view.figure.bytes_sent - before
    sent.clear()
    before = view.figure.bytes_sent
    view.update(spiral[-1])  # the same DataRecord: only z (and the title) travel
    (content, buffers), = sent  # fmt: skip
    assert content["op"] == "update"
    assert restyled(sent) == set() and raster_edits(sent) == {"z"}
    assert set(content["relayout"]) == {"title.text"}
    z = content["rasters"][0]["z"]
    assert z["dtype"] == "uint8"  # one byte a cell
    received = np.frombuffer(buffers[z["$b"]], np.uint8).reshape(spiral[-1].field.output.shape)
    np.testing.assert_array_equal(received, quantize(spiral[-1].field.output, 0.0, 1.0))
    refresh = view.figure.bytes_sent - before
    assert refresh <= received.size + 1_000  # float32 would be 4 bytes a cell
    assert first > refresh + 4 * len(points)  # the points did travel the first time
    view.update(digits[-1])  # another data set: confusion layout
    assert view.figure.data[CONFUSION].visible and not view.figure.data[TRAIN].visible
    assert not view.figure.rasters[0]["visible"]
    sent.clear()
    fresh = collect_updates(steps=2, n_samples=40, callbacks=(FieldProbe(),))[-1]  # new points
    view.update(fresh)
    assert {"x", "y", "marker.color"} <= restyled(sent)
    assert {"z", "visible"} <= raster_edits(sent)  # the same [-6, 6] plane: x, y stay
    np.testing.assert_array_equal(view.figure.data[TRAIN].x, fresh.field.data.train_points[:, 0])
    assert view.figure.data[TRAIN].visible and not view.figure.data[CONFUSION].visible
    assert view.figure.rasters[0]["visible"]
    assert view.figure.layout.xaxis.type == "linear"


def test_clear_forgets_the_run_and_the_next_update_redraws_everything(spiral):
    view = DecisionBoundaryView()
    view.update(spiral[-1])
    view.clear()
    view.redraw()
    assert not any(trace.visible for trace in view.figure.data)
    assert not view.figure.rasters[0]["visible"] and view.plane() is None
    assert view.figure.layout.title.text == "waiting for the first update"
    view(dataclasses.replace(spiral[0], step=0, state="idle"))  # what Runner.reset sends
    traces, data = view.figure.data, spiral[0].field.data
    assert view.figure.rasters[0]["visible"] and traces[TRAIN].visible and traces[TEST].visible
    np.testing.assert_array_equal(traces[TEST].y, data.test_points[:, 1])
    np.testing.assert_allclose(plane(view), spiral[0].field.output, atol=step(view) / 2 + 1e-6)


def test_a_diverged_network_blanks_cells_and_sends_valid_json(spiral):
    field = spiral[-1].field
    output = field.output.copy()
    output[0, 0] = np.nan
    broken = dataclasses.replace(spiral[-1], field=dataclasses.replace(field, output=output))
    view = DecisionBoundaryView()
    sent = listen(view)
    view.update(broken)
    z = plane(view)  # NaN travels as level 255: a blank cell
    assert np.isnan(z[0, 0]) and z[0, 1] == pytest.approx(output[0, 1], abs=step(view) / 2 + 1e-6)
    assert np.isnan(z).sum() == 1
    for content, _ in sent:
        json.dumps(content, allow_nan=False)  # valid JSON on the wire
    (content, buffers), = sent  # fmt: skip
    wire = content["rasters"][0]["z"]
    assert np.frombuffer(buffers[wire["$b"]], np.uint8)[0] == 255
