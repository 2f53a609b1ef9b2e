"""explain_neuron: the seed's three equations for one neuron, filled in with a probe's numbers.

    forward   a_j^l = sigma(sum_i w_ij^l a_i^(l-1) + b_j^l)
    backward  delta_j^l = dC/da_j^l * sigma'(z_j^l),  dC/da_j^l = sum_k w_jk^(l+1) delta_k^(l+1)
    gradient  dC/dw_ij^l = delta_j^l a_i^(l-1),  dC/db_j^l = delta_j^l

Everything is recomputed in numpy from the record (no torch), so the printed numbers are checked
against what the probe recorded; a mismatch is written out rather than hidden.
"""

from __future__ import annotations

import numpy as np

from nnviz.core.checks import check_choice, check_int
from nnviz.core.records import LayerRecord, ProbeRecord

FORMATS = ("text", "latex", "markdown")
MAX_TERMS = 6  # longer sums show their largest terms and fold the rest into one number
# sigma'(z) written on a = sigma(z) (and z for relu), as nnviz.core.activations defines them.
DERIVATIVES = {
    "tanh": (lambda z, a: 1 - a * a, "1 - ({a})^2"),
    "sigmoid": (lambda z, a: a * (1 - a), "{a}(1 - {a})"),
    "relu": (lambda z, a: float(z > 0), "[{z} > 0]"),
    "linear": (lambda z, a: 1.0, "1"),
}
OUTPUTS = {  # the output layer's function -> the loss it is paired with (nnviz.core.losses)
    "sigmoid": "binary cross-entropy",
    "softmax": "cross-entropy",
    "identity": "half squared error",
}


class _Writer:
    """Writes symbols and numbers as plain text (unicode) or LaTeX."""

    def __init__(self, latex: bool) -> None:
        self.latex = latex
        self.dot = r" \cdot " if latex else " · "
        self.delta, self.sigma = (r"\delta", r"\sigma") if latex else ("δ", "σ")

    def sym(self, base: str, sub: object, sup: object) -> str:
        return f"{base}_{{{sub}}}^{{{sup}}}" if self.latex else f"{base}_{sub}^{sup}"

    def partial(self, top: str, bottom: str) -> str:
        if self.latex:
            return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"
        return f"∂{top}/∂{bottom}"

    def sum(self, index: str, count: int) -> str:
        return rf"\sum_{{{index}=1}}^{{{count}}}" if self.latex else f"Σ_{index}=1..{count}"

    def num(self, value: float, wrap: bool = False) -> str:
        text = f"{float(value):.4g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            text = (
                rf"{mantissa} \times 10^{{{int(exponent)}}}"
                if self.latex
                else f"{mantissa}e{int(exponent)}"
            )
        return f"({text})" if wrap and (text.startswith("-") or " " in text) else text

    def product(self, left: float, right: float) -> str:
        return f"{self.num(left, True)}{self.dot}{self.num(right, True)}"

    def terms(self, pieces: list[str], values: np.ndarray) -> str:
        """Join `pieces` with +, keeping the MAX_TERMS largest |values|, the rest summed."""
        if len(pieces) <= MAX_TERMS:
            return " + ".join(pieces)
        keep = np.sort(np.argsort(-np.abs(values), kind="stable")[: MAX_TERMS - 1])
        rest = np.delete(values, keep)
        folded = f"{len(rest)} more terms = {self.num(rest.sum())}"
        folded = rf"\underbrace{{\cdots}}_{{\text{{{folded}}}}}" if self.latex else f"[{folded}]"
        return " + ".join([pieces[i] for i in keep] + [folded])


def _resolve(record: object) -> ProbeRecord:
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


def explain_neuron(
    record: object, layer: int, neuron: int, example: int = 0, format: str = "text"
) -> str:
    """The forward, delta and gradient equations of neuron j of layer l with the current numbers."""
    format = check_choice("format", format, FORMATS)
    record = _resolve(record)
    count = len(record.layers)
    l = check_int("layer", layer, minimum=1, maximum=count)
    this: LayerRecord = record.layers[l - 1]
    j = check_int("neuron", neuron, minimum=1, maximum=this.a.shape[1])
    batch = this.a.shape[0]
    x = check_int("example", example, minimum=-batch, maximum=batch - 1) % batch
    sections = _sections(_Writer(format != "text"), record, l, j, x)
    return _render(sections, format)


