"""LaTeX as MathML, for equations that change while a network trains.

MathJax typesets a page's LaTeX after it arrives, and anew at every change of an HTMLMath
widget: the neuron panel changes with every refresh, so a student saw its TeX source (and
MathJax's error boxes when a change interrupted the typesetting). MathML is drawn by the browser
itself (Chromium, Firefox and Safari render MathML Core), as soon as it arrives, so the panel is
typeset at every moment. latex2mathml converts the LaTeX nnviz writes (arrays, fractions, sums,
sub- and superscripts) in a few milliseconds.
"""

from __future__ import annotations

import re

from latex2mathml.converter import convert


def mathml(latex: str, display: bool = True) -> str:
    """`latex` as a <math> element (block, or inline with display=False)."""
    # Row gaps (\\[4pt]) would come out as text: plain row breaks instead.
    latex = re.sub(r"\\\\\[[^\]]*\]", r"\\\\", latex)
    text = convert(latex, display="block" if display else "inline")
    # MathML Core leaves out mathvariant on text and columnalign: CSS says the same.
    text = text.replace('<mtext mathvariant="bold">', '<mtext style="font-weight: bold">')
    text = text.replace('<mtd columnalign="left">', '<mtd style="text-align: left">')
    if display:
        text = text.replace('display="block"', 'display="block" style="text-align: left"', 1)
    return text
