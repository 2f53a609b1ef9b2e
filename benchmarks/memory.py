"""Memory over a long run: the Trainer's history and LayerProbe's statistics are bounded, so
memory stays flat however many steps are taken.

Trains the 2-8-8-1 tanh net on spiral (batch 10) with LayerProbe on every step and prints, at
checkpoints up to 100,000 steps, the bytes held by the history tables and the Python heap
allocated since the start (tracemalloc), and what an unbounded history would need.

    python benchmarks/memory.py [--steps 100000]
"""

from __future__ import annotations

import argparse
import tracemalloc

import torch

import nnviz


def main() -> None:
    """Train in stretches, measuring memory after each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    options = parser.parse_args()
    torch.set_num_threads(1)
    data = nnviz.make_dataset("spiral", n_samples=500, noise=0.1, test_fraction=0.5, seed=0)
    trainer = nnviz.Trainer(nnviz.MLP([2, 8, 8, 1], "tanh", seed=0), data, lr=0.03, seed=0)
    probe = nnviz.LayerProbe()
    checkpoints = [options.steps // 10, options.steps // 2, options.steps]
    tracemalloc.start()
    trainer.fit(steps=1_000, callbacks=[probe])  # first allocations: buffers, tables, layouts
    baseline, _ = tracemalloc.get_traced_memory()
    print(f"{'steps':>8s} {'history rows kept':>18s} {'probe rows kept':>16s} {'heap growth':>12s}")
    done = 1_000
    for checkpoint in checkpoints:
        trainer.fit(steps=checkpoint - done, callbacks=[probe])
        done = checkpoint
        current, _ = tracemalloc.get_traced_memory()
        print(
            f"{done:8d} {len(trainer.history.steps):18d} {len(probe.history):16d} "
            f"{(current - baseline) / 2**20:10.2f} MB"
        )
    history_bytes = trainer.history.steps.nbytes + trainer.history.evaluations.nbytes
    statistics = probe.history.to_dict()
    row_bytes = sum(array[0].nbytes for array in statistics.values())
    print(f"history tables: {history_bytes / 2**20:.2f} MB, fixed at construction")
    print(
        f"an unbounded probe history would hold {done * row_bytes / 2**20:.0f} MB of decoded "
        f"statistics after {done} steps ({row_bytes} bytes per step)"
    )


if __name__ == "__main__":
    main()
