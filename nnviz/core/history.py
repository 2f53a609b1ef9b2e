"""Fixed-memory history: the last `capacity` rows exactly, plus an overview of everything older,
thinned by a stride that doubles whenever the overview fills. Memory stays flat however long the
run, and a plot of the whole run still covers it from the first step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nnviz.core.checks import check_int


class BoundedTable:
    """Columns of numbers (scalars or fixed-shape arrays per row) in bounded memory."""

    def __init__(
        self,
        columns: Sequence[str] | Mapping[str, tuple[int, ...]],
        capacity: int = 10_000,
        overview: int = 2_000,
        dtype: type = np.float64,
    ) -> None:
        self.capacity = check_int("capacity", capacity, minimum=1)
        self.overview_capacity = check_int("overview", overview, minimum=0)
        shapes = dict(columns) if isinstance(columns, Mapping) else {name: () for name in columns}
        self.columns = tuple(shapes)
        self._recent: dict[str, np.ndarray] = {
            n: np.zeros((self.capacity, *s), dtype) for n, s in shapes.items()
        }
        self._old: dict[str, np.ndarray] = {
            n: np.zeros((self.overview_capacity, *s), dtype) for n, s in shapes.items()
        }
        self.clear()

    def clear(self) -> None:
        """Forget every row (the arrays are kept and reused)."""
        self.total = 0  # rows ever appended
        self._old_count = 0
        self._stride = 1  # the overview keeps rows whose number is a multiple of this

    def append(self, *values: object) -> None:
        """Add one row: one value per column, in column order."""
        slot = self.total % self.capacity
        if self.total >= self.capacity:
            self._retire(slot, self.total - self.capacity)
        for array, value in zip(self._recent.values(), values, strict=True):
            array[slot] = value
        self.total += 1

    def _retire(self, slot: int, number: int) -> None:
        # Row `number` is about to be overwritten in the ring: keep it in the overview if it
        # falls on the stride; when the overview is full, halve it and double the stride.
        if self.overview_capacity == 0 or number % self._stride:
            return
        if self._old_count == self.overview_capacity:
            for array in self._old.values():
                kept = array[: self._old_count : 2].copy()
                array[: len(kept)] = kept
            self._old_count = (self._old_count + 1) // 2
            self._stride *= 2
            if number % self._stride:
                return
        for name, array in self._old.items():
            array[self._old_count] = self._recent[name][slot]
        self._old_count += 1

    def __len__(self) -> int:
        return self._old_count + min(self.total, self.capacity)

    def recent(self, name: str, count: int | None = None) -> np.ndarray:
        """The last `count` rows of column `name` (default: all recent rows), oldest first."""
        kept = min(self.total, self.capacity)
        count = kept if count is None else min(check_int("count", count, minimum=0), kept)
        start = self.total - count
        return self._take(self._recent[self._column(name)], start, self.total)

    def since(self, total: int) -> dict[str, np.ndarray]:
        """Rows appended after the table held `total` rows (those still in the recent ring)."""
        start = max(total, self.total - self.capacity)
        return {name: self._take(array, start, self.total) for name, array in self._recent.items()}

    def __getitem__(self, name: str) -> np.ndarray:
        """Column `name` over the whole run: the overview, then every recent row, oldest first."""
        return np.concatenate([self._old[self._column(name)][: self._old_count], self.recent(name)])

    @property
    def last(self) -> dict[str, object] | None:
        """The newest row as a dict, or None when empty."""
        if self.total == 0:
            return None
        slot = (self.total - 1) % self.capacity
        return {name: array[slot].copy() for name, array in self._recent.items()}

    def to_dict(self) -> dict[str, np.ndarray]:
        """Every column over the whole run (see __getitem__)."""
        return {name: self[name] for name in self.columns}

    @property
    def nbytes(self) -> int:
        """Memory held by the buffers; fixed at construction."""
        arrays = [*self._recent.values(), *self._old.values()]
        return sum(array.nbytes for array in arrays)

    def _column(self, name: str) -> str:
        if name not in self._recent:
            raise KeyError(f"no column {name!r}; columns are {', '.join(self.columns)}")
        return name

    def _take(self, array: np.ndarray, start: int, stop: int) -> np.ndarray:
        # Rows start..stop-1 (row numbers since the beginning) out of the ring, in order.
        if stop <= start:
            return array[:0].copy()
        first, last = start % self.capacity, (stop - 1) % self.capacity + 1
        if first < last:
            return array[first:last].copy()
        return np.concatenate([array[first:], array[:last]])

    def __repr__(self) -> str:
        return (
            f"BoundedTable({len(self)} rows kept of {self.total}, columns={list(self.columns)}, "
            f"capacity={self.capacity}, overview={self.overview_capacity})"
        )


STEP_COLUMNS = ("step", "epoch", "examples_seen", "loss", "penalty", "total", "elapsed")
EVALUATION_COLUMNS = (
    "step",
    "epoch",
    "examples_seen",
    "train_loss",
    "test_loss",
    "penalty",
    "train_metric",
    "test_metric",
    "val_loss",
    "val_metric",
)


class History:
    """A training run's numbers: `steps` per update, `evaluations` every eval_every updates."""

    def __init__(self, capacity: int = 10_000, overview: int = 2_000) -> None:
        self.steps = BoundedTable(STEP_COLUMNS, capacity, overview)
        self.evaluations = BoundedTable(EVALUATION_COLUMNS, capacity, overview)

    def __getitem__(self, name: str) -> np.ndarray:
        """A per-step column ('loss', 'total', ...) or, if not one, a per-evaluation column."""
        table = self.steps if name in self.steps.columns else self.evaluations
        return table[name]

    def __len__(self) -> int:
        return self.steps.total

    def clear(self) -> None:
        """Forget the run."""
        self.steps.clear()
        self.evaluations.clear()

    def __repr__(self) -> str:
        return f"History({self.steps.total} steps, {self.evaluations.total} evaluations)"
