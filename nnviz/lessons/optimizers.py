"""Lesson 06's experiments: plain gradient descent, momentum and Adam from one start.

    rule = make_rule("adam", eta=0.1)            # an update rule, written out in numpy
    w = rule.step(w, gradient)                   # one update of the weights w
    paths = optimizer_paths(data, rules)         # lesson 04's two-weight surface, one path each
    runs = compare_optimizers(data, settings)    # Trainers on a real network: C against updates

The rules are the lesson's equations in the seed's notation, one line of numpy each, for any
weight w_ij^l with gradient g = dC/dw_ij^l (every weight and bias has its own v, m and s):

    SGD       w <- w - eta g
    momentum  v <- mu v + g;  w <- w - eta v                          (v starts at 0)
    Adam      m <- beta1 m + (1 - beta1) g;  s <- beta2 s + (1 - beta2) g^2   (m, s start at 0)
              m_hat = m / (1 - beta1^t);  s_hat = s / (1 - beta2^t)    (t = 1, 2, ...: updates)
              w <- w - eta m_hat / (sqrt(s_hat) + epsilon)

They are torch.optim's SGD (momentum, no dampening) and Adam, which nnviz.Trainer uses; the tests
check every rule against torch.optim step by step. compare_optimizers trains nnviz Trainers, so
its numbers are the ones a Trainer made by hand with the same settings gives.

Records of plain numbers only (Surface, Chart, the small records below); nothing here imports
plotly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from nnviz.core.checks import check_choice, check_int, check_number, check_sequence
from nnviz.core.records import Chart, Series, Surface
from nnviz.lessons.gradient_descent import check_start, two_weight_cost
from nnviz.lessons.learning_rate import build_trainer
from nnviz.training.schedules import LearningRateSchedule
from nnviz.training.trainer import OPTIMIZERS

RULES = OPTIMIZERS  # "sgd", "momentum", "adam": the Trainer's names
NAMES = {"sgd": "SGD", "momentum": "momentum", "adam": "Adam"}
DIVERGED = 10.0  # a path whose C passes this many times its start has diverged: it stops there


# ------------------------------------------------------------------------------ the rules
@dataclass
class UpdateRule:
    """One optimizer: `step(w, g)` returns the updated weights, keeping the rule's state
    (velocity, moments, the update count t) between calls; `reset()` forgets it."""

    name: str
    eta: float
    mu: float = 0.9  # momentum: how much of the velocity v survives an update
    beta1: float = 0.9  # Adam: decay of the first moment m (a running mean of g)
    beta2: float = 0.999  # Adam: decay of the second moment s (a running mean of g^2)
    epsilon: float = 1e-8  # Adam: keeps the step finite where s_hat is 0
    t: int = 0  # updates made
    state: dict = field(default_factory=dict)  # v, or m and s: arrays shaped like w

    def __post_init__(self) -> None:
        self.name = check_choice("rule", self.name, RULES)
        self.eta = check_number("eta", self.eta, 0.0, strict_minimum=True)
        self.mu = check_number("mu", self.mu, minimum=0.0)
        if self.mu >= 1.0:
            raise ValueError(f"mu={self.mu:g} is out of range; allowed: >= 0 and < 1 (at 1 the "
                             "velocity never forgets a gradient)")  # fmt: skip
        for name in ("beta1", "beta2"):
            value = check_number(name, getattr(self, name), minimum=0.0)
            if value >= 1.0:
                raise ValueError(f"{name}={value:g} is out of range; allowed: >= 0 and < 1")
            setattr(self, name, value)
        self.epsilon = check_number("epsilon", self.epsilon, 0.0, strict_minimum=True)

    def reset(self) -> None:
        """Forget the velocity or moments: the next step is the first."""
        self.t = 0
        self.state = {}

    def step(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        """The weights after one update from `w` with gradient `g` = dC/dw (same shapes)."""
        w, g = np.asarray(w, dtype=np.float64), np.asarray(g, dtype=np.float64)
        if w.shape != g.shape:
            raise ValueError(f"the gradient must be shaped like the weights: got {g.shape} "
                             f"for weights {w.shape}")  # fmt: skip
        self.t += 1
        if self.name == "sgd":
            return w - self.eta * g
        if self.name == "momentum":
            v = self.mu * self.state.get("v", 0.0) + g
            self.state["v"] = v
            return w - self.eta * v
        m = self.beta1 * self.state.get("m", 0.0) + (1 - self.beta1) * g
        s = self.beta2 * self.state.get("s", 0.0) + (1 - self.beta2) * g * g
        self.state["m"], self.state["s"] = m, s
        m_hat = m / (1 - self.beta1**self.t)
        s_hat = s / (1 - self.beta2**self.t)
        return w - self.eta * m_hat / (np.sqrt(s_hat) + self.epsilon)

    @property
    def label(self) -> str:
        """The name with its settings, for legends: "momentum (eta 0.1, mu 0.9)"."""
        extra = f", mu {self.mu:g}" if self.name == "momentum" else ""
        return f"{NAMES[self.name]} (eta {self.eta:g}{extra})"


def make_rule(name: str, eta: float, **settings: float) -> UpdateRule:
    """The update rule `name` (sgd, momentum or adam) with learning rate eta; settings: mu,
    beta1, beta2, epsilon."""
    unknown = set(settings) - {"mu", "beta1", "beta2", "epsilon"}
    if unknown:
        raise TypeError(f"make_rule got unknown settings {sorted(unknown)}; "
                        "allowed: mu, beta1, beta2, epsilon")  # fmt: skip
    return UpdateRule(name, eta, **settings)  # type: ignore[arg-type]


# --------------------------------------------------------------------- on lesson 04's surface
@dataclass(frozen=True, slots=True)
class OptimizerPaths:
    """optimizer_paths's result: the Surface with one path per rule, and C along each path."""

    surface: Surface
    labels: tuple[str, ...]
    losses: tuple[np.ndarray, ...]  # C on the training set at each point of the path
    diverged: tuple[int | None, ...]  # the update after which C passed DIVERGED x its start

    def summary(self) -> str:
        """End point and C of every path, and the first update at which C fell below 1/100 of
        its start (- when it never did), or where it diverged, as text."""
        lines = []
        rows = zip(self.labels, self.surface.paths, self.losses, self.diverged, strict=True)
        for label, path, losses, diverged in rows:
            if diverged is not None:
                lines.append(f"{label:<30} diverged: C above {DIVERGED:g} x its start after "
                             f"{diverged} updates")  # fmt: skip
                continue
            below = np.flatnonzero(losses < losses[0] / 100)
            reached = str(below[0]) if below.size else "-"
            lines.append(
                f"{label:<30} end w = ({path.x[-1]:+.3f}, {path.y[-1]:+.3f})  "
                f"C {losses[0]:.2f} -> {losses[-1]:.4f}  C < C0/100 after {reached:>3}"
            )
        return "\n".join(lines)


