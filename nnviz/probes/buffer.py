"""StepBuffer: device memory for a LayerProbe's sampled steps that are not yet reduced, and the
reduction of a block of them (nnviz.probes.reduction) brought to the host in one transfer.

A slot holds one step: the (batch, 3U) matrix [a | z | delta] of every layer, the first layer's
input, and the [before, gradient, after] parameters. Filing a step is one torch._foreach_copy_
(autograd engine) or plain numpy copies (numpy engine) into views of its slot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from nnviz.probes.reduction import Layout

_BUFFER_BYTES = 16 * 2**20  # at most this much device memory for not-yet-reduced steps

# The newest step's (batch, 3U) matrix, first input (batch, n_inputs), [before, gradient].
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]


def make_layout(
    architecture: tuple[tuple[int, ...], int, torch.device],
    parameters: list[torch.Tensor],
    batch: int,
    bins: int,
    backend: str,
    buffer_steps: int,
) -> Layout:
    """The Layout for one batch size: its backend ("auto": numpy for CPU tensors, same memory
    and cheaper calls; torch on a GPU) and as many steps per block as _BUFFER_BYTES allows."""
    widths, n_inputs, device = architecture
    if backend == "auto":
        backend = "numpy" if device.type == "cpu" else "torch"
    n_parameters = sum(p.numel() for p in parameters)
    step_bytes = 4 * (batch * (3 * sum(widths) + n_inputs) + 3 * n_parameters)
    capacity = max(1, min(buffer_steps, _BUFFER_BYTES // step_bytes))
    return Layout(list(widths), n_inputs, batch, bins, device, backend, capacity)


class StepBuffer:
    """Device memory for the sampled steps of one batch size that are not yet reduced."""

    def __init__(
        self,
        layout: Layout,
        parameters: list[torch.Tensor],
        arrays: bool,
        output: Callable[[torch.Tensor], torch.Tensor],
    ) -> None:
        capacity = layout.capacity
        device = parameters[0].device
        self.layout, self.batch, self.count, self.capacity = layout, layout.batch, 0, capacity
        self.arrays = arrays  # whether the newest step's arrays come to the host too
        self.output = output  # the loss's output function, z^L -> a^L
        self.steps: list[int] = []
        self.matrices = torch.empty(capacity, layout.batch, layout.columns, device=device)
        self.inputs = torch.empty(capacity, layout.batch, layout.n_inputs, device=device)
        sizes = [p.numel() for p in parameters]
        self.parameters = torch.empty(capacity, 3, sum(sizes), device=device)
        layer_of_parameter = np.repeat(np.repeat(np.arange(layout.n_layers), 2), sizes)
        self.parameter_sums = layout.parameter_sums(layer_of_parameter)
        self.backend: Callable[[torch.Tensor], Any] = (
            (lambda t: t.numpy()) if layout.xp is np else (lambda t: t)
        )
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
        self.slots: list[list[torch.Tensor]] = []
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
        self._blocks = blocks
        self._numpy_slots: dict[int, list[np.ndarray]] = {}
        self._shapes = [
            (int(start), int(stop), p.shape)
            for start, stop, p in zip(starts[:-1], starts[1:], parameters, strict=True)
        ]

    @property
    def full(self) -> bool:
        """Whether every slot holds a step: time to reduce."""
        return self.count == self.capacity

    def add_tensors(self, sources: list[torch.Tensor], step: int) -> None:
        """File one step's tensors (in the slots' order) with one _foreach_copy_."""
        with torch.no_grad():
            torch._foreach_copy_(self.slots[self.count], sources)  # one call, every copy
        self.steps.append(step)
        self.count += 1

    def add_arrays(self, sources: list[np.ndarray], step: int) -> None:
        """File one numpy engine step (CPU only): the same order, the gradient as one flat array."""
        for target, source in zip(self._numpy_slot(self.count), sources, strict=True):
            target[...] = source
        self.steps.append(step)
        self.count += 1

    def _numpy_slot(self, slot: int) -> list[np.ndarray]:
        views = self._numpy_slots.get(slot)
        if views is None:
            matrix = self.matrices[slot].numpy()
            views = [matrix[:, block] for block in self._blocks]
            if self.arrays:
                views.append(self.inputs[slot].numpy())
            before, gradient, after = self.parameters[slot].numpy()
            views += [before, gradient]
            views += [after[start:stop].reshape(shape) for start, stop, shape in self._shapes]
            self._numpy_slots[slot] = views
        return views

    def reduce(self, inactive: Callable[..., Any]) -> tuple[np.ndarray, Arrays | None]:
        """The buffered steps' (count, n_statistics) rows and, if kept, the newest step's
        arrays, reduced on the device and brought to the host in one transfer."""
        count, layout = self.count, self.layout
        xp = layout.xp
        with torch.no_grad():
            output = self.matrices[:count, :, self.output_columns]
            output.copy_(self.output(output))  # z^L -> a^L, for the block at once
            statistics = layout.reduce(
                self.backend(self.matrices[:count]),
                self.backend(self.parameters[:count]),
                self.parameter_sums,
                inactive,
            )
            pieces = [statistics.reshape(-1)]
            if self.arrays:
                last = count - 1
                pieces += [
                    self.backend(self.matrices[last]).reshape(-1),
                    self.backend(self.inputs[last]).reshape(-1),
                    self.backend(self.parameters[last, :2]).reshape(-1),
                ]
            host = xp.concatenate(pieces)
            host = host if xp is np else host.cpu().numpy()  # the one transfer
        rows = host[: count * layout.n_statistics].reshape(count, layout.n_statistics)
        if not self.arrays:
            return rows, None
        rest = host[count * layout.n_statistics :]
        matrix_size = layout.batch * layout.columns
        input_size = layout.batch * layout.n_inputs
        arrays = (
            rest[:matrix_size].reshape(layout.batch, layout.columns),
            rest[matrix_size : matrix_size + input_size].reshape(layout.batch, -1),
            rest[matrix_size + input_size :].reshape(2, -1),
        )
        return rows, arrays

    def empty(self) -> None:
        """Forget the buffered steps (after a reduction or a reset)."""
        self.count, self.steps = 0, []
