"""Where NetworkView draws things, in plain numbers: neuron centres, link ends, the sign and width
bucket of each link, the paths of the links of one bucket, and the values on the colour scale.

Columns are layers COLUMN apart, neurons stack from the top ROW apart, a thumbnail being 1 x 1;
an input layer wider than MAX_INPUTS is drawn as one block. Links run from the right edge of a
neuron to the left edge of the next layer's, in the order of W^l.reshape(-1) per layer (j major).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COLUMN, ROW = 3.0, 1.4  # layer and neuron spacing, a thumbnail being 1 x 1
MAX_INPUTS = 12  # wider input layers collapse into one block ("64 inputs")
WIDTH_EDGES = (0.25, 0.5, 1.0)  # |w| bucket edges; a link's width says which bucket it is in
WIDTHS = (0.8, 1.8, 3.2, 5.0)  # the links' line widths, one per bucket
PIXELS_PER_ROW = 56  # for the automatic height


@dataclass(frozen=True)
class NetworkGeometry:
    """The drawing of a network of `widths` (inputs first), in axis units."""

    widths: tuple[int, ...]  # the network's layer widths
    shown: tuple[int, ...]  # as drawn: a collapsed input layer is one block
    units: list[tuple[int, int]]  # (layer, neuron from 0) of each drawn neuron, layer by layer
    centers: np.ndarray  # (units, 2) float64
    starts: np.ndarray  # (links, 2): where each link leaves its source neuron
    ends: np.ndarray  # (links, 2): where it enters its target
    link_names: list[str]  # w_ij^l per link (HTML), or the collapsed block's mean

    @property
    def collapsed(self) -> bool:
        """Whether the input layer is drawn as one block."""
        return self.widths[0] > MAX_INPUTS

    @property
    def rows(self) -> int:
        """Neurons in the tallest column."""
        return max(self.shown)

    @property
    def x_range(self) -> list[float]:
        """The x axis: from the input names' room on the left to the output column."""
        return [-1.8, (len(self.shown) - 1) * COLUMN + 0.8]

    @property
    def y_range(self) -> list[float]:
        """The y axis: the lowest neuron to the column titles."""
        return [-(self.rows - 1) * ROW - 0.8, 1.2]

    def index(self, layer: int, neuron: int) -> int:
        """The position in `units` of neuron `neuron` (from 0) of layer `layer`."""
        return self.units.index((layer, neuron))


def network_geometry(widths: tuple[int, ...]) -> NetworkGeometry:
    """Lay out a network of `widths` (inputs first): neuron centres and link ends."""
    collapsed = widths[0] > MAX_INPUTS
    shown = (1 if collapsed else widths[0], *widths[1:])
    units = [(l, j) for l, width in enumerate(shown) for j in range(width)]
    centers = np.array([(l * COLUMN, -j * ROW) for l, j in units], np.float64)
    first = {l: units.index((l, 0)) for l in range(len(shown))}
    starts, ends, names = [], [], []
    for l in range(1, len(shown)):
        for j in range(shown[l]):
            for i in range(shown[l - 1]):
                starts.append(centers[first[l - 1] + i] + (0.5, 0))
                ends.append(centers[first[l] + j] - (0.5, 0))
                name = f"w<sub>{i + 1},{j + 1}</sub><sup>{l}</sup>"
                if l == 1 and collapsed:
                    name = f"mean of the {widths[0]} weights into neuron {j + 1}"
                names.append(name)
    return NetworkGeometry(
        tuple(widths), shown, units, centers, np.array(starts), np.array(ends), names
    )


def automatic_height(rows: int) -> int:
    """The figure's height in pixels for `rows` neurons in the tallest column."""
    return 60 + rows * PIXELS_PER_ROW


def neuron_pixels(height: float, rows: int) -> float:
    """A neuron's side in pixels: the plot's height over the rows, at most 60."""
    return min((height - 60) / (rows * ROW), 60)


def link_weights(matrices: list[np.ndarray], collapsed: bool) -> np.ndarray:
    """The weight of each link in link order; a collapsed input block's links carry the mean
    of the weights into each first-layer neuron."""
    if not matrices:
        return np.zeros(0)
    first = matrices[0].mean(1) if collapsed else matrices[0].reshape(-1)
    return np.concatenate([first, *(weight.reshape(-1) for weight in matrices[1:])])


def link_traces(weights: np.ndarray) -> np.ndarray:
    """Per link, its trace: 0..3 for w >= 0 by |w| bucket (|w| <= 0.25, <= 0.5, <= 1, above:
    WIDTH_EDGES), 4..7 for w < 0."""
    bucket = np.searchsorted(WIDTH_EDGES, np.abs(weights))
    return np.where(weights >= 0, 0, len(WIDTHS)) + bucket


def link_path(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of one trace drawing these links: start, end, NaN per link (NaN breaks the
    line), 1-D float32 so that each goes as one binary buffer (Figure.assign makes them
    contiguous)."""
    path = np.full((len(starts), 3, 2), np.nan, np.float32)
    path[:, 0], path[:, 1] = starts, ends
    return path[:, :, 0].reshape(-1), path[:, :, 1].reshape(-1)


def shown_values(values: np.ndarray, layer: int, output: str | None) -> np.ndarray:
    """Values as the colour scale [-1, 1] shows them: probabilities 0..1 -> -1..1, inputs scaled
    to their own range (x1 spans about [-6, 6]); the rest as they are (clipped by the scale)."""
    values = np.asarray(values, np.float64)
    if layer == 0:
        return values / max(1.0, float(np.abs(values).max(initial=0.0)))
    if output in ("sigmoid", "softmax"):
        return 2 * values - 1
    return values


def thumbnail_values(
    neurons: tuple[np.ndarray, ...], output: str | None, collapsed: bool
) -> list[np.ndarray]:
    """Per layer (inputs first, none for a collapsed input block), its (units, R, R) thumbnails
    on the colour scale: each input by its own range, the output by its `output` function."""
    last, blocks = len(neurons) - 1, []
    for l, block in enumerate(neurons):
        if l == 0 and collapsed:
            continue
        if l == 0:  # each input scaled by its own range
            blocks.append(np.stack([shown_values(unit, 0, None) for unit in block]))
        else:
            blocks.append(shown_values(block, l, output if l == last else None))
    return blocks


def neuron_values(
    means: list[np.ndarray], units: list[tuple[int, int]], output: str | None, collapsed: bool
) -> np.ndarray:
    """Each drawn neuron's mean activation on the colour scale, float32 in `units` order (0 for
    a collapsed input block)."""
    last = len(means) - 1
    shown = [
        shown_values(means[l], l, output if l == last else None)
        if not (l == 0 and collapsed)
        else np.zeros(1)
        for l in range(last + 1)
    ]
    return np.array([shown[l][j] for l, j in units], np.float32)
