"""Tests for nnviz.playground.config.PlaygroundConfig: defaults, validation of every control
(strict and
lenient), dict and query round trips, build(), own data, needs_reset, and the exported script
run against the Trainer it stands for."""

from __future__ import annotations

import ast
import dataclasses
import json
import math
import shutil
import subprocess
import sys
from urllib.parse import parse_qs

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnviz import MLP, from_arrays, make_dataset
from nnviz.data.datasets import DATASETS, FEATURES
from nnviz.playground.config import (
    CHANGE_LEVELS,
    FIELD_LEVELS,
    MAX_QUERY,
    PLANE_SETS,
    PlaygroundConfig,
)

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


# --------------------------------------------------------------------------- validation
# (key, bad value in a query, bad value in a dict / the constructor)
BAD_VALUES = [
    ("dataset", "nope", "nope"),
    ("dataset", "custom", 3),
    ("noise", "0.6", 0.6),
    ("noise", "abc", "0.1"),
    ("noise", "nan", math.nan),
    ("test_fraction", "0.95", -0.1),
    ("n_samples", "5", 5),
    ("n_samples", "1e3", 500.0),
    ("n_samples", "100000", 100_000),
    ("batch_size", "0", 0),
    ("batch_size", "half", "half"),
    ("batch_size", "2.5", 2.5),
    ("hidden", "99", [99]),
    ("hidden", "8,x", "8,8"),
    ("hidden", "8,,8", [8, 0]),
    ("hidden", "1,1,1,1,1,1,1,1,1", [1] * 9),
    ("features", "x3", ["x3"]),
    ("features", "x1,x1", []),
    ("features", "x1;x2", "x1,x2"),
    ("activation", "softplus", "softplus"),
    ("lr", "abc", 0.0),
    ("lr", "11", 11),
    ("lr", "inf", math.inf),
    ("lr", "1e400", 10**400),
    ("lr", "__import__('os')", True),
    ("optimizer", "rmsprop", "rmsprop"),
    ("regularization", "l3", "l3"),
    ("reg_rate", "-1", -1),
    ("reg_rate", "11", 11.0),
    ("loss", "hinge", "hinge"),
    ("seed", "-1", -1),
    ("seed", "1.5", 1.5),
    ("seed", str(2**32), 2**32),
    ("show_test", "maybe", 1),
    ("discretize", "2", "true"),
]


BAD_IDS = [f"{key}={text[:20]}" for key, text, _ in BAD_VALUES]


