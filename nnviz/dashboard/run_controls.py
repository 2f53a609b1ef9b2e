"""RunControls: Play/Pause, Step, Reset, counters and a status line for a Runner.

Shared by `nnviz.live` and the Playground. Clicks run in the kernel while training runs in the
runner's thread, so Pause acts at once (platform notes: a loop in a cell would block clicks).
Counters and status are written by a runner subscriber, at most at the runner's interval, in one
HTML widget (one message per tick). A failing action shows a message, never a traceback.
"""

from __future__ import annotations

import html
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as widgets

from nnviz.core.records import RunnerUpdate

if TYPE_CHECKING:
    from nnviz.training.runner import Runner

PLAY, PAUSE = "▶ Play", "‖ Pause"  # text, not icon fonts: Voila offline has no Font Awesome
COUNTER_SECONDS = 0.1  # the read-outs' refresh while training (the views: up to 25 a second)

CAP_VARIABLE = "NNVIZ_MAX_SECONDS"
DEFAULT_CAP = 600.0


def session_cap() -> float:
    """Seconds a dashboard may train before it stops itself: NNVIZ_MAX_SECONDS, else 600.

    A class server sets it (e.g. `NNVIZ_MAX_SECONDS=300 make dashboard`) so that pages left open
    stop computing; a value that is not a positive number is ignored.
    """
    try:
        value = float(os.environ.get(CAP_VARIABLE, DEFAULT_CAP))
    except ValueError:
        return DEFAULT_CAP
    return value if 0 < value < float("inf") else DEFAULT_CAP


