"""What a figure sends: the byte count of the widget messages an action makes it send."""

from __future__ import annotations

import json

from plotly.serializers import _py_to_js

MESSAGES = ["_py2js_update", "_py2js_restyle", "_py2js_relayout", "_py2js_addTraces"]


def sent_bytes(figure, action) -> int:
    """Bytes of the widget messages `action()` makes `figure` send, binary buffers included."""
    sizes: list[int] = []

    def count(change: dict) -> None:
        if change["new"] is not None:
            message = _py_to_js(change["new"], None)
            text = json.dumps(message, default=lambda buffer: "x" * buffer.nbytes)
            sizes.append(len(text))

    figure.observe(count, MESSAGES)
    try:
        action()
    finally:
        figure.unobserve(count, MESSAGES)
    return sum(sizes)
