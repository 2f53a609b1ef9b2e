"""Learning-rate schedules: eta changed step by step during training, as a Trainer callback.

    schedule = LearningRateSchedule("cosine", total_steps=2000, warmup=100, final_lr=0.001)
    trainer.fit(steps=2000, callbacks=[schedule])

Before update t (t = 0, 1, 2, ... counts the updates already made), the schedule sets
eta_t = lr_at(t), with trainer.set_lr, so the update w <- w - eta_t dC/dw of any optimizer uses
it (momentum and Adam keep their state). `lr`, the peak, is the trainer's learning rate when
training starts, unless given; `final_lr`, where "cosine" ends, is lr / 100 unless given (it
must stay above 0: an update with eta = 0 would not be an update).

- warm-up: for the first `warmup` updates, eta rises linearly, eta_t = lr (t + 1) / warmup;
- "constant": lr after the warm-up;
- "step": lr multiplied by `factor` every `every` updates after the warm-up;
- "cosine": from lr down to `final_lr` over the updates left until `total_steps`, along half a
  cosine, eta_t = final_lr + (lr - final_lr) (1 + cos(pi s / S)) / 2, where s counts updates after
  the warm-up and S = total_steps - warmup; final_lr afterwards.

"step" and "cosine" are torch.optim.lr_scheduler's StepLR and CosineAnnealingLR (the tests
check them value by value); the warm-up is the linear one of Goyal et al. (2017).
"""

from __future__ import annotations

import math

from nnviz.core.callbacks import Batch, Callback
from nnviz.core.checks import check_choice, check_int, check_number
from nnviz.core.trainer_protocol import TrainerProtocol

SCHEDULES = ("constant", "step", "cosine")


class LearningRateSchedule(Callback):
    """A Trainer callback that sets eta before every update; see the module docstring."""

    def __init__(
        self,
        kind: str = "cosine",
        total_steps: int | None = None,
        warmup: int = 0,
        lr: float | None = None,
        final_lr: float | None = None,
        every: int = 100,
        factor: float = 0.5,
    ) -> None:
        self.kind = check_choice("kind", kind, SCHEDULES)
        self.warmup = check_int("warmup", warmup, minimum=0)
        self.total_steps: int | None
        if self.kind == "cosine":
            if total_steps is None:
                raise ValueError("total_steps is needed by the cosine schedule: the update at "
                                 "which eta reaches final_lr")  # fmt: skip
            self.total_steps = check_int("total_steps", total_steps, minimum=self.warmup + 1)
        else:
            self.total_steps = None if total_steps is None else check_int(
                "total_steps", total_steps, minimum=1
            )  # fmt: skip
        self.lr = None if lr is None else check_number("lr", lr, 0.0, strict_minimum=True)
        self._final_lr = None if final_lr is None else check_number(
            "final_lr", final_lr, 0.0, strict_minimum=True
        )  # fmt: skip
        if self.lr is not None:
            self._check_final(self.lr)
        self.every = check_int("every", every, minimum=1)
        self.factor = check_number("factor", factor, 0.0, maximum=1.0, strict_minimum=True)
        self.used: list[float] = []  # eta of every update this schedule has set, in order

    @property
    def final_lr(self) -> float | None:
        """Where "cosine" ends: as given, else lr / 100 (None until the peak lr is known)."""
        if self._final_lr is not None:
            return self._final_lr
        return None if self.lr is None else self.lr / 100

    def _check_final(self, lr: float) -> None:
        if self._final_lr is not None and self._final_lr > lr:
            raise ValueError(
                f"final_lr={self._final_lr:g} is above lr={lr:g}: a schedule decays eta"
            )

    @property
    def name(self) -> str:
        """A legend's words: "warm-up 100 + cosine", "step x0.5 every 500", "constant"."""
        kind = f"step x{self.factor:g} every {self.every}" if self.kind == "step" else self.kind
        return f"warm-up {self.warmup} + {kind}" if self.warmup else kind

    def lr_at(self, step: int, lr: float | None = None) -> float:
        """eta for the update after `step` updates (peak `lr`, by default the schedule's)."""
        peak = self.lr if lr is None else lr
        if peak is None:
            raise ValueError("lr_at needs lr: the schedule takes it from the trainer at the start")
        step = check_int("step", step, minimum=0)
        if step < self.warmup:
            return peak * (step + 1) / self.warmup
        after = step - self.warmup
        if self.kind == "constant":
            return peak
        if self.kind == "step":
            return peak * self.factor ** (after // self.every)
        final = self._final_lr if self._final_lr is not None else peak / 100
        assert self.total_steps is not None  # cosine: checked at construction
        span = self.total_steps - self.warmup
        if after >= span:
            return final
        return final + (peak - final) * (1 + math.cos(math.pi * after / span)) / 2

    # ------------------------------------------------------------------ the callback
    def on_fit_start(self, trainer: TrainerProtocol) -> None:
        """Take the peak eta from the trainer, unless it was given."""
        if not hasattr(trainer, "set_lr"):
            raise TypeError(f"LearningRateSchedule needs a trainer with set_lr (nnviz.Trainer); "
                            f"got {type(trainer).__name__}")  # fmt: skip
        if self.lr is None:
            self.lr = float(trainer.lr)  # type: ignore[attr-defined]
            self._check_final(self.lr)

    def on_train_batch_start(self, trainer: TrainerProtocol, batch: Batch) -> None:
        """Set eta for the update about to be made."""
        eta = self.lr_at(trainer.step_count)
        trainer.set_lr(eta)  # type: ignore[attr-defined]
        self.used.append(eta)

    def __repr__(self) -> str:
        return (f"LearningRateSchedule({self.kind!r}, total_steps={self.total_steps}, "
                f"warmup={self.warmup}, lr={self.lr}, final_lr={self.final_lr})")  # fmt: skip
