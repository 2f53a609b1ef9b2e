"""Checking the Playground's settings: one check per field, query text parsed into values, and
the keys that contradict each other reconciled in a fixed order.

Every bad value gets one message, the same from both doors (the constructor raises it, from_dict
and from_query report it): "key=value is not allowed; allowed: what the key takes". Query values
are parsed with float()/int()/split, never evaluated: any visitor can send one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np

from nnviz.core.activations import ACTIVATIONS
from nnviz.core.checks import check_choice, check_int, check_number, check_widths
from nnviz.data.dataset import (
    DATASETS,
    DEFAULT_FEATURES,
    FEATURES,
    MAX_NOISE,
    MAX_TEST_FRACTION,
    PLANE_SETS,
    REGRESSION_SETS,
    check_features,
    split_sizes,
)
from nnviz.playground.options import (
    ALLOWED,
    CUSTOM,
    DIGITS_IMAGES,
    LOSS_CHOICES,
    MAX_HIDDEN_LAYERS,
    MAX_LR,
    MAX_NEURONS,
    MAX_REG_RATE,
    MAX_SAMPLES,
    MAX_SEED,
    MIN_LR,
    MIN_SAMPLES,
)
from nnviz.training.trainer import OPTIMIZERS, REGULARIZATIONS


def _flag(value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):  # never 0/1: a number here is a mistake
        raise TypeError
    return bool(value)


def _batch_size(value: Any) -> int | str:
    if value is None or (isinstance(value, str) and value.strip().lower() == "full"):
        return "full"
    return check_int("batch_size", value, minimum=1, maximum=MAX_SAMPLES)


def _features(value: Any) -> tuple[str, ...]:
    names = check_features("features", value)
    return tuple(name for name in FEATURES if name in names)  # a set: one canonical order


def _regularization(value: Any) -> str:
    return check_choice("regularization", "none" if value is None else value, REGULARIZATIONS)


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "dataset": partial(check_choice, "dataset", allowed=(*DATASETS, CUSTOM)),
    "noise": partial(check_number, "noise", minimum=0.0, maximum=MAX_NOISE),
    "test_fraction": partial(check_number, "test_fraction", minimum=0.0, maximum=MAX_TEST_FRACTION),
    "n_samples": partial(check_int, "n_samples", minimum=MIN_SAMPLES, maximum=MAX_SAMPLES),
    "batch_size": _batch_size,
    "hidden": partial(check_widths, "hidden", maximum=MAX_NEURONS, max_layers=MAX_HIDDEN_LAYERS),
    "features": _features,
    "activation": partial(check_choice, "activation", allowed=tuple(ACTIVATIONS)),
    "lr": partial(check_number, "lr", minimum=MIN_LR, maximum=MAX_LR),
    "optimizer": partial(check_choice, "optimizer", allowed=OPTIMIZERS),
    "regularization": _regularization,
    "reg_rate": partial(check_number, "reg_rate", minimum=0.0, maximum=MAX_REG_RATE),
    "loss": partial(check_choice, "loss", allowed=LOSS_CHOICES),
    "seed": partial(check_int, "seed", minimum=0, maximum=MAX_SEED),
    "show_test": _flag,
    "discretize": _flag,
}


def _parse_flag(text: str) -> bool | str:
    word = text.strip().lower()
    if word in ("true", "1", "yes", "on"):
        return True
    if word in ("false", "0", "no", "off"):
        return False
    return text  # anything else fails the check after


def _parse_hidden(text: str) -> tuple[int, ...]:
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


def shown(value: Any) -> str:
    """`value` as a message quotes it: its repr, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."  # a visitor may send megabytes


def query_text(name: str, value: Any) -> str:
    """A field's value as it is written in a query string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if name == "hidden":
        return ",".join(map(str, value)) if value else "none"
    if name == "features":
        return ",".join(value)
    return repr(value) if isinstance(value, float) else str(value)  # repr: exact round trip


def validate(name: str, value: Any, parse: bool = False) -> Any:
    """One field's value, checked and normalised; raises with the key, value and what is allowed.

    With `parse`, `value` is query text, parsed first; a link cannot name your own data."""
    try:
        if parse and name == "dataset" and value.strip().lower() == CUSTOM:
            raise ValueError  # a link cannot carry your own arrays
        return _CHECKS[name](_PARSERS.get(name, str)(value) if parse else value)
    except (TypeError, ValueError, OverflowError) as error:  # float(10**400) overflows
        allowed = ALLOWED[name]
        if parse and name == "dataset":
            allowed = f"one of {', '.join(DATASETS)} (your own data cannot come from a link)"
        kind = TypeError if isinstance(error, TypeError) else ValueError
        raise kind(f"{name}={shown(value)} is not allowed; allowed: {allowed}") from None


def reconcile(values: dict[str, Any], defaults: Mapping[str, Any], strict: bool) -> list[str]:
    """Check the keys that depend on each other, in order; fix (or raise on) each conflict.

    A fixed key gets its safe value, mostly its entry in `defaults`; one message each."""
    messages = []
    for name, problem, safe in _CONFLICTS:
        text = problem(values)
        if not text:
            continue
        if strict:
            raise ValueError(text)
        values[name] = safe(values, defaults)
        messages.append(f"{text}; using {name}={query_text(name, values[name])}")
    return messages


def _features_conflict(v: dict[str, Any]) -> str:
    if v["dataset"] in PLANE_SETS or v["features"] == DEFAULT_FEATURES:
        return ""
    return (
        f"features={query_text('features', v['features'])} only apply to the 2-D sets "
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
    n_train, n_test = split_sizes(v["n_samples"], v["test_fraction"])
    too_few = (v["test_fraction"] > 0 and n_test < 1) or n_train < 1
    if v["dataset"] == CUSTOM or not too_few:
        return ""
    return (
        f"test_fraction={v['test_fraction']!r} of n_samples={v['n_samples']} leaves "
        f"{n_test} test points; use 0 for no test set or a larger fraction"
    )


def _batch_conflict(v: dict[str, Any]) -> str:
    n_train = split_sizes(v["n_samples"], v["test_fraction"])[0]
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


def _default_batch(v: dict[str, Any], defaults: Mapping[str, Any]) -> int | str:
    n_train = split_sizes(v["n_samples"], v["test_fraction"])[0]
    return defaults["batch_size"] if defaults["batch_size"] <= n_train else "full"


def _default(name: str) -> Callable[[dict[str, Any], Mapping[str, Any]], Any]:
    return lambda values, defaults: defaults[name]


def _zero(values: dict[str, Any], defaults: Mapping[str, Any]) -> float:
    return 0.0


# (key that gives way, its conflict with the keys decided before it, its safe value): in this
# order, so each check reads keys that are already final.
_CONFLICTS = (
    ("features", _features_conflict, _default("features")),
    ("noise", _noise_conflict, _zero),
    ("n_samples", _samples_conflict, _default("n_samples")),
    ("test_fraction", _split_conflict, _default("test_fraction")),
    ("batch_size", _batch_conflict, _default_batch),
    ("loss", _loss_conflict, _default("loss")),
    ("reg_rate", _rate_conflict, _zero),
)
