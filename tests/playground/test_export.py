"""Tests for nnviz.playground.export: the script PlaygroundConfig.to_code writes draws the same
data, builds the same network and trains like the Trainer it stands for."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from nnviz import from_arrays
from nnviz.playground.config import PlaygroundConfig

SMALL = {"n_samples": 60, "test_fraction": 0.25}  # 45 train / 15 test: fast builds


def weights_of(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def run_script(config: PlaygroundConfig, data=None) -> dict:
    namespace = {"__name__": "nnviz_export"}  # not "__main__": defines, trains nothing
    exec(compile(config.to_code(data), "<to_code>", "exec"), namespace)  # our own output
    return namespace


@pytest.mark.parametrize(
    "changes",
    [
        {"dataset": "circle", "noise": 0.2},
        {"dataset": "spiral", "features": ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)")},
        {"dataset": "gauss", "noise": 0.3},
        {"dataset": "xor", "features": ("x1*x2", "sin(x2)")},
        {"dataset": "plane", "noise": 0.1},
        {"dataset": "multi_gauss"},
        {"dataset": "moons", "noise": 0.1},
        {"dataset": "random"},
        {"dataset": "digits", "noise": 0.1},
    ],
)
def test_the_script_generates_the_same_data_and_network(changes: dict) -> None:
    config = PlaygroundConfig(**SMALL, seed=5, **changes)
    data, model, _ = config.build()
    namespace = run_script(config)
    X_train, y_train, X_test, y_test = namespace["make_data"]()
    assert torch.equal(X_train, data.X_train) and torch.equal(X_test, data.X_test)
    assert torch.equal(y_train.reshape(-1), data.y_train.reshape(-1).to(y_train.dtype))
    assert torch.equal(y_test.reshape(-1), data.y_test.reshape(-1).to(y_test.dtype))
    plain = namespace["make_model"](X_train.shape[1])
    linear = [m for m in plain if isinstance(m, torch.nn.Linear)]
    assert [layer.in_features for layer in linear] + [linear[-1].out_features] == list(model.sizes)
    assert all(map(torch.equal, weights_of(plain), weights_of(model)))


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"optimizer": "momentum", "regularization": "l2", "reg_rate": 0.01, "activation": "relu"},
        {"optimizer": "adam", "regularization": "l1", "reg_rate": 0.001, "batch_size": "full"},
        {"dataset": "digits", "loss": "squared_error", "batch_size": 7, "activation": "sigmoid"},
        {"dataset": "multi_gauss", "activation": "linear", "hidden": ()},
    ],
)
def test_the_script_trains_like_the_trainer(changes: dict) -> None:
    config = PlaygroundConfig(**SMALL, lr=0.1, **changes)
    _, _, trainer = config.build()
    trainer.divergence_factor = None  # the script has no divergence check
    history = trainer.fit(epochs=3)
    model, losses = run_script(config)["train"](3, verbose=False)
    assert len(losses) == len(history) == 3 * trainer.steps_per_epoch
    np.testing.assert_allclose(losses, history["total"], rtol=1e-4, atol=1e-7)
    for got, want in zip(weights_of(model), weights_of(trainer.model), strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)


def test_the_script_runs_alone_and_its_loss_goes_down(tmp_path) -> None:
    config = PlaygroundConfig(dataset="circle", hidden=(6,), lr=0.3, **SMALL)
    code = config.to_code()
    imported = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported <= {"math", "sys", "itertools", "numpy", "torch", "torch.nn",
                        "torch.nn.functional"}  # fmt: skip
    assert "w -= LR * w.grad" in code  # the seed's update, written out for plain SGD
    path = tmp_path / "playground_run.py"
    path.write_text(code)
    # nnviz made unimportable: the script must not need it.
    runner = "import sys; sys.modules['nnviz'] = None; sys.argv = [sys.argv[1], '12'];"
    runner += (
        "exec(compile(open(sys.argv[0]).read(), sys.argv[0], 'exec'), {'__name__': '__main__'})"
    )
    result = subprocess.run(
        [sys.executable, "-c", runner, str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 12 and lines[0].startswith("epoch 1: train loss ")
    first, last = (float(line.split()[4].rstrip(",")) for line in (lines[0], lines[-1]))
    assert last < 0.8 * first


def test_the_script_for_own_data_leaves_the_loading_to_you() -> None:
    own = from_arrays(np.random.default_rng(0).normal(size=(30, 3)), np.arange(30) % 4)
    code = PlaygroundConfig(dataset="custom").to_code(own)
    compile(code, "<to_code>", "exec")
    assert "N_OUTPUTS = 4" in code and 'raise NotImplementedError("load your' in code
    with pytest.raises(TypeError, match="needs data="):
        PlaygroundConfig(dataset="custom").to_code()


def test_the_script_is_ruff_clean(tmp_path) -> None:
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(sys.prefix) + "/bin")
    if ruff is None:
        pytest.skip("ruff is not installed")
    for index, changes in enumerate(
        [
            {},
            {"dataset": "multi_gauss", "regularization": "l2", "reg_rate": 0.1},
            {"dataset": "digits", "optimizer": "adam", "loss": "squared_error"},
        ]
    ):
        (tmp_path / f"script_{index}.py").write_text(PlaygroundConfig(**changes).to_code())
    for command in (
        ["check", "--isolated", "--line-length", "100", "--select", "E,F,W,I,B,UP"],
        ["format", "--check", "--isolated", "--line-length", "100"],
    ):
        result = subprocess.run([ruff, *command, str(tmp_path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
