"""Divergence: when training has stopped making sense, and what to tell the learner.

Two ways to diverge: the loss becomes inf or nan (a step's C or lambda R is not finite), or, with
`factor`, the loss C_total averaged over ~50 steps stays `factor` times above its value at the
start: with cross-entropy a too-large lr rarely reaches inf, it swings the network into confident
wrong answers instead.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class DivergenceWatch:
    """The start loss and the running average of C_total that the slow kind of divergence reads."""

    def __init__(self, factor: float | None) -> None:
        self.factor = factor  # None: only inf/nan count
        self.reset()

    def reset(self) -> None:
        """Forget the run: the next step measures the start loss again."""
        self.start_loss: float | None = None  # C_total over the training set at step 0
        self.running_loss = 0.0  # exponential average of the batch C_total, over ~50 steps

    def start(self, loss: float) -> None:
        """Take C_total over the training set before the first update."""
        self.start_loss = self.running_loss = loss

    def swung(self) -> bool:
        """Whether the running average is `factor` times the start loss (after start())."""
        return (
            self.factor is not None
            and self.start_loss is not None
            and self.running_loss > self.factor * self.start_loss
        )

    def track(self, total: float) -> None:
        """Fold one step's batch C_total into the running average."""
        self.running_loss += 0.02 * (total - self.running_loss)

    def swung_message(self, step: int, lr: float) -> str:
        """What a learner reads when the running average swung up at `step`."""
        return (
            f"Diverged at step {step}: the loss C_total, averaged over the last ~50 "
            f"steps, is {self.running_loss:.4g}, more than {self.factor:g} times "
            f"its value at the start ({self.start_loss:.4g}), with lr={lr:g}. The updates "
            "overshoot and the network swings into confident wrong answers; try a smaller "
            "learning rate. Training stopped; the history is kept, and the parameters as of "
            f"step {step - 1}."
        )


def keep_finite_parameters(parameters: list[nn.Parameter], before: list[torch.Tensor]) -> bool:
    """Leave the last finite parameters in the model: those in it now if they are finite, else
    `before` (as they were before the update that broke them). Returns whether it went back."""
    with torch.no_grad():
        if all(bool(torch.isfinite(p).all()) for p in parameters):
            return False
        torch._foreach_copy_([p.data for p in parameters], before)
    return True


def blow_up_message(step: int, values: tuple[float, float], lr: float, kept: int) -> str:
    """What a learner reads when step `step` made (C, lambda R) = `values` not finite."""
    what = "data loss C" if not math.isfinite(values[0]) else "penalty lambda*R"
    return (
        f"Diverged at step {step}: the {what} became {values[0] + values[1]} "
        f"with lr={lr:g}. The updates overshoot and grow instead of shrinking the "
        "loss; try a smaller learning rate. Training stopped; the history is kept, and the "
        f"parameters as of step {kept} (the last finite ones; step 0 is the start)."
    )
