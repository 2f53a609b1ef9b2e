"""The Runner's training thread: trainer.step() inside trainer.session(callbacks), as the shared
RunControl asks (freely, one queued step at a time, or parked), publishing at most every
`interval` seconds and once more whenever it goes quiet, so views end on the current numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import torch

from nnviz.core.callbacks import Callback
from nnviz.training.control import RunControl
from nnviz.training.trainer import Trainer


class LoopSettings(Protocol):
    """What the loop reads from its Runner, live (a changed cap applies from the next step)."""

    trainer: Trainer
    callbacks: tuple[Callback, ...]
    interval: float
    max_steps: int | None
    max_seconds: float | None
    num_threads: int
    max_steps_per_second: float | None


class TrainingLoop:
    """The body of a Runner's thread; `publish` sends an update and returns what a subscriber
    raised, if anything."""

    def __init__(
        self,
        settings: LoopSettings,
        control: RunControl,
        publish: Callable[[], BaseException | None],
    ) -> None:
        self.settings, self.control, self.publish = settings, control, publish

    def run(self) -> None:
        """Train until stopped, capped, diverged or failed; the state says which."""
        settings, control = self.settings, self.control
        torch.set_num_threads(settings.num_threads)  # this thread's: the kernel keeps its own
        error: BaseException | None = None
        try:
            with settings.trainer.session(settings.callbacks):
                outcome = self._loop()
        except BaseException as raised:  # surfaces through wait()/stop(), never lost
            outcome, error = "error", raised
        with control.lock:
            control.active, control.rate = False, 0.0
            control.state, control.error = outcome, error
        failure = self.publish()
        if failure is not None and error is None:
            with control.lock:
                control.state, control.error = "error", failure
            self.publish()  # the views learn of the error; a second failure adds nothing
        control.idle_event.set()

    def _loop(self) -> str:
        settings, control, trainer = self.settings, self.control, self.settings.trainer
        quiet = True  # nothing new since the last "I am pausing" update
        tick = None  # when the last free-running step began; None after a pause
        pace: tuple[float, int] | None = None  # (time, step) the speed limit counts from
        while True:
            work = control.next_work()
            if work is None:
                return "stopped"
            free, single = work
            if not free and not single:
                if not quiet and (failure := self.publish()):
                    raise failure
                control.park()
                quiet, tick, pace = True, None, None  # a pause does not count as running time
                continue
            now = time.monotonic()
            if free:
                seconds, tick = (0.0 if tick is None else now - tick), now
                if control.capped(seconds, settings.max_steps, settings.max_seconds):
                    return "capped"
            record = trainer.step()
            if record is None:
                return "diverged"
            quiet = False
            with control.lock:
                control.record = record
                if free:
                    control.run_steps += 1
                control.measure(now, trainer.step_count)
            if now - control.last_publish >= settings.interval and (failure := self.publish()):
                raise failure
            if free and settings.max_steps_per_second is not None:
                pace = self.keep_pace(pace, settings.max_steps_per_second)

    def keep_pace(self, pace: tuple[float, int] | None, limit: float) -> tuple[float, int]:
        """Wait while the run is ahead of `limit` steps per second (2 ms or more at a time:
        shorter waits overshoot; the GIL is free meanwhile); returns the reference point."""
        now, step = time.monotonic(), self.settings.trainer.step_count
        if pace is None or now - pace[0] > 1.0:  # each second anew: no debt carried over
            return now, step
        ahead = pace[0] + (step - pace[1]) / limit - now
        if ahead >= 0.002:
            self.control.stop_event.wait(ahead)  # wakes at once for stop()
        return pace
