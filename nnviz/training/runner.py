"""Runner: trains in a background thread so a notebook or dashboard stays responsive.

The thread runs `trainer.step()` inside `trainer.session(callbacks)` and hands subscribers a
RunnerUpdate at most every `interval` seconds of wall clock, plus one whenever it goes quiet
(pause, stop, cap, divergence, error), so views always end on the current numbers. The parts:
its states and shared fields (control.py), the thread's loop (training_loop.py), subscribers
(publishing.py) and the status line (status.py); this module is the caller's side, one piece
at ~290 lines: its commands are transitions of the one RunControl under one command lock.

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

from nnviz.core.callbacks import Callback, CallbackList
from nnviz.core.checks import check_int, check_number
from nnviz.core.records import RunnerUpdate
from nnviz.training.control import RunControl
from nnviz.training.publishing import Publisher
from nnviz.training.status import status_line
from nnviz.training.trainer import Trainer
from nnviz.training.training_loop import TrainingLoop


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
        self._control = RunControl()
        self._publisher = Publisher(trainer, self.callbacks)
        self._loop = TrainingLoop(self, self._control, self._publish)
        self._commands = threading.Lock()  # one start/advance/stop/reset at a time
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ reading, any thread
    @property
    def state(self) -> str:
        """One of STATES."""
        with self._control.lock:
            return self._control.state

    @property
    def step(self) -> int:
        """Updates done by the trainer (trainer.step_count)."""
        return int(self.trainer.step_count)

    @property
    def error(self) -> BaseException | None:
        """The exception that ended the thread, or None."""
        with self._control.lock:
            return self._control.error

    @property
    def steps_per_second(self) -> float:
        """Training speed over about the last second; 0 while not stepping."""
        with self._control.lock:
            return self._control.rate

    @property
    def status(self) -> str:
        """A one-line message for a label: state, step and what to do next."""
        with self._control.lock:
            return self._status()

    def _status(self) -> str:
        control = self._control  # lock held
        return status_line(
            control.state, self.trainer, control.rate, control.pending, control.cap, control.error
        )

    # ------------------------------------------------------------------ subscribers
    def subscribe(self, function: Callable[[RunnerUpdate], object]) -> Callable[[], None]:
        """Call `function(update)` from the training thread; returns an unsubscribe function."""
        return self._publisher.subscribe(function)

    def _publish(self) -> BaseException | None:
        """Send every subscriber an update; return the first exception one raised, if any."""
        control = self._control
        with control.lock:
            record, state, status, rate = (
                control.record,
                control.state,
                self._status(),
                control.rate,
            )
            control.last_publish = time.monotonic()
        return self._publisher.publish(record, state, status, rate)

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        """Train in the background from the current step; the caps count from now."""
        self._refuse_from_thread("start")
        control = self._control
        with self._commands:
            with control.lock:
                self._check_not_diverged()
                control.run_steps, control.run_seconds, control.error = 0, 0.0, None
                if control.answers():
                    control.pending = 0
                    control.go("running")
                    return
            self._launch(run=True, pending=0)

    def pause(self, timeout: float | None = 1.0) -> None:
        """Stop stepping after the current step and wait (up to `timeout` s) until the thread
        has parked, so that `step` no longer moves when this returns."""
        control = self._control
        with control.lock:
            if control.state == "running":
                control.state = "paused"
                control.run_event.clear()
        if threading.current_thread() is not self._thread:  # a subscriber cannot wait on itself
            control.idle_event.wait(timeout)

    def resume(self) -> None:
        """Continue after pause() within the same caps; start() when not paused."""
        control = self._control
        with control.lock:
            if control.state == "running" or (control.state == "paused" and control.answers()):
                control.pending = 0
                control.go("running")
                return
        self.start()

    def advance(self, n: int = 1) -> None:
        """Queue `n` steps on a paused or never started runner (it stays paused); see wait()."""
        n = check_int("n", n, minimum=1)
        self._refuse_from_thread("advance")
        control = self._control
        with self._commands:
            with control.lock:
                self._check_not_diverged()
                if control.state == "running":
                    raise RuntimeError(
                        f"advance(n={n}) takes steps while paused, but the runner is running; "
                        "call runner.pause() first"
                    )
                if control.answers():
                    control.pending += n
                    control.go("paused")
                    return
                control.error = None
            self._launch(run=False, pending=n)

    def _launch(self, run: bool, pending: int) -> None:
        old = self._thread
        if old is not None:  # past its loop: only the final update is left to send
            old.join(timeout=5)
            if old.is_alive():
                raise RuntimeError("the previous training thread is still ending; try again")
        control = self._control
        with control.lock:
            control.stop_event.clear()
            control.run_event.clear()
            control.pending, control.active, control.rate_anchor = pending, True, None
            control.run_steps, control.run_seconds = 0, 0.0
            self._thread = threading.Thread(target=self._loop.run, name="nnviz-runner", daemon=True)
            control.go("running" if run else "paused")
            self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> str:
        """Stop after the current step and join the thread; re-raises an error from the thread."""
        if threading.current_thread() is self._thread:  # from a subscriber: ask, do not join
            self._control.stop_event.set()
            self._control.wake_event.set()
            return self.state
        with self._commands:
            self._halt(timeout)
        return self._raise_error()

    def _halt(self, timeout: float | None) -> None:
        if timeout is not None:
            timeout = check_number("timeout", timeout, minimum=0.0, strict_minimum=True)
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._control.stop_event.set()
        self._control.wake_event.set()
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(
                f"the training thread did not stop within timeout={timeout} s; it stops after "
                "the step it is in, call stop() again"
            )

    def wait(self, timeout: float | None = None) -> str:
        """Block until the thread is paused or ended (or `timeout` s); re-raises its error."""
        self._refuse_from_thread("wait")
        self._control.idle_event.wait(timeout)
        return self._raise_error()

    def _raise_error(self) -> str:
        with self._control.lock:
            state, error = self._control.state, self._control.error
        if state == "error" and error is not None:
            raise error  # as it was raised in the thread, traceback included
        return state

    def reset(self, timeout: float | None = 5.0) -> None:
        """Stop if needed, then trainer.reset() (fresh weights, empty history) and clear errors."""
        self._refuse_from_thread("reset")
        with self._commands:
            self._halt(timeout)
            self.trainer.reset()
            for callback in self.callbacks:
                # Recorders such as LayerProbe forget the old run along with the trainer.
                reset = getattr(callback, "reset", None)
                if callable(reset):
                    reset()
            with self._control.lock:
                self._control.clear()
            self._publisher.rewind()
            failure = self._publish()  # step 0, state idle: views start over
        if failure is not None:
            raise failure

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop the thread and drop every subscriber (call this, or use `with Runner(...)`)."""
        try:
            self.stop(timeout)
        finally:
            self._publisher.clear()

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

    def __repr__(self) -> str:
        return f"Runner({self.status})"
