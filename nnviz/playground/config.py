"""PlaygroundConfig: the Playground's whole state as one frozen, validated, hashable value.

It round-trips through a dict (to_dict / from_dict, JSON-able) and a URL query string
(to_query / from_query), builds the run (build: data set, MLP, Trainer), tells what a change
costs (needs_reset) and writes the run out as a plain PyTorch script (to_code).

Units are the same in Python, the dict and the query: noise and test_fraction are fractions
(noise=0.25 is the TF Playground's 25 %), lr and reg_rate plain numbers, hidden "8,8" in a link.

Two doors. PlaygroundConfig(**values) and replace(**changes) raise ValueError/TypeError at the
first bad value. from_dict / from_query never raise: each bad key gets a message naming the key,
the value and what is allowed, and a safe value (its default, or one that fits the other keys);
every other valid key is kept. Query values are parsed with float()/int()/split, never evaluated:
any visitor can send one. Messages quote what the visitor sent: escape them before showing HTML.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import numpy as np

from nnviz.core.activations import ACTIVATIONS
from nnviz.core.model import MLP
from nnviz.data.datasets import DATASETS, FEATURES, Dataset, make_dataset
from nnviz.training.trainer import OPTIMIZERS, REGULARIZATIONS, Trainer

CUSTOM = "custom"  # "your own data": only through build(data=...), never in a link
LOSS_CHOICES = ("auto", "cross_entropy", "squared_error")  # auto: cross-entropy, or squares
LEARNING_RATES = (1e-05, 1e-04, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # TF's menu
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # TF's menu
MAX_HIDDEN_LAYERS, MAX_NEURONS = 8, 64  # TF offers 6 layers of 8; a bigger net still draws
MIN_SAMPLES, MAX_SAMPLES = 10, 5000  # more points than 5000 slow the live field down
MAX_SEED = 2**32 - 1
MAX_QUERY = 4096  # characters read from a query; a longer one is refused whole
PLANE_SETS = tuple(name for name in DATASETS if name not in ("random", "digits"))
REGRESSION_SETS = ("plane", "multi_gauss")
DIGITS_IMAGES = 1797  # scikit-learn's bundled 8x8 digits; known here so no import is needed
CHANGE_LEVELS = ("none", "views", "live", "trainer", "model", "data")  # cheapest first
# What changing each field costs. data: a new data set, network and trainer. model: a new MLP
# and Trainer on the same data. trainer: same network shape, fresh seeded weights and a new
# Trainer (optimizer state, batching and the penalty are fixed at construction; TF resets on
# these too). live: trainer.set_lr(config.lr) on the running trainer. views: views only.
FIELD_LEVELS = {
    "dataset": "data", "noise": "data", "test_fraction": "data", "n_samples": "data",
    "features": "data", "seed": "data", "hidden": "model", "activation": "model", "loss": "model",
    "batch_size": "trainer", "optimizer": "trainer", "regularization": "trainer",
    "reg_rate": "trainer", "lr": "live", "show_test": "views", "discretize": "views",
}  # fmt: skip
ALLOWED = {
    "dataset": f"one of {', '.join(DATASETS)}, or {CUSTOM} (your own data, via build(data=...))",
    "noise": "a number from 0 to 0.5 (a fraction: 0.5 is TF's 50 %; for digits the pixel noise)",
    "test_fraction": "a number from 0 (no test set) to 0.9",
    "n_samples": f"a whole number from {MIN_SAMPLES} to {MAX_SAMPLES}",
    "batch_size": "a whole number from 1 to the training set's size, or 'full' (full batch)",
    "hidden": f"0 to {MAX_HIDDEN_LAYERS} layers of 1 to {MAX_NEURONS} neurons, e.g. (8, 8); "
    "in a link 8,8, or none for no hidden layer",
    "features": f"distinct names from {', '.join(FEATURES)}; in a link x1,x2",
    "activation": f"one of {', '.join(ACTIVATIONS)}",
    "lr": "a number from 1e-05 to 10",
    "optimizer": f"one of {', '.join(OPTIMIZERS)}",
    "regularization": f"one of {', '.join(REGULARIZATIONS)}",
    "reg_rate": "a number from 0 to 10",
    "loss": f"one of {', '.join(LOSS_CHOICES)}",
    "seed": f"a whole number from 0 to {MAX_SEED}",
    "show_test": "true or false",
    "discretize": "true or false",
}


def _choice(allowed: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError
        if value.strip().lower() not in allowed:
            raise ValueError
        return value.strip().lower()

    return check


def _number(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, Real):
            raise TypeError
        if not low <= float(value) <= high:  # NaN fails every comparison, so it lands here
            raise ValueError
        return float(value)

    return check


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise TypeError
        if not low <= int(value) <= high:
            raise ValueError
        return int(value)

    return check


def _flag(value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):  # never 0/1: a number here is a mistake
        raise TypeError
    return bool(value)


def _batch_size(value: Any) -> int | str:
    if value is None or (isinstance(value, str) and value.strip().lower() == "full"):
        return "full"
    return _integer(1, MAX_SAMPLES)(value)


def _sequence(value: Any) -> tuple:
    if not isinstance(value, list | tuple):  # a bare string would split into letters
        raise TypeError
    return tuple(value)


def _hidden(value: Any) -> tuple[int, ...]:
    sizes = tuple(map(_integer(1, MAX_NEURONS), _sequence(value)))
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise ValueError
    return sizes


def _features(value: Any) -> tuple[str, ...]:
    names = _sequence(value)
    if not names or len(set(names)) != len(names) or not set(names) <= set(FEATURES):
        raise ValueError
    return tuple(name for name in FEATURES if name in names)  # a set: one canonical order


def _regularization(value: Any) -> str:
    return _choice(REGULARIZATIONS)("none" if value is None else value)


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "dataset": _choice((*DATASETS, CUSTOM)),
    "noise": _number(0.0, 0.5),
    "test_fraction": _number(0.0, 0.9),
    "n_samples": _integer(MIN_SAMPLES, MAX_SAMPLES),
    "batch_size": _batch_size,
    "hidden": _hidden,
    "features": _features,
    "activation": _choice(tuple(ACTIVATIONS)),
    "lr": _number(1e-05, 10.0),
    "optimizer": _choice(OPTIMIZERS),
    "regularization": _regularization,
    "reg_rate": _number(0.0, 10.0),
    "loss": _choice(LOSS_CHOICES),
    "seed": _integer(0, MAX_SEED),
    "show_test": _flag,
    "discretize": _flag,
}


def _parse_flag(text: str) -> bool:
    words = {"true": True, "1": True, "yes": True, "on": True}
    words.update({"false": False, "0": False, "no": False, "off": False})
    return words.get(text.strip().lower(), text)  # anything else fails the check after


def _parse_hidden(text: str) -> tuple[int, ...] | str:
    if text.strip().lower() == "none":
        return ()
    return tuple(int(part) for part in text.split(","))  # "8,x" raises ValueError


# Query text -> a Python value for _CHECKS; names and choices stay text. int()/float() only.
_PARSERS: dict[str, Callable[[str], Any]] = {
    "noise": float, "test_fraction": float, "lr": float, "reg_rate": float,
    "n_samples": int, "seed": int, "hidden": _parse_hidden,
    "batch_size": lambda text: text if text.strip().lower() == "full" else int(text),
    "features": lambda text: text.split(","), "show_test": _parse_flag, "discretize": _parse_flag,
}  # fmt: skip


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."  # a visitor may send megabytes


def _text(name: str, value: Any) -> str:
    """A field's value as it is written in a query string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if name == "hidden":
        return ",".join(map(str, value)) if value else "none"
    if name == "features":
        return ",".join(value)
    return repr(value) if isinstance(value, float) else str(value)  # repr: exact round trip


