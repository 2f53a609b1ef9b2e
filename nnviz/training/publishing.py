"""The Runner's subscribers and the RunnerUpdate each is sent: the latest records, plus the history
rows that subscriber has not had yet (each keeps its own cursors, so none misses a step).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from nnviz.core.callbacks import Callback
from nnviz.core.records import RunnerUpdate, StepRecord
from nnviz.training.trainer import Trainer


@dataclass(eq=False)
class Subscription:
    """One subscriber and how much of the history it has been sent."""

    function: Callable[[RunnerUpdate], object]
    steps_seen: int = 0  # history cursors: rows already delivered to this subscriber
    evaluations_seen: int = 0
    name: str = ""


class Publisher:
    """Sends every subscriber an update; the probe record and the field come from the callbacks
    that offer them (a `last` attribute, a `snapshot(trainer)` method: LayerProbe, FieldProbe)."""

    def __init__(self, trainer: Trainer, callbacks: Iterable[Callback]) -> None:
        self.trainer = trainer
        callbacks = tuple(callbacks)
        self._probe_source = next((c for c in callbacks if hasattr(c, "last")), None)
        snapshots = (getattr(c, "snapshot", None) for c in callbacks)
        self._snapshot: Any = next((s for s in snapshots if callable(s)), None)
        self._lock = threading.Lock()  # guards the list; never held while calling out
        self._subscriptions: list[Subscription] = []

    def subscribe(self, function: Callable[[RunnerUpdate], object]) -> Callable[[], None]:
        """Add `function`; returns the function that removes it again."""
        if not callable(function):
            raise TypeError(f"function must be callable; got {function!r}")
        name = getattr(function, "__qualname__", repr(function))
        subscription = Subscription(function, name=name)
        with self._lock:
            self._subscriptions.append(subscription)

        def unsubscribe() -> None:
            with self._lock:
                if subscription in self._subscriptions:
                    self._subscriptions.remove(subscription)

        return unsubscribe

    def rewind(self) -> None:
        """Send each subscriber the history from its start again (after trainer.reset())."""
        with self._lock:
            for subscription in self._subscriptions:
                subscription.steps_seen = subscription.evaluations_seen = 0

    def clear(self) -> None:
        """Drop every subscriber."""
        with self._lock:
            self._subscriptions.clear()

    def publish(
        self, record: StepRecord | None, state: str, status: str, rate: float
    ) -> BaseException | None:
        """Send every subscriber an update; return the first exception one raised, if any."""
        trainer, history = self.trainer, self.trainer.history
        with self._lock:
            subscriptions = list(self._subscriptions)
        probe = getattr(self._probe_source, "last", None)
        # Computed once per publish, between steps, so every subscriber sees the same weights.
        field = None if self._snapshot is None else self._snapshot(trainer)
        failure = None
        for subscription in subscriptions:
            update = RunnerUpdate(
                record,
                probe,
                history.steps.since(subscription.steps_seen),
                history.evaluations.since(subscription.evaluations_seen),
                state,
                status,
                trainer.step_count,
                rate,
                field,
                trainer.epoch,
                trainer.examples_seen,
            )
            subscription.steps_seen = history.steps.total
            subscription.evaluations_seen = history.evaluations.total
            try:
                subscription.function(update)
            except Exception as error:  # kept for the caller: it must not vanish in the thread
                if hasattr(error, "add_note"):  # Python >= 3.11
                    error.add_note(f"raised by runner subscriber {subscription.name}")
                failure = failure or error
        return failure
