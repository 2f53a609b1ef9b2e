"""The Playground's settings: PlaygroundConfig (every control's value, validated, with its
round trips through dicts and query strings) and the plain PyTorch script it exports.

May import: nnviz.core, nnviz.data, nnviz.training. Never plotly, ipywidgets, views or dashboards.
"""
