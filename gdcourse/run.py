r"""Run an optimizer from a start point: trajectory, losses and divergence.

Every runner takes the optimizer (or rule) first, then the objective:
``run(optimizer, objective, theta0, steps)``, ``run_many(optimizers, objective, …)``,
``run_grid(rule, objective, …)``, ``best_lr(rule, objective, …)``. ``gdcourse.run``
is this module and can also be called as the function: ``gdcourse.run(opt, obj, θ0, steps)``
is ``gdcourse.run.run(opt, obj, θ0, steps)``.

The optimizer may be one of the ten rules or your own: anything with ``reset()``
and ``step(theta, grad_fn)`` (returning the next θ, an array of θ's shape) runs
here (see :mod:`gdcourse.optimizers`, "Your own rule").

A run that diverges (non-finite :math:`\theta` or loss, or :math:`\|\theta\|`
beyond ``bound``) is a result, not an error: :attr:`Trajectory.diverged_at` says
at which step, and the trajectory stops there (later entries are NaN).
"""
from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import numpy as np

from . import checks
from .optimizers import RULES, _kind, is_optimizer, make, rule_class

__all__ = ["Trajectory", "diverged", "run", "run_grid", "run_many", "OnlineRun", "run_online",
           "steps_to", "best_lr", "feed"]


@dataclass
class Trajectory:
    """What a run produced.

    Attributes
    ----------
    thetas : ndarray, shape (steps + 1, ..., d)
        :math:`\\theta_0, \\theta_1, \\dots`; NaN after divergence.
    losses : ndarray, shape (steps + 1, ...)
        :math:`J(\\theta_t)`; NaN after divergence.
    diverged_at : int or ndarray of int
        Step at which the run diverged, ``-1`` where it did not (one entry per
        configuration of a grid run).
    min_value : float or None
        :math:`J^*`, the objective's minimum value (its ``min_value``), where the
        objective knows it; :func:`steps_to` and the loss plots read it from here.
    """

    thetas: np.ndarray
    losses: np.ndarray
    diverged_at: object
    min_value: object = None

    @property
    def gap(self):
        """:math:`J(\\theta_t) - J^*` (needs :attr:`min_value`)."""
        if self.min_value is None:
            raise ValueError("Invalid trajectory: min_value is unknown (the objective has no min_value)")
        return self.losses - self.min_value

    @property
    def diverged(self):
        """True where the run diverged."""
        return np.asarray(self.diverged_at) >= 0

    @property
    def final(self):
        """The last finite :math:`\\theta` of each configuration."""
        return self.thetas[self.last_index, ...] if np.ndim(self.diverged_at) == 0 else \
            np.take_along_axis(self.thetas, self.last_index[None, ..., None], axis=0)[0]

    @property
    def final_loss(self):
        """The last finite loss of each configuration."""
        return self.losses[self.last_index] if np.ndim(self.diverged_at) == 0 else \
            np.take_along_axis(self.losses, self.last_index[None], axis=0)[0]

    @property
    def last_index(self):
        """Index of the last finite step of each configuration."""
        d = np.asarray(self.diverged_at)
        return np.where(d >= 0, d - 1, len(self.losses) - 1)

    def describe(self):
        """A line for a figure or a report: ``diverged at step k`` or the final loss."""
        if np.ndim(self.diverged_at) == 0:
            if self.diverged_at >= 0:
                return f"diverged at step {self.diverged_at}"
            return f"loss {self.final_loss:.3g} after {len(self.losses) - 1} steps"
        return f"{int(np.sum(self.diverged))} of {np.size(self.diverged_at)} configurations diverged"


def diverged(theta, loss, bound=1e6):
    """True where the loss is not finite or :math:`\\|\\theta\\|_\\infty` is not finite or exceeds ``bound``."""
    return ~np.isfinite(loss) | ~np.all(np.isfinite(theta) & (np.abs(theta) <= bound), axis=-1)


def _check_steps(steps):
    checks.integer("steps", steps, 0)


