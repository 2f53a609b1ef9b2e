"""Tests for nnviz.core.losses: each cost against numpy and torch's own modules, the canonical
pairing delta^L = dC/dz^L = (a^L - y)/n, target preparation, metrics and the loss choice."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnviz import LOSSES
from nnviz.core.losses import get_loss

GENERATOR = torch.Generator().manual_seed(0)
LOGITS = {
    "binary_cross_entropy": torch.randn(9, 1, generator=GENERATOR) * 3,
    "cross_entropy": torch.randn(9, 4, generator=GENERATOR) * 3,
    "mse": torch.randn(9, 2, generator=GENERATOR) * 3,
}
LABELS = {
    "binary_cross_entropy": torch.tensor([0, 1, 1, 0, 1, 0, 0, 1, 1]),
    "cross_entropy": torch.tensor([0, 3, 1, 2, 2, 0, 3, 1, 0]),
    "mse": torch.randn(9, 2, generator=GENERATOR),
}


def prepared(name: str) -> torch.Tensor:
    loss = LOSSES[name]
    return loss.prepare_targets(LABELS[name], LOGITS[name].shape[1])


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_matches_numpy(name: str, numpy_cost) -> None:
    value = LOSSES[name].function(LOGITS[name], prepared(name)).item()
    assert value == pytest.approx(
        numpy_cost(LOGITS[name].numpy(), LABELS[name].numpy(), name), rel=1e-6
    )


def test_losses_match_torch_modules() -> None:
    bce = torch.nn.BCEWithLogitsLoss()(
        LOGITS["binary_cross_entropy"], LABELS["binary_cross_entropy"].float()[:, None]
    )
    ce = torch.nn.CrossEntropyLoss()(LOGITS["cross_entropy"], LABELS["cross_entropy"])
    half_sse = 0.5 * torch.nn.MSELoss(reduction="sum")(LOGITS["mse"], LABELS["mse"]) / 9
    for name, expected in [("binary_cross_entropy", bce), ("cross_entropy", ce), ("mse", half_sse)]:
        torch.testing.assert_close(LOSSES[name].function(LOGITS[name], prepared(name)), expected)


@pytest.mark.parametrize("name", list(LOSSES))
def test_output_delta_is_a_minus_y_over_n(name: str, numpy_targets) -> None:
    loss = LOSSES[name]
    logits = LOGITS[name].double().requires_grad_(True)
    loss.function(
        logits, prepared(name).double() if name != "cross_entropy" else prepared(name)
    ).backward()
    y = numpy_targets(LABELS[name].numpy(), name, logits.shape[1])
    a = loss.output(logits.detach()).numpy()
    np.testing.assert_allclose(logits.grad.numpy(), (a - y) / len(y), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(LOSSES))
def test_output_function_matches_numpy(name: str, numpy_output) -> None:
    loss = LOSSES[name]
    expected = numpy_output(LOGITS[name].double().numpy(), name)
    np.testing.assert_allclose(loss.output(LOGITS[name].double()).numpy(), expected, rtol=1e-12)
    assert (
        loss.output_name
        == {"binary_cross_entropy": "sigmoid", "cross_entropy": "softmax", "mse": "identity"}[name]
    )
    assert loss.formula.startswith("C =")


def test_prepare_targets_gives_each_loss_its_form() -> None:
    labels = torch.tensor([0, 1, 2, 1])
    binary = LOSSES["binary_cross_entropy"].prepare_targets(torch.tensor([0, 1, 1, 0]), 1)
    assert binary.dtype == torch.float32 and binary.shape == (4, 1)
    classes = LOSSES["cross_entropy"].prepare_targets(labels, 3)
    assert classes.dtype == torch.int64 and classes.tolist() == [0, 1, 2, 1]
    one_hot = LOSSES["mse"].prepare_targets(labels, 3)
    torch.testing.assert_close(one_hot, torch.eye(3)[labels])
    column = LOSSES["mse"].prepare_targets(torch.tensor([0, 1, 1]), 1)
    torch.testing.assert_close(column, torch.tensor([[0.0], [1.0], [1.0]]))
    real = LOSSES["mse"].prepare_targets(torch.tensor([0.5, -1.5], dtype=torch.float64), 1)
    assert real.dtype == torch.float32 and real.shape == (2, 1)


def test_prepare_targets_accepts_an_empty_regression_split() -> None:
    empty = LOSSES["mse"].prepare_targets(torch.zeros(0, 1), 1)
    assert empty.shape == (0, 1)


def test_accuracy_metrics_match_numpy() -> None:
    z = LOGITS["binary_cross_entropy"]
    y = prepared("binary_cross_entropy")
    expected = np.mean((z.numpy()[:, 0] > 0) == LABELS["binary_cross_entropy"].numpy())
    assert LOSSES["binary_cross_entropy"].metric(z, y).item() == pytest.approx(expected)
    z = LOGITS["cross_entropy"]
    expected = np.mean(z.numpy().argmax(1) == LABELS["cross_entropy"].numpy())
    assert LOSSES["cross_entropy"].metric(z, prepared("cross_entropy")).item() == pytest.approx(
        expected
    )
    assert 0 < expected < 1  # neither all right nor all wrong: the comparison means something


def test_r2_metric_matches_numpy() -> None:
    z, y = LOGITS["mse"], prepared("mse")
    residual = ((y - z) ** 2).sum().item()
    spread = ((y - y.mean(0)) ** 2).sum().item()
    assert LOSSES["mse"].metric(z, y).item() == pytest.approx(1 - residual / spread, rel=1e-5)
    assert LOSSES["mse"].metric(y, y).item() == pytest.approx(1.0)
    mean_guess = y.mean(0).expand_as(y)
    assert LOSSES["mse"].metric(mean_guess, y).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    ("task", "n_outputs", "expected"),
    [
        ("classification", 1, "binary_cross_entropy"),
        ("classification", 3, "cross_entropy"),
        ("regression", 1, "mse"),
        ("regression", 2, "mse"),
    ],
)
def test_default_loss_follows_the_task(task: str, n_outputs: int, expected: str) -> None:
    assert get_loss(None, task, n_outputs) is LOSSES[expected]


def test_get_loss_checks_its_argument() -> None:
    assert get_loss("MSE", "classification", 1) is LOSSES["mse"]
    assert get_loss(LOSSES["cross_entropy"], "classification", 3) is LOSSES["cross_entropy"]
    with pytest.raises(ValueError, match="loss='hinge'"):
        get_loss("hinge", "classification", 1)
    with pytest.raises(ValueError, match="loss='binary_cross_entropy'"):
        get_loss("binary_cross_entropy", "regression", 1)
    with pytest.raises(TypeError, match="loss"):
        get_loss(3, "classification", 1)


def test_numpy_pair_hands_over_the_numpy_forms_or_refuses() -> None:
    import dataclasses

    loss = LOSSES["cross_entropy"]
    assert loss.numpy_pair() == (loss.numpy_cost, loss.numpy_metric)
    autograd_only = dataclasses.replace(loss, numpy_cost=None)
    with pytest.raises(TypeError, match="loss 'cross_entropy' has no numpy forms"):
        autograd_only.numpy_pair()


def test_numpy_cross_entropy_matches_torch() -> None:
    z = np.array([[2.0, -1.0, 0.5], [300.0, -300.0, 0.0]])
    labels = torch.tensor([0, 2])
    cost, delta = LOSSES["cross_entropy"].numpy_cost(z, np.eye(3)[labels.numpy()])
    logits = torch.from_numpy(z).requires_grad_(True)
    expected = torch.nn.functional.cross_entropy(logits, labels)
    expected.backward()
    assert cost == pytest.approx(expected.detach().item(), rel=1e-14)
    np.testing.assert_allclose(delta, logits.grad.numpy(), rtol=1e-12, atol=1e-300)
