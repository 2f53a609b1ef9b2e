"""BucketMeans: columns of numbers kept in bounded memory as means of buckets of rows.

Rows fall into buckets of `stride` consecutive rows and a point is its bucket's mean (x and y
alike); when the buffer is full, neighbouring buckets merge in pairs and the stride doubles, so
a curve of any length covers the whole run from its first row in at most `capacity` points."""

from __future__ import annotations

import numpy as np

from nnviz.core.checks import check_int


class BucketMeans:
    """Columns of numbers in at most `capacity` points: bucket b is the mean of rows
    b * stride .. (b + 1) * stride - 1; the stride doubles whenever the buffer fills."""

    def __init__(self, columns: tuple[str, ...], capacity: int) -> None:
        self.columns = columns
        self.capacity = check_int("capacity", capacity, minimum=2)
        self.clear()

    def clear(self) -> None:
        """Forget every row."""
        self._sums = np.zeros((self.capacity, len(self.columns)))
        self._counts = np.zeros(self.capacity)
        self.size, self.stride, self.total = 0, 1, 0

    def extend(self, rows: dict[str, np.ndarray]) -> None:
        """Add rows given as equal-length columns (every name in `columns`)."""
        values = np.column_stack([np.asarray(rows[name], float) for name in self.columns])
        done, count = 0, len(values)
        self.total += count
        while done < count:
            last = self.size - 1
            if self.size and self._counts[last] < self.stride:  # top up the open bucket
                take = min(self.stride - int(self._counts[last]), count - done)
                self._sums[last] += values[done : done + take].sum(axis=0)
                self._counts[last] += take
            elif self.size == self.capacity:
                self._merge()
                continue
            else:  # whole new buckets at once, the last one possibly partial
                take = min((self.capacity - self.size) * self.stride, count - done)
                chunk, full = values[done : done + take], take // self.stride
                blocks = chunk[: full * self.stride].reshape(full, self.stride, values.shape[1])
                self._sums[self.size : self.size + full] = blocks.sum(axis=1)
                self._counts[self.size : self.size + full] = self.stride
                self.size += full
                if take > full * self.stride:
                    self._sums[self.size] = chunk[full * self.stride :].sum(axis=0)
                    self._counts[self.size] = take - full * self.stride
                    self.size += 1
            done += take

    def _merge(self) -> None:
        pairs = self.size // 2
        sums = self._sums[: 2 * pairs : 2] + self._sums[1 : 2 * pairs : 2]
        counts = self._counts[: 2 * pairs : 2] + self._counts[1 : 2 * pairs : 2]
        if self.size % 2:  # an odd last bucket stays alone, open to the next rows
            sums = np.vstack([sums, self._sums[self.size - 1]])
            counts = np.append(counts, self._counts[self.size - 1])
        self._sums[: len(sums)], self._counts[: len(counts)] = sums, counts
        self.size, self.stride = len(sums), self.stride * 2

    def __getitem__(self, name: str) -> np.ndarray:
        """The bucket means of column `name`, oldest first, as float32."""
        column = self.columns.index(name)
        return (self._sums[: self.size, column] / self._counts[: self.size]).astype(np.float32)
