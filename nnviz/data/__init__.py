"""Data sets: the Dataset container and make_dataset (dataset.py), the Playground's generators
circle, xor, gauss, spiral, plane, multi_gauss, moons, random and digits (generators.py), and
`from_arrays` for your own arrays (arrays.py).

May import: nnviz.core, torch, numpy. Never the training side above it, plotly or ipywidgets.
"""
