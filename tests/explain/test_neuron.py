"""explain_neuron against a 2-2-1 network computed by hand in numpy, and against a real run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from nnviz.core.records import LayerRecord, ProbeRecord
from nnviz.explain.neuron import explain_neuron

_spec = importlib.util.spec_from_file_location(
    "views_conftest", Path(__file__).parent.parent / "views" / "conftest.py"
)
_views = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_views)


def g(value: float) -> str:
    """A number as explain_neuron prints it: 4 significant digits."""
    return f"{float(value):.4g}"


def tiny(penalty: float = 0.0, inputs: np.ndarray | None = None) -> tuple[ProbeRecord, dict]:
    """A 2-2-1 tanh network with a sigmoid output on two examples, every array by hand."""
    x = np.array([[1.0, 2.0], [-0.5, 0.5]]) if inputs is None else inputs
    w1 = np.array([[0.5, -0.25], [0.75, 0.4]])[:, : x.shape[1]]
    if x.shape[1] > 2:
        w1 = np.linspace(-1, 1, 2 * x.shape[1]).reshape(2, -1)
    b1, w2, b2, y = np.array([0.1, -0.2]), np.array([[1.5, -2.0]]), np.array([0.3]), [1.0, 0.0]
    z1 = x @ w1.T + b1
    a1 = np.tanh(z1)
    z2 = a1 @ w2.T + b2
    a2 = 1 / (1 + np.exp(-z2))
    d2 = (a2 - np.array(y)[:, None]) / 2  # (a - y)/n, n = 2
    d1 = (d2 @ w2) * (1 - a1**2)
    f = np.float32

    def layer(index, name, a_prev, z, a, d, w, b):
        grad = d.T @ a_prev + penalty * 2 * w  # L2: lambda dR/dw = 2 lambda w, no bias term
        return LayerRecord(index, name, f(a_prev), f(z), f(a), f(d), f(w), f(b), f(grad),
                           f(d.sum(0)))  # fmt: skip

    record = ProbeRecord(
        step=7,
        batch_size=2,
        layers=(
            layer(0, "tanh", x, z1, a1, d1, w1, b1),
            layer(1, "sigmoid", a1, z2, a2, d2, w2, b2),
        ),
    )
    return record, dict(x=x, w1=w1, b1=b1, w2=w2, z1=z1, a1=a1, z2=z2, a2=a2, d1=d1, d2=d2)


def line(text: str, start: str) -> str:
    """The one line of `text` that starts with `start` (after indentation)."""
    found = [row.strip() for row in text.splitlines() if row.strip().startswith(start)]
    assert len(found) == 1, (start, text)
    return found[0]


def test_hidden_neuron_matches_the_hand_computed_network() -> None:
    record, n = tiny()
    text = explain_neuron(record, layer=1, neuron=2, example=1)
    z, a, d = n["z1"][1, 1], n["a1"][1, 1], n["d1"][1, 1]
    forward = line(text, "z_2^1 =")
    assert forward.startswith("z_2^1 = w_12^1 a_1^0 + w_22^1 a_2^0 + b_2^1 = ")
    assert f"{g(0.75)} · (-0.5) + {g(0.4)} · 0.5 + (-0.2) = {g(z)}" in forward
    assert line(text, "a_2^1 = tanh") == f"a_2^1 = tanh(z_2^1) = tanh({g(z)}) = {g(a)}"
    d_a = -2.0 * n["d2"][1, 0]  # w_21^2 delta_1^2: one neuron in the next layer
    assert line(text, "∂C/∂a_2^1").endswith(f"= {g(d_a)}")
    assert line(text, "σ'(z_2^1)").endswith(f"= {g(1 - a**2)}")
    assert line(text, "δ_2^1 = ∂C/∂a_2^1") == (
        f"δ_2^1 = ∂C/∂a_2^1 · σ'(z_2^1) = ({g(d_a)}) · {g(1 - a**2)} = {g(d)}"
    )
    x = n["x"]
    assert line(text, "∂C/∂w_12^1 = δ") == (
        f"∂C/∂w_12^1 = δ_2^1 a_1^0 = ({g(d)}) · (-0.5) = {g(d * x[1, 0])}"
    )
    batch = n["d1"][:, 1] @ x  # the mini-batch's gradient: sum over both examples
    assert line(text, "∂C/∂w_22^1 = Σ_x") == f"∂C/∂w_22^1 = Σ_x δ_2^1 a_2^0 = {g(batch[1])}"
    assert line(text, "∂C/∂b_2^1 = Σ_x").endswith(g(n["d1"][:, 1].sum()))
    assert "recorded" not in text  # every recomputed number agreed with the record


def test_output_neuron_writes_the_loss_form_with_the_target() -> None:
    record, n = tiny()
    text = explain_neuron(record, 2, 1, example=0)
    a = n["a2"][0, 0]
    assert line(text, "δ_1^2 = ∂C/∂z_1^2") == (
        f"δ_1^2 = ∂C/∂z_1^2 = (a_1^2 - y_1) / n = ({g(a)} - 1) / 2 = {g((a - 1) / 2)}"
    )
    assert "binary cross-entropy" in text
    assert line(text, "a_1^2 = sigmoid").endswith(f"= {g(a)}")


def test_penalty_is_named_in_the_batch_gradient() -> None:
    record, n = tiny(penalty=0.01)
    text = explain_neuron(record, 1, 1, example=0)
    data = n["d1"][:, 0] @ n["x"]
    expected = f"= {g(data[1])} + ({g(0.02 * -0.25)}) = {g(data[1] - 0.005)}"
    assert line(text, "∂C_total/∂w_21^1").endswith(expected)
    assert "λ ∂R/∂w_21^1" in text
    assert "C_total" not in line(text, "∂C/∂b_1^1 = Σ_x")  # biases are not penalised


def test_formats_carry_the_same_numbers() -> None:
    record, n = tiny()
    delta = g(n["d1"][0, 0])
    latex = explain_neuron(record, 1, 1, format="latex")
    markdown = explain_neuron(record, 1, 1, format="markdown")
    assert latex.startswith(r"\begin{array}") and latex.endswith(r"\end{array}")
    assert r"\frac{\partial C}{\partial a_{1}^{1}}" in latex
    assert rf"\delta_{{1}}^{{1}} = {delta}" in latex
    assert "**Forward**" in markdown and f"$$a_{{1}}^{{1}} = {g(n['a1'][0, 0])}" in markdown
    assert delta in explain_neuron(record, 1, 1, format="text")


def test_long_sums_are_folded_into_their_remainder() -> None:
    x = np.linspace(-1, 1, 2 * 64).reshape(2, 64)
    record, n = tiny(inputs=x)
    text = explain_neuron(record, 1, 1, example=0)
    products = n["w1"][0] * x[0]
    rest = np.sort(np.argsort(-np.abs(products))[5:])  # five largest terms are written out
    forward = line(text, "z_1^1 =")
    assert f"[59 more terms = {g(products[rest].sum())}]" in forward
    assert forward.count(" · ") == 5 and forward.endswith(g(n["z1"][0, 0]))
    assert "... and 59 more weights" in text


def test_real_run_hidden_delta_is_backpropagated_from_the_record() -> None:
    updates = _views.collect_updates(hidden=(4, 3), steps=6)
    record = updates[-1].probe
    hidden, after = record.layers[1], record.layers[2]  # l = 2, followed by the output layer
    for example in (0, record.batch_size - 1):
        for j in (1, 3):
            d_a = float(after.weight[:, j - 1].astype(np.float64) @ after.delta[example])
            delta = d_a * (1 - float(hidden.a[example, j - 1]) ** 2)
            text = explain_neuron(record, 2, j, example=example)
            assert line(text, f"δ_{j}^2 = ∂C/∂a").endswith(f"= {g(delta)}")
            assert np.isclose(delta, hidden.delta[example, j - 1], rtol=1e-4, atol=1e-8)
            assert "recorded" not in text


def test_bad_arguments_name_the_parameter_and_the_range() -> None:
    record, _ = tiny()
    with pytest.raises(ValueError, match=r"layer=3 .*1 to 2"):
        explain_neuron(record, 3, 1)
    with pytest.raises(ValueError, match=r"layer=0"):
        explain_neuron(record, 0, 1)
    with pytest.raises(ValueError, match=r"neuron=3 .*1 to 2"):
        explain_neuron(record, 1, 3)
    with pytest.raises(ValueError, match=r"example=2 .*-2 to 1"):
        explain_neuron(record, 1, 1, example=2)
    assert explain_neuron(record, 1, 1, example=-1) == explain_neuron(record, 1, 1, example=1)
    with pytest.raises(ValueError, match="format='html'"):
        explain_neuron(record, 1, 1, format="html")
    with pytest.raises(ValueError, match="None"):
        explain_neuron(None, 1, 1)
    bare = ProbeRecord(1, 2, tuple(LayerRecord(i, "tanh") for i in range(2)))
    with pytest.raises(ValueError, match="arrays=False"):
        explain_neuron(bare, 1, 1)

    class EmptyProbe:
        last = None

    with pytest.raises(ValueError, match="no step"):
        explain_neuron(EmptyProbe(), 1, 1)
    with pytest.raises(TypeError, match="ProbeRecord"):
        explain_neuron(3.0, 1, 1)


def test_accepts_a_probe_with_last() -> None:
    record, _ = tiny()

    class Probe:
        last = record

    assert explain_neuron(Probe(), 2, 1) == explain_neuron(record, 2, 1)
