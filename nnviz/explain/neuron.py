"""explain_neuron: the seed's three equations for one neuron, filled in with a probe's numbers.

    forward   a_j^l = sigma(sum_i w_ij^l a_i^(l-1) + b_j^l)
    backward  delta_j^l = dC/da_j^l * sigma'(z_j^l),  dC/da_j^l = sum_k w_jk^(l+1) delta_k^(l+1)
    gradient  dC/dw_ij^l = delta_j^l a_i^(l-1),  dC/db_j^l = delta_j^l

Everything is recomputed in numpy from the record (no torch), so the printed numbers are checked
against what the probe recorded; a mismatch is written out rather than hidden.
"""

from __future__ import annotations

import numpy as np

from nnviz.core import numpy_forms
from nnviz.core.checks import check_choice, check_int
from nnviz.core.records import LayerRecord, ProbeRecord
from nnviz.explain.forward import check_example, forward_lines, present, resolve_record
from nnviz.explain.writer import FORMATS, MAX_TERMS, Sections, Writer, agrees, index_pair, render

# sigma'(z) as written on a = sigma(z) (and z for relu); its value is numpy_forms.DERIVATIVES's.
DERIVATIVE_FORMULAS = {
    "tanh": "1 - ({a})^2",
    "sigmoid": "{a}(1 - {a})",
    "relu": "[{z} > 0]",
    "linear": "1",
}
OUTPUTS = {  # the output layer's function -> the loss it is paired with (nnviz.core.losses)
    "sigmoid": "binary cross-entropy",
    "softmax": "cross-entropy",
    "identity": "half squared error",
}


def explain_neuron(
    record: object, layer: int, neuron: int, example: int = 0, format: str = "text"
) -> str:
    """The forward, delta and gradient equations of neuron j of layer l with the current numbers."""
    format = check_choice("format", format, FORMATS)
    probed = resolve_record(record)
    l = check_int("layer", layer, minimum=1, maximum=len(probed.layers))
    width = present(probed.layers[l - 1].a, "a").shape[1]
    j = check_int("neuron", neuron, minimum=1, maximum=width)
    index = check_example(probed, example)
    return render(_sections(Writer(format != "text"), probed, l, j, index), format)


def _sections(writer: Writer, record: ProbeRecord, l: int, j: int, example: int) -> Sections:
    this = record.layers[l - 1]
    z, a, delta = (
        float(present(values, name)[example, j - 1])
        for values, name in ((this.z, "z"), (this.a, "a"), (this.delta, "delta"))
    )
    batch = present(this.a, "a").shape[0]
    role = "output" if l == len(record.layers) else "hidden"
    title = (
        f"Layer l = {l} ({role}, {this.activation}), neuron j = {j}: example {example} of the "
        f"mini-batch of step {record.step} (n = {batch})"
    )
    gap = r",\quad " if writer.latex else ",  "
    symbols = (writer.sym("a", j, l), writer.sym("z", j, l), writer.sym(writer.delta, j, l))
    summary = gap.join(
        f"{s} = {writer.num(v)}" for s, v in zip(symbols, (a, z, delta), strict=True)
    )
    one_example, batch_sum = _gradient_lines(writer, this, l, j, example)
    return [
        (title, [summary]),
        ("Forward", forward_lines(writer, this, l, j, example)),
        ("Backward", _backward_lines(writer, record, l, j, example)),
        (f"Gradients from example {example}", one_example),
        (
            f"Gradients of the mini-batch (delta carries the 1/n, so the sum over its {batch} "
            "examples)",
            batch_sum,
        ),
    ]


