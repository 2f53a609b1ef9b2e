"""Tests for nnviz.playground.config.PlaygroundConfig: defaults, dict and query round trips,
build(), own data and needs_reset."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import parse_qs

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnviz import MLP, from_arrays, make_dataset
from nnviz.data.dataset import DATASETS, FEATURES, PLANE_SETS
from nnviz.playground.config import PlaygroundConfig
from nnviz.playground.options import CHANGE_LEVELS, FIELD_LEVELS

DEFAULT = PlaygroundConfig()
SMALL = {"n_samples": 60, "test_fraction": 0.25}  # 45 train / 15 test: fast builds


# --------------------------------------------------------------------------- defaults
def test_defaults_are_the_tf_playgrounds() -> None:
    config = PlaygroundConfig()
    assert (config.dataset, config.noise, config.test_fraction, config.n_samples) == (
        "circle",
        0.0,
        0.5,
        500,
    )
    assert (config.batch_size, config.hidden, config.features) == (10, (4, 2), ("x1", "x2"))
    assert (config.activation, config.lr, config.optimizer) == ("tanh", 0.03, "sgd")
    assert (config.regularization, config.reg_rate, config.loss, config.seed) == (
        "none",
        0.0,
        "auto",
        0,
    )
    assert not config.show_test and not config.discretize
    assert (config.n_train, config.n_test) == (250, 250)
    assert config.to_query() == ""


def test_config_is_frozen_hashable_and_normalised() -> None:
    config = PlaygroundConfig(
        hidden=[8, 8], features=["sin(x1)", "x1", "x2"], noise=0, batch_size=None, lr=1
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lr = 0.1  # type: ignore[misc]
    # Lists become tuples, features a set in FEATURES order, None batch the "full" batch.
    assert config.hidden == (8, 8) and config.features == ("x1", "x2", "sin(x1)")
    assert config.batch_size == "full" and isinstance(config.noise, float)
    twin = PlaygroundConfig(hidden=(8, 8), features=("x1", "x2", "sin(x1)"), batch_size="FULL")
    twin = twin.replace(lr=1.0)
    assert config == twin and hash(config) == hash(twin) and len({config, twin}) == 1


def test_replace_revalidates_and_leaves_the_original_alone() -> None:
    config = PlaygroundConfig(dataset="spiral")
    faster = config.replace(lr=0.3, hidden=(8,))
    assert (faster.lr, faster.hidden, faster.dataset) == (0.3, (8,), "spiral")
    assert config.lr == 0.03 and config.hidden == (4, 2)
    with pytest.raises(ValueError, match=r"lr=20"):
        config.replace(lr=20)
    with pytest.raises(TypeError, match=r"'learning_rate'.*known: dataset"):
        config.replace(learning_rate=0.1)


# --------------------------------------------------------------------------- round trips
@st.composite
def configs(draw: st.DrawFn, custom: bool = False) -> PlaygroundConfig:
    dataset = "custom" if custom else draw(st.sampled_from(DATASETS))
    n_samples = draw(st.integers(10, 1797 if dataset == "digits" else 5000))
    test_fraction = draw(st.floats(0.0, 0.9))
    n_train = n_samples - round(n_samples * test_fraction)
    assume(test_fraction == 0 or round(n_samples * test_fraction) >= 1)
    regularization = draw(st.sampled_from(["none", "l1", "l2"]))
    features = FEATURES[:2]
    if dataset in PLANE_SETS:
        features = tuple(draw(st.lists(st.sampled_from(FEATURES), min_size=1, unique=True)))
    return PlaygroundConfig(
        dataset=dataset,
        noise=0.0 if dataset == "random" else draw(st.floats(0.0, 0.5)),
        test_fraction=test_fraction,
        n_samples=n_samples,
        batch_size=draw(st.just("full") | st.integers(1, n_train)),
        hidden=tuple(draw(st.lists(st.integers(1, 64), max_size=8))),
        features=features,
        activation=draw(st.sampled_from(["relu", "tanh", "sigmoid", "linear"])),
        lr=draw(st.floats(1e-5, 10.0)),
        optimizer=draw(st.sampled_from(["sgd", "momentum", "adam"])),
        regularization=regularization,
        reg_rate=0.0 if regularization == "none" else draw(st.floats(0.0, 10.0)),
        loss=draw(
            st.sampled_from(
                ["auto", "squared_error"]
                if dataset in ("plane", "multi_gauss")
                else ["auto", "cross_entropy", "squared_error"]
            )
        ),
        seed=draw(st.integers(0, 2**32 - 1)),
        show_test=draw(st.booleans()),
        discretize=draw(st.booleans()),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(configs())
def test_every_config_round_trips_through_query_and_dict(config: PlaygroundConfig) -> None:
    query = config.to_query()
    assert PlaygroundConfig.from_query(query) == (config, [])
    assert PlaygroundConfig.from_query("?" + query) == (config, [])
    plain = json.loads(json.dumps(config.to_dict()))  # JSON-able, and back
    assert PlaygroundConfig.from_dict(plain) == (config, [])
    # Short: exactly the keys that differ from the defaults, decoded by an independent parser.
    decoded = parse_qs(query, keep_blank_values=True)
    assert set(decoded) == set(config.changed(DEFAULT))
    assert all(len(values) == 1 and values[0] for values in decoded.values())


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(configs(custom=True))
def test_custom_configs_round_trip_through_dict_but_stay_out_of_links(
    config: PlaygroundConfig,
) -> None:
    assert PlaygroundConfig.from_dict(config.to_dict()) == (config, [])
    assert "dataset" not in parse_qs(config.to_query())
    assert PlaygroundConfig.from_query(config.to_query())[0] == config.replace(dataset="circle")


def test_query_encoding_is_short_readable_and_exact() -> None:
    config = PlaygroundConfig(
        dataset="spiral",
        features=("x1", "x2^2", "x1*x2", "sin(x1)"),
        hidden=(8, 8),
        batch_size="full",
        noise=0.1 + 0.2,  # 0.30000000000000004: repr keeps every digit
        lr=1e-05,
        show_test=True,
    )
    query = config.to_query()
    assert query == (
        "dataset=spiral&noise=0.30000000000000004&batch_size=full&hidden=8,8"
        "&features=x1,x2%5E2,x1*x2,sin(x1)&lr=1e-05&show_test=true"
    )
    assert parse_qs(query)["features"] == ["x1,x2^2,x1*x2,sin(x1)"]
    assert PlaygroundConfig.from_query(query)[0].noise == 0.1 + 0.2
    assert PlaygroundConfig(hidden=()).to_query() == "hidden=none"


# --------------------------------------------------------------------------- build
def weights_of(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def test_build_makes_the_data_model_and_trainer_the_config_describes() -> None:
    config = PlaygroundConfig(dataset="spiral", features=("x1", "x2", "sin(x1)"), hidden=(8, 8),
                              noise=0.1, seed=3, **SMALL)  # fmt: skip
    data, model, trainer = config.build()
    independent = make_dataset("spiral", 60, 0.1, 0.25, 3, ("x1", "x2", "sin(x1)"))
    assert torch.equal(data.X_train, independent.X_train)
    assert torch.equal(data.y_test, independent.y_test)
    assert (len(data.X_train), len(data.X_test)) == (config.n_train, config.n_test) == (45, 15)
    assert model.sizes == (3, 8, 8, 1) and model.activation.name == "tanh"
    assert trainer.loss.name == "binary_cross_entropy" and trainer.batch_size == 10
    assert (trainer.lr, trainer.optimizer_name, trainer.seed) == (0.03, "sgd", 3)
    for got, want in zip(weights_of(model), weights_of(MLP([3, 8, 8, 1], seed=3)), strict=True):
        assert torch.equal(got, want)
    record = trainer.step()
    assert record.batch_size == 10 and trainer.model is model


@pytest.mark.parametrize(
    ("changes", "sizes", "loss"),
    [
        ({"dataset": "digits"}, (64, 4, 2, 10), "cross_entropy"),
        ({"dataset": "digits", "loss": "squared_error"}, (64, 4, 2, 10), "mse"),
        ({"dataset": "xor", "loss": "squared_error"}, (2, 4, 2, 1), "mse"),
        ({"dataset": "plane", "hidden": ()}, (2, 1), "mse"),
        ({"dataset": "random", "hidden": (5,)}, (100, 5, 10), "cross_entropy"),
    ],
)
def test_the_output_layer_and_loss_follow_the_data(changes: dict, sizes: tuple, loss: str) -> None:
    _, model, trainer = PlaygroundConfig(**SMALL, **changes).build()
    assert model.sizes == sizes and trainer.loss.name == loss
    assert trainer.step() is not None  # the pieces fit together: one update runs


def test_full_batch_optimizers_and_the_penalty_reach_the_trainer() -> None:
    config = PlaygroundConfig(batch_size="full", optimizer="adam", regularization="l2",
                              reg_rate=0.01, **SMALL)  # fmt: skip
    _, model, trainer = config.build()
    assert trainer.full_batch and trainer.batch_size == 45
    assert isinstance(trainer.optimizer, torch.optim.Adam)
    expected_penalty = 0.01 * sum(
        float((p.detach() ** 2).sum()) for p in model.parameters() if p.ndim == 2
    )
    record = trainer.step()
    assert record.batch_size == 45
    assert record.penalty == pytest.approx(expected_penalty, rel=1e-6)
    momentum = config.replace(optimizer="momentum").build()[2].optimizer
    assert isinstance(momentum, torch.optim.SGD)
    assert momentum.param_groups[0]["momentum"] == 0.9


def test_own_data_builds_as_custom_and_is_checked() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 5)), rng.integers(0, 3, 40)
    own = from_arrays(X, y, test_fraction=0.25)
    config = PlaygroundConfig(dataset="custom")
    data, model, trainer = config.build(own)
    assert data is own and model.sizes == (5, 4, 2, 3) and trainer.loss.name == "cross_entropy"
    assert config.n_train is None and config.to_query() == ""
    with pytest.raises(TypeError, match=r"dataset='custom' needs data="):
        config.build()
    with pytest.raises(ValueError, match=r"data= is for dataset='custom'.*'circle'"):
        PlaygroundConfig().build(own)
    with pytest.raises(ValueError, match=r"batch_size=31 is more than the 30 training points"):
        config.replace(batch_size=31).build(own)
    regression = from_arrays(X, X[:, 0], task="regression")
    with pytest.raises(ValueError, match=r"loss='cross_entropy' needs class labels"):
        config.replace(loss="cross_entropy").build(regression)
    assert config.build(regression)[2].loss.name == "mse"
    config, [message] = PlaygroundConfig.from_query("dataset=custom")
    assert config == DEFAULT
    assert "dataset='custom' is not allowed" in message and "cannot come from a link" in message


def test_the_seed_seeds_data_and_weights() -> None:
    first, second = PlaygroundConfig(**SMALL).build(), PlaygroundConfig(**SMALL).build()
    other = PlaygroundConfig(seed=1, **SMALL).build()
    assert torch.equal(first[0].X_train, second[0].X_train)
    assert not torch.equal(first[0].X_train, other[0].X_train)
    assert all(map(torch.equal, weights_of(first[1]), weights_of(second[1])))
    assert not torch.equal(weights_of(first[1])[0], weights_of(other[1])[0])


# --------------------------------------------------------------------------- what a change costs
@pytest.mark.parametrize(
    ("changes", "level"),
    [
        ({}, "none"),
        ({"show_test": True}, "views"),
        ({"discretize": True, "show_test": True}, "views"),
        ({"lr": 0.1}, "live"),
        ({"lr": 0.1, "batch_size": 1}, "trainer"),
        ({"optimizer": "adam"}, "trainer"),
        ({"regularization": "l1", "reg_rate": 0.01}, "trainer"),
        ({"hidden": (8,)}, "model"),
        ({"activation": "relu"}, "model"),
        ({"loss": "squared_error"}, "model"),
        ({"noise": 0.1}, "data"),
        ({"seed": 1}, "data"),
        ({"features": ("x1",)}, "data"),
        ({"dataset": "xor", "lr": 0.1}, "data"),
    ],
)
def test_needs_reset_names_the_costliest_change(changes: dict, level: str) -> None:
    base = PlaygroundConfig(**SMALL)
    assert base.needs_reset(base.replace(**changes)) == level


def test_changes_below_a_level_keep_what_that_level_rebuilds() -> None:
    """Below "data" the generated data is identical; below "model" so are the initial weights;
    below "trainer" a live trainer can take it."""
    base = PlaygroundConfig(**SMALL)
    data, model, _ = base.build()
    values = {"noise": 0.1, "test_fraction": 0.5, "n_samples": 40, "features": ("x1",),
              "seed": 2, "dataset": "xor", "hidden": (3,), "activation": "relu",
              "loss": "squared_error", "batch_size": 5, "optimizer": "momentum",
              "regularization": "l1", "lr": 0.1, "show_test": True, "discretize": True}  # fmt: skip
    assert set(values) | {"reg_rate"} == set(FIELD_LEVELS)
    for name, value in values.items():
        other = base.replace(**{name: value})
        level = CHANGE_LEVELS.index(base.needs_reset(other))
        assert level == CHANGE_LEVELS.index(FIELD_LEVELS[name])
        other_data, other_model, _ = other.build()
        same_data = torch.equal(data.X_train, other_data.X_train) and torch.equal(
            data.y_train, other_data.y_train
        )
        assert same_data == (level < CHANGE_LEVELS.index("data")), name
        if level < CHANGE_LEVELS.index("model"):
            assert all(map(torch.equal, weights_of(model), weights_of(other_model))), name
    # "live": the running trainer takes the new learning rate in place.
    _, _, trainer = base.build()
    trainer.set_lr(base.replace(lr=0.1).lr)
    assert trainer.optimizer.param_groups[0]["lr"] == 0.1
