"""The kernel-free explorers moved to :mod:`gdcourse.explorers`, which draws each explorer once,
live in Jupyter and without a kernel on the page. ``playable.path_explorer`` remains for chapters
not yet moved: it returns :func:`gdcourse.explorers.paths`, and its ``spec["datasets"]["status"]``
lists the page's status lines as ``{"r": rule, "l": log₁₀ η, "p": shared value, "m": message}``.
"""
from __future__ import annotations

import numpy as np

from .explorers import online_explorer, paths

__all__ = ["path_explorer", "online_explorer"]


def path_explorer(rules, objective="ravine", steps=60, lr=None, param=None, start=None, param_rules=None):
    """:func:`gdcourse.explorers.paths` with ``lr`` as rule -> ``(lo, hi, default)`` in log₁₀ η."""
    shared = {param[0]: (tuple(np.asarray(param[1], dtype=float)), param[2])} if param else None
    ex = paths(list(rules), objective, steps=steps, lr=lr, shared=shared, param_rules=param_rules)
    rows = []
    for st in ex.page_data()["status"]:
        rule = st["m"].split(":")[0]
        row = {"r": rule, "m": st["m"], "l": None, "p": None}
        for name, pos in st["k"].items():
            value = ex.controls[name].values[pos]
            row["l" if name.startswith("lr_") else "p"] = value
        rows.append(row)
    ex.spec = {"datasets": {"status": rows}}
    return ex
