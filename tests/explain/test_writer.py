"""Tests for nnviz.explain.writer: numbers, folded sums and the three formats."""

from __future__ import annotations

import numpy as np

from nnviz.explain.writer import MAX_TERMS, Writer, agrees, index_pair, render


def test_numbers_in_text_and_latex() -> None:
    text, latex = Writer(latex=False), Writer(latex=True)
    assert text.num(0.123456) == "0.1235" and text.num(-2.0, wrap=True) == "(-2)"
    assert text.num(1.5e-7) == "1.5e-7" and latex.num(1.5e-7) == r"1.5 \times 10^{-7}"
    assert text.sym("w", "12", 3) == "w_12^3" and latex.sym("w", "12", 3) == "w_{12}^{3}"
    assert text.product(2.0, -3.0) == "2 · (-3)"


def test_a_long_sum_keeps_its_largest_terms_and_folds_the_rest() -> None:
    values = np.array([1.0, -8.0, 2.0, 0.5, 7.0, 3.0, 0.25, 4.0])
    folded = Writer(latex=False).terms([f"t{i}" for i in range(len(values))], values)
    kept = folded.split(" + ")[:-1]
    assert kept == ["t1", "t2", "t4", "t5", "t7"] and len(kept) == MAX_TERMS - 1
    assert folded.endswith("[3 more terms = 1.75]")  # 1 + 0.5 + 0.25


def test_render_and_helpers() -> None:
    sections = [("Head", ["a = 1", "b = 2"])]
    assert render(sections, "text") == "Head\n  a = 1\n  b = 2"
    assert render(sections, "markdown") == "**Head**\n\n$$a = 1$$\n\n$$b = 2$$"
    assert render(sections, "latex").startswith(r"\begin{array}{l}\textbf{Head}")
    assert index_pair(1, 2) == "12" and index_pair(10, 2) == "10,2"
    assert agrees(1.0, 1.00005, 1.0) and not agrees(1.0, 1.001, 1.0)
