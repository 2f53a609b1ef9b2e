"""Tests for nnviz.training.status.status_line: one line per state, with the numbers it names."""

from __future__ import annotations

from nnviz import MLP, Trainer, make_dataset
from nnviz.training.status import status_line


def test_each_state_reads_as_one_line() -> None:
    trainer = Trainer(MLP([2, 1]), make_dataset("xor", n_samples=40))
    trainer.fit(steps=3)
    line = status_line("running", trainer, 41.6, 0, "", None)
    assert line == "running: step 3, epoch 1, 42 steps/s"  # 20 examples, 10 a batch
    assert status_line("paused", trainer, 0, 2, "", None) == "paused at step 3 (advancing 2 more)"
    assert status_line("capped", trainer, 0, 0, "5 steps (max_steps)", None).startswith(
        "stopped by cap: 5 steps (max_steps) reached at step 3"
    )
    error = status_line("error", trainer, 0, 0, "", ValueError("bad\nmore"))
    assert error.startswith("error: ValueError: bad (see runner.error")
    assert status_line("idle", trainer, 0, 0, "", None) == "idle at step 3; start() trains"
