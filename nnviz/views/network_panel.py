"""The equations panel under NetworkView: the selected neuron's forward and backward equations
with the current numbers (nnviz.explain_neuron), as MathML the browser typesets or as text."""

from __future__ import annotations

import html
import time

import ipywidgets as widgets

from nnviz.core.records import ProbeRecord
from nnviz.explain.neuron import explain_neuron
from nnviz.mathml import mathml

EXPLAIN_FORMATS = ("latex", "text")
PANEL_SECONDS = 0.5  # the equations' refresh while training: new numbers twice a second
HINT = "Click a neuron (or pick one in the list) to see its equations with the current numbers."


class EquationPanel:
    """An HTML widget with one neuron's equations, refreshed at most every PANEL_SECONDS while
    training: readable, and the kernel converts the equations (~7 ms, ~10 KB of MathML) twice a
    second, not at every refresh."""

    def __init__(self) -> None:
        # MathML, typeset by the browser at every change; wide sums scroll sideways.
        self.widget = widgets.HTML(HINT, layout=widgets.Layout(overflow="auto"))
        self._shown_at = -float("inf")  # when the text last changed

    def reset(self) -> None:
        """Show the hint again (no run to explain)."""
        self.widget.value = HINT

    def show(
        self,
        probe: ProbeRecord | None,
        selected: tuple[int, int] | None,
        example: int,
        explain_format: str,
        running: bool,
        force: bool = False,
    ) -> None:
        """Write the equations of `selected` (layer, neuron from 1) for row `example` of the
        probe's batch, in `explain_format` (one of EXPLAIN_FORMATS); while `running` at most
        every PANEL_SECONDS unless `force`."""
        now = time.monotonic()
        if force or not running or now - self._shown_at >= PANEL_SECONDS:
            text = panel_text(probe, selected, example, explain_format)
            if text != self.widget.value:
                self.widget.value = text
                self._shown_at = now


def panel_text(
    probe: ProbeRecord | None, selected: tuple[int, int] | None, example: int, explain_format: str
) -> str:
    """The panel's HTML: MathML or <pre> text, or why there is nothing to explain."""
    if selected is None or probe is None:
        return HINT
    layer, neuron = selected
    try:
        text = explain_neuron(probe, layer, neuron, example, explain_format)
    except ValueError as error:  # e.g. a probe with arrays=False: say why, do not raise
        return html.escape(str(error))
    if explain_format == "latex":
        return mathml(text)
    return f"<pre>{html.escape(text)}</pre>"
