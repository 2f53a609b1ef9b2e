"""LayerProbe: the seed's quantities a, z, delta = dC/dz and dC/dW for every layer, every step,
plus their distributions, reduced on the device and brought to the host in one transfer.

Forward hooks on each Linear layer keep its input a^(l-1) and output z^l (with retain_grad, so
autograd leaves delta^l = dC/dz^l in z.grad). The hooks act only between on_train_batch_start
and on_after_backward of a sampled step, so evaluation passes and plotting never disturb them.
Per step the probe keeps one flat vector; records and history are decoded from it on demand.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from nnviz._checks import check_choice, check_int
from nnviz.callbacks import Batch, Callback
from nnviz.history import BoundedTable
from nnviz.records import ProbeRecord, StepRecord
from nnviz.reduction import Layout

if TYPE_CHECKING:
    from nnviz.trainer import Trainer

BACKENDS = ("auto", "numpy", "torch")


class LayerProbe(Callback):
    """Records a, z, delta, weights and gradients of each layer every `every` steps."""

    def __init__(
        self,
        every: int = 1,
        bins: int = 32,
        arrays: bool = True,
        history_size: int = 2_000,
        backend: str = "auto",
    ) -> None:
        self.every = check_int("every", every, minimum=1)
        self.bins = check_int("bins", bins, minimum=2, maximum=1024)
        self.arrays = bool(arrays)  # False: statistics only, no per-example arrays to the host
        self.history_size = check_int("history_size", history_size, minimum=1)
        # "auto": numpy for CPU tensors (same memory, cheaper calls), torch on a GPU.
        self.backend = check_choice("backend", backend, BACKENDS)
        self.history = ProbeHistory()
        self._handles: list = []
        self._sampling = self._pending = False
        self._layout: Layout | None = None
        self._last: tuple | None = None  # what `last` is decoded from, replaced each step
        self._decoded: tuple = (None, None)  # (the _last it came from, its ProbeRecord)

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
        self._model = model
        self._layers = list(layers)
        self._parameters = [p for layer in self._layers for p in (layer.weight, layer.bias)]
        self._inputs: list = [None] * len(self._layers)
        self._outputs: list = [None] * len(self._layers)
        self._handles = [
            layer.register_forward_hook(partial(self._capture, index))
            for index, layer in enumerate(self._layers)
        ]
        self._prepare(self._parameters[0].device)

    def detach(self) -> None:
        """Remove the hooks (safe to call twice)."""
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

    def _prepare(self, device: torch.device) -> None:
        # Flat buffers for the parameters before and after the update and their gradients,
        # with per-parameter views, so that copying them is one call, not one per tensor.
        widths = [layer.out_features for layer in self._layers]
        backend = self.backend
        if backend == "auto":
            backend = "numpy" if device.type == "cpu" else "torch"
        key = (tuple(widths), self._layers[0].in_features, device, backend)
        if self._layout is None or self._layout_key != key:
            self._layout = Layout(widths, self._layers[0].in_features, self.bins, device, backend)
            self._layout_key = key
            self.history.reset(self._layout, self.history_size)
        sizes = [p.numel() for p in self._parameters]
        layer_of_parameter = np.repeat(np.repeat(np.arange(len(widths)), 2), sizes)
        self._parameter_sums = self._layout.parameter_sums(layer_of_parameter)
        flats = [torch.zeros(sum(sizes), device=device) for _ in range(3)]
        starts = np.concatenate([[0], np.cumsum(sizes)])
        self._views = [
            [flat[starts[i] : starts[i + 1]].view(p.shape) for i, p in enumerate(self._parameters)]
            for flat in flats
        ]
        to_backend = (lambda t: t.numpy()) if backend == "numpy" else (lambda t: t)
        self._before, self._gradients, self._after = (to_backend(flat) for flat in flats)
        self._to_backend = to_backend

    # ------------------------------------------------------------------ callback hooks
    def on_fit_start(self, trainer: Trainer) -> None:
        self._hook(trainer.model)

    def on_fit_end(self, trainer: Trainer) -> None:
        self.detach()

    def on_train_batch_start(self, trainer: Trainer, batch: Batch) -> None:
        self._sampling = (trainer.step_count + 1) % self.every == 0

    def on_after_backward(self, trainer: Trainer) -> None:
        if not self._sampling:
            return
        self._sampling = False  # nothing after the backward pass is this step's forward
        with torch.no_grad():  # copies: the optimizer is about to change these in place
            torch._foreach_copy_(self._views[0], self._parameters)
            torch._foreach_copy_(self._views[1], [p.grad for p in self._parameters])
        self._pending = True

    def on_train_batch_end(self, trainer: Trainer, record: StepRecord) -> None:
        if not self._pending:
            return
        self._pending = False
        outputs = self._outputs
        with torch.no_grad():
            torch._foreach_copy_(self._views[2], self._parameters)
            a = [*self._inputs[1:], trainer.loss.output(outputs[-1])]
            matrix = torch.cat([*a, *outputs, *(z.grad for z in outputs)], dim=1)
            host = self._layout.reduce(
                self._to_backend(matrix),
                self._to_backend(self._inputs[0].detach()),
                self._before,
                self._gradients,
                self._after,
                self._parameter_sums,
                trainer.model.activation.inactive,
                self.arrays,
            )
        batch = matrix.shape[0]
        self._inputs = [None] * len(self._layers)
        self._outputs = [None] * len(self._layers)
        activations = [trainer.model.activation.name] * (len(self._layers) - 1)
        self._last = (
            host,
            record.step,
            batch,
            self.arrays,
            [*activations, trainer.loss.output_name],
        )
        self._last_record = None
        self.history.append(record.step, batch, host[: self._layout.n_statistics])

    def reset(self) -> None:
        """Forget what was recorded (the Runner calls this when its trainer starts over)."""
        self._last = None
        self._decoded = (None, None)
        if self._layout is not None:
            self.history.reset(self._layout, self.history_size)

    # ------------------------------------------------------------------ results
    @property
    def last(self) -> ProbeRecord | None:
        """The newest step's record (decoded on first access), or None before any step."""
        source, record = self._decoded
        current = self._last
        if current is not None and current is not source:
            record = self._layout.record(*current)
            self._decoded = (current, record)
        return record

    def __repr__(self) -> str:
        return f"LayerProbe(every={self.every}, bins={self.bins}, arrays={self.arrays})"


