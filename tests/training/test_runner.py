"""Runner: background training, pause/resume/advance, throttled updates, caps, divergence,
errors. Synchronisation is by polling with a deadline (wait_until) or runner.wait(), never by
sleeping and hoping; the only sleeps measure that nothing happens."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import threading
import time

import numpy as np
import pytest
import torch

import nnviz
from nnviz.core.callbacks import Callback
from nnviz.core.records import ProbeRecord, RunnerUpdate, StepRecord
from nnviz.probes.layer import LayerProbe
from nnviz.training.runner import Runner


def wait_until(condition, timeout: float = 5.0) -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.002)


def make_trainer(name: str = "circle", lr: float = 0.03) -> nnviz.Trainer:
    data = nnviz.make_dataset(name, n_samples=200, noise=0.1, test_fraction=0.2, seed=0)
    model = nnviz.MLP([2, 8, 8, 1], activation="tanh", seed=0)
    return nnviz.Trainer(model, data, lr=lr, batch_size=10)


class Recorder(Callback):
    """Records the fit hooks; raises in on_train_batch_end at step `fail_at`."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.calls: list[str] = []
        self.fail_at = fail_at

    def on_fit_start(self, trainer) -> None:
        self.calls.append("on_fit_start")

    def on_train_batch_end(self, trainer, record) -> None:
        if record.step == self.fail_at:
            raise ValueError(f"callback failed at step {record.step}")

    def on_fit_end(self, trainer) -> None:
        self.calls.append("on_fit_end")


@pytest.fixture
def make_runner():
    """Build runners that are always closed after the test, whatever happened."""
    runners: list[Runner] = []

    def build(trainer=None, **options) -> Runner:
        runner = Runner(make_trainer() if trainer is None else trainer, **options)
        runners.append(runner)
        return runner

    yield build
    for runner in runners:
        with contextlib.suppress(Exception):  # the test already checked any error
            runner.close()
    assert not any(thread.name == "nnviz-runner" for thread in threading.enumerate())


def test_pause_stops_the_step_counter_and_resume_continues(make_runner):
    runner = make_runner(interval=0.05)
    runner.start()
    wait_until(lambda: runner.step >= 5)
    assert runner.state == "running"
    asked = time.monotonic()
    runner.pause()
    assert runner.wait(timeout=0.5) == "paused"
    assert time.monotonic() - asked < 0.5
    paused_at = runner.step
    time.sleep(0.3)  # measuring that nothing happens, not synchronising
    assert runner.step == paused_at
    assert runner.status == f"paused at step {paused_at}"
    assert runner.steps_per_second == 0.0

    runner.resume()
    wait_until(lambda: runner.step >= paused_at + 10)
    assert runner.state == "running"
    assert runner.status.startswith("running: step ")


def test_advance_while_paused_takes_exactly_n_steps(make_runner):
    runner = make_runner()
    runner.start()
    wait_until(lambda: runner.step >= 3)
    runner.pause()
    runner.wait(timeout=5)
    before = runner.step
    runner.advance(7)
    assert runner.wait(timeout=5) == "paused"
    assert runner.step == before + 7
    runner.advance()
    runner.advance(2)  # clicks queue up
    assert runner.wait(timeout=5) == "paused"
    assert runner.step == before + 10


def test_advance_works_when_never_started_and_stays_paused(make_runner):
    probe = LayerProbe()
    runner = make_runner(callbacks=[probe])
    runner.advance(5)
    assert runner.wait(timeout=5) == "paused"
    assert runner.step == 5
    assert probe.attached  # the session stays open while paused: resuming is cheap
    assert probe.last.step == 5
    runner.resume()
    wait_until(lambda: runner.step > 10)
    assert runner.stop() == "stopped"
    assert not probe.attached


def test_advance_while_running_is_refused(make_runner):
    runner = make_runner()
    runner.start()
    with pytest.raises(RuntimeError, match="pause"):
        runner.advance(3)
    with pytest.raises(ValueError, match="n=0"):
        runner.advance(0)


def test_stop_joins_the_thread_ends_the_session_and_unhooks_the_probe(make_runner):
    probe, recorder = LayerProbe(), Recorder()
    runner = make_runner(callbacks=[probe, recorder])
    runner.start()
    wait_until(lambda: runner.step >= 3)
    assert probe.attached
    runner.pause()
    runner.wait(timeout=5)
    runner.resume()  # pause keeps the session: one fit start and one fit end in all
    assert runner.stop(timeout=5) == "stopped"
    assert not any(thread.name == "nnviz-runner" for thread in threading.enumerate())
    assert not probe.attached
    assert recorder.calls == ["on_fit_start", "on_fit_end"]
    stopped_at = runner.step
    assert runner.status.startswith(f"stopped at step {stopped_at}")
    runner.start()  # continues from where it stopped, in a new session
    wait_until(lambda: runner.step > stopped_at)
    runner.stop()
    assert recorder.calls == ["on_fit_start", "on_fit_end"] * 2


