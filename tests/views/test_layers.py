"""LayerStatsView: re-binned histograms keep counts and negatives, curves equal the records,
rebuild on a new layer count, bounded columns and refreshes."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from view_messages import sent_bytes

from nnviz.records import LayerRecord, ProbeRecord, RunnerUpdate, Summary
from nnviz.views.layers import LayerStatsView, log_colorscale, rebin


def decoded(z) -> np.ndarray:
    """A heatmap's z as the browser decodes plotly.js's typed-array form."""
    shape = tuple(int(size) for size in z["shape"].split(","))
    dtype = {"u2": np.uint16, "f4": np.float32, "f8": np.float64}[z["dtype"]]
    return np.frombuffer(base64.b64decode(z["bdata"]), dtype).reshape(shape)


def summary(counts, edges) -> Summary:
    return Summary(
        0.0, 1.0, edges[0], edges[-1], np.asarray(counts, float), np.asarray(edges, float)
    )


def layer(index, a=([2, 4], [-1, 0, 1]), delta=([1, 1], [0, 1, 2]), dead=0.0, grad=1.0):
    """A hand-made LayerRecord with histograms of a and delta."""
    summaries = {"a": summary(*a), "delta": summary(*delta)}
    return LayerRecord(index, "relu", summaries=summaries, dead_fraction=dead, grad_norm=grad)


def probe_update(step: int, layers, state: str = "running") -> RunnerUpdate:
    return RunnerUpdate(None, ProbeRecord(step, 10, tuple(layers)), {}, {}, state, "", step, 0.0)


def test_rebin_keeps_totals_and_negative_ranges():
    counts, edges = [2, 4], [-1, 0, 1]  # 2 values in [-1, 0), 4 in [0, 1]
    np.testing.assert_allclose(rebin(counts, edges, [-2, -1, 0, 1, 2]), [0, 2, 4, 0])
    # Even spread within a bin: [-1, -0.5) holds half of 2, [-0.5, 0.5) half of 2 plus half of 4.
    np.testing.assert_allclose(rebin(counts, edges, [-1, -0.5, 0.5, 1]), [1, 3, 2])
    # A constant batch (min == max) goes whole into the bin holding it.
    np.testing.assert_allclose(rebin([5, 0], [0.3, 0.3, 0.3], [0, 0.5, 1]), [5, 0])
    # Many columns at once, each over its own range, equal the columns one by one.
    rng = np.random.default_rng(1)
    counts = rng.poisson(4, (20, 8)).astype(float)
    lows = rng.uniform(-5, 1, 20)
    edges = lows[:, None] + rng.uniform(0.1, 3, 20)[:, None] * np.linspace(0, 1, 9)
    edges[3] = 0.7  # one constant column
    target = np.linspace(edges.min(), edges.max(), 6)
    together = rebin(counts, edges, target)
    for row in range(20):
        np.testing.assert_allclose(together[row], rebin(counts[row], edges[row], target))
        if row != 3:  # against an independent reading: uniform density within each bin
            inside = [
                np.clip(target, a, b) for a, b in zip(edges[row][:-1], edges[row][1:], strict=True)
            ]
            density = counts[row] / np.diff(edges[row])
            expected = sum(d * np.diff(c) for d, c in zip(density, inside, strict=True))
            np.testing.assert_allclose(together[row], expected, atol=1e-9)
    np.testing.assert_allclose(together.sum(axis=1), counts.sum(axis=1))


def test_log_colorscale_follows_log_counts():
    scale = log_colorscale("Blues", 64.0, stops=4)
    positions = [position for position, _ in scale]
    # Colour fraction f sits at count expm1(f * log(65)): 0, ~3.0, ~15.1, 64.
    np.testing.assert_allclose(
        np.array(positions) * 64, [0, 65 ** (1 / 3) - 1, 65 ** (2 / 3) - 1, 64]
    )
    assert scale[0][1] == "rgb(247, 251, 255)" and scale[-1][1] == "rgb(8, 48, 107)"


def test_heatmap_columns_share_the_range_of_the_kept_steps():
    view = LayerStatsView(quantities=("a",))
    view.update(probe_update(1, [layer(0, a=([2, 4], [-1, 0, 1]))]))
    view.update(probe_update(3, [layer(0, a=([3, 3], [0, 1, 2]))]))
    heatmap = view.figure.data[0]
    np.testing.assert_array_equal(heatmap.x, [1, 3])
    # Common range [-1, 2] in 2 bins, [-1, 0.5) and [0.5, 2]: step 1 gives 2 + 4/2 and 4/2,
    # step 3 gives 3/2 and 3/2 + 3.
    np.testing.assert_allclose(heatmap.y, [-0.25, 1.25])
    expected = np.array([[4, 1.5], [2, 4.5]])
    np.testing.assert_array_equal(decoded(heatmap.z), np.round(expected))  # whole counts
    assert heatmap.zmin == 0 and heatmap.zmax == 4  # the power of 2 above the largest count


def test_real_run_curves_equal_the_probe_records(spiral_updates):
    view = LayerStatsView()
    for update in spiral_updates:
        view.update(update)
    probes = {update.probe.step: update.probe for update in spiral_updates}  # one per step
    steps = sorted(probes)
    count = len(spiral_updates[-1].probe.layers)
    data = view.figure.data
    assert len(data) == 2 * count + 2 * count  # heatmaps of a and delta, norms, dead fractions
    norms, dead = data[2 * count : 3 * count], data[3 * count :]
    for index in range(count):
        np.testing.assert_array_equal(norms[index].x, steps)
        expected = [probes[step].layers[index].grad_norm for step in steps]
        np.testing.assert_allclose(norms[index].y, expected, rtol=1e-6)
        expected = [probes[step].layers[index].dead_fraction for step in steps]
        np.testing.assert_allclose(dead[index].y, expected, rtol=1e-6)
    # Every column of the a heatmap of layer 1 still holds the batch's count of values.
    first = probes[steps[-1]].layers[0]
    total = first.summaries["a"].counts.sum()
    column = decoded(data[0].z)[:, -1]
    assert abs(int(column.sum()) - total) <= len(column) / 2  # re-binned, rounded to whole counts
    assert data[0].y[0] < 0 < data[0].y[-1]  # tanh: negatives kept
    assert view.figure.layout[f"yaxis{2 * count + 1}"].type == "log"  # the gradient norms


def test_dead_fraction_and_gradient_norm_curves():
    view = LayerStatsView()
    view.update(probe_update(2, [layer(0, dead=0.25, grad=3.0), layer(1, dead=0.0, grad=0.5)]))
    view.update(probe_update(4, [layer(0, dead=0.5, grad=2.0), layer(1, dead=1.0, grad=0.1)]))
    view.update(probe_update(4, [layer(0, dead=0.9, grad=9.0), layer(1)]))  # same step: ignored
    view.update(RunnerUpdate(None, None, {}, {}, "running", "", 5, 0.0))  # no probe: nothing new
    data = view.figure.data
    np.testing.assert_allclose(data[4].y, [3.0, 2.0])
    np.testing.assert_allclose(data[5].y, [0.5, 0.1])
    np.testing.assert_allclose(data[6].y, [0.25, 0.5])
    np.testing.assert_allclose(data[7].y, [0.0, 1.0])
    np.testing.assert_array_equal(data[6].x, [2, 4])
    assert "1% of its peak" in data[6].hovertemplate
    assert view.figure.layout[f"yaxis{2 * 2 + 1}"].type == "log"  # the gradient norms


def test_layer_count_change_rebuilds_traces():
    view = LayerStatsView()
    view.update(probe_update(1, [layer(0), layer(1), layer(2)]))
    assert len(view.figure.data) == 4 * 3 and len(view.figure.layout.annotations) == 3 * 2 + 2
    view.update(probe_update(2, [layer(0), layer(1)]))
    assert len(view.figure.data) == 4 * 2 and len(view.figure.layout.annotations) == 2 * 2 + 2
    assert "xaxis9" not in view.figure.layout.to_plotly_json()  # the 3-layer axes are gone
    np.testing.assert_array_equal(view.figure.data[0].x, [2])  # the old columns too


def test_max_columns_and_clear():
    view = LayerStatsView(max_columns=10)
    for step in range(1, 51):
        view.update(probe_update(step, [layer(0, grad=step)]))
    np.testing.assert_array_equal(view.figure.data[0].x, np.arange(41, 51))
    np.testing.assert_allclose(view.figure.data[2].y, np.arange(41, 51))
    assert decoded(view.figure.data[0].z).shape == (2, 10)
    view.update(RunnerUpdate(None, None, {}, {}, "idle", "", 0, 0.0))  # what reset() sends
    assert all(len(trace.x) == 0 for trace in view.figure.data)


def test_bad_values_name_the_parameter():
    with pytest.raises(ValueError, match="quantities"):
        LayerStatsView(quantities=("a", "w"))
    with pytest.raises(ValueError, match="quantities"):
        LayerStatsView(quantities="a")
    with pytest.raises(ValueError, match="quantities"):
        LayerStatsView(quantities=("a", "a"))
    with pytest.raises(ValueError, match="max_columns"):
        LayerStatsView(max_columns=1)


def test_one_refresh_is_bounded_however_long_the_run():
    rng = np.random.default_rng(0)
    view = LayerStatsView(max_columns=30)
    sizes = {}
    for step in range(1, 161):
        low = rng.uniform(-3, 0)
        layers = [layer(i, a=(rng.poisson(5, 32), np.linspace(low, low + 4, 33))) for i in range(3)]
        update = probe_update(step, layers)
        sizes[step] = sent_bytes(view.figure, lambda update=update: view.update(update))
    # 6 heatmaps (a and delta) of 32 x 30 uint16 in base64, 6 curves of 30 float32 x and y, a
    # little JSON: flat once the columns are full, however many steps came before.
    bound = 6 * 32 * 30 * 2 * 4 / 3 + 6 * 30 * 8 + 4_000
    assert max(sizes[step] for step in range(30, 161)) < bound
    # Colour-scale changes vary a refresh by ~1.7 KB; on average it does not grow with steps.
    early, late = [sizes[step] for step in range(31, 61)], [sizes[step] for step in range(131, 161)]
    assert np.mean(late) <= 1.1 * np.mean(early)


def test_kept_histograms_after_the_ring_wraps_and_bins_change():
    view = LayerStatsView(quantities=("a",), max_columns=3)
    for step in range(1, 6):  # steps 3, 4, 5 stay: counts [step, 1] over [0, step]
        view.update(probe_update(step, [layer(0, a=([step, 1], [0, step / 2, step]))]))
    counts = np.array([[3, 1], [4, 1], [5, 1]], float)
    edges = np.array([[0, 1.5, 3], [0, 2, 4], [0, 2.5, 5]])
    expected = np.round(rebin(counts, edges, np.linspace(0, 5, 3)).T)
    np.testing.assert_array_equal(decoded(view.figure.data[0].z), expected)
    np.testing.assert_array_equal(view.figure.data[0].x, [3, 4, 5])
    # A probe with another bin count: only its column is drawn, the older ones are empty.
    view.update(probe_update(6, [layer(0, a=([1, 2, 3], [0, 1, 2, 3]))]))
    np.testing.assert_array_equal(decoded(view.figure.data[0].z), [[0, 0, 1], [0, 0, 2], [0, 0, 3]])


def test_a_new_step_sends_only_what_changed():
    view = LayerStatsView()
    for step in range(1, 4):
        view.update(probe_update(step, [layer(0), layer(1)]))
    assigned: list = []
    assign = view.figure.assign

    def spy(trace, values: dict) -> None:
        assigned.append((trace, set(values)))
        assign(trace, values)

    view.figure.assign = spy
    view.update(probe_update(4, [layer(0), layer(1)]))
    # Same histograms: the heatmaps' bins (y) and colour scales stay; the curves grow.
    assert assigned == [(index, {"x", "z"}) for index in range(4)] + [
        (index, {"x", "y"}) for index in range(4, 8)
    ]
    assigned.clear()
    view.redraw()  # nothing new: counts only (equal, so plotly drops them too)
    assert assigned == [(index, {"z"}) for index in range(4)]
    assert view.figure.data[0].zmax == 4 and len(view.figure.data[0].colorscale) == 12
