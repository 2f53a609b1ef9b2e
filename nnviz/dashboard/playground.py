"""Playground: TensorFlow Playground's dashboard, rebuilt on nnviz, as one ipywidget.

    Playground()                                   # TF Playground's defaults
    Playground.from_query("?dataset=spiral&hidden=8,8&lr=0.03&hide=noise,lr")
    Playground.from_query()                        # in Voila: the page's own query string

State: one PlaygroundConfig (nnviz/playground/config.py) that round-trips through to_dict/to_query.
A change applies as cheaply as it can: views only (show test, discretize), live (the learning
rate, while training), or a rebuilt run (data, network, trainer) with a note saying that it was
reset. Training runs in a Runner's thread; the views are its subscribers. Where each piece goes
on the page is nnviz.dashboard.playground_layout's.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import ipywidgets as widgets

from nnviz.dashboard.controls import SettingsPanel, widget_tree
from nnviz.dashboard.playground_layout import arrange, check_hide, lenient_hide, size_views
from nnviz.dashboard.run_controls import RunControls, session_cap
from nnviz.playground.config import PlaygroundConfig
from nnviz.probes.field import FieldProbe
from nnviz.probes.layer import LayerProbe
from nnviz.training.runner import Runner
from nnviz.views import VIEWS, DecisionBoundaryView, View, ViewGroup

# Training faster than this shows nothing more (TF Playground: 37), and on a small machine the
# browser drawing the page needs the CPU the training thread would take; None: no limit.
MAX_EPOCHS_PER_SECOND = 200.0
RESET_NOTES = {
    "data": "a new data set and network",
    "model": "a new network",
    "trainer": "fresh initial weights (batching, optimizer and penalty are fixed per run)",
}


class Playground(widgets.VBox):
    """The full dashboard: settings, run controls, and the views of one live run."""

    runner: Runner  # the live run, replaced whenever a change needs a rebuilt one

    def __init__(
        self,
        config: PlaygroundConfig | None = None,
        hide: Iterable[str] = (),
        data=None,
        max_seconds: float | None = None,
        probe_every: int = 10,
        messages: Iterable[str] = (),
        max_epochs_per_second: float | None = MAX_EPOCHS_PER_SECOND,
    ) -> None:
        from ipywidgets.widgets.widget import _instances

        before = set(_instances)  # to close every widget made here, placed or not (close())
        self.hide = check_hide(hide)
        self.data = data  # the user's own Dataset: config.dataset "custom"
        self.max_seconds = session_cap() if max_seconds is None else max_seconds
        self.probe_every = probe_every
        self.max_epochs_per_second = max_epochs_per_second
        config = config or PlaygroundConfig(dataset="custom" if data is not None else "circle")
        if not isinstance(config, PlaygroundConfig):
            raise TypeError(f"config must be a PlaygroundConfig; got {config!r}")
        self.config = config
        self.settings = SettingsPanel(self._on_setting, custom=data is not None)
        # The boundary's show-test and discretize boxes are settings here (they go in the link).
        options = {"boundary": {"controls": False}}
        self.views = {
            name: VIEWS[name](**options.get(name, {})) for name in VIEWS if name not in self.hide
        }
        for name, view in self.views.items():
            view.widget.add_class(f"nnviz-view-{name}")  # stable hooks for pages and tests
        size_views(self.views)
        self.run_controls = RunControls()
        self.share = widgets.Text(
            description="Preset link",
            tooltip="This setup as a query string: add it to the dashboard's address to share it",
        )
        self.share.layout = widgets.Layout(width="100%")
        self._build_run()
        self._apply_views()
        self.say(list(messages))
        super().__init__(arrange(self.settings.rows, self.hide, self.run_controls, self.views,
                                 self.share))  # fmt: skip
        self.add_class("nnviz-playground")
        self._made = [_instances[key] for key in set(_instances) - before]

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def from_dict(cls, settings: dict, **options: Any) -> Playground:
        """A Playground from a dict (to_dict's form); bad values become messages."""
        settings = dict(settings) if isinstance(settings, dict) else settings
        hide = settings.pop("hide", ()) if isinstance(settings, dict) else ()
        config, messages = PlaygroundConfig.from_dict(settings)
        hide, more = lenient_hide(hide)
        return cls(
            config, hide=[*hide, *options.pop("hide", ())], messages=messages + more, **options
        )

    @classmethod
    def from_query(cls, query: str | None = None, **options: Any) -> Playground:
        """A Playground from a URL query string; None reads Voila's QUERY_STRING.

        In a preheated Voila kernel (query None) the Playground is built with the defaults
        while the kernel waits for its page, and set to the page's query once it arrives: the
        widgets' creation (0.8 s here, most of it a comm_open message per widget) is then done
        before anyone asked (all but the hidden-layer rows of another network), and the page's
        HTML comes sooner. A query that hides controls or views builds anew (what exists is
        fixed at construction), as do `options`."""
        waiting = query is None and not options and os.environ.get("VOILA_PREHEAT") == "True"
        early = cls() if waiting else None
        if query is None:
            query = voila_query_string()
        query = query if isinstance(query, str) else ""
        pairs = parse_qsl(query.partition("?")[2] if "?" in query else query)
        hide = [p for key, value in pairs if key == "hide" for p in value.split(",") if p]
        rest = urlencode([(key, value) for key, value in pairs if key != "hide"])
        config, messages = PlaygroundConfig.from_query(rest)
        hide, more = lenient_hide(hide)
        if early is not None and not hide:
            early._apply(config, messages + more, quiet=True)
            return early
        if early is not None:
            early.close()
        return cls(
            config, hide=[*hide, *options.pop("hide", ())], messages=messages + more, **options
        )

    def to_dict(self) -> dict:
        """The whole state as plain values (with `hide` when controls are hidden)."""
        state = self.config.to_dict()
        if self.hide:
            state["hide"] = list(self.hide)
        return state

    def to_query(self) -> str:
        """The state as a query string: only what differs from the defaults."""
        query = self.config.to_query()
        if self.hide:
            query = "&".join(filter(None, [query, "hide=" + ",".join(self.hide)]))
        return query

    @property
    def widget(self) -> widgets.Widget:
        """The Playground is itself the widget."""
        return self

    # ------------------------------------------------------------------ changes
    def set(self, **changes: object) -> list[str]:
        """Change settings as the controls do; returns the messages shown."""
        merged = {**self.config.to_dict(), **changes}
        config, messages = PlaygroundConfig.from_dict(merged)
        self._apply(config, messages)
        return messages

    def _on_setting(self, name: str, value: object) -> None:
        try:
            self.set(**{name: value})
        except Exception as error:  # a visitor sees a message, never a traceback
            self.say([f"{name}: {type(error).__name__}: {error}"], error=True)

    def _apply(self, config: PlaygroundConfig, messages: list[str], quiet: bool = False) -> None:
        """Switch to `config`, rebuilding the run as far as it needs; `quiet`: as if built with
        it (a preheated page's query), without the note of what changed."""
        old, self.config = self.config, config
        level = old.needs_reset(config)
        notes = list(messages)
        if level in RESET_NOTES:
            changed = ", ".join(old.changed(config))
            was_running = self.runner.state == "running"
            self._build_run()
            if not quiet:
                notes.append(
                    f"Changed {changed}: {RESET_NOTES[level]}; training restarts from step 0"
                    + (", press Play to continue." if was_running else ".")
                )
        elif level == "live" and quiet:
            self._build_run()  # a fresh run, as a Playground built with this learning rate
        elif level == "live":
            self.runner.trainer.set_lr(config.lr)
            notes.append(f"Learning rate now {config.lr:g}, from step {self.runner.step}.")
        self._apply_views()
        self.settings.show(config, self.runner.trainer.n_train)
        self.share.value = "?" + self.to_query()
        self.say(notes)

    def _apply_views(self) -> None:
        boundary = self.views.get("boundary")
        if isinstance(boundary, DecisionBoundaryView):
            boundary.show_test = self.config.show_test
            boundary.discretize = self.config.discretize

    def _build_run(self) -> None:
        previous: Runner | None = getattr(self, "runner", None)  # None while constructing
        if previous is not None:
            previous.close()
        data, _model, trainer = self.config.build(self.data)
        self.dataset = data
        # 12 x 12 thumbnails (TF Playground: 10 x 10): what a 40 px square shows, ~half the bytes
        callbacks = [LayerProbe(every=self.probe_every), FieldProbe(thumbnail=12)]
        cap = self.max_epochs_per_second
        self.runner = Runner(
            trainer, callbacks, interval=View.refresh_interval, max_seconds=self.max_seconds,
            max_steps_per_second=None if cap is None else cap * trainer.steps_per_epoch,
        )  # fmt: skip
        # The controls first: subscribers are called in order, and the browser draws messages
        # in order, so after Pause the counters and status go out ahead of the views' redraws.
        self.run_controls.runner = self.runner
        self.runner.subscribe(ViewGroup(self.views.values()))
        self.runner.reset()  # one step-0 update: every view draws the fresh network
        self.settings.show(self.config, trainer.n_train)
        self.share.value = "?" + self.to_query()

    def say(self, messages: list[str], error: bool = False) -> None:
        """Show notes (escaped: they may quote what a visitor typed) under the run controls."""
        text = "<br>".join(html.escape(m) for m in messages)
        colour = "#c62828" if error else "#1565c0"
        self.run_controls.message.value = f'<span style="color:{colour}">{text}</span>'

    def close(self) -> None:
        """Stop training and close every widget of the dashboard."""
        # getattr: a constructor that refused its arguments leaves no runner and no views
        runner: Runner | None = getattr(self, "runner", None)
        if runner is not None:
            runner.close()
        tops = [self, *(view.widget for view in getattr(self, "views", {}).values())]
        made = getattr(self, "_made", [])  # with the controls that hide= left out of the page
        inside = [*made, *(w for top in tops for w in widget_tree(top))]
        for widget in {id(w): w for w in inside}.values():
            if widget is not self:
                widget.close()
        super().close()


def voila_query_string() -> str:
    """The page's query string in Voila ("" elsewhere); a preheated kernel waits for its page.

    A preheated kernel runs the notebook before anyone asks for it, when there is no query yet:
    Voila's wait_for_request blocks until the page request arrives and fills QUERY_STRING. Outside
    a preheated kernel (plain Voila, JupyterLab, nbval) it returns at once.
    """
    if os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import wait_for_request

        wait_for_request()
    return os.environ.get("QUERY_STRING", "")