def test_updates_are_throttled_and_history_chunks_cover_every_step_once(make_runner):
    probe = LayerProbe()
    runner = make_runner(callbacks=[probe], interval=0.05, max_seconds=0.5)
    updates: list[RunnerUpdate] = []
    published: list[float] = []  # when each publish began: the clock the throttle keeps

    def receive(update: RunnerUpdate) -> None:
        updates.append(update)
        published.append(runner._control.last_publish)

    runner.subscribe(receive)
    runner.start()
    assert runner.wait(timeout=5) == "capped"
    total = runner.step
    # Throttled by the clock: about one per 0.05 s of the 0.5 s run (plus the first and the
    # final one), far fewer than the steps.
    assert 2 < len(updates) <= 0.5 / 0.05 + 3
    assert len(updates) < total / 3
    # All but the final one are throttled. Timed at the publish itself: arrival times add the
    # subscriber's delivery, which varies by more than 10 % of 0.05 s on a busy machine.
    assert min(np.diff(published[:-1])) >= 0.05
    steps = np.concatenate([update.history["step"] for update in updates])
    np.testing.assert_array_equal(steps, np.arange(1, total + 1))
    evaluated = np.concatenate([update.evaluations["step"] for update in updates])
    np.testing.assert_array_equal(evaluated, runner.trainer.history.evaluations["step"])
    last = updates[-1]
    assert (last.state, last.step) == ("capped", total)
    assert last.status == runner.status
    assert isinstance(last.record, StepRecord) and last.record.step == total
    assert isinstance(last.probe, ProbeRecord) and last.probe.step == total
    for update in updates:  # plain numbers and numpy arrays only: views need no torch
        for value in (*update.history.values(), *update.evaluations.values()):
            assert isinstance(value, np.ndarray)
        fields = dataclasses.astuple(update.record)
        assert not any(isinstance(value, torch.Tensor) for value in fields)


def test_unsubscribe_stops_the_updates(make_runner):
    runner = make_runner(interval=0.01)
    updates: list[RunnerUpdate] = []
    unsubscribe = runner.subscribe(updates.append)
    runner.start()
    wait_until(lambda: len(updates) >= 2)
    unsubscribe()
    unsubscribe()  # twice is harmless
    count = len(updates)
    runner.stop()
    assert len(updates) <= count + 1  # at most the one being delivered while unsubscribing


def test_max_steps_caps_exactly_and_start_gives_a_fresh_allowance(make_runner):
    probe = LayerProbe()
    runner = make_runner(callbacks=[probe], max_steps=25, interval=0.01)
    runner.start()
    assert runner.wait(timeout=5) == "capped"
    assert runner.step == 25
    assert "max_steps" in runner.status and "start()" in runner.status
    assert not probe.attached  # a cap ends the session
    runner.start()
    assert runner.wait(timeout=5) == "capped"
    assert runner.step == 50


def test_max_seconds_caps_running_time(make_runner):
    runner = make_runner(max_seconds=0.3)
    began = time.monotonic()
    runner.start()
    assert runner.wait(timeout=5) == "capped"
    assert 0.3 <= time.monotonic() - began < 3
    assert "0.3 s (max_seconds)" in runner.status
    assert runner.step > 0


def test_divergence_ends_the_run_with_the_trainers_message(make_runner):
    trainer = make_trainer("plane", lr=50)
    probe = LayerProbe()
    runner = make_runner(trainer, callbacks=[probe])
    updates: list[RunnerUpdate] = []
    runner.subscribe(updates.append)
    runner.start()
    assert runner.wait(timeout=5) == "diverged"
    assert trainer.diverged is not None
    assert runner.status.startswith(f"diverged at step {trainer.diverged}")
    assert "learning rate" in runner.status
    assert updates[-1].state == "diverged" and "diverged" in updates[-1].status
    assert not probe.attached
    with pytest.raises(RuntimeError, match="reset"):
        runner.start()
    with pytest.raises(RuntimeError, match="reset"):
        runner.advance()


def test_an_error_in_a_callback_surfaces_in_the_caller(make_runner):
    probe = LayerProbe()
    runner = make_runner(callbacks=[probe, Recorder(fail_at=5)])
    updates: list[RunnerUpdate] = []
    runner.subscribe(updates.append)
    runner.start()
    with pytest.raises(ValueError, match="callback failed at step 5"):
        runner.wait(timeout=5)
    assert runner.state == "error"
    assert isinstance(runner.error, ValueError)
    assert runner.status.startswith("error: ValueError: callback failed at step 5")
    assert updates[-1].state == "error"
    assert runner.step == 5
    assert not probe.attached
    with pytest.raises(ValueError):
        runner.stop()  # stop re-raises too, until reset() or start()
    runner.start()  # starting again clears the error and retries from step 5
    wait_until(lambda: runner.step > 10)
    assert runner.error is None


