"""What a figure sends: the custom messages an action makes it send, and their byte count."""

from __future__ import annotations


def captured(figure, action) -> list[tuple[dict, list]]:
    """The custom messages (content, buffers) that `action()` makes `figure` send."""
    sent: list[tuple[dict, list]] = []
    original = figure.send
    figure.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
    try:
        action()
    finally:
        figure.send = original
    return sent


def sent_bytes(figure, action) -> int:
    """Payload bytes (JSON text plus binary buffers) of the messages `action()` makes `figure`
    send, as the figure counts them; at least one message must go out."""
    before = figure.bytes_sent
    messages = captured(figure, action)
    assert messages, "the action sent no message"
    return figure.bytes_sent - before
