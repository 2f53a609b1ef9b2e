"""Argument checks shared by the public constructors: each error names the parameter, the value
given and what is allowed, so a student sees at once what to change."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy

_INTEGERS = (int, numpy.integer)
_NUMBERS = (int, float, numpy.integer, numpy.floating)


def check_choice(parameter: str, value: Any, allowed: Iterable[str]) -> str:
    """Return `value` lower-cased if it is one of `allowed`, else raise ValueError/TypeError."""
    allowed = tuple(allowed)
    if not isinstance(value, str):
        raise TypeError(
            f"{parameter} must be a string, one of {', '.join(map(repr, allowed))}; "
            f"got {value!r} of type {type(value).__name__}"
        )
    key = value.strip().lower()
    if key not in allowed:
        raise ValueError(
            f"{parameter}={value!r} is not supported; choose one of {', '.join(map(repr, allowed))}"
        )
    return key


def check_int(
    parameter: str, value: Any, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return `value` as int if it is an integer within [minimum, maximum], else raise."""
    if isinstance(value, bool) or not isinstance(value, _INTEGERS):
        raise TypeError(
            f"{parameter} must be an integer; got {value!r} of type {type(value).__name__}"
        )
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(
            f"{parameter}={value} is out of range; allowed: {_range_text(minimum, maximum)}"
        )
    return value


def check_number(
    parameter: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_minimum: bool = False,
) -> float:
    """Return `value` as a finite float within the bounds, else raise."""
    if isinstance(value, bool) or not isinstance(value, _NUMBERS):
        raise TypeError(
            f"{parameter} must be a number; got {value!r} of type {type(value).__name__}"
        )
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{parameter}={value} is not a finite number")
    too_small = minimum is not None and (value <= minimum if strict_minimum else value < minimum)
    if too_small or (maximum is not None and value > maximum):
        low = f"> {minimum}" if strict_minimum else f">= {minimum}"
        allowed = " and ".join(
            part
            for part in (
                low if minimum is not None else "",
                f"<= {maximum}" if maximum is not None else "",
            )
            if part
        )
        raise ValueError(f"{parameter}={value:g} is out of range; allowed: {allowed}")
    return value


def check_sequence(parameter: str, value: Any, example: str, empty: bool = False) -> tuple:
    """Return `value` as a tuple if it is a list or tuple (not a string, whose letters would be
    taken one by one), non-empty unless `empty`; else raise TypeError naming an `example`."""
    if not isinstance(value, list | tuple) or (not value and not empty):
        kind = "a list" if empty else "a non-empty list"
        raise TypeError(f"{parameter} must be {kind} such as {example}; got {value!r}")
    return tuple(value)


def check_widths(
    parameter: str,
    value: Any,
    maximum: int | None = None,
    max_layers: int | None = None,
) -> tuple[int, ...]:
    """Hidden-layer widths such as (8, 8): a list of integers >= 1 (and <= `maximum`), at most
    `max_layers` of them; () is a network without hidden layers."""
    widths = tuple(
        check_int(f"{parameter}[{index}]", width, minimum=1, maximum=maximum)
        for index, width in enumerate(check_sequence(parameter, value, "(8, 8)", empty=True))
    )
    if max_layers is not None and len(widths) > max_layers:
        raise ValueError(
            f"{parameter}={list(widths)} has {len(widths)} hidden layers, which is out of range; "
            f"allowed: 0 to {max_layers}"
        )
    return widths


def _range_text(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{minimum} to {maximum}"
    if minimum is not None:
        return f">= {minimum}"
    return f"<= {maximum}"