def test_an_error_in_a_subscriber_stops_training(make_runner):
    runner = make_runner(interval=0.01)

    def broken(update: RunnerUpdate) -> None:
        raise KeyError("view is broken")

    runner.subscribe(broken)
    runner.start()
    with pytest.raises(KeyError, match="view is broken"):
        runner.wait(timeout=5)
    assert runner.status.startswith("error: KeyError")
    ended_at = runner.step
    time.sleep(0.05)  # measuring that nothing happens
    assert runner.step == ended_at


def test_reset_gives_step_zero_and_trains_deterministically_again(make_runner):
    runner = make_runner(max_steps=40)
    updates: list[RunnerUpdate] = []
    runner.subscribe(updates.append)
    runner.start()
    assert runner.wait(timeout=5) == "capped"
    first = runner.trainer.history["loss"]
    runner.reset()
    assert (runner.step, runner.state, runner.error) == (0, "idle", None)
    assert len(runner.trainer.history) == 0
    assert (updates[-1].state, updates[-1].step, updates[-1].probe) == ("idle", 0, None)
    assert runner.status == "idle at step 0; start() trains"
    runner.start()
    assert runner.wait(timeout=5) == "capped"
    again = runner.trainer.history["loss"]
    fresh = make_trainer()
    fresh.fit(steps=40)
    np.testing.assert_array_equal(again, first)
    np.testing.assert_array_equal(again, fresh.history["loss"])
    # The subscriber's history starts over after the reset: steps 1..40 once more.
    after = updates[[u.state for u in updates].index("idle") :]
    np.testing.assert_array_equal(
        np.concatenate([u.history["step"] for u in after]), np.arange(1, 41)
    )


def test_steps_per_second_is_measured_while_running(make_runner):
    runner = make_runner()
    runner.start()
    wait_until(lambda: runner.steps_per_second > 0)
    assert runner.steps_per_second < 1e6
    assert "steps/s" in runner.status


def test_context_manager_closes(make_runner):
    probe = LayerProbe()
    with Runner(make_trainer(), callbacks=[probe]) as runner:
        runner.start()
        wait_until(lambda: runner.step > 0)
    assert runner.state == "stopped"
    assert not probe.attached


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"trainer": "not a trainer"}, TypeError, "trainer must be an nnviz.Trainer"),
        ({"interval": 0}, ValueError, "interval=0"),
        ({"interval": -1.0}, ValueError, "interval=-1"),
        ({"interval": math.inf}, ValueError, "interval=inf"),
        ({"interval": "fast"}, TypeError, "interval must be a number"),
        ({"max_steps": 0}, ValueError, "max_steps=0"),
        ({"max_steps": 2.5}, TypeError, "max_steps must be an integer"),
        ({"max_seconds": 0}, ValueError, "max_seconds=0"),
        ({"max_seconds": math.nan}, ValueError, "max_seconds=nan"),
        ({"num_threads": 0}, ValueError, "num_threads=0"),
        ({"callbacks": LayerProbe()}, TypeError, "callbacks must be a list"),
        ({"callbacks": ["probe"]}, TypeError, "callbacks must be nnviz.Callback"),
    ],
)
def test_bad_arguments_name_the_parameter(options, error, message):
    trainer = options.pop("trainer", None) or make_trainer()
    with pytest.raises(error, match=message.replace(".", r"\.")):
        Runner(trainer, **options)


def test_bad_calls_name_the_parameter(make_runner):
    runner = make_runner()
    with pytest.raises(TypeError, match="function must be callable"):
        runner.subscribe(3)
    with pytest.raises(TypeError, match="n must be an integer"):
        runner.advance(1.5)
    assert runner.stop() == "idle"  # stopping a runner never started is harmless


def test_a_speed_limit_waits_while_the_run_is_ahead(monkeypatch):
    runner = Runner(make_trainer(), max_steps_per_second=100)
    clock = [10.0]
    waits = []
    monkeypatch.setattr("nnviz.training.runner.time.monotonic", lambda: clock[0])
    monkeypatch.setattr(runner._control.stop_event, "wait", lambda seconds: waits.append(seconds))
    loop = runner._loop
    pace = loop.keep_pace(None, runner.max_steps_per_second)  # the reference point: now, at step 0
    assert pace == (10.0, 0) and waits == []
    runner.trainer.step()
    runner.trainer.step()  # 2 steps at once: 20 ms ahead of 100 steps/s
    clock[0] += 0.001
    assert loop.keep_pace(pace, runner.max_steps_per_second) == pace
    assert waits == [pytest.approx(0.019)]
    clock[0] += 0.5  # behind now: no wait
    loop.keep_pace(pace, runner.max_steps_per_second)
    assert len(waits) == 1
    clock[0] += 1.0  # over a second later: counted afresh
    assert loop.keep_pace(pace, runner.max_steps_per_second) == (11.501, 2)


def test_a_bad_speed_limit_is_refused_by_name():
    with pytest.raises(ValueError, match="max_steps_per_second"):
        Runner(make_trainer(), max_steps_per_second=0)
