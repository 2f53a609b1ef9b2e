"""A cold kernel imports its notebook's heavy modules while it waits for the first cell.

When a page opens without a preheated kernel, Voila starts one, waits for it to report ready,
then sends the notebook's cells. The kernel is idle in between (0.3-0.5 s on a 2-core machine),
and the first lesson cell then spends ~1 s importing torch. `nnviz.serving`'s kernel manager
starts such kernels with `start(["torch"])` among their startup lines, so the import runs in
that idle time on a thread.

The first cell waits for the thread (an IPython `pre_run_cell` hook), so the notebook's code
never imports at the same time as the thread: two threads importing overlapping modules can
deadlock on the import locks. A module that fails to import here is left alone: the notebook's
own import raises the error where the student sees it.

This module runs at kernel startup: it imports only the standard library.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from collections.abc import Sequence
from typing import Any

WAIT_S = 120.0  # the first cell waits at most this long for the imports (torch takes ~1 s)


def start(modules: Sequence[str], shell: Any = None) -> threading.Thread:
    """Import `modules` on a daemon thread; the first cell that `shell` (the running IPython
    shell, if any) runs waits until they are imported. Returns the thread."""
    names = [str(name) for name in modules]
    thread = threading.Thread(target=_import_all, args=(names,), name="nnviz-preload", daemon=True)
    thread.start()
    if shell is None:
        shell = _running_shell()
    if shell is not None:

        def wait_for_imports(*_info: object) -> None:
            shell.events.unregister("pre_run_cell", wait_for_imports)
            thread.join(WAIT_S)

        shell.events.register("pre_run_cell", wait_for_imports)
    return thread


def startup_line(modules: Sequence[str]) -> str:
    """A kernel startup line (IPKernelApp.exec_lines) that calls start(modules) and binds no
    name in the notebook's namespace."""
    names = [str(name) for name in modules]
    return f"__import__('nnviz.preload', fromlist=['start']).start({names!r})"


def _import_all(names: list[str]) -> None:
    for name in names:
        # A failed import is the notebook's to report, where the student sees it.
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def _running_shell() -> Any:
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    return get_ipython() if get_ipython is not None else None