def curvatures(data, stretch: float = 1.0) -> tuple[float, float]:
    """The curvatures k (smallest, largest) of lesson 04's two-weight surface on regression
    data, x_2 multiplied by `stretch`: the eigenvalues of the Hessian of C = mean (z - y)^2 / 2,
    which is the same everywhere, sum over examples of x x^T / n. Lesson 05: eta k < 2 for every
    k, so eta < 2 / k_max."""
    inputs, _, loss = two_weight_cost(data)
    if loss.name != "mse":
        raise ValueError(f"curvatures needs regression data (a squared-error surface, the same "
                         f"curvature everywhere); {data.name!r} is {data.task}")  # fmt: skip
    stretch = check_number("stretch", stretch, 0.0, strict_minimum=True)
    inputs = inputs * np.array([1.0, stretch])
    low, high = np.linalg.eigvalsh(inputs.T @ inputs / len(inputs))
    return float(low), float(high)


def optimizer_paths(
    data,
    rules: Sequence[UpdateRule],
    start: tuple[float, float] = (-3.0, 2.0),
    updates: int = 40,
    stretch: float = 1.0,
    resolution: int = 41,
) -> OptimizerPaths:
    """Lesson 04's model z = w_1 x_1 + w_2 (stretch x_2), full-batch gradients: `updates`
    steps of every rule from `start`, and the loss surface they walk on. `stretch` > 1 makes
    the surface `stretch`^2 times as curved along w_2 as it was: a ravine."""
    inputs, targets, loss = two_weight_cost(data)
    stretch = check_number("stretch", stretch, 0.0, strict_minimum=True)
    inputs = inputs * np.array([1.0, stretch])
    rules = check_sequence("rules", rules, "[make_rule('sgd', 0.1), make_rule('adam', 0.1)]")
    for k, rule in enumerate(rules):
        if not isinstance(rule, UpdateRule):
            raise TypeError(f"rules[{k}] must be an UpdateRule (make_rule); got {rule!r}")
    updates = check_int("updates", updates, minimum=1)
    resolution = check_int("resolution", resolution, minimum=3)
    first = check_start(start)
    numpy_cost, _ = loss.numpy_pair()

    def cost_and_gradient(weights: np.ndarray) -> tuple[float, np.ndarray]:
        cost, delta = numpy_cost(inputs @ weights[:, None], targets)
        return cost, (inputs.T @ delta)[:, 0]  # dC/dw_i = sum over examples of delta x_i

    paths, losses, diverged = [], [], []
    for rule in rules:
        rule.reset()
        points, costs, stopped = [first], [], None
        for update in range(1, updates + 1):
            cost, gradient = cost_and_gradient(points[-1])
            costs.append(cost)
            points.append(rule.step(points[-1], gradient))
            after = cost_and_gradient(points[-1])[0]
            if not np.isfinite(after) or after > DIVERGED * costs[0]:
                stopped = update  # the path ends here: its next points would leave any picture
                break
        costs.append(after)
        path = np.array(points)
        mode = "lines+markers" if len(path) <= 60 else "lines"
        paths.append(Series(rule.label, path[:, 0], path[:, 1], mode))
        losses.append(np.array(costs))
        diverged.append(stopped)
    ends = [series for series, stop in zip(paths, diverged, strict=True) if stop is None]
    # The picture holds every path that converged (all of them where none did) and the start.
    every = np.concatenate([(series.x, series.y) for series in ends or paths], axis=1)
    every = every[:, np.isfinite(every).all(axis=0)]
    margin = 0.15 * (every.max(axis=1) - every.min(axis=1)).max()
    low, high = every.min(axis=1) - margin, every.max(axis=1) + margin
    grid_x = np.linspace(low[0], high[0], resolution)
    grid_y = np.linspace(low[1], high[1], resolution)
    z = np.array([[cost_and_gradient(np.array([a, b]))[0] for a in grid_x] for b in grid_y])
    title = f"C(w₁, w₂): {updates} full-batch updates from the same start"
    surface = Surface(title, grid_x, grid_y, z, "w₁", "w₂", "C", tuple(paths), log_z=True)
    labels = tuple(rule.label for rule in rules)
    return OptimizerPaths(surface, labels, tuple(losses), tuple(diverged))


