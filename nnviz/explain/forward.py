"""explain_forward: every neuron's a_j^l = sigma(sum_i w_ij^l a_i^(l-1) + b_j^l) of one example,
layer by layer, filled in with a record's numbers; and the record checks both explanations share.

The sums are recomputed in numpy from the record, so a z that disagrees with what the probe
recorded is written out rather than hidden.
"""

from __future__ import annotations

import numpy as np

from nnviz.core.checks import check_choice, check_int
from nnviz.core.records import LayerRecord, ProbeRecord
from nnviz.explain.writer import FORMATS, MAX_TERMS, Writer, agrees, index_pair, render


def resolve_record(record: object) -> ProbeRecord:
    """The ProbeRecord to explain: `record` itself, or a LayerProbe's last one."""
    if record is None:
        raise ValueError("record is None: nothing probed yet; train a step with a LayerProbe")
    if not isinstance(record, ProbeRecord) and hasattr(record, "last"):
        last = record.last
        if last is None:
            raise ValueError(f"record={record!r} has recorded no step yet; train a step first")
        record = last
    if not isinstance(record, ProbeRecord):
        raise TypeError(
            f"record must be a ProbeRecord or a LayerProbe; got {type(record).__name__}"
        )
    if any(layer.a is None or layer.weight is None for layer in record.layers):
        raise ValueError(
            "record has no per-example arrays (the probe ran with arrays=False); "
            "use LayerProbe(arrays=True) to explain a neuron"
        )
    return record


def present(values: np.ndarray | None, name: str) -> np.ndarray:
    """A per-example array of the record, or a ValueError saying which one it lacks."""
    if values is None:
        raise ValueError(
            f"record has no {name} arrays; explain a record of LayerProbe(arrays=True)"
        )
    return values


def check_example(record: ProbeRecord, example: int) -> int:
    """`example` as an index into the record's batch (negative counts from the end)."""
    batch = present(record.layers[0].a, "a").shape[0]
    return check_int("example", example, minimum=-batch, maximum=batch - 1) % batch


def forward_lines(writer: Writer, this: LayerRecord, l: int, j: int, example: int) -> list[str]:
    """z_j^l as the weighted sum written term by term, then a_j^l = sigma(z_j^l)."""
    a_prev = present(this.a_prev, "a_prev")[example].astype(np.float64)
    z, a = float(present(this.z, "z")[example, j - 1]), float(present(this.a, "a")[example, j - 1])
    name, n_in = this.activation, len(a_prev)
    sym_z, sym_a = writer.sym("z", j, l), writer.sym("a", j, l)
    weights = present(this.weight, "weight")[j - 1].astype(np.float64)
    bias = float(present(this.bias, "bias")[j - 1])
    products = weights * a_prev
    if n_in <= MAX_TERMS:
        symbolic = " + ".join(
            f"{writer.sym('w', index_pair(i, j), l)} {writer.sym('a', i, l - 1)}"
            for i in range(1, n_in + 1)
        )
    else:
        symbolic = (
            f"{writer.sum('i', n_in)} {writer.sym('w', 'i' + str(j), l)} "
            f"{writer.sym('a', 'i', l - 1)}"
        )
    pieces = [writer.product(v, u) for v, u in zip(weights, a_prev, strict=True)]
    numeric = writer.terms(pieces, products)
    z_sum = float(products.sum() + bias)
    lines = [
        f"{sym_z} = {symbolic} + {writer.sym('b', j, l)} = {numeric} + {writer.num(bias, True)}"
        f" = {writer.num(z_sum)}"
    ]
    if not agrees(z_sum, z, np.abs(products).sum() + abs(bias)):
        lines.append(writer.note(f"(the probe recorded z = {z:.4g})"))
    function = rf"\text{{{name}}}" if writer.latex else name
    if name == "softmax":
        width = present(this.a, "a").shape[1]
        lines.append(
            f"{sym_a} = e^{{{sym_z}}} / {writer.sum('k', width)} e^{{z_k}} = {writer.num(a)}"
        )
    elif name in ("identity", "linear"):
        lines.append(f"{sym_a} = {sym_z} = {writer.num(a)}")
    else:
        lines.append(
            f"{sym_a} = {function}({sym_z}) = {function}({writer.num(z)}) = {writer.num(a)}"
        )
    return lines


def explain_forward(record: object, example: int = 0, format: str = "text") -> str:
    """Every neuron's forward equation, layer by layer, for one example of a record."""
    format = check_choice("format", format, FORMATS)
    probed = resolve_record(record)
    index = check_example(probed, example)
    writer = Writer(format != "text")
    inputs = present(probed.layers[0].a_prev, "a_prev")[index]
    given = ", ".join(f"{writer.sym('a', i, 0)} = {writer.num(v)}" for i, v in enumerate(inputs, 1))
    sections = [("Input layer l = 0: the example's features", [given])]
    for l, this in enumerate(probed.layers, start=1):
        role = "output" if l == len(probed.layers) else "hidden"
        width = present(this.a, "a").shape[1]
        lines = [
            line for j in range(1, width + 1) for line in forward_lines(writer, this, l, j, index)
        ]
        sections.append((f"Layer l = {l} ({role}, {this.activation})", lines))
    return render(sections, format)
