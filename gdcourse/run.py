r"""Run an optimizer from a start point: trajectory, losses and divergence.

A run that diverges (non-finite :math:`\theta` or loss, or :math:`\|\theta\|`
beyond ``bound``) is a result, not an error: :attr:`Trajectory.diverged_at` says
at which step, and the trajectory stops there (later entries are NaN).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .optimizers import RULES, make

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
    """

    thetas: np.ndarray
    losses: np.ndarray
    diverged_at: object

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
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"Invalid steps: {steps!r} (must be an integer >= 0)")


def run(optimizer, objective, theta0, steps, *, grad_fn=None, schedule=None, bound=1e6):
    r"""Run ``optimizer`` on ``objective`` for ``steps`` steps from ``theta0``.

    Parameters
    ----------
    optimizer : gdcourse.optimizers.Optimizer
        Reset before the run starts.
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
    """
    _check_steps(steps)
    if not (np.isfinite(bound) and bound > 0):
        raise ValueError(f"Invalid bound: {bound!r} (must be a finite number > 0)")
    loss_fn = objective.value if hasattr(objective, "value") else objective
    grad_fn = grad_fn if grad_fn is not None else objective.grad
    theta = np.asarray(theta0, dtype=np.float64)
    optimizer.reset()

    thetas = [theta]
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            if schedule is not None:
                optimizer.lr = schedule(t)
            theta = optimizer.step(theta, grad_fn)
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
    return Trajectory(thetas, losses, int(diverged_at) if diverged_at.ndim == 0 else diverged_at)


def run_grid(rule, objective, theta0, steps, **hyperparams):
    r"""Run one rule at many hyperparameter settings with one vectorised call.

    Each hyperparameter may be a 1-D array; all given arrays must have the same
    length n (scalars are shared). Returns a :class:`Trajectory` whose leading
    configuration axis has length n, equal to n single runs.

    Parameters
    ----------
    rule : str or type
        A rule of :data:`gdcourse.optimizers.RULES` or its class.
    """
    name = rule if isinstance(rule, str) else rule.__name__
    if name not in RULES:
        raise ValueError(f"Invalid rule: {rule!r} (must be one of {', '.join(RULES)})")
    lengths = {k: np.size(v) for k, v in hyperparams.items() if np.ndim(v) > 0}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"Invalid grid: hyperparameter lengths {lengths} (must all be equal)")
    n = next(iter(lengths.values()), 1)
    columns = {k: (np.asarray(v, dtype=np.float64).reshape(n, 1) if np.ndim(v) > 0 else v)
               for k, v in hyperparams.items()}
    theta0 = np.broadcast_to(np.asarray(theta0, dtype=np.float64), (n, np.shape(theta0)[-1]))
    return run(make(name, **columns), objective, theta0.copy(), steps)


def run_many(optimizers, objective, theta0, steps, **kwargs):
    """Run each optimizer of ``optimizers`` (label -> Optimizer) from the same start.

    Returns a dict label -> :class:`Trajectory` in the same order, ready for
    :func:`gdcourse.plotting.path_figure`.
    """
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


def steps_to(traj, min_value, tol):
    r"""The first step after which :math:`J(\theta_t) - J^*` stays below ``tol``; -1 where it never does.

    .. math:: t^* = \min\{t : J(\theta_s) - J^* < \text{tol} \text{ for every } s \ge t\}

    Parameters
    ----------
    traj : Trajectory
        A single run or a grid run (one answer per configuration).
    min_value : float
        :math:`J^*`, e.g. ``objective.min_value``.
    tol : float
        The tolerance, > 0.
    """
    if not (np.isfinite(min_value)):
        raise ValueError(f"Invalid min_value: {min_value!r} (must be a finite number)")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"Invalid tol: {tol!r} (must be a finite number > 0)")
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
