"""Tests for nnviz.training.divergence: the running average against its start, the fallback to
the last finite parameters, and the messages' numbers."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nnviz.training.divergence import DivergenceWatch, blow_up_message, keep_finite_parameters


def test_the_running_average_swings_past_factor_times_the_start() -> None:
    watch = DivergenceWatch(factor=2.0)
    assert not watch.swung()  # nothing measured yet
    watch.start(1.0)
    watch.track(51.0)  # 1 + 0.02 * (51 - 1) = 2.0: not above 2 * 1
    assert watch.running_loss == pytest.approx(2.0)
    assert not watch.swung()
    watch.track(51.0)  # 2 + 0.02 * 49 = 2.98
    assert watch.running_loss == pytest.approx(2.98)
    assert watch.swung()
    assert "2.98" in watch.swung_message(7, 0.5) and "step 6." in watch.swung_message(7, 0.5)
    watch.reset()
    assert watch.start_loss is None and not watch.swung()


def test_without_a_factor_it_never_swings() -> None:
    watch = DivergenceWatch(factor=None)
    watch.start(1.0)
    watch.track(1e30)
    assert not watch.swung()


def test_keep_finite_parameters_goes_back_only_when_needed() -> None:
    layer = nn.Linear(2, 1)
    before = [torch.zeros(1, 2), torch.ones(1)]
    assert keep_finite_parameters(list(layer.parameters()), before) is False
    with torch.no_grad():
        layer.weight[0, 0] = math.inf
    assert keep_finite_parameters(list(layer.parameters()), before) is True
    assert torch.equal(layer.weight, before[0]) and torch.equal(layer.bias, before[1])


def test_blow_up_message_names_the_part_that_broke() -> None:
    assert "data loss C became inf" in blow_up_message(3, (math.inf, 0.0), 1.0, 2)
    message = blow_up_message(3, (1.0, math.nan), 1.0, 2)
    assert "penalty lambda*R became nan" in message and "as of step 2" in message
