"""Data sets: the Dataset container, the Playground's generators (circle, xor, gauss, spiral,
plane, multi_gauss, moons, random, digits) and `from_arrays` for your own arrays.

May import: nnviz.core, torch, numpy. Never the training side above it, plotly or ipywidgets.
"""
