"""LossView: curves equal the records, x-axis and log controls, bounded buckets, small refreshes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from view_messages import captured, sent_bytes

from nnviz import MLP, LayerProbe, Runner, Trainer, make_dataset
from nnviz.core.records import RunnerUpdate
from nnviz.views.loss import LossView

BATCH, TOTAL, PENALTY, TRAIN, TEST, TRAIN_METRIC, TEST_METRIC = range(7)


def joined(updates: list[RunnerUpdate], table: str, column: str) -> np.ndarray:
    """One column over every update's new rows, in order."""
    parts = [getattr(update, table).get(column, np.zeros(0)) for update in updates]
    return np.concatenate(parts)


def synthetic(start: int, count: int, penalty: float = 0.0, state: str = "running"):
    """`count` history rows after step `start`, with a known loss, and an evaluation every 50."""
    step = np.arange(start + 1, start + count + 1, dtype=float)
    loss = 2 + np.sin(step / 7)
    history = {
        "step": step,
        "epoch": (step - 1) // 100,
        "examples_seen": step * 10,
        "loss": loss,
        "penalty": np.full(count, penalty),
        "total": loss + penalty,
        "elapsed": step * 0.01,
    }
    due = step[step % 50 == 0]
    evaluations = {
        "step": due,
        "epoch": (due - 1) // 100,
        "examples_seen": due * 10,
        "train_loss": 1 / due,
        "test_loss": 2 / due,
        "penalty": np.full(len(due), penalty),
        "train_metric": 1 - 1 / due,
        "test_metric": 1 - 2 / due,
    }
    return RunnerUpdate(None, None, history, evaluations, state, "", int(step[-1]), 0.0)


def spiral():
    return make_dataset("spiral", n_samples=60, test_fraction=0.25, seed=0)


@pytest.fixture(scope="module")
def penalised_updates() -> list[RunnerUpdate]:
    """Every update of 40 steps of a 2-4-3-1 net with an L2 penalty, evaluated every 5 steps
    (as conftest's collect_updates, with trainer options it does not pass)."""
    model = MLP([2, 4, 3, 1], activation="tanh", seed=0)
    options = {"eval_every": 5, "regularization": "l2", "reg_rate": 0.01}
    trainer = Trainer(model, spiral(), batch_size=10, seed=0, **options)
    updates: list[RunnerUpdate] = []
    with Runner(trainer, [LayerProbe()], interval=1e-9) as runner:
        runner.subscribe(updates.append)
        runner.advance(40)
        runner.wait(timeout=30)
    return updates


def fed(updates, **options) -> LossView:
    view = LossView(**options)
    for update in updates:
        view.update(update)
    return view


def test_curves_equal_the_history_and_evaluations(penalised_updates):
    view = fed(penalised_updates)
    data = view.figure.data
    steps = joined(penalised_updates, "history", "step")
    assert len(steps) == 40  # fewer rows than max_points: one point per step
    for index, column in ((BATCH, "loss"), (TOTAL, "total"), (PENALTY, "penalty")):
        assert data[index].visible is True
        np.testing.assert_array_equal(data[index].x, steps)
        np.testing.assert_allclose(
            data[index].y, joined(penalised_updates, "history", column), 1e-6
        )
    evaluation_steps = joined(penalised_updates, "evaluations", "step")
    np.testing.assert_array_equal(evaluation_steps, np.arange(5, 41, 5))
    for index, column in (
        (TRAIN, "train_loss"),
        (TEST, "test_loss"),
        (TRAIN_METRIC, "train_metric"),
        (TEST_METRIC, "test_metric"),
    ):
        np.testing.assert_array_equal(data[index].x, evaluation_steps)
        expected = joined(penalised_updates, "evaluations", column)
        np.testing.assert_allclose(data[index].y, expected, 1e-6)
    assert all(trace.y.dtype == np.float32 for trace in data)
    # The headline shows the newest evaluation, C_total = C + lambda*R included.
    last = penalised_updates[-1].record.evaluation
    title = view.figure.layout.title.text
    assert f"step {penalised_updates[-1].step}" in title
    assert f"train C {last.train_loss:.3g}" in title
    assert f"test C {last.test_loss:.3g}" in title
    assert f"C_total {last.train_loss + last.penalty:.3g}" in title
    assert f"accuracy {last.train_metric:.3f}" in title
    assert view.figure.layout.yaxis2.title.text == "accuracy"
    assert data[TRAIN_METRIC].name == "train accuracy"


