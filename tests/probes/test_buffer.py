"""StepBuffer and make_layout: a step filed by numpy copies, reduced, against numbers by hand."""

from __future__ import annotations

import numpy as np
import torch

from nnviz.probes.buffer import StepBuffer, make_layout


def test_capacity_fits_the_memory_budget_and_auto_picks_numpy_on_cpu():
    parameters = [torch.zeros(3, 2), torch.zeros(3), torch.zeros(1, 3), torch.zeros(1)]
    architecture = ((3, 1), 2, torch.device("cpu"))
    layout = make_layout(architecture, parameters, 10, 8, "auto", 64)
    assert layout.xp is np and layout.capacity == 64
    # 4 bytes * (100000 * (3 * 4 units + 2 inputs) + 3 * 13 parameters) a step: 2 fit in 16 MiB.
    assert make_layout(architecture, parameters, 100_000, 8, "auto", 64).capacity == 2
    assert make_layout(architecture, parameters, 10, 8, "torch", 64).xp is torch


def test_a_filed_step_reduces_to_its_means_and_gradient_norms():
    rng = np.random.default_rng(0)
    shapes = [(2, 2), (2,), (1, 2), (1,)]
    parameters = [torch.zeros(shape) for shape in shapes]
    layout = make_layout(((2, 1), 2, torch.device("cpu")), parameters, 3, 4, "numpy", 2)
    buffer = StepBuffer(layout, parameters, arrays=True, output=torch.sigmoid)
    a_hidden, z_hidden, z_out = (
        rng.normal(size=(3, 2)),
        rng.normal(size=(3, 2)),
        rng.normal(size=(3, 1)),
    )
    delta_hidden, delta_out, x = (
        rng.normal(size=(3, 2)),
        rng.normal(size=(3, 1)),
        rng.normal(size=(3, 2)),
    )
    before, gradient = rng.normal(size=9), rng.normal(size=9)
    after = [rng.normal(size=shape) for shape in shapes]
    # The order LayerProbe files: a (hidden), z^L, z, delta, input, before, gradient, after.
    sources = [a_hidden, z_out, z_hidden, z_out, delta_hidden, delta_out, x, before, gradient]
    buffer.add_arrays([*sources, *after], step=7)
    assert buffer.count == 1 and not buffer.full and buffer.steps == [7]
    rows, arrays = buffer.reduce(lambda z, a: np.zeros(z.shape, bool))
    decoded = layout.decode(rows, np.array([3]))
    a_out = 1 / (1 + np.exp(-z_out))  # the output function turned z^L into a^L
    np.testing.assert_allclose(decoded["a_mean"][0], [a_hidden.mean(), a_out.mean()], rtol=1e-5)
    np.testing.assert_allclose(decoded["delta_std"][0, 0], delta_hidden.std(), rtol=1e-4)
    norms = [np.linalg.norm(gradient[:6]), np.linalg.norm(gradient[6:])]  # W1, b1 | W2, b2
    np.testing.assert_allclose(decoded["grad_norm"][0], norms, rtol=1e-5)
    matrix, first_input, kept = arrays
    np.testing.assert_allclose(first_input, x, rtol=1e-6)
    np.testing.assert_allclose(kept, [before, gradient], rtol=1e-6)
    assert matrix.shape == (3, 3 * 3)
    buffer.empty()
    assert buffer.count == 0 and buffer.steps == []
