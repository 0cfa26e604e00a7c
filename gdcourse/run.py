r"""Run an optimizer from a start point: trajectory, losses and divergence.

A run that diverges (non-finite :math:`\theta` or loss, or :math:`\|\theta\|`
beyond ``bound``) is a result, not an error: :attr:`Trajectory.diverged_at` says
at which step, and the trajectory stops there (later entries are NaN).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .optimizers import RULES, make

__all__ = ["Trajectory", "diverged", "run", "run_grid", "run_many"]


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