def _validate(name: str, value: Any, parse: bool = False) -> Any:
    """One field's value, checked and normalised; raises with the key, value and what is allowed."""
    try:
        if parse and name == "dataset" and value.strip().lower() == CUSTOM:
            raise ValueError  # a link cannot carry your own arrays
        return _CHECKS[name](_PARSERS.get(name, str)(value) if parse else value)
    except (TypeError, ValueError, OverflowError) as error:  # float(10**400) overflows
        allowed = ALLOWED[name]
        if parse and name == "dataset":
            allowed = f"one of {', '.join(DATASETS)} (your own data cannot come from a link)"
        kind = TypeError if isinstance(error, TypeError) else ValueError
        raise kind(f"{name}={_show(value)} is not allowed; {name} takes {allowed}") from None


def _split(n_samples: int, test_fraction: float) -> tuple[int, int]:
    n_test = round(n_samples * test_fraction)  # as make_dataset rounds
    return n_samples - n_test, n_test


def _reconcile(values: dict[str, Any], strict: bool) -> list[str]:
    """Check the keys that depend on each other, in order; fix (or raise on) each conflict."""
    messages = []
    for name, problem, safe in _CONFLICTS:
        text = problem(values)
        if not text:
            continue
        if strict:
            raise ValueError(text)
        values[name] = safe(values)
        messages.append(f"{text}; using {name}={_text(name, values[name])}")
    return messages


