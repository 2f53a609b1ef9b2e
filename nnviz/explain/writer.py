"""How the explanations are written: symbols and numbers as plain text (unicode) or LaTeX, long
sums folded, and headed groups of equations rendered as text, one LaTeX array or markdown."""

from __future__ import annotations

import numpy as np

FORMATS = ("text", "latex", "markdown")
MAX_TERMS = 6  # longer sums show their largest terms and fold the rest into one number

Sections = list[tuple[str, list[str]]]  # (heading, equations) in the order they are shown


class Writer:
    """Writes symbols and numbers as plain text (unicode) or LaTeX."""

    def __init__(self, latex: bool) -> None:
        self.latex = latex
        self.dot = r" \cdot " if latex else " · "
        self.delta, self.sigma = (r"\delta", r"\sigma") if latex else ("δ", "σ")

    def sym(self, base: str, sub: object, sup: object) -> str:
        """base_sub^sup, e.g. w_ij^l."""
        return f"{base}_{{{sub}}}^{{{sup}}}" if self.latex else f"{base}_{sub}^{sup}"

    def partial(self, top: str, bottom: str) -> str:
        """d top / d bottom."""
        if self.latex:
            return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"
        return f"∂{top}/∂{bottom}"

    def sum(self, index: str, count: int) -> str:
        """The sum sign over index = 1..count."""
        return rf"\sum_{{{index}=1}}^{{{count}}}" if self.latex else f"Σ_{index}=1..{count}"

    def note(self, text: str) -> str:
        """A remark among the equations (upright text in LaTeX)."""
        return rf"\text{{{text}}}" if self.latex else text

    def num(self, value: float, wrap: bool = False) -> str:
        """`value` to 4 significant digits; `wrap`: in parentheses when negative or spaced."""
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
        """left · right, each wrapped where a sign would read as an operator."""
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


def render(sections: Sections, format: str) -> str:
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


def index_pair(i: int, j: int) -> str:
    """The subscript ij of w_ij, with a comma once an index has two digits."""
    return f"{i}{j}" if i < 10 and j < 10 else f"{i},{j}"


def agrees(computed: float, recorded: float, scale: float) -> bool:
    """Whether a number recomputed here matches the probe's, given the size of what was summed."""
    # float32 sums on the training side: agree to ~1e-4 of the size of what was summed.
    return abs(computed - recorded) <= 1e-4 * max(abs(scale), abs(recorded)) + 1e-7
