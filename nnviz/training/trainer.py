"""Trainer: mini-batch gradient descent on C_total = C + lambda R, one update per step(),
with callbacks, bounded history and divergence detection (nnviz.training.divergence).

batch_size=None is full-batch gradient descent, 1 is stochastic gradient descent, anything in
between is mini-batch; the training set is reshuffled at the start of every epoch.

An engine computes each step (nnviz.training.engine): "autograd" (torch builds the graph and
differentiates it) or "numpy" (the seed's equations written out, several times faster on the
lessons' small networks, where it is exact); "auto" picks numpy where it can
(nnviz.training.compatibility). The Trainer owns the order of events, the counters and the records.

One piece at ~400 lines: the argument checks, the step's order of events (hooks, counters,
history, records, evaluation) and the session share one set of counters; what stands alone is in
its own module (engines, compatibility, configuration, divergence).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch import nn

from nnviz.core.callbacks import Batch, Callback, CallbackList
from nnviz.core.checks import check_choice, check_int, check_number
from nnviz.core.history import History
from nnviz.core.losses import Loss, get_loss
from nnviz.core.records import Evaluation, StepRecord
from nnviz.core.trainer_protocol import LayerValues
from nnviz.data.dataset import Dataset
from nnviz.training.autograd_engine import AutogradEngine
from nnviz.training.compatibility import ENGINES, choose_engine
from nnviz.training.configuration import (
    check_data,
    check_device,
    check_loss_fits,
    check_sizes,
    output_width,
)
from nnviz.training.divergence import DivergenceWatch, blow_up_message, keep_finite_parameters
from nnviz.training.engine import Engine, TrainingSets
from nnviz.training.numpy_engine import NumpyEngine

OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZATIONS = ("none", "l1", "l2")


class Trainer:
    """Trains `model` on `data` (an nnviz Dataset); see the module docstring."""

    def __init__(
        self,
        model: nn.Module,
        data: Dataset,
        lr: float = 0.03,
        batch_size: int | None = 10,
        optimizer: str = "sgd",
        regularization: str | None = None,
        reg_rate: float = 0.0,
        loss: str | Loss | None = None,
        seed: int = 0,
        device: str | torch.device = "cpu",
        eval_every: int | None = None,
        history_size: int = 10_000,
        momentum: float = 0.9,
        divergence_factor: float | None = 5.0,
        engine: str = "auto",
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module such as nnviz.MLP; got {model!r}")
        check_data(data)
        self.device = check_device(device)
        self.model = model.to(self.device)
        self.model.eval()  # dropout and the like: on only inside a training forward pass
        self.data = data
        self.n_train = int(data.X_train.shape[0])
        check_sizes(model, data)
        n_outputs = output_width(model, data)
        self.loss = get_loss(loss, data.task, n_outputs)
        # Squared error on class labels (TF Playground's choice) is scored by accuracy, not R^2.
        self.metric = "r2" if data.task == "regression" else "accuracy"
        labels_by_squares = self.loss.name == "mse" and data.task == "classification"
        check_loss_fits(self.loss, n_outputs, data)
        self.lr = check_number("lr", lr, minimum=0.0, strict_minimum=True)
        if batch_size is None:
            self.batch_size = self.n_train
        else:
            self.batch_size = check_int("batch_size", batch_size, minimum=1, maximum=self.n_train)
        self.full_batch = self.batch_size == self.n_train
        self.optimizer_name = check_choice("optimizer", optimizer, OPTIMIZERS)
        self._plain_sgd = self.optimizer_name == "sgd"
        self.momentum = check_number("momentum", momentum, minimum=0.0, maximum=1.0)
        self.regularization = check_choice(
            "regularization", "none" if regularization is None else regularization, REGULARIZATIONS
        )
        self.reg_rate = check_number("reg_rate", reg_rate, minimum=0.0)
        if self.regularization == "none" and self.reg_rate > 0:
            raise ValueError(
                f"reg_rate={reg_rate} has no effect with regularization={regularization!r}; "
                "choose regularization='l1' or 'l2', or set reg_rate=0"
            )
        self.seed = check_int("seed", seed)
        self.eval_every = None if eval_every is None else check_int("eval_every", eval_every, 1)
        self.divergence_factor = (
            None
            if divergence_factor is None
            else check_number("divergence_factor", divergence_factor, 1.0, strict_minimum=True)
        )
        self._divergence = DivergenceWatch(self.divergence_factor)
        self.history = History(capacity=check_int("history_size", history_size, minimum=1))

        self._sets = TrainingSets(
            data.X_train.to(self.device, torch.float32),
            self.loss.prepare_targets(data.y_train, n_outputs).to(self.device),
            data.X_test.to(self.device, torch.float32),
            self.loss.prepare_targets(data.y_test, n_outputs).to(self.device),
            n_outputs,
            *self._validation_sets(data, n_outputs),
        )
        self._parameters = list(self.model.parameters())
        self.engine = choose_engine(
            check_choice("engine", engine, ENGINES), self.model, self.loss, self.device
        )
        engine_class = NumpyEngine if self.engine == "numpy" else AutogradEngine
        self._engine: Engine = engine_class(
            self.model, self.loss, self.regularization, self.reg_rate, self._sets, labels_by_squares
        )
        self._callbacks = CallbackList()
        self._in_session = False
        self.reset(reinitialize=False)

    # ----------------------------------------------------------------------------- set-up
    def reset(self, reinitialize: bool = True) -> None:
        """Start over: counters, history, optimizer state, shuffling; new initial weights too."""
        reset_parameters = getattr(self.model, "reset_parameters", None)
        if reinitialize and callable(reset_parameters):
            reset_parameters()
        # Plain SGD updates the parameters itself (see _update): its torch.optim object is made
        # only if someone asks for it, because constructing one imports torch's compiler stack,
        # ~1.5 s added to the start of every lesson and dashboard.
        self._optimizer = None if self._plain_sgd else self._make_optimizer()
        self.step_count = 0
        self.epoch = 0
        self.examples_seen = 0
        self.elapsed = 0.0
        self.diverged: int | None = None
        self.divergence_message = ""
        self.stop_message = ""  # why the latest fit stopped before its steps (request_stop)
        self._stop_requested = False
        self._divergence.reset()
        self.history.clear()
        self._generator = torch.Generator().manual_seed(self.seed)
        self._position = 0  # index of the next example within the current epoch's order
        self._order = torch.arange(self.n_train)
        # All parameters as they were before the latest update, in one flat buffer: what the
        # step's forward pass used (probes read it) and what a divergence falls back to.
        sizes = [p.numel() for p in self._parameters]
        self.parameters_before_step = torch.cat([p.detach().reshape(-1) for p in self._parameters])
        self._before_views = [
            chunk.view(p.shape)
            for chunk, p in zip(
                self.parameters_before_step.split(sizes), self._parameters, strict=True
            )
        ]
        self._engine.bind_before_step(self._before_views)

    def _make_optimizer(self) -> torch.optim.Optimizer:
        if self.optimizer_name == "adam":
            return torch.optim.Adam(self._parameters, lr=self.lr)
        momentum = self.momentum if self.optimizer_name == "momentum" else 0.0
        return torch.optim.SGD(self._parameters, lr=self.lr, momentum=momentum)

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        """The torch.optim optimizer (for plain SGD made on first use; its steps are nnviz's)."""
        if self._optimizer is None:
            self._optimizer = self._make_optimizer()
        return self._optimizer

    def set_lr(self, lr: float) -> None:
        """Change the learning rate eta from the next update on (optimizer state is kept)."""
        self.lr = check_number("lr", lr, minimum=0.0, strict_minimum=True)
        if self._optimizer is not None:
            for group in self._optimizer.param_groups:
                group["lr"] = self.lr

    @property
    def steps_per_epoch(self) -> int:
        """Updates in one pass over the training set (the last batch may be smaller)."""
        return -(-self.n_train // self.batch_size)

    @property
    def steps_left_in_epoch(self) -> int:
        """Updates until the current epoch ends (a whole epoch's at its start)."""
        return self.steps_per_epoch - self._position // self.batch_size

    # ----------------------------------------------------------------------------- training
    @contextlib.contextmanager
    def session(self, callbacks: Iterable[Callback] = ()) -> Iterator[Trainer]:
        """Attach `callbacks` for a stretch of steps: on_fit_start now, on_fit_end on leaving."""
        if self._in_session:
            # Two sessions (a fit() in a cell while a Runner trains, say) would swap each
            # other's callbacks and race on the counters: refuse the second.
            raise RuntimeError(
                "this Trainer is already training (a fit() or a Runner is in progress); "
                "pause or stop the Runner first"
            )
        previous = self._callbacks
        self._callbacks = CallbackList(callbacks)
        self._in_session = True
        try:
            with self._engine.quiet():  # once for all the session's steps
                self._callbacks.on_fit_start(self)
                yield self
        finally:
            try:
                self._callbacks.on_fit_end(self)
            finally:
                self._callbacks = previous
                self._in_session = False

    def fit(
        self,
        steps: int | None = None,
        epochs: int | None = None,
        callbacks: Iterable[Callback] = (),
        progress: bool = False,
    ) -> History:
        """Take `steps` updates or `epochs` passes (one of them), stopping early on divergence."""
        if (steps is None) == (epochs is None):
            raise ValueError(
                f"fit needs exactly one of steps or epochs; got steps={steps!r}, epochs={epochs!r}"
            )
        if steps is not None:
            total = check_int("steps", steps, minimum=0)
        else:
            epochs = check_int("epochs", epochs, minimum=0)
            # From the middle of an epoch, finish it first: `epochs` more epoch ends.
            total = (epochs - 1) * self.steps_per_epoch + self.steps_left_in_epoch if epochs else 0
        bar = _progress_bar(total) if progress else None
        self._stop_requested = False
        self.stop_message = ""
        with self.session(callbacks):
            for _ in range(total):
                record = self.step()
                if record is None or self._stop_requested:
                    break
                if bar is not None:
                    bar.update(1)
                    if record.step % 50 == 0:
                        bar.set_postfix(loss=f"{record.total:.4f}", refresh=False)
        if bar is not None:
            bar.close()
        return self.history

    def step(self) -> StepRecord | None:
        """One update on the next mini-batch; None (and nothing changes) once diverged."""
        if self._in_session:  # a session is already quiet
            return self._step()
        with self._engine.quiet():
            return self._step()

    def _step(self) -> StepRecord | None:
        if self.diverged is not None:
            return None
        engine, watch = self._engine, self._divergence
        if watch.start_loss is None:
            with torch.no_grad():
                watch.start(engine.measure(train=True)[0] + engine.penalty())
        elif watch.swung():
            self.diverged = self.step_count + 1
            self.divergence_message = watch.swung_message(self.diverged, self.lr)
            return None
        started = time.perf_counter()
        callbacks = self._callbacks
        if self._position == 0:
            self._order = torch.randperm(self.n_train, generator=self._generator)
            order = self._order.to(self.device)
            # Gathered once per epoch: each batch is then a cheap slice.
            self._epoch_inputs = self._sets.train_inputs[order]
            self._epoch_targets = self._sets.train_targets[order]
            # This epoch's Batch fields, split when a callback wants them.
            self._batches: list[tuple[torch.Tensor, ...]] | None = None
            engine.start_epoch(self._order, self._epoch_inputs, self._epoch_targets)
            callbacks.on_epoch_start(self, self.epoch)
        start, stop = self._position, min(self._position + self.batch_size, self.n_train)
        if callbacks.wants("on_train_batch_start"):
            if self._batches is None:  # one split per epoch costs less than slicing per step
                size = self.batch_size
                splits = (self._epoch_inputs.split(size), self._epoch_targets.split(size))
                self._batches = list(zip(*splits, self._order.split(size), strict=True))
            callbacks.on_train_batch_start(self, Batch(*self._batches[start // self.batch_size]))
        values = engine.forward(start, stop)
        if not all(map(math.isfinite, values)):
            self._diverge(values)
            return None
        engine.backward()
        callbacks.on_after_backward(self)
        self._update()

        batch_size = stop - start
        self.step_count += 1
        self.examples_seen += batch_size
        self._position = stop
        self.elapsed += time.perf_counter() - started
        loss_value, penalty_value = values
        record_total = loss_value + penalty_value
        watch.track(record_total)
        self.history.steps.append(
            self.step_count,
            self.epoch,
            self.examples_seen,
            loss_value,
            penalty_value,
            record_total,
            self.elapsed,
        )
        evaluation = None
        epoch_done = stop == self.n_train
        if self.eval_every is None:
            due = epoch_done
        else:
            due = self.step_count % self.eval_every == 0
        if due:
            evaluation = self.evaluate()
            self._record_evaluation(evaluation)
        record = StepRecord(
            self.step_count,
            self.epoch,
            self.examples_seen,
            batch_size,
            loss_value,
            penalty_value,
            record_total,
            self.elapsed,
            evaluation,
        )
        callbacks.on_train_batch_end(self, record)
        if epoch_done:
            self._position = 0
            self.epoch += 1
            callbacks.on_epoch_end(self, self.epoch - 1)
        return record

    def request_stop(self, message: str) -> None:
        """Make the running fit end after this update (a callback's stop condition, such as
        nnviz.EarlyStopping); `message` says why and is kept in stop_message. The next fit
        trains again."""
        self._stop_requested = True
        self.stop_message = str(message)

    def _update(self) -> None:
        self._engine.copy_before_step()
        if not self._plain_sgd:
            self.optimizer.step()  # torch.optim, on the gradients in .grad (either engine)
            return
        # eta is read from the optimizer when one was made, so that a learning rate changed
        # through optimizer.param_groups (e.g. by a torch scheduler) applies here too.
        eta = self.lr if self._optimizer is None else self._optimizer.param_groups[0]["lr"]
        self._engine.sgd(eta)

    def _diverge(self, values: tuple[float, float]) -> None:
        went_back = keep_finite_parameters(self._parameters, self._before_views)
        self.diverged = self.step_count + 1
        kept = self.step_count - 1 if went_back else self.step_count
        self.divergence_message = blow_up_message(self.diverged, values, self.lr, kept)

    def layer_values(self) -> LayerValues | None:
        """This step's a^(l-1), z, delta per layer and gradient, from the numpy engine (valid
        from on_after_backward until the next step); None with autograd, whose values a probe
        reads through forward hooks."""
        return self._engine.layer_values()

    # ----------------------------------------------------------------------------- evaluation
    @torch.no_grad()
    def evaluate(self) -> Evaluation:
        """C and the metric (accuracy, or R^2 for regression) over the train and test sets."""
        engine = self._engine
        with engine.quiet():
            penalty = engine.penalty()
            train_loss, train_metric = engine.measure(train=True)
            if len(self._sets.test_inputs):
                test_loss, test_metric = engine.measure(train=False)
            else:
                test_loss = test_metric = math.nan
            if self._sets.val_inputs is not None:
                val_loss, val_metric = engine.measure_validation()
            else:
                val_loss = val_metric = math.nan
        return Evaluation(
            self.step_count, train_loss, test_loss, penalty, train_metric, test_metric,
            self.metric, val_loss, val_metric,
        )  # fmt: skip

    def _validation_sets(self, data: Dataset, n_outputs: int) -> tuple:
        if data.X_val is None or data.y_val is None:
            return (None, None)
        return (data.X_val.to(self.device, torch.float32),
                self.loss.prepare_targets(data.y_val, n_outputs).to(self.device))  # fmt: skip

    def _record_evaluation(self, evaluation: Evaluation) -> None:
        self.history.evaluations.append(
            self.step_count,
            self.epoch,
            self.examples_seen,
            evaluation.train_loss,
            evaluation.test_loss,
            evaluation.penalty,
            evaluation.train_metric,
            evaluation.test_metric,
            evaluation.val_loss,
            evaluation.val_metric,
        )

    def __repr__(self) -> str:
        kind = "full batch" if self.full_batch else f"batch_size={self.batch_size}"
        return (
            f"Trainer({self.optimizer_name}, lr={self.lr:g}, {kind}, "
            f"regularization={self.regularization}, reg_rate={self.reg_rate:g}, "
            f"loss={self.loss.name}, engine={self.engine}, step={self.step_count}, "
            f"epoch={self.epoch})"
        )


def _progress_bar(total: int) -> Any:
    from tqdm.auto import tqdm  # type: ignore[import-untyped]  # tqdm ships no type stubs

    return tqdm(total=total, unit="step", leave=False)
