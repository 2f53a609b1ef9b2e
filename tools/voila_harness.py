"""Voila and a headless Chromium, for the browser tests, the browser benchmark and screenshots.

    server = VoilaServer()                        # `voila notebooks/` with the project's voila.json
    with chromium() as browser:
        page = offline_page(browser)
        page.goto(server.render("01_playground"))
    server.stop()

A server runs from the repository root, so it reads the project's voila.json, on a free loopback
port, in its own process group. Its kernels are not in that group (jupyter_client starts each in a
session of its own so that Ctrl-C to the server spares them), so stop() kills the server's whole
process tree by pid as well as its group. Chromium is Debian's (/usr/bin/chromium), driven by
Playwright, offline: every request that would leave the machine (Voila's page asks a CDN for
Font Awesome) is aborted.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Offline at the resolver as well: pages that must keep the HTTP cache cannot use
    # Playwright's routes (routing disables the cache), and nothing leaves the machine anyway.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)
OFFSITE = re.compile(r"^(?!(https?|wss?)://(127\.0\.0\.1|localhost)[:/])")
STARTUP_SECONDS = 180.0  # to the first HTTP 200; preheating continues in the background


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class VoilaServer:
    """`voila <root>` with the project's voila.json plus `options`, until stop()."""

    def __init__(
        self,
        *options: str,
        root: Path = ROOT / "notebooks",
        env: dict[str, str] | None = None,
        log: Path = ROOT / ".voila-test.log",
    ) -> None:
        self._prepare(root, log)
        command = [
            sys.executable, "-m", "voila", str(root), f"--port={self.port}",
            "--Voila.ip=127.0.0.1", "--no-browser", *options,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,  # voila.json is read from the working directory
            env={**os.environ, **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_up()

    def _prepare(self, root: Path, log: Path) -> None:
        self.port = free_port()
        self.root = root
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self._log = open(log, "ab")  # noqa: SIM115  closed in stop()

    def _wait_until_up(self, path: str = "/voila/tree") -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}; see {self.log_path}"
                )
            with contextlib.suppress(OSError):
                if self.get(path, timeout=5)[0] == 200:
                    return
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the server did not answer within {STARTUP_SECONDS:.0f} s")
            time.sleep(0.2)

    def render(self, notebook: str, query: str = "") -> str:
        """The address of a notebook's dashboard, with an optional query string."""
        name = notebook if notebook.endswith(".ipynb") else f"{notebook}.ipynb"
        return f"{self.url}/voila/render/{name}" + (f"?{query.lstrip('?')}" if query else "")

    def get(self, path: str, timeout: float = 120.0) -> tuple[int, str]:
        """Status and body of a GET request to the server (HTTP errors are returned, not raised)."""
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def kernels(self) -> list[psutil.Process]:
        """The kernel processes this server started and that are still alive."""
        try:
            descendants = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        found = []
        for process in descendants:
            with contextlib.suppress(psutil.Error):
                if "ipykernel_launcher" in " ".join(process.cmdline()):
                    found.append(process)
        return found

    def stop(self) -> None:
        """Kill the server, its process group and every kernel it started."""
        with contextlib.suppress(psutil.Error):
            tree = psutil.Process(self.process.pid).children(recursive=True)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for process in locals().get("tree", []):
            with contextlib.suppress(psutil.Error):
                process.kill()
        self._log.close()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Headless Debian Chromium under Playwright (install it with `apt-get install -y chromium`)."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(
            f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        try:
            yield browser
        finally:
            browser.close()


def offline_page(
    browser: object, width: int = 1400, height: int = 1000, cache: bool = False
) -> object:
    """A page in a fresh context whose requests that would leave the machine are aborted (by
    a route; with `cache`, by the resolver only, so that the context keeps its HTTP cache)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    if not cache:
        context.route(OFFSITE, lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(120_000)
    return page


class LabServer(VoilaServer):
    """`jupyter lab` on a free loopback port, serving `root` (give it a copy: running cells there
    may autosave outputs), without a token, with window.jupyterapp exposed for the tests."""

    def __init__(self, root: Path, log: Path = ROOT / ".voila-lab.log") -> None:
        self._prepare(root, log)
        command = [
            sys.executable, "-m", "jupyter", "lab", f"--port={self.port}", "--ip=127.0.0.1",
            "--no-browser", f"--ServerApp.root_dir={root}", "--IdentityProvider.token=",
            "--ServerApp.password=", "--LabApp.expose_app_in_browser=True",
            "--ServerApp.disable_check_xsrf=True", "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=root, env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self._wait_until_up("/lab")

    def notebook(self, name: str) -> str:
        """The address of a notebook in JupyterLab, in a workspace of its own (so no other
        notebook a test opened before comes back as a hidden tab)."""
        stem = name.removesuffix(".ipynb")
        return f"{self.url}/lab/workspaces/{stem}/tree/{stem}.ipynb?reset"


class CountingProxy:
    """A TCP relay on a free loopback port to `port`, counting the bytes it carries each way:
    what a browser and the server exchange on the wire (HTTP after gzip, websocket frames after
    permessage-deflate), as a class's WiFi would carry them, less TCP/IP headers."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.to_browser = self.to_server = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()

    def url(self, url: str) -> str:
        """`url` of the target server, through this proxy."""
        return url.replace(f":{self.target}", f":{self.port}", 1)

    @property
    def total(self) -> int:
        """Bytes carried so far, both directions."""
        with self._lock:
            return self.to_browser + self.to_server

    def _accept(self) -> None:
        while not self._closed:
            try:
                browser, _address = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            for source, sink, toward_browser in ((browser, server, False), (server, browser, True)):
                threading.Thread(target=self._pump, args=(source, sink, toward_browser),
                                 daemon=True, name="proxy-pump").start()  # fmt: skip

    def _pump(self, source: socket.socket, sink: socket.socket, toward_browser: bool) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                with self._lock:
                    if toward_browser:
                        self.to_browser += len(chunk)
                    else:
                        self.to_server += len(chunk)
                sink.sendall(chunk)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Stop accepting; open connections end with their peers."""
        self._closed = True
        self._listener.close()
