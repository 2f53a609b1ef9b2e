"""Serving the lessons to a class with Voila: a kernel manager that culls only what a class left.

voila.json names `ClassroomKernelManager` as Voila's kernel manager. It is jupyter_server's own,
with one change to its idle culler: kernels waiting in Voila's preheated pool are never culled.

Why: with preheating, Voila executes every notebook ahead of time in a pooled kernel that nobody
is connected to yet. To the stock culler that kernel is idle and unconnected, exactly like the
kernel of a page a student closed, so after `cull_idle_timeout` it would shut the whole pool
down, and every page after that would start cold. Closed pages must still be culled: Voila does
not shut a kernel down when its page closes (voila #1458), and each one holds ~300 MB.

A kernel that has just left the pool is spared too, until its page has connected or for one
idle timeout: it may have sat in the pool longer than the timeout, and its page's websocket
connects only once the page's scripts have loaded, so the stock culler could shut it down in the
seconds between (seen in tests/browser with short timeouts).

This module runs inside the Voila server: it imports neither torch nor plotly.
"""

from __future__ import annotations

import time

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager


def pooled_kernel_ids(manager: object) -> set[str]:
    """Ids of the kernels sitting in Voila's preheated pools (not yet handed to a page)."""
    pooled = set()
    for pool in getattr(manager, "_pools", {}).values():
        for task in pool:
            if task.done() and not task.cancelled() and task.exception() is None:
                kernel_id = task.result().get("kernel_id")
                if kernel_id:
                    pooled.add(kernel_id)
    return pooled


class ClassroomKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager whose culler spares Voila's preheated, unused kernels."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._connected_once: set[str] = set()  # kernels a page has connected to
        self._out_of_pool_since: dict[str, float] = {}  # first seen outside the pool, unconnected

    def notify_connect(self, kernel_id: str) -> None:
        """Count a page's connection, and remember that this kernel has had one."""
        self._connected_once.add(kernel_id)
        super().notify_connect(kernel_id)

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """Cull `kernel_id` as jupyter_server would, unless its page has yet to reach it."""
        if kernel_id in pooled_kernel_ids(self):
            return
        if kernel_id not in self._connected_once:
            since = self._out_of_pool_since.setdefault(kernel_id, time.monotonic())
            if time.monotonic() - since < self.cull_idle_timeout:
                return
        self._out_of_pool_since.pop(kernel_id, None)
        await super().cull_kernel_if_idle(kernel_id)
