"""The block-wise reduction behind LayerProbe: the numpy and torch backends agree, and a step's
statistics do not depend on how steps were grouped into blocks or when they were read."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from nnviz import MLP, LayerProbe, Trainer, make_dataset


@pytest.fixture(scope="module")
def spiral():
    """Playground spiral, 45 training points: batch 10 leaves a last batch of 5."""
    return make_dataset("spiral", n_samples=90, noise=0.1, test_fraction=0.5, seed=1)


def probed_history(data, probe: LayerProbe, steps: int = 23, activation: str = "tanh"):
    trainer = Trainer(MLP([2, 6, 5, 1], activation, seed=3), data, lr=0.1, batch_size=10)
    trainer.fit(steps=steps, callbacks=[probe])
    return trainer, probe.history.to_dict()


def assert_same_statistics(left: dict, right: dict, rtol: float = 1e-5) -> None:
    assert left.keys() == right.keys()
    for name in left:
        np.testing.assert_allclose(left[name], right[name], rtol=rtol, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_numpy_and_torch_backends_agree(spiral, activation: str) -> None:
    _, with_numpy = probed_history(spiral, LayerProbe(backend="numpy"), activation=activation)
    _, with_torch = probed_history(spiral, LayerProbe(backend="torch"), activation=activation)
    assert_same_statistics(with_numpy, with_torch)


@pytest.mark.parametrize("buffer_steps", [1, 3, 7])
def test_block_size_does_not_change_any_number(spiral, buffer_steps: int) -> None:
    _, reference = probed_history(spiral, LayerProbe(buffer_steps=64))
    _, blocked = probed_history(spiral, LayerProbe(buffer_steps=buffer_steps))
    assert_same_statistics(reference, blocked, rtol=0)


def test_partial_last_batches_are_reduced_with_their_own_size(spiral) -> None:
    _, history = probed_history(spiral, LayerProbe(), steps=15)
    # 45 points, batch 10: steps 5, 10 and 15 end an epoch with 5 examples.
    expected = [5 if step % 5 == 0 else 10 for step in range(1, 16)]
    assert history["batch_size"].tolist() == expected
    assert history["step"].tolist() == list(range(1, 16))
    counts = history["a_counts"].sum(axis=2)  # (steps, layers): batch * units per layer
    np.testing.assert_array_equal(counts, np.outer(expected, [6, 5, 1]))


def test_reading_mid_run_gives_the_latest_step_and_changes_nothing(spiral) -> None:
    _, reference = probed_history(spiral, LayerProbe())
    probe = LayerProbe()
    trainer = Trainer(MLP([2, 6, 5, 1], "tanh", seed=3), spiral, lr=0.1, batch_size=10)
    with trainer.session([probe]):
        for _ in range(23):
            record = trainer.step()
            assert probe.last.step == record.step  # each read reduces what is buffered
    assert_same_statistics(reference, probe.history.to_dict(), rtol=0)


def test_last_record_matches_its_history_row(spiral) -> None:
    _, history = probed_history(spiral, probe := LayerProbe())
    last = probe.last
    for layer in last.layers:
        for quantity, summary in layer.summaries.items():
            assert summary.mean == pytest.approx(history[f"{quantity}_mean"][-1, layer.index])
            np.testing.assert_array_equal(
                summary.counts, history[f"{quantity}_counts"][-1, layer.index]
            )
        assert layer.grad_norm == pytest.approx(history["grad_norm"][-1, layer.index])


def test_reads_from_another_thread_while_training_are_consistent(spiral) -> None:
    probe = LayerProbe(buffer_steps=4)
    trainer = Trainer(MLP([2, 6, 5, 1], "tanh", seed=3), spiral, lr=0.1, batch_size=10)
    seen: list[int] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            record = probe.last
            if record is not None:
                assert all(layer.a.shape[0] == record.batch_size for layer in record.layers)
                seen.append(record.step)
            time.sleep(0.002)  # a dashboard reads ~10 times a second; this is 50x that

    reader = threading.Thread(target=read)
    reader.start()
    try:
        trainer.fit(steps=200, callbacks=[probe])
    finally:
        done.set()
        reader.join()
    assert seen == sorted(seen)  # never a step older than one already seen
    assert len(seen) > 5
    assert probe.history["step"].tolist() == list(range(1, 201))
