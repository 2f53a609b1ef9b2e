"""LossView: the cost C while training (batch, train, test), the penalty lambda*R, C_total and the
metric, against steps, epochs, examples seen or seconds.

Bounded: each curve keeps at most `max_points` points however long the run, as bucket means
(nnviz.views.buckets): the whole run stays covered from its first step, the noisy batch loss is
smoothed more the longer the run, and one refresh sends at most 2 * max_points float32 numbers
per curve."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from nnviz.core.checks import check_choice, check_int
from nnviz.core.records import RunnerUpdate
from nnviz.views.base import View, only_changed
from nnviz.views.buckets import BucketMeans
from nnviz.views.style import PALETTE

# x axis choice -> (column, axis title); "epochs" is fractional once an epoch has ended.
X_AXES = {
    "steps": ("step", "step"),
    "epochs": ("epoch", "epoch"),
    "examples": ("examples_seen", "examples seen"),
    "seconds": ("elapsed", "seconds of training"),
}
STEP_COLUMNS = ("step", "epoch", "examples_seen", "elapsed", "loss", "penalty", "total")
EVALUATION_COLUMNS = (
    *("step", "epoch", "examples_seen", "elapsed"),
    *("train_loss", "test_loss", "penalty", "train_metric", "test_metric"),
)
METRIC_NAMES = {"accuracy": "accuracy", "r2": "R²"}


class LossView(View):
    """C per batch, train and test C, lambda*R and C_total, and the metric below them."""

    def __init__(
        self, x_axis: str = "steps", log_y: bool = False, max_points: int = 500, height: int = 380
    ) -> None:
        super().__init__(height=height)
        self.max_points = check_int("max_points", max_points, minimum=10)
        self.steps = BucketMeans(STEP_COLUMNS, self.max_points)
        self.evaluations = BucketMeans(EVALUATION_COLUMNS, self.max_points)
        self._x_axis, self._log_y = "steps", False
        self._x_control = widgets.Dropdown(
            options=list(X_AXES), description="x axis", layout={"width": "180px"}
        )
        self._log_control = widgets.Checkbox(description="log C", indent=False)
        self._x_control.observe(lambda change: setattr(self, "x_axis", change["new"]), "value")
        self._log_control.observe(lambda change: setattr(self, "log_y", change["new"]), "value")
        self._widget = widgets.VBox(
            [widgets.HBox([self._x_control, self._log_control]), self.figure]
        )
        self._build()
        self.clear()
        self.x_axis, self.log_y = x_axis, log_y
        self.redraw()

    def _build(self) -> None:
        lines = [  # (name, colour, width, dash, metric row)
            ("C (batch)", PALETTE["batch"], 1, None, False),
            ("C_total (batch)", PALETTE["total"], 1, "dot", False),
            ("λ·R", PALETTE["penalty"], 1.5, None, False),
            ("train C", PALETTE["train"], 2, None, False),
            ("test C", PALETTE["test"], 2, None, False),
            ("train metric", PALETTE["train"], 2, None, True),
            ("test metric", PALETTE["test"], 2, None, True),
        ]
        # The metric curves' names are completed by the metric's name at each draw.
        self._names = [name.removesuffix(" metric") for name, *_ in lines]
        self._sent: dict = {}  # what draw last sent, by (trace index or None, key path)
        for name, colour, width, dash, metric in lines:
            self.figure.add_scatter(
                name=name,
                mode="lines",
                line={"color": colour, "width": width, "dash": dash},
                xaxis="x2" if metric else "x",
                yaxis="y2" if metric else "y",
            )
        self.figure.update_layout(
            showlegend=True,
            legend={"orientation": "h", "y": -0.22, "x": 0, "font": {"size": 10}},
            margin={"b": 60},
            xaxis={"anchor": "y", "matches": "x2", "showticklabels": False},
            # C >= 0: the axis starts at 0, so a falling loss never leaves it (a relayout each
            # time it did); on a log axis plotly ignores rangemode.
            yaxis={"domain": [0.4, 1.0], "title": {"text": "C"}, "rangemode": "tozero"},
            xaxis2={"anchor": "y2"},
            yaxis2={"domain": [0.0, 0.3]},
            hovermode="x",
        )

    # ------------------------------------------------------------------ controls
    @property
    def widget(self) -> widgets.Widget:
        """The x-axis and log controls above the figure."""
        return self._widget

    @property
    def x_axis(self) -> str:
        """What the x axis counts: one of X_AXES; setting it redraws."""
        return self._x_axis

    @x_axis.setter
    def x_axis(self, value: str) -> None:
        value = check_choice("x_axis", value, X_AXES)
        if value == self._x_axis and self._x_control.value == value:
            return  # the control echoing a change made here
        self._x_axis = value
        self._x_control.value = value
        self.redraw()

    @property
    def log_y(self) -> bool:
        """Whether the cost axis is logarithmic; setting it redraws."""
        return self._log_y

    @log_y.setter
    def log_y(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"log_y must be True or False; got {value!r}")
        value = bool(value)
        if value == self._log_y and self._log_control.value == value:
            return
        self._log_y = value
        self._log_control.value = value
        self.redraw()

    # ------------------------------------------------------------------ the view
    def clear(self) -> None:
        """Forget the run."""
        self.steps.clear()
        self.evaluations.clear()
        self._last_time: tuple[float, float] = (0.0, 0.0)  # (step, elapsed) of the newest row
        self._epoch_size = 0.0  # examples per epoch: exact once a row of epoch >= 1 was seen
        self._epoch_known = False
        self._metric, self._step = "", 0
        self._last_row: dict[str, float] = {}
        self._last_evaluation: dict[str, float] = {}

    def ingest(self, update: RunnerUpdate) -> None:
        """Keep the new history and evaluation rows, in buckets."""
        self._step = update.step
        if update.record is not None and update.record.evaluation is not None:
            self._metric = update.record.evaluation.metric
        steps, evaluations = update.history, update.evaluations
        if len(steps.get("step", ())):
            self._learn_epoch_size(steps)
            known_steps = np.concatenate([[self._last_time[0]], steps["step"]])
            known_times = np.concatenate([[self._last_time[1]], steps["elapsed"]])
            self._last_time = (float(steps["step"][-1]), float(steps["elapsed"][-1]))
            self.steps.extend(steps)
            self._last_row = {name: float(steps[name][-1]) for name in STEP_COLUMNS}
        else:
            known_steps, known_times = (
                np.array([self._last_time[0]]),
                np.array([self._last_time[1]]),
            )
        if len(evaluations.get("step", ())):
            self._learn_epoch_size(evaluations)
            # Evaluations carry no clock: they happened at their step's time.
            elapsed = np.interp(evaluations["step"], known_steps, known_times)
            self.evaluations.extend({**evaluations, "elapsed": elapsed})
            self._last_evaluation = {name: float(evaluations[name][-1]) for name in evaluations}

    def _learn_epoch_size(self, rows: dict[str, np.ndarray]) -> None:
        # A row of epoch e (epochs completed) has e*n < examples_seen <= (e+1)*n: the largest
        # examples_seen/(e+1) is n itself once the last row of some epoch has been seen.
        epochs = rows["epoch"]
        self._epoch_size = max(
            self._epoch_size, float(np.max(rows["examples_seen"] / (epochs + 1)))
        )
        self._epoch_known = self._epoch_known or bool(np.any(epochs >= 1))

    def _x(self, buffer: BucketMeans) -> np.ndarray:
        column, _ = X_AXES[self._x_axis]
        if column == "epoch" and self._epoch_known:  # fractional epochs: examples seen / n
            return (buffer["examples_seen"] / np.float32(self._epoch_size)).astype(np.float32)
        return buffer[column]

    def draw(self) -> None:
        """Send the bucketed curves, the axis settings and the current numbers, each only when it
        changed since the last draw (assign: no per-property validation)."""
        figure, steps, evaluations = self.figure, self.steps, self.evaluations
        step_x, evaluation_x = self._x(steps), self._x(evaluations)
        penalised = steps.size > 0 and bool(np.any(steps["penalty"] != 0))
        metric = METRIC_NAMES.get(self._metric, "metric")
        label = X_AXES[self._x_axis][1]
        series = [
            (step_x, steps, "loss", True),
            (step_x, steps, "total", penalised),
            (step_x, steps, "penalty", penalised),
            (evaluation_x, evaluations, "train_loss", True),
            (evaluation_x, evaluations, "test_loss", True),
            (evaluation_x, evaluations, "train_metric", True),
            (evaluation_x, evaluations, "test_metric", True),
        ]
        for index, (x, buffer, column, shown) in enumerate(series):
            name = self._names[index] if index < 5 else f"{self._names[index]} {metric}"
            values: dict = {
                "visible": shown,
                "name": name,
                "hovertemplate": f"{label} %{{x:.4g}}<br>{name} = %{{y:.4g}}<extra></extra>",
            }
            if shown:  # a hidden curve sends nothing
                values["x"], values["y"] = x, buffer[column]
            changed = only_changed(self._sent, values, index)
            if changed:
                figure.assign(index, changed)
        # Accuracy lies in [0, 1]: a fixed axis that a rising curve never leaves (each time it
        # left a self-ranging one, the page relayouted); R² can start far below 0.
        accuracy = self._metric == "accuracy"
        layout = {
            "yaxis.type": "log" if self._log_y else "linear",
            "yaxis2.title.text": metric,
            "yaxis2.range": [0, 1.05] if accuracy else None,
            "yaxis2.autorange": not accuracy,
            "xaxis2.title.text": label,
            "title.text": self._headline(metric),
        }
        changed = only_changed(self._sent, layout)
        if changed:
            figure.assign_layout(changed)

    def _headline(self, metric: str) -> str:
        parts = [f"step {self._step}"]
        if self._last_row:
            parts.append(f"C {self._last_row['loss']:.3g} (batch)")
        evaluation = self._last_evaluation
        if evaluation:
            parts.append(f"train C {evaluation['train_loss']:.3g}")
            if np.isfinite(evaluation["test_loss"]):
                parts.append(f"test C {evaluation['test_loss']:.3g}")
            if evaluation["penalty"]:
                total = evaluation["train_loss"] + evaluation["penalty"]
                parts.append(f"λ·R {evaluation['penalty']:.3g}, C_total {total:.3g}")
            parts.append(f"{metric} {evaluation['train_metric']:.3f}")
            if np.isfinite(evaluation["test_metric"]):
                parts[-1] += f" / {evaluation['test_metric']:.3f} test"
        elif self._last_row.get("penalty"):
            parts.append(f"λ·R {self._last_row['penalty']:.3g}")
            parts.append(f"C_total {self._last_row['total']:.3g} (batch)")
        return " · ".join(parts)
