"""PlaygroundConfig: the Playground's whole state as one frozen, validated, hashable value.

It round-trips through a dict (to_dict / from_dict, JSON-able) and a URL query string
(to_query / from_query), builds the run (build: data set, MLP, Trainer), tells what a change
costs (needs_reset) and writes the run out as a plain PyTorch script (to_code).

Units are the same in Python, the dict and the query: noise and test_fraction are fractions
(noise=0.25 is the TF Playground's 25 %), lr and reg_rate plain numbers, hidden "8,8" in a link.

Two doors. PlaygroundConfig(**values) and replace(**changes) raise ValueError/TypeError at the
first bad value. from_dict / from_query never raise: each bad key gets a message naming the key,
the value and what is allowed, and a safe value (its default, or one that fits the other keys);
every other valid key is kept. The checks live in validation.py, the menus and limits in
options.py. Messages quote what the visitor sent: escape them before showing HTML.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from nnviz.core.model import MLP
from nnviz.data.dataset import Dataset, make_dataset, split_sizes
from nnviz.playground.export import script
from nnviz.playground.options import (
    CHANGE_LEVELS,
    CUSTOM,
    FIELD_LEVELS,
    MAX_QUERY,
    loss_for,
)
from nnviz.playground.validation import query_text, reconcile, shown, validate
from nnviz.training.trainer import Trainer


# PlaygroundConfig, and the menus that nnviz.dashboard.controls and the lessons read from here.
@dataclass(frozen=True)
class PlaygroundConfig:
    """Every control of the Playground; options.ALLOWED says what each one takes."""

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
        values = {name: validate(name, getattr(self, name)) for name in _DEFAULTS}
        reconcile(values, _DEFAULTS, strict=True)
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
            return cls(), [f"settings must be a dict; got {shown(values)}; using the defaults"]
        return cls._lenient(values.items(), parse=False)

    def to_query(self) -> str:
        """The fields that differ from the defaults, as a URL query string (no leading '?')."""
        pairs = [
            (name, query_text(name, value))
            for name, value in dataclasses.asdict(self).items()
            if value != _DEFAULTS[name] and not (name == "dataset" and value == CUSTOM)
        ]
        return urlencode(pairs, quote_via=quote, safe=",()*")  # sin(x1) stays readable

    @classmethod
    def from_query(cls, query: Any) -> tuple[PlaygroundConfig, list[str]]:
        """A config from a query string ('?' optional), never raising: (config, messages)."""
        if not isinstance(query, str) or len(query) > MAX_QUERY:
            got = f"{len(query)} characters" if isinstance(query, str) else shown(query)
            return cls(), [f"the query must be text of at most {MAX_QUERY} characters; got "
                           f"{got}; using the defaults"]  # fmt: skip
        query = query.partition("?")[2] if "?" in query else query  # a literal '?' is the start
        try:
            pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=len(_DEFAULTS) * 4)
        except ValueError:
            return cls(), [f"the query has too many fields; got {shown(query)}; using the defaults"]
        # Repeated keys: the last one wins; an empty value means the default, silently.
        latest = {key: value for key, value in pairs}
        return cls._lenient(((k, v) for k, v in latest.items() if v.strip() != ""), parse=True)

    @classmethod
    def _lenient(cls, items: Any, parse: bool) -> tuple[PlaygroundConfig, list[str]]:
        values, messages = dict(_DEFAULTS), []
        for key, value in items:
            if key not in _DEFAULTS:
                messages.append(
                    f"unknown setting {shown(key)} (value {shown(value)}) ignored; "
                    f"known settings: {', '.join(_DEFAULTS)}"
                )
                continue
            try:
                values[key] = validate(key, value, parse)
            except (TypeError, ValueError) as error:
                messages.append(f"{error}; using {key}={query_text(key, _DEFAULTS[key])}")
        messages += reconcile(values, _DEFAULTS, strict=False)
        return cls(**values), messages

    # ------------------------------------------------------------------ what a change costs
    def changed(self, other: PlaygroundConfig) -> tuple[str, ...]:
        """Names of the fields whose values differ between self and `other`."""
        return tuple(name for name in _DEFAULTS if getattr(self, name) != getattr(other, name))

    def needs_reset(self, other: PlaygroundConfig) -> str:
        """The costliest CHANGE_LEVELS entry that going from self to `other` needs."""
        levels = [CHANGE_LEVELS.index(FIELD_LEVELS[name]) for name in self.changed(other)]
        return CHANGE_LEVELS[max(levels, default=0)]

    @property
    def n_train(self) -> int | None:
        """Training points the generated data set will hold (None for custom data)."""
        return (
            None if self.dataset == CUSTOM else split_sizes(self.n_samples, self.test_fraction)[0]
        )

    @property
    def n_test(self) -> int | None:
        """Test points the generated data set will hold (None for custom data)."""
        return (
            None if self.dataset == CUSTOM else split_sizes(self.n_samples, self.test_fraction)[1]
        )

    # ------------------------------------------------------------------ building the run
    def make_data(self, data: Dataset | None = None) -> Dataset:
        """The seeded data set, or `data` (nnviz.from_arrays) when dataset is 'custom'."""
        if self.dataset == CUSTOM:
            if not isinstance(data, Dataset):
                raise TypeError(
                    f"dataset='custom' needs data=, an nnviz Dataset such as "
                    f"nnviz.from_arrays(X, y); got data={shown(data)}"
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
        return loss_for(self.loss, data.task, data.n_outputs, data.name)

    def make_trainer(self, model: MLP, data: Dataset) -> Trainer:
        """A Trainer for `model` on `data` with this config's optimizer, penalty, loss and seed."""
        n_train = len(data.X_train)
        batch_size = self.batch_size if isinstance(self.batch_size, int) else None  # None: full
        if batch_size is not None and batch_size > n_train:
            raise ValueError(
                f"batch_size={self.batch_size} is more than the {n_train} training points of "
                f"{data.name!r}; batch_size takes 1 to {n_train}, or 'full'"
            )
        return Trainer(
            model,
            data,
            lr=self.lr,
            batch_size=batch_size,
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
        return script(self, data, defaults=PlaygroundConfig())


_DEFAULTS: dict[str, Any] = {
    field.name: field.default for field in dataclasses.fields(PlaygroundConfig)
}