def _backward_lines(writer: Writer, record: ProbeRecord, l: int, j: int, example: int) -> list[str]:
    """delta_j^l from the next layer's deltas, or the loss's form on the output layer."""
    this = record.layers[l - 1]
    z, a, delta = (
        float(present(values, name)[example, j - 1])
        for values, name in ((this.z, "z"), (this.a, "a"), (this.delta, "delta"))
    )
    name, batch = this.activation, present(this.a, "a").shape[0]
    sym_z, sym_a, sym_d = (
        writer.sym("z", j, l),
        writer.sym("a", j, l),
        writer.sym(writer.delta, j, l),
    )
    if l < len(record.layers):
        after = record.layers[l]
        outgoing = present(after.weight, "weight")[:, j - 1].astype(np.float64)
        deltas = present(after.delta, "delta")[example]
        terms = outgoing * deltas
        d_c = float(terms.sum())
        pieces = [writer.product(v, u) for v, u in zip(outgoing, deltas, strict=True)]
        form = DERIVATIVE_FORMULAS[name]
        prime = float(numpy_forms.DERIVATIVES[name](np.asarray(z), np.asarray(a)))
        filled = form.format(a=writer.num(a), z=writer.num(z))
        computed = d_c * prime
        d_a = writer.partial("C", sym_a)
        lines = [
            f"{d_a} = {writer.sum('k', len(terms))} {writer.sym('w', f'{j}k', l + 1)} "
            f"{writer.sym(writer.delta, 'k', l + 1)} = {writer.terms(pieces, terms)} = "
            f"{writer.num(d_c)}",
            f"{writer.sigma}'({sym_z}) = {form.format(a=sym_a, z=sym_z)} = {filled} = "
            f"{writer.num(prime)}",
            f"{sym_d} = {d_a}{writer.dot}{writer.sigma}'({sym_z}) = {writer.product(d_c, prime)}"
            f" = {writer.num(computed)}",
        ]
        if not agrees(computed, delta, np.abs(terms).sum() * abs(prime)):
            lines.append(writer.note(f"(the probe recorded delta = {delta:.4g})"))
        return lines
    if name not in OUTPUTS:
        return [f"{sym_d} = {writer.num(delta)}"]
    sym_y = f"y_{{{j}}}" if writer.latex else f"y_{j}"
    target = a - batch * delta  # the record keeps no targets: y read back from delta
    if name != "identity" and abs(target - round(target)) < 1e-3:
        target = float(round(target))
    return [
        f"{sym_d} = {writer.partial('C', sym_z)} = ({sym_a} - {sym_y}) / n = "
        f"({writer.num(a)} - {writer.num(target, True)}) / {batch} = "
        f"{writer.num((a - target) / batch)}",
        writer.note(
            f"{OUTPUTS[name]} with a {name} output: dC/da times the output's slope "
            "simplifies to (a - y)/n; y is the target, read back from the record"
        ),
    ]


def _gradient_lines(
    writer: Writer, this: LayerRecord, l: int, j: int, example: int
) -> tuple[list[str], list[str]]:
    """dC/dw_ij^l and dC/db_j^l: this example's share, and the mini-batch's sum as recorded."""
    a_prev_batch = present(this.a_prev, "a_prev")
    deltas = present(this.delta, "delta")[:, j - 1]
    a_prev = a_prev_batch[example].astype(np.float64)
    delta = float(deltas[example])
    n_in = len(a_prev)
    sym_d = writer.sym(writer.delta, j, l)
    one_example, batch_sum = [], []
    keep = np.arange(n_in)
    if n_in > MAX_TERMS:
        keep = np.sort(np.argsort(-np.abs(a_prev), kind="stable")[: MAX_TERMS - 1])
    data = deltas.astype(np.float64) @ a_prev_batch.astype(np.float64)
    scale = np.abs(deltas) @ np.abs(a_prev_batch)
    recorded = present(this.grad_weight, "grad_weight")[j - 1].astype(np.float64)
    for i in (int(i) for i in keep):
        sym_w, sym_ai = writer.sym("w", index_pair(i + 1, j), l), writer.sym("a", i + 1, l - 1)
        one_example.append(
            f"{writer.partial('C', sym_w)} = {sym_d} {sym_ai} = "
            f"{writer.product(delta, a_prev[i])} = {writer.num(delta * a_prev[i])}"
        )
        line = f"{writer.partial('C', sym_w)} = \\sum_x " if writer.latex else f"∂C/∂{sym_w} = Σ_x "
        line += f"{sym_d} {sym_ai} = {writer.num(data[i])}"
        penalty = recorded[i] - data[i]
        if not agrees(data[i], recorded[i], scale[i]):
            total = writer.partial("C_{total}" if writer.latex else "C_total", sym_w)
            line = (
                f"{total} = \\sum_x {sym_d} {sym_ai} + \\lambda "
                if writer.latex
                else f"{total} = Σ_x {sym_d} {sym_ai} + λ "
            ) + (
                f"{writer.partial('R', sym_w)} = {writer.num(data[i])} + "
                f"{writer.num(penalty, True)} = {writer.num(recorded[i])}"
            )
        batch_sum.append(line)
    if len(keep) < n_in:
        more = writer.note(f"... and {n_in - len(keep)} more weights (largest inputs shown)")
        one_example.append(more)
        batch_sum.append(more)
    sym_b = writer.sym("b", j, l)
    one_example.append(f"{writer.partial('C', sym_b)} = {sym_d} = {writer.num(delta)}")
    sum_x = r"\sum_x " if writer.latex else "Σ_x "
    grad_bias = float(present(this.grad_bias, "grad_bias")[j - 1])
    batch_sum.append(f"{writer.partial('C', sym_b)} = {sum_x}{sym_d} = {writer.num(grad_bias)}")
    return one_example, batch_sum
