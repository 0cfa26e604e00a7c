"""The explorers moved to :mod:`gdcourse.explorers` (one definition, live and on the page).

``widgets.explore`` remains for chapters not yet moved: it is :func:`gdcourse.explorers.paths`
with η given as a value per rule, as before.
"""
from __future__ import annotations

import numpy as np

from .explorers import paths
from .optimizers import RULES

__all__ = ["explore", "explore_online", "RULES"]


def explore(rules=("SGD", "Momentum"), objective="ravine", steps=100, lr=None, shared=None, play=False):
    """:func:`gdcourse.explorers.paths`, as the chapters called it before."""
    return paths(list(rules), objective, steps=steps, lr=lr, shared=shared, play=play)


def explore_online(rules=("Adam", "AMSGrad"), **kwargs):
    """:func:`gdcourse.explorers.online`, with ``figure()``: the current runs as a static figure."""
    from matplotlib.figure import Figure

    from . import plotting
    from .explorers import online

    ex = online(rules, **kwargs)

    def figure():
        fig = Figure(figsize=(10, 3.6), layout="constrained")
        ax = fig.subplots()
        runs = ex.runs
        plotting.plot_curves(ax, {r: (np.arange(len(run.xs)), run.xs[:, 0]) for r, run in runs.items()},
                             "step t", "xₜ")
        ax.set_ylim(-1.08, 1.08)
        ax.legend(fontsize=8)
        return fig

    ex.figure = figure
    return ex