def _check_optimizer(optimizer, objective, func="run"):
    """A ``ValueError`` naming the expected type, with the call order, for a wrong optimizer."""
    if not is_optimizer(optimizer):
        hint = ""
        if hasattr(optimizer, "grad") and is_optimizer(objective):
            hint = f"; the order is {func}(optimizer, objective, theta0, steps)"
        raise ValueError(f"Invalid optimizer: expected an optimizer (anything with reset() and "
                         f"step(theta, grad_fn)), got {_kind(optimizer)}{hint}")


def _check_objective(objective, grad_fn):
    if is_optimizer(objective) or not (hasattr(objective, "value") or callable(objective)):
        raise ValueError(f"Invalid objective: expected an objective (with value(theta) and grad(theta)) "
                         f"or a loss function J(theta), got {_kind(objective)}")
    if grad_fn is None and not callable(getattr(objective, "grad", None)):
        raise ValueError(f"Invalid objective: {_kind(objective)} has no grad(theta); pass grad_fn=")


def _checked_step(optimizer, theta, grad_fn, t):
    """One step, with what it returned checked: a new float array of θ's shape (or θ broadcast)."""
    new = optimizer.step(theta.copy(), grad_fn)
    name = f"{type(optimizer).__name__}.step"
    if new is None:
        raise ValueError(f"Invalid step: {name} returned None at step {t} (must return the new θ, "
                         f"an array of shape {theta.shape})")
    try:
        new = np.array(new, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid step: {name} returned {type(new).__name__} at step {t} "
                         f"(must return the new θ, an array of shape {theta.shape})") from None
    # A grid's hyperparameters may add leading axes at the first step; nothing else may change the shape.
    ok = new.shape == theta.shape or (t == 1 and new.ndim > theta.ndim
                                      and new.shape[new.ndim - theta.ndim:] == theta.shape)
    if not ok:
        raise ValueError(f"Invalid step: {name} returned an array of shape {new.shape} at step {t} "
                         f"(must return the new θ, an array of θ's shape {theta.shape})")
    return new