def shown(value) -> str:
    """How a message quotes a value: its repr, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# The defaults as a query writes them, by hand.
DEFAULT_TEXT = {
    "dataset": "circle", "noise": "0.0", "test_fraction": "0.5", "n_samples": "500",
    "batch_size": "10", "hidden": "4,2", "features": "x1,x2", "activation": "tanh",
    "lr": "0.03", "optimizer": "sgd", "regularization": "none", "reg_rate": "0.0",
    "loss": "auto", "seed": "0", "show_test": "false", "discretize": "false",
}  # fmt: skip


def companions(key: str) -> dict:
    """Two valid settings other than `key`, to check that they survive a bad `key`."""
    return (
        {"lr": 0.1, "activation": "relu"}
        if key in ("seed", "show_test")
        else {
            "seed": 7,
            "show_test": True,
        }
    )


@pytest.mark.parametrize(("key", "text", "value"), BAD_VALUES, ids=BAD_IDS)
def test_a_bad_query_value_gets_a_message_and_the_default(key: str, text: str, value) -> None:
    others = companions(key)
    query = "&".join(f"{name}={str(v).lower()}" for name, v in others.items())
    config, messages = PlaygroundConfig.from_query(f"?{query}&{key}={text}")
    assert getattr(config, key) == getattr(DEFAULT, key)
    assert all(getattr(config, name) == v for name, v in others.items())  # the rest is kept
    assert len(messages) == 1
    assert messages[0].startswith(f"{key}={text!r} is not allowed; {key} takes ")
    assert messages[0].endswith(f"; using {key}={DEFAULT_TEXT[key]}")
    assert PlaygroundConfig.from_query(f"{key}={DEFAULT_TEXT[key]}") == (DEFAULT, [])


@pytest.mark.parametrize(("key", "text", "value"), BAD_VALUES, ids=BAD_IDS)
def test_a_bad_dict_value_gets_a_message_and_the_default(key: str, text: str, value) -> None:
    others = companions(key)
    config, messages = PlaygroundConfig.from_dict({key: value, **others})
    assert getattr(config, key) == getattr(DEFAULT, key)
    assert all(getattr(config, name) == v for name, v in others.items())
    assert len(messages) == 1
    assert messages[0].startswith(f"{key}={shown(value)} is not allowed; {key} takes ")


@pytest.mark.parametrize(("key", "text", "value"), BAD_VALUES, ids=BAD_IDS)
def test_the_constructor_raises_naming_key_value_and_what_is_allowed(
    key: str, text: str, value
) -> None:
    with pytest.raises((TypeError, ValueError)) as raised:
        PlaygroundConfig(**{key: value})
    lenient = PlaygroundConfig.from_dict({key: value})[1][0]
    assert lenient.startswith(str(raised.value) + "; using ")  # one text for both doors
    assert str(raised.value).startswith(f"{key}={shown(value)} is not allowed; {key} takes ")


# (query, the key that gives way, the safe value it gets, text its message must hold)
CONFLICTS = [
    ("dataset=digits&features=x1,sin(x1)", "features", ("x1", "x2"), "features=x1,sin(x1)"),
    ("dataset=random&noise=0.1", "noise", 0.0, "noise=0.1"),
    ("dataset=digits&n_samples=2000", "n_samples", 500, "n_samples=2000"),
    ("n_samples=40&test_fraction=0.01", "test_fraction", 0.5, "test_fraction=0.01"),
    ("n_samples=20&batch_size=11", "batch_size", 10, "batch_size=11 is more than the 10"),
    ("n_samples=20&test_fraction=0.9&batch_size=5", "batch_size", "full", "than the 2 "),
    ("dataset=plane&loss=cross_entropy", "loss", "auto", "loss=cross_entropy"),
    ("regularization=none&reg_rate=0.1", "reg_rate", 0.0, "reg_rate=0.1"),
]
STRICT = {  # the same settings as constructor arguments
    "dataset": str, "features": lambda text: text.split(","), "noise": float,
    "n_samples": int, "test_fraction": float, "batch_size": int, "loss": str,
    "regularization": str, "reg_rate": float,
}  # fmt: skip


@pytest.mark.parametrize(("query", "key", "safe", "text"), CONFLICTS)
def test_keys_that_contradict_each_other_give_way_in_order(
    query: str, key: str, safe, text: str
) -> None:
    config, messages = PlaygroundConfig.from_query(query)
    assert getattr(config, key) == safe
    assert len(messages) == 1 and text in messages[0]
    pairs = dict(part.split("=") for part in query.split("&"))
    for name, value in pairs.items():
        if name != key:  # the keys it depends on are kept
            alone, alone_messages = PlaygroundConfig.from_query(f"{name}={value}")
            assert alone_messages == [] and getattr(config, name) == getattr(alone, name)
    with pytest.raises(ValueError) as raised:
        PlaygroundConfig(**{name: STRICT[name](value) for name, value in pairs.items()})
    assert messages[0].startswith(str(raised.value) + "; using ")


def test_unknown_keys_are_reported_and_ignored() -> None:
    config, messages = PlaygroundConfig.from_query("learningRate=0.3&lr=0.3")
    assert config.lr == 0.3 and len(messages) == 1
    assert "'learningRate'" in messages[0] and "'0.3'" in messages[0] and "lr" in messages[0]
    config, messages = PlaygroundConfig.from_dict({"lr": 0.3, 7: "x"})
    assert config.lr == 0.3 and "unknown setting 7" in messages[0]
    config, messages = PlaygroundConfig.from_dict(["lr", 0.3])
    assert config == DEFAULT and "must be a dict" in messages[0]


def test_query_syntax_prefix_repeats_empty_values_and_encoding() -> None:
    expected = PlaygroundConfig(dataset="spiral", hidden=(8, 8), lr=0.1)
    for query in (
        "dataset=spiral&hidden=8,8&lr=0.1",
        "?dataset=spiral&hidden=8,8&lr=0.1",
        "http://host:8866/voila/render/playground.ipynb?dataset=spiral&hidden=8%2C8&lr=0.1",
        "dataset=xor&lr=0.3&dataset=spiral&hidden=8,8&lr=0.1",  # the last one wins
        "dataset=spiral&hidden=8,8&lr=0.1&noise=&seed=",  # empty: the default
        "dataset=%20Spiral%20&hidden=8,8&lr=0.1",
    ):
        assert PlaygroundConfig.from_query(query) == (expected, []), query
    # The last repeated value wins even when it is bad: then the key gets its default.
    config, messages = PlaygroundConfig.from_query("lr=0.1&lr=abc")
    assert config.lr == 0.03 and len(messages) == 1 and "'abc'" in messages[0]
    assert PlaygroundConfig.from_query("") == (DEFAULT, [])
    assert PlaygroundConfig.from_query("?") == (DEFAULT, [])
    assert PlaygroundConfig.from_query("hidden=none")[0].hidden == ()
    flags = PlaygroundConfig.from_query("show_test=true&discretize=1")[0]
    assert flags.show_test and flags.discretize
    assert not PlaygroundConfig.from_query("show_test=off")[0].show_test


def test_query_values_are_parsed_never_evaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec called on a query value")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    config, messages = PlaygroundConfig.from_query(
        "lr=0.1*2&n_samples=2**10&hidden=__import__('os').getpid()&dataset=circle'or'1"
    )
    assert config == DEFAULT and len(messages) == 4


def test_oversized_or_non_text_queries_are_refused_whole() -> None:
    config, messages = PlaygroundConfig.from_query("lr=0.1&" + "x" * MAX_QUERY)
    assert config == DEFAULT and f"at most {MAX_QUERY}" in messages[0]
    assert len(messages[0]) < 200  # the message does not echo the whole query
    config, messages = PlaygroundConfig.from_query(None)
    assert config == DEFAULT and "None" in messages[0]
    config, messages = PlaygroundConfig.from_query("&".join(f"k{n}=1" for n in range(100)))
    assert config == DEFAULT and "too many fields" in messages[0]
    config, messages = PlaygroundConfig.from_query("hidden=" + "8," * 300 + "8")
    assert config.hidden == (4, 2) and len(messages[0]) < 400


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_from_query_never_raises(text: str) -> None:
    config, messages = PlaygroundConfig.from_query(text)
    assert isinstance(config, PlaygroundConfig) and all(isinstance(m, str) for m in messages)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from([*dataclasses.asdict(DEFAULT), "x"]), JSON_VALUES))
def test_from_dict_never_raises(values: dict) -> None:
    config, messages = PlaygroundConfig.from_dict(values)
    assert isinstance(config, PlaygroundConfig)
    assert len(messages) <= len(values) + 7  # at most one per key, plus one per conflict


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
    """Below "data" the generated data is identical; below "model" so are the initial weights
    and the network's shape (architecture_key); below "trainer" a live trainer can take it."""
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
        assert (base.data_key() == other.data_key()) == same_data, name
        if level < CHANGE_LEVELS.index("model"):
            assert base.architecture_key() == other.architecture_key()
            assert all(map(torch.equal, weights_of(model), weights_of(other_model))), name
        elif name in ("hidden", "features", "dataset", "activation"):
            assert base.architecture_key() != other.architecture_key()
    # "live": the running trainer takes the new learning rate in place.
    _, _, trainer = base.build()
    trainer.set_lr(base.replace(lr=0.1).lr)
    assert trainer.optimizer.param_groups[0]["lr"] == 0.1


# --------------------------------------------------------------------------- to_code
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
