"""Import plotly without its eager `import nbformat` (a side-effect import, before plotly).

plotly.io imports nbformat when it is imported, only to check nbformat's version later if a
figure is shown through a notebook renderer, which nnviz's widgets never do. Importing nbformat
loads jsonschema with every format checker, and one of them (rfc3987_syntax) compiles a grammar:
~1.5 s added to every kernel that shows a view, a lesson or a dashboard (-X importtime, here).

So plotly.io is imported here with nbformat marked unavailable to plotly's optional-import
helper, and then handed an nbformat module registered through importlib's LazyLoader (the recipe
in the importlib docs): it executes on first use, so `fig.show()` and `import nbformat` work as
before. Should plotly change these internals, this does nothing and plotly imports as usual.
"""

from __future__ import annotations

import importlib.util
import sys


def lazy_module(name: str) -> object | None:
    """`name` registered in sys.modules as a module that executes on first attribute access."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return None
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def import_plotly_io_without_nbformat() -> None:
    """Import plotly.io with nbformat deferred until plotly or anyone else uses it."""
    if "nbformat" in sys.modules or "plotly.io" in sys.modules:
        return
    from _plotly_utils import optional_imports  # type: ignore[import-untyped]  # no stubs

    skipped = getattr(optional_imports, "_not_importable", None)
    if not isinstance(skipped, set):
        return
    skipped.add("nbformat")
    try:
        import plotly.io._renderers as renderers
    finally:
        skipped.discard("nbformat")
    if getattr(renderers, "nbformat", False) is None:
        renderers.nbformat = lazy_module("nbformat")


import_plotly_io_without_nbformat()
