"""Tests for nnviz.playground.validation through both doors of PlaygroundConfig: every bad
value gets one message (raised or reported), conflicts give way in order, queries are parsed and
never evaluated."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnviz.playground.config import PlaygroundConfig
from nnviz.playground.options import MAX_QUERY

DEFAULT = PlaygroundConfig()


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
    assert messages[0].startswith(f"{key}={text!r} is not allowed; allowed: ")
    assert messages[0].endswith(f"; using {key}={DEFAULT_TEXT[key]}")
    assert PlaygroundConfig.from_query(f"{key}={DEFAULT_TEXT[key]}") == (DEFAULT, [])


@pytest.mark.parametrize(("key", "text", "value"), BAD_VALUES, ids=BAD_IDS)
def test_a_bad_dict_value_gets_a_message_and_the_default(key: str, text: str, value) -> None:
    others = companions(key)
    config, messages = PlaygroundConfig.from_dict({key: value, **others})
    assert getattr(config, key) == getattr(DEFAULT, key)
    assert all(getattr(config, name) == v for name, v in others.items())
    assert len(messages) == 1
    assert messages[0].startswith(f"{key}={shown(value)} is not allowed; allowed: ")


@pytest.mark.parametrize(("key", "text", "value"), BAD_VALUES, ids=BAD_IDS)
def test_the_constructor_raises_naming_key_value_and_what_is_allowed(
    key: str, text: str, value
) -> None:
    with pytest.raises((TypeError, ValueError)) as raised:
        PlaygroundConfig(**{key: value})
    lenient = PlaygroundConfig.from_dict({key: value})[1][0]
    assert lenient.startswith(str(raised.value) + "; using ")  # one text for both doors
    assert str(raised.value).startswith(f"{key}={shown(value)} is not allowed; allowed: ")


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