def test_penalty_curves_hidden_without_penalty(spiral_updates):
    view = fed(spiral_updates)
    assert not view.figure.data[TOTAL].visible and not view.figure.data[PENALTY].visible
    assert view.figure.data[BATCH].visible
    assert "λ·R" not in view.figure.layout.title.text


def test_x_axis_switches_between_steps_epochs_examples_and_seconds(penalised_updates):
    view = fed(penalised_updates)
    data = view.figure.data
    history = {name: joined(penalised_updates, "history", name) for name in ("step", "elapsed")}
    examples = joined(penalised_updates, "history", "examples_seen")
    evaluation_steps = joined(penalised_updates, "evaluations", "step")
    n_train = len(spiral().X_train)

    view.x_axis = "epochs"  # fractional: examples seen / training-set size
    np.testing.assert_allclose(data[BATCH].x, examples / n_train, rtol=1e-6)
    assert view.figure.layout.xaxis2.title.text == "epoch"
    view.x_axis = "examples"
    np.testing.assert_array_equal(data[BATCH].x, examples)
    np.testing.assert_array_equal(data[TRAIN].x, examples[evaluation_steps.astype(int) - 1])
    view.x_axis = "seconds"
    np.testing.assert_allclose(data[BATCH].x, history["elapsed"], rtol=1e-6)
    # Evaluations have no clock of their own: they sit at their step's time.
    expected = np.interp(evaluation_steps, history["step"], history["elapsed"])
    np.testing.assert_allclose(data[TEST].x, expected, rtol=1e-6)
    # The dropdown follows the attribute, and choosing in the dropdown redraws.
    dropdown = view.widget.children[0].children[0]
    assert dropdown.value == "seconds"
    dropdown.value = "steps"
    assert view.x_axis == "steps"
    np.testing.assert_array_equal(data[BATCH].x, history["step"])


def test_log_toggle_sets_the_cost_axis_type(spiral_updates):
    view = fed(spiral_updates, log_y=True)
    assert view.figure.layout.yaxis.type == "log"
    checkbox = view.widget.children[0].children[1]
    assert checkbox.value is True
    checkbox.value = False
    assert view.log_y is False and view.figure.layout.yaxis.type == "linear"
    view.log_y = True
    assert view.figure.layout.yaxis.type == "log"
    assert view.figure.layout.yaxis2.type != "log"  # the metric stays linear


def test_bad_values_name_the_parameter():
    with pytest.raises(ValueError, match="x_axis='minutes'"):
        LossView(x_axis="minutes")
    view = LossView()
    with pytest.raises(ValueError, match="x_axis"):
        view.x_axis = "hours"
    assert view.x_axis == "steps"
    with pytest.raises(TypeError, match="log_y"):
        view.log_y = "yes"
    with pytest.raises(ValueError, match="max_points"):
        LossView(max_points=1)


