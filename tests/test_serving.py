"""The class-serving config (voila.json) as Voila reads it, and the culler that spares pools."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from nnviz.serving import ClassroomKernelManager, notebook_imports, pooled_kernel_ids

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def voila_config():
    """VoilaConfiguration and the kernel manager's config, loaded by Voila from the repo root."""
    from voila.app import Voila
    from voila.configuration import VoilaConfiguration

    app = Voila()
    app.load_config_file("voila", path=[str(ROOT)])
    return VoilaConfiguration(parent=app), app.config


def test_voila_serves_nnviz_s_lab_template_without_sources_or_tracebacks(voila_config):
    voila, _ = voila_config
    assert voila.template == "nnviz"  # Voila's lab template, plus plotly.js started early
    assert voila.strip_sources is True
    assert voila.show_tracebacks is False


def test_the_template_starts_the_plotly_js_the_front_end_asks_for():
    from nnviz.views.assets import PLOTLY_FILE, PLOTLY_VERSION

    folder = ROOT / "jupyter-config/voila/templates/nnviz"
    assert json.loads((folder / "conf.json").read_text()) == {"base_template": "lab"}
    page = (folder / "index.html.j2").read_text()
    assert page.startswith("{%- extends 'lab/index.html.j2' -%}")
    url = f"voila/templates/nnviz/static/{PLOTLY_FILE}?v={PLOTLY_VERSION}"
    assert f'resources.base_url ~ "{url}"' in page
    # Fetched from the head, run at the latest right after Voila's own script (footer_js).
    assert '<link rel="preload" as="script" href="{{ plotly }}">' in page
    footer = page[page.index("{%- block footer_js -%}") :]
    assert "window.nnvizStartPlotly();" in footer
    assert page.count("{{ super() }}") == 2  # Voila's own head and footer scripts stay


def test_voila_loads_plotly_once_and_waits_for_busy_kernels(voila_config):
    voila, config = voila_config
    # Views draw through widgets carrying plotly.js; the renderer extension would load it again.
    assert "jupyterlab-plotly" in voila.extension_denylist
    # nbclient drops a cell's remaining output after iopub_timeout (4 s by default): on a busy
    # class server that lost the dashboards of whole pages.
    assert config.VoilaExecutor.iopub_timeout >= 30
    assert config.VoilaKernelManager.default_env_variables["OPENBLAS_NUM_THREADS"] == "1"


def test_voila_preheats_a_kernel_per_lesson_and_culls_with_the_classroom_manager(voila_config):
    voila, config = voila_config
    assert voila.preheat_kernel is True and voila.default_pool_size >= 1
    assert voila.multi_kernel_manager_class is ClassroomKernelManager
    # A page that takes the pooled kernel loads while the pool refills: not at the same moment.
    assert config.VoilaKernelManager.fill_delay >= 5
    culling = config.MappingKernelManager
    assert 0 < culling.cull_interval <= culling.cull_idle_timeout <= 3600
    assert culling.cull_connected is False  # an open page is never culled, a closed one is
    # Pages that find the pool empty take a spare kernel, started ahead with torch imported.
    assert config.ClassroomKernelManager.spare_kernels >= 1


@pytest.mark.parametrize(
    "path",
    [
        "01_playground.ipynb",
        "../nnviz/training/trainer.py",
        "environment.yml",
        "../pyproject.toml",
        "voila.json",
        ".ipynb_checkpoints/x.png",
        "secrets.env",
    ],
)
def test_voila_refuses_source_and_config_files(voila_config, path):
    voila, _ = voila_config
    allowed = any(re.fullmatch(rule, path) for rule in voila.file_allowlist)
    denied = any(re.fullmatch(rule, path) for rule in voila.file_denylist)
    assert denied or not allowed


@pytest.mark.parametrize("path", ["img/network.png", "figure.svg"])
def test_voila_serves_images(voila_config, path):
    voila, _ = voila_config
    assert any(re.fullmatch(rule, path) for rule in voila.file_allowlist)
    assert not any(re.fullmatch(rule, path) for rule in voila.file_denylist)


def run(coroutine) -> object:
    """asyncio.run in a thread of its own: Playwright's sync API (tests/browser, earlier in the
    session) keeps an event loop running in the main thread, where asyncio.run refuses to."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _pool(*kernel_ids: str | None) -> list:
    """Futures as Voila's pools hold them: done with a result, or still starting."""
    loop = asyncio.new_event_loop()
    futures = []
    for kernel_id in kernel_ids:
        future = loop.create_future()
        if kernel_id is not None:
            future.set_result({"kernel_id": kernel_id})
        futures.append(future)
    loop.close()
    return futures


