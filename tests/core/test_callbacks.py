"""Tests for nnviz.core.callbacks: the order of the hooks over a fit, on_fit_end after failures,
what each hook sees, and CallbackList calling only the hooks a callback overrides."""

from __future__ import annotations

import pytest
import torch

from nnviz import HOOKS, MLP, Batch, Callback, Trainer
from nnviz.core.callbacks import CallbackList
from nnviz.core.records import StepRecord


class Recorder(Callback):
    """Overrides every hook in HOOKS and appends the hook's name (and epoch, where given)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.epochs: list[tuple[str, int]] = []

    def on_fit_start(self, trainer) -> None:
        self.calls.append("on_fit_start")

    def on_epoch_start(self, trainer, epoch: int) -> None:
        self.calls.append("on_epoch_start")
        self.epochs.append(("start", epoch))

    def on_train_batch_start(self, trainer, batch: Batch) -> None:
        self.calls.append("on_train_batch_start")

    def on_after_backward(self, trainer) -> None:
        self.calls.append("on_after_backward")

    def on_train_batch_end(self, trainer, record: StepRecord) -> None:
        self.calls.append("on_train_batch_end")

    def on_epoch_end(self, trainer, epoch: int) -> None:
        self.calls.append("on_epoch_end")
        self.epochs.append(("end", epoch))

    def on_fit_end(self, trainer) -> None:
        self.calls.append("on_fit_end")


def test_recorder_overrides_every_hook() -> None:
    overridden = [hook for hook in HOOKS if getattr(Recorder, hook) is not getattr(Callback, hook)]
    assert overridden == list(HOOKS)
    assert len(set(HOOKS)) == len(HOOKS) == 7


def test_hooks_run_in_the_documented_order(binary_data) -> None:
    assert len(binary_data.X_train) == 30
    recorder = Recorder()
    Trainer(MLP([2, 3, 1]), binary_data, batch_size=10).fit(epochs=2, callbacks=[recorder])
    batch = ["on_train_batch_start", "on_after_backward", "on_train_batch_end"]
    epoch = ["on_epoch_start", *batch * 3, "on_epoch_end"]
    assert recorder.calls == ["on_fit_start", *epoch * 2, "on_fit_end"]
    assert recorder.epochs == [("start", 0), ("end", 0), ("start", 1), ("end", 1)]


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()], ids=type)
def test_on_fit_end_runs_after_an_exception(error: BaseException, binary_data) -> None:
    class Failing(Callback):
        def on_after_backward(self, trainer) -> None:
            if trainer.step_count == 1:  # during the second update
                raise error

    recorder = Recorder()
    trainer = Trainer(MLP([2, 3, 1]), binary_data, batch_size=10)
    with pytest.raises(type(error)):
        trainer.fit(steps=5, callbacks=[recorder, Failing()])
    assert recorder.calls[-1] == "on_fit_end"
    assert recorder.calls.count("on_fit_end") == 1
    assert recorder.calls.count("on_train_batch_end") == 1
    assert trainer.step_count == 1


def test_a_non_callback_is_refused() -> None:
    with pytest.raises(TypeError, match="object"):
        CallbackList([Recorder(), object()])


def test_fit_refuses_a_non_callback(binary_data) -> None:
    trainer = Trainer(MLP([2, 1]), binary_data)
    with pytest.raises(TypeError, match="callbacks"):
        trainer.fit(steps=1, callbacks=[lambda trainer: None])
    assert trainer.step_count == 0


def test_hooks_that_are_not_overridden_are_never_called(binary_data, monkeypatch) -> None:
    calls: list[str] = []

    def spy(name: str):
        def hook(self, *arguments) -> None:
            calls.append(name)

        return hook

    # Spies on the base class: a subclass that does not override a hook inherits its spy.
    for hook in HOOKS:
        monkeypatch.setattr(Callback, hook, spy(hook))

    class OnlyBatchEnd(Callback):
        def __init__(self) -> None:
            self.steps: list[int] = []

        def on_train_batch_end(self, trainer, record: StepRecord) -> None:
            self.steps.append(record.step)

    callback = OnlyBatchEnd()
    Trainer(MLP([2, 3, 1]), binary_data, batch_size=10).fit(steps=4, callbacks=[callback])
    assert callback.steps == [1, 2, 3, 4]
    assert calls == []
    callbacks = CallbackList([callback])
    assert callbacks.wants("on_train_batch_end")
    assert not any(callbacks.wants(hook) for hook in HOOKS if hook != "on_train_batch_end")


def test_every_callback_is_called_in_list_order(binary_data) -> None:
    calls: list[str] = []

    class Named(Callback):
        def __init__(self, name: str) -> None:
            self.name = name

        def on_train_batch_end(self, trainer, record) -> None:
            calls.append(self.name)

    callbacks = [Named("first"), Named("second")]
    Trainer(MLP([2, 1]), binary_data).fit(steps=2, callbacks=callbacks)
    assert calls == ["first", "second", "first", "second"]
    assert len(CallbackList(callbacks)) == 2


def test_hooks_see_the_state_they_document(binary_data) -> None:
    class Checker(Callback):
        def __init__(self) -> None:
            self.checked = 0

        def on_train_batch_start(self, trainer, batch: Batch) -> None:
            self.before = [p.detach().clone() for p in trainer.model.parameters()]
            assert len(batch.inputs) == len(batch.targets) == len(batch.indices)
            torch.testing.assert_close(batch.inputs, trainer.data.X_train[batch.indices])

        def on_after_backward(self, trainer) -> None:
            # gradients are in .grad; the optimizer has not stepped yet
            assert all(p.grad is not None for p in trainer.model.parameters())
            for parameter, before in zip(trainer.model.parameters(), self.before, strict=True):
                assert torch.equal(parameter, before)

        def on_train_batch_end(self, trainer, record: StepRecord) -> None:
            assert record.step == trainer.step_count
            assert isinstance(record.loss, float) and isinstance(record.total, float)
            changed = [
                not torch.equal(p, b)
                for p, b in zip(trainer.model.parameters(), self.before, strict=True)
            ]
            assert any(changed)  # the optimizer stepped
            self.checked += 1

    checker = Checker()
    Trainer(MLP([2, 3, 1]), binary_data, batch_size=10).fit(steps=4, callbacks=[checker])
    assert checker.checked == 4


def test_session_calls_fit_start_and_end_around_manual_steps(binary_data) -> None:
    recorder = Recorder()
    trainer = Trainer(MLP([2, 1]), binary_data, batch_size=30)
    with trainer.session([recorder]):
        trainer.step()
    assert recorder.calls == [
        "on_fit_start",
        "on_epoch_start",
        "on_train_batch_start",
        "on_after_backward",
        "on_train_batch_end",
        "on_epoch_end",
        "on_fit_end",
    ]
    trainer.step()  # outside the session: the recorder hears nothing
    assert len(recorder.calls) == 7