# ------------------------------------------------------------------------- on a real network
@dataclass(frozen=True, slots=True)
class OptimizerRun:
    """One optimizer's Trainer run: C over the training set, measured every eval_every updates."""

    label: str
    optimizer: str
    lr: float
    steps: np.ndarray  # updates made at each measurement: 0, eval_every, ...
    losses: np.ndarray  # C over the whole training set
    test_accuracy: float  # at the end (R^2 for regression)
    diverged: int | None


@dataclass(frozen=True, slots=True)
class OptimizerComparison:
    """compare_optimizers's result: one run per (optimizer, eta), same network, start and data."""

    runs: tuple[OptimizerRun, ...]

    def chart(self) -> Chart:
        """C on the training set against updates, one curve per optimizer."""
        series = tuple(Series(run.label, run.steps, run.losses) for run in self.runs)
        return Chart("C on the training set, same start", series, "updates",
                     "C on the training set")  # fmt: skip

    def table(self, target: float = 0.4) -> str:
        """Final C, test accuracy and the first measurement of C below `target`, per run."""
        target = check_number("target", target, 0.0, strict_minimum=True)
        lines = [f"{'optimizer':<38} {'C end':>8} {'test acc':>8}  C < {target:g} at update"]
        for run in self.runs:
            below = np.flatnonzero(run.losses < target)
            reached = str(int(run.steps[below[0]])) if below.size else "-"
            end = f"{run.losses[-1]:.3f}" if run.diverged is None else "diverged"
            lines.append(f"{run.label:<38} {end:>8} {run.test_accuracy:>8.3f}  {reached}")
        return "\n".join(lines)


