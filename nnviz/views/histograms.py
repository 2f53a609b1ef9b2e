"""The histogram arithmetic of LayerStatsView: moving histograms onto one common range (rebin),
plotly's named colour scales as explicit stops (explicit_scale), and ranges that stay put for
many refreshes (nice_range, sticky_range), so that a refresh sends only the newest column."""

from __future__ import annotations

import functools

import numpy as np
from plotly.colors import sample_colorscale


def rebin(counts: np.ndarray, edges: np.ndarray, target_edges: np.ndarray) -> np.ndarray:
    """Histograms `counts` (columns, bins) over their own `edges` (columns, bins + 1) moved onto
    one `target_edges`, each bin's count spread evenly over its width (1-D input: one column).
    Counts outside the target range are dropped, so a covering target keeps every total."""
    single = np.ndim(counts) == 1
    counts, edges = np.atleast_2d(counts).astype(float), np.atleast_2d(edges).astype(float)
    target = np.asarray(target_edges, float)
    low, width = edges[:, :1], edges[:, -1:] - edges[:, :1]
    safe = np.where(width > 0, width, 1.0)
    # One np.interp for all columns: column r's edges are mapped into [2r, 2r + 1].
    offsets = 2.0 * np.arange(len(counts))[:, None]
    known = (edges - low) / safe + offsets
    cumulative = np.concatenate([np.zeros((len(counts), 1)), np.cumsum(counts, axis=1)], axis=1)
    wanted = np.clip((target - low) / safe, 0.0, 1.0) + offsets
    result = np.diff(np.interp(wanted, known.ravel(), cumulative.ravel()), axis=1)
    for row in np.flatnonzero(width[:, 0] <= 0):  # one value only (a dead unit's delta)
        index = np.searchsorted(target, low[row, 0], side="right") - 1
        result[row] = 0.0
        result[row, min(max(index, 0), len(target) - 2)] = counts[row].sum()
    return result[0] if single else result


@functools.lru_cache(maxsize=8)
def explicit_scale(name: str) -> list:
    """plotly's named scale as explicit stops (sampling costs ~5 ms: once per name)."""
    fractions = np.linspace(0.0, 1.0, 12)
    colours = sample_colorscale(name, fractions)
    return [[float(f), c] for f, c in zip(fractions, colours, strict=True)]


def nice_range(low: float, high: float) -> tuple[float, float]:
    """[low, high] widened to multiples of a coarse step (an eighth of the power of 2 at or above
    the span): it changes only when the data crosses a grid line, not at every new extreme."""
    span = max(high - low, 1e-12)
    step = 2.0 ** np.ceil(np.log2(span)) / 8
    return float(np.floor(low / step) * step), float(np.ceil(high / step) * step)


def sticky_range(
    previous: tuple[float, float] | None, low: float, high: float
) -> tuple[float, float]:
    """The range a histogram shows for data over [low, high]: `previous` while the data stays
    inside it and spans at least a third of it. When the data outgrows it: widened on each side
    that grew, to the data plus half of the data's span of room (the spread of delta keeps
    growing in training). When the data has shrunk to less than a third: the data's range with a
    quarter of its span of room on both sides. The first time: nice_range(low, high). Every new
    range is rounded out by nice_range. A range that followed the data at every grid line would
    relayout its axis and move its image a few times a second; this one moves rarely."""
    if previous is None:
        return nice_range(low, high)
    kept_low, kept_high = previous
    span = high - low
    if kept_low <= low and high <= kept_high:
        if span >= (kept_high - kept_low) / 3:
            return previous
        return nice_range(low - span / 4, high + span / 4)
    grown_low = low - span / 2 if low < kept_low else kept_low
    grown_high = high + span / 2 if high > kept_high else kept_high
    return nice_range(grown_low, grown_high)