def test_pooled_kernel_ids_lists_started_kernels_of_every_pool():
    pools = {"01_playground.ipynb": _pool("a", None), "02_forward.ipynb": _pool("b")}
    assert pooled_kernel_ids(SimpleNamespace(_pools=pools)) == {"a", "b"}
    assert pooled_kernel_ids(object()) == set()  # without preheating there are no pools


def test_the_culler_spares_pooled_and_just_handed_out_kernels_and_culls_the_rest(monkeypatch):
    asked = []

    async def stock_culler(self, kernel_id):
        asked.append(kernel_id)

    monkeypatch.setattr(AsyncMappingKernelManager, "cull_kernel_if_idle", stock_culler)
    manager = ClassroomKernelManager(cull_idle_timeout=600)
    manager._pools = {"01_playground.ipynb": _pool("pooled")}
    manager._kernel_connections.update({"closed-page": 0, "handed-out": 0})
    manager.notify_connect("closed-page")  # its page connected, then closed
    manager.notify_disconnect("closed-page")
    for kernel_id in ("pooled", "closed-page", "handed-out"):
        run(manager.cull_kernel_if_idle(kernel_id))
    assert asked == ["closed-page"]
    # A kernel whose page never connects is culled once it has been out of the pool that long.
    manager._out_of_pool_since["handed-out"] -= manager.cull_idle_timeout + 1
    run(manager.cull_kernel_if_idle("handed-out"))
    assert asked == ["closed-page", "handed-out"]


def test_the_server_side_imports_neither_torch_nor_plotly():
    code = "import sys, nnviz.serving; print(sorted({'torch', 'plotly'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_install_assets_links_the_static_files_where_voila_and_jupyterlab_look(tmp_path):
    from nnviz.serving import install_assets
    from nnviz.views.assets import ASSETS

    written = install_assets(str(tmp_path))
    static = tmp_path / "share/jupyter/voila/templates/nnviz/static"
    assert str(static) in written
    for name in ASSETS.values():
        assert (static / name).is_file()
    assert json.loads((tmp_path / "share/jupyter/voila/templates/nnviz/conf.json").read_text()) == {
        "base_template": "lab"
    }
    page = tmp_path / "share/jupyter/voila/templates/nnviz/index.html.j2"
    assert str(page) in written and "extends 'lab/index.html.j2'" in page.read_text()
    config = json.loads((tmp_path / "etc/jupyter/jupyter_server_config.d/nnviz.json").read_text())
    assert config["ServerApp"]["jpserver_extensions"] == {"nnviz.serving": True}
    assert install_assets(str(tmp_path)) == written  # again: replaced, not an error


def test_the_server_extension_serves_nnviz_static_under_the_base_url():
    import nnviz.serving as serving

    added = []
    web_app = SimpleNamespace(
        settings={"base_url": "/user/a/"}, add_handlers=lambda host, rules: added.extend(rules)
    )
    assert serving._jupyter_server_extension_points() == [{"module": "nnviz.serving"}]
    serving._load_jupyter_server_extension(SimpleNamespace(web_app=web_app))
    (route, handler, options), = added  # fmt: skip
    assert route == "/user/a/nnviz/static/(.*)"
    assert handler.__name__ == "StaticFileHandler"
    assert options["path"].endswith("nnviz/static")


def test_compress_responses_adds_gzip_only_where_configured():
    from tornado.web import Application, GZipContentEncoding

    from nnviz.serving import compress_responses

    plain = SimpleNamespace(app=Application())
    assert not compress_responses(plain) and GZipContentEncoding not in plain.app.transforms
    voila = SimpleNamespace(app=Application())
    voila.app.settings["compress_response"] = True  # as Voila applies tornado_settings: late
    assert compress_responses(voila) and compress_responses(voila)
    assert voila.app.transforms.count(GZipContentEncoding) == 1
    assert not compress_responses(SimpleNamespace())  # not inside Voila: nothing to do


# ---------------------------------------------------------------- cold kernels preload torch
def _notebook(folder: Path, name: str, *sources: str) -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["import torch is prose here"]}]
    cells += [
        {"cell_type": "code", "metadata": {}, "source": source.splitlines(keepends=True),
         "outputs": [], "execution_count": None}
        for source in sources
    ]  # fmt: skip
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = folder / name
    path.write_text(json.dumps(notebook))
    return path


