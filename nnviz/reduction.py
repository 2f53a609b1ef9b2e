"""The probe's arithmetic: one step's a, z, delta and parameters of every layer reduced to one
flat vector of statistics, and that vector decoded back into per-layer numbers.

The reduction is written once against the functions numpy and torch share (take, amin, clip,
bincount, stack, concatenate, @), and runs on the tensors' own device: with torch on a GPU, with
numpy on CPU tensors (the same memory, no copy), where numpy's per-call cost on these small
arrays is a fraction of torch's. Each (quantity, layer) pair is one segment of columns of a
(batch, 3U) matrix [a | z | delta], so every statistic is one array operation for all layers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import ModuleType

import numpy as np
import torch

from nnviz.records import QUANTITIES, LayerRecord, ProbeRecord, Summary


class Layout:
    """Where each statistic of each layer lives, for one architecture and histogram size."""

    def __init__(
        self, widths: list[int], n_inputs: int, bins: int, device: torch.device, backend: str
    ) -> None:
        self.widths, self.n_inputs, self.bins = list(widths), n_inputs, bins
        self.n_layers = len(widths)
        self.units = sum(widths)
        self.hidden_units = self.units - widths[-1]
        self.n_segments = len(QUANTITIES) * self.n_layers
        self.xp: ModuleType = np if backend == "numpy" else torch
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
        onehot = np.zeros((len(column_segment), self.n_segments), np.float32)
        onehot[np.arange(len(column_segment)), column_segment] = 1
        put = self._constant if backend == "torch" else np.asarray
        self._device = device
        self.first_column = put(starts)
        self.column_segment = put(column_segment)
        self.segment_columns = put(padded)
        self.column_floor = put(offsets)
        self.column_ceiling = put(offsets + (bins - 1))
        self.segment_sum = put(onehot)
        self.tiny = put(np.full(self.n_segments, 1e-30, np.float32))
        # Reductions over an axis: numpy's ufunc methods skip the Python wrappers of np.amin.
        if backend == "numpy":
            self._least, self._most = np.minimum.reduce, np.maximum.reduce
        else:
            self._least, self._most = torch.amin, torch.amax
        # shift, two sums, low, high: 5 per segment; then the histograms, dead counts, norms.
        self.n_statistics = (5 + bins) * self.n_segments + self.hidden_units + 3 * self.n_layers
        self.edge_fractions = np.linspace(0.0, 1.0, bins + 1)

    def _constant(self, array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(array, device=self._device)

    def parameter_sums(self, parameter_layer: np.ndarray) -> object:
        """A (n_parameters, n_layers) 0/1 matrix: squares @ it sums each layer's squares."""
        onehot = np.zeros((len(parameter_layer), self.n_layers), np.float32)
        onehot[np.arange(len(parameter_layer)), parameter_layer] = 1
        return self._constant(onehot) if self.xp is torch else onehot

    # ----------------------------------------------------------------------- per step
    def reduce(
        self,
        matrix,
        first_input,
        before,
        gradients,
        after,
        parameter_sums,
        inactive: Callable,
        arrays: bool,
    ):
        """Statistics (and, if `arrays`, the arrays themselves) as one flat vector on the device."""
        with self._quiet():
            return self._reduce(
                matrix, first_input, before, gradients, after, parameter_sums, inactive, arrays
            )

    def _quiet(self) -> contextlib.AbstractContextManager:
        # A run about to diverge squares huge values: inf is the truth, not a warning.
        if self.xp is np:
            return np.errstate(over="ignore", invalid="ignore")
        return contextlib.nullcontext()

    def _reduce(
        self, matrix, first_input, before, gradients, after, parameter_sums, inactive, arrays
    ):
        xp, bins, least, most = self.xp, self.bins, self._least, self._most
        # Moments from data shifted by one value of each segment: sound in float32.
        shift = xp.take(matrix[0], self.first_column)
        shifted = matrix - xp.take(shift, self.column_segment)
        sums = xp.concatenate((shifted, shifted * shifted), 1).sum(0)
        sums = sums.reshape(2, -1) @ self.segment_sum
        low = least(xp.take(least(matrix, 0), self.segment_columns), 1)
        high = most(xp.take(most(matrix, 0), self.segment_columns), 1)
        # Histogram over each segment's own [min, max] of this batch: nothing falls outside,
        # negative activations and deltas included.
        scale = bins / xp.maximum(high - low, self.tiny)
        position = (matrix - xp.take(low, self.column_segment)) * xp.take(
            scale, self.column_segment
        )
        position = xp.minimum(
            xp.maximum(position + self.column_floor, self.column_floor), self.column_ceiling
        )
        counts = xp.bincount(_as_int(position).reshape(-1), minlength=self.n_segments * bins)
        hidden = self.hidden_units
        dead = inactive(matrix[:, self.units : self.units + hidden], matrix[:, :hidden]).sum(0)
        squares = xp.concatenate((gradients, after - before, before))
        norms = (squares * squares).reshape(3, -1) @ parameter_sums
        pieces = [shift, sums.reshape(-1), low, high, _as_float(counts), _as_float(dead)]
        pieces.append(norms.reshape(-1))
        if arrays:
            pieces += [matrix.reshape(-1), first_input.reshape(-1), before, gradients]
        flat = xp.concatenate(pieces)
        return flat if xp is np else flat.cpu().numpy()  # the one transfer of this step

    # ----------------------------------------------------------------------- decoding
    def decode(self, statistics: np.ndarray, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Rows of statistics vectors -> named arrays, each (rows, n_layers, ...)."""
        rows, segments, layers = len(statistics), self.n_segments, self.n_layers
        statistics = statistics.astype(np.float64)
        ends = np.cumsum([segments, 2 * segments, segments, segments, segments * self.bins])
        shift, sums, low, high, counts = np.split(statistics[:, : ends[-1]], ends[:-1], axis=1)
        dead_counts = statistics[:, ends[-1] : ends[-1] + self.hidden_units]
        norms = np.sqrt(statistics[:, ends[-1] + self.hidden_units :].reshape(rows, 3, layers))
        count = batch.reshape(-1, 1) * self.segment_widths
        first, second = sums[:, :segments] / count, sums[:, segments:] / count
        mean = shift + first
        std = np.sqrt(np.maximum(second - first * first, 0.0))
        edges = low[..., None] + (high - low)[..., None] * self.edge_fractions
        out: dict[str, np.ndarray] = {}
        for q, quantity in enumerate(QUANTITIES):
            part = slice(q * layers, (q + 1) * layers)
            out[f"{quantity}_mean"] = mean[:, part]
            out[f"{quantity}_std"] = std[:, part]
            out[f"{quantity}_min"] = low[:, part]
            out[f"{quantity}_max"] = high[:, part]
            out[f"{quantity}_counts"] = counts.reshape(rows, segments, -1)[:, part]
            out[f"{quantity}_edges"] = edges[:, part]
        inactive = dead_counts / batch.reshape(-1, 1)
        out["inactive"] = inactive
        whole = inactive >= 1.0
        if self.hidden_units:
            per_layer = np.add.reduceat(whole, self.unit_starts[:-2], axis=1)
        else:
            per_layer = np.zeros((rows, 0))
        widths = np.asarray(self.widths[:-1], np.float64)
        out["dead_fraction"] = np.concatenate([per_layer / widths, np.zeros((rows, 1))], axis=1)
        out["grad_norm"], update_norm, out["weight_norm"] = norms[:, 0], norms[:, 1], norms[:, 2]
        out["update_ratio"] = update_norm / np.maximum(out["weight_norm"], 1e-30)
        return out

    def record(
        self, host: np.ndarray, step: int, batch: int, arrays: bool, activations: list[str]
    ) -> ProbeRecord:
        """The per-layer ProbeRecord of one step from its transferred vector."""
        stats = self.decode(host[None, : self.n_statistics], np.asarray([batch]))
        if arrays:
            columns = len(QUANTITIES) * self.units
            start = self.n_statistics
            matrix = host[start : start + batch * columns].reshape(batch, columns)
            start += batch * columns
            first_input = host[start : start + batch * self.n_inputs].reshape(batch, -1)
            start += batch * self.n_inputs
            n_parameters = (len(host) - start) // 2
            before, gradients = host[start : start + n_parameters], host[start + n_parameters :]
        layers, offset = [], 0
        for l, width in enumerate(self.widths):
            summaries = {
                q: Summary(
                    float(stats[f"{q}_mean"][0, l]),
                    float(stats[f"{q}_std"][0, l]),
                    float(stats[f"{q}_min"][0, l]),
                    float(stats[f"{q}_max"][0, l]),
                    stats[f"{q}_counts"][0, l],
                    stats[f"{q}_edges"][0, l],
                )
                for q in QUANTITIES
            }
            start, stop = self.unit_starts[l], self.unit_starts[l + 1]
            hidden = l < self.n_layers - 1
            fields = {}
            if arrays:
                n_in = self.n_inputs if l == 0 else self.widths[l - 1]
                u = self.units
                size = width * n_in
                fields = dict(
                    a_prev=first_input if l == 0 else matrix[:, self.unit_starts[l - 1] : start],
                    a=matrix[:, start:stop],
                    z=matrix[:, u + start : u + stop],
                    delta=matrix[:, 2 * u + start : 2 * u + stop],
                    weight=before[offset : offset + size].reshape(width, n_in),
                    bias=before[offset + size : offset + size + width],
                    grad_weight=gradients[offset : offset + size].reshape(width, n_in),
                    grad_bias=gradients[offset + size : offset + size + width],
                )
                offset += size + width
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
        return ProbeRecord(step=step, batch_size=batch, layers=tuple(layers))


def _as_int(array):
    return array.astype(np.int64) if isinstance(array, np.ndarray) else array.to(torch.int64)


def _as_float(array):
    return array.astype(np.float32) if isinstance(array, np.ndarray) else array.to(torch.float32)
