"""Serving the lessons to a class with Voila: a kernel manager that culls only what a class left.

voila.json names `ClassroomKernelManager` as Voila's kernel manager. It is jupyter_server's own,
with one change to its idle culler: kernels waiting in Voila's preheated pool are never culled.

Why: with preheating, Voila executes every notebook ahead of time in a pooled kernel that nobody
is connected to yet. To the stock culler that kernel is idle and unconnected, exactly like the
kernel of a page a student closed, so after `cull_idle_timeout` it would shut the whole pool
down, and every page after that would start cold. Closed pages must still be culled: Voila does
not shut a kernel down when its page closes (voila #1458), and each one holds ~300 MB.

This module runs inside the Voila server: it imports neither torch nor plotly.
"""

from __future__ import annotations

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

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """Cull `kernel_id` as jupyter_server would, unless it waits in a preheated pool."""
        if kernel_id in pooled_kernel_ids(self):
            return
        await super().cull_kernel_if_idle(kernel_id)
