"""Probes: callbacks that watch a Trainer and turn what it computes into records. LayerProbe
(layer.py) streams a, z, delta and gradients per layer: copied each sampled step into a device
buffer (buffer.py), reduced there to statistics and histograms (reduction.py), kept as records
(probe_history.py). FieldProbe (field.py) evaluates the network on a grid for the decision
boundary.

May import: nnviz.core, nnviz.data, nnviz.training, torch, numpy. Never views, dashboards or plotly.
"""
