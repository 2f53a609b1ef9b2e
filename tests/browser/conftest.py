"""Fixtures for the browser tests: a Voila server with the project's config and headless Chromium.

The machinery lives in tools/voila_harness.py, shared with benchmarks/browser.py and
tools/screenshots.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from voila_harness import VoilaServer, chromium, offline_page


def pytest_collection_modifyitems(items):
    """Everything in tests/browser is a browser test (`-m "not browser"` leaves them out)."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def voila():
    """One server with the project's config, shared by the tests that only read pages."""
    server = VoilaServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright."""
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser):
    """A fresh offline page; its context is closed afterwards."""
    page = offline_page(browser)
    yield page
    page.context.close()
