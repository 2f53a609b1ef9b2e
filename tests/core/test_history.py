"""Tests for nnviz.core.history: BoundedTable keeps the last `capacity` rows exactly and a thinned
overview of the older ones from row 0, in memory fixed at construction; History routes names."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnviz.core.history import EVALUATION_COLUMNS, STEP_COLUMNS, BoundedTable, History


def filled(count: int, capacity: int = 10, overview: int = 4) -> BoundedTable:
    """A table whose column x holds 0, 1, ..., count - 1 and y holds their squares."""
    table = BoundedTable(["x", "y"], capacity=capacity, overview=overview)
    for row in range(count):
        table.append(row, row**2)
    return table


def test_an_empty_table() -> None:
    table = filled(0)
    assert len(table) == 0 and table.total == 0
    assert table["x"].shape == (0,)
    assert table.recent("x").shape == (0,)
    assert table.last is None


def test_recent_rows_are_exact_and_in_order() -> None:
    table = filled(25)
    np.testing.assert_array_equal(table.recent("x"), np.arange(15, 25))
    np.testing.assert_array_equal(table.recent("y"), np.arange(15, 25) ** 2)
    np.testing.assert_array_equal(table.recent("x", 3), [22, 23, 24])
    np.testing.assert_array_equal(table.recent("x", 0), np.zeros(0))
    np.testing.assert_array_equal(table.recent("x", 100), np.arange(15, 25))
    assert table.last == {"x": 24.0, "y": 576.0}


def test_before_the_ring_fills_every_row_is_kept() -> None:
    table = filled(7)
    np.testing.assert_array_equal(table["x"], np.arange(7))
    assert len(table) == 7 and table.total == 7


def test_since_returns_each_new_chunk_once() -> None:
    table = BoundedTable(["x"], capacity=10, overview=4)
    seen: list[float] = []
    total = 0
    for chunk in (3, 0, 7, 9, 1, 10):
        for _ in range(chunk):
            table.append(float(table.total))
        new = table.since(total)["x"]
        assert len(new) == chunk
        seen.extend(new)
        total = table.total
    np.testing.assert_array_equal(seen, np.arange(30))


def test_since_gives_only_what_the_ring_still_holds() -> None:
    table = filled(30)
    np.testing.assert_array_equal(table.since(5)["x"], np.arange(20, 30))
    np.testing.assert_array_equal(table.since(25)["y"], np.arange(25, 30) ** 2)
    assert set(table.since(0)) == {"x", "y"}


def test_overview_covers_the_run_from_row_0_with_a_doubling_stride() -> None:
    capacity, overview = 10, 4
    table = filled(200, capacity, overview)
    column = table["x"]
    old, recent = column[:-capacity], column[-capacity:]
    np.testing.assert_array_equal(recent, np.arange(190, 200))
    assert old[0] == 0
    assert 1 <= len(old) <= overview
    stride = old[1] - old[0]
    assert stride > 1 and np.log2(stride).is_integer()  # a power of two
    np.testing.assert_array_equal(np.diff(old), stride)  # evenly thinned
    assert old[-1] < recent[0] and recent[0] - old[-1] <= 2 * stride
    assert len(table) == len(column) == len(old) + capacity


def test_memory_is_fixed_at_construction() -> None:
    table = BoundedTable({"x": (), "histogram": (3, 8)}, capacity=50, overview=10)
    memory = table.nbytes
    assert memory == (50 + 10) * 8 * (1 + 24)
    for row in range(5_000):
        table.append(row, np.full((3, 8), row))
    assert table.nbytes == memory
    assert table["histogram"].shape == (len(table), 3, 8)
    np.testing.assert_array_equal(table.recent("histogram", 1)[0], np.full((3, 8), 4_999))


def test_unknown_columns_raise_key_error() -> None:
    table = filled(3)
    with pytest.raises(KeyError, match="nope"):
        table["nope"]
    with pytest.raises(KeyError, match="nope"):
        table.recent("nope")


def test_append_needs_one_value_per_column() -> None:
    table = filled(0)
    with pytest.raises(ValueError):
        table.append(1.0)


def test_clear_forgets_every_row() -> None:
    table = filled(40)
    table.clear()
    assert len(table) == 0 and table.total == 0
    table.append(7, 49)
    np.testing.assert_array_equal(table["x"], [7])


def test_to_dict_holds_every_column_over_the_run() -> None:
    table = filled(12)
    columns = table.to_dict()
    assert list(columns) == ["x", "y"]
    np.testing.assert_array_equal(columns["x"], table["x"])
    np.testing.assert_array_equal(columns["y"], columns["x"] ** 2)


@pytest.mark.parametrize(
    ("arguments", "name"), [({"capacity": 0}, "capacity"), ({"overview": -1}, "overview")]
)
def test_bad_sizes_name_the_parameter(arguments: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        BoundedTable(["x"], **arguments)


@settings(max_examples=150, deadline=None)
@given(
    capacity=st.integers(1, 20),
    overview=st.integers(1, 12),
    chunks=st.lists(st.integers(0, 60), max_size=8),
    start=st.floats(-1e6, 1e6),
)
def test_property_increasing_from_the_first_value_to_the_last_capacity_rows(
    capacity: int, overview: int, chunks: list[int], start: float
) -> None:
    table = BoundedTable(["x"], capacity=capacity, overview=overview)
    appended: list[float] = []
    for chunk in chunks:
        for _ in range(chunk):
            value = start + len(appended)  # strictly increasing
            table.append(value)
            appended.append(value)
        column = table["x"]
        assert len(column) == len(table)
        if not appended:
            assert len(column) == 0
            continue
        assert (np.diff(column) > 0).all()
        assert column[0] == appended[0]
        kept = min(len(appended), capacity)
        np.testing.assert_array_equal(column[-kept:], appended[-kept:])
        assert len(column) <= capacity + overview
        assert set(column) <= set(appended)


def test_history_routes_step_and_evaluation_columns() -> None:
    history = History(capacity=5, overview=2)
    assert history.steps.columns == STEP_COLUMNS
    assert history.evaluations.columns == EVALUATION_COLUMNS
    for step in range(1, 4):
        history.steps.append(step, 0, 10 * step, 1.0 / step, 0.0, 1.0 / step, 0.1 * step)
    history.evaluations.append(3, 1, 30, 0.5, 0.6, 0.0, 0.9, 0.8, 0.55, 0.85)
    np.testing.assert_array_equal(history["step"], [1, 2, 3])  # the per-step column
    np.testing.assert_array_equal(history["loss"], [1.0, 0.5, 1 / 3])
    np.testing.assert_array_equal(history["test_metric"], [0.8])  # only in evaluations
    assert len(history) == 3
    with pytest.raises(KeyError):
        history["accuracy"]
    history.clear()
    assert len(history) == 0 and history.evaluations.total == 0
