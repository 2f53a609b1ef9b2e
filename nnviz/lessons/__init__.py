"""The lessons' experiments, one module per lesson, named after it: forward_propagation (02),
backpropagation (03), gradient_descent and stochastic_descent (04), learning_rate (05),
optimizers (06), regularization (07), generalization (08), seed_example (09), scaling and
data_parallel (10). Each returns records the notebooks print or hand to nnviz.views; lesson 03's
are in records.py, numpy only, so views read them without torch. checks.py holds the argument
checks several lessons share.

May import: nnviz.core, nnviz.data, nnviz.training, nnviz.probes. Never plotly, ipywidgets,
views or dashboards: the notebooks put computation and pictures together.
"""