def run(optimizer, objective, theta0, steps, *, grad_fn=None, schedule=None, bound=1e6):
    r"""Run ``optimizer`` on ``objective`` for ``steps`` steps from ``theta0``.

    Parameters
    ----------
    optimizer : Optimizer, or anything with ``reset()`` and ``step(theta, grad_fn)``
        One of the ten rules, or your own rule: ``step`` gets a copy of
        :math:`\theta_t` and the gradient function and returns
        :math:`\theta_{t+1}`, an array of :math:`\theta`'s shape (anything else
        is a ``ValueError``). It is reset before the run starts.
    objective : Objective or callable
        Anything with ``value(theta)`` and ``grad(theta)``; or a loss function
        ``J(theta)``, with its gradient passed as ``grad_fn``.
    theta0 : array_like, shape (..., d)
        Start point(s). Leading axes are configurations of a grid run.
    steps : int
        Number of updates.
    grad_fn : callable, optional
        :math:`\nabla J`; defaults to ``objective.grad``.
    schedule : callable, optional
        ``schedule(t)`` gives the learning rate of step ``t = 1, 2, …``
        (see :mod:`gdcourse.schedules`).
    bound : float
        A run whose :math:`\|\theta\|_\infty` exceeds ``bound`` counts as diverged.

    Returns
    -------
    Trajectory
        Every θ in it is a copy: nothing the optimizer does later changes it, nor ``theta0``.
        It carries the objective's :math:`J^*` as ``min_value`` where the objective has one.

    Examples
    --------
    Your own rule needs only ``reset`` and ``step``::

        class MyRMSprop:
            def __init__(self, lr=0.01, gamma=0.9, eps=1e-8):
                self.lr, self.gamma, self.eps = lr, gamma, eps
            def reset(self):
                self.Eg2 = 0.0
            def step(self, theta, grad_fn):
                g = grad_fn(theta)
                self.Eg2 = self.gamma * self.Eg2 + (1 - self.gamma) * g**2
                return theta - self.lr / np.sqrt(self.Eg2 + self.eps) * g

        traj = run(MyRMSprop(), Rosenbrock(), (-1.5, 2.0), 500)

    To subclass :class:`gdcourse.optimizers.Optimizer` instead, write its hook
    ``update(self, theta, grad_fn, s)``; see :mod:`gdcourse.optimizers`.
    """
    _check_optimizer(optimizer, objective)
    _check_objective(objective, grad_fn)
    _check_steps(steps)
    checks.real("bound", bound, lo=0.0, strict=True)
    loss_fn = objective.value if hasattr(objective, "value") else objective
    grad_fn = grad_fn if grad_fn is not None else objective.grad
    theta = np.array(theta0, dtype=np.float64)
    if theta.ndim == 0:
        raise ValueError(f"Invalid theta0: {theta0!r} (must be an array of shape (d,) or (..., d))")
    optimizer.reset()

    thetas = [theta]
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            if schedule is not None:
                optimizer.lr = schedule(t)
            theta = _checked_step(optimizer, theta, grad_fn, t)
            thetas.append(theta)
            # Stop early once every configuration has diverged (checked now and then:
            # the exact step of divergence is found once, below).
            if t % 16 == 0 and np.all(diverged(theta, 0.0, bound)):
                break
        thetas = np.stack(np.broadcast_arrays(*thetas))
        losses = np.asarray(loss_fn(thetas), dtype=np.float64)
    bad = diverged(thetas, losses, bound)
    diverged_at = np.where(bad.any(axis=0), bad.argmax(axis=0), -1)
    # Once diverged, a configuration stays NaN: nothing after it is plotted.
    dead = (np.arange(len(thetas)).reshape(-1, *[1] * diverged_at.ndim) >= diverged_at) & (diverged_at >= 0)
    thetas = np.where(dead[..., None], np.nan, thetas)
    losses = np.where(dead, np.nan, losses)
    n_pad = steps + 1 - len(thetas)
    thetas = np.concatenate([thetas, np.full((n_pad, *thetas.shape[1:]), np.nan)])
    losses = np.concatenate([losses, np.full((n_pad, *losses.shape[1:]), np.nan)])
    min_value = getattr(objective, "min_value", None)
    min_value = float(min_value) if min_value is not None and np.isfinite(min_value) else None
    return Trajectory(thetas, losses, int(diverged_at) if diverged_at.ndim == 0 else diverged_at, min_value)


def run_grid(rule, objective, theta0, steps, **hyperparams):
    r"""Run one rule at many hyperparameter settings with one vectorised call.

    Each hyperparameter may be a 1-D array; all given arrays must have the same
    length n (scalars are shared). Returns a :class:`Trajectory` whose leading
    configuration axis has length n, equal to n single runs.

    Parameters
    ----------
    rule : str or type
        A rule of :data:`gdcourse.optimizers.RULES` by name, its class, or your own
        rule's class: anything that takes the hyperparameters as keyword arguments
        and builds an optimizer whose ``step`` works with hyperparameters of shape
        ``(n, 1)`` against θ of shape ``(n, d)`` (every :class:`Optimizer` subclass
        written with numpy operations does).
    """
    if isinstance(rule, str) or (isinstance(rule, type) and issubclass(rule, tuple(RULES.values()))):
        rule_class(rule)
        build = lambda **hp: make(rule, **hp)
    elif isinstance(rule, type):
        build = rule
    else:
        raise ValueError(f"Invalid rule: {rule!r} (must be one of {', '.join(RULES)}, or a rule's class; "
                         f"got {_kind(rule)})")
    lengths = {k: np.size(v) for k, v in hyperparams.items() if np.ndim(v) > 0}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"Invalid grid: hyperparameter lengths {lengths} (must all be equal)")
    n = next(iter(lengths.values()), 1)
    columns = {k: (np.asarray(v, dtype=np.float64).reshape(n, 1) if np.ndim(v) > 0 else v)
               for k, v in hyperparams.items()}
    theta0 = np.broadcast_to(np.asarray(theta0, dtype=np.float64), (n, np.shape(theta0)[-1]))
    optimizer = build(**columns)
    _check_optimizer(optimizer, objective, "run_grid")
    return run(optimizer, objective, theta0.copy(), steps)


