"""LaTeX as MathML: for equations that change while a network trains, and for the lessons' pages.

MathJax typesets a page's LaTeX after it arrives, and anew at every change of an HTMLMath
widget: the neuron panel changes with every refresh, so a student saw its TeX source (and
MathJax's error boxes when a change interrupted the typesetting). MathML is drawn by the browser
itself (Chromium, Firefox and Safari render MathML Core), as soon as it arrives, so the panel is
typeset at every moment. latex2mathml converts the LaTeX nnviz writes (arrays, fractions, sums,
sub- and superscripts) in a few milliseconds.

The lessons' pages: Voila's page typesets every formula of a lesson with MathJax once it has
loaded (lesson 03: ~100 formulas, ~0.6 s of the page's time to interactive). nnviz's Voila
template passes each rendered markdown cell through `markdown_mathml`, so the formulas arrive
as MathML; one latex2mathml cannot convert stays TeX, for MathJax. JupyterLab is untouched.

No torch, no plotly: this module also runs in the Voila server.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert


def mathml(latex: str, display: bool = True) -> str:
    """`latex` as a <math> element (block, or inline with display=False); a block is set flush
    left, as the neuron panel's equations are."""
    text = _convert(latex, display)
    if display:
        text = text.replace('display="block"', 'display="block" style="text-align: left"', 1)
    return text


def _convert(latex: str, display: bool) -> str:
    # Row gaps (\\[4pt]) would come out as text: plain row breaks instead.
    latex = re.sub(r"\\\\\[[^\]]*\]", r"\\\\", latex)
    text = convert(latex, display="block" if display else "inline")
    # MathML Core leaves out mathvariant on text and columnalign: CSS says the same.
    text = text.replace('<mtext mathvariant="bold">', '<mtext style="font-weight: bold">')
    return text.replace('<mtd columnalign="left">', '<mtd style="text-align: left">')


# What MathJax typesets in a lesson's rendered markdown ($$...$$ and $...$, as nbconvert writes
# them back): in text only, outside tags (a heading's anchor id holds its TeX, URL-quoted) and
# outside <pre> and <code>, where a dollar is code.
_CODE = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>|<[^>]*>)", re.DOTALL | re.IGNORECASE)
_MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$([^$\n]+?)\$", re.DOTALL)


def markdown_mathml(rendered: str) -> str:
    """`rendered` markdown HTML with its $$display$$ and $inline$ LaTeX as MathML (display math
    centred, as MathJax sets it); a formula latex2mathml cannot convert is left as it was."""
    parts = _CODE.split(str(rendered))
    for index in range(0, len(parts), 2):  # the even parts are text outside code
        parts[index] = _MATH.sub(_formula, parts[index])
    return "".join(parts)


def _formula(match: re.Match) -> str:
    display = match.group(1) is not None
    latex = html.unescape(match.group(1) if display else match.group(2))
    try:
        return _convert(latex, display)
    except Exception:  # latex2mathml knows less than MathJax: this one is left to MathJax
        return match.group(0)
