"""The vocabulary every other folder shares: records (records.py: what the training side sends
the views), the callback hooks (callbacks.py) and what they may read of a trainer
(trainer_protocol.py), the MLP (model.py), activations and losses in torch (activations.py,
losses.py) and in numpy (numpy_forms.py, torch-free, for the numpy engine, the lessons and
nnviz.explain), bounded history (history.py) and argument checks in one message style
(checks.py).

May import: torch, numpy and each other. Never plotly, ipywidgets or any other nnviz folder.
"""
