"""The Playground, headless: controls reach the runner, Play/Pause through the buttons, the
query string round trip (bad values included), the hide list, divergence, nnviz.live."""

from __future__ import annotations

import os
import time
from urllib.parse import parse_qsl

import ipywidgets as widgets
import pytest
import torch

import nnviz
from nnviz.dashboard.controls import FULL_BATCH
from nnviz.playground.config import PlaygroundConfig

SMALL = "n_samples=60&hidden=3&dataset=xor"  # small and quick: 30 training points


def descendants(widget: widgets.Widget) -> list[widgets.Widget]:
    """`widget` and every widget inside it."""
    return [widget, *(w for child in getattr(widget, "children", ()) for w in descendants(child))]


def visible(playground: nnviz.Playground) -> list[widgets.Widget]:
    """Widgets a page would show: inside the Playground and not display:none."""
    return [w for w in descendants(playground) if getattr(w.layout, "display", None) != "none"]


@pytest.fixture
def playground():
    board = nnviz.Playground.from_query(SMALL)
    yield board
    board.close()


def test_is_a_widget_and_builds_the_configured_run(playground):
    assert isinstance(playground, widgets.Widget)
    trainer = playground.runner.trainer
    assert trainer.data.name == "xor"
    assert trainer.model.sizes == (2, 3, 1)
    assert trainer.n_train == 30
    assert playground.runner.step == 0


def test_controls_change_the_runners_configuration(playground):
    controls = playground.settings.controls
    controls["lr"].value = 0.3  # live: same runner, new learning rate
    runner = playground.runner
    assert runner.trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.3)
    controls["dataset"].value = "circle"  # data: a new run
    assert playground.runner is not runner
    assert playground.runner.trainer.data.name == "circle"
    assert "training restarts from step 0" in playground.run_controls.message.value
    controls["batch_size"].value = FULL_BATCH
    assert playground.runner.trainer.full_batch
    controls["activation"].value = "relu"
    assert playground.runner.trainer.model.activation.name == "relu"
    playground.settings.change_hidden(+1)  # the "+" next to "hidden layers"
    assert playground.runner.trainer.model.sizes == (2, 3, 3, 1)
    playground.settings.change_hidden(+1, layer=0)  # "+" on layer 1
    assert playground.runner.trainer.model.sizes == (2, 4, 3, 1)
    playground.settings.features["x1^2"].value = True
    assert playground.runner.trainer.data.feature_names == ("x1", "x2", "x1^2")
    assert playground.runner.trainer.model.sizes[0] == 3
    controls["regularization"].value = "l2"
    controls["reg_rate"].value = 0.01
    trainer = playground.runner.trainer
    assert (trainer.regularization, trainer.reg_rate) == ("l2", 0.01)
    assert playground.config == PlaygroundConfig.from_query(playground.to_query())[0]


def test_show_test_and_discretize_only_touch_the_view(playground):
    runner = playground.runner
    playground.settings.controls["show_test"].value = True
    playground.settings.controls["discretize"].value = True
    assert playground.runner is runner
    boundary = playground.views["boundary"]
    assert boundary.show_test and boundary.discretize


def test_play_then_pause_through_the_buttons(playground):
    controls = playground.run_controls
    runner = playground.runner
    controls.play.click()
    assert runner.state == "running"
    assert controls.play.description.endswith("Pause")
    deadline = time.monotonic() + 20
    while runner.step < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runner.step >= 20
    controls.play.click()  # Pause: returns once the training thread has parked
    frozen = runner.step
    time.sleep(0.3)
    assert runner.state == "paused"
    assert runner.step == frozen
    assert controls.play.description.endswith("Play")


def test_step_and_epoch_buttons(playground):
    controls = playground.run_controls
    controls.step.click()
    assert playground.runner.step == 1
    controls.epoch.click()  # to the end of the current epoch: 3 steps of 10 in all
    assert playground.runner.step == playground.runner.trainer.steps_per_epoch
    assert playground.runner.trainer.epoch == 1
    controls.reset.click()
    assert playground.runner.step == 0


def test_counters_and_views_follow_the_run(playground):
    playground.runner.advance(6)
    playground.runner.wait(timeout=30)
    text = playground.run_controls.counters.value
    assert "<b>step</b> 6" in text and "<b>epoch</b> 2" in text
    assert "<b>examples seen</b> 60" in text
    loss = playground.views["loss"]
    assert loss.draws >= 1


def test_query_round_trip_keeps_every_setting():
    query = "dataset=spiral&hidden=8,8&lr=0.1&batch_size=full&noise=0.2&activation=relu&seed=7"
    board = nnviz.Playground.from_query("?" + query)
    try:
        assert board.config.hidden == (8, 8) and board.config.lr == 0.1
        again = nnviz.Playground.from_query(board.to_query())
        assert again.config == board.config
        assert nnviz.Playground.from_dict(board.to_dict()).config == board.config
        assert dict(parse_qsl(board.to_query()))["dataset"] == "spiral"
        again.close()
    finally:
        board.close()


