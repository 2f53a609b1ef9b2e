"""Live dashboard benchmark: does training keep its speed with every view attached, and how many
bytes does a refresh cost?

Setting: TF Playground's spiral, 2 -> 8 -> 8 -> 1 tanh, batch 10, 250 training points, lr 0.03
(TF Playground itself trains 37 epochs/s on this machine; the target is >= 110 epochs/s while
every view refreshes >= 10 times a second). Rounds interleave the variants, and each round
reports steps/s relative to the runner alone in that round, because these 2-core machines drift
by tens of percent within minutes.

    runner alone      Runner(trainer), no callbacks, no subscribers
    runner + probes   LayerProbe (every 10 steps, as the Playground) + FieldProbe, no subscribers
    Playground        the whole dashboard: probes and the five views, default refresh

Bytes: every widget message is measured as the kernel would send it (JSON + binary buffers),
per view per refresh, and the Playground's initial widget state (what a page loads over the
websocket before the first render; the front end and plotly.js are cached static files,
reported apart).

Run: python benchmarks/live.py [--seconds 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict

import ipywidgets as widgets
import torch
from ipywidgets.widgets.widget import _remove_buffers

import nnviz
from nnviz.playground.config import PlaygroundConfig
from nnviz.views.assets import ASSETS, STATIC

SETTING = {"dataset": "spiral", "hidden": (8, 8), "activation": "tanh", "batch_size": 10,
           "n_samples": 500, "test_fraction": 0.5, "lr": 0.03}  # fmt: skip
SENT: dict[int, int] = defaultdict(int)  # id(widget) -> bytes sent since the last reset
_send = widgets.Widget._send


def _measured_send(self, msg, buffers=None):
    SENT[id(self)] += len(json.dumps(msg, default=str)) + sum(len(b) for b in buffers or ())
    return _send(self, msg, buffers)


def state_bytes(widget: widgets.Widget) -> int:
    """Bytes of one widget's full state, as a page loading it receives them."""
    state, _paths, buffers = _remove_buffers(widget.get_state())
    return len(json.dumps(state, default=str)) + sum(len(b) for b in buffers)


def descendants(widget: widgets.Widget) -> list[widgets.Widget]:
    """`widget` and every widget inside it (a view's figure, its controls and text panels)."""
    children = getattr(widget, "children", ())
    return [widget, *(w for child in children for w in descendants(child))]


def timed(runner: nnviz.Runner, seconds: float) -> float:
    """Steps per second of `runner` over `seconds` of free running."""
    start_step, start = runner.step, time.perf_counter()
    runner.start()
    time.sleep(seconds)
    runner.pause(timeout=2)
    return (runner.step - start_step) / (time.perf_counter() - start)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    widgets.Widget._send = _measured_send
    config = PlaygroundConfig(**SETTING)

    before = set(widgets.widget._instances)
    # No speed limit: this measures what the views cost the kernel, not the Playground's cap.
    playground = nnviz.Playground(config, max_epochs_per_second=None)
    created = [w for key, w in widgets.widget._instances.items() if key not in before]
    initial = sum(state_bytes(w) for w in created)
    assets = sum((STATIC / name).stat().st_size for name in ASSETS.values())
    steps_per_epoch = playground.runner.trainer.steps_per_epoch

    rows = defaultdict(list)
    rates = defaultdict(list)
    per_refresh = defaultdict(list)
    for _ in range(arguments.rounds):
        _data, _model, trainer = config.build()
        alone = timed(nnviz.Runner(trainer), arguments.seconds)
        _data, _model, trainer = config.build()
        probes = [nnviz.LayerProbe(every=playground.probe_every), nnviz.FieldProbe()]
        with_probes = timed(nnviz.Runner(trainer, probes), arguments.seconds)

        playground.runner.reset()
        SENT.clear()
        draws = {name: view.draws for name, view in playground.views.items()}
        started = time.perf_counter()
        dashboard = timed(playground.runner, arguments.seconds)
        elapsed = time.perf_counter() - started
        for name, view in playground.views.items():
            count = view.draws - draws[name]
            rates[name].append(count / elapsed)
            sent = sum(SENT[id(w)] for w in descendants(view.widget))
            per_refresh[name].append(sent / max(count, 1))
        rows["runner alone"].append((alone, 1.0))
        rows["runner + probes"].append((with_probes, with_probes / alone))
        rows["Playground (all views)"].append((dashboard, dashboard / alone))
    playground.close()

    print(f"spiral 8,8 tanh, batch 10, {steps_per_epoch} steps/epoch, engine "
          f"{getattr(trainer, 'engine', 'autograd')}, {arguments.rounds} rounds x "
          f"{arguments.seconds:g} s; median (range)")  # fmt: skip
    print(f"{'variant':<24}{'steps/s':>18}{'epochs/s':>10}{'ratio to alone':>22}")
    for name, values in rows.items():
        speeds, ratios = [v[0] for v in values], [v[1] for v in values]
        print(
            f"{name:<24}{statistics.median(speeds):>9.0f} ({min(speeds):.0f}-{max(speeds):.0f})"
            f"{statistics.median(speeds) / steps_per_epoch:>10.1f}"
            f"{statistics.median(ratios):>10.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
        )
    print("\nview refreshes while training, and bytes sent per refresh")
    for name in rates:
        print(f"  {name:<10}{statistics.median(rates[name]):>6.1f} refreshes/s"
              f"{statistics.median(per_refresh[name]) / 1e3:>9.1f} KB/refresh")  # fmt: skip
    print(f"\nPlayground initial widget state: {initial / 1e3:.0f} KB; the front end and "
          f"plotly.js come as cached static files: {assets / 1e6:.2f} MB before gzip")  # fmt: skip


if __name__ == "__main__":
    main()
