"""Probes: callbacks that watch a Trainer and turn what it computes into records. LayerProbe
streams a, z, delta and gradients per layer (reduced to statistics and histograms); FieldProbe
evaluates the network on a grid for the decision boundary.

May import: nnviz.core, nnviz.data, nnviz.training, torch, numpy. Never views, dashboards or plotly.
"""
