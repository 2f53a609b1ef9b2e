"""ProbeHistory: a LayerProbe's statistics per sampled step, kept in bounded memory (a
BoundedTable of raw statistic rows) and decoded into named per-layer arrays when read."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from nnviz.core.history import BoundedTable
from nnviz.probes.reduction import Layout


class ProbeHistory:
    """The probe's statistics per sampled step, in bounded memory; decoded when read."""

    def __init__(self, flush: Callable[[], None], lock: threading.RLock) -> None:
        self._flush = flush  # brings the probe's buffered steps in before any read
        self._lock = lock  # the probe's: no row is read while the training thread writes one
        self.clear()

    def clear(self) -> None:
        """Forget every row."""
        self._table: BoundedTable | None = None
        self._layout: Layout | None = None

    def extend(self, layout: Layout, steps: list[int], rows: np.ndarray, size: int) -> None:
        """Add reduced steps (the probe calls this)."""
        if (
            self._table is None
            or self._layout is None
            or self._layout.n_statistics != layout.n_statistics
        ):
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
        columns = self.to_dict()
        if name not in columns:
            raise KeyError(f"no statistic {name!r}; choose from {', '.join(columns)}")
        return columns[name]

    def to_dict(self) -> dict[str, np.ndarray]:
        """Every statistic over the kept rows."""
        with self._lock:
            self._flush()
            if self._table is None or self._layout is None:
                raise KeyError("the probe has recorded nothing yet")
            layout, batch = self._layout, self._table["batch_size"]
            statistics, step = self._table["statistics"], self._table["step"].astype(np.int64)
        decoded = layout.decode(statistics, batch)
        return {"step": step, "batch_size": batch.astype(np.int64), **decoded}

    def __repr__(self) -> str:
        return f"ProbeHistory({len(self)} rows kept of {self.total})"
