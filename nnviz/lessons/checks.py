"""Argument checks that several lessons share, in nnviz.core.checks's message style."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, overload

from nnviz.core.checks import check_int, check_number, check_sequence


@overload
def check_batch_sizes(
    batch_sizes: Sequence[int], n_train: int, full_batch: Literal[False] = False
) -> tuple[int, ...]: ...
@overload
def check_batch_sizes(
    batch_sizes: Sequence[int | None], n_train: int, full_batch: Literal[True]
) -> tuple[int | None, ...]: ...
def check_batch_sizes(
    batch_sizes: Sequence[int | None], n_train: int, full_batch: bool = False
) -> tuple[int | None, ...]:
    """Batch sizes 1..n_train as a tuple; with `full_batch`, None (the whole training set) too."""
    example = "(None, 1, 10)" if full_batch else "(1, 16, 256)"
    return tuple(
        None
        if size is None and full_batch
        else check_int(f"batch_sizes[{index}]", size, 1, n_train)
        for index, size in enumerate(check_sequence("batch_sizes", batch_sizes, example))
    )


def check_sweep_values(
    parameter: str, values: Sequence[float], minimum: float, strict: bool
) -> tuple[float, ...]:
    """The values of a sweep (learning rates, lambdas): numbers >= `minimum` (> with `strict`),
    none repeated, as a tuple."""
    checked = tuple(
        check_number(f"{parameter}[{index}]", value, minimum=minimum, strict_minimum=strict)
        for index, value in enumerate(check_sequence(parameter, values, "(0.01, 0.1, 1.0)"))
    )
    if len(set(checked)) != len(checked):
        raise ValueError(f"{parameter}={list(values)} repeats a value; allowed: distinct values")
    return checked
