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

A page that finds no preheated kernel gets a spare kernel, started ahead with torch and nnviz's
dashboards imported, if one is ready (`spare_kernels`, nnviz.spare_kernels). Otherwise its new
kernel (a cold start) preloads the heavy modules its notebook will import (`preload`: torch for a
notebook that imports nnviz or torch), on a thread, while Voila finishes connecting to it: see
nnviz.preload.

This module runs inside the Voila server: it imports neither torch nor plotly.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from traitlets import Dict, Float, Int, List, Unicode

from nnviz.preload import startup_line
from nnviz.spare_kernels import SpareKernels

_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]+([A-Za-z_][\w]*)", re.MULTILINE)


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


def notebook_imports(notebook: Path) -> set[str]:
    """Top-level packages the code cells of `notebook` import (empty if it cannot be read)."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return set()
    names = set()
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            names.update(_IMPORT.findall("".join(source) if isinstance(source, list) else source))
    return names


class ClassroomKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager whose culler spares Voila's preheated, unused kernels, and
    whose cold kernels preload what their notebook imports."""

    preload = Dict(
        value_trait=List(Unicode()),
        default_value={"nnviz": ["torch"], "torch": ["torch"]},
        config=True,
        help="Modules a cold kernel imports while Voila connects to it, by a package its "
        "notebook imports: {package the notebook imports: [modules to preload]}.",
    )
    spare_kernels = Int(
        0,
        config=True,
        help="Kernels kept started, with spare_imports imported, for pages that find no "
        "preheated kernel (nnviz.spare_kernels); 0: none.",
    )
    spare_imports = List(
        Unicode(),
        default_value=["torch", "nnviz.dashboard"],
        config=True,
        help="What a spare kernel imports before a page may have it.",
    )
    spare_delay = Float(
        5.0,
        config=True,
        help="Seconds after a spare is handed to a page before the next one starts.",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._connected_once: set[str] = set()  # kernels a page has connected to
        self._out_of_pool_since: dict[str, float] = {}  # first seen outside the pool, unconnected
        self._spares = SpareKernels(self, self.spare_kernels, self.spare_imports, self.spare_delay)

    # jupyter_client types MultiKernelManager.start_kernel as the synchronous wrapper of its
    # async form; AsyncMappingKernelManager's is a coroutine at run time, as this one.
    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        """jupyter_server's start_kernel; the first call also turns Voila's compression on. A
        page that found no preheated kernel gets a spare kernel if one is ready, else a new
        kernel that starts with its notebook's preload (preload_for)."""
        compress_responses(getattr(self, "parent", None))
        env = kwargs.get("env") or {}
        self._spares.fill_later(kwargs.get("kernel_name"))  # once starts have quietened down
        if env.get("VOILA_PREHEAT") == "False" and not args and "kernel_id" not in kwargs:
            spare = await self._hand_over_spare(kwargs.get("kernel_name"), kwargs.get("path"), env)
            if spare is not None:
                return spare
        modules = self.preload_for(kwargs.get("path"), env)
        if modules:
            line = f"--IPKernelApp.exec_lines={[startup_line(modules)]!r}"
            kwargs["extra_arguments"] = [*kwargs.get("extra_arguments", []), line]
        return await self.start_plain_kernel(*args, **kwargs)

    async def start_plain_kernel(self, *args: Any, **kwargs: Any) -> str:
        """jupyter_server's own start_kernel (past Voila's pool, when Voila wraps this class)."""
        return await super().start_kernel(*args, **kwargs)

    async def _hand_over_spare(self, name: str | None, path: str | None, env: dict) -> str | None:
        kernel_id = self._spares.take(name)
        if kernel_id is None:
            return None
        try:
            await self._spares.hand_over(kernel_id, self.cwd_for_path(path or "", env=env), env)
        except Exception:
            self.log.warning("nnviz: a spare kernel refused its page; starting one", exc_info=True)
            await self.shutdown_kernel(kernel_id, now=True)
            return None
        return kernel_id

    def preload_for(self, path: str | None, env: dict | None) -> list[str]:
        """The modules to preload in a kernel Voila starts for a page's request (`env` holds the
        request's SCRIPT_NAME, the notebook's URL; `path` is the notebook's folder). Kernels of
        Voila's preheated pool run their notebook at once and preload nothing."""
        env = env or {}
        script = env.get("SCRIPT_NAME", "")
        if env.get("VOILA_PREHEAT") != "False" or not script.endswith(".ipynb"):
            return []
        folder = Path(self.cwd_for_path(path or "", env=env))
        imports = notebook_imports(folder / os.path.basename(unquote(script)))
        modules: list[str] = []
        for package in sorted(imports & set(self.preload)):
            modules += [name for name in self.preload[package] if name not in modules]
        return modules

    def notify_connect(self, kernel_id: str) -> None:
        """Count a page's connection, and remember that this kernel has had one."""
        self._connected_once.add(kernel_id)
        super().notify_connect(kernel_id)

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """Cull `kernel_id` as jupyter_server would, unless its page has yet to reach it."""
        if kernel_id in pooled_kernel_ids(self) or kernel_id in self._spares:
            return
        if kernel_id not in self._connected_once:
            since = self._out_of_pool_since.setdefault(kernel_id, time.monotonic())
            if time.monotonic() - since < self.cull_idle_timeout:
                return
        self._out_of_pool_since.pop(kernel_id, None)
        await super().cull_kernel_if_idle(kernel_id)


def compress_responses(voila_app: Any) -> bool:
    """Make Voila's `tornado_settings: {"compress_response": true}` take effect; returns whether
    responses are compressed now.

    Voila applies tornado_settings after it has built its tornado Application, whose response
    transforms were fixed at construction, so the setting does nothing (platform notes). A
    class's first visit downloads ~7 MB of JavaScript (Voila's ~5.4, plotly.js 1.5); gzip
    makes it ~2 MB. Adding tornado's GZipContentEncoding transform to the running application
    is what the setting would have done."""
    from tornado.web import GZipContentEncoding

    app: Any = getattr(voila_app, "app", None)
    transforms = getattr(app, "transforms", None)
    if transforms is None or not app.settings.get("compress_response"):
        return False
    if GZipContentEncoding not in transforms:
        app.add_transform(GZipContentEncoding)
    return True


# ---------------------------------------------------------------------- JupyterLab's assets
STATIC_ROUTE = "nnviz/static"  # under the server's base URL; Voila uses its template's route


def _jupyter_server_extension_points() -> list[dict]:
    """jupyter_server's entry point: this module is the extension (enabled by the
    jupyter_server_config.d/nnviz.json that nnviz installs)."""
    return [{"module": "nnviz.serving"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Serve nnviz/static (nnviz's front end and plotly.js) at <base_url>nnviz/static/, cached:
    the front end asks for `?v=<content hash>` URLs, which tornado serves with a long max-age."""
    from pathlib import Path

    from jupyter_server.utils import url_path_join
    from tornado.web import StaticFileHandler

    web_app = server_app.web_app
    route = url_path_join(web_app.settings["base_url"], STATIC_ROUTE, "(.*)")
    folder = str(Path(__file__).resolve().parent / "static")
    web_app.add_handlers(".*$", [(route, StaticFileHandler, {"path": folder})])


def install_assets(prefix: str | None = None) -> list[str]:
    """Link nnviz's browser assets where Jupyter servers look (`prefix`: sys.prefix): the Voila
    template folder and JupyterLab's server-extension config. A wheel install does this through
    its data files; an editable install (`pip install -e`, the Makefile's) needs this call, and
    its links follow the checkout. Returns the paths written."""
    import os
    import shutil
    import sys
    from pathlib import Path

    root = Path(prefix or sys.prefix)
    package = Path(__file__).resolve().parent
    config = package.parent / "jupyter-config"
    links = {
        root / "share/jupyter/voila/templates/nnviz/static": package / "static",
        root / "share/jupyter/voila/templates/nnviz/conf.json": config
        / "voila/templates/nnviz/conf.json",
        root / "share/jupyter/voila/templates/nnviz/index.html.j2": config
        / "voila/templates/nnviz/index.html.j2",
        root / "etc/jupyter/jupyter_server_config.d/nnviz.json": config
        / "jupyter_server_config.d/nnviz.json",
    }
    written = []
    for link, target in links.items():
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.is_file():
            link.unlink()
        elif link.is_dir():
            shutil.rmtree(link)
        os.symlink(target, link)
        written.append(str(link))
    return written


if __name__ == "__main__":
    for path in install_assets():
        print(path)