def run_many(optimizers, objective, theta0, steps, **kwargs):
    """Run each optimizer of ``optimizers`` (label -> optimizer) from the same start.

    Returns a dict label -> :class:`Trajectory` in the same order, ready for
    :func:`gdcourse.plotting.path_figure`. Any optimizer :func:`run` takes works.
    """
    if not isinstance(optimizers, dict):
        raise ValueError(f"Invalid optimizers: expected a dict label -> optimizer, got {_kind(optimizers)}")
    return {name: run(opt, objective, theta0, steps, **kwargs) for name, opt in optimizers.items()}


# --- Online learning with projection (the AMSGrad chapter) -------------------------------


@dataclass
class OnlineRun:
    r"""What :func:`run_online` produced.

    Attributes
    ----------
    xs : ndarray, shape (steps + 1, ..., d)
        The iterates :math:`x_1, x_2, \dots, x_{T+1}`: ``xs[0]`` is the start
        point and ``xs[t]`` the point after ``t`` projected updates.
    losses : ndarray, shape (steps, ...) or None
        :math:`f_t(x_t)` for :math:`t = 1, \dots, T` (``losses[t - 1]``), summed
        over the last axis of ``x``; ``None`` unless ``loss_t`` was given.
    loss_t : callable or None
        The loss sequence of the run, kept for :meth:`regret`.
    """

    xs: np.ndarray
    losses: object
    loss_t: object = None

    def regret(self, x_star):
        r"""Regret against the fixed point ``x_star``, after every step.

        .. math:: R_T = \sum_{t=1}^{T} f_t(x_t) - \sum_{t=1}^{T} f_t(x^*)

        Returns an array of shape ``(steps, ...)`` whose entry ``T - 1`` is :math:`R_T`;
        divide by :math:`T` for the average regret :math:`R_T / T`.
        """
        if self.loss_t is None:
            raise ValueError("Invalid run: no losses recorded (pass loss_t to run_online)")
        x_star = np.asarray(x_star, dtype=np.float64)
        if x_star.ndim == 0:
            x_star = np.broadcast_to(x_star, self.xs.shape[-1:])
        best = np.stack([np.asarray(self.loss_t(t, x_star), dtype=np.float64)
                         for t in range(1, len(self.xs))]) if len(self.xs) > 1 else np.zeros(0)
        best = best.reshape(best.shape[:1] + (1,) * (self.losses.ndim - best.ndim) + best.shape[1:])
        return np.cumsum(self.losses - best, axis=0)

    def average_regret(self, x_star):
        r""":math:`R_T / T` for :math:`T = 1, \dots, \text{steps}` (see :meth:`regret`)."""
        R = self.regret(x_star)
        return R / np.arange(1, len(R) + 1).reshape(-1, *[1] * (R.ndim - 1))


