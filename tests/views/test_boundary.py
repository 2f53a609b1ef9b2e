"""DecisionBoundaryView: figure state after real updates, and what one refresh sends."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from conftest import collect_updates
from nnviz import MLP, Trainer, from_arrays, make_dataset
from nnviz.fields import FieldProbe
from nnviz.records import RunnerUpdate
from nnviz.views.boundary import DecisionBoundaryView
from nnviz.views.figure import from_typed_array

HEAT, TRAIN, TEST, CONFUSION = range(4)


@pytest.fixture(scope="module")
def spiral() -> list[RunnerUpdate]:
    return collect_updates(callbacks=(FieldProbe(),))


@pytest.fixture(scope="module")
def digits() -> list[RunnerUpdate]:
    return collect_updates(dataset="digits", hidden=(6,), steps=5, callbacks=(FieldProbe(),))


def listen(view: DecisionBoundaryView) -> list[dict]:
    """Keep every widget message the figure sends from now on (the comm is a dummy here)."""
    sent: list[dict] = []
    view.figure._send = lambda message, buffers=None: sent.append((message, buffers or []))
    return sent


def size(sent: list) -> int:
    """Bytes on the wire: the JSON of each message (as jupyter_client writes it) + buffers."""
    return sum(len(json.dumps(message)) + sum(len(b) for b in buffers) for message, buffers in sent)


def restyled(sent: list) -> set[str]:
    """Trace properties the messages changed."""
    updates = [m["state"].get("_py2js_update") for m, _ in sent]
    return {key for update in updates if update for key in update["style_data"]}


def test_heatmap_is_the_output_rounded_and_points_are_the_data(spiral):
    view, field = DecisionBoundaryView(), spiral[-1].field
    view.update(spiral[-1])
    heat, train, test = view.figure.data[HEAT], view.figure.data[TRAIN], view.figure.data[TEST]
    np.testing.assert_array_equal(from_typed_array(heat.z), field.output)  # float32, exact
    np.testing.assert_array_equal(heat.x, field.grid_x)
    np.testing.assert_array_equal(heat.y, field.grid_y)
    assert (heat.zmin, heat.zmax) == (0.0, 1.0)  # P(class 1), white at 0.5
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
    np.testing.assert_array_equal(from_typed_array(view.figure.data[HEAT].z), output >= 0.5)
    view.discretize = False
    np.testing.assert_array_equal(from_typed_array(view.figure.data[HEAT].z), output)


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
    z = from_typed_array(view.figure.data[HEAT].z)
    shade = (field.confidence - 1 / 3) / (2 / 3)  # 0 at a guess, 1 when sure
    np.testing.assert_allclose(z, field.output - 0.45 + 0.9 * shade, atol=1e-6)
    np.testing.assert_array_equal(np.round(z), field.output)  # hover's "class %{z:.0f}"
    assert (view.figure.data[HEAT].zmin, view.figure.data[HEAT].zmax) == (-0.5, 2.5)
    view.discretize = True
    np.testing.assert_array_equal(from_typed_array(view.figure.data[HEAT].z), field.output)


def test_regression_scale_is_centred_at_zero_and_spans_the_targets():
    # (collect_updates cannot make a regression net: it compares n_classes None > 2.)
    data = make_dataset("multi_gauss", n_samples=50, test_fraction=0.2, seed=0)
    trainer = Trainer(MLP([2, 4, 1], seed=0), data, batch_size=10)
    trainer.fit(steps=5)
    field = FieldProbe(resolution=12, thumbnail=4).snapshot(trainer)
    view = DecisionBoundaryView()
    view.update(RunnerUpdate(None, None, {}, {}, "paused", "", field.step, 0.0, field=field))
    heat, targets = view.figure.data[HEAT], data.y_train.numpy()
    bound = max(np.abs(targets).max(), np.abs(data.y_test.numpy()).max())
    assert (heat.zmin, heat.zmax) == pytest.approx((-bound, bound))
    np.testing.assert_array_equal(from_typed_array(heat.z), field.output)
    np.testing.assert_allclose(view.figure.data[TRAIN].marker.color, targets[:, 0])
    view.discretize = True
    np.testing.assert_array_equal(from_typed_array(heat.z), np.where(field.output >= 0, 1.0, -1.0))
    assert (heat.zmin, heat.zmax) == (-1.0, 1.0)


@pytest.mark.parametrize("dataset", ["digits", "random"])
def test_other_data_shows_the_confusion_matrix_with_accuracy(dataset):
    updates = collect_updates(dataset=dataset, hidden=(5,), steps=5, callbacks=(FieldProbe(),))
    field = updates[-1].field
    view = DecisionBoundaryView()
    view.update(updates[-1])
    traces = view.figure.data
    assert [trace.visible for trace in traces] == [False, False, False, True]
    np.testing.assert_array_equal(from_typed_array(traces[CONFUSION].z), field.confusion)
    assert list(traces[CONFUSION].x) == [str(k) for k in range(field.data.n_classes)]
    assert view.figure.layout.yaxis.autorange == "reversed"  # class 0 on top, as in a table
    truth = field.data.test_targets
    correct = sum(field.confusion[k, k] for k in range(field.data.n_classes))
    assert field.confusion.sum() == len(truth)
    assert f"test accuracy {correct / len(truth):.1%}" in view.figure.layout.title.text


def test_points_go_over_the_wire_only_when_the_data_changes(spiral, digits):
    view = DecisionBoundaryView()
    sent = listen(view)
    view.update(spiral[0])
    assert {"x", "y", "marker.color"} <= restyled(sent)
    first = size(sent)
    sent.clear()
    view.update(spiral[-1])  # the same DataRecord: only z (and the title) travel
    assert restyled(sent) == {"z"}
    refresh = size(sent)
    assert refresh <= 30_000  # a 64 x 64 heatmap in float32 would be ~83 KB
    assert first > refresh  # the points did travel the first time
    view.update(digits[-1])  # another data set: confusion layout
    assert view.figure.data[CONFUSION].visible and not view.figure.data[TRAIN].visible
    sent.clear()
    fresh = collect_updates(steps=2, n_samples=40, callbacks=(FieldProbe(),))[-1]  # new points
    view.update(fresh)
    assert {"x", "y", "marker.color"} <= restyled(sent)
    np.testing.assert_array_equal(view.figure.data[TRAIN].x, fresh.field.data.train_points[:, 0])
    assert view.figure.data[TRAIN].visible and not view.figure.data[CONFUSION].visible
    assert view.figure.layout.xaxis.type == "linear"


def test_clear_forgets_the_run_and_the_next_update_redraws_everything(spiral):
    view = DecisionBoundaryView()
    view.update(spiral[-1])
    view.clear()
    view.redraw()
    assert not any(trace.visible for trace in view.figure.data)
    assert view.figure.layout.title.text == "waiting for the first update"
    view(dataclasses.replace(spiral[0], step=0, state="idle"))  # what Runner.reset sends
    traces, data = view.figure.data, spiral[0].field.data
    assert traces[HEAT].visible and traces[TRAIN].visible and traces[TEST].visible
    np.testing.assert_array_equal(traces[TEST].y, data.test_points[:, 1])
    np.testing.assert_array_equal(from_typed_array(traces[HEAT].z), spiral[0].field.output)


def test_a_diverged_network_blanks_cells_and_sends_valid_json(spiral):
    field = spiral[-1].field
    output = field.output.copy()
    output[0, 0] = np.nan
    broken = dataclasses.replace(spiral[-1], field=dataclasses.replace(field, output=output))
    view = DecisionBoundaryView()
    sent = listen(view)
    view.update(broken)
    z = from_typed_array(view.figure.data[HEAT].z)  # NaN travels as float32 bytes: a blank cell
    assert np.isnan(z[0, 0]) and z[0, 1] == output[0, 1]
    json.dumps([message for message, _ in sent], allow_nan=False)  # valid JSON on the wire
