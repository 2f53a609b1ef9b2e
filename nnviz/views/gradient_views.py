"""Lesson 03 as text: the numbers of a Backprop record
(nnviz.lessons.records, from nnviz.lessons.backpropagation.backprop_by_hand)
written layer by layer, rounded so that a notebook's stored output is the same on every platform.

    print(backprop_table(record, "forward"))    # z^l and a^l, l = 1 .. L
    print(backprop_table(record, "backward"))   # dC/da, sigma'(z), delta, dC/dw, dC/db, l = L .. 1
    print(agreement_table(record))              # by hand vs autograd and finite differences

Text, not a figure: a student reads the equations' numbers next to each other. No torch in here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nnviz.core.checks import check_choice, check_int, check_number

if TYPE_CHECKING:  # the table only reads the record's arrays
    from nnviz.lessons.records import Backprop

PARTS = ("forward", "backward", "all")


def number(value: float, decimals: int = 4) -> str:
    """`value` with a sign and `decimals` places; zero is written "+0.0000", never "-0.0000"."""
    text = f"{value:+.{decimals}f}"
    return text.replace("-", "+") if float(text) == 0 else text


def _rows(name: str, values: np.ndarray | None, decimals: int) -> list[str]:
    """One line per example (row of `values`); none when the quantity does not exist."""
    if values is None:
        return []
    return [
        f"  {name:<12} x{example + 1}: {' '.join(number(v, decimals) for v in row)}"
        for example, row in enumerate(values)
    ]


def _matrix(name: str, values: np.ndarray, decimals: int) -> list[str]:
    """One line per row i of `values`, labelled `name` with {i} filled in (1-based)."""
    return [
        f"  {name.format(i=i + 1):<12}   : {' '.join(number(v, decimals) for v in row)}"
        for i, row in enumerate(values)
    ]


def backprop_table(record: Backprop, part: str = "all", decimals: int = 4) -> str:
    """The forward pass (l = 1..L) and/or the backward pass (l = L..1) of `record` as text."""
    part = check_choice("part", part, PARTS)
    decimals = check_int("decimals", decimals, minimum=1, maximum=12)
    lines = []
    if part in ("forward", "all"):
        lines.append(f"forward pass (hidden sigma = {record.activation})")
        lines += _rows("a^0 = x", record.layers[0].a_prev, decimals)
        for layer in record.layers:
            lines.append(f"layer l = {layer.index}")
            # Row j = the weights into neuron j (W^l[j, i] = w_ij^l, as lesson 02 prints W^l).
            lines += _matrix("w_i{i}^l", layer.weight, decimals)
            lines += _matrix("b_j^l", layer.bias[None], decimals)
            lines += _rows("z^l", layer.z, decimals) + _rows("a^l", layer.a, decimals)
        lines.append(f"C = {number(record.cost, decimals)}  ({record.loss})")
    if part in ("backward", "all"):
        lines.append("backward pass, from the output layer back")
        for layer in reversed(record.layers):
            lines.append(f"layer l = {layer.index}")
            lines += _rows("dC/da^l", layer.cost_gradient, decimals)
            lines += _rows("sigma'(z^l)", layer.sigma_prime, decimals)
            lines += _rows("delta^l", layer.delta, decimals)
            lines += _matrix("dC/dw_i{i}^l", layer.grad_weight, decimals)
            lines += _matrix("dC/db_j^l", layer.grad_bias[None], decimals)
    return "\n".join(lines)


def agreement_table(
    record: Backprop, autograd_tolerance: float = 1e-12, numeric_tolerance: float = 1e-8
) -> str:
    """Per layer, whether by-hand gradients match autograd's and the finite differences within
    the tolerances: booleans, so the text is the same on every platform."""
    autograd_tolerance = check_number(
        "autograd_tolerance", autograd_tolerance, minimum=0.0, strict_minimum=True
    )
    numeric_tolerance = check_number(
        "numeric_tolerance", numeric_tolerance, minimum=0.0, strict_minimum=True
    )
    lines = []
    for layer in record.layers:
        by_autograd = layer.difference("autograd") < autograd_tolerance
        by_numeric = layer.difference("numeric") < numeric_tolerance
        lines.append(
            f"layer l = {layer.index}: max |by hand - autograd| < {autograd_tolerance:.0e}: "
            f"{by_autograd}   max |by hand - finite differences| < {numeric_tolerance:.0e}: "
            f"{by_numeric}"
        )
    return "\n".join(lines)
