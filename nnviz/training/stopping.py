"""Early stopping: end a fit once the validation loss has stopped improving, and keep the
parameters of its best evaluation.

    data = nnviz.make_dataset("circle", noise=0.3, validation_fraction=0.25)
    trainer = nnviz.Trainer(model, data, eval_every=50)
    stopper = nnviz.EarlyStopping(patience=5)
    trainer.fit(steps=20_000, callbacks=[stopper])
    trainer.stop_message   # "Stopped early at step 1750: ..."; the model holds step 1250's weights

The validation split is held out of training (Dataset.with_validation), so choosing when to stop
by it leaves the test set as an honest estimate of what the network does on new data.
"""

from __future__ import annotations

import math

import torch

from nnviz.core.callbacks import Callback
from nnviz.core.checks import check_int, check_number
from nnviz.core.records import StepRecord
from nnviz.core.trainer_protocol import TrainerProtocol


class EarlyStopping(Callback):
    """Stop when the validation loss has not improved by more than `min_delta` for `patience`
    evaluations in a row (evaluations come every `eval_every` updates, or at each epoch's end);
    with `restore_best`, put back the parameters of the best evaluation when it stops."""

    def __init__(self, patience: int = 5, min_delta: float = 0.0, restore_best: bool = True):
        self.patience = check_int("patience", patience, minimum=1)
        self.min_delta = check_number("min_delta", min_delta, minimum=0.0)
        if not isinstance(restore_best, bool):
            raise TypeError(f"restore_best must be True or False; got {restore_best!r}")
        self.restore_best = restore_best
        self._reset()

    def _reset(self) -> None:
        self.best_loss = math.inf  # the lowest validation loss seen
        self.best_step: int | None = None  # the update after which it was measured
        self.stopped_at: int | None = None  # the update after which the fit was stopped
        self.waited = 0  # evaluations since the best one
        self.best_parameters: dict[str, torch.Tensor] | None = None  # a copy, at best_step

    def on_fit_start(self, trainer: TrainerProtocol) -> None:
        """Check that the data has a validation split, and start counting afresh."""
        data = getattr(trainer, "data", None)
        if data is None or getattr(data, "X_val", None) is None:
            name = getattr(data, "name", "the data")
            raise ValueError(
                f"EarlyStopping watches the validation loss, and {name!r} has no validation "
                "split: make the data with validation_fraction=0.2 (make_dataset) or "
                "data.with_validation(0.2)"
            )
        if not hasattr(trainer, "request_stop"):
            raise TypeError(f"EarlyStopping needs a trainer with request_stop (nnviz.Trainer); "
                            f"got {type(trainer).__name__}")  # fmt: skip
        self._reset()

    def on_train_batch_end(self, trainer: TrainerProtocol, record: StepRecord) -> None:
        """At an evaluation: keep a new best, or count one more without improvement."""
        evaluation = record.evaluation
        if evaluation is None:
            return
        loss = evaluation.val_loss
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_step, self.waited = loss, record.step, 0
            self.best_parameters = {
                name: value.detach().clone() for name, value in trainer.model.state_dict().items()
            }
            return
        self.waited += 1
        if self.waited < self.patience:
            return
        self.stopped_at = record.step
        kept = f"step {self.best_step}'s"
        if self.restore_best and self.best_parameters is not None:
            trainer.model.load_state_dict(self.best_parameters)
            parameters = f"the parameters are {kept} again"
        else:
            parameters = f"the parameters are step {record.step}'s (restore_best=False)"
        trainer.request_stop(  # type: ignore[attr-defined]
            f"Stopped early at step {record.step}: the validation loss has not improved for "
            f"{self.patience} evaluation{'s' * (self.patience > 1)} (best {self.best_loss:.3f} "
            f"at step {self.best_step}, now {loss:.3f}); {parameters}."
        )

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta:g}, "
                f"restore_best={self.restore_best})")  # fmt: skip
