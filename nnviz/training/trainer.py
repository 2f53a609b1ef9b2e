"""Trainer: mini-batch gradient descent on C_total = C + lambda R, one update per step(),
with callbacks, bounded history and divergence detection.

batch_size=None is full-batch gradient descent, 1 is stochastic gradient descent, anything in
between is mini-batch; the training set is reshuffled at the start of every epoch.

Two engines compute each step: "autograd" (torch builds the graph and differentiates it) and
"numpy" (nnviz.training.numpy_engine: the seed's equations written out, several times faster on the
lessons' small networks, for the configurations where it is exact); "auto" picks numpy where it can.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterable, Iterator

import numpy as np
import torch
from torch import nn

from nnviz.core.callbacks import Batch, Callback, CallbackList
from nnviz.core.checks import check_choice, check_int, check_number
from nnviz.core.history import History
from nnviz.core.losses import (
    Loss,
    get_loss,
    numpy_squared_error_accuracy,
    numpy_targets,
    squared_error_accuracy,
)
from nnviz.core.records import Evaluation, StepRecord
from nnviz.training.numpy_engine import LayerValues, NumpyEngine, refusal

OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZATIONS = ("none", "l1", "l2")
ENGINES = ("auto", "autograd", "numpy")


class Trainer:
    """Trains `model` on `data` (an nnviz Dataset); see the module docstring."""

    def __init__(
        self,
        model: nn.Module,
        data,
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
        for attribute in ("X_train", "y_train", "X_test", "y_test", "task"):
            if not hasattr(data, attribute):
                raise TypeError(
                    f"data must be an nnviz Dataset (make_dataset / from_arrays); "
                    f"got {type(data).__name__} without .{attribute}"
                )
        self.device = _check_device(device)
        self.model = model.to(self.device)
        self.data = data
        self.n_train = int(data.X_train.shape[0])
        self._check_sizes(model, data)
        self.loss = get_loss(loss, data.task, _output_width(model, data))
        # Squared error on class labels (TF Playground's choice) is scored by accuracy, not R^2.
        self.metric = "r2" if data.task == "regression" else "accuracy"
        labels_by_squares = self.loss.name == "mse" and data.task == "classification"
        self._metric = squared_error_accuracy if labels_by_squares else self.loss.metric
        self._check_loss_fits(data)
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
        # Diverged also when the loss, averaged over ~50 steps, stays this many times above
        # its value at the start: with cross-entropy a too-large lr rarely reaches inf, it
        # swings the network into confident wrong answers instead (None: only inf/nan count).
        self.divergence_factor = (
            None
            if divergence_factor is None
            else check_number("divergence_factor", divergence_factor, 1.0, strict_minimum=True)
        )
        self.history = History(capacity=check_int("history_size", history_size, minimum=1))

        n_outputs = _output_width(model, data)
        self._X_train = data.X_train.to(self.device, torch.float32)
        self._T_train = self.loss.prepare_targets(data.y_train, n_outputs).to(self.device)
        self._X_test = data.X_test.to(self.device, torch.float32)
        self._T_test = self.loss.prepare_targets(data.y_test, n_outputs).to(self.device)
        # Penalised parameters: weights (2-D and up), never biases.
        self._weights = [p for p in self.model.parameters() if p.ndim >= 2]
        self._parameters = list(self.model.parameters())
        # The same storage without autograd tracking: copies from and updates to these need
        # no torch.no_grad() block (the optimizer updates parameters in place, never anew).
        self._values = [p.data for p in self._parameters]
        self._numpy = self._make_engine(check_choice("engine", engine, ENGINES))
        self.engine = "autograd" if self._numpy is None else "numpy"
        if self._numpy is not None:
            self._Y_train = numpy_targets(self._T_train, n_outputs)
            self._Y_test = numpy_targets(self._T_test, n_outputs)
            self._numpy_metric = (
                numpy_squared_error_accuracy if labels_by_squares else self.loss.numpy_metric
            )
        self._callbacks = CallbackList()
        self._in_session = False
        self.reset(reinitialize=False)

    # ----------------------------------------------------------------------------- set-up
    def reset(self, reinitialize: bool = True) -> None:
        """Start over: counters, history, optimizer state, shuffling; new initial weights too."""
        if reinitialize and hasattr(self.model, "reset_parameters"):
            self.model.reset_parameters()
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
        self._start_loss: float | None = None  # C_total over the training set at step 0
        self._running_loss = 0.0  # exponential average of the batch C_total, over ~50 steps
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
        if self._numpy is not None:  # the same memory, for numpy's cheaper copies
            self._before_arrays = [view.numpy() for view in self._before_views]

    def _make_engine(self, engine: str) -> NumpyEngine | None:
        if engine == "autograd":
            return None
        reason = refusal(self.model, self.loss, self.device)
        if reason is None:
            return NumpyEngine(self.model, self.loss, self.regularization, self.reg_rate)
        if engine == "numpy":
            raise ValueError(
                f"engine='numpy' cannot train this configuration exactly: {reason}; "
                "use engine='autograd' (or 'auto', which picks it here)"
            )
        return None

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
            with self._quiet():
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
        with self.session(callbacks):
            for _ in range(total):
                record = self.step()
                if record is None:
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
        if self._in_session or self._numpy is None:
            return self._step()
        with self._quiet():  # a session enters it once for all its steps
            return self._step()

    def _step(self) -> StepRecord | None:
        if self.diverged is not None:
            return None
        if self._start_loss is None:
            with torch.no_grad():
                start_loss, _ = self._measure(train=True)
                start_loss += self._penalty_value()
            self._start_loss = self._running_loss = start_loss
        elif (
            self.divergence_factor is not None
            and self._running_loss > self.divergence_factor * self._start_loss
        ):
            self._diverge_slowly()
            return None
        started = time.perf_counter()
        callbacks = self._callbacks
        if self._position == 0:
            self._order = torch.randperm(self.n_train, generator=self._generator)
            order = self._order.to(self.device)
            # Gathered once per epoch: each batch is then a cheap slice.
            self._X_epoch, self._T_epoch = self._X_train[order], self._T_train[order]
            self._batches: list | None = None  # this epoch's Batch fields, split when wanted
            if self._numpy is not None:
                self._inputs_epoch = self._X_epoch.numpy()  # the same memory
                self._targets_epoch = self._Y_train[self._order.numpy()]
            callbacks.on_epoch_start(self, self.epoch)
        start, stop = self._position, min(self._position + self.batch_size, self.n_train)
        if callbacks.wants("on_train_batch_start"):
            if self._batches is None:  # one split per epoch costs less than slicing per step
                size = self.batch_size
                splits = (self._X_epoch.split(size), self._T_epoch.split(size))
                self._batches = list(zip(*splits, self._order.split(size), strict=True))
            callbacks.on_train_batch_start(self, Batch(*self._batches[start // self.batch_size]))
        values = self._forward(start, stop)
        if not all(map(math.isfinite, values)):
            self._diverge(values)
            return None
        self._backward()
        callbacks.on_after_backward(self)
        self._update()

        batch_size = stop - start
        self.step_count += 1
        self.examples_seen += batch_size
        self._position = stop
        self.elapsed += time.perf_counter() - started
        loss_value, penalty_value = values
        record_total = loss_value + penalty_value
        self._running_loss += 0.02 * (record_total - self._running_loss)
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

    def _forward(self, start: int, stop: int) -> tuple[float, float]:
        """C and lambda R on the batch [start, stop) of this epoch, as floats."""
        if self._numpy is not None:
            inputs, targets = self._inputs_epoch[start:stop], self._targets_epoch[start:stop]
            return self._numpy.forward(inputs, targets)
        inputs, targets = self._X_epoch[start:stop], self._T_epoch[start:stop]
        data_loss = self.loss.function(self.model(inputs), targets)
        if self.regularization == "none":
            self._total = data_loss
            return data_loss.item(), 0.0
        penalty = self.reg_rate * self._penalty()
        self._total = data_loss + penalty
        loss_value, penalty_value = torch.stack((data_loss, penalty)).tolist()  # one transfer
        return loss_value, penalty_value

    def _backward(self) -> None:
        if self._numpy is not None:
            self._numpy.backward()
            return
        for parameter in self._parameters:  # optimizer.zero_grad(set_to_none=True), leaner
            parameter.grad = None
        total, self._total = self._total, None
        total.backward()

    def _update(self) -> None:
        engine = self._numpy
        if engine is not None:
            for before, value in zip(self._before_arrays, engine.parameters, strict=True):
                before[...] = value
        else:
            torch._foreach_copy_(self._before_views, self._values)
        if not self._plain_sgd:
            self.optimizer.step()  # torch.optim, on the gradients in .grad (either engine)
            return
        # The seed's update w <- w - eta dC/dw, without torch.optim's per-call bookkeeping.
        # eta is read from the optimizer when one was made, so that a learning rate changed
        # through optimizer.param_groups (e.g. by a torch scheduler) applies here too.
        eta = self.lr if self._optimizer is None else self._optimizer.param_groups[0]["lr"]
        if engine is not None:
            engine.sgd(eta)
        else:
            gradients = [p.grad for p in self._parameters]
            torch._foreach_add_(self._values, gradients, alpha=-eta)

    def layer_values(self) -> LayerValues | None:
        """This step's a^(l-1), z, delta per layer and gradient, from the numpy engine (valid
        from on_after_backward until the next step); None with autograd, whose values a probe
        reads through forward hooks."""
        return None if self._numpy is None else self._numpy.values()

    def _quiet(self) -> contextlib.AbstractContextManager:
        # A run about to diverge overflows to inf, which the divergence check reports: numpy
        # should not also warn (torch never does). Entered once per session, as it costs more
        # than a numpy operation.
        if self._numpy is None:
            return contextlib.nullcontext()
        return np.errstate(over="ignore", invalid="ignore", divide="ignore")

    def _penalty(self) -> torch.Tensor:
        """R: sum |w| (L1) or sum w^2 (L2) over every weight, biases excluded."""
        if self.regularization == "l1":
            return sum(w.abs().sum() for w in self._weights)
        return sum(w.pow(2).sum() for w in self._weights)

    def _diverge(self, values: tuple[float, float]) -> None:
        # Keep the last parameters that gave a finite loss: the ones in the model now if they
        # are finite, else those from before the update that broke them.
        kept = self.step_count
        with torch.no_grad():
            if not all(bool(torch.isfinite(p).all()) for p in self._parameters):
                torch._foreach_copy_(self._values, self._before_views)
                kept -= 1
        self.diverged = self.step_count + 1
        what = "data loss C" if not math.isfinite(values[0]) else "penalty lambda*R"
        self.divergence_message = (
            f"Diverged at step {self.diverged}: the {what} became {values[0] + values[1]} "
            f"with lr={self.lr:g}. The updates overshoot and grow instead of shrinking the "
            "loss; try a smaller learning rate. Training stopped; the history is kept, and the "
            f"parameters as of step {kept} (the last finite ones; step 0 is the start)."
        )

    def _diverge_slowly(self) -> None:
        self.diverged = self.step_count + 1
        self.divergence_message = (
            f"Diverged at step {self.diverged}: the loss C_total, averaged over the last ~50 "
            f"steps, is {self._running_loss:.4g}, more than {self.divergence_factor:g} times "
            f"its value at the start ({self._start_loss:.4g}), with lr={self.lr:g}. The updates "
            "overshoot and the network swings into confident wrong answers; try a smaller "
            "learning rate. Training stopped; the history is kept, and the parameters as of "
            f"step {self.step_count}."
        )

    # ----------------------------------------------------------------------------- evaluation
    @torch.no_grad()
    def evaluate(self) -> Evaluation:
        """C and the metric (accuracy, or R^2 for regression) over the train and test sets."""
        with self._quiet():
            penalty = self._penalty_value()
            train_loss, train_metric = self._measure(train=True)
            if len(self._X_test):
                test_loss, test_metric = self._measure(train=False)
            else:
                test_loss = test_metric = math.nan
        return Evaluation(
            self.step_count, train_loss, test_loss, penalty, train_metric, test_metric, self.metric
        )

    def _penalty_value(self) -> float:
        if self._numpy is not None:
            return self._numpy.penalty()
        return float(self.reg_rate * self._penalty()) if self.regularization != "none" else 0.0

    def _measure(self, train: bool) -> tuple[float, float]:
        """Loss C and metric over the training or the test set, from one forward pass."""
        if self._numpy is not None:
            inputs = (self._X_train if train else self._X_test).numpy()
            targets = self._Y_train if train else self._Y_test
            return self._numpy.measure(inputs, targets, self._numpy_metric)
        inputs, targets = (self._X_train, self._T_train) if train else (self._X_test, self._T_test)
        logits = self.model(inputs)
        loss, metric = torch.stack(
            (self.loss.function(logits, targets), self._metric(logits, targets))
        ).tolist()
        return loss, metric

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
        )

    # ----------------------------------------------------------------------------- checks
    def _check_sizes(self, model: nn.Module, data) -> None:
        sizes = getattr(model, "sizes", None)
        if sizes is None:
            return
        if sizes[0] != data.n_features:
            raise ValueError(
                f"model sizes={list(sizes)} take {sizes[0]} inputs but data set "
                f"{data.name!r} has {data.n_features} features; use sizes[0]={data.n_features}"
            )

    def _check_loss_fits(self, data) -> None:
        width = _output_width(self.model, data)
        if self.loss.name == "binary_cross_entropy" and (width != 1 or data.n_classes != 2):
            raise ValueError(
                f"loss='binary_cross_entropy' needs 2 classes and 1 output; data set "
                f"{data.name!r} has {data.n_classes} classes, the model {width} outputs"
            )
        if self.loss.name == "cross_entropy" and width != data.n_classes:
            raise ValueError(
                f"model has {width} outputs but data set {data.name!r} has {data.n_classes} "
                f"classes; use an output width of {data.n_classes} for loss='cross_entropy'"
            )
        if self.loss.name == "mse" and data.task == "regression" and width != data.n_outputs:
            raise ValueError(
                f"model has {width} outputs but data set {data.name!r} has "
                f"{data.n_outputs} targets; use an output width of {data.n_outputs}"
            )
        if self.loss.name == "mse" and data.task == "classification":
            # Squared error on labels: one output fits 0/1 labels, n_classes outputs one-hot.
            allowed = (1, data.n_classes) if data.n_classes == 2 else (data.n_classes,)
            if width not in allowed:
                raise ValueError(
                    f"model has {width} outputs; loss='mse' on data set {data.name!r} with "
                    f"{data.n_classes} classes needs an output width of "
                    f"{' or '.join(map(str, allowed))}"
                )

    def __repr__(self) -> str:
        kind = "full batch" if self.full_batch else f"batch_size={self.batch_size}"
        return (
            f"Trainer({self.optimizer_name}, lr={self.lr:g}, {kind}, "
            f"regularization={self.regularization}, reg_rate={self.reg_rate:g}, "
            f"loss={self.loss.name}, engine={self.engine}, step={self.step_count}, "
            f"epoch={self.epoch})"
        )


def _output_width(model: nn.Module, data) -> int:
    sizes = getattr(model, "sizes", None)
    if sizes is not None:
        return int(sizes[-1])
    with torch.no_grad():
        return int(model(data.X_train[:1].float()).shape[1])


def _check_device(device: str | torch.device) -> torch.device:
    if isinstance(device, torch.device):
        device_type = device.type
    else:
        device_type = check_choice("device", str(device).split(":")[0], ("cpu", "cuda"))
    if device_type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but no CUDA GPU is available here; use device='cpu'")
    return torch.device(device)


def _progress_bar(total: int):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="step", leave=False)
