"""WeightsView: heatmaps equal the records' W and b, zero counts, arrays=False note, rebuild on a
new layer count, clear, small refreshes."""

from __future__ import annotations

import numpy as np
from view_messages import sent_bytes

from nnviz.core.records import LayerRecord, ProbeRecord, RunnerUpdate
from nnviz.views.weights import WeightsView


def probe_update(step: int, layers) -> RunnerUpdate:
    return RunnerUpdate(
        None, ProbeRecord(step, 10, tuple(layers)), {}, {}, "running", "", step, 0.0
    )


def layer(index: int, weight, bias=None) -> LayerRecord:
    weight = None if weight is None else np.asarray(weight, np.float32)
    if bias is None and weight is not None:
        bias = np.zeros(weight.shape[0], np.float32)
    return LayerRecord(index, "relu", weight=weight, bias=bias)


def test_heatmaps_equal_the_records_weights_and_biases(spiral_updates):
    view = WeightsView()
    for update in spiral_updates:
        view.update(update)
    records = spiral_updates[-1].probe.layers
    assert len(view.figure.data) == 0  # rasters only
    assert len(view.figure.rasters) == 2 * len(records)
    for index, record in enumerate(records):
        weights, biases = view.figure.rasters[2 * index], view.figure.rasters[2 * index + 1]
        # Row j, column i is w_ij = W[j, i], kept as exact float32.
        assert weights["z"].dtype == biases["z"].dtype == np.float32
        np.testing.assert_array_equal(weights["z"], record.weight)
        np.testing.assert_array_equal(biases["z"][:, 0], record.bias)
        assert biases["z"].shape == (len(record.bias), 1)
        largest = np.float32(max(np.abs(record.weight).max(), np.abs(record.bias).max()))
        assert weights["zmax"] == biases["zmax"] == -weights["zmin"] == -biases["zmin"]
        assert np.float32(weights["zmax"]) == largest  # symmetric around 0
        assert weights["colorscale"][0][1] != weights["colorscale"][-1][1]
        assert weights["transform"] == "linear" and weights["levels"] is None
        n_out, n_in = record.weight.shape
        assert weights["x"] == [0.5, n_in + 0.5] and weights["y"] == [0.5, n_out + 0.5]
        assert biases["x"] == [0.5, 1.5] and biases["y"] == [0.5, n_out + 0.5]
        for axis, raster, columns in ((2 * index + 1, weights, n_in), (2 * index + 2, biases, 1)):
            suffix = "" if axis == 1 else str(axis)
            assert (raster["xref"], raster["yref"]) == (f"x{suffix}", f"y{suffix}")
            xaxis, yaxis = (
                view.figure.layout[f"xaxis{suffix}"],
                view.figure.layout[f"yaxis{suffix}"],
            )
            assert list(xaxis.range) == [0.5, columns + 0.5]
            assert list(yaxis.range) == [n_out + 0.5, 0.5]  # unit 1 on top
            assert xaxis.tick0 == yaxis.tick0 == 1 and xaxis.dtick >= 1 and yaxis.dtick >= 1
            assert float(xaxis.dtick).is_integer() and float(yaxis.dtick).is_integer()
        assert (
            f"|w| max {np.abs(record.weight).max():.3g}"
            in view.figure.layout.annotations[index].text
        )
    assert f"step {spiral_updates[-1].probe.step}" in view.figure.layout.title.text


def test_zero_weights_counted_on_a_hand_made_record():
    weight = [[0.0, 1.5], [-2.0, 0.0078125], [-0.00390625, 0.25]]  # |w| < 0.01 is near 0
    view = WeightsView()
    view.update(probe_update(7, [layer(0, weight, bias=[0.5, -0.5, 0.0]), layer(1, [[1, 2, 3]])]))
    titles = [annotation.text for annotation in view.figure.layout.annotations]
    assert "3 of 6 weights ≈ 0" in titles[0] and "|w| max 2" in titles[0]
    assert "0 of 3 weights ≈ 0" in titles[1] and "|w| max 3" in titles[1]
    rasters = view.figure.rasters
    np.testing.assert_array_equal(rasters[0]["z"], weight)
    np.testing.assert_array_equal(rasters[1]["z"], [[0.5], [-0.5], [0.0]])
    assert rasters[0]["zmin"] == -2 and rasters[0]["zmax"] == 2
    assert rasters[2]["zmin"] == -3 and rasters[3]["zmax"] == 3  # layer 2's own scale
    np.testing.assert_array_equal(rasters[3]["z"], [[0.0]])  # no bias given: zeros
    assert "w<sub>%{col},%{row}</sub><sup>1</sup> = %{z:.4g}" in rasters[0]["hover"]
    assert "b<sub>%{row}</sub><sup>2</sup>" in rasters[3]["hover"]
    assert view.figure.layout.xaxis.range == (0.5, 2.5)  # 2 inputs
    assert view.figure.layout.yaxis.range == (3.5, 0.5)  # 3 units, unit 1 on top
    assert view.figure.layout.xaxis3.range == (0.5, 3.5) and view.figure.layout.yaxis3.range == (
        1.5,
        0.5,
    )


