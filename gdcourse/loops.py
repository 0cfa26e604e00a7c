r"""Batch, stochastic and mini-batch gradient descent over a model and a data set.

The text's three loops are one function, :func:`train`, with the batch size as
the only difference: ``batch_size = n`` is batch gradient descent, ``1`` is SGD,
anything between is mini-batch gradient descent. The data are shuffled every
epoch unless another order is asked for.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np

from . import checks
from .optimizers import _kind, is_optimizer
from .run import _checked_step, diverged

__all__ = ["get_batches", "epoch_order", "train", "History", "GradientNoise", "sorted_order", "curriculum",
           "patience_stop", "centroid_difficulty"]


def get_batches(order, batch_size):
    """Split an order of example indices into consecutive mini-batches (the last may be smaller)."""
    checks.integer("batch_size", batch_size, 1)
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
    diverged_at : int or ndarray of int
        Update at which the loss or θ became non-finite, ``-1`` if never (one per
        configuration when ``theta0`` is a grid).
    val_losses : ndarray or None, shape (epochs + 1,)
        With ``val``: the loss on the validation set before training and after every epoch.
    best_epoch : int
        With ``val``: the epoch (index into ``val_losses``) with the lowest validation loss.
    stopped_at : int
        With ``patience``: the epoch after which training stopped because the
        validation loss had not improved for ``patience`` epochs, ``-1`` if it ran all epochs.
    thetas : ndarray or None, shape (records, ...)
        With ``record_every = k``: θ before training and after every k-th update.
    eval_at : ndarray or None, shape (m,)
        With ``eval_every = k``: the updates after which the full loss was measured (0 first).
    eval_losses : ndarray or None, shape (m, ...)
        With ``eval_every``: the loss on all of ``(X, y)`` there (NaN once diverged).
    """

    theta: np.ndarray
    epoch_losses: np.ndarray
    epoch_times: np.ndarray
    batch_losses: np.ndarray
    diverged_at: int = -1
    val_losses: np.ndarray | None = None
    best_epoch: int = -1
    stopped_at: int = -1
    thetas: np.ndarray | None = None
    eval_at: np.ndarray | None = None
    eval_losses: np.ndarray | None = None

    @property
    def updates_per_epoch(self):
        return len(self.batch_losses) // max(len(self.epoch_losses) - 1, 1)

    def describe(self):
        if np.ndim(self.diverged_at):
            return (f"{int(np.sum(np.asarray(self.diverged_at) >= 0))} of {np.size(self.diverged_at)} "
                    f"configurations diverged")
        if self.diverged_at >= 0:
            return f"diverged at update {self.diverged_at}"
        if self.stopped_at >= 0:
            return (f"stopped after epoch {self.stopped_at}, best validation loss "
                    f"{self.val_losses[self.best_epoch]:.4g} at epoch {self.best_epoch}")
        return f"loss {self.epoch_losses[-1]:.4g} after {len(self.epoch_losses) - 1} epochs"


