"""What probing costs: a plain hand-written PyTorch loop, the Trainer alone, and the Trainer
with LayerProbe, with either engine, side by side in one run (ratios, not absolute times:
machines are noisy). Then the dashboard's case: a Runner with a LayerProbe, in steps per second.

Setting (the issue's): 2-8-8-1 tanh MLP, spiral data with 250 training points, batch 10, plain
SGD, 5,000 steps, one thread. Each variant runs in interleaved rounds; each is compared with the
plain loop of its own round, and the median ratio is reported.

    python benchmarks/overhead.py [--steps 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import nnviz

LEARNING_RATE, BATCH = 0.03, 10


def plain_loop(data: nnviz.Dataset, steps: int) -> float:
    """The loop a PyTorch user writes by hand: shuffle per epoch, index, forward, backward, step."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
        torch.nn.Linear(8, 1),
    )  # fmt: skip
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    loss_function = torch.nn.BCEWithLogitsLoss()
    inputs, targets = data.X_train, data.y_train.float().unsqueeze(1)
    losses, step, n = [], 0, len(inputs)
    started = time.perf_counter()
    while step < steps:
        order = torch.randperm(n)
        for start in range(0, n, BATCH):
            index = order[start : start + BATCH]
            loss = loss_function(model(inputs[index]), targets[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())  # a loss history, as the Trainer keeps
            step += 1
            if step == steps:
                break
    return time.perf_counter() - started


def trainer_run(
    data: nnviz.Dataset, steps: int, probe: nnviz.LayerProbe | None, engine: str = "autograd"
) -> float:
    """nnviz.Trainer on the same setting, with or without a probe."""
    model = nnviz.MLP([2, 8, 8, 1], activation="tanh", seed=0)
    trainer = nnviz.Trainer(model, data, lr=LEARNING_RATE, batch_size=BATCH, seed=0, engine=engine)
    started = time.perf_counter()
    trainer.fit(steps=steps, callbacks=[probe] if probe else [])
    return time.perf_counter() - started


def runner_run(data: nnviz.Dataset, steps: int, engine: str) -> float:
    """Runner(trainer, [LayerProbe()]) as a dashboard runs it: a thread, updates at 10 Hz."""
    model = nnviz.MLP([2, 8, 8, 1], activation="tanh", seed=0)
    trainer = nnviz.Trainer(model, data, lr=LEARNING_RATE, batch_size=BATCH, engine=engine)
    with nnviz.Runner(trainer, [nnviz.LayerProbe()], max_steps=steps, max_seconds=None) as runner:
        runner.subscribe(lambda update: update.probe)  # a subscriber, as views are
        started = time.perf_counter()
        runner.start()
        runner.wait()
        return time.perf_counter() - started


def main() -> None:
    """Run every variant in interleaved rounds and print medians and ratios to the plain loop."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    torch.set_num_threads(1)
    data = nnviz.make_dataset("spiral", n_samples=500, noise=0.0, test_fraction=0.5, seed=0)
    variants = {
        "plain PyTorch loop": lambda: plain_loop(data, options.steps),
        "Trainer, no callbacks": lambda: trainer_run(data, options.steps, None),
        "Trainer (numpy engine), no callbacks": lambda: trainer_run(
            data, options.steps, None, "numpy"
        ),
        "Trainer (numpy engine) + LayerProbe (every step)": lambda: trainer_run(
            data, options.steps, nnviz.LayerProbe(), "numpy"
        ),
        "Trainer + LayerProbe (every step)": lambda: trainer_run(
            data, options.steps, nnviz.LayerProbe()
        ),
        "Trainer + LayerProbe (every step, torch backend)": lambda: trainer_run(
            data, options.steps, nnviz.LayerProbe(backend="torch")
        ),
        "Trainer + LayerProbe (statistics only)": lambda: trainer_run(
            data, options.steps, nnviz.LayerProbe(arrays=False)
        ),
        "Trainer + LayerProbe (every=10)": lambda: trainer_run(
            data, options.steps, nnviz.LayerProbe(every=10)
        ),
    }
    for run in variants.values():  # warm-up: imports, allocator, first-call costs
        run()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(options.rounds):
        for name, run in variants.items():
            times[name].append(run())
    # This machine's speed drifts by tens of percent over minutes: each variant is compared
    # with the plain loop of the same round, and the median of those ratios is reported.
    baseline = times["plain PyTorch loop"]
    print(f"{options.steps} steps, 2-8-8-1 tanh, batch {BATCH}, 1 thread, {options.rounds} rounds")
    print(f"{'variant':50s} {'us/step':>8s} {'x plain: median (min-max of rounds)':>36s}")
    for name, samples in times.items():
        ratios = [sample / plain for sample, plain in zip(samples, baseline, strict=True)]
        per_step = statistics.median(samples) / options.steps * 1e6
        spread = f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
        print(f"{name:50s} {per_step:8.0f} {spread:>36s}")
    runners: dict[str, list[float]] = {"autograd": [], "numpy": []}
    for _ in range(options.rounds):  # interleaved again: each round's ratio is like for like
        for engine, samples in runners.items():
            samples.append(options.steps / runner_run(data, options.steps, engine))
    print(f"\nRunner(trainer, [LayerProbe()]), {options.steps} steps per round")
    for engine, samples in runners.items():
        rounds = ", ".join(f"{rate:.0f}" for rate in samples)
        print(f"{engine:10s} {statistics.median(samples):6.0f} steps/s median ({rounds})")
    ratios = [n / a for n, a in zip(runners["numpy"], runners["autograd"], strict=True)]
    print(f"numpy / autograd per round: median {statistics.median(ratios):.2f} "
          f"({min(ratios):.2f}-{max(ratios):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