def run_online(optimizer, grad_t, x0, steps, lo, hi, *, loss_t=None, schedule=None):
    r"""Run ``optimizer`` on a sequence of losses :math:`f_1, f_2, \dots`, projecting onto :math:`[lo, hi]`.

    Online learning as in Reddi et al. (2018): at step :math:`t` the learner
    plays :math:`x_t`, receives :math:`g_t = \nabla f_t(x_t)` and updates, and
    the new point is projected back onto the box :math:`\mathcal F = [lo, hi]^d`:

    .. math:: x_{t+1} = \Pi_{\mathcal F}\bigl(x_t - \Delta_t(g_1, \dots, g_t)\bigr),
              \qquad \Pi_{\mathcal F}(y) = \min(\max(y, lo), hi)

    where :math:`\Delta_t` is the optimizer's step. On a box the Euclidean
    projection and the :math:`\sqrt{\hat v_t}`-weighted projection of the paper
    coincide (both clip each coordinate), so clipping is exact for every rule.

    Parameters
    ----------
    optimizer : gdcourse.optimizers.Optimizer
        Reset before the run starts. Its state keeps running across projections
        (anything with ``reset()``, ``step(theta, grad_fn)`` and ``hyperparams``
        works, e.g. a :class:`gdcourse.optimizers.Recorder`).
    grad_t : callable
        ``grad_t(t, x)`` returns :math:`\nabla f_t(x)` for ``t = 1, 2, …``, shape of ``x``.
    x0 : array_like, shape (..., d)
        Start point :math:`x_1`, inside the box. Leading axes are configurations.
    steps : int
        Number of updates :math:`T`.
    lo, hi : float
        The interval :math:`[lo, hi]` (``lo < hi``) each coordinate is kept in.
    loss_t : callable, optional
        ``loss_t(t, x)`` returns :math:`f_t(x)` (summed over the last axis of ``x``);
        given, the losses are recorded and :meth:`OnlineRun.regret` works.
    schedule : callable, optional
        ``schedule(t)`` gives the learning rate of step ``t``, e.g. :math:`\eta/\sqrt t`
        (of the shape of the optimizer's ``lr``).

    Returns
    -------
    OnlineRun
    """
    _check_steps(steps)
    if not (np.isscalar(lo) and np.isscalar(hi) and np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"Invalid interval: [{lo!r}, {hi!r}] (must be finite numbers with lo < hi)")
    x = np.asarray(x0, dtype=np.float64)
    if x.ndim == 0 or not np.all((x >= lo) & (x <= hi)):
        raise ValueError(f"Invalid x0: {x0!r} (must be an array inside [{lo}, {hi}])")
    optimizer.reset()
    # Array hyperparameters (a grid of settings) give x their leading axes from the start.
    shape = np.broadcast_shapes(x.shape, *(np.shape(h) for h in optimizer.hyperparams.values()))
    x = np.broadcast_to(x, shape).copy()
    xs = np.empty((steps + 1, *shape))
    xs[0] = x
    losses = None if loss_t is None else np.empty((steps, *x.shape[:-1]))
    lo, hi = float(lo), float(hi)
    for t in range(1, steps + 1):
        if losses is not None:
            losses[t - 1] = loss_t(t, x)
        if schedule is not None:
            optimizer.lr = schedule(t)
        g = grad_t(t, x)
        # The rule sees g_t as its gradient at x_t; the projection happens outside the rule.
        x = optimizer.step(x, lambda _x: g)
        np.minimum(np.maximum(x, lo, out=x), hi, out=x)
        xs[t] = x
    return OnlineRun(xs, losses, loss_t)


# --- Fair comparisons: each rule at its best learning rate (the Adam, AdaMax, Nadam chapters) ---


def steps_to(traj, min_value=None, tol=None):
    r"""The first step after which :math:`J(\theta_t) - J^*` stays below ``tol``; -1 where it never does.

    .. math:: t^* = \min\{t : J(\theta_s) - J^* < \text{tol} \text{ for every } s \ge t\}

    Parameters
    ----------
    traj : Trajectory
        A single run or a grid run (one answer per configuration).
    min_value : float, optional
        :math:`J^*`, e.g. ``objective.min_value``; default ``traj.min_value``.
    tol : float
        The tolerance, > 0.
    """
    if min_value is None:
        min_value = getattr(traj, "min_value", None)
        if min_value is None:
            raise ValueError("Invalid min_value: None (the trajectory does not know J*; pass min_value)")
    if not isinstance(min_value, (int, float, np.integer, np.floating)) or not np.isfinite(min_value):
        raise ValueError(f"Invalid min_value: {min_value!r} (must be a finite number)")
    if tol is None:
        raise ValueError("Invalid tol: None (must be a finite number > 0)")
    checks.real("tol", tol, lo=0.0, strict=True)
    # NaN (a diverged run) counts as outside the tolerance.
    inside = np.nan_to_num(traj.losses - min_value, nan=np.inf) < tol
    stays = np.flip(np.logical_and.accumulate(np.flip(inside, 0), axis=0), 0)
    first = np.argmax(stays, axis=0)
    out = np.where(stays[-1], first, -1)
    return int(out) if out.ndim == 0 else out


