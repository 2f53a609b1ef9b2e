"""On a GPU, the training side gives the CPU's numbers: the trainer's losses, the probe's records
(reduced with torch on the device) and the runner's updates. Skipped where there is no CUDA."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnviz import MLP, FieldProbe, LayerProbe, Runner, Trainer, make_dataset

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def run(device: str, optimizer: str = "sgd", regularization: str = "none", reg_rate=0.0):
    """20 steps of a 2-5-4-1 tanh net through a Runner with both probes; every update kept."""
    torch.backends.cuda.matmul.allow_tf32 = False  # full float32, comparable with the CPU
    data = make_dataset("spiral", n_samples=80, test_fraction=0.25, seed=0)
    model = MLP([2, 5, 4, 1], activation="tanh", seed=3)
    trainer = Trainer(
        model,
        data,
        lr=0.1,
        batch_size=10,
        optimizer=optimizer,
        regularization=regularization,
        reg_rate=reg_rate,
        device=device,
        engine="autograd",  # the numpy engine is CPU-only: compare like with like
        eval_every=5,
    )
    updates = []
    with Runner(trainer, [LayerProbe(), FieldProbe()], interval=1e-9) as runner:
        runner.subscribe(updates.append)
        runner.advance(20)
        runner.wait(timeout=60)
    return trainer, updates


@pytest.mark.parametrize(
    ("optimizer", "regularization", "reg_rate"),
    [("sgd", "none", 0.0), ("momentum", "l2", 0.01), ("adam", "l1", 0.001)],
)
def test_a_gpu_run_gives_the_cpu_numbers(optimizer, regularization, reg_rate):
    cpu, cpu_updates = run("cpu", optimizer, regularization, reg_rate)
    gpu, gpu_updates = run("cuda", optimizer, regularization, reg_rate)
    assert gpu.device.type == "cuda" and gpu.engine == "autograd"
    for column in ("loss", "penalty", "total"):
        np.testing.assert_allclose(
            gpu.history.steps[column], cpu.history.steps[column], rtol=1e-4, atol=1e-6
        )
    np.testing.assert_allclose(
        gpu.history.evaluations["test_loss"], cpu.history.evaluations["test_loss"], rtol=1e-4
    )
    for name, parameter in cpu.model.state_dict().items():
        np.testing.assert_allclose(
            gpu.model.state_dict()[name].cpu().numpy(), parameter.numpy(), atol=1e-5
        )
    cpu_probe, gpu_probe = cpu_updates[-1].probe, gpu_updates[-1].probe
    assert gpu_probe.step == cpu_probe.step == 20
    for mine, theirs in zip(gpu_probe.layers, cpu_probe.layers, strict=True):
        for quantity in ("a_prev", "z", "a", "delta", "weight", "grad_weight"):
            np.testing.assert_allclose(
                getattr(mine, quantity), getattr(theirs, quantity), rtol=1e-4, atol=1e-6
            )
        for quantity in ("a", "z", "delta"):
            np.testing.assert_array_equal(
                mine.summaries[quantity].counts.sum(), theirs.summaries[quantity].counts.sum()
            )
            assert mine.summaries[quantity].mean == pytest.approx(
                theirs.summaries[quantity].mean, rel=1e-4, abs=1e-7
            )
        assert mine.grad_norm == pytest.approx(theirs.grad_norm, rel=1e-4)
    cpu_field, gpu_field = cpu_updates[-1].field, gpu_updates[-1].field
    np.testing.assert_allclose(gpu_field.output, cpu_field.output, atol=1e-5)
    np.testing.assert_array_equal(gpu_field.confusion, cpu_field.confusion)
