r"""Batch, stochastic and mini-batch gradient descent over a model and a data set.

The text's three loops are one function, :func:`train`, with the batch size as
the only difference: ``batch_size = n`` is batch gradient descent, ``1`` is SGD,
anything between is mini-batch gradient descent. The data are shuffled every
epoch unless another order is asked for.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .run import diverged

__all__ = ["get_batches", "epoch_order", "train", "History"]


def get_batches(order, batch_size):
    """Split an order of example indices into consecutive mini-batches (the last may be smaller)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"Invalid batch_size: {batch_size!r} (must be an integer >= 1)")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def epoch_order(n, epoch, rng, order="shuffle"):
    """Indices of the ``n`` examples in the order epoch ``epoch`` visits them.

    ``order`` is ``"shuffle"`` (a fresh permutation every epoch, as the text
    recommends), ``"fixed"`` (0, 1, …, n-1 every epoch), an array of indices
    used every epoch, or a callable ``order(epoch, rng) -> indices``.
    """
    if isinstance(order, str):
        if order == "shuffle":
            return rng.permutation(n)
        if order == "fixed":
            return np.arange(n)
        raise ValueError(f"Invalid order: {order!r} (must be 'shuffle', 'fixed', an index array or a callable)")
    return np.asarray(order(epoch, rng) if callable(order) else order)


@dataclass
class History:
    """What :func:`train` recorded.

    Attributes
    ----------
    theta : ndarray
        Final parameters (the last finite ones if the run diverged).
    epoch_losses : ndarray, shape (epochs + 1,)
        Loss on the whole training set before training and after every epoch.
    epoch_times : ndarray, shape (epochs + 1,)
        Wall-clock seconds spent updating up to each entry of ``epoch_losses``
        (evaluating the full loss is not counted).
    batch_losses : ndarray, shape (updates,)
        Loss on each mini-batch just before its update: the noisy curve of the text's Image 1.
    diverged_at : int
        Update at which the loss or θ became non-finite, ``-1`` if never.
    """

    theta: np.ndarray
    epoch_losses: np.ndarray
    epoch_times: np.ndarray
    batch_losses: np.ndarray
    diverged_at: int = -1

    @property
    def updates_per_epoch(self):
        return len(self.batch_losses) // max(len(self.epoch_losses) - 1, 1)

    def describe(self):
        if self.diverged_at >= 0:
            return f"diverged at update {self.diverged_at}"
        return f"loss {self.epoch_losses[-1]:.4g} after {len(self.epoch_losses) - 1} epochs"


def train(model, optimizer, X, y, theta0, *, epochs, batch_size, seed=0, order="shuffle", bound=1e6):
    r"""Minimise ``model``'s loss on ``(X, y)`` with ``optimizer``, one update per mini-batch.

    .. math:: \theta = \theta - \eta \cdot \nabla_\theta J(\theta; x^{(i:i+n)}; y^{(i:i+n)})

    (or whichever rule ``optimizer`` is). ``batch_size = len(X)`` gives batch
    gradient descent, ``1`` stochastic gradient descent. Training stops at the
    first update whose θ is not finite or leaves ``[-bound, bound]``
    (:attr:`History.diverged_at`); θ stays the last good one.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"Invalid epochs: {epochs!r} (must be an integer >= 1)")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    get_batches(np.arange(0), batch_size)  # validates batch_size before any work
    rng = np.random.default_rng(seed)
    theta = np.array(theta0, dtype=np.float64)
    optimizer.reset()
    epoch_losses, epoch_times, batch_losses = [model.loss(theta, X, y)], [0.0], []
    elapsed, update, diverged_at = 0.0, 0, -1
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            start = time.perf_counter()
            for idx in get_batches(epoch_order(len(X), epoch, rng, order), batch_size):
                Xb, yb = X[idx], y[idx]
                batch_losses.append(model.loss(theta, Xb, yb))
                new = optimizer.step(theta, lambda th: model.grad(th, Xb, yb))
                update += 1
                if diverged(new, batch_losses[-1], bound):
                    diverged_at = update
                    break
                theta = new
            elapsed += time.perf_counter() - start
            epoch_losses.append(model.loss(theta, X, y) if diverged_at < 0 else np.nan)
            epoch_times.append(elapsed)
            if diverged_at >= 0:
                break
    return History(theta, np.array(epoch_losses), np.array(epoch_times), np.array(batch_losses),
                   diverged_at)
