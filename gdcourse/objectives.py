r"""Test functions :math:`J(\theta)` with analytic gradients.

Each objective is vectorised over leading axes: ``value(theta)`` takes
``theta`` of shape ``(..., d)`` and returns shape ``(...)``; ``grad(theta)``
returns shape ``(..., d)``. Each knows its minimiser(s), a plotting window and a
start point that shows its difficulty.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import checks

__all__ = ["Objective", "Quadratic", "Rosenbrock", "Beale", "Saddle", "StyblinskiTang",
           "OBJECTIVES", "get"]


@dataclass(frozen=True)
class Objective:
    """Base of the test functions.

    Attributes
    ----------
    name : str
        Short name used in menus and figure titles.
    window : tuple
        ``((x_min, x_max), (y_min, y_max))`` for contour plots.
    start : tuple
        A start point that shows the function's difficulty.
    min_value : float
        :math:`J^* = J(\\theta^*)`, the least value over the minimisers (``-inf`` when
        unbounded below). A run keeps it (:attr:`gdcourse.run.Trajectory.min_value`),
        and :func:`gdcourse.run.steps_to` and the loss plots measure :math:`J - J^*` from it.

    Your own objective needs only ``value(theta)`` and ``grad(theta)``, both taking
    ``theta`` of shape ``(..., d)`` (leading axes are configurations of a grid run);
    give it a ``min_value`` attribute and runs will know its :math:`J^*`.
    """

    name: str = field(init=False, default="")
    window: tuple = field(init=False, default=((-1.0, 1.0), (-1.0, 1.0)))
    start: tuple = field(init=False, default=(0.0, 0.0))

    def value(self, theta):  # pragma: no cover - abstract
        raise NotImplementedError

    def grad(self, theta):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def minima(self):
        """Minimisers as an array of shape ``(k, d)``; ``k = 0`` when unbounded below."""
        raise NotImplementedError  # pragma: no cover - abstract

    @property
    def min_value(self):
        """:math:`J^*`: the value at the best minimiser (``-inf`` when unbounded below)."""
        m = self.minima
        return float(np.min(self.value(m))) if len(m) else -np.inf

    def __call__(self, theta):
        return self.value(theta)


def _pair(gx, gy, theta):
    """Stack two partial derivatives into an array of ``theta``'s shape (faster than np.stack)."""
    out = np.empty(theta.shape)
    out[..., 0] = gx
    out[..., 1] = gy
    return out


def _xy(theta):
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape[-1:] != (2,):
        raise ValueError(f"Invalid theta shape: {theta.shape} (last axis must have length 2)")
    return theta[..., 0], theta[..., 1]


