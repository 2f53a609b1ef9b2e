"""Tests for nnviz.training.schedules: every schedule against torch.optim.lr_scheduler (or the
warm-up's formula by hand), the etas a Trainer really used, optimizer state kept across changes,
and bad arguments named."""

from __future__ import annotations

import math

import pytest
import torch

from nnviz import MLP, Trainer, make_dataset
from nnviz.training.schedules import LearningRateSchedule


def torch_lrs(make_scheduler, lr: float, steps: int) -> list[float]:
    """The lr torch's scheduler gives each of `steps` updates (read before each step)."""
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=lr)
    scheduler = make_scheduler(optimizer)
    etas = []
    for _ in range(steps):
        etas.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return etas


def test_cosine_is_torchs_cosine_annealing():
    schedule = LearningRateSchedule("cosine", total_steps=50, lr=0.2, final_lr=0.01)
    expected = torch_lrs(
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=50, eta_min=0.01), 0.2, 50
    )
    assert [schedule.lr_at(t) for t in range(50)] == pytest.approx(expected, rel=1e-12)
    assert schedule.lr_at(50) == schedule.lr_at(500) == 0.01  # stays at final_lr after the end


def test_step_decay_is_torchs_step_lr():
    schedule = LearningRateSchedule("step", lr=0.1, every=7, factor=0.3)
    expected = torch_lrs(
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.3), 0.1, 40
    )
    assert [schedule.lr_at(t) for t in range(40)] == pytest.approx(expected, rel=1e-12)


def test_warm_up_rises_linearly_then_the_schedule_starts_at_the_peak():
    schedule = LearningRateSchedule("cosine", total_steps=24, warmup=4, lr=0.4, final_lr=0.04)
    assert [schedule.lr_at(t) for t in range(4)] == pytest.approx([0.1, 0.2, 0.3, 0.4])
    span = 20
    for t in range(4, 24):
        s = t - 4
        expected = 0.04 + (0.4 - 0.04) * (1 + math.cos(math.pi * s / span)) / 2
        assert schedule.lr_at(t) == pytest.approx(expected, rel=1e-12)
    constant = LearningRateSchedule("constant", warmup=3, lr=0.3)
    assert [constant.lr_at(t) for t in range(5)] == pytest.approx([0.1, 0.2, 0.3, 0.3, 0.3])


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_a_trainer_uses_the_scheduled_eta_at_every_update(optimizer):
    data = make_dataset("circle", n_samples=60, seed=0)
    schedule = LearningRateSchedule("cosine", total_steps=12, warmup=3, final_lr=0.005)
    trainer = Trainer(MLP([2, 4, 1], seed=0), data, lr=0.1, batch_size=10, optimizer=optimizer)
    trainer.fit(steps=15, callbacks=[schedule])
    expected = [schedule.lr_at(t, 0.1) for t in range(15)]
    assert schedule.used == pytest.approx(expected)
    assert schedule.lr == 0.1 and trainer.lr == pytest.approx(0.005)

    # The same run by hand: torch.optim with the lr set before each step gives the same weights.
    reference = MLP([2, 4, 1], seed=0)
    by_hand = Trainer(reference, data, lr=0.1, batch_size=10, optimizer=optimizer)
    for eta in expected:
        by_hand.set_lr(eta)
        by_hand.step()
    for ours, theirs in zip(trainer.model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(ours, theirs)


def test_momentum_and_adam_keep_their_state_when_eta_changes():
    data = make_dataset("circle", n_samples=60, seed=0)
    trainer = Trainer(MLP([2, 4, 1], seed=0), data, lr=0.1, optimizer="adam")
    trainer.fit(steps=3)
    state = {k: v["exp_avg"].clone() for k, v in enumerate(trainer.optimizer.state.values())}
    trainer.fit(steps=1, callbacks=[LearningRateSchedule("constant", lr=0.05)])
    after = list(trainer.optimizer.state.values())
    assert all(int(s["step"]) == 4 for s in after)  # the moments went on, not restarted
    assert not torch.equal(after[0]["exp_avg"], state[0])


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"kind": "linear"}, "kind='linear' is not supported; choose one of 'constant'"),
        ({"kind": "cosine"}, "total_steps is needed by the cosine schedule"),
        ({"kind": "cosine", "total_steps": 10, "warmup": 10}, "total_steps=10 is out of range"),
        ({"kind": "step", "warmup": -1}, "warmup=-1 is out of range"),
        ({"kind": "step", "factor": 1.5}, "factor=1.5 is out of range"),
        ({"kind": "step", "factor": 0}, "factor=0 is out of range"),
        ({"kind": "step", "every": 0}, "every=0 is out of range"),
        ({"kind": "cosine", "total_steps": 5, "final_lr": 0}, "final_lr=0 is out of range"),
        ({"kind": "cosine", "total_steps": 5, "lr": 0.1, "final_lr": 0.2},
         "final_lr=0.2 is above lr=0.1"),
        ({"kind": "constant", "lr": -1}, "lr=-1 is out of range"),
    ],
)  # fmt: skip
def test_bad_arguments_name_the_parameter(arguments, words):
    with pytest.raises(ValueError, match="^" + words.replace("(", r"\(").replace(")", r"\)")):
        LearningRateSchedule(**arguments)


def test_final_lr_above_the_trainers_lr_is_refused_at_the_start():
    data = make_dataset("circle", n_samples=30, seed=0)
    trainer = Trainer(MLP([2, 3, 1], seed=0), data, lr=0.01)
    schedule = LearningRateSchedule("cosine", total_steps=5, final_lr=0.1)
    with pytest.raises(ValueError, match=r"final_lr=0\.1 is above lr=0\.01"):
        trainer.fit(steps=2, callbacks=[schedule])
    assert trainer.step_count == 0  # refused before the first update


def test_names_for_legends():
    assert LearningRateSchedule("cosine", total_steps=9, warmup=2).name == "warm-up 2 + cosine"
    assert LearningRateSchedule("step", every=5, factor=0.5).name == "step x0.5 every 5"
    assert LearningRateSchedule("constant").name == "constant"