@pytest.mark.parametrize(
    ("query", "key", "safe"),
    [
        ("dataset=mnist", "dataset", "circle"),
        ("lr=abc", "lr", 0.03),
        ("hidden=99", "hidden", (4, 2)),
    ],
)
def test_bad_query_values_give_a_message_and_a_safe_default(query, key, safe):
    board = nnviz.Playground.from_query(query)
    try:
        assert getattr(board.config, key) == safe
        message = board.run_controls.message.value
        assert key in message and query.split("=")[1] in message
        assert "Traceback" not in message
        assert board.runner.state == "idle"
    finally:
        board.close()


def test_hide_list_is_honoured_and_round_trips():
    board = nnviz.Playground.from_query(SMALL + "&hide=noise,lr,weights,play")
    try:
        shown = visible(board)
        assert board.settings.controls["noise"] not in [w for row in shown for w in [row]]
        assert not any(w is board.settings.rows["lr"] for w in shown)
        assert not any(w is board.settings.rows["noise"] for w in shown)
        assert board.run_controls.play not in shown
        assert "weights" not in board.views
        assert "hide=noise,lr,weights,play" in board.to_query()
        assert nnviz.Playground.from_query(board.to_query()).hide == board.hide
    finally:
        board.close()
    with pytest.raises(ValueError, match="hide: unknown control 'colour'"):
        nnviz.Playground(hide=["colour"])
    lenient = nnviz.Playground.from_query(SMALL + "&hide=colour")
    assert "unknown control" in lenient.run_controls.message.value
    lenient.close()


def test_divergence_is_shown_and_play_disabled():
    board = nnviz.Playground.from_query(
        "dataset=circle&n_samples=60&hidden=3&lr=10&activation=relu"
    )
    try:
        board.runner.advance(300)
        board.runner.wait(timeout=60)
        assert board.runner.state == "diverged"
        status = board.run_controls.status.value
        assert "diverged at step" in status.lower() and "smaller learning rate" in status
        assert "Reset" in status
        assert board.run_controls.play.disabled
        board.run_controls.reset.click()
        assert not board.run_controls.play.disabled
    finally:
        board.close()


def test_a_failing_action_shows_a_message_not_a_traceback(playground, monkeypatch):
    def broken(*arguments, **options):
        raise RuntimeError("the thread is still ending")

    monkeypatch.setattr(playground.runner, "advance", broken)
    playground.run_controls.step.click()
    assert "RuntimeError: the thread is still ending" in playground.run_controls.message.value


def test_own_data_runs_as_custom():
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(40, 2, generator=generator)
    data = nnviz.from_arrays(inputs, (inputs[:, 0] > 0).long(), test_fraction=0.25, seed=0)
    board = nnviz.Playground(data=data)
    try:
        assert board.config.dataset == "custom"
        assert board.runner.trainer.data is data
        assert "dataset" not in board.to_query()
    finally:
        board.close()


def test_live_attaches_views_and_probes():
    data = nnviz.make_dataset("xor", n_samples=40, test_fraction=0.25, seed=0)
    trainer = nnviz.Trainer(nnviz.MLP([2, 3, 1], seed=0), data, seed=0)
    run = nnviz.live(trainer, views=["loss", "network"], start=False)
    try:
        kinds = {type(callback).__name__ for callback in run.runner.callbacks}
        assert kinds == {"LayerProbe", "FieldProbe"}
        run.runner.advance(5)
        run.runner.wait(timeout=30)
        assert run.runner.step == 5
        assert all(view.draws >= 1 for view in run.views)
        assert "<b>step</b> 5" in run.controls.counters.value
    finally:
        run.close()
    with pytest.raises(ValueError, match="views must hold View instances or names"):
        nnviz.live(trainer, views=["histogram"])


def test_a_preheated_voila_kernel_waits_for_the_page_before_reading_its_query(monkeypatch):
    import voila.utils

    from nnviz.dashboard.playground import voila_query_string

    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    # Voila fills QUERY_STRING when the page request reaches the preheated kernel.
    monkeypatch.setattr(
        voila.utils, "wait_for_request", lambda: os.environ.update(QUERY_STRING="lr=0.3")
    )
    assert voila_query_string() == "lr=0.3"
    assert nnviz.Playground.from_query().config.lr == 0.3
    monkeypatch.setenv("VOILA_PREHEAT", "False")  # plain Voila, JupyterLab: no wait
    monkeypatch.setattr(voila.utils, "wait_for_request", lambda: pytest.fail("waited"))
    assert voila_query_string() == "lr=0.3"