def best_lr(rule, objective, lrs, steps, tol=1e-3, theta0=None, **hyperparams):
    r"""The learning rate of ``lrs`` with which ``rule`` gets within ``tol`` of :math:`J^*` soonest.

    All of ``lrs`` run in one :func:`run_grid` call from ``theta0`` (default:
    ``objective.start``). The winner is the rate with the smallest
    :func:`steps_to`; rates that never get there lose to every rate that does,
    and ties go to the lower mean of :math:`\log_{10}(J(\theta_t) - J^*)` over
    the run (a run that keeps improving beats one whose last step got lucky).
    Diverged runs are never chosen (unless every run diverged).

    Returns
    -------
    lr : float
        The chosen rate.
    needed : int
        Its :func:`steps_to`, -1 if even the best rate never got within ``tol``.
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    if lrs.ndim != 1 or lrs.size == 0:
        raise ValueError(f"Invalid lrs: {lrs!r} (must be a non-empty 1-D sequence)")
    start = objective.start if theta0 is None else theta0
    traj = run_grid(rule, objective, start, steps, lr=lrs, **hyperparams)
    needed = np.atleast_1d(steps_to(traj, objective.min_value, tol))
    with np.errstate(divide="ignore"):
        log_gap = np.log10(np.maximum(traj.losses - objective.min_value, 1e-16))
    mean_log_gap = np.where(traj.diverged, np.inf, np.atleast_1d(log_gap.mean(axis=0)))
    order = np.lexsort((mean_log_gap, np.where(needed >= 0, needed, steps + 1)))
    i = order[0]
    return float(lrs[i]), int(needed[i])


def feed(optimizer, gradients, theta0=None):
    r"""Give ``optimizer`` the gradients :math:`g_1, \dots, g_T` and record its state after every step.

    The rule receives :math:`g_t` whatever :math:`\theta_t` is, which separates
    what a rule does with a stream of gradients (the bias of Adam's :math:`m_t`
    and :math:`v_t`, AdaMax's :math:`u_t`) from the surface that made them:

    .. math:: \theta_{t+1} = \theta_t - \Delta_t(g_1, \dots, g_t)

    Parameters
    ----------
    optimizer : gdcourse.optimizers.Optimizer
        Reset before the first gradient.
    gradients : iterable of array_like
        :math:`g_1, g_2, \dots`, each of one shape (leading axes are independent streams);
        a generator works, so long random streams need not be stored.
    theta0 : array_like, optional
        :math:`\theta_1`; zeros of the gradients' shape by default.

    Returns
    -------
    dict
        ``"t"`` -> ``1..T``; ``"theta"`` -> :math:`\theta_2, \dots, \theta_{T+1}`;
        every state name of the rule (``"m"``, ``"v"``, ``"u"``, …) -> its values
        after steps ``1..T``. Arrays have a first axis of length T.
    """
    optimizer.reset()
    theta = None if theta0 is None else np.asarray(theta0, dtype=np.float64)
    record = {"t": [], "theta": [], **{name: [] for name in optimizer.state_names}}
    for g in gradients:
        g = np.asarray(g, dtype=np.float64)
        theta = np.zeros_like(g) if theta is None else theta
        theta = optimizer.step(theta, lambda _theta, g=g: g)
        record["t"].append(optimizer.state["t"])
        record["theta"].append(theta)
        for name in optimizer.state_names:
            record[name].append(optimizer.state[name].copy())
    if not record["t"]:
        raise ValueError("Invalid gradients: empty (must hold at least one gradient)")
    return {name: np.array(values) for name, values in record.items()}


# ``gdcourse.run`` is this module; calling it runs :func:`run`, as ``gdcourse.run_grid`` and
# ``gdcourse.run_many`` are called: ``gd.run(opt, obj, theta0, steps)`` is ``gd.run.run(...)``.
class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return run(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
