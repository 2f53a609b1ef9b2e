"""Rasters: heatmaps that a Figure's browser side draws as images and recolours in place, without
a replot. Here is what the kernel keeps of one (its spec, a dict) and what an edit sends."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnviz.views.wire import SAME, array_delta

TRANSFORMS = ("linear", "log1p")


def quantize(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """`values` as bytes for a raster with levels (low, high): 0..254 spans low..high (clipped),
    255 marks NaN. 254 steps: 0.008 on a [-1, 1] scale, finer than a colour scale shows."""
    values = np.asarray(values, np.float32)
    scaled = (np.clip(values, low, high) - low) * (254.0 / (high - low) if high > low else 0.0)
    out = np.rint(np.nan_to_num(scaled, nan=0.0)).astype(np.uint8)
    out[np.isnan(values)] = 255
    return out


def new_raster(
    x: tuple[float, float],
    y: tuple[float, float],
    colorscale: list | str,
    zmin: float,
    zmax: float,
    xref: str,
    yref: str,
    transform: str,
    hover: str | None,
    z: np.ndarray | None,
    levels: tuple[float, float] | None,
    xlabels: np.ndarray | None,
) -> dict:
    """The spec of a raster as Figure.add_raster describes it (every key the browser reads)."""
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be 'linear' or 'log1p'; got {transform!r}")
    return {"x": [float(v) for v in x], "y": [float(v) for v in y], "xref": xref,
            "yref": yref, "colorscale": _colorscale(colorscale), "zmin": float(zmin),
            "zmax": float(zmax), "transform": transform, "hover": hover, "visible": True,
            "levels": None if levels is None else [float(v) for v in levels],
            "xlabels": None if xlabels is None else np.asarray(xlabels, np.float32),
            "z": None if z is None else _raster_z(z)}  # fmt: skip


def edit_raster(spec: dict, values: dict[str, Any]) -> dict[str, Any]:
    """Apply `values` to `spec`; return what the browser needs of them: only keys whose value
    changed, z and xlabels as array_delta of what it holds."""
    unknown = set(values) - set(spec)
    if unknown:
        raise ValueError(f"set_raster: unknown keys {sorted(unknown)}; allowed: {sorted(spec)}")
    wire = dict(values)
    if "z" in values:
        values["z"] = _raster_z(values["z"])
        wire["z"] = array_delta(spec["z"], values["z"])
        if wire["z"] is SAME:
            del wire["z"]
    if "xlabels" in values:
        values["xlabels"] = np.ascontiguousarray(values["xlabels"], np.float32)
        wire["xlabels"] = array_delta(spec["xlabels"], values["xlabels"])
        if wire["xlabels"] is SAME:
            del wire["xlabels"]
    if "colorscale" in values:
        values["colorscale"] = _colorscale(values["colorscale"])
    for key in ("x", "y"):
        if key in values:
            values[key] = [float(v) for v in values[key]]
    for key in ("colorscale", "x", "y"):
        if key in values:
            wire[key] = values[key]
    for key in list(wire):  # what the browser already has is not sent again
        if key not in ("z", "xlabels") and spec[key] == values[key]:
            del wire[key]
    spec.update(values)
    return wire


def state_raster(spec: dict) -> dict:
    """A raster as widget state: arrays as binary buffers (ipywidgets sends memoryviews raw)."""
    state = dict(spec)
    for key in ("z", "xlabels"):
        values = spec[key]
        if values is not None:
            shape = ",".join(map(str, values.shape))
            state[key] = {"buffer": memoryview(values), "dtype": values.dtype.name, "shape": shape}
    return state


def _raster_z(z: object) -> np.ndarray:
    values = np.asarray(z)
    if values.ndim != 2:
        raise ValueError(f"z must be a 2-D array (rows, columns); got shape {values.shape}")
    if values.dtype.name not in ("uint8", "int8", "uint16", "int16", "int32", "float32"):
        values = values.astype(np.float32)
    return np.ascontiguousarray(values)


def _colorscale(scale: list | str) -> list:
    """An explicit [[position, colour], ...] scale (plotly's named scales resolved)."""
    if isinstance(scale, str):
        from plotly.colors import get_colorscale

        return [[float(p), c] for p, c in get_colorscale(scale)]
    return [[float(p), str(c)] for p, c in scale]
