"""Tests for nnviz.lessons.checks: batch sizes in range, None only where full batch is allowed;
a sweep's values in range and distinct."""

from __future__ import annotations

import pytest

from nnviz.lessons.checks import check_batch_sizes, check_sweep_values


def test_batch_sizes_come_back_as_a_tuple_of_ints() -> None:
    assert check_batch_sizes([1, 16, 30], 30) == (1, 16, 30)
    assert check_batch_sizes((None, 1, 10), 30, full_batch=True) == (None, 1, 10)


@pytest.mark.parametrize(
    ("batch_sizes", "full_batch", "error", "message"),
    [
        ((0,), False, ValueError, r"batch_sizes\[0\]=0 is out of range; allowed: 1 to 30"),
        ((1, 31), True, ValueError, r"batch_sizes\[1\]=31 is out of range"),
        ((None,), False, TypeError, r"batch_sizes\[0\] must be an integer"),
        ((), False, TypeError, r"batch_sizes must be a non-empty list such as \(1, 16, 256\)"),
        ("10", True, TypeError, r"batch_sizes must be a non-empty list such as \(None, 1, 10\)"),
    ],
)
def test_bad_batch_sizes_name_the_entry(batch_sizes, full_batch, error, message) -> None:
    with pytest.raises(error, match=message):
        check_batch_sizes(batch_sizes, 30, full_batch=full_batch)


def test_sweep_values_come_back_as_floats_in_their_order() -> None:
    assert check_sweep_values("lrs", [1, 0.1], 0.0, strict=True) == (1.0, 0.1)
    assert check_sweep_values("reg_rates", (0, 0.01), 0.0, strict=False) == (0.0, 0.01)


@pytest.mark.parametrize(
    ("values", "strict", "error", "message"),
    [
        ((0.1, 0.1), True, ValueError, r"lrs=\[0.1, 0.1\] repeats a value; allowed: distinct"),
        ((0.0,), True, ValueError, r"lrs\[0\]=0 is out of range; allowed: > 0.0"),
        ((-1,), False, ValueError, r"lrs\[0\]=-1 is out of range; allowed: >= 0.0"),
        ((), True, TypeError, r"lrs must be a non-empty list such as \(0.01, 0.1, 1.0\)"),
        ("0.1", True, TypeError, r"lrs must be a non-empty list"),
        (("a",), True, TypeError, r"lrs\[0\] must be a number"),
    ],
)
def test_bad_sweep_values_name_the_entry(values, strict, error, message) -> None:
    with pytest.raises(error, match=message):
        check_sweep_values("lrs", values, 0.0, strict=strict)
