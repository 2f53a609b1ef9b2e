"""LayerProbe: the seed's quantities a, z, delta = dC/dz and dC/dW for every layer, every step,
plus their distributions, reduced on the device and brought to the host in one transfer.

With the autograd engine, forward hooks on each Linear layer keep its input a^(l-1) and output
z^l (with retain_grad, so autograd leaves delta^l = dC/dz^l in z.grad). The hooks act only
between on_train_batch_start and on_after_backward of a sampled step, so evaluation passes and
plotting never disturb them. The numpy engine calls no module: it hands the step's arrays over
through trainer.layer_values(), which the probe files with plain numpy copies.

Each sampled step is copied into a buffer on the device (two copies per step); the buffer is
reduced, a block of steps at a time, by nnviz.probes.reduction and brought to the host in one
transfer when it fills, when training pauses or ends, and whenever `last` or `history` is read.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from nnviz.core.callbacks import Batch, Callback
from nnviz.core.checks import check_choice, check_int
from nnviz.core.history import BoundedTable
from nnviz.core.records import ProbeRecord, StepRecord
from nnviz.probes.reduction import Layout
from nnviz.training.numpy_engine import LayerValues

if TYPE_CHECKING:
    from nnviz.training.trainer import Trainer

BACKENDS = ("auto", "numpy", "torch")
_BUFFER_BYTES = 16 * 2**20  # at most this much device memory for not-yet-reduced steps


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
        self._handles: list = []
        self._sampling = self._pending = self._sampled = False
        self._before: tuple = (None, None)  # trainer.parameters_before_step and its numpy view
        self._buffer: _Buffer | None = None
        self._layouts: dict[int, Layout] = {}
        self._last: tuple | None = None  # what `last` is decoded from, replaced per flush
        self._decoded: tuple = (None, None)  # (the _last it came from, its ProbeRecord)
        self._names: list[str] | None = None

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
    def on_fit_start(self, trainer: Trainer) -> None:
        """Hook the trainer's model."""
        self._hook(trainer.model)

    def on_fit_end(self, trainer: Trainer) -> None:
        """Reduce what is buffered and unhook."""
        self.detach()

    def on_train_batch_start(self, trainer: Trainer, batch: Batch) -> None:
        """Open the capture window if this step is sampled (every `every` steps)."""
        self._sampled = (trainer.step_count + 1) % self.every == 0
        # Only autograd's forward pass goes through the hooks; the numpy engine hands over.
        self._sampling = self._sampled and trainer.engine == "autograd"

    def on_after_backward(self, trainer: Trainer) -> None:
        """Close the capture window: later forward passes (evaluation) are not this step's."""
        # The gradients stay in .grad until the next step: nothing to copy yet.
        self._pending, self._sampling, self._sampled = self._sampled, False, False

    def on_train_batch_end(self, trainer: Trainer, record: StepRecord) -> None:
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
        with self._lock, torch.no_grad():
            buffer = self._buffer_for(outputs[0].shape[0], trainer)
            torch._foreach_copy_(buffer.slots[buffer.count], sources)  # one call, every copy
            buffer.steps.append(record.step)
            buffer.count += 1
            if buffer.count == buffer.capacity:
                self._flush()

    def _file_values(self, trainer: Trainer, values: LayerValues, record: StepRecord) -> None:
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
            for target, source in zip(buffer.numpy_slot(buffer.count), sources, strict=True):
                target[...] = source
            buffer.steps.append(record.step)
            buffer.count += 1
            if buffer.count == buffer.capacity:
                self._flush()

    def _name_layers(self, trainer: Trainer) -> None:
        if self._names is None:
            hidden = [trainer.model.activation.name] * (len(self._layers) - 1)
            self._names = [*hidden, trainer.loss.output_name]
            self._inactive = trainer.model.activation.inactive

    def _buffer_for(self, batch: int, trainer: Trainer) -> _Buffer:
        buffer = self._buffer
        if buffer is None or buffer.batch != batch:
            self._flush()
            layout = self._layouts.get(batch)
            if layout is None:
                layout = self._make_layout(batch)
                self._layouts[batch] = layout
            buffer = _Buffer(layout, self._parameters, self.arrays, trainer.loss.output)
            self._buffer = buffer
        return buffer

    def _make_layout(self, batch: int) -> Layout:
        widths, n_inputs, device = self._architecture
        backend = self.backend
        if backend == "auto":
            backend = "numpy" if device.type == "cpu" else "torch"
        n_parameters = sum(p.numel() for p in self._parameters)
        step_bytes = 4 * (batch * (3 * sum(widths) + n_inputs) + 3 * n_parameters)
        capacity = max(1, min(self.buffer_steps, _BUFFER_BYTES // step_bytes))
        return Layout(list(widths), n_inputs, batch, self.bins, device, backend, capacity)

    # ------------------------------------------------------------------ reduction
    def _flush(self) -> None:
        """Reduce the buffered steps, one transfer to the host, into `history` and `last`."""
        with self._lock:
            buffer = self._buffer
            if buffer is None or buffer.count == 0:
                return
            count, layout = buffer.count, buffer.layout
            xp = layout.xp
            with torch.no_grad():
                output = buffer.matrices[:count, :, buffer.output_columns]
                output.copy_(buffer.output(output))  # z^L -> a^L, for the block at once
                statistics = layout.reduce(
                    buffer.backend(buffer.matrices[:count]),
                    buffer.backend(buffer.parameters[:count]),
                    buffer.parameter_sums,
                    self._inactive,
                )
                pieces = [statistics.reshape(-1)]
                if self.arrays:
                    last = count - 1
                    pieces += [
                        buffer.backend(buffer.matrices[last]).reshape(-1),
                        buffer.backend(buffer.inputs[last]).reshape(-1),
                        buffer.backend(buffer.parameters[last, :2]).reshape(-1),
                    ]
                host = xp.concatenate(pieces)
                host = host if xp is np else host.cpu().numpy()  # the one transfer
            rows = host[: count * layout.n_statistics].reshape(count, layout.n_statistics)
            arrays = None
            if self.arrays:
                rest = host[count * layout.n_statistics :]
                matrix_size = layout.batch * layout.columns
                input_size = layout.batch * layout.n_inputs
                arrays = (
                    rest[:matrix_size].reshape(layout.batch, layout.columns),
                    rest[matrix_size : matrix_size + input_size].reshape(layout.batch, -1),
                    rest[matrix_size + input_size :].reshape(2, -1),
                )
            self.history.extend(layout, buffer.steps, rows, self.history_size)
            # One assignment: a reader on another thread sees the old step or the new.
            self._last = (layout, rows[-1], arrays, buffer.steps[-1], self._names)
            buffer.count = 0
            buffer.steps = []

    def reset(self) -> None:
        """Forget what was recorded (the Runner calls this when its trainer starts over)."""
        with self._lock:
            if self._buffer is not None:
                self._buffer.count, self._buffer.steps = 0, []
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


class _Buffer:
    """Device memory for the sampled steps of one batch size that are not yet reduced."""

    def __init__(
        self, layout: Layout, parameters: list[torch.Tensor], arrays: bool, output
    ) -> None:
        capacity = layout.capacity
        device = parameters[0].device
        self.layout, self.batch, self.count, self.capacity = layout, layout.batch, 0, capacity
        self.output = output  # the loss's output function, z^L -> a^L
        self.steps: list[int] = []
        self.matrices = torch.empty(capacity, layout.batch, layout.columns, device=device)
        self.inputs = torch.empty(capacity, layout.batch, layout.n_inputs, device=device)
        sizes = [p.numel() for p in parameters]
        self.parameters = torch.empty(capacity, 3, sum(sizes), device=device)
        layer_of_parameter = np.repeat(np.repeat(np.arange(layout.n_layers), 2), sizes)
        self.parameter_sums = layout.parameter_sums(layer_of_parameter)
        self.backend = (lambda t: t.numpy()) if layout.xp is np else (lambda t: t)
        last = layout.n_layers - 1
        self.output_columns = slice(layout.unit_starts[last], layout.unit_starts[last + 1])
        # Per slot, the views that one _foreach_copy_ fills from a step's tensors, in the
        # order LayerProbe lists them: a (hidden), z^L, z, delta, [input], before, grads, after.
        blocks = [
            slice(q * layout.units + start, q * layout.units + stop)
            for q in range(3)
            for start, stop in zip(layout.unit_starts[:-1], layout.unit_starts[1:], strict=True)
        ]
        starts = np.concatenate([[0], np.cumsum(sizes)])
        self.slots = []
        for slot in range(capacity):
            views = [self.matrices[slot][:, block] for block in blocks]
            if arrays:
                views.append(self.inputs[slot])
            before, gradient, after = self.parameters[slot]
            views.append(before)
            for flat in (gradient, after):
                views += [
                    flat[starts[i] : starts[i + 1]].view(p.shape) for i, p in enumerate(parameters)
                ]
            self.slots.append(views)
        self._blocks, self._arrays, self._numpy_slots = blocks, arrays, {}
        self._shapes = [
            (int(start), int(stop), p.shape)
            for start, stop, p in zip(starts[:-1], starts[1:], parameters, strict=True)
        ]

    def numpy_slot(self, slot: int) -> list[np.ndarray]:
        """numpy views of a slot (CPU only) in _file_values' order: the gradient flat, in one."""
        views = self._numpy_slots.get(slot)
        if views is None:
            matrix = self.matrices[slot].numpy()
            views = [matrix[:, block] for block in self._blocks]
            if self._arrays:
                views.append(self.inputs[slot].numpy())
            before, gradient, after = self.parameters[slot].numpy()
            views += [before, gradient]
            views += [after[start:stop].reshape(shape) for start, stop, shape in self._shapes]
            self._numpy_slots[slot] = views
        return views


class ProbeHistory:
    """The probe's statistics per sampled step, in bounded memory; decoded when read."""

    def __init__(self, flush, lock: threading.RLock) -> None:
        self._flush = flush  # brings the probe's buffered steps in before any read
        self._lock = lock  # the probe's: no row is read while the training thread writes one
        self.clear()

    def clear(self) -> None:
        """Forget every row."""
        self._table: BoundedTable | None = None
        self._layout: Layout | None = None

    def extend(self, layout: Layout, steps: list[int], rows: np.ndarray, size: int) -> None:
        """Add reduced steps (the probe calls this)."""
        if self._table is None or self._layout.n_statistics != layout.n_statistics:
            columns = {"step": (), "batch_size": (), "statistics": (layout.n_statistics,)}
            self._table = BoundedTable(columns, size, max(size // 4, 1), dtype=np.float32)
        self._layout = layout
        for step, row in zip(steps, rows, strict=True):
            self._table.append(step, layout.batch, row)

    def __len__(self) -> int:
        self._flush()
        return 0 if self._table is None else len(self._table)

    @property
    def total(self) -> int:
        """Sampled steps ever recorded (the oldest may have been thinned out of memory)."""
        self._flush()
        return 0 if self._table is None else self._table.total

    def __getitem__(self, name: str) -> np.ndarray:
        """'step', 'batch_size', or a statistic such as 'a_mean' with shape (rows, layers)."""
        return self._column(name, self.to_dict())

    def to_dict(self) -> dict[str, np.ndarray]:
        """Every statistic over the kept rows."""
        with self._lock:
            self._flush()
            if self._table is None:
                raise KeyError("the probe has recorded nothing yet")
            batch = self._table["batch_size"]
            statistics, step = self._table["statistics"], self._table["step"].astype(np.int64)
        decoded = self._layout.decode(statistics, batch)
        return {"step": step, "batch_size": batch.astype(np.int64), **decoded}

    @staticmethod
    def _column(name: str, columns: dict[str, np.ndarray]) -> np.ndarray:
        if name not in columns:
            raise KeyError(f"no statistic {name!r}; choose from {', '.join(columns)}")
        return columns[name]

    def __repr__(self) -> str:
        return f"ProbeHistory({len(self)} rows kept of {self.total})"
