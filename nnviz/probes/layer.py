"""LayerProbe: the seed's quantities a, z, delta = dC/dz and dC/dW for every layer, every step,
plus their distributions, reduced on the device and brought to the host in one transfer.

With the autograd engine, forward hooks on each Linear layer keep its input a^(l-1) and output
z^l (with retain_grad, so autograd leaves delta^l = dC/dz^l in z.grad). The hooks act only
between on_train_batch_start and on_after_backward of a sampled step, so evaluation passes and
plotting never disturb them. The numpy engine calls no module: it hands the step's arrays over
through trainer.layer_values(), which the probe files with plain numpy copies.

Each sampled step is copied into a StepBuffer on the device (nnviz.probes.buffer); the buffer is
reduced, a block of steps at a time, by nnviz.probes.reduction and brought to the host in one
transfer when it fills, when training pauses or ends, and whenever `last` or `history` is read;
the rows go into a ProbeHistory (nnviz.probes.probe_history).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, cast

import torch
from torch import nn

from nnviz.core.callbacks import Batch, Callback
from nnviz.core.checks import check_choice, check_int
from nnviz.core.model import MLP
from nnviz.core.records import ProbeRecord, StepRecord
from nnviz.core.trainer_protocol import LayerValues, TrainerProtocol
from nnviz.probes.buffer import Arrays, StepBuffer, make_layout
from nnviz.probes.probe_history import ProbeHistory
from nnviz.probes.reduction import Layout

BACKENDS = ("auto", "numpy", "torch")
# What `last` is decoded from: layout, statistics row, arrays, step, activation names.
_Newest = tuple[Layout, Any, Arrays | None, int, list[str]]


class LayerProbe(Callback):
    """Records a, z, delta, weights and gradients of each layer every `every` steps."""

    def __init__(
        self,
        every: int = 1,
        bins: int = 32,
        arrays: bool = True,
        history_size: int = 2_000,
        backend: str = "auto",
        buffer_steps: int = 64,
    ) -> None:
        self.every = check_int("every", every, minimum=1)
        self.bins = check_int("bins", bins, minimum=2, maximum=1024)
        self.arrays = bool(arrays)  # False: statistics only, no per-example arrays to the host
        self.history_size = check_int("history_size", history_size, minimum=1)
        # "auto": numpy for CPU tensors (same memory, cheaper calls), torch on a GPU.
        self.backend = check_choice("backend", backend, BACKENDS)
        self.buffer_steps = check_int("buffer_steps", buffer_steps, minimum=1, maximum=4096)
        self._lock = threading.RLock()  # the training thread writes, a notebook thread reads
        self.history = ProbeHistory(self._flush, self._lock)
        self._handles: list[torch.utils.hooks.RemovableHandle] = []
        self._sampling = self._pending = self._sampled = False
        self._before: tuple = (None, None)  # trainer.parameters_before_step and its numpy view
        self._buffer: StepBuffer | None = None
        self._layouts: dict[int, Layout] = {}
        self._last: _Newest | None = None  # what `last` is decoded from, replaced per flush
        # (the _last it came from, its ProbeRecord)
        self._decoded: tuple[_Newest | None, ProbeRecord | None] = (None, None)
        self._names: list[str] | None = None
        self._inactive: Callable[..., Any]  # the activation's, set with _names

    # ------------------------------------------------------------------ hooks on the model
    @contextlib.contextmanager
    def attach(self, model: nn.Module) -> Iterator[LayerProbe]:
        """Hook `model`'s Linear layers for the duration of the block; always unhooked after."""
        self._hook(model)
        try:
            yield self
        finally:
            self.detach()

    def _hook(self, model: nn.Module) -> None:
        self.detach()
        layers = getattr(model, "layers", None)
        if layers is None or not all(isinstance(layer, nn.Linear) for layer in layers):
            raise TypeError(
                "LayerProbe needs an nnviz.MLP (Linear layers in .layers); "
                f"got {type(model).__name__}"
            )
        parameters = [p for layer in layers for p in (layer.weight, layer.bias)]
        if [id(p) for p in model.parameters()] != [id(p) for p in parameters]:
            raise TypeError("LayerProbe needs a model whose only parameters are its Linear layers")
        widths = [layer.out_features for layer in layers]
        architecture = (tuple(widths), layers[0].in_features, parameters[0].device)
        if getattr(self, "_architecture", None) != architecture:
            self._architecture = architecture
            self._layouts, self._buffer, self._last, self._names = {}, None, None, None
            self.history.clear()
        self._layers, self._parameters = list(layers), parameters
        self._inputs: list = [None] * len(layers)
        self._outputs: list = [None] * len(layers)
        self._handles = [
            layer.register_forward_hook(partial(self._capture, index))
            for index, layer in enumerate(layers)
        ]

    def detach(self) -> None:
        """Reduce what is buffered, then remove the hooks (safe to call twice)."""
        try:
            self._flush()
        finally:
            for handle in self._handles:
                handle.remove()
            self._handles = []
            self._sampling = self._pending = False

    @property
    def attached(self) -> bool:
        """Whether hooks are on a model now."""
        return bool(self._handles)

    def _capture(self, index: int, module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        if self._sampling:
            self._inputs[index] = inputs[0]
            self._outputs[index] = output
            output.retain_grad()  # autograd will leave delta = dC/dz in output.grad

    # ------------------------------------------------------------------ callback hooks
    def on_fit_start(self, trainer: TrainerProtocol) -> None:
        """Hook the trainer's model."""
        self._hook(trainer.model)

    def on_fit_end(self, trainer: TrainerProtocol) -> None:
        """Reduce what is buffered and unhook."""
        self.detach()

    def on_train_batch_start(self, trainer: TrainerProtocol, batch: Batch) -> None:
        """Open the capture window if this step is sampled (every `every` steps)."""
        self._sampled = (trainer.step_count + 1) % self.every == 0
        # Only autograd's forward pass goes through the hooks; the numpy engine hands over.
        self._sampling = self._sampled and trainer.engine == "autograd"

    def on_after_backward(self, trainer: TrainerProtocol) -> None:
        """Close the capture window: later forward passes (evaluation) are not this step's."""
        # The gradients stay in .grad until the next step: nothing to copy yet.
        self._pending, self._sampling, self._sampled = self._sampled, False, False

    def on_train_batch_end(self, trainer: TrainerProtocol, record: StepRecord) -> None:
        """File the step's a, z, delta, input, parameters and gradients into the buffer."""
        if not self._pending:
            return
        self._pending = False
        values = trainer.layer_values()
        if values is not None:
            self._file_values(trainer, values, record)
            return
        outputs, inputs = self._outputs, self._inputs
        self._inputs = [None] * len(self._layers)
        self._outputs = [None] * len(self._layers)
        self._name_layers(trainer)
        deltas = [z.grad for z in outputs]
        # z of the last layer goes where its a belongs; the loss's output function turns it
        # into a for the whole block at reduction time.
        sources = [*inputs[1:], outputs[-1], *outputs, *deltas]
        if self.arrays:
            sources.append(inputs[0])
        sources.append(trainer.parameters_before_step)  # what this step's forward pass used
        sources += [p.grad for p in self._parameters]
        sources += self._parameters  # after the update
        with self._lock:
            buffer = self._buffer_for(outputs[0].shape[0], trainer)
            buffer.add_tensors(sources, record.step)
            if buffer.full:
                self._flush()

    def _file_values(
        self, trainer: TrainerProtocol, values: LayerValues, record: StepRecord
    ) -> None:
        """File a numpy engine step: the same sources in the same order, copied by numpy."""
        self._name_layers(trainer)
        a_prev, z = values.a_prev, values.z
        sources = [*a_prev[1:], z[-1], *z, *values.delta]
        if self.arrays:
            sources.append(a_prev[0])
        before = trainer.parameters_before_step
        if before is not self._before[0]:  # a new buffer after trainer.reset()
            self._before = (before, before.numpy())
        sources += [self._before[1], values.gradient, *values.parameters]
        with self._lock:
            buffer = self._buffer_for(len(a_prev[0]), trainer)
            buffer.add_arrays(sources, record.step)
            if buffer.full:
                self._flush()

    def _name_layers(self, trainer: TrainerProtocol) -> None:
        if self._names is None:
            activation = cast(MLP, trainer.model).activation  # _hook took it: an MLP's layers
            self._names = [*[activation.name] * (len(self._layers) - 1), trainer.loss.output_name]
            self._inactive = activation.inactive

    def _buffer_for(self, batch: int, trainer: TrainerProtocol) -> StepBuffer:
        buffer = self._buffer
        if buffer is None or buffer.batch != batch:
            self._flush()
            layout = self._layouts.get(batch)
            if layout is None:
                layout = make_layout(
                    self._architecture,
                    self._parameters,
                    batch,
                    self.bins,
                    self.backend,
                    self.buffer_steps,
                )
                self._layouts[batch] = layout
            buffer = StepBuffer(layout, self._parameters, self.arrays, trainer.loss.output)
            self._buffer = buffer
        return buffer

    # ------------------------------------------------------------------ reduction
    def _flush(self) -> None:
        """Reduce the buffered steps, one transfer to the host, into `history` and `last`."""
        with self._lock:
            buffer = self._buffer
            if buffer is None or buffer.count == 0 or self._names is None:
                return
            rows, arrays = buffer.reduce(self._inactive)
            self.history.extend(buffer.layout, buffer.steps, rows, self.history_size)
            # One assignment: a reader on another thread sees the old step or the new.
            self._last = (buffer.layout, rows[-1], arrays, buffer.steps[-1], self._names)
            buffer.empty()

    def reset(self) -> None:
        """Forget what was recorded (the Runner calls this when its trainer starts over)."""
        with self._lock:
            if self._buffer is not None:
                self._buffer.empty()
            self._last, self._decoded = None, (None, None)
            self.history.clear()

    # ------------------------------------------------------------------ results
    @property
    def last(self) -> ProbeRecord | None:
        """The newest sampled step's record (decoded on first access), or None before any."""
        self._flush()
        source, record = self._decoded
        current = self._last
        if current is not None and current is not source:
            layout, statistics, arrays, step, names = current
            record = layout.record(statistics, arrays, step, names)
            self._decoded = (current, record)
        return record

    def __repr__(self) -> str:
        return f"LayerProbe(every={self.every}, bins={self.bins}, arrays={self.arrays})"
