"""LayerStatsView: re-binned histograms keep counts and negatives, curves equal the records,
rebuild on a new layer count, bounded columns and refreshes."""

from __future__ import annotations

import numpy as np
import pytest
from view_messages import captured, sent_bytes

from nnviz.core.records import LayerRecord, ProbeRecord, RunnerUpdate, Summary
from nnviz.views.histograms import nice_range, rebin, sticky_range
from nnviz.views.layers import LayerStatsView


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


def test_heatmap_columns_share_the_range_of_the_kept_steps():
    view = LayerStatsView(quantities=("a",))
    view.update(probe_update(1, [layer(0, a=([2, 4], [-1, 0, 1]))]))
    view.update(probe_update(3, [layer(0, a=([3, 3], [0, 1, 1.8]))]))
    assert len(view.figure.rasters) == 1 and len(view.figure.data) == 2  # norm and dead curves
    raster = view.figure.rasters[0]
    # Step 1 alone drew [-1, 1]; step 3's data, [-1, 1.8], outgrows it at the top, so the top
    # moves to 1.8 plus half the data's span of room, rounded out: [-1, 4]. Two bins, [-1, 1.5)
    # and [1.5, 4]: step 1 gives 2 + 4 and 0, step 3 gives 3 + 3 * 0.5 / 0.8 and 3 * 0.3 / 0.8
    # (rows: bins, columns: steps).
    assert raster["y"] == [-1.0, 4.0] == list(sticky_range(nice_range(-1, 1), -1, 1.8))
    assert raster["x"] == [0.0, 1.0]  # the columns fill the panel, oldest left
    assert raster["xlabels"].tolist() == [1, 3]  # each column's step, for the hover
    expected = np.round(np.array([[6, 4.875], [0, 1.125]]))  # whole counts
    assert raster["z"].dtype == np.uint8  # one byte a cell while the counts fit
    np.testing.assert_array_equal(raster["z"], expected)
    assert raster["zmin"] == 0 and raster["zmax"] == 8  # the power of 2 above the largest count
    assert raster["transform"] == "log1p" and raster["visible"]
    assert (raster["xref"], raster["yref"]) == ("x", "y")
    assert "%{z:.0f}" in raster["hover"] and "a<sub>j</sub><sup>1</sup>" in raster["hover"]
    assert list(view.figure.layout.xaxis.range) == [0.0, 1.0]  # no step ticks to redraw
    assert "steps 1 to 3" in view.figure.layout.annotations[view._window_note].text
    assert list(view.figure.layout.yaxis.range) == [-1.0, 4.0]
    scale = raster["colorscale"]
    assert len(scale) == 12 and scale[0][0] == 0.0 and scale[-1][0] == 1.0
    assert scale[0][1] == "rgb(247, 251, 255)" and scale[-1][1] == "rgb(8, 48, 107)"  # Blues


def test_real_run_curves_equal_the_probe_records(spiral_updates):
    view = LayerStatsView()
    for update in spiral_updates:
        view.update(update)
    probes = {update.probe.step: update.probe for update in spiral_updates}  # one per step
    steps = sorted(probes)
    count = len(spiral_updates[-1].probe.layers)
    data, rasters = view.figure.data, view.figure.rasters
    assert len(data) == 2 * count  # norms, dead fractions: no heatmap traces
    assert len(rasters) == 2 * count  # histograms of a, then of delta, layer by layer
    norms, dead = data[:count], data[count:]
    for index in range(count):
        np.testing.assert_array_equal(norms[index].x, steps)
        expected = [probes[step].layers[index].grad_norm for step in steps]
        np.testing.assert_allclose(norms[index].y, expected, rtol=1e-6)
        expected = [probes[step].layers[index].dead_fraction for step in steps]
        np.testing.assert_allclose(dead[index].y, expected, rtol=1e-6)
    # Each raster equals the records' histograms re-binned by hand onto the range the view kept:
    # the data's rounded range, computed again at every draw and kept while the data fills at
    # least half of it.
    shown = {}
    for update in spiral_updates:
        kept = [probes[step] for step in steps if step <= update.probe.step]
        for row, quantity in enumerate(("a", "delta")):
            for index in range(count):
                summaries = [probe.layers[index].summaries[quantity] for probe in kept]
                low = min(s.edges[0] for s in summaries)
                high = max(s.edges[-1] for s in summaries)
                shown[row, index] = sticky_range(shown.get((row, index)), low, high)
    for row, quantity in enumerate(("a", "delta")):
        for index in range(count):
            raster = rasters[row * count + index]
            summaries = [probes[step].layers[index].summaries[quantity] for step in steps]
            counts = np.array([s.counts for s in summaries], float)
            edges = np.array([s.edges for s in summaries], float)
            low, high = shown[row, index]
            assert low <= edges[:, 0].min() and edges[:, -1].max() <= high
            target = np.linspace(low, high, counts.shape[1] + 1)
            expected = np.round(rebin(counts, edges, target).T)
            np.testing.assert_array_equal(raster["z"], expected)
            assert raster["y"] == [low, high]
            assert raster["x"] == [0.0, 1.0]
            np.testing.assert_array_equal(raster["xlabels"], steps)
            top = raster["zmax"]
            assert top / 2 < max(expected.max(), 1) <= top and np.log2(top) % 1 == 0
            number = row * count + index + 1
            suffix = "" if number == 1 else str(number)
            assert raster["xref"] == f"x{suffix}" and raster["yref"] == f"y{suffix}"
            assert list(view.figure.layout[f"yaxis{suffix}"].range) == [low, high]
            assert ("δ" in raster["hover"]) == (quantity == "delta")
            assert f"<sup>{index + 1}</sup>" in raster["hover"]
    # Every column of the a histogram of layer 1 still holds the batch's count of values.
    total = probes[steps[-1]].layers[0].summaries["a"].counts.sum()
    column = rasters[0]["z"][:, -1]
    assert abs(int(column.sum()) - total) <= len(column) / 2  # re-binned, rounded to whole counts
    assert rasters[0]["y"][0] < 0 < rasters[0]["y"][1]  # tanh: negatives kept
    assert view.figure.layout[f"yaxis{2 * count + 1}"].type == "log"  # the gradient norms


