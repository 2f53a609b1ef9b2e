"""Training: the Trainer (one update of mini-batch gradient descent per step), its engines
(autograd, and numpy for the seed's equations written out), and the Runner that trains on a
thread and publishes records to subscribers.

May import: nnviz.core, nnviz.data, torch, numpy. Never probes, views, dashboards or plotly.
"""
