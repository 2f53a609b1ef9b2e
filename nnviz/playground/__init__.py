"""The Playground's settings: PlaygroundConfig (config.py: every control's value, with its round
trips through dicts and query strings), the menus and limits (options.py), the checks of each
value and of values that contradict each other (validation.py) and the plain PyTorch script it
exports (export.py, which reads a config but never imports config.py).

May import: nnviz.core, nnviz.data, nnviz.training. Never plotly, ipywidgets, views or dashboards.
"""
