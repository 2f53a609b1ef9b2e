"""Spare kernels: started ahead, with the heavy modules imported, for pages that find no
preheated kernel.

Voila's preheated pool holds one kernel per notebook; a class arriving together empties it, and
every page after that starts cold: a new kernel (~0.7 s here), torch (~1 s), plotly and
ipywidgets (~0.5 s), then the notebook. A spare has done all but the notebook. When Voila starts
a kernel for a page (its request's environment says VOILA_PREHEAT=False) and a spare is ready,
the page gets the spare instead: the request's environment variables (QUERY_STRING,
SCRIPT_NAME, ...) and folder are applied in it first, so the notebook sees what a kernel started
for it would have seen. Spares start once no kernel has started for `delay` seconds, so that a
class arriving together is never slowed by spares starting.

A spare is a kernel started like a cold page's (the server's environment), so its threads and
numbers are those of a cold page's kernel. It runs in the Voila server: no torch or plotly here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from typing import Any

READY_TIMEOUT = 120.0  # s for a spare to start and import; a slower one is shut down
HAND_OVER_TIMEOUT = 10.0  # s for the request's environment to be applied


class SpareKernels:
    """Up to `count` started kernels of `manager` with `modules` imported, by kernel name."""

    def __init__(self, manager: Any, count: int, modules: Sequence[str], delay: float) -> None:
        self.manager, self.count, self.delay = manager, count, delay
        self.modules = [str(name) for name in modules]
        self.ready: list[tuple[str, str]] = []  # (kernel name, kernel id), oldest first
        self.starting = 0
        self._filler: asyncio.Future | None = None
        self._last_start = 0.0  # event-loop time of the last kernel start

    def __contains__(self, kernel_id: object) -> bool:
        return any(kernel_id == ready_id for _, ready_id in self.ready)

    def take(self, kernel_name: str | None) -> str | None:
        """A ready spare of `kernel_name` (the default kernel if None), removed from the spares."""
        name = kernel_name or self.manager.default_kernel_name
        for index, (spare_name, kernel_id) in enumerate(self.ready):
            if spare_name == name and kernel_id in self.manager:
                del self.ready[index]
                return kernel_id
        return None

    def fill_later(self, kernel_name: str | None) -> None:
        """Start spares of `kernel_name` until there are `count`, once no kernel has started for
        `delay` seconds."""
        if self.count <= 0:
            return
        loop = asyncio.get_running_loop()
        self._last_start = loop.time()
        if self._filler is None or self._filler.done():
            self._filler = asyncio.ensure_future(self._fill(kernel_name))

    async def _fill(self, kernel_name: str | None) -> None:
        loop = asyncio.get_running_loop()
        while (wait := self._last_start + self.delay - loop.time()) > 0:
            await asyncio.sleep(wait)
        name = kernel_name or self.manager.default_kernel_name
        while len(self.ready) + self.starting < self.count:
            self.starting += 1
            try:
                kernel_id = await self._start(name)
            finally:
                self.starting -= 1
            if kernel_id is None:
                return  # not retried in a loop: the next page's start tries again
            self.ready.append((name, kernel_id))

    async def _start(self, kernel_name: str) -> str | None:
        env = {**os.environ, "VOILA_PREHEAT": "False"}
        kernel_id = await self.manager.start_plain_kernel(kernel_name=kernel_name, env=env)
        imports = "; ".join(f"import {name}" for name in self.modules)
        try:
            await self.execute(kernel_id, imports, READY_TIMEOUT)
        except Exception:
            self.manager.log.warning("nnviz: a spare kernel failed to get ready", exc_info=True)
            with contextlib.suppress(Exception):
                await self.manager.shutdown_kernel(kernel_id, now=True)
            return None
        return kernel_id

    async def hand_over(self, kernel_id: str, cwd: str, env: dict[str, str]) -> None:
        """Make the spare `kernel_id` what a kernel started in `cwd` with `env` would be."""
        # Voila's keys are members of a str Enum, whose repr is not Python source: by value.
        plain = {str(getattr(key, "value", key)): str(value) for key, value in env.items()}
        changed = {key: value for key, value in plain.items() if os.environ.get(key) != value}
        code = (
            f"import os as _nnviz_os; _nnviz_os.environ.update({changed!r}); "
            f"_nnviz_os.chdir({cwd!r}); del _nnviz_os"
        )
        await self.execute(kernel_id, code, HAND_OVER_TIMEOUT)

    async def execute(self, kernel_id: str, code: str, timeout: float) -> None:
        """Run `code` silently in `kernel_id`; raise RuntimeError if it fails."""
        client = self.manager.get_kernel(kernel_id).client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=timeout)
            reply = await client.execute_interactive(
                code, silent=True, store_history=False, timeout=timeout
            )
        finally:
            client.stop_channels()
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"{code!r} failed in kernel {kernel_id}: {reply['content']}")
