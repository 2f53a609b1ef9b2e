"""Tests for the MLP's dropout: masks and scaling against a forward pass by hand, eval mode as the
whole network, seeded masks, the Trainer's modes (dropout in its training forward only), the
numpy engine's refusal, and bad values named."""

from __future__ import annotations

import pytest
import torch

from nnviz import MLP, Trainer, make_dataset


def test_training_mode_drops_hidden_activations_and_scales_the_rest():
    model = MLP([3, 50, 40, 2], activation="tanh", seed=4, dropout=0.25)
    x = torch.randn(64, 3, generator=torch.Generator().manual_seed(0))
    model.train()
    out = model(x)

    masks = torch.Generator().manual_seed(4 + 1_000_003)  # the model's own stream
    a = x
    for index, layer in enumerate(model.layers):
        a = layer(a)
        if index < 2:
            a = torch.tanh(a)
            keep = torch.rand(a.shape, generator=masks) >= 0.25
            assert 0.65 < keep.float().mean() < 0.85  # about 1 - p of them kept
            a = a * keep / 0.75
    torch.testing.assert_close(out, a)


def test_eval_mode_is_the_whole_network_and_masks_are_seeded():
    x = torch.randn(10, 2, generator=torch.Generator().manual_seed(1))
    dropped, whole = MLP([2, 8, 1], seed=3, dropout=0.5), MLP([2, 8, 1], seed=3)
    dropped.eval()
    torch.testing.assert_close(dropped(x), whole(x))
    dropped.train()
    first = dropped(x)
    assert not torch.allclose(first, whole(x))
    dropped.reset_parameters()  # the masks start over with the weights
    torch.testing.assert_close(dropped(x), first)


def test_the_trainer_drops_only_inside_its_training_steps():
    data = make_dataset("circle", n_samples=80, noise=0.2, seed=0)
    model = MLP([2, 12, 1], seed=0, dropout=0.4)
    trainer = Trainer(model, data, lr=0.1)
    assert trainer.engine == "autograd" and not model.training
    trainer.fit(steps=40)
    assert not model.training  # between steps: eval mode
    first, again = trainer.evaluate(), trainer.evaluate()
    assert first == again  # evaluation draws no masks
    with torch.no_grad():
        logits = model(data.X_train)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, data.y_train.float()[:, None]
        )
    assert first.train_loss == pytest.approx(float(loss), rel=1e-6)

    # The same seeded run gives the same numbers; without dropout it is another run.
    other = Trainer(MLP([2, 12, 1], seed=0, dropout=0.4), data, lr=0.1)
    other.fit(steps=40)
    assert other.evaluate() == first
    plain = Trainer(MLP([2, 12, 1], seed=0), data, lr=0.1, engine="autograd")
    plain.fit(steps=40)
    assert plain.evaluate().train_loss != pytest.approx(first.train_loss, rel=1e-4)


def test_the_numpy_engine_refuses_dropout():
    data = make_dataset("circle", n_samples=20)
    with pytest.raises(ValueError, match=r"it has no dropout, and the model drops hidden neurons"):
        Trainer(MLP([2, 3, 1], dropout=0.1), data, engine="numpy")


@pytest.mark.parametrize(
    ("value", "error", "words"),
    [
        (1.5, ValueError, "dropout=1.5 is out of range; allowed: >= 0 and < 1"),
        (1.0, ValueError, "dropout=1 is out of range"),
        (-0.1, ValueError, "dropout=-0.1 is out of range"),
        ("half", TypeError, "dropout must be a number"),
    ],
)
def test_bad_dropout_values_are_named(value, error, words):
    with pytest.raises(error, match=words):
        MLP([2, 3, 1], dropout=value)