@pytest.mark.parametrize("max_points, chunks", [(500, "even"), (333, "uneven")])
def test_max_points_keeps_bucket_means_of_the_whole_run(max_points, chunks):
    view = LossView(max_points=max_points)
    if chunks == "even":
        bounds = np.arange(0, 10_001, 250)
    else:  # 1 to ~60 rows at a time: buckets opened and topped up across updates
        cuts = np.random.default_rng(0).integers(1, 10_000, 400)
        bounds = np.unique(np.concatenate([[0, 10_000], cuts]))
    for start, stop in itertools.pairwise(bounds):
        view.ingest(synthetic(int(start), int(stop - start)))
    view.redraw()
    batch = view.figure.data[BATCH]
    # The stride is the smallest power of 2 that fits 10,000 rows in max_points buckets.
    stride = 1
    while max_points * stride < 10_000:
        stride *= 2
    step = np.arange(1, 10_001, dtype=float)
    blocks = [slice(start, start + stride) for start in range(0, 10_000, stride)]
    assert len(batch.y) == len(blocks) <= max_points
    np.testing.assert_allclose(batch.x, [step[block].mean() for block in blocks], rtol=1e-6)
    loss = 2 + np.sin(step / 7)
    np.testing.assert_allclose(batch.y, [loss[block].mean() for block in blocks], rtol=1e-5)
    # 200 evaluations fit without thinning.
    np.testing.assert_allclose(view.figure.data[TRAIN].y, 1 / np.arange(50, 10_001, 50), 1e-6)


def test_clear_on_reset_empties_every_curve(penalised_updates):
    view = fed(penalised_updates)
    view(RunnerUpdate(None, None, {}, {}, "idle", "idle at step 0", 0, 0.0))
    assert all(len(trace.x) == 0 for trace in view.figure.data if trace.visible)
    assert view.figure.layout.title.text == "step 0"


def test_one_refresh_is_bounded_however_long_the_run():
    view = LossView(max_points=200)
    sizes = {}
    for start in range(0, 20_000, 500):
        update = synthetic(start, 500, penalty=0.1)
        sizes[start + 500] = sent_bytes(view.figure, lambda update=update: view.update(update))
    # 7 curves of at most 200 float32 x and y, plus a little JSON: whatever the step count.
    bound = 7 * 2 * 200 * 4 + 4_000
    assert max(sizes.values()) < bound
    assert sizes[20_000] <= 1.1 * sizes[10_000]  # both past the point where buckets merge


def sent_keys(figure, action) -> tuple[set, set]:
    """The trace and layout key paths of the update messages `action()` makes `figure` send."""
    styles: set = set()
    layouts: set = set()
    for content, _buffers in captured(figure, action):
        assert content["op"] == "update"  # no structural change: never the whole figure
        styles.update(content["restyle"])
        layouts.update(content["relayout"])
    return styles, layouts


def test_a_redraw_sends_only_what_changed(spiral_updates):
    view = LossView()
    for update in spiral_updates:
        view.update(update)
    assert sent_keys(view.figure, view.redraw) == (set(), set())
    styles, layouts = sent_keys(view.figure, lambda: setattr(view, "log_y", True))
    assert styles == set() and layouts == {"yaxis.type"}
    messages = captured(view.figure, lambda: setattr(view, "x_axis", "examples"))
    assert len(messages) == 1
    content, buffers = messages[0]
    assert set(content["restyle"]) == {"x", "hovertemplate"}
    assert set(content["relayout"]) == {"xaxis2.title.text"}
    # Every x that changed goes whole (examples seen, not steps): the trace's new x exactly.
    examples = joined(spiral_updates, "history", "examples_seen")
    sent = 0
    for trace, value in zip(content["traces"], content["restyle"]["x"], strict=True):
        if value != {"$u": 1}:  # {"$u": 1}: this trace's x is left alone
            array = np.frombuffer(buffers[value["$b"]], value["dtype"])
            np.testing.assert_array_equal(array, view.figure.data[trace].x)
            sent += 1
    assert sent >= 1
    np.testing.assert_allclose(view.figure.data[BATCH].x, examples)
    title = view.figure.layout.title.text
    assert title.startswith("step 30 ")
    view.update(RunnerUpdate(None, None, {}, {}, "paused", "", 31, 0.0))
    assert view.figure.layout.title.text == title.replace("step 30", "step 31")