def explain_forward(record: object, example: int = 0, format: str = "text") -> str:
    """Every neuron's forward equation, layer by layer, for one example of a record."""
    format = check_choice("format", format, FORMATS)
    record = _resolve(record)
    batch = record.layers[0].a.shape[0]
    x = check_int("example", example, minimum=-batch, maximum=batch - 1) % batch
    w = _Writer(format != "text")
    inputs = record.layers[0].a_prev[x]
    given = ", ".join(f"{w.sym('a', i, 0)} = {w.num(v)}" for i, v in enumerate(inputs, 1))
    sections = [("Input layer l = 0: the example's features", [given])]
    for l, this in enumerate(record.layers, start=1):
        role = "output" if l == len(record.layers) else "hidden"
        lines = [line for j in range(1, this.a.shape[1] + 1) for line in _forward(w, this, l, j, x)]
        sections.append((f"Layer l = {l} ({role}, {this.activation})", lines))
    return _render(sections, format)


def _render(sections: list[tuple[str, list[str]]], format: str) -> str:
    """Headed groups of equations as plain text, one LaTeX array, or markdown with $$ lines."""
    if format == "text":
        return "\n".join(
            f"{head}\n" + "\n".join(f"  {line}" for line in lines) for head, lines in sections
        )
    if format == "latex":
        rows = [rf"\textbf{{{head}}}" + r" \\ " + r" \\ ".join(lines) for head, lines in sections]
        return r"\begin{array}{l}" + r" \\[4pt] ".join(rows) + r"\end{array}"
    return "\n\n".join(
        f"**{head}**\n\n" + "\n\n".join(f"$${line}$$" for line in lines) for head, lines in sections
    )


def _pair(i: int, j: int) -> str:
    return f"{i}{j}" if i < 10 and j < 10 else f"{i},{j}"


def _close(computed: float, recorded: float, scale: float) -> bool:
    # float32 sums on the training side: agree to ~1e-4 of the size of what was summed.
    return abs(computed - recorded) <= 1e-4 * max(abs(scale), abs(recorded)) + 1e-7


def _sections(w: _Writer, record: ProbeRecord, l: int, j: int, x: int) -> list:
    this, last = record.layers[l - 1], l == len(record.layers)
    a_prev = this.a_prev[x].astype(np.float64)
    z, a, delta = (float(getattr(this, q)[x, j - 1]) for q in ("z", "a", "delta"))
    name, batch, n_in = this.activation, this.a.shape[0], len(a_prev)
    sym_z, sym_a, sym_d = w.sym("z", j, l), w.sym("a", j, l), w.sym(w.delta, j, l)
    note = (lambda text: rf"\text{{{text}}}") if w.latex else (lambda text: text)
    role = "output" if last else "hidden"
    title = (
        f"Layer l = {l} ({role}, {name}), neuron j = {j}: example {x} of the mini-batch "
        f"of step {record.step} (n = {batch})"
    )
    gap = r",\quad " if w.latex else ",  "
    summary = gap.join(f"{s} = {w.num(v)}" for s, v in ((sym_a, a), (sym_z, z), (sym_d, delta)))

    forward = _forward(w, this, l, j, x)

    # Backward: delta from the next layer's deltas, or the loss's form on the output layer.
    d_a = w.partial("C", sym_a)
    if not last:
        after = record.layers[l]
        outgoing, deltas = after.weight[:, j - 1].astype(np.float64), after.delta[x]
        terms = outgoing * deltas
        d_c = float(terms.sum())
        pieces = [w.product(v, u) for v, u in zip(outgoing, deltas, strict=True)]
        prime_function, form = DERIVATIVES[name]
        prime = float(prime_function(z, a))
        filled = form.format(a=w.num(a), z=w.num(z))
        computed = d_c * prime
        backward = [
            f"{d_a} = {w.sum('k', len(terms))} {w.sym('w', f'{j}k', l + 1)} "
            f"{w.sym(w.delta, 'k', l + 1)} = {w.terms(pieces, terms)} = {w.num(d_c)}",
            f"{w.sigma}'({sym_z}) = {form.format(a=sym_a, z=sym_z)} = {filled} = {w.num(prime)}",
            f"{sym_d} = {d_a}{w.dot}{w.sigma}'({sym_z}) = {w.product(d_c, prime)} = "
            f"{w.num(computed)}",
        ]
        if not _close(computed, delta, np.abs(terms).sum() * abs(prime)):
            backward.append(note(f"(the probe recorded delta = {delta:.4g})"))
    elif name in OUTPUTS:
        sym_y = f"y_{{{j}}}" if w.latex else f"y_{j}"
        target = a - batch * delta  # the record keeps no targets: y read back from delta
        if name != "identity" and abs(target - round(target)) < 1e-3:
            target = float(round(target))
        backward = [
            f"{sym_d} = {w.partial('C', sym_z)} = ({sym_a} - {sym_y}) / n = "
            f"({w.num(a)} - {w.num(target, True)}) / {batch} = {w.num((a - target) / batch)}",
            note(
                f"{OUTPUTS[name]} with a {name} output: dC/da times the output's slope "
                "simplifies to (a - y)/n; y is the target, read back from the record"
            ),
        ]
    else:
        backward = [f"{sym_d} = {w.num(delta)}"]

    # Gradients: this example's share, then the mini-batch's sum as the probe recorded it.
    example, batch_sum = [], []
    keep = np.arange(n_in)
    if n_in > MAX_TERMS:
        keep = np.sort(np.argsort(-np.abs(a_prev), kind="stable")[: MAX_TERMS - 1])
    data = this.delta[:, j - 1].astype(np.float64) @ this.a_prev.astype(np.float64)
    scale = np.abs(this.delta[:, j - 1]) @ np.abs(this.a_prev)
    recorded = this.grad_weight[j - 1].astype(np.float64)
    for i in keep:
        sym_w, sym_ai = w.sym("w", _pair(i + 1, j), l), w.sym("a", i + 1, l - 1)
        example.append(
            f"{w.partial('C', sym_w)} = {sym_d} {sym_ai} = "
            f"{w.product(delta, a_prev[i])} = {w.num(delta * a_prev[i])}"
        )
        line = f"{w.partial('C', sym_w)} = \\sum_x " if w.latex else f"∂C/∂{sym_w} = Σ_x "
        line += f"{sym_d} {sym_ai} = {w.num(data[i])}"
        penalty = recorded[i] - data[i]
        if not _close(data[i], recorded[i], scale[i]):
            total = w.partial("C_{total}" if w.latex else "C_total", sym_w)
            line = (
                f"{total} = \\sum_x {sym_d} {sym_ai} + \\lambda "
                if w.latex
                else f"{total} = Σ_x {sym_d} {sym_ai} + λ "
            ) + (
                f"{w.partial('R', sym_w)} = {w.num(data[i])} + {w.num(penalty, True)} "
                f"= {w.num(recorded[i])}"
            )
        batch_sum.append(line)
    if len(keep) < n_in:
        more = note(f"... and {n_in - len(keep)} more weights (largest inputs shown)")
        example.append(more)
        batch_sum.append(more)
    sym_b = w.sym("b", j, l)
    example.append(f"{w.partial('C', sym_b)} = {sym_d} = {w.num(delta)}")
    sum_x = r"\sum_x " if w.latex else "Σ_x "
    batch_sum.append(
        f"{w.partial('C', sym_b)} = {sum_x}{sym_d} = {w.num(float(this.grad_bias[j - 1]))}"
    )
    return [
        (title, [summary]),
        ("Forward", forward),
        ("Backward", backward),
        (f"Gradients from example {x}", example),
        (
            f"Gradients of the mini-batch (delta carries the 1/n, so the sum over its {batch} "
            "examples)",
            batch_sum,
        ),
    ]


