"""Training: the Trainer (one update of mini-batch gradient descent per step), its engines behind
one interface (engine.py; autograd_engine.py, and numpy_engine.py for the seed's equations written
out; compatibility.py says which "auto" picks), its checks (configuration.py) and divergence
detection (divergence.py), and the Runner that trains on a thread (runner.py, with control.py,
training_loop.py, publishing.py and status.py) and publishes records to subscribers.

May import: nnviz.core, nnviz.data, torch, numpy. Never probes, views, dashboards or plotly.
"""