def test_arrays_false_shows_a_note():
    view = WeightsView()
    view.update(probe_update(3, [layer(0, None), layer(1, None)]))
    titles = [annotation.text for annotation in view.figure.layout.annotations]
    assert all("arrays=False" in title for title in titles)


def test_layer_count_change_rebuilds_and_clear_empties():
    view = WeightsView()
    view.update(
        probe_update(
            1, [layer(0, np.ones((4, 2))), layer(1, np.ones((3, 4))), layer(2, [[1, 2, 3]])]
        )
    )
    assert len(view.figure.rasters) == 6 and len(view.figure.layout.annotations) == 3
    view.update(probe_update(2, [layer(0, np.ones((5, 2))), layer(1, [[1, 1, 1, 1, 1]])]))
    assert len(view.figure.rasters) == 4 and len(view.figure.layout.annotations) == 2
    assert "xaxis5" not in view.figure.layout.to_plotly_json()  # the third layer's axes are gone
    assert view.figure.rasters[0]["z"].shape == (5, 2)
    assert view.figure.rasters[0]["y"] == [0.5, 5.5]
    assert view.figure.layout.yaxis.range == (5.5, 0.5)
    # Same layer count, other shapes (a wider first layer): rebuilt to the new extents.
    view.update(probe_update(3, [layer(0, np.ones((6, 2))), layer(1, np.ones((1, 6)))]))
    assert view.figure.rasters[0]["z"].shape == (6, 2) and view.figure.rasters[0]["y"] == [0.5, 6.5]
    assert view.figure.rasters[2]["x"] == [0.5, 6.5]
    assert view.figure.layout.yaxis.range == (6.5, 0.5) and view.figure.layout.xaxis3.range == (
        0.5,
        6.5,
    )
    view.update(RunnerUpdate(None, None, {}, {}, "idle", "", 0, 0.0))  # what reset() sends
    assert len(view.figure.rasters) == 0 and len(view.figure.layout.annotations) == 0
    assert "no probe yet" in view.figure.layout.title.text


def test_one_refresh_is_small_and_does_not_grow():
    rng = np.random.default_rng(0)
    view = WeightsView()
    sizes = []
    for step in range(1, 101):
        shapes = [(8, 2), (8, 8), (1, 8)]
        layers = [
            layer(i, rng.normal(size=shape), rng.normal(size=shape[0]))
            for i, shape in enumerate(shapes)
        ]
        update = probe_update(step, layers)
        sizes.append(sent_bytes(view.figure, lambda update=update: view.update(update)))
    # 16 + 64 + 8 weights and 17 biases as raw float32 buffers (420 bytes), titles, zmin/zmax
    # and the message's JSON: about 1.6 KB; the first refresh sends the whole figure.
    assert min(sizes[1:]) > 105 * 4 and max(sizes[1:]) < 2_000 < sizes[0]
    assert np.mean(sizes[-20:]) <= 1.1 * np.mean(sizes[1:21])


def test_unchanged_titles_are_not_resent():
    view = WeightsView()
    view.update(probe_update(1, [layer(0, [[1.0, -2.0]]), layer(1, [[0.5]])]))
    sent: list = []
    assign_layout = view.figure.assign_layout
    view.figure.assign_layout = lambda values: sent.append(set(values)) or assign_layout(values)
    view.update(probe_update(2, [layer(0, [[1.0, -2.0]]), layer(1, [[0.0]])]))
    assert sent == [{"annotations[1].text", "title.text"}]  # layer 1's title is unchanged
    assert "1 of 1 weights ≈ 0" in view.figure.layout.annotations[1].text
    view.redraw()
    assert len(sent) == 1  # nothing changed: no layout edit at all