def _features_conflict(v: dict[str, Any]) -> str:
    if v["dataset"] in PLANE_SETS or v["features"] == _DEFAULTS["features"]:
        return ""
    return (
        f"features={_text('features', v['features'])} only apply to the 2-D sets "
        f"{', '.join(PLANE_SETS)}; dataset={v['dataset']} has inputs of its own"
    )


def _noise_conflict(v: dict[str, Any]) -> str:
    if v["dataset"] != "random" or v["noise"] == 0:
        return ""
    return f"noise={v['noise']!r} must be 0 for dataset=random (it is pure noise already)"


def _samples_conflict(v: dict[str, Any]) -> str:
    if v["dataset"] != "digits" or v["n_samples"] <= DIGITS_IMAGES:
        return ""
    return f"n_samples={v['n_samples']} is more than the {DIGITS_IMAGES} images of digits"


def _split_conflict(v: dict[str, Any]) -> str:
    n_train, n_test = _split(v["n_samples"], v["test_fraction"])
    too_few = (v["test_fraction"] > 0 and n_test < 1) or n_train < 1
    if v["dataset"] == CUSTOM or not too_few:
        return ""
    return (
        f"test_fraction={v['test_fraction']!r} of n_samples={v['n_samples']} leaves "
        f"{n_test} test points; use 0 for no test set or a larger fraction"
    )


def _batch_conflict(v: dict[str, Any]) -> str:
    n_train = _split(v["n_samples"], v["test_fraction"])[0]
    if v["dataset"] == CUSTOM or v["batch_size"] == "full" or v["batch_size"] <= n_train:
        return ""
    return (
        f"batch_size={v['batch_size']} is more than the {n_train} training points; "
        f"batch_size takes 1 to {n_train}, or 'full'"
    )


def _loss_conflict(v: dict[str, Any]) -> str:
    if v["dataset"] not in REGRESSION_SETS or v["loss"] != "cross_entropy":
        return ""
    return f"loss=cross_entropy needs class labels; dataset={v['dataset']} is a regression"


def _rate_conflict(v: dict[str, Any]) -> str:
    if v["regularization"] != "none" or v["reg_rate"] == 0:
        return ""
    return (
        f"reg_rate={v['reg_rate']!r} has no effect with regularization=none; "
        "choose l1 or l2, or set reg_rate=0"
    )


def _default_batch(v: dict[str, Any]) -> int | str:
    n_train = _split(v["n_samples"], v["test_fraction"])[0]
    return _DEFAULTS["batch_size"] if _DEFAULTS["batch_size"] <= n_train else "full"