def compare_optimizers(
    data,
    settings: Sequence[tuple],
    steps: int = 1000,
    hidden: Sequence[int] = (8, 8),
    activation: str = "tanh",
    batch_size: int | None = 10,
    momentum: float = 0.9,
    seed: int = 0,
    eval_every: int = 50,
) -> OptimizerComparison:
    """Train one identically seeded network per (optimizer, eta) in `settings` for `steps`
    updates (same data, initial weights and order of examples); a third item, a
    LearningRateSchedule, changes eta during that run (eta is then its peak)."""
    settings = check_sequence("settings", settings, "[('sgd', 0.1), ('adam', 0.01)]")
    steps = check_int("steps", steps, minimum=1)
    eval_every = check_int("eval_every", eval_every, minimum=1)
    runs = []
    for k, pair in enumerate(settings):
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) not in (2, 3):
            raise ValueError(f"settings[{k}] must be (optimizer, eta) or (optimizer, eta, "
                             f"LearningRateSchedule); got {pair!r}")  # fmt: skip
        name = check_choice(f"settings[{k}][0]", pair[0], RULES)
        lr = check_number(f"settings[{k}][1]", pair[1], 0.0, strict_minimum=True)
        schedule = pair[2] if len(pair) == 3 else None
        if schedule is not None and not isinstance(schedule, LearningRateSchedule):
            raise TypeError(f"settings[{k}][2] must be a LearningRateSchedule; got {schedule!r}")
        trainer = build_trainer(
            data, hidden, activation, seed, lr=lr, batch_size=batch_size, optimizer=name,
            momentum=momentum, eval_every=eval_every,
        )  # fmt: skip
        start = trainer.evaluate().train_loss
        trainer.fit(steps=steps, callbacks=() if schedule is None else (schedule,))
        evaluations = trainer.history.evaluations
        final = trainer.evaluate()
        label = make_rule(name, lr, mu=momentum).label
        if schedule is not None:
            label += f" + {schedule.name}"
        runs.append(
            OptimizerRun(
                label, name, lr,
                np.concatenate(([0], evaluations["step"].astype(int))),
                np.concatenate(([start], evaluations["train_loss"])),
                float(final.test_metric), trainer.diverged,
            )
        )  # fmt: skip
    return OptimizerComparison(tuple(runs))


def schedule_chart(schedules: Sequence[LearningRateSchedule], steps: int, lr: float) -> Chart:
    """eta against the update for each schedule, peak `lr`, over `steps` updates."""
    schedules = check_sequence("schedules", schedules, "[LearningRateSchedule('cosine', ...)]")
    steps = check_int("steps", steps, minimum=1)
    lr = check_number("lr", lr, 0.0, strict_minimum=True)
    t = np.arange(steps)
    series = []
    for k, schedule in enumerate(schedules):
        if not isinstance(schedule, LearningRateSchedule):
            raise TypeError(f"schedules[{k}] must be a LearningRateSchedule; got {schedule!r}")
        etas = np.array([schedule.lr_at(int(step), lr) for step in t])
        series.append(Series(schedule.name, t, etas))
    return Chart("learning-rate schedules", tuple(series), "update t", "eta_t")
