"""Dashboards: the Playground and nnviz.live, built from views and a Runner."""

from nnviz.dashboard.forward import ForwardExplorer
from nnviz.dashboard.live import LiveRun, live
from nnviz.dashboard.playground import Playground
from nnviz.dashboard.run_controls import RunControls

__all__ = ["ForwardExplorer", "LiveRun", "Playground", "RunControls", "live"]
