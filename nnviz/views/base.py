"""View: the base of every live view. Input -> store -> output, in one direction.

A view receives RunnerUpdates (records: plain floats and numpy arrays), keeps what it needs and
redraws its figure inside one `batch_update()`, so each refresh is one message per figure. It
never imports torch and never reads the trainer back.

    runner.subscribe(view)       # view(update): keeps every update, redraws at most every
                                 # `refresh_interval` seconds, and always on the final one
    runner.subscribe(ViewGroup(views))  # the same for several views, whose redraws after
                                 # one update reach the browser as one message
    view.update(update)          # keep and redraw now (tests, notebooks)

Views send only what changed since their last draw: only_changed keeps what was sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

import ipywidgets as widgets
import numpy as np

from nnviz.core.records import RunnerUpdate
from nnviz.views.figure import Figure, make_figure
from nnviz.views.wire import one_message

BROWSER_PATIENCE = 5.0  # s without an acknowledgement before a view sends again anyway


class View:
    """Owns `figure` (and any controls in `widget`); subclasses implement ingest/draw/clear."""

    # Seconds between redraws while training: 25 a second, if the browser keeps up (each view
    # waits for the browser's acknowledgement of its previous redraw before it sends the next).
    refresh_interval = 0.04
    # Which records the view reads: "probe" (a LayerProbe's ProbeRecord) and/or "field" (a
    # FieldProbe's FieldRecord); nnviz.live adds those probes to the run.
    needs: tuple[str, ...] = ()

    def __init__(self, height: int = 300, width: int | None = None) -> None:
        self.figure: Figure = make_figure(height=height, width=width)
        self._lock = threading.RLock()  # the training thread and widget callbacks both draw
        self._last_draw = self._next_draw = -float("inf")
        self.draws = 0  # redraws sent so far: what tests and benchmarks count

    # ------------------------------------------------------------------ the subscriber
    def __call__(self, update: RunnerUpdate) -> None:
        """Subscriber entry point: keep `update`, redraw if due (always when training halts)."""
        with self._lock:
            self._keep(update)
            now = time.monotonic()
            since = now - self._last_draw
            due = now >= self._next_draw - 0.001  # a clock a hair early still counts
            # Backpressure: a browser still drawing the previous refresh gets no new one (for up
            # to BROWSER_PATIENCE s, in case its acknowledgement was lost or the page closed),
            # so a slow machine sees the newest state late by one refresh, never by a backlog.
            busy = self.figure.awaiting_browser and since < BROWSER_PATIENCE
            if update.state != "running" or (due and not busy):
                self._draw_now(now)

    def update(self, update: RunnerUpdate) -> None:
        """Keep `update` and redraw at once."""
        with self._lock:
            self._keep(update)
            self._draw_now(time.monotonic())

    def redraw(self) -> None:
        """Redraw from what the view holds (after a control such as log-y changed)."""
        with self._lock:
            self._draw_now(time.monotonic())

    def _keep(self, update: RunnerUpdate) -> None:
        if update.step == 0 and update.state == "idle":  # after runner.reset(): start over
            self.clear()
        self.ingest(update)

    def _draw_now(self, now: float) -> None:
        # Due again one interval after this redraw was due, not after it happened: the runner
        # calls at its own ticks, so a view drawn a little late catches up at the next one and
        # keeps refresh_interval on average (credit for half an interval at most).
        self._next_draw = max(self._next_draw + self.refresh_interval,
                              now + self.refresh_interval / 2)  # fmt: skip
        self._last_draw = now
        with self.figure.batch_update():
            self.draw()
        self.draws += 1

    # ------------------------------------------------------------------ for subclasses
    def ingest(self, update: RunnerUpdate) -> None:
        """Keep what this view needs from `update` (cheap: runs on every update)."""

    def draw(self) -> None:
        """Write the kept data into the figure's traces (inside batch_update)."""

    def clear(self) -> None:
        """Forget the run (after a reset): the next updates start over."""

    # ------------------------------------------------------------------ display
    @property
    def widget(self) -> widgets.Widget:
        """What to place in a layout: the figure, plus the view's controls if it has any."""
        return self.figure

    def _repr_mimebundle_(self, **kwargs: object):
        return self.widget._repr_mimebundle_(**kwargs)


class ViewGroup:
    """Several views as one subscriber: each sees every update as it would subscribed alone,
    and the figures they redraw for one update go to the browser as one message (one_message):
    a dashboard's refresh is one websocket message, not one per view. A view that raises does
    not stop the others; the first error is raised once they have all run."""

    def __init__(self, views: Iterable[View]) -> None:
        self.views = tuple(views)

    def __call__(self, update: RunnerUpdate) -> None:
        """Pass `update` to every view, gathering their messages into one."""
        failure = None
        with one_message():
            for view in self.views:
                try:
                    view(update)
                except Exception as error:  # the runner reports it; the other views still draw
                    failure = failure or error
        if failure is not None:
            raise failure


def only_changed(sent: dict, values: dict, prefix: object = None) -> dict:
    """The entries of `values` that differ from what `sent` records under (prefix, key), which
    are recorded as sent: what a view need not resend (equal arrays, titles, settings)."""
    changed = {}
    for key, value in values.items():
        old = sent.get((prefix, key), sent)  # `sent` itself: a marker for never sent
        if isinstance(value, np.ndarray) or isinstance(old, np.ndarray):
            same = isinstance(old, np.ndarray) and np.array_equal(old, value, equal_nan=True)
        else:
            same = old is not sent and type(old) is type(value) and old == value
        if not same:
            changed[key] = sent[prefix, key] = value
    return changed
