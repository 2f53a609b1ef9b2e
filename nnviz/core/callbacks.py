"""Callbacks: the trainer calls these hooks, in this order, and nothing else.

on_fit_start
  on_epoch_start                       at the first batch of each epoch
    on_train_batch_start -> on_after_backward -> on_train_batch_end   per update
  on_epoch_end                         after the last batch of each epoch
on_fit_end                             always, also after an exception or KeyboardInterrupt
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch

from nnviz.core.records import StepRecord
from nnviz.core.trainer_protocol import TrainerProtocol

HOOKS = (
    "on_fit_start",
    "on_epoch_start",
    "on_train_batch_start",
    "on_after_backward",
    "on_train_batch_end",
    "on_epoch_end",
    "on_fit_end",
)


@dataclass(frozen=True, slots=True)
class Batch:
    """The mini-batch of one update: inputs, targets in the loss's form, and dataset indices."""

    inputs: torch.Tensor
    targets: torch.Tensor
    indices: torch.Tensor


class Callback:
    """Base class: override the hooks you need; the rest cost nothing (they are never called)."""

    def on_fit_start(self, trainer: TrainerProtocol) -> None:
        """Training begins (fit, or a Runner starting)."""

    def on_epoch_start(self, trainer: TrainerProtocol, epoch: int) -> None:
        """The first batch of epoch `epoch` (0-based) is about to be drawn."""

    def on_train_batch_start(self, trainer: TrainerProtocol, batch: Batch) -> None:
        """A mini-batch was drawn; the forward pass comes next."""

    def on_after_backward(self, trainer: TrainerProtocol) -> None:
        """Gradients are in .grad; the optimizer has not stepped yet."""

    def on_train_batch_end(self, trainer: TrainerProtocol, record: StepRecord) -> None:
        """The optimizer stepped; `record` holds this update's numbers."""

    def on_epoch_end(self, trainer: TrainerProtocol, epoch: int) -> None:
        """Epoch `epoch` (0-based) has used every training example."""

    def on_fit_end(self, trainer: TrainerProtocol) -> None:
        """Training ended, normally or not: release hooks and resources here."""


class CallbackList:
    """Dispatches each hook to the callbacks that override it, skipping the others entirely."""

    # One attribute per name in HOOKS, set in __init__.
    on_fit_start: Callable[[TrainerProtocol], None]
    on_epoch_start: Callable[[TrainerProtocol, int], None]
    on_train_batch_start: Callable[[TrainerProtocol, Batch], None]
    on_after_backward: Callable[[TrainerProtocol], None]
    on_train_batch_end: Callable[[TrainerProtocol, StepRecord], None]
    on_epoch_end: Callable[[TrainerProtocol, int], None]
    on_fit_end: Callable[[TrainerProtocol], None]

    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        self.callbacks = tuple(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"callbacks must be nnviz.Callback instances; got {callback!r} "
                    f"of type {type(callback).__name__}"
                )
        for hook in HOOKS:
            # Bound methods of the callbacks that override `hook`: no call for the others.
            overriding = tuple(
                getattr(callback, hook)
                for callback in self.callbacks
                if getattr(type(callback), hook) is not getattr(Callback, hook)
            )
            setattr(self, hook, _dispatcher(overriding))

    def __len__(self) -> int:
        return len(self.callbacks)

    def wants(self, hook: str) -> bool:
        """Whether any callback overrides `hook` (lets the trainer skip preparing its argument)."""
        return getattr(self, hook) is not _nothing


def _nothing(*arguments: object) -> None:
    return None


def _dispatcher(methods: tuple[Callable[..., None], ...]) -> Callable[..., None]:
    if not methods:
        return _nothing

    def dispatch(*arguments: object) -> None:
        for method in methods:
            method(*arguments)

    return dispatch