@dataclass(frozen=True)
class Quadratic(Objective):
    r"""A quadratic bowl with curvatures ``a`` along the axes: a ravine when they differ.

    .. math:: J(\theta) = \tfrac12 \sum_i a_i \theta_i^2

    The default, ``a = (0.1, 2.0)``, curves twenty times more steeply in
    :math:`\theta_2` than in :math:`\theta_1`: the ravine of the text's Images 2 and 3.
    """

    a: tuple = (0.1, 2.0)

    def __post_init__(self):
        a = np.asarray(self.a, dtype=np.float64)
        if a.ndim != 1 or not np.all(np.isfinite(a) & (a > 0)):
            raise ValueError(f"Invalid a: {self.a!r} (must be a sequence of finite numbers > 0)")
        object.__setattr__(self, "name", "ravine")
        object.__setattr__(self, "window", ((-10.0, 2.0), (-3.0, 3.0)))
        object.__setattr__(self, "start", (-9.0, 2.0) + (0.0,) * (len(a) - 2))

    def value(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        return 0.5 * np.sum(np.asarray(self.a) * theta**2, axis=-1)

    def grad(self, theta):
        return np.asarray(self.a) * np.asarray(theta, dtype=np.float64)

    @property
    def minima(self):
        return np.zeros((1, len(self.a)))


@dataclass(frozen=True)
class Rosenbrock(Objective):
    r"""Rosenbrock's banana valley.

    .. math:: J(x, y) = (a - x)^2 + b (y - x^2)^2,

    minimised at :math:`(a, a^2)`.
    """

    a: float = 1.0
    b: float = 100.0

    def __post_init__(self):
        object.__setattr__(self, "name", "rosenbrock")
        object.__setattr__(self, "window", ((-2.0, 2.0), (-1.0, 3.0)))
        object.__setattr__(self, "start", (-1.5, 2.0))

    def value(self, theta):
        x, y = _xy(theta)
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def grad(self, theta):
        x, y = _xy(theta)
        r = y - x**2
        return _pair(-2 * (self.a - x) - 4 * self.b * x * r, 2 * self.b * r, np.asarray(theta))

    @property
    def minima(self):
        return np.array([[self.a, self.a**2]])


# Beale's three terms are c_k - x + x y^k with these constants.
_BEALE_C = (1.5, 2.25, 2.625)


@dataclass(frozen=True)
class Beale(Objective):
    r"""Beale's function, the surface of the text's Image 5.

    .. math:: J(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2,

    minimised at :math:`(3, 0.5)`.
    """

    def __post_init__(self):
        object.__setattr__(self, "name", "beale")
        object.__setattr__(self, "window", ((-4.5, 4.5), (-4.5, 4.5)))
        object.__setattr__(self, "start", (1.0, 1.5))

    def value(self, theta):
        x, y = _xy(theta)
        return sum((c - x + x * y ** (k + 1)) ** 2 for k, c in enumerate(_BEALE_C))

    def grad(self, theta):
        x, y = _xy(theta)
        gx = gy = 0.0
        for k, c in enumerate(_BEALE_C):
            p = k + 1
            r = c - x + x * y**p
            gx = gx + 2 * r * (y**p - 1)
            gy = gy + 2 * r * p * x * y ** (p - 1)
        return _pair(gx, gy, np.asarray(theta))

    @property
    def minima(self):
        return np.array([[3.0, 0.5]])


@dataclass(frozen=True)
class Saddle(Objective):
    r"""The saddle of the text's Image 6.

    .. math:: J(x, y) = x^2 - y^2

    The origin is a saddle point: :math:`x` slopes up, :math:`y` slopes down, and
    the gradient vanishes there. The function is unbounded below, so it has no
    minimiser. The start point sits a hair off the ridge :math:`y = 0`.
    """

    def __post_init__(self):
        object.__setattr__(self, "name", "saddle")
        object.__setattr__(self, "window", ((-1.5, 1.5), (-1.5, 1.5)))
        object.__setattr__(self, "start", (1.0, 1e-3))

    def value(self, theta):
        x, y = _xy(theta)
        return x**2 - y**2

    def grad(self, theta):
        x, y = _xy(theta)
        return _pair(2 * x, -2 * y, np.asarray(theta))

    @property
    def minima(self):
        return np.empty((0, 2))

    @property
    def saddle_points(self):
        """The stationary points that are not minima."""
        return np.zeros((1, 2))


# Stationary points of x^4 - 16x^2 + 5x per coordinate: the two minima, global first.
_ST_ROOTS = np.sort(np.roots([4.0, 0.0, -32.0, 5.0]).real)[[0, 2]]


@dataclass(frozen=True)
class StyblinskiTang(Objective):
    r"""Styblinski–Tang in two dimensions: four local minima, one of them global.

    .. math:: J(x, y) = \tfrac12 \left[(x^4 - 16x^2 + 5x) + (y^4 - 16y^2 + 5y)\right]

    Each coordinate has a deep minimum at :math:`\approx -2.9035` and a shallower
    one at :math:`\approx 2.7468` (roots of :math:`4s^3 - 32s + 5 = 0`), so the four
    combinations are local minima and :math:`(-2.9035, -2.9035)` is the global one.
    """

    def __post_init__(self):
        object.__setattr__(self, "name", "styblinski-tang")
        object.__setattr__(self, "window", ((-5.0, 5.0), (-5.0, 5.0)))
        object.__setattr__(self, "start", (0.5, 0.5))

    def value(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        _xy(theta)
        return 0.5 * np.sum(theta**4 - 16 * theta**2 + 5 * theta, axis=-1)

    def grad(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        _xy(theta)
        return 0.5 * (4 * theta**3 - 32 * theta + 5)

    @property
    def minima(self):
        """The four local minima, the global one first."""
        g, l = _ST_ROOTS
        return np.array([[g, g], [g, l], [l, g], [l, l]])


#: One instance of each objective, by name.
OBJECTIVES = {o.name: o for o in (Quadratic(), Rosenbrock(), Beale(), Saddle(), StyblinskiTang())}


def get(name):
    """The objective called ``name`` (one of :data:`OBJECTIVES`)."""
    if name not in OBJECTIVES:
        raise ValueError(f"Invalid objective: {name!r} (must be one of {', '.join(OBJECTIVES)})")
    return OBJECTIVES[name]


# --- Online losses: a sequence f_1, f_2, ... instead of one J (the AMSGrad chapter) --------

__all__ += ["PeriodicLinear"]


@dataclass(frozen=True)
class PeriodicLinear:
    r"""Reddi et al.'s (2018) online problem: linear losses with a rare, large gradient.

    .. math::
        f_t(x) = \begin{cases} C\,x & t \bmod p = 1 \\ s\,x & \text{otherwise} \end{cases},
        \qquad x \in [-1, 1]

    Every ``period`` (:math:`p`) steps one loss has the large gradient
    :math:`C > 0`; the :math:`p - 1` others have the small gradient :math:`s`.
    Summed over a period the gradient is :math:`C + (p - 1) s`: when it is
    positive the best fixed point is :math:`x^* = -1`, otherwise :math:`x^* = 1`.
    The paper's constants are :math:`C = 1010`, :math:`p = 101`, :math:`s = -10`
    (a period sums to 10 > 0, so :math:`x^* = -1`, while 100 of every 101
    gradients push towards :math:`+1`).

    ``grad(t, x)`` and ``value(t, x)`` follow :func:`gdcourse.run.run_online`'s
    ``grad_t`` and ``loss_t``; ``t`` may be an array of steps in
    :meth:`coefficient` and :meth:`value`.
    """

    C: float = 1010.0
    period: int = 101
    small: float = -10.0
    lo = -1.0
    hi = 1.0

    def __post_init__(self):
        checks.real("C", self.C, lo=0.0, strict=True)
        checks.integer("period", self.period, 2)
        checks.real("small", self.small, lo=-np.inf, allowed="must be a finite number")

    def coefficient(self, t):
        r"""The gradient :math:`\nabla f_t` (the same at every x), for a step or an array of steps."""
        t = np.asarray(t)
        return np.where(t % self.period == 1, float(self.C), float(self.small))[()]

    def grad(self, t, x):
        r""":math:`\nabla f_t(x)`: the coefficient of step ``t`` in the shape of ``x``."""
        return np.full(np.shape(x), self.C if t % self.period == 1 else self.small, dtype=np.float64)

    def value(self, t, x):
        r""":math:`f_t(x)`, summed over the last axis of ``x``; ``t`` broadcasts against ``x``'s leading axes."""
        x = np.asarray(x, dtype=np.float64)
        if isinstance(t, (int, np.integer)):
            # One step at a time (an online run calls this at every step): no array for t.
            return (self.C if t % self.period == 1 else self.small) * x.sum(axis=-1)
        return self.coefficient(t) * x.sum(axis=-1)

    @property
    def period_sum(self):
        r"""The gradient summed over one period, :math:`C + (p - 1) s`."""
        return self.C + (self.period - 1) * self.small

    @property
    def x_star(self):
        r"""The best fixed point over whole periods: :math:`-1` if :meth:`period_sum` > 0, else :math:`+1`."""
        return self.lo if self.period_sum > 0 else self.hi