def train(model, optimizer, X, y, theta0, *, epochs=None, batch_size, seed=0, order="shuffle", bound=1e6,
          schedule=None, val=None, patience=None, restore_best=True, noise=None, record_every=None,
          steps=None, eval_every=None):
    r"""Minimise ``model``'s loss on ``(X, y)`` with ``optimizer``, one update per mini-batch.

    .. math:: \theta = \theta - \eta \cdot \nabla_\theta J(\theta; x^{(i:i+n)}; y^{(i:i+n)})

    (or whichever rule ``optimizer`` is). ``batch_size = len(X)`` gives batch
    gradient descent, ``1`` stochastic gradient descent. Training stops at the
    first update whose θ is not finite or leaves ``[-bound, bound]``
    (:attr:`History.diverged_at`); θ stays the last good one.

    ``schedule``, if given, anneals the learning rate: before update
    ``t = 1, 2, …`` (counted across epochs) it sets ``optimizer.lr = schedule(t)``
    (see :mod:`gdcourse.schedules`), :math:`\eta_t` in place of :math:`\eta`.

    ``val = (X_val, y_val)`` records the validation loss after every epoch
    (:attr:`History.val_losses`, with ``model.eval_loss`` if the model has one).
    ``patience = p`` (needs ``val``) is early stopping: training stops once the
    validation loss has not improved for ``p`` epochs in a row
    (:attr:`History.stopped_at`), and θ is the one of the best epoch
    (:attr:`History.best_epoch`) unless ``restore_best=False``.

    ``noise = (eta, gamma)`` adds annealed Gaussian noise to every gradient
    (Neelakantan et al., 2015; see :class:`GradientNoise`), seeded by ``seed``.

    ``record_every = k`` keeps θ before training and after every k-th update
    (:attr:`History.thetas`), e.g. to watch a hidden layer change.

    ``steps = T`` (instead of ``epochs``) stops after exactly T updates, epochs
    following one another (the last may be partial). ``eval_every = k`` measures
    the loss on all of ``(X, y)`` before training, after every k-th update and after
    the last (:attr:`History.eval_at`, :attr:`History.eval_losses`); on a grid, a
    configuration whose full loss is no longer finite there is marked diverged.

    A model with state outside θ (batch normalization's running statistics) has
    ``reset_state()``, ``update_state(theta, X_batch)`` and ``state``: ``train``
    resets it before the first update, updates it with every mini-batch at the θ
    its gradient is taken at, and restores it with the best θ.

    ``theta0`` of shape ``(k, d)`` trains a grid of k configurations in one call
    (several initialisations, or hyperparameters given as columns of shape
    ``(k, 1)``): all see the same mini-batches (each its own gradient noise), the
    losses in the History get a trailing axis of length k, and ``diverged_at`` is
    an array: a configuration that diverges keeps its last good θ while the others
    go on. ``val`` and ``patience`` need a single θ.
    """
    if not is_optimizer(optimizer):
        hint = "; the order is train(model, optimizer, X, y, theta0, ...)" if is_optimizer(model) else ""
        raise ValueError(f"Invalid optimizer: expected an optimizer (anything with reset() and "
                         f"step(theta, grad_fn)), got {_kind(optimizer)}{hint}")
    if not (callable(getattr(model, "loss", None)) and callable(getattr(model, "grad", None))):
        raise ValueError(f"Invalid model: expected a model (with loss(theta, X, y) and grad(theta, X, y)), "
                         f"got {_kind(model)}")
    if (epochs is None) == (steps is None):
        raise ValueError(f"Invalid epochs, steps: {epochs!r}, {steps!r} (give exactly one of them)")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    get_batches(np.arange(0), batch_size)  # validates batch_size before any work
    per_epoch = len(get_batches(np.arange(len(X)), batch_size))
    if steps is not None:
        checks.integer("steps", steps, 1)
        epochs = -(-steps // per_epoch)
    checks.integer("epochs", epochs, 1)
    total = steps if steps is not None else epochs * per_epoch
    if eval_every is not None:
        checks.integer("eval_every", eval_every, 1, allowed="must be an integer >= 1, or None")
    rng = np.random.default_rng(seed)
    theta = np.array(theta0, dtype=np.float64)
    grid = theta.ndim > 1
    if grid and val is not None:
        raise ValueError(f"Invalid val with theta0 of shape {theta.shape} (validation needs a single θ, shape (d,))")
    optimizer.reset()
    if patience is not None:
        checks.integer("patience", patience, 1, allowed="must be an integer >= 1, or None")
    if patience is not None and val is None:
        raise ValueError("Invalid patience: early stopping needs val=(X_val, y_val)")
    if val is not None:
        if not (isinstance(val, (tuple, list)) and len(val) == 2):
            raise ValueError(f"Invalid val: {type(val).__name__} (must be a pair (X_val, y_val))")
        X_val, y_val = np.asarray(val[0], dtype=np.float64), np.asarray(val[1], dtype=np.float64)
        val_loss = getattr(model, "eval_loss", model.loss)
    perturb = None
    if noise is not None:
        if not (isinstance(noise, (tuple, list)) and len(noise) == 2):
            raise ValueError(f"Invalid noise: {noise!r} (must be a pair (eta, gamma))")
        perturb = GradientNoise(*noise, seed=[seed, 1])  # a stream of its own: the order is unchanged
    if record_every is not None:
        checks.integer("record_every", record_every, 1, allowed="must be an integer >= 1, or None")
    thetas = [theta.copy()] if record_every is not None else None
    stateful = hasattr(model, "reset_state") and hasattr(model, "update_state")
    if stateful:
        model.reset_state()
    epoch_losses, epoch_times, batch_losses = [model.loss(theta, X, y)], [0.0], []
    elapsed, update, diverged_at = 0.0, 0, (np.full(theta.shape[:-1], -1) if grid else -1)
    val_losses, best_epoch, stopped_at = [], -1, -1
    eval_at, eval_losses = ([0], [epoch_losses[0]]) if eval_every is not None else (None, None)
    if val is not None:
        val_losses.append(val_loss(theta, X_val, y_val))
        best_epoch, best_theta, best_state = 0, theta.copy(), copy.deepcopy(getattr(model, "state", None))
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            start = time.perf_counter()
            for idx in get_batches(epoch_order(len(X), epoch, rng, order), batch_size):
                if update == total:
                    break
                Xb, yb = X[idx], y[idx]
                batch_losses.append(np.where(np.asarray(diverged_at) >= 0, np.nan, model.loss(theta, Xb, yb)))
                if stateful:
                    model.update_state(theta, Xb)
                if schedule is not None:
                    optimizer.lr = schedule(update + 1)
                if perturb is None:
                    grad = lambda th: model.grad(th, Xb, yb)
                else:
                    grad = lambda th: perturb(model.grad(th, Xb, yb))
                update += 1
                new = _checked_step(optimizer, theta, grad, update)
                bad = diverged(new, batch_losses[-1], bound)
                if grid:
                    # A configuration that diverges keeps its last good θ; the others go on.
                    diverged_at = np.where(bad & (diverged_at < 0), update, diverged_at)
                    new = np.where((diverged_at >= 0)[..., None], theta, new)
                elif bad:
                    diverged_at = update
                    break
                theta = new
                if thetas is not None and update % record_every == 0:
                    thetas.append(theta.copy())
                if eval_every is not None and (update % eval_every == 0 or update == total):
                    loss = model.loss(theta, X, y)
                    if grid:
                        diverged_at = np.where(~np.isfinite(loss) & (diverged_at < 0), update, diverged_at)
                    eval_at.append(update)
                    eval_losses.append(np.where(np.asarray(diverged_at) >= 0, np.nan, loss))
            elapsed += time.perf_counter() - start
            epoch_losses.append(np.where(np.asarray(diverged_at) >= 0, np.nan, model.loss(theta, X, y)))
            epoch_times.append(elapsed)
            if np.all(np.asarray(diverged_at) >= 0):
                break
            if val is not None:
                val_losses.append(val_loss(theta, X_val, y_val))
                if val_losses[-1] < val_losses[best_epoch]:
                    best_epoch, best_theta = epoch + 1, theta.copy()
                    best_state = copy.deepcopy(getattr(model, "state", None))
                elif patience is not None and epoch + 1 - best_epoch >= patience:
                    stopped_at = epoch + 1
                    break
    if patience is not None and restore_best:
        theta = best_theta
        if stateful:
            model.state = best_state
    if eval_every is not None:
        # A grid that diverged everywhere stops early; the measurements it did not reach are NaN.
        due = [t for t in range(1, total + 1) if t % eval_every == 0 or t == total]
        for t in due[len(eval_at) - 1:]:
            eval_at.append(t)
            eval_losses.append(np.full(np.shape(eval_losses[0]), np.nan))
    return History(theta, np.array(epoch_losses), np.array(epoch_times), np.array(batch_losses),
                   diverged_at, np.array(val_losses) if val is not None else None, best_epoch, stopped_at,
                   np.array(thetas) if thetas is not None else None,
                   np.array(eval_at) if eval_at is not None else None,
                   np.array(eval_losses) if eval_losses is not None else None)


# --- Strategies alongside any rule: gradient noise, orders of the data --------------------------


class GradientNoise:
    r"""Annealed Gaussian gradient noise (Neelakantan et al., 2015).

    .. math::
        g_{t,i} = g_{t,i} + N(0, \sigma_t^2), \qquad \sigma_t^2 = \frac{\eta}{(1 + t)^\gamma}

    Calling the object on a gradient returns the noisy gradient and advances
    :math:`t` (starting at 0, so the first call adds variance :math:`\eta`). It
    wraps any gradient: ``train(..., noise=(eta, gamma))`` uses it, and on a test
    function ``run(opt, obj, theta0, steps, grad_fn=lambda th: noise(obj.grad(th)))``.
    The paper takes :math:`\gamma = 0.55` and :math:`\eta \in \{0.01, 0.3, 1.0\}`.

    Parameters
    ----------
    eta : float > 0
        The initial variance :math:`\eta`.
    gamma : float >= 0
        The annealing exponent :math:`\gamma`.
    seed : int
        Seed of the noise.
    """

    def __init__(self, eta, gamma=0.55, seed=0):
        self.eta = checks.real("eta", eta, lo=0.0, strict=True)
        self.gamma = checks.real("gamma", gamma, lo=0.0)
        if np.ndim(self.eta) or np.ndim(self.gamma):
            raise ValueError(f"Invalid eta, gamma: {eta!r}, {gamma!r} (must be numbers, not arrays)")
        self.rng = np.random.default_rng(seed)
        self.t = 0

    def variance(self, t):
        r""":math:`\sigma_t^2 = \eta / (1 + t)^\gamma` (``t`` may be an array)."""
        return self.eta / (1.0 + np.asarray(t, dtype=np.float64)) ** self.gamma

    def __call__(self, g):
        g = np.asarray(g, dtype=np.float64)
        noisy = g + np.sqrt(self.variance(self.t)) * self.rng.standard_normal(g.shape)
        self.t += 1
        return noisy


def patience_stop(val_losses, patience):
    """Where early stopping with ``patience`` ends a run whose validation losses were ``val_losses``.

    Returns ``(stopped_at, best_epoch)`` exactly as :func:`train` with
    ``patience`` would report them: early stopping never changes the updates,
    only where they end, so one full run answers the question for every ``patience``.
    """
    val_losses = np.asarray(val_losses, dtype=np.float64)
    checks.integer("patience", patience, 1)
    best = 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[best]:
            best = epoch
        elif epoch - best >= patience:
            return epoch, best
    return -1, best


def sorted_order(keys):
    """The example indices sorted by ``keys`` (ascending, ties in their original order).

    A fixed, meaningful order for ``train(..., order=sorted_order(y))``: e.g. all
    examples of class 0, then class 1, … — the order the text warns against.
    """
    keys = np.asarray(keys)
    if keys.ndim != 1 or keys.size == 0:
        raise ValueError(f"Invalid keys: shape {keys.shape} (must be a non-empty 1-D array)")
    return np.argsort(keys, kind="stable")


def centroid_difficulty(X, y):
    r"""A difficulty score per example: how much nearer it lies to another class's mean than to its own.

    .. math:: d_i = \lVert x^{(i)} - \mu_{y^{(i)}} \rVert - \min_{c \ne y^{(i)}} \lVert x^{(i)} - \mu_c \rVert

    with :math:`\mu_c` the mean of the examples of class :math:`c`. Negative for a
    typical example (near its class's mean), positive for one that looks like
    another class: what a nearest-mean classifier would get wrong.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    classes = np.unique(y)
    if X.ndim != 2 or len(X) != len(y) or len(classes) < 2:
        raise ValueError(f"Invalid data: X {X.shape}, y {y.shape} (need matching lengths and two classes or more)")
    means = np.stack([X[y == c].mean(axis=0) for c in classes])
    dist = np.linalg.norm(X[:, None, :] - means[None], axis=-1)
    own = np.searchsorted(classes, y)
    mine = dist[np.arange(len(X)), own]
    dist[np.arange(len(X)), own] = np.inf
    return mine - dist.min(axis=1)


def curriculum(difficulty, epochs, kind="naive", start=0.2, ramp=0.5, mix=0.5):
    r"""An order for :func:`train` that feeds easy examples first (curriculum learning).

    Every epoch visits as many examples as the data set has (the same number of
    updates as a shuffled epoch), drawn from a *pool* of the easiest ones, which
    grows linearly from a fraction ``start`` of the examples at epoch 0 to all of
    them at epoch ``ramp * (epochs - 1)``:

    .. math:: c_e = \text{start} + (1 - \text{start}) \min\Big(1, \frac{e}{\text{ramp}\,(E - 1)}\Big)

    * ``kind="naive"`` (Bengio et al., 2009; Zaremba & Sutskever's naive strategy):
      the epoch cycles through the pool in a shuffled order, easy to hard by
      stages, and never sees an example beyond the pool;
    * ``kind="mixed"`` (Zaremba & Sutskever's *combined* strategy, which the text
      calls mixed): a fraction ``mix`` of the epoch is drawn uniformly from all
      examples, whatever their difficulty, and the rest from the pool.

    Parameters
    ----------
    difficulty : array_like, shape (n,)
        A score per example, larger is harder.
    epochs : int
        The number of epochs of the run (sets the pace).
    kind : {"naive", "mixed"}
    start, ramp : float in (0, 1]
        The starting fraction of the pool, and the fraction of the run after which it holds every example.
    mix : float in [0, 1]
        With ``kind="mixed"``, the fraction of each epoch drawn uniformly.

    Returns
    -------
    callable
        ``order(epoch, rng) -> indices`` for ``train(..., order=...)``, with
        ``order.pool_size(epoch)`` the size of the pool at that epoch.
    """
    difficulty = np.asarray(difficulty, dtype=np.float64)
    if difficulty.ndim != 1 or difficulty.size == 0 or not np.all(np.isfinite(difficulty)):
        raise ValueError(f"Invalid difficulty: shape {difficulty.shape} (must be a non-empty 1-D array of finite scores)")
    checks.integer("epochs", epochs, 1)
    checks.choice("kind", kind, ("naive", "mixed"))
    for name, value in (("start", start), ("ramp", ramp)):
        checks.real(name, value, lo=0.0, strict=True, hi=1.0, allowed="must be a number in (0, 1]")
    checks.real("mix", mix, lo=0.0, hi=1.0, allowed="must be a number in [0, 1]")
    n = difficulty.size
    easy_first = np.argsort(difficulty, kind="stable")

    def pool_size(epoch):
        progress = 1.0 if epochs == 1 else min(1.0, epoch / (ramp * (epochs - 1)))
        return max(1, int(np.ceil(n * (start + (1 - start) * progress))))

    def order(epoch, rng):
        pool = easy_first[:pool_size(epoch)]
        n_uniform = int(round(mix * n)) if kind == "mixed" else 0
        from_pool = np.resize(rng.permutation(pool), n - n_uniform)
        return rng.permutation(np.concatenate([from_pool, rng.choice(n, n_uniform, replace=False)]))

    order.pool_size = pool_size
    return order
