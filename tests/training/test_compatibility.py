"""Tests for nnviz.training.compatibility.choose_engine: what "auto" resolves to, and the
refusal of engine='numpy' where it would not be exact (refusal itself: test_numpy_engine.py)."""

from __future__ import annotations

import pytest
import torch

from nnviz import LOSSES, MLP
from nnviz.training.compatibility import choose_engine

CPU = torch.device("cpu")


def test_auto_picks_numpy_where_it_is_exact_and_autograd_elsewhere() -> None:
    assert choose_engine("auto", MLP([2, 3, 1]), LOSSES["mse"], CPU) == "numpy"
    assert choose_engine("auto", torch.nn.Linear(2, 1), LOSSES["mse"], CPU) == "autograd"
    assert choose_engine("autograd", MLP([2, 3, 1]), LOSSES["mse"], CPU) == "autograd"


def test_numpy_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match=r"engine='numpy' cannot train .*nnviz\.MLP only"):
        choose_engine("numpy", torch.nn.Linear(2, 1), LOSSES["mse"], CPU)