def _default(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda values: _DEFAULTS[name]


# (key that gives way, its conflict with the keys decided before it, its safe value): in this
# order, so each check reads keys that are already final.
_CONFLICTS = (
    ("features", _features_conflict, _default("features")),
    ("noise", _noise_conflict, lambda values: 0.0),
    ("n_samples", _samples_conflict, _default("n_samples")),
    ("test_fraction", _split_conflict, _default("test_fraction")),
    ("batch_size", _batch_conflict, _default_batch),
    ("loss", _loss_conflict, _default("loss")),
    ("reg_rate", _rate_conflict, lambda values: 0.0),
)


@dataclass(frozen=True)
class PlaygroundConfig:
    """Every control of the Playground; see the module docstring and ALLOWED for the ranges."""

    dataset: str = "circle"  # one of DATASETS, or "custom" for build(data=...)
    noise: float = 0.0  # a fraction 0..0.5, as make_dataset takes it
    test_fraction: float = 0.5  # TF's "ratio of training to test data" 50 %
    n_samples: int = 500  # TF's 500 points
    batch_size: int | str = 10  # 1..n_train, or "full" for full-batch gradient descent
    hidden: tuple[int, ...] = (4, 2)  # neurons per hidden layer, TF's default network
    features: tuple[str, ...] = ("x1", "x2")  # the network's inputs, 2-D data sets only
    activation: str = "tanh"
    lr: float = 0.03
    optimizer: str = "sgd"
    regularization: str = "none"
    reg_rate: float = 0.0  # lambda; must be 0 while regularization is "none"
    loss: str = "auto"  # cross-entropy for classes, squared error for regression
    seed: int = 0  # seeds the data, the initial weights and the shuffling
    show_test: bool = False  # views only
    discretize: bool = False  # views only

    def __post_init__(self) -> None:
        values = {name: _validate(name, getattr(self, name)) for name in _DEFAULTS}
        _reconcile(values, strict=True)
        for name, value in values.items():  # normalised: tuples, floats, lower-case names
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ dict and query
    def replace(self, **changes: Any) -> PlaygroundConfig:
        """A copy with `changes` applied, validated like the constructor."""
        unknown = sorted(set(changes) - set(_DEFAULTS))
        if unknown:
            raise TypeError(f"unknown setting {unknown[0]!r}; known: {', '.join(_DEFAULTS)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Every field as a plain JSON-able value (lists for hidden and features)."""
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_dict(cls, values: Any) -> tuple[PlaygroundConfig, list[str]]:
        """A config from a dict, never raising: (config, messages about what was replaced)."""
        if not isinstance(values, Mapping):
            return cls(), [f"settings must be a dict; got {_show(values)}; using the defaults"]
        return cls._lenient(values.items(), parse=False)

    def to_query(self) -> str:
        """The fields that differ from the defaults, as a URL query string (no leading '?')."""
        pairs = [
            (name, _text(name, value))
            for name, value in dataclasses.asdict(self).items()
            if value != _DEFAULTS[name] and not (name == "dataset" and value == CUSTOM)
        ]
        return urlencode(pairs, quote_via=quote, safe=",()*")  # sin(x1) stays readable

    @classmethod
    def from_query(cls, query: Any) -> tuple[PlaygroundConfig, list[str]]:
        """A config from a query string ('?' optional), never raising: (config, messages)."""
        if not isinstance(query, str) or len(query) > MAX_QUERY:
            shown = f"{len(query)} characters" if isinstance(query, str) else _show(query)
            return cls(), [f"the query must be text of at most {MAX_QUERY} characters; got "
                           f"{shown}; using the defaults"]  # fmt: skip
        query = query.partition("?")[2] if "?" in query else query  # a literal '?' is the start
        try:
            pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=len(_DEFAULTS) * 4)
        except ValueError:
            return cls(), [f"the query has too many fields; got {_show(query)}; using the defaults"]
        # Repeated keys: the last one wins; an empty value means the default, silently.
        latest = {key: value for key, value in pairs}
        return cls._lenient(((k, v) for k, v in latest.items() if v.strip() != ""), parse=True)

    @classmethod
    def _lenient(cls, items: Any, parse: bool) -> tuple[PlaygroundConfig, list[str]]:
        values, messages = dict(_DEFAULTS), []
        for key, value in items:
            if key not in _DEFAULTS:
                messages.append(
                    f"unknown setting {_show(key)} (value {_show(value)}) ignored; "
                    f"known settings: {', '.join(_DEFAULTS)}"
                )
                continue
            try:
                values[key] = _validate(key, value, parse)
            except (TypeError, ValueError) as error:
                messages.append(f"{error}; using {key}={_text(key, _DEFAULTS[key])}")
        messages += _reconcile(values, strict=False)
        return cls(**values), messages

    # ------------------------------------------------------------------ what a change costs
    def changed(self, other: PlaygroundConfig) -> tuple[str, ...]:
        """Names of the fields whose values differ between self and `other`."""
        return tuple(name for name in _DEFAULTS if getattr(self, name) != getattr(other, name))

    def needs_reset(self, other: PlaygroundConfig) -> str:
        """The costliest CHANGE_LEVELS entry that going from self to `other` needs."""
        levels = [CHANGE_LEVELS.index(FIELD_LEVELS[name]) for name in self.changed(other)]
        return CHANGE_LEVELS[max(levels, default=0)]

    def data_key(self) -> tuple:
        """Equal for two configs exactly when they generate the same data set."""
        return tuple(getattr(self, name) for name in _DEFAULTS if FIELD_LEVELS[name] == "data")

    def architecture_key(self) -> tuple:
        """Equal when the network has the same layers, inputs, activation and output function."""
        return (self.dataset, self.features, self.hidden, self.activation, self.loss)

    @property
    def n_train(self) -> int | None:
        """Training points the generated data set will hold (None for custom data)."""
        return None if self.dataset == CUSTOM else _split(self.n_samples, self.test_fraction)[0]

    @property
    def n_test(self) -> int | None:
        """Test points the generated data set will hold (None for custom data)."""
        return None if self.dataset == CUSTOM else _split(self.n_samples, self.test_fraction)[1]

    # ------------------------------------------------------------------ building the run
    def make_data(self, data: Dataset | None = None) -> Dataset:
        """The seeded data set, or `data` (nnviz.from_arrays) when dataset is 'custom'."""
        if self.dataset == CUSTOM:
            if not isinstance(data, Dataset):
                raise TypeError(
                    f"dataset='custom' needs data=, an nnviz Dataset such as "
                    f"nnviz.from_arrays(X, y); got data={_show(data)}"
                )
            return data
        if data is not None:
            raise ValueError(
                f"data= is for dataset='custom'; this config has dataset={self.dataset!r}. "
                "Use config.replace(dataset='custom') for your own data"
            )
        return make_dataset(
            self.dataset,
            n_samples=self.n_samples,
            noise=self.noise,
            test_fraction=self.test_fraction,
            seed=self.seed,
            features=self.features,
        )

    def make_model(self, data: Dataset) -> MLP:
        """An MLP [inputs, *hidden, outputs]: 1 sigmoid output for 2 classes, K for K, k values."""
        sizes = [data.n_features, *self.hidden, data.n_outputs]
        return MLP(sizes, activation=self.activation, seed=self.seed)

    def loss_name(self, data: Dataset) -> str:
        """The nnviz loss this config trains `data` with (a key of nnviz.LOSSES)."""
        if self.loss == "squared_error" or (self.loss == "auto" and data.task == "regression"):
            return "mse"
        if data.task == "regression":
            raise ValueError(
                f"loss={self.loss!r} needs class labels; data set {data.name!r} is a regression "
                "and takes loss='squared_error' or 'auto'"
            )
        return "binary_cross_entropy" if data.n_outputs == 1 else "cross_entropy"

    def make_trainer(self, model: MLP, data: Dataset) -> Trainer:
        """A Trainer for `model` on `data` with this config's optimizer, penalty, loss and seed."""
        n_train = len(data.X_train)
        if self.batch_size != "full" and self.batch_size > n_train:
            raise ValueError(
                f"batch_size={self.batch_size} is more than the {n_train} training points of "
                f"{data.name!r}; batch_size takes 1 to {n_train}, or 'full'"
            )
        return Trainer(
            model,
            data,
            lr=self.lr,
            batch_size=None if self.batch_size == "full" else self.batch_size,
            optimizer=self.optimizer,
            regularization=self.regularization,
            reg_rate=self.reg_rate,
            loss=self.loss_name(data),
            seed=self.seed,
        )

    def build(self, data: Dataset | None = None) -> tuple[Dataset, MLP, Trainer]:
        """(data set, model, trainer) for this config; `data` only for dataset='custom'."""
        dataset = self.make_data(data)
        model = self.make_model(dataset)
        return dataset, model, self.make_trainer(model, dataset)

    def to_code(self, data: Dataset | None = None) -> str:
        """A self-contained PyTorch script (torch + numpy) that trains this configuration.

        For dataset='custom' pass `data` (for its task and output width); the script then
        leaves loading the arrays to you."""
        from nnviz.playground.export import script  # here: export imports this module

        return script(self, data)


_DEFAULTS: dict[str, Any] = {
    field.name: field.default for field in dataclasses.fields(PlaygroundConfig)
}
