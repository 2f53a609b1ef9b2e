"""LaTeX as MathML: the neuron panel's equations and the lessons' markdown (nnviz.mathml)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from nbconvert.filters.markdown_mistune import markdown2html_mistune

from nnviz.mathml import markdown_mathml, mathml

ROOT = Path(__file__).resolve().parent.parent


def test_markdown_formulas_become_mathml_display_centred_and_inline():
    rendered = (
        "<p>Neuron $j$ weighs $a_i^{l-1}$:</p>"
        "<p>$$\nz_j^l = \\sum_i w_{ij}^l a_i^{l-1} + b_j^l, \\qquad a &lt; b\n$$</p>"
    )
    out = markdown_mathml(rendered)
    assert "$" not in out
    assert out.count('display="inline"') == 2 and out.count('display="block"') == 1
    assert "text-align: left" not in out  # display math is centred, as MathJax sets it
    assert "<mo>&#x0003C;</mo>" in out  # the HTML-escaped "<" reached latex2mathml as "<"
    assert out.startswith("<p>Neuron <math") and out.endswith("</math></p>")


def test_code_tags_and_unconvertible_tex_are_left_as_they_are():
    rendered = (
        '<h2 id="The-error-$%5Cdelta$">The error $\\delta$<a href="#x-$y$">¶</a></h2>'
        "<p><code>$x$</code> costs \\$5</p><pre>$$ a $$</pre><p>$\\frac{1}{$ and $x\\over$</p>"
    )
    out = markdown_mathml(rendered)
    assert out.count("<math") == 1  # only the heading's text
    assert 'id="The-error-$%5Cdelta$"' in out and 'href="#x-$y$"' in out
    assert "<code>$x$</code>" in out and "<pre>$$ a $$</pre>" in out and "\\$5" in out
    assert "$\\frac{1}{$" in out  # latex2mathml cannot: MathJax typesets it in the page


def test_every_formula_of_the_lessons_converts():
    formulas = 0
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                source = "".join(cell["source"])
                found = len(re.findall(r"\$\$.+?\$\$|\$[^$\n]+?\$", source, re.DOTALL))
                formulas += found
                # As Voila's page has it: nbconvert's HTML, the TeX put back between dollars.
                out = markdown_mathml(markdown2html_mistune(source))
                assert out.count("<math") == found, (path.name, source[:80])
    assert formulas > 300


def test_the_neuron_panel_keeps_its_flush_left_block():
    text = mathml(r"\textbf{a} = 1 \\[4pt] b", display=True)
    assert 'display="block" style="text-align: left"' in text
    assert '<mtext style="font-weight: bold">' in text and "4pt" not in text