def test_dead_fraction_and_gradient_norm_curves():
    view = LayerStatsView()
    view.update(probe_update(2, [layer(0, dead=0.25, grad=3.0), layer(1, dead=0.0, grad=0.5)]))
    view.update(probe_update(4, [layer(0, dead=0.5, grad=2.0), layer(1, dead=1.0, grad=0.1)]))
    view.update(probe_update(4, [layer(0, dead=0.9, grad=9.0), layer(1)]))  # same step: ignored
    view.update(RunnerUpdate(None, None, {}, {}, "running", "", 5, 0.0))  # no probe: nothing new
    data = view.figure.data
    assert len(data) == 4
    np.testing.assert_allclose(data[0].y, [3.0, 2.0])
    np.testing.assert_allclose(data[1].y, [0.5, 0.1])
    np.testing.assert_allclose(data[2].y, [0.25, 0.5])
    np.testing.assert_allclose(data[3].y, [0.0, 1.0])
    np.testing.assert_array_equal(data[2].x, [2, 4])
    assert "1% of its peak" in data[2].hovertemplate
    assert "1% of its peak" not in data[0].hovertemplate
    assert data[0].xaxis == "x5" and data[2].xaxis == "x6"  # after the 2 x 2 histogram axes
    assert view.figure.layout[f"yaxis{2 * 2 + 1}"].type == "log"  # the gradient norms


def test_layer_count_change_rebuilds_traces():
    view = LayerStatsView()
    view.update(probe_update(1, [layer(0), layer(1), layer(2)]))
    assert len(view.figure.data) == 2 * 3 and len(view.figure.rasters) == 2 * 3
    assert len(view.figure.layout.annotations) == 3 * 2 + 3  # titles and the steps note
    view.update(probe_update(2, [layer(0), layer(1)]))
    assert len(view.figure.data) == 2 * 2 and len(view.figure.rasters) == 2 * 2
    assert len(view.figure.layout.annotations) == 2 * 2 + 3
    assert "xaxis9" not in view.figure.layout.to_plotly_json()  # the 3-layer axes are gone
    np.testing.assert_array_equal(view.figure.data[0].x, [2])  # the old columns too
    assert view.figure.rasters[0]["xlabels"].tolist() == [2]
    assert view.figure.rasters[0]["z"].shape[1] == 1


def test_max_columns_and_clear():
    view = LayerStatsView(max_columns=10)
    for step in range(1, 51):
        view.update(probe_update(step, [layer(0, grad=step)]))
    np.testing.assert_array_equal(view.figure.data[0].x, np.arange(41, 51))
    np.testing.assert_allclose(view.figure.data[0].y, np.arange(41, 51))
    assert view.figure.rasters[0]["z"].shape == (2, 10)
    np.testing.assert_array_equal(view.figure.rasters[0]["xlabels"], np.arange(41, 51))
    view.update(RunnerUpdate(None, None, {}, {}, "idle", "", 0, 0.0))  # what reset() sends
    assert all(len(trace.x) == 0 for trace in view.figure.data)
    assert all(not raster["z"].any() for raster in view.figure.rasters)  # no counts left


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
    # Sent whole, a refresh is 6 histograms (a and delta) of 32 x 30 uint16, 6 curves of 30
    # float32 x and y and a little JSON: flat once the columns are full, however many steps
    # came before. Mostly the range stays put and only the newest columns go (scrolled).
    whole = 6 * 32 * 30 * 2 + 6 * 30 * 8
    assert max(sizes[step] for step in range(30, 161)) < whole + 4_000
    assert np.median([sizes[step] for step in range(30, 161)]) < whole / 4
    early, late = [sizes[step] for step in range(31, 61)], [sizes[step] for step in range(131, 161)]
    assert np.mean(late) <= 1.1 * np.mean(early)