def _forward(w: _Writer, this: LayerRecord, l: int, j: int, x: int) -> list[str]:
    """z_j^l as the weighted sum written term by term, then a_j^l = sigma(z_j^l)."""
    a_prev = this.a_prev[x].astype(np.float64)
    z, a = float(this.z[x, j - 1]), float(this.a[x, j - 1])
    name, n_in = this.activation, len(a_prev)
    sym_z, sym_a = w.sym("z", j, l), w.sym("a", j, l)
    note = (lambda text: rf"\text{{{text}}}") if w.latex else (lambda text: text)
    weights, bias = this.weight[j - 1].astype(np.float64), float(this.bias[j - 1])
    products = weights * a_prev
    if n_in <= MAX_TERMS:
        symbolic = " + ".join(
            f"{w.sym('w', _pair(i, j), l)} {w.sym('a', i, l - 1)}" for i in range(1, n_in + 1)
        )
    else:
        symbolic = f"{w.sum('i', n_in)} {w.sym('w', 'i' + str(j), l)} {w.sym('a', 'i', l - 1)}"
    numeric = w.terms([w.product(v, u) for v, u in zip(weights, a_prev, strict=True)], products)
    z_sum = float(products.sum() + bias)
    forward = [
        f"{sym_z} = {symbolic} + {w.sym('b', j, l)} = {numeric} + {w.num(bias, True)}"
        f" = {w.num(z_sum)}"
    ]
    if not _close(z_sum, z, np.abs(products).sum() + abs(bias)):
        forward.append(note(f"(the probe recorded z = {z:.4g})"))
    function = rf"\text{{{name}}}" if w.latex else name
    if name == "softmax":
        forward.append(
            f"{sym_a} = e^{{{sym_z}}} / {w.sum('k', this.a.shape[1])} e^{{z_k}} = {w.num(a)}"
        )
    elif name in ("identity", "linear"):
        forward.append(f"{sym_a} = {sym_z} = {w.num(a)}")
    else:
        forward.append(f"{sym_a} = {function}({sym_z}) = {function}({w.num(z)}) = {w.num(a)}")
    return forward