class ProbeHistory:
    """The probe's statistics per sampled step, in bounded memory; decoded when read."""

    def __init__(self) -> None:
        self._table: BoundedTable | None = None
        self._layout: Layout | None = None

    def reset(self, layout: Layout, size: int) -> None:
        """Start empty for a (new) architecture."""
        self._layout = layout
        columns = {"step": (), "batch_size": (), "statistics": (layout.n_statistics,)}
        self._table = BoundedTable(columns, size, max(size // 4, 1), dtype=np.float32)

    def append(self, step: int, batch: int, statistics: np.ndarray) -> None:
        """Add one sampled step (the probe calls this)."""
        self._table.append(step, batch, statistics)

    def __len__(self) -> int:
        return 0 if self._table is None else len(self._table)

    @property
    def total(self) -> int:
        """Sampled steps ever appended (some may have been thinned out of memory)."""
        return 0 if self._table is None else self._table.total

    def __getitem__(self, name: str) -> np.ndarray:
        """'step', 'batch_size', or a statistic such as 'a_mean' with shape (rows, layers)."""
        if self._table is None:
            raise KeyError(f"{name!r}: the probe has recorded nothing yet")
        if name in ("step", "batch_size"):
            return self._table[name].astype(np.int64)
        decoded = self._layout.decode(self._table["statistics"], self._table["batch_size"])
        if name not in decoded:
            raise KeyError(
                f"no statistic {name!r}; choose from step, batch_size, {', '.join(decoded)}"
            )
        return decoded[name]

    def to_dict(self) -> dict[str, np.ndarray]:
        """Every statistic over the kept rows."""
        decoded = self._layout.decode(self._table["statistics"], self._table["batch_size"])
        return {"step": self["step"], "batch_size": self["batch_size"], **decoded}

    def __repr__(self) -> str:
        return f"ProbeHistory({len(self)} rows kept of {self.total})"