def test_kept_histograms_after_the_ring_wraps_and_bins_change():
    view = LayerStatsView(quantities=("a",), max_columns=3)
    for step in range(1, 6):  # steps 3, 4, 5 stay: counts [step, 1] over [0, step]
        view.update(probe_update(step, [layer(0, a=([step, 1], [0, step / 2, step]))]))
    counts = np.array([[3, 1], [4, 1], [5, 1]], float)
    edges = np.array([[0, 1.5, 3], [0, 2, 4], [0, 2.5, 5]])
    # The data grew by one at every step: each time it left the range, which widened with room.
    shown = None
    for step in range(1, 6):
        shown = sticky_range(shown, 0, step)
    assert shown == (0.0, 6.0)  # [0, 4] and half of 4 above, then [0, 5] inside it
    expected = np.round(rebin(counts, edges, np.linspace(0, 6, 3)).T)
    raster = view.figure.rasters[0]
    np.testing.assert_array_equal(raster["z"], expected)
    assert raster["xlabels"].tolist() == [3, 4, 5] and raster["y"] == [0.0, 6.0]
    np.testing.assert_array_equal(view.figure.data[0].x, [3, 4, 5])
    # A probe with another bin count: only its column is drawn, the older ones are empty. Its
    # data, [0, 4], fills more than a third of the range shown: [0, 6] stays.
    view.update(probe_update(6, [layer(0, a=([1, 2, 3], [0, 1, 2, 4]))]))
    raster = view.figure.rasters[0]
    column = np.round(rebin(np.array([[1, 2, 3]], float), np.array([[0, 1, 2, 4]], float),
                            np.linspace(0, 6, 4)))[0]  # fmt: skip
    assert column.tolist() == [3, 3, 0]  # [0, 2): 1 + 2, [2, 4): 3
    np.testing.assert_array_equal(raster["z"], np.column_stack([[0, 0, 0], [0, 0, 0], column]))
    assert raster["y"] == [0.0, 6.0] and raster["xlabels"].tolist() == [4, 5, 6]
    # Data that spans less than a third of it (again a new bin count, drawn alone): the range
    # shrinks to the data's, with room.
    view.update(probe_update(7, [layer(0, a=([1, 2], [0, 0.75, 1.5]))]))
    raster = view.figure.rasters[0]
    assert raster["y"] == list(nice_range(-0.375, 1.875)) == [-0.5, 2.0]


def test_a_new_step_sends_only_what_changed():
    view = LayerStatsView()
    for step in range(1, 21):
        view.update(probe_update(step, [layer(0), layer(1)]))
    before = [raster["z"].copy() for raster in view.figure.rasters]
    messages = captured(view.figure, lambda: view.update(probe_update(21, [layer(0), layer(1)])))
    assert len(messages) == 1
    content, buffers = messages[0]
    assert content["op"] == "update"
    # Same histograms: the bins' range (y) and colour scales stay, the panels' axes too; the
    # steps grow, so the columns' steps, the note that names them and the curves change.
    assert content["traces"] == [0, 1, 2, 3] and set(content["restyle"]) == {"x", "y"}
    assert set(content["relayout"]) == {f"annotations[{view._window_note}].text"}
    assert "steps 1 to 21" in content["relayout"][f"annotations[{view._window_note}].text"]
    assert sorted(content["rasters"]) == [0, 1, 2, 3]
    for index, change in content["rasters"].items():
        assert set(change) == {"z", "xlabels"}
        assert change["xlabels"]["$d"] == "tail" and change["xlabels"]["keep"] == 20
        # z goes as its newest column only: the browser keeps the first 20.
        assert change["z"]["$d"] == "tail" and change["z"]["keep"] == 20
        reference = change["z"]["values"]
        assert reference["shape"] == "2,1" and reference["dtype"] == "uint8"
        column = np.frombuffer(buffers[reference["$b"]], np.uint8)
        z = view.figure.rasters[index]["z"]
        np.testing.assert_array_equal(column, z[:, -1])
        np.testing.assert_array_equal(z[:, :20], before[index])
    for key in ("x", "y"):  # the curves: one new point each
        assert all(
            value["$d"] == "tail" and value["keep"] == 20 for value in content["restyle"][key]
        )
    view.redraw()  # settle
    messages = captured(view.figure, view.redraw)  # nothing new: no data at all
    for content, buffers in messages:
        assert buffers == [] and content["restyle"] == {} and content["relayout"] == {}
        assert all(set(change) <= {"visible"} for change in content["rasters"].values())
    assert view.figure.rasters[0]["zmax"] == 4 and len(view.figure.rasters[0]["colorscale"]) == 12


def test_counts_that_do_not_fit_a_byte_go_as_uint16():
    view = LayerStatsView(quantities=("a",))
    view.update(probe_update(1, [layer(0, a=([300, 2], [-1, 0, 1]))]))
    z = view.figure.rasters[0]["z"]
    assert z.dtype == np.uint16 and z.max() == 300
