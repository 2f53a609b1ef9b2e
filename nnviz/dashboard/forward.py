"""ForwardExplorer: pick an input point, see z and a of every neuron with the arithmetic shown.

    explorer = nnviz.ForwardExplorer(model, x1=0.5, x2=-1.0)
    explorer            # two sliders for the point, then every layer's equations, filled in

Each slider move runs forward_pass (float64 numpy, no training) and writes explain_forward's
LaTeX into one HTMLMath widget: a forward pass of a lesson-sized network takes well under a
millisecond, so the equations follow the slider as it moves.
"""

from __future__ import annotations

import ipywidgets as widgets

from nnviz.core.checks import check_number
from nnviz.core.model import MLP
from nnviz.explain.forward import explain_forward
from nnviz.lessons.forward_propagation import forward_pass


class ForwardExplorer(widgets.VBox):
    """Sliders for a 2-D input point above the forward equations of every neuron."""

    def __init__(self, model: MLP, x1: float = 0.5, x2: float = -1.0, limit: float = 6.0) -> None:
        if not isinstance(model, MLP) or model.n_inputs != 2:
            raise ValueError(f"model must be an nnviz.MLP with 2 inputs (x1, x2); got {model!r}")
        limit = check_number("limit", limit, minimum=0.0, strict_minimum=True)
        self.model = model
        options = {"min": -limit, "max": limit, "step": 0.1, "continuous_update": True}
        self.x1 = widgets.FloatSlider(
            value=check_number("x1", x1, minimum=-limit, maximum=limit),
            description="x₁ = a₁⁰",
            **options,
        )
        self.x2 = widgets.FloatSlider(
            value=check_number("x2", x2, minimum=-limit, maximum=limit),
            description="x₂ = a₂⁰",
            **options,
        )
        self.equations = widgets.HTMLMath(layout=widgets.Layout(overflow="auto"))
        for slider in (self.x1, self.x2):
            slider.observe(self._on_point_change, names="value")
        self._on_point_change()
        super().__init__([widgets.HBox([self.x1, self.x2]), self.equations])

    @property
    def record(self):
        """The forward pass at the chosen point (a ProbeRecord of one example)."""
        return forward_pass(self.model, [self.x1.value, self.x2.value])

    def _on_point_change(self, change: dict | None = None) -> None:
        self.equations.value = f"$${explain_forward(self.record, format='latex')}$$"
