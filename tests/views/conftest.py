"""Real runner updates for the view tests: a short seeded run, every update kept."""

from __future__ import annotations

import pytest

from nnviz import MLP, LayerProbe, Runner, Trainer, make_dataset
from nnviz.core.records import RunnerUpdate


def collect_updates(
    dataset: str = "spiral",
    hidden: tuple[int, ...] = (4, 3),
    steps: int = 30,
    callbacks: tuple = (),
    n_samples: int = 60,
    **trainer_options: object,
) -> list[RunnerUpdate]:
    """Train `steps` updates in a Runner (advance, then wait) and return every update it sent."""
    data = make_dataset(dataset, n_samples=n_samples, test_fraction=0.25, seed=0)
    width = data.n_classes if (data.n_classes or 0) > 2 else data.n_outputs
    model = MLP([data.n_features, *hidden, width], activation="tanh", seed=0)
    trainer = Trainer(model, data, seed=0, **{"batch_size": 10, **trainer_options})
    probe = LayerProbe()
    updates: list[RunnerUpdate] = []
    with Runner(trainer, [probe, *callbacks], interval=1e-9) as runner:
        runner.subscribe(updates.append)
        runner.advance(steps)
        runner.wait(timeout=30)
    return updates


@pytest.fixture(scope="session")
def spiral_updates() -> list[RunnerUpdate]:
    """30 updates (one per step, then a final one) of a 2-4-3-1 tanh net on 45 spiral points."""
    return collect_updates()
