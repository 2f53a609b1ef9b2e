"""Dashboards: the Playground (playground.py; where its parts go on the page in
playground_layout.py; its controls in controls.py), nnviz.live (live.py), the run controls
(run_controls.py: Play, Pause, Step, the status line) and lesson 02's ForwardExplorer (forward.py),
built from views, a Runner and ipywidgets.

May import: everything in nnviz. Nothing in nnviz imports it, except the lazy public names.
"""

from nnviz.dashboard.forward import ForwardExplorer
from nnviz.dashboard.live import LiveRun, live
from nnviz.dashboard.playground import Playground
from nnviz.dashboard.run_controls import RunControls

__all__ = ["ForwardExplorer", "LiveRun", "Playground", "RunControls", "live"]
