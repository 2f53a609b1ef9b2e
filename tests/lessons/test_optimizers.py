"""Tests for nnviz.lessons.optimizers: every update rule the lesson states against torch.optim
step by step, the paths on the two-weight surface against the rules applied by hand, the
comparison against Trainers built by hand, and bad arguments named."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnviz import MLP, Trainer, make_dataset
from nnviz.lessons.gradient_descent import two_weight_cost
from nnviz.lessons.optimizers import (
    DIVERGED,
    UpdateRule,
    compare_optimizers,
    curvatures,
    make_rule,
    optimizer_paths,
    schedule_chart,
)
from nnviz.training.schedules import LearningRateSchedule

TORCH = {
    "sgd": lambda p, eta, mu: torch.optim.SGD(p, lr=eta),
    "momentum": lambda p, eta, mu: torch.optim.SGD(p, lr=eta, momentum=mu),
    "adam": lambda p, eta, mu: torch.optim.Adam(p, lr=eta),
}


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize(("eta", "mu"), [(0.1, 0.9), (0.003, 0.5)])
def test_every_rule_is_torch_optims_step_by_step(name, eta, mu):
    rng = np.random.default_rng(1)
    w = rng.normal(size=(3, 4))
    parameter = torch.nn.Parameter(torch.tensor(w, dtype=torch.float64))
    optimizer = TORCH[name]([parameter], eta, mu)
    rule = make_rule(name, eta, mu=mu)
    for _ in range(25):
        g = rng.normal(size=w.shape) * rng.uniform(0.01, 10)  # gradients of changing size
        w = rule.step(w, g)
        parameter.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
        np.testing.assert_allclose(w, parameter.detach().numpy(), rtol=1e-12, atol=1e-15)
    assert rule.t == 25


def test_adams_first_step_moves_every_weight_by_eta_whatever_its_gradient():
    # Bias correction: m_hat = g and s_hat = g^2 after one update, so the step is
    # eta g / (|g| + epsilon): eta sign(g) unless |g| is near epsilon.
    rule = make_rule("adam", 0.01)
    g = np.array([1e-4, -3.0, 250.0])
    step = rule.step(np.zeros(3), g)
    np.testing.assert_allclose(step, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(step, -0.01 * np.sign(g), rtol=1e-4)


def test_reset_forgets_the_state():
    rule = make_rule("momentum", 0.1, mu=0.9)
    first = rule.step(np.zeros(2), np.ones(2))
    rule.step(first, np.ones(2))
    rule.reset()
    assert rule.t == 0 and rule.state == {}
    np.testing.assert_array_equal(rule.step(np.zeros(2), np.ones(2)), first)


@pytest.fixture(scope="module")
def plane():
    return make_dataset("plane", n_samples=200, noise=0.0, seed=0)


def test_paths_are_the_rules_applied_to_full_batch_gradients(plane):
    rules = [make_rule("sgd", 0.0015), make_rule("momentum", 0.0015), make_rule("adam", 0.1)]
    paths = optimizer_paths(plane, rules, start=(-3.0, 0.5), updates=30, stretch=10.0)
    inputs, targets, _ = two_weight_cost(plane)
    inputs = inputs * [1.0, 10.0]
    for rule, path in zip(rules, paths.surface.paths, strict=True):
        rule.reset()
        w = np.array([-3.0, 0.5])
        for k in range(30):
            # Squared error C = mean (z - y)^2 / 2: dC/dw_i = mean over examples of (z - y) x_i.
            g = inputs.T @ (inputs @ w[:, None] - targets)[:, 0] / len(inputs)
            w = rule.step(w, g)
            assert (path.x[k + 1], path.y[k + 1]) == pytest.approx(tuple(w), rel=1e-9)
    assert paths.diverged == (None, None, None)
    assert paths.surface.paths[0].name == "SGD (eta 0.0015)"


def test_a_ravine_diverges_plain_sgd_where_momentum_and_adam_converge(plane):
    # Curvature along w_2 is 100x that along w_1; the largest stable eta is 2 / the steepest.
    inputs, _, _ = two_weight_cost(plane)
    steepest = np.linalg.eigvalsh((inputs * [1, 10]).T @ (inputs * [1, 10]) / len(inputs)).max()
    rules = [make_rule("sgd", 0.9 * 2 / steepest), make_rule("sgd", 1.1 * 2 / steepest),
             make_rule("momentum", 0.9 * 2 / steepest), make_rule("adam", 0.1)]  # fmt: skip
    paths = optimizer_paths(plane, rules, start=(-3.0, 0.5), updates=100, stretch=10.0)
    assert paths.diverged[0] is None and paths.diverged[2] is None and paths.diverged[3] is None
    stop = paths.diverged[1]
    assert stop is not None and paths.losses[1][-1] > DIVERGED * paths.losses[1][0]
    assert len(paths.surface.paths[1].x) == stop + 1  # the path ends where it diverged
    sgd, momentum, adam = (paths.losses[k][-1] for k in (0, 2, 3))
    assert momentum < sgd / 10 and adam < sgd / 10
    grid = paths.surface
    assert grid.x.min() < -3.0 < grid.x.max() and grid.y.min() < 0.01 < grid.y.max()
    assert "diverged" in paths.summary().splitlines()[1]


def test_the_comparison_is_trainers_built_by_hand():
    data = make_dataset("spiral", n_samples=100, seed=0)
    schedule = LearningRateSchedule("cosine", total_steps=60, warmup=5)
    runs = compare_optimizers(
        data, [("sgd", 0.1), ("momentum", 0.03), ("adam", 0.01, schedule)], steps=60,
        hidden=(5,), eval_every=20, seed=3,
    )  # fmt: skip
    for run, (name, lr) in zip(runs.runs, [("sgd", 0.1), ("momentum", 0.03), ("adam", 0.01)],
                               strict=True):  # fmt: skip
        trainer = Trainer(MLP([2, 5, 1], activation="tanh", seed=3), data, lr=lr, seed=3,
                          batch_size=10, optimizer=name)  # fmt: skip
        losses = [trainer.evaluate().train_loss]
        callbacks = [LearningRateSchedule("cosine", total_steps=60, warmup=5)] * (name == "adam")
        for _ in range(3):
            trainer.fit(steps=20, callbacks=callbacks)
            losses.append(trainer.evaluate().train_loss)
        np.testing.assert_allclose(run.losses, losses, rtol=1e-6)
        np.testing.assert_array_equal(run.steps, [0, 20, 40, 60])
        assert run.test_accuracy == pytest.approx(trainer.evaluate().test_metric)
    assert runs.runs[2].label == "Adam (eta 0.01) + warm-up 5 + cosine"
    chart = runs.chart()
    assert [s.name for s in chart.series] == [r.label for r in runs.runs]
    assert runs.table().splitlines()[0].split()[:3] == ["optimizer", "C", "end"]


def test_schedule_chart_draws_lr_at():
    schedules = [LearningRateSchedule("cosine", total_steps=10, warmup=2),
                 LearningRateSchedule("step", every=3, factor=0.5)]  # fmt: skip
    chart = schedule_chart(schedules, steps=10, lr=0.2)
    np.testing.assert_allclose(chart.series[1].y, [0.2] * 3 + [0.1] * 3 + [0.05] * 3 + [0.025])
    assert chart.series[0].y[0] == pytest.approx(0.1) and chart.series[0].y[2] == 0.2


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: make_rule("rmsprop", 0.1), ValueError, "rule='rmsprop' is not supported"),
        (lambda: make_rule("sgd", 0), ValueError, "eta=0 is out of range"),
        (lambda: make_rule("momentum", 0.1, mu=1.0), ValueError, "mu=1 is out of range"),
        (lambda: make_rule("adam", 0.1, beta2=1.0), ValueError, "beta2=1 is out of range"),
        (lambda: make_rule("adam", 0.1, epsilon=0), ValueError, "epsilon=0 is out of range"),
        (lambda: make_rule("adam", 0.1, beta=0.9), TypeError, "make_rule got unknown settings"),
        (lambda: make_rule("sgd", 0.1).step(np.zeros(2), np.zeros(3)), ValueError,
         "the gradient must be shaped like the weights"),
        (lambda: optimizer_paths(make_dataset("plane", n_samples=20), ["sgd"]), TypeError,
         r"rules\[0\] must be an UpdateRule"),
        (lambda: optimizer_paths(make_dataset("plane", n_samples=20), [make_rule("sgd", 1)],
                                 stretch=0), ValueError, "stretch=0 is out of range"),
        (lambda: optimizer_paths(make_dataset("spiral", n_samples=20), [make_rule("sgd", 1)],
                                 start=(1, 2, 3)), ValueError, "start must be two numbers"),
        (lambda: compare_optimizers(make_dataset("plane", n_samples=20), [("sgd",)]),
         ValueError, r"settings\[0\] must be \(optimizer, eta\)"),
        (lambda: compare_optimizers(make_dataset("plane", n_samples=20), [("lbfgs", 0.1)]),
         ValueError, r"settings\[0\]\[0\]='lbfgs' is not supported"),
        (lambda: compare_optimizers(make_dataset("plane", n_samples=20), [("sgd", 0.1, "cos")]),
         TypeError, r"settings\[0\]\[2\] must be a LearningRateSchedule"),
    ],
)  # fmt: skip
def test_bad_arguments_name_the_parameter(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_a_rule_is_a_plain_record():
    rule = UpdateRule("momentum", 0.05, mu=0.8)
    assert rule.label == "momentum (eta 0.05, mu 0.8)"
    assert make_rule("adam", 0.01).label == "Adam (eta 0.01)"


def test_curvatures_are_the_surfaces_second_derivatives(plane):
    low, high = curvatures(plane, stretch=10.0)
    inputs, targets, _ = two_weight_cost(plane)
    inputs = inputs * [1.0, 10.0]
    w, h = np.array([0.3, -0.2]), 1e-3
    gradient = lambda v: inputs.T @ (inputs @ v[:, None] - targets)[:, 0] / len(inputs)  # noqa: E731
    hessian = np.array([(gradient(w + h * e) - gradient(w - h * e)) / (2 * h) for e in np.eye(2)])
    np.testing.assert_allclose(sorted(np.linalg.eigvalsh(hessian)), [low, high], rtol=1e-6)
    assert high / low > 50  # stretching x_2 by 10 makes a ravine (100x, less the data's own)
    with pytest.raises(ValueError, match="curvatures needs regression data"):
        curvatures(make_dataset("gauss", n_samples=20))
