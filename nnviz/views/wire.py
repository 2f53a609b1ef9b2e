"""What a Figure sends: its edits as JSON with numpy arrays in binary buffers, arrays that only
grew or scrolled sent as deltas of what the browser holds, and one message for the updates of
several figures (one_message). nnviz/static/nnviz-plot.js reads exactly this format."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
from plotly.basedatatypes import Undefined

if TYPE_CHECKING:
    from nnviz.views.figure import Figure

MAX_SHIFT = 8  # how far back a scrolled array is looked for
_WIRE_TYPES = {"int8", "uint8", "int16", "uint16", "int32", "uint32", "float32", "float64"}
_COLLECTED = threading.local()  # parts and buffers of the message one_message() is gathering


class Delta:
    """An array sent as a change of the previous one: `tail` keeps the first `keep` entries
    (columns, for 2-D) and appends `values`; `shift` drops the first `keep` and appends."""

    def __init__(self, kind: str, keep: int, values: np.ndarray) -> None:
        self.kind, self.keep, self.values = kind, keep, values


SAME = Delta("same", 0, np.zeros(0))  # nothing to send: the browser has it


def array_delta(old: object, new: object) -> object:
    """What to send for `new` when the browser holds `old`: a Delta when `new` only grew or
    scrolled (1-D along its length, 2-D along its columns: curves and histograms over time),
    else `new` itself. The comparison is on the bytes, so NaN equals NaN."""
    if not (isinstance(old, np.ndarray) and isinstance(new, np.ndarray)):
        return new
    if old.dtype != new.dtype or old.ndim != new.ndim or new.ndim not in (1, 2):
        return new
    if new.ndim == 2 and old.shape[0] != new.shape[0]:
        return new
    length, before = new.shape[-1], old.shape[-1]
    if old.shape == new.shape and _equal_along(old, new).all():
        return SAME
    if length < 16:
        return new
    if before <= length:  # the same start, more (or a changed last part) at the end
        differs = np.flatnonzero(~_equal_along(old, new[..., :before]))
        keep = int(differs[0]) if len(differs) else before
        if keep == before == length:
            return SAME
        if keep >= length // 2:
            return Delta("tail", keep, np.ascontiguousarray(new[..., keep:]))
    if before == length:  # scrolled by a few: the window moved on
        for shift in range(1, min(MAX_SHIFT, length // 2) + 1):
            if _equal_along(old[..., shift:], new[..., : length - shift]).all():
                return Delta("shift", shift, np.ascontiguousarray(new[..., length - shift :]))
    return new


def _equal_along(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Per index of the last axis: whether old and new agree there (NaN agreeing with NaN)."""
    same = old == new
    if old.dtype.kind == "f":
        same |= np.isnan(old) & np.isnan(new)
    return same if same.ndim == 1 else same.all(axis=0)


def encode(value: object, buffers: list[memoryview]) -> object:
    """`value` as JSON with binary buffers: arrays become {"$b": index, dtype, shape}, NaN null,
    plotly's Undefined {"$u": 1} (leave this trace's value alone), a Delta {"$d": kind, ...}."""
    if isinstance(value, dict):
        return {key: encode(item, buffers) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(item, buffers) for item in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return encode(value.tolist(), buffers)
        if value.dtype.name not in _WIRE_TYPES:  # int64, bool, float16: no typed array
            value = value.astype(np.float64 if value.dtype.kind in "iuf" else np.uint8)
        value = np.ascontiguousarray(value)
        buffers.append(memoryview(value).cast("B"))  # type: ignore[arg-type]  # numpy's stubs
        shape = ",".join(map(str, value.shape))
        return {"$b": len(buffers) - 1, "dtype": value.dtype.name, "shape": shape}
    if isinstance(value, np.generic):
        return encode(value.item(), buffers)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is Undefined:
        return {"$u": 1}
    if isinstance(value, Delta):
        return {"$d": value.kind, "keep": value.keep, "values": encode(value.values, buffers)}
    return value


def encode_message(content: dict, buffers: list[memoryview]) -> dict:
    """A message's content encoded as `encode` does, its arrays appended to `buffers`."""
    return {key: encode(item, buffers) for key, item in content.items()}


def wire_ready(value: object) -> object:
    """A contiguous copy of a strided numpy array: the kernel sends 1-D arrays as binary buffers
    and zmq refuses non-contiguous ones (plotly's validators used to copy them)."""
    if isinstance(value, np.ndarray) and not value.flags.c_contiguous:
        return np.ascontiguousarray(value)
    return value


_CLICK_STATE = {"alt": False, "ctrl": False, "meta": False, "shift": False, "button": 0,
                "buttons": 0}  # fmt: skip


def click_event(points: list[dict]) -> dict:
    """A click as nnviz-plot.js reports it ({trace, point, x, y} per point), in the form plotly's
    FigureWidget hands its on_click callbacks."""
    data = {
        "trace_indexes": [int(p["trace"]) for p in points],
        "point_indexes": [int(p["point"]) for p in points],
        "xs": [p.get("x") for p in points],
        "ys": [p.get("y") for p in points],
    }
    return {"event_type": "plotly_click", "points": data, "device_state": _CLICK_STATE}


def gathering() -> tuple[list[tuple[Figure, dict]], list[memoryview]] | None:
    """The parts and buffers of the message one_message() gathers on this thread, or None."""
    parts = getattr(_COLLECTED, "parts", None)
    return None if parts is None else (parts, _COLLECTED.buffers)


@contextmanager
def one_message() -> Iterator[None]:
    """Figure updates sent inside this block, on this thread, go to the browser as one message
    when it ends: each figure's update is a part of it, for that figure's store in the page,
    carried by the first figure's comm. One websocket message per refresh of a dashboard instead
    of one per view: the kernel signs and sends one, the server relays one, and the page decodes
    and dispatches one (each costs all three about as much as a small figure's drawing). Revisions
    and acknowledgements stay per figure. Nested blocks join the outer one."""
    if getattr(_COLLECTED, "parts", None) is not None:
        yield
        return
    _COLLECTED.parts, _COLLECTED.buffers = [], []
    try:
        yield
    finally:
        parts, buffers = _COLLECTED.parts, _COLLECTED.buffers
        _COLLECTED.parts = _COLLECTED.buffers = None
        if len(parts) == 1:
            parts[0][0].send(parts[0][1], buffers)
        elif parts:
            grouped = [{**message, "id": figure.model_id} for figure, message in parts]
            parts[0][0].send({"op": "group", "parts": grouped}, buffers)
