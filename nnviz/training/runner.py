"""Runner: trains in a background thread so a notebook or dashboard stays responsive.

The thread runs `trainer.step()` inside `trainer.session(callbacks)` and hands subscribers a
RunnerUpdate at most every `interval` seconds of wall clock, plus one whenever it goes quiet
(pause, stop, cap, divergence, error), so views always end on the current numbers.

    idle --start--> running --pause--> paused --resume/start--> running
    running --max_steps/max_seconds--> capped     running --loss not finite--> diverged
    any --stop--> stopped                          an exception in the thread --> error

advance(n) queues n steps for a paused (or never started) runner and returns at once; call
wait() to block until they are done. It refuses a running runner rather than queueing behind
it, because "n more steps" of a run in full flight means nothing precise.

The caps count free-running steps and seconds since the last start(): pauses and advance()
steps do not count. An exception in a step, a callback or a subscriber ends the thread in state
"error"; wait() and stop() re-raise that very exception in the caller until start() or reset().
After reset() each subscriber gets one update with step 0 and state "idle": clear the views.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch

from nnviz.core.callbacks import Callback, CallbackList
from nnviz.core.checks import check_int, check_number
from nnviz.core.records import RunnerUpdate, StepRecord
from nnviz.training.trainer import Trainer

STATES = ("idle", "running", "paused", "stopped", "diverged", "capped", "error")


@dataclass(eq=False)
class _Subscription:
    function: Callable[[RunnerUpdate], object]
    steps_seen: int = 0  # history cursors: rows already delivered to this subscriber
    evaluations_seen: int = 0
    name: str = ""


class Runner:
    """Trains `trainer` in a daemon thread; start/pause/resume/advance/stop from any thread."""

    def __init__(
        self,
        trainer: Trainer,
        callbacks: Iterable[Callback] = (),
        interval: float = 0.1,
        max_steps: int | None = None,
        max_seconds: float | None = 600.0,
        num_threads: int = 1,
        max_steps_per_second: float | None = None,
    ) -> None:
        if not isinstance(trainer, Trainer):
            raise TypeError(
                f"trainer must be an nnviz.Trainer; got {trainer!r} "
                f"of type {type(trainer).__name__}"
            )
        self.trainer = trainer
        if isinstance(callbacks, Callback):
            raise TypeError(f"callbacks must be a list of callbacks; got {callbacks!r}, use [it]")
        self.callbacks = CallbackList(callbacks).callbacks  # checks they are Callbacks, now
        self.interval = check_number("interval", interval, minimum=0.0, strict_minimum=True)
        self.max_steps = None if max_steps is None else check_int("max_steps", max_steps, 1)
        self.max_seconds = (
            None
            if max_seconds is None
            else check_number("max_seconds", max_seconds, minimum=0.0, strict_minimum=True)
        )
        # 1 leaves a core for the kernel and the server on a 2-core machine.
        self.num_threads = check_int("num_threads", num_threads, minimum=1)
        # A speed limit while running freely: the training thread sleeps when it is ahead, so
        # on a small machine the browser drawing the run keeps a share of the CPU.
        self.max_steps_per_second = (
            None
            if max_steps_per_second is None
            else check_number("max_steps_per_second", max_steps_per_second, minimum=0.0,
                              strict_minimum=True)
        )  # fmt: skip
        self._probe_source = next((c for c in self.callbacks if hasattr(c, "last")), None)
        self._field_source = next(
            (c for c in self.callbacks if callable(getattr(c, "snapshot", None))), None
        )
        self._lock = threading.Lock()  # guards the fields below; never held while calling out
        self._control = threading.Lock()  # one start/advance/stop/reset at a time
        self._stop_event = threading.Event()
        self._run_event = threading.Event()  # set: step freely; clear: paused
        self._wake_event = threading.Event()  # set when a sleeping (paused) thread has work
        self._idle_event = threading.Event()  # set while the thread waits or does not exist
        self._idle_event.set()
        self._thread: threading.Thread | None = None
        self._subscriptions: list[_Subscription] = []
        self._clear()

    def _clear(self) -> None:
        self._state = "idle"
        self._error: BaseException | None = None
        self._cap = ""  # which cap ended the run, for the status line
        self._active = False  # the thread is in its loop: it will answer resume/advance
        self._pending = 0  # advance() steps not yet taken
        self._run_steps = 0  # free-running steps and seconds since the last start: the caps
        self._run_seconds = 0.0
        self._record: StepRecord | None = None
        self._rate = 0.0
        self._rate_anchor: tuple[float, int] | None = None
        self._last_publish = -float("inf")

    # ------------------------------------------------------------------ reading, any thread
    @property
    def state(self) -> str:
        """One of STATES."""
        with self._lock:
            return self._state

    @property
    def step(self) -> int:
        """Updates done by the trainer (trainer.step_count)."""
        return int(self.trainer.step_count)

    @property
    def error(self) -> BaseException | None:
        """The exception that ended the thread, or None."""
        with self._lock:
            return self._error

    @property
    def steps_per_second(self) -> float:
        """Training speed over about the last second; 0 while not stepping."""
        with self._lock:
            return self._rate

    @property
    def status(self) -> str:
        """A one-line message for a label: state, step and what to do next."""
        with self._lock:
            return self._status()

    def _status(self) -> str:
        step, state = self.trainer.step_count, self._state
        if state == "running":
            return f"running: step {step}, epoch {self.trainer.epoch}, {self._rate:.0f} steps/s"
        if state == "paused":
            queued = f" (advancing {self._pending} more)" if self._pending else ""
            return f"paused at step {step}{queued}"
        if state == "diverged":
            message = self.trainer.divergence_message
            if message.lower().startswith("diverged"):
                return "d" + message[1:]
            return f"diverged at step {self.trainer.diverged}: {message}"
        if state == "capped":
            return f"stopped by cap: {self._cap} reached at step {step}; start() runs as long again"
        if state == "error":
            error = self._error
            text = (str(error).splitlines() or [""])[0]
            return f"error: {type(error).__name__}: {text} (see runner.error; reset() or start())"
        if state == "stopped":
            return f"stopped at step {step}; start() continues"
        return f"idle at step {step}; start() trains"

    # ------------------------------------------------------------------ subscribers
    def subscribe(self, function: Callable[[RunnerUpdate], object]) -> Callable[[], None]:
        """Call `function(update)` from the training thread; returns an unsubscribe function."""
        if not callable(function):
            raise TypeError(f"function must be callable; got {function!r}")
        name = getattr(function, "__qualname__", repr(function))
        subscription = _Subscription(function, name=name)
        with self._lock:
            self._subscriptions.append(subscription)

        def unsubscribe() -> None:
            with self._lock:
                if subscription in self._subscriptions:
                    self._subscriptions.remove(subscription)

        return unsubscribe

    def _publish(self) -> BaseException | None:
        """Send every subscriber an update; return the first exception one raised, if any."""
        history = self.trainer.history
        with self._lock:
            subscriptions = list(self._subscriptions)
            state, status, rate = self._state, self._status(), self._rate
            self._last_publish = time.monotonic()
        probe = getattr(self._probe_source, "last", None)
        # Computed once per publish, between steps, so every subscriber sees the same weights.
        field = None if self._field_source is None else self._field_source.snapshot(self.trainer)
        failure = None
        for subscription in subscriptions:
            update = RunnerUpdate(
                self._record,
                probe,
                history.steps.since(subscription.steps_seen),
                history.evaluations.since(subscription.evaluations_seen),
                state,
                status,
                self.trainer.step_count,
                rate,
                field,
                self.trainer.epoch,
                self.trainer.examples_seen,
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

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        """Train in the background from the current step; the caps count from now."""
        self._refuse_from_thread("start")
        with self._control:
            with self._lock:
                self._check_not_diverged()
                self._run_steps, self._run_seconds, self._error = 0, 0.0, None
                if self._answers():
                    self._pending = 0
                    self._go("running")
                    return
            self._launch(run=True, pending=0)

    def pause(self, timeout: float | None = 1.0) -> None:
        """Stop stepping after the current step and wait (up to `timeout` s) until the thread
        has parked, so that `step` no longer moves when this returns."""
        with self._lock:
            if self._state == "running":
                self._state = "paused"
                self._run_event.clear()
        if threading.current_thread() is not self._thread:  # a subscriber cannot wait on itself
            self._idle_event.wait(timeout)

    def resume(self) -> None:
        """Continue after pause() within the same caps; start() when not paused."""
        with self._lock:
            if self._state == "running" or (self._state == "paused" and self._answers()):
                self._pending = 0
                self._go("running")
                return
        self.start()

    def advance(self, n: int = 1) -> None:
        """Queue `n` steps on a paused or never started runner (it stays paused); see wait()."""
        n = check_int("n", n, minimum=1)
        self._refuse_from_thread("advance")
        with self._control:
            with self._lock:
                self._check_not_diverged()
                if self._state == "running":
                    raise RuntimeError(
                        f"advance(n={n}) takes steps while paused, but the runner is running; "
                        "call runner.pause() first"
                    )
                if self._answers():
                    self._pending += n
                    self._go("paused")
                    return
                self._error = None
            self._launch(run=False, pending=n)

    def _answers(self) -> bool:
        # Lock held. A thread that is ending (stop requested, cap reached) takes no more work.
        return self._active and not self._stop_event.is_set()

    def _go(self, state: str) -> None:
        # Lock held. Wake the thread with work; wait() blocks until it is done.
        self._state = state
        if state == "running":
            self._run_event.set()
        self._idle_event.clear()
        self._wake_event.set()

    def _launch(self, run: bool, pending: int) -> None:
        old = self._thread
        if old is not None:  # past its loop: only the final update is left to send
            old.join(timeout=5)
            if old.is_alive():
                raise RuntimeError("the previous training thread is still ending; try again")
        with self._lock:
            self._stop_event.clear()
            self._run_event.clear()
            self._pending, self._active, self._rate_anchor = pending, True, None
            self._run_steps, self._run_seconds = 0, 0.0
            self._thread = threading.Thread(target=self._run, name="nnviz-runner", daemon=True)
            self._go("running" if run else "paused")
            self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> str:
        """Stop after the current step and join the thread; re-raises an error from the thread."""
        if threading.current_thread() is self._thread:  # from a subscriber: ask, do not join
            self._stop_event.set()
            self._wake_event.set()
            return self.state
        with self._control:
            self._halt(timeout)
        return self._raise_error()

    def _halt(self, timeout: float | None) -> None:
        if timeout is not None:
            timeout = check_number("timeout", timeout, minimum=0.0, strict_minimum=True)
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._stop_event.set()
        self._wake_event.set()
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(
                f"the training thread did not stop within timeout={timeout} s; it stops after "
                "the step it is in, call stop() again"
            )

    def wait(self, timeout: float | None = None) -> str:
        """Block until the thread is paused or ended (or `timeout` s); re-raises its error."""
        self._refuse_from_thread("wait")
        self._idle_event.wait(timeout)
        return self._raise_error()

    def _raise_error(self) -> str:
        with self._lock:
            state, error = self._state, self._error
        if state == "error" and error is not None:
            raise error  # as it was raised in the thread, traceback included
        return state

    def reset(self, timeout: float | None = 5.0) -> None:
        """Stop if needed, then trainer.reset() (fresh weights, empty history) and clear errors."""
        self._refuse_from_thread("reset")
        with self._control:
            self._halt(timeout)
            self.trainer.reset()
            for callback in self.callbacks:
                # Recorders such as LayerProbe forget the old run along with the trainer.
                if callable(getattr(callback, "reset", None)):
                    callback.reset()
            with self._lock:
                self._clear()
                for subscription in self._subscriptions:
                    subscription.steps_seen = subscription.evaluations_seen = 0
            failure = self._publish()  # step 0, state idle: views start over
        if failure is not None:
            raise failure

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop the thread and drop every subscriber (call this, or use `with Runner(...)`)."""
        try:
            self.stop(timeout)
        finally:
            with self._lock:
                self._subscriptions.clear()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, traceback: object) -> None:
        try:
            self.close()
        except Exception:
            if error is None:  # do not hide the exception already leaving the block
                raise

    def _refuse_from_thread(self, method: str) -> None:
        if threading.current_thread() is self._thread:
            raise RuntimeError(f"runner.{method}() cannot be called from a subscriber")

    def _check_not_diverged(self) -> None:
        if self.trainer.diverged is not None:
            raise RuntimeError(
                f"{self.trainer.divergence_message} Call runner.reset() to train again."
            )

    # ------------------------------------------------------------------ the training thread
    def _run(self) -> None:
        torch.set_num_threads(self.num_threads)  # this thread's setting: the kernel keeps its own
        error: BaseException | None = None
        try:
            with self.trainer.session(self.callbacks):
                outcome = self._loop()
        except BaseException as raised:  # surfaces through wait()/stop(), never lost
            outcome, error = "error", raised
        with self._lock:
            self._active, self._rate = False, 0.0
            self._state, self._error = outcome, error
        failure = self._publish()
        if failure is not None and error is None:
            with self._lock:
                self._state, self._error = "error", failure
            self._publish()  # the views learn of the error; a second failure adds nothing
        self._idle_event.set()

    def _loop(self) -> str:
        quiet = True  # nothing new since the last "I am pausing" update
        tick = None  # when the last free-running step began; None after a pause
        pace: tuple[float, int] | None = None  # (time, step) the speed limit counts from
        while True:
            with self._lock:
                if self._stop_event.is_set():
                    return "stopped"
                free = self._run_event.is_set()
                single = not free and self._pending > 0
                if single:
                    self._pending -= 1
            if not free and not single:
                self._sleep(quiet)
                quiet, tick, pace = True, None, None  # a pause does not count as running time
                continue
            now = time.monotonic()
            if free:
                seconds, tick = (0.0 if tick is None else now - tick), now
                if self._capped(seconds):
                    return "capped"
            record = self.trainer.step()
            if record is None:
                return "diverged"
            quiet = False
            with self._lock:
                self._record = record
                if free:
                    self._run_steps += 1
                self._measure(now)
            if now - self._last_publish >= self.interval and (failure := self._publish()):
                raise failure
            if free and self.max_steps_per_second is not None:
                pace = self._keep_pace(pace)

    def _keep_pace(self, pace: tuple[float, int] | None) -> tuple[float, int]:
        """Wait while the run is ahead of max_steps_per_second (2 ms or more at a time: shorter
        waits overshoot; the GIL is free meanwhile); returns the reference point."""
        now, step = time.monotonic(), self.trainer.step_count
        if pace is None or now - pace[0] > 1.0:  # each second anew: no debt carried over
            return now, step
        ahead = pace[0] + (step - pace[1]) / self.max_steps_per_second - now
        if ahead >= 0.002:
            self._stop_event.wait(ahead)  # wakes at once for stop()
        return pace

    def _sleep(self, quiet: bool) -> None:
        if not quiet and (failure := self._publish()):
            raise failure
        with self._lock:
            self._rate, self._rate_anchor = 0.0, None
            if not (self._stop_event.is_set() or self._run_event.is_set() or self._pending):
                self._wake_event.clear()
                self._idle_event.set()
        self._wake_event.wait()

    def _capped(self, seconds: float) -> bool:
        with self._lock:
            self._run_seconds += seconds
            if self.max_steps is not None and self._run_steps >= self.max_steps:
                self._cap = f"{self.max_steps} steps (max_steps)"
            elif self.max_seconds is not None and self._run_seconds >= self.max_seconds:
                self._cap = f"{self.max_seconds:g} s (max_seconds)"
            else:
                return False
            self._state, self._active = "capped", False
            return True

    def _measure(self, now: float) -> None:
        # Lock held. Steps per second over windows of about a second; a first guess after 0.2 s.
        step = self.trainer.step_count
        if self._rate_anchor is None:
            self._rate_anchor = (now, step)
            return
        since, first = self._rate_anchor
        seconds = now - since
        if seconds >= 1.0 or (self._rate == 0.0 and seconds >= 0.2):
            self._rate = (step - first) / seconds
            if seconds >= 1.0:
                self._rate_anchor = (now, step)

    def __repr__(self) -> str:
        return f"Runner({self.status})"
