"""The explorers moved to :mod:`gdcourse.explorers` (one definition, live and on the page).

``widgets.explore`` remains for chapters not yet moved: it is :func:`gdcourse.explorers.paths`
with η given as a value per rule, as before.
"""
from __future__ import annotations

from .explorers import paths
from .optimizers import RULES

__all__ = ["explore", "RULES"]


def explore(rules=("SGD", "Momentum"), objective="ravine", steps=100, lr=None, shared=None, play=False):
    """:func:`gdcourse.explorers.paths`, as the chapters called it before."""
    return paths(list(rules), objective, steps=steps, lr=lr, shared=shared, play=play)
