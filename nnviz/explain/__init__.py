"""The seed's equations filled in with a network's own numbers: explain_neuron (neuron.py: one
neuron's a_j^l = sigma(sum_i w_ij^l a_i^(l-1) + b_j^l) and delta_j^l), explain_forward (forward.py:
a whole pass), both written by writer.py in text, LaTeX or markdown.

May import: nnviz.core and numpy. Never torch at import time, plotly or ipywidgets: views use it.
"""
