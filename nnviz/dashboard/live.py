"""nnviz.live: attach views to a training run in one line.

    run = nnviz.live(trainer, views=["loss", "boundary", "network"])
    run            # shows Play/Pause/Step/Reset, the counters and the views; training runs in
                   # a background thread, so the notebook stays free
    run.runner     # the Runner, for scripted control: run.runner.pause(), .advance(100), ...

The probes the views need (LayerProbe for deltas and weights, FieldProbe for the input plane) are
added to the runner's callbacks unless the caller passes their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import ipywidgets as widgets

from nnviz.dashboard.run_controls import RunControls, session_cap
from nnviz.probes.field import FieldProbe
from nnviz.probes.layer import LayerProbe
from nnviz.training.runner import Runner
from nnviz.views import VIEWS, View, ViewGroup


class LiveRun(widgets.VBox):
    """Run controls above a set of views, all fed by one Runner."""

    def __init__(self, runner: Runner, views: Sequence[View]) -> None:
        self.runner = runner
        self.views = tuple(views)
        for view in self.views:
            names = [name for name, kind in VIEWS.items() if type(view) is kind]
            view.widget.add_class(f"nnviz-view-{names[0] if names else 'custom'}")
        self.controls = RunControls(runner)
        runner.subscribe(ViewGroup(self.views))
        super().__init__([self.controls, *(view.widget for view in self.views)])

    def close(self) -> None:
        """Stop training and close the widgets."""
        self.runner.close()
        super().close()


def make_views(views: Iterable[str | View]) -> list[View]:
    """View instances from names in VIEWS (or View instances, kept as they are)."""
    made = []
    for view in views:
        if isinstance(view, View):
            made.append(view)
        elif isinstance(view, str) and view in VIEWS:
            made.append(VIEWS[view]())
        else:
            raise ValueError(
                f"views must hold View instances or names among {', '.join(VIEWS)}; got {view!r}"
            )
    return made


def live(
    trainer,
    views: Iterable[str | View] = ("loss",),
    callbacks: Iterable = (),
    start: bool = True,
    interval: float = View.refresh_interval,
    max_steps: int | None = None,
    max_seconds: float | None = None,
) -> LiveRun:
    """Train `trainer` in the background with `views` attached; returns the dashboard widget."""
    if isinstance(views, (str, View)):
        views = [views]
    made = make_views(views)
    callbacks = list(callbacks)
    needs = {need for view in made for need in view.needs}
    if "probe" in needs and not any(isinstance(c, LayerProbe) for c in callbacks):
        callbacks.append(LayerProbe())
    if "field" in needs and not any(isinstance(c, FieldProbe) for c in callbacks):
        callbacks.append(FieldProbe())
    cap = session_cap() if max_seconds is None else max_seconds
    runner = Runner(trainer, callbacks, interval=interval, max_steps=max_steps, max_seconds=cap)
    run = LiveRun(runner, made)
    if start:
        runner.start()
    return run
