"""View helpers: only_changed, what a view need not send again."""

from __future__ import annotations

import numpy as np

from nnviz.views.base import only_changed


def test_only_changed_by_hand():
    sent: dict = {}
    values = {"x": np.array([1.0, np.nan]), "name": "C", "visible": True}
    assert only_changed(sent, values, 0) == values  # never sent: everything
    assert only_changed(sent, {"x": np.array([1.0, np.nan]), "name": "C"}, 0) == {}
    assert only_changed(sent, {"name": "C"}, 1) == {"name": "C"}  # another trace
    changed = only_changed(sent, {"x": np.array([1.0, 2.0]), "visible": 1, "name": "C"}, 0)
    assert list(changed) == ["x", "visible"]  # 1 is not True: a type change counts
