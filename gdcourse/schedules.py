r"""Learning-rate schedules: annealing :math:`\eta_t` by a rule fixed in advance.

A schedule is a callable ``schedule(t) -> lr`` for steps ``t = 1, 2, …``; pass it
to :func:`gdcourse.run.run` or set ``optimizer.lr = schedule(t)`` yourself.
Every schedule accepts an array ``t`` too, which is how the figures draw them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks

__all__ = ["Constant", "StepDecay", "ExponentialDecay", "InverseTimeDecay"]


def _positive(name, value):
    if np.ndim(value) != 0:
        raise ValueError(f"Invalid {name}: {value!r} (must be a finite number > 0)")
    checks.real(name, value, lo=0.0, strict=True)


@dataclass(frozen=True)
class Constant:
    r""":math:`\eta_t = \eta_0`."""

    lr0: float

    def __post_init__(self):
        _positive("lr0", self.lr0)

    def __call__(self, t):
        return self.lr0 * np.ones_like(np.asarray(t, dtype=np.float64))[()]


@dataclass(frozen=True)
class StepDecay:
    r"""Drop by a factor every few steps: :math:`\eta_t = \eta_0 \cdot
    \text{drop}^{\lfloor (t-1)/\text{every} \rfloor}`."""

    lr0: float
    drop: float = 0.5
    every: int = 10

    def __post_init__(self):
        _positive("lr0", self.lr0)
        checks.real("drop", self.drop, lo=0.0, strict=True, hi=1.0, allowed="must be in (0, 1]")
        checks.integer("every", self.every, 1)

    def __call__(self, t):
        return self.lr0 * self.drop ** ((np.asarray(t) - 1) // self.every)


@dataclass(frozen=True)
class ExponentialDecay:
    r""":math:`\eta_t = \eta_0 e^{-k (t-1)}`."""

    lr0: float
    k: float = 0.01

    def __post_init__(self):
        _positive("lr0", self.lr0)
        _positive("k", self.k)

    def __call__(self, t):
        return self.lr0 * np.exp(-self.k * (np.asarray(t, dtype=np.float64) - 1))


@dataclass(frozen=True)
class InverseTimeDecay:
    r"""The 1/t schedule of stochastic approximation (Robbins & Monro):
    :math:`\eta_t = \eta_0 / (1 + k (t-1))`."""

    lr0: float
    k: float = 0.1

    def __post_init__(self):
        _positive("lr0", self.lr0)
        _positive("k", self.k)

    def __call__(self, t):
        return self.lr0 / (1 + self.k * (np.asarray(t, dtype=np.float64) - 1))
