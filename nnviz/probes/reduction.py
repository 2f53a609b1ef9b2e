"""The probe's arithmetic: the a, z, delta and parameters of every layer, for a block of steps,
reduced to one row of statistics per step, and those rows decoded back into per-layer numbers.

Steps are gathered in a buffer on the device and reduced together: the statistics of each step
are exactly those of that step alone, but every array operation serves a whole block of steps,
which matters because, for the small networks of the lessons, each operation's fixed cost is
larger than its arithmetic. The code is written once against what numpy and torch share (take,
indexing, clip-free min/max, bincount, concatenate, @) and runs on the tensors' own device:
torch on a GPU, numpy on CPU tensors (the same memory, no copy, cheaper calls).

Within a step, each (quantity, layer) pair is one segment of the columns of the (batch, 3U)
matrix [a | z | delta], U being the number of units of all layers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import torch

from nnviz.core.records import QUANTITIES, LayerRecord, ProbeRecord, Summary


class Layout:
    """Where each statistic of each layer lives, for one architecture, batch size and backend."""

    def __init__(
        self,
        widths: list[int],
        n_inputs: int,
        batch: int,
        bins: int,
        device: torch.device,
        backend: str,
        capacity: int,
    ) -> None:
        self.widths, self.n_inputs, self.batch, self.bins = list(widths), n_inputs, batch, bins
        self.n_layers = len(widths)
        self.units = sum(widths)
        self.hidden_units = self.units - widths[-1]
        self.n_segments = len(QUANTITIES) * self.n_layers
        self.columns = len(QUANTITIES) * self.units
        self.xp: ModuleType = np if backend == "numpy" else torch
        self._device = device
        segment_widths = np.tile(widths, len(QUANTITIES))
        self.segment_widths = segment_widths
        starts = np.concatenate([[0], np.cumsum(segment_widths)[:-1]])
        self.unit_starts = np.concatenate([[0], np.cumsum(widths)])
        column_segment = np.repeat(np.arange(self.n_segments), segment_widths)
        # Each segment's columns, padded with its first column (harmless for min and max).
        padded = np.repeat(starts[:, None], max(widths), axis=1)
        for segment, (start, width) in enumerate(zip(starts, segment_widths, strict=True)):
            padded[segment, :width] = np.arange(start, start + width)
        offsets = (column_segment * bins).astype(np.float32)
        self.first_column = self._put(starts)
        self.column_segment = self._put(column_segment)
        self.segment_columns = self._put(padded)
        self.column_floor = self._put(offsets)
        self.column_ceiling = self._put(offsets + (bins - 1))
        self.segment_sum = self._put(_onehot(column_segment, self.n_segments))
        self.tiny = self._put(np.full(self.n_segments, 1e-30, np.float32))
        self.capacity = capacity  # steps reduced together at most
        self.step_offset = self._put(np.arange(capacity) * (self.n_segments * bins))
        # shift, two sums, low, high: 5 per segment; then the histograms, dead counts, norms.
        self.n_statistics = (5 + bins) * self.n_segments + self.hidden_units + 3 * self.n_layers
        self.edge_fractions = np.linspace(0.0, 1.0, bins + 1)
        # Reductions over an axis: numpy's ufunc methods skip the Python wrappers of np.amin.
        self._least: Callable[..., Any]
        self._most: Callable[..., Any]
        if backend == "numpy":
            self._least, self._most = np.minimum.reduce, np.maximum.reduce
        else:
            self._least, self._most = torch.amin, torch.amax

    def _put(self, array: np.ndarray):
        return torch.as_tensor(array, device=self._device) if self.xp is torch else array

    def parameter_sums(self, parameter_layer: np.ndarray):
        """A (n_parameters, n_layers) 0/1 matrix: squares @ it sums each layer's squares."""
        return self._put(_onehot(parameter_layer, self.n_layers))

    # ----------------------------------------------------------------------- a block of steps
    def reduce(
        self,
        matrices,
        parameters,
        parameter_sums,
        inactive: Callable,
    ):
        """(steps, batch, 3U) matrices and (steps, 3, P) [before, gradient, after] parameters
        -> (steps, n_statistics) statistics, still on the device."""
        with self._quiet():
            return self._reduce(matrices, parameters, parameter_sums, inactive)

    def _quiet(self) -> contextlib.AbstractContextManager:
        # A run about to diverge squares huge values: inf is the truth, not a warning.
        if self.xp is np:
            return np.errstate(over="ignore", invalid="ignore")
        return contextlib.nullcontext()

    def _reduce(self, matrices, parameters, parameter_sums, inactive):
        xp, bins, least, most = self.xp, self.bins, self._least, self._most
        steps, segment = len(matrices), self.column_segment
        # Moments of data shifted by one value of each segment: sound in float32.
        shift = matrices[:, 0][:, self.first_column]
        shifted = matrices - shift[:, segment][:, None]
        sums = xp.concatenate((shifted, shifted * shifted), 2).sum(1)
        sums = sums.reshape(steps, 2, -1) @ self.segment_sum
        low = least(least(matrices, 1)[:, self.segment_columns], 2)
        high = most(most(matrices, 1)[:, self.segment_columns], 2)
        # Histogram over each segment's own [min, max] of its step: nothing falls outside,
        # negative activations and deltas included.
        scale = bins / xp.maximum(high - low, self.tiny)
        position = (matrices - low[:, segment][:, None]) * scale[:, segment][:, None]
        position = xp.minimum(
            xp.maximum(position + self.column_floor, self.column_floor), self.column_ceiling
        )
        index = _as_int(position) + self.step_offset[:steps, None, None]
        counts = xp.bincount(index.reshape(-1), minlength=steps * self.n_segments * bins)
        units, hidden = self.units, self.hidden_units
        dead = inactive(matrices[:, :, units : units + hidden], matrices[:, :, :hidden]).sum(1)
        before, gradient, after = parameters[:, 0], parameters[:, 1], parameters[:, 2]
        squares = xp.concatenate((gradient, after - before, before), 1)
        norms = (squares * squares).reshape(steps, 3, -1) @ parameter_sums
        pieces = (shift, sums, low, high, _as_float(counts), _as_float(dead), norms)
        return xp.concatenate([piece.reshape(steps, -1) for piece in pieces], 1)

    # ----------------------------------------------------------------------- decoding
    def decode(self, statistics: np.ndarray, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Rows of statistics -> named arrays, each (rows, n_layers, ...)."""
        rows, segments, layers = len(statistics), self.n_segments, self.n_layers
        statistics = statistics.astype(np.float64)
        ends = np.cumsum([segments, 2 * segments, segments, segments, segments * self.bins])
        shift, sums, low, high, counts = np.split(statistics[:, : ends[-1]], ends[:-1], axis=1)
        dead_counts = statistics[:, ends[-1] : ends[-1] + self.hidden_units]
        norms = np.sqrt(statistics[:, ends[-1] + self.hidden_units :].reshape(rows, 3, layers))
        count = batch.reshape(-1, 1) * self.segment_widths
        first, second = sums[:, :segments] / count, sums[:, segments:] / count
        std = np.sqrt(np.maximum(second - first * first, 0.0))
        edges = low[..., None] + (high - low)[..., None] * self.edge_fractions
        decoded: dict[str, np.ndarray] = {}
        for q, quantity in enumerate(QUANTITIES):
            part = slice(q * layers, (q + 1) * layers)
            decoded[f"{quantity}_mean"] = (shift + first)[:, part]
            decoded[f"{quantity}_std"] = std[:, part]
            decoded[f"{quantity}_min"] = low[:, part]
            decoded[f"{quantity}_max"] = high[:, part]
            decoded[f"{quantity}_counts"] = counts.reshape(rows, segments, -1)[:, part]
            decoded[f"{quantity}_edges"] = edges[:, part]
        inactive = dead_counts / batch.reshape(-1, 1)
        decoded["inactive"] = inactive
        if self.hidden_units:
            dead = np.add.reduceat(inactive >= 1.0, self.unit_starts[:-2], axis=1)
            dead = dead / np.asarray(self.widths[:-1], np.float64)
        else:
            dead = np.zeros((rows, 0))
        # The output layer feeds the loss directly: nothing squashes its delta.
        decoded["dead_fraction"] = np.concatenate([dead, np.zeros((rows, 1))], axis=1)
        decoded["grad_norm"], update_norm, decoded["weight_norm"] = np.moveaxis(norms, 1, 0)
        decoded["update_ratio"] = update_norm / np.maximum(decoded["weight_norm"], 1e-30)
        return decoded

    def record(
        self,
        statistics: np.ndarray,
        arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
        step: int,
        activations: list[str],
    ) -> ProbeRecord:
        """The ProbeRecord of one step: its statistics row and, if kept, its arrays
        (the (batch, 3U) matrix, the first layer's input, and [before, gradient] parameters)."""
        stats = self.decode(statistics[None], np.asarray([self.batch]))
        layers, offset = [], 0
        for l, width in enumerate(self.widths):
            summaries = {q: _summary(stats, q, l) for q in QUANTITIES}
            start, stop = self.unit_starts[l], self.unit_starts[l + 1]
            fields: dict[str, np.ndarray] = {}
            if arrays is not None:
                matrix, first_input, parameters = arrays
                n_in = self.n_inputs if l == 0 else self.widths[l - 1]
                size, u = width * n_in, self.units
                before, gradient = parameters
                fields = dict(
                    a_prev=first_input if l == 0 else matrix[:, self.unit_starts[l - 1] : start],
                    a=matrix[:, start:stop],
                    z=matrix[:, u + start : u + stop],
                    delta=matrix[:, 2 * u + start : 2 * u + stop],
                    weight=before[offset : offset + size].reshape(width, n_in),
                    bias=before[offset + size : offset + size + width],
                    grad_weight=gradient[offset : offset + size].reshape(width, n_in),
                    grad_bias=gradient[offset + size : offset + size + width],
                )
                offset += size + width
            hidden = l < self.n_layers - 1
            layers.append(
                LayerRecord(
                    index=l,
                    activation=activations[l],
                    summaries=summaries,
                    inactive=stats["inactive"][0, start:stop] if hidden else np.zeros(width),
                    dead_fraction=float(stats["dead_fraction"][0, l]),
                    grad_norm=float(stats["grad_norm"][0, l]),
                    weight_norm=float(stats["weight_norm"][0, l]),
                    update_ratio=float(stats["update_ratio"][0, l]),
                    **fields,
                )
            )
        return ProbeRecord(step=step, batch_size=self.batch, layers=tuple(layers))


def _summary(stats: dict[str, np.ndarray], quantity: str, layer: int) -> Summary:
    """The Summary of `quantity` in `layer` from decoded statistics of one row."""
    moments = [
        float(stats[f"{quantity}_{name}"][0, layer]) for name in ("mean", "std", "min", "max")
    ]
    mean, std, low, high = moments
    counts, edges = stats[f"{quantity}_counts"][0, layer], stats[f"{quantity}_edges"][0, layer]
    return Summary(mean=mean, std=std, min=low, max=high, counts=counts, edges=edges)


def _onehot(index: np.ndarray, classes: int) -> np.ndarray:
    onehot = np.zeros((len(index), classes), np.float32)
    onehot[np.arange(len(index)), index] = 1
    return onehot


def _as_int(array):
    return array.astype(np.int64) if isinstance(array, np.ndarray) else array.to(torch.int64)


def _as_float(array):
    return array.astype(np.float32) if isinstance(array, np.ndarray) else array.to(torch.float32)
