"""Imported for its effect: plotly's validators skip narwhals' type probing for numpy arrays.

plotly validates every array assigned to a trace through narwhals.from_native, which for a plain
numpy array returns it unchanged after ~0.3 ms of type probing: with ~40 arrays per refresh that
was a third of a view's drawing time. Same result, without the probing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _plotly_utils import basevalidators  # type: ignore[import-untyped]  # plotly ships no stubs


class _NumpyFirst:
    """plotly's narwhals module, except that a numpy array skips `from_native`."""

    def __init__(self, narwhals: Any) -> None:
        self._narwhals = narwhals

    def from_native(self, value: object, *arguments: object, **options: object) -> object:
        """`value` itself for numpy arrays (as narwhals' pass_through gives), else narwhals'."""
        if type(value) is np.ndarray and options.get("pass_through"):
            return value
        return self._narwhals.from_native(value, *arguments, **options)

    def __getattr__(self, name: str) -> object:
        return getattr(self._narwhals, name)


if not isinstance(basevalidators.nw, _NumpyFirst):
    basevalidators.nw = _NumpyFirst(basevalidators.nw)