def test_a_cold_kernel_preloads_what_its_notebook_imports_and_a_pooled_one_nothing(tmp_path):
    (tmp_path / "lessons").mkdir()
    _notebook(tmp_path / "lessons", "with nnviz.ipynb", "x = 1\n  import nnviz.views as v")
    _notebook(tmp_path / "lessons", "plain.ipynb", "import math\nfrom json import dumps")
    _notebook(tmp_path / "lessons", "torch.ipynb", "from torch import nn")
    manager = ClassroomKernelManager(root_dir=str(tmp_path))

    def cold(name: str) -> dict:
        return {"SCRIPT_NAME": f"/voila/render/lessons/{name}", "VOILA_PREHEAT": "False"}

    assert manager.preload_for("lessons", cold("with%20nnviz.ipynb")) == ["torch"]
    assert manager.preload_for("lessons", cold("torch.ipynb")) == ["torch"]
    assert manager.preload_for("lessons", cold("plain.ipynb")) == []  # prose mentions torch
    assert manager.preload_for("lessons", cold("missing.ipynb")) == []
    pooled = {**cold("torch.ipynb"), "VOILA_PREHEAT": "True"}
    assert manager.preload_for("lessons", pooled) == []  # the pool runs its notebook at once
    assert manager.preload_for("lessons", None) == []  # not Voila's: JupyterLab, tests
    manager.preload = {"math": ["decimal", "fractions"], "json": ["decimal"]}
    assert manager.preload_for("lessons", cold("plain.ipynb")) == ["decimal", "fractions"]


def test_notebook_imports_reads_code_cells_only_and_survives_bad_files(tmp_path):
    path = _notebook(tmp_path, "a.ipynb", "import numpy as np, os\n", "from nnviz.views import x")
    assert notebook_imports(path) == {"numpy", "nnviz"}
    (tmp_path / "bad.ipynb").write_text("{not json")
    assert notebook_imports(tmp_path / "bad.ipynb") == set()
    assert notebook_imports(tmp_path / "absent.ipynb") == set()


class _Events:
    def __init__(self) -> None:
        self.callbacks: list = []

    def register(self, event: str, callback: object) -> None:
        assert event == "pre_run_cell"
        self.callbacks.append(callback)

    def unregister(self, event: str, callback: object) -> None:
        self.callbacks.remove(callback)


def test_preload_imports_on_a_thread_and_the_first_cell_waits_for_it(tmp_path, monkeypatch):
    from nnviz import preload

    (tmp_path / "slow_module.py").write_text("import time\ntime.sleep(0.3)\nREADY = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_module", raising=False)
    shell = SimpleNamespace(events=_Events())
    thread = preload.start(["slow_module", "no_such_module_here"], shell=shell)
    assert thread.daemon and thread.is_alive()  # the kernel goes on while it imports
    (first_cell,) = shell.events.callbacks
    first_cell(None)  # IPython's pre_run_cell, before the first cell runs
    assert not thread.is_alive() and sys.modules["slow_module"].READY
    assert shell.events.callbacks == []  # later cells do not wait


def test_a_kernel_started_with_the_preload_line_has_torch_before_its_first_cell(tmp_path):
    from jupyter_client.manager import start_new_kernel

    from nnviz.preload import startup_line

    line = f"--IPKernelApp.exec_lines={[startup_line(['torch'])]!r}"
    manager, client = start_new_kernel(extra_arguments=[line], cwd=str(tmp_path))
    try:
        code = "import sys; print('torch' in sys.modules, {'nnviz', 'preload'} & set(dir()))"
        messages: list = []
        reply = client.execute_interactive(code, timeout=120, output_hook=messages.append)
        assert reply["content"]["status"] == "ok"
        text = "".join(m["content"].get("text", "") for m in messages)
        # Imported, and no name left in the notebook's namespace.
        assert text.strip() == "True set()"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_voila_sends_the_lessons_formulas_as_mathml(voila_config):
    from traitlets.utils.importstring import import_item

    from nnviz.mathml import markdown_mathml

    _, config = voila_config
    assert import_item(config.VoilaExporter.filters["nnviz_mathml"]) is markdown_mathml
    page = (ROOT / "jupyter-config/voila/templates/nnviz/index.html.j2").read_text()
    assert "{%- block markdowncell scoped -%}\n{{ super() | nnviz_mathml }}" in page


