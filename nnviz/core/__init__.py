"""The vocabulary every other folder shares: records (what the training side sends the views),
the callback hooks, the MLP, activations and losses, bounded history, and argument checks.

May import: torch, numpy and each other. Never plotly, ipywidgets or any other nnviz folder.
"""
