"""The Runner's state machine: its states, and what the callers' threads and the training thread
share behind one lock (the state, the work queued, the events that park and wake the thread, the
latest record and the speed).

    idle --start--> running --pause--> paused --resume/start--> running
    running --max_steps/max_seconds--> capped     running --loss not finite--> diverged
    any --stop--> stopped                          an exception in the thread --> error
"""

from __future__ import annotations

import threading

from nnviz.core.records import StepRecord

STATES = ("idle", "running", "paused", "stopped", "diverged", "capped", "error")


class RunControl:
    """The shared state of one Runner; methods marked "lock held" expect `lock` taken."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # guards the fields below; never held while calling out
        self.stop_event = threading.Event()
        self.run_event = threading.Event()  # set: step freely; clear: paused
        self.wake_event = threading.Event()  # set when a sleeping (paused) thread has work
        self.idle_event = threading.Event()  # set while the thread waits or does not exist
        self.idle_event.set()
        self.clear()

    def clear(self) -> None:
        """Back to a runner never started (lock held, or no thread yet)."""
        self.state = "idle"
        self.error: BaseException | None = None
        self.cap = ""  # which cap ended the run, for the status line
        self.active = False  # the thread is in its loop: it will answer resume/advance
        self.pending = 0  # advance() steps not yet taken
        self.run_steps = 0  # free-running steps and seconds since the last start: the caps
        self.run_seconds = 0.0
        self.record: StepRecord | None = None  # the latest step's
        self.rate = 0.0  # steps per second
        self.rate_anchor: tuple[float, int] | None = None  # (time, step) the rate counts from
        self.last_publish = -float("inf")  # time.monotonic() of the latest publish

    def answers(self) -> bool:
        """Whether the thread takes more work (lock held): in its loop, and no stop asked."""
        return self.active and not self.stop_event.is_set()

    def go(self, state: str) -> None:
        """Enter `state` and wake the thread with work; wait() blocks until done (lock held)."""
        self.state = state
        if state == "running":
            self.run_event.set()
        self.idle_event.clear()
        self.wake_event.set()

    def next_work(self) -> tuple[bool, bool] | None:
        """For the thread: (step freely, take one queued step), or None once stop was asked."""
        with self.lock:
            if self.stop_event.is_set():
                return None
            free = self.run_event.is_set()
            single = not free and self.pending > 0
            if single:
                self.pending -= 1
            return free, single

    def park(self) -> None:
        """For the thread: sleep until there is work, marked idle meanwhile."""
        with self.lock:
            self.rate, self.rate_anchor = 0.0, None
            if not (self.stop_event.is_set() or self.run_event.is_set() or self.pending):
                self.wake_event.clear()
                self.idle_event.set()
        self.wake_event.wait()

    def capped(self, seconds: float, max_steps: int | None, max_seconds: float | None) -> bool:
        """Add `seconds` of running; whether a cap is reached (then the state is "capped")."""
        with self.lock:
            self.run_seconds += seconds
            if max_steps is not None and self.run_steps >= max_steps:
                self.cap = f"{max_steps} steps (max_steps)"
            elif max_seconds is not None and self.run_seconds >= max_seconds:
                self.cap = f"{max_seconds:g} s (max_seconds)"
            else:
                return False
            self.state, self.active = "capped", False
            return True

    def measure(self, now: float, step: int) -> None:
        """Steps per second over windows of about a second; a first guess after 0.2 s (lock
        held)."""
        if self.rate_anchor is None:
            self.rate_anchor = (now, step)
            return
        since, first = self.rate_anchor
        seconds = now - since
        if seconds >= 1.0 or (self.rate == 0.0 and seconds >= 0.2):
            self.rate = (step - first) / seconds
            if seconds >= 1.0:
                self.rate_anchor = (now, step)