def test_a_preheated_kernel_builds_the_playground_before_its_page_asks(monkeypatch):
    import voila.utils
    from ipywidgets.widgets.widget import _instances

    query = "dataset=spiral&hidden=8,8&activation=tanh&batch_size=10&lr=0.3"
    fresh = nnviz.Playground.from_query(query)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.delenv("QUERY_STRING", raising=False)
    waited = []

    def request_arrives() -> None:
        waited.append(set(_instances))
        os.environ["QUERY_STRING"] = query

    monkeypatch.setattr(voila.utils, "wait_for_request", request_arrives)
    before = set(_instances)
    board = nnviz.Playground.from_query()
    # The widgets existed before the page asked; after it, the run was set to its query and
    # only the rows of the hidden-layer controls (8,8 instead of the default layers) are new.
    from nnviz.dashboard.controls import widget_tree

    assert waited and waited[0] > before
    late = {_instances[key] for key in set(_instances) - waited[0]}
    rows = {w for row in board.settings.hidden_box.children for w in widget_tree(row)}
    assert late and late <= rows
    assert board.config == fresh.config and board.to_query() == fresh.to_query()
    assert board.share.value == fresh.share.value == "?" + fresh.to_query()
    assert board.run_controls.message.value == fresh.run_controls.message.value  # no note
    assert board.runner.trainer.n_train == fresh.runner.trainer.n_train
    network, expected = board.views["network"], fresh.views["network"]
    assert len(network.figure.rasters) == len(expected.figure.rasters)  # the 8,8 network's units
    assert board.runner.trainer.lr == fresh.runner.trainer.lr == 0.3
    for view in board.views.values():
        assert view.draws >= 1
    # A query that hides controls builds anew, and closes every widget of the early one.
    waited.clear()

    def hiding_request_arrives() -> None:
        waited.append(set(_instances))
        os.environ["QUERY_STRING"] = "dataset=xor&hide=noise"

    monkeypatch.setattr(voila.utils, "wait_for_request", hiding_request_arrives)
    before = set(_instances)
    hidden = nnviz.Playground.from_query()
    assert hidden.hide == ("noise",) and hidden.config.dataset == "xor"
    early = waited[0] - before
    assert len(early) > 200 and not early & set(_instances)
    hidden.close()  # and closing a Playground closes every widget it made
    assert not set(_instances) - before


def test_controls_and_views_carry_stable_class_names_for_pages():
    board = nnviz.Playground.from_dict({"dataset": "xor"}, hide=["weights"])
    controls = board.run_controls
    assert "nnviz-play" in controls.play._dom_classes
    assert "nnviz-counters" in controls.counters._dom_classes
    assert "nnviz-lr" in board.settings.controls["lr"]._dom_classes
    assert "nnviz-row-noise" in board.settings.rows["noise"]._dom_classes
    assert "nnviz-view-loss" in board.views["loss"].widget._dom_classes
    assert "weights" not in board.views


@pytest.mark.parametrize(
    ("value", "cap"), [(None, 600.0), ("30", 30.0), ("abc", 600.0), ("-5", 600.0)]
)
def test_the_session_cap_comes_from_the_server_environment(monkeypatch, value, cap):
    from nnviz.dashboard.run_controls import session_cap

    if value is None:
        monkeypatch.delenv("NNVIZ_MAX_SECONDS", raising=False)
    else:
        monkeypatch.setenv("NNVIZ_MAX_SECONDS", value)
    assert session_cap() == cap
    board = nnviz.Playground.from_dict({"dataset": "xor"})
    assert board.runner.max_seconds == cap
    assert nnviz.Playground.from_dict({}, max_seconds=5.0).runner.max_seconds == 5.0


def test_show_test_and_discretize_appear_once_and_drive_the_boundary():
    board = nnviz.Playground.from_dict({"dataset": "xor"})
    boundary = board.views["boundary"]
    boxes = [
        w
        for w in _all_widgets(board)
        if isinstance(w, widgets.Checkbox) and "test" in w.description
    ]
    assert [box.description for box in boxes] == ["Show test data"]  # one box, not two
    boxes[0].value = True
    assert boundary.show_test is True and "show_test=true" in board.to_query().lower()


def _all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _all_widgets(child)


def test_training_speed_is_capped_in_epochs_per_second_and_follows_the_batch_size():
    board = nnviz.Playground(PlaygroundConfig(dataset="spiral", batch_size=10))
    try:
        trainer = board.runner.trainer
        assert board.runner.max_steps_per_second == 200 * trainer.steps_per_epoch
        board.set(batch_size=25)  # a new run: the cap follows its steps per epoch
        assert board.runner.max_steps_per_second == 200 * board.runner.trainer.steps_per_epoch
    finally:
        board.close()
    free = nnviz.Playground(max_epochs_per_second=None)
    try:
        assert free.runner.max_steps_per_second is None
    finally:
        free.close()