def test_a_page_gets_a_ready_spare_with_its_request_s_environment_and_folder(tmp_path):
    """A spare starts once kernel starts have quietened, imports spare_imports, and becomes the
    kernel of the next page that finds no preheated kernel: that page's QUERY_STRING and folder
    apply in it. The next spare starts after it, and a pooled (preheat) start never takes one."""
    (tmp_path / "lesson").mkdir()

    async def scenario() -> dict:
        manager = ClassroomKernelManager(
            root_dir=str(tmp_path), spare_kernels=1, spare_delay=0.2,
            spare_imports=["fractions", "nnviz.core.checks"],
        )  # fmt: skip
        try:
            pooled = await manager.start_kernel(env={"VOILA_PREHEAT": "True"})
            for _ in range(600):  # the spare: started and its imports done (bounded: 60 s)
                if manager._spares.ready:
                    break
                await asyncio.sleep(0.1)
            spare = manager._spares.ready[0][1]
            page_env = {"VOILA_PREHEAT": "False", "QUERY_STRING": "dataset=xor&hidden=3"}
            page = await manager.start_kernel(path="lesson", env=page_env)
            code = (
                "import os, sys; print(os.environ['QUERY_STRING'], os.getcwd(), "
                "'fractions' in sys.modules, 'nnviz.core.checks' in sys.modules)"
            )
            messages: list = []
            client = manager.get_kernel(page).client()
            client.start_channels()
            await client.wait_for_ready(timeout=60)
            await client.execute_interactive(code, timeout=60, output_hook=messages.append)
            client.stop_channels()
            for _ in range(600):  # the next spare (bounded: 60 s)
                if manager._spares.ready:
                    break
                await asyncio.sleep(0.1)
            return {
                "pooled_is_spare": pooled == spare,
                "page_is_spare": page == spare,
                "output": "".join(m["content"].get("text", "") for m in messages).split(),
                "next_spare": [kid for _, kid in manager._spares.ready],
                "handed_out_still_spare": spare in manager._spares,
            }
        finally:
            await manager.shutdown_all(now=True)

    result = run(scenario())
    assert not result["pooled_is_spare"] and result["page_is_spare"]
    assert result["output"] == ["dataset=xor&hidden=3", str(tmp_path / "lesson"), "True", "True"]
    assert len(result["next_spare"]) == 1 and not result["handed_out_still_spare"]


def test_without_spares_a_page_starts_its_own_kernel(tmp_path):
    async def scenario() -> tuple[int, list]:
        manager = ClassroomKernelManager(root_dir=str(tmp_path))  # spare_kernels: 0
        try:
            await manager.start_kernel(env={"VOILA_PREHEAT": "False"})
            await asyncio.sleep(0.3)
            return len(manager.list_kernel_ids()), manager._spares.ready
        finally:
            await manager.shutdown_all(now=True)

    assert run(scenario()) == (1, [])


def preheated(denylist: list[str]) -> list[str]:
    """The notebooks Voila's own kernel manager preheats with this denylist."""
    from voila.voila_kernel_manager import voila_kernel_manager_factory

    manager = voila_kernel_manager_factory(AsyncMappingKernelManager, True, 1)
    notebooks = sorted((ROOT / "notebooks").rglob("*.ipynb"))
    allowed = SimpleNamespace(preheat_denylist=denylist)
    paths = [path.relative_to(ROOT / "notebooks") for path in notebooks]
    return [str(path) for path in paths if manager._notebook_filter(allowed, path)]


def test_the_pool_preheats_one_course_english_by_default_chinese_with_course_zh(voila_config):
    _, config = voila_config
    english = [path.name for path in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    assert preheated(config.VoilaKernelManager.preheat_denylist) == english
    # make dashboard COURSE=zh swaps the denylist for the one in the Makefile.
    makefile = (ROOT / "Makefile").read_text()
    pattern = re.search(
        r"^PREHEAT_zh := --VoilaKernelManager.preheat_denylist='(.+)'$", makefile, re.M
    )
    assert pattern, "the Makefile's PREHEAT_zh line"
    denylist = json.loads(pattern[1].replace("$$", "$"))
    chinese = sorted((ROOT / "notebooks" / "zh").glob("*.ipynb"))
    assert chinese and preheated(denylist) == [f"zh/{path.name}" for path in chinese]