class RunControls(widgets.VBox):
    """Buttons and read-outs that drive `runner` (replaceable: `controls.runner = other`)."""

    def __init__(
        self, runner: Runner | None = None, on_reset: Callable[[], None] | None = None
    ) -> None:
        self.play = widgets.Button(
            description=PLAY, tooltip="Train in the background; click again to pause"
        )
        self.step = widgets.Button(description="Step", tooltip="Take one update, then pause")
        self.epoch = widgets.Button(
            description="Step epoch", tooltip="Train to the end of the current epoch, then pause"
        )
        self.reset = widgets.Button(
            description="⟲ Reset", tooltip="Back to step 0: the initial weights of this seed"
        )
        for button in (self.play, self.step, self.epoch, self.reset):
            button.layout = widgets.Layout(width="auto")
        self.counters = widgets.HTML(tooltip="Updates taken, passes over the training set, ...")
        self.status = widgets.HTML()
        self.message = widgets.HTML()
        # Stable class names (nnviz-play, nnviz-counters, ...) for styling and browser tests.
        for name in ("play", "step", "epoch", "reset", "counters", "status", "message"):
            getattr(self, name).add_class(f"nnviz-{name}")
        self.play.on_click(self._guard(self._on_play))
        self.step.on_click(self._guard(self._on_step))
        self.epoch.on_click(self._guard(self._on_epoch))
        self.reset.on_click(self._guard(self._on_reset))
        self._on_reset_hook = on_reset
        self._lock = threading.Lock()
        self._shown_at = -float("inf")  # when show() last wrote the read-outs
        self._runner: Runner | None = None
        self._unsubscribe: Callable[[], None] | None = None
        super().__init__(
            [
                widgets.HBox([self.play, self.step, self.epoch, self.reset, self.counters]),
                self.status,
                self.message,
            ]
        )
        if runner is not None:
            self.runner = runner

    # ------------------------------------------------------------------ the runner
    @property
    def runner(self) -> Runner | None:
        """The Runner these controls drive (None until one is set)."""
        return self._runner

    @runner.setter
    def runner(self, runner: Runner) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._runner = runner
        self._unsubscribe = runner.subscribe(self.show)
        self.show_state(runner.state, runner.status, runner.step, 0.0)
        self._label_step(runner)

    def show(self, update: RunnerUpdate) -> None:
        """Runner subscriber: counters, status and the Play button's label (while training, at
        most every COUNTER_SECONDS: a number that changes faster cannot be read, and each
        change costs the page a message and a layout)."""
        now = time.monotonic()
        if update.state == "running" and now - self._shown_at < COUNTER_SECONDS:
            return
        self._shown_at = now
        self.show_state(
            update.state,
            update.status,
            update.step,
            update.steps_per_second,
            update.epoch,
            update.examples_seen,
        )

    def show_state(
        self, state: str, status: str, step: int, rate: float, epoch: int = 0, examples: int = 0
    ) -> None:
        """Write the read-outs for a runner in `state`."""
        rate = rate if state == "running" else 0.0  # paused: the same text from every writer
        with self._lock:
            self.counters.value = (
                f"<b>step</b> {step:,} &nbsp; <b>epoch</b> {epoch:,} &nbsp; "
                f"<b>examples seen</b> {examples:,} &nbsp; <b>steps/s</b> {rate:,.0f}"
            )
            colour = {"diverged": "#c62828", "error": "#c62828", "capped": "#ef6c00"}.get(
                state, "#444"
            )
            text = html.escape(_friendly(state, status, step))
            self.status.value = f'<span style="color:{colour}">{text}</span>'
            self.play.description = PAUSE if state == "running" else PLAY
            self.play.disabled = state in ("diverged", "error")

    def say(self, text: str, error: bool = False) -> None:
        """Show a note (or an error) under the controls; empty text clears it."""
        colour = "#c62828" if error else "#1565c0"
        self.message.value = (
            f'<span style="color:{colour}">{html.escape(text)}</span>' if text else ""
        )

    # ------------------------------------------------------------------ actions
    def _guard(self, action: Callable[[], None]) -> Callable[[object], None]:
        def on_click(_button: object) -> None:
            try:
                action()
            except Exception as error:  # a visitor sees a message, not a traceback
                self.say(f"{type(error).__name__}: {error}", error=True)

        return on_click

    def _driven(self) -> Runner:
        if self._runner is None:
            raise RuntimeError("these controls have no runner yet; set controls.runner first")
        return self._runner

    def _on_play(self) -> None:
        runner = self._driven()
        if runner.state == "running":
            runner.pause(timeout=0.5)
        else:
            self.say("")
            runner.resume()
        self.show_state(
            runner.state,
            runner.status,
            runner.step,
            runner.steps_per_second,
            runner.trainer.epoch,
            runner.trainer.examples_seen,
        )

    def _on_step(self) -> None:
        self._advance(1)

    def _on_epoch(self) -> None:
        self._advance(self._driven().trainer.steps_left_in_epoch)

    def _advance(self, steps: int) -> None:
        runner = self._driven()
        if runner.state == "running":
            runner.pause(timeout=0.5)
        runner.advance(steps)
        runner.wait(timeout=30)

    def _on_reset(self) -> None:
        if self._on_reset_hook is not None:
            self._on_reset_hook()
        else:
            self._driven().reset()
        self.say("")

    def _label_step(self, runner: Runner) -> None:
        trainer = runner.trainer
        if trainer.batch_size == 1:
            what = "1 example (stochastic gradient descent)"
        elif trainer.full_batch:
            what = f"all {trainer.n_train} examples (full batch = gradient descent)"
        else:
            what = f"1 mini-batch of {trainer.batch_size} examples"
        self.step.tooltip = f"One update on {what}, then pause"


def _friendly(state: str, status: str, step: int) -> str:
    """The runner's status line in the dashboard's words (buttons, not method names)."""
    if state == "idle":
        return f"ready at step {step}: press ▶ Play to train, or Step for one update"
    if state == "diverged":
        return status.split(" Training stopped;")[0] + " Press ⟲ Reset to start again."
    if state == "capped":
        return f"stopped by the time cap at step {step}: press ▶ Play to continue"
    if state == "stopped":
        return f"stopped at step {step}"
    if state == "error":
        return status.split(" (see runner.error")[0]
    if state == "running":  # the counters beside it say where: one message a refresh, not two
        return "training: press ‖ Pause to stop"
    return status
