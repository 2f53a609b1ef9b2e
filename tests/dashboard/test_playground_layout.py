"""Tests for nnviz.dashboard.playground_layout: which names may be hidden, strictly or leniently."""

from __future__ import annotations

import pytest

from nnviz.dashboard.playground_layout import HIDEABLE, check_hide, lenient_hide


def test_check_hide_keeps_each_known_name_once() -> None:
    assert check_hide("noise") == ("noise",)
    assert check_hide(["lr", "network", "lr"]) == ("lr", "network")
    assert "boundary" in HIDEABLE and "share" in HIDEABLE


def test_check_hide_refuses_an_unknown_name() -> None:
    with pytest.raises(ValueError, match="hide: unknown control 'nosie'; allowed: problem"):
        check_hide(["lr", "nosie"])


def test_lenient_hide_drops_unknown_names_with_a_message() -> None:
    kept, messages = lenient_hide(["lr", "nosie"])
    assert kept == ["lr"]
    assert len(messages) == 1 and messages[0].startswith("hide: unknown control 'nosie' ignored")
    assert lenient_hide(42) == ([], [])
