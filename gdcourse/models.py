r"""Linear and logistic regression with analytic gradients.

Parameters are one vector :math:`\theta = (w_1, \dots, w_p, b)`, the bias last,
and every function is vectorised over leading axes of ``theta``: a grid of
models of shape ``(k, p + 1)`` is evaluated in one call.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks

__all__ = ["LinearRegression", "LogisticRegression", "BoundObjective", "L2Regularized"]


def _affine(theta, X):
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape[-1] != X.shape[1] + 1:
        raise ValueError(
            f"Invalid theta shape: {theta.shape} (last axis must be n_features + 1 = {X.shape[1] + 1})")
    return np.einsum("np,...p->...n", X, theta[..., :-1]) + theta[..., -1:]


def _with_bias_grad(residual, X):
    """Mean over examples of ``residual_i * (x_i, 1)``: the gradient of both models."""
    n = X.shape[0]
    gw = np.einsum("...n,np->...p", residual, X) / n
    return np.concatenate([gw, residual.mean(axis=-1, keepdims=True)], axis=-1)


class _Model:
    def n_params(self, X):
        """Length of :math:`\\theta` for data with ``X.shape[1]`` features."""
        return np.shape(X)[1] + 1

    def objective(self, X, y):
        """:math:`J(\\theta)` on fixed data, with ``value`` and ``grad``, for :func:`gdcourse.run.run`."""
        return BoundObjective(self, np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64))


class LinearRegression(_Model):
    r"""Least squares: :math:`J(\theta) = \frac{1}{2n} \sum_i (w^\top x^{(i)} + b - y^{(i)})^2`,
    :math:`\nabla J = \frac1n \sum_i (w^\top x^{(i)} + b - y^{(i)}) (x^{(i)}, 1)`."""

    def predict(self, theta, X):
        return _affine(theta, np.asarray(X, dtype=np.float64))

    def loss(self, theta, X, y):
        r = self.predict(theta, X) - y
        return 0.5 * np.mean(r * r, axis=-1)

    def grad(self, theta, X, y):
        X = np.asarray(X, dtype=np.float64)
        return _with_bias_grad(self.predict(theta, X) - y, X)

    def minimizer(self, X, y):
        r"""The exact least-squares minimiser :math:`\theta^* = \arg\min_\theta J(\theta)`, in closed form.

        .. math:: \theta^* = (A^\top A)^{+} A^\top y, \qquad A = [X \;\; \mathbf 1]

        (computed by ``numpy.linalg.lstsq``), so :math:`J(\theta^*)` is the floor
        that every gradient descent run on this model and data approaches.
        """
        X = np.asarray(X, dtype=np.float64)
        A = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)
        return np.linalg.lstsq(A, np.asarray(y, dtype=np.float64), rcond=None)[0]


class LogisticRegression(_Model):
    r"""Binary cross-entropy with :math:`p = \sigma(w^\top x + b)`:
    :math:`J(\theta) = -\frac1n \sum_i y^{(i)} \log p^{(i)} + (1 - y^{(i)}) \log(1 - p^{(i)})`,
    :math:`\nabla J = \frac1n \sum_i (p^{(i)} - y^{(i)}) (x^{(i)}, 1)`."""

    def logits(self, theta, X):
        return _affine(theta, np.asarray(X, dtype=np.float64))

    def predict_proba(self, theta, X):
        z = self.logits(theta, X)
        return np.exp(-np.logaddexp(0.0, -z))

    def loss(self, theta, X, y):
        z = self.logits(theta, X)
        # log(1 + e^z) - y z, written stably.
        return np.mean(np.logaddexp(0.0, z) - y * z, axis=-1)

    def grad(self, theta, X, y):
        X = np.asarray(X, dtype=np.float64)
        return _with_bias_grad(self.predict_proba(theta, X) - y, X)

    def accuracy(self, theta, X, y):
        return np.mean((self.logits(theta, X) > 0) == (np.asarray(y) > 0.5), axis=-1)

    def minimizer(self, X, y, tol=1e-10, max_iter=100):
        r"""The minimiser :math:`\theta^*` of the training loss, by Newton's method (a reference, not one of the text's rules).

        .. math::
            \theta \leftarrow \theta - s H^{-1} \nabla J(\theta), \qquad
            H = \tfrac1n A^\top \operatorname{diag}\bigl(p \odot (1 - p)\bigr) A, \quad A = [X \;\; \mathbf 1]

        from :math:`\theta = 0`, halving the step size :math:`s` until the loss does
        not increase. The loss is convex, so this is the global minimiser; it is
        finite and unique unless a hyperplane separates the classes (completely or
        for the examples of some feature) or a feature is constant. Returns once
        :math:`\|\nabla J(\theta)\|_\infty <` ``tol``.

        Raises
        ------
        ValueError
            If the gradient is not below ``tol`` after ``max_iter`` Newton steps, or
            if :math:`H` is (numerically) singular there: on separable data the
            gradient vanishes only as :math:`\|\theta\| \to \infty`, where every
            :math:`p \odot (1 - p)` and with it :math:`H` shrink to 0. Also if the
            columns of :math:`A` are linearly dependent (a constant feature).
        """
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        A = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)
        smallest0 = np.linalg.eigvalsh(A.T @ A / (4 * len(y)))[0]
        if smallest0 <= 1e-12 * np.trace(A.T @ A) / (4 * len(y)):
            raise ValueError("Invalid X: the columns of [X 1] are linearly dependent (e.g. a constant or "
                             "never-present feature), so the minimiser is not unique")
        theta = np.zeros(A.shape[1])
        loss = self.loss(theta, X, y)
        for _ in range(max_iter):
            g = self.grad(theta, X, y)
            p = self.predict_proba(theta, X)
            H = (A * (p * (1 - p))[:, None]).T @ A / len(y)
            if np.max(np.abs(g)) < tol:
                # Separation shows as curvature collapsing, relative to θ = 0 where every p = 1/2.
                smallest = np.linalg.eigvalsh(H)[0]
                if smallest < 1e-6 * smallest0:
                    raise ValueError(f"Invalid data: the Hessian at |grad J| < {tol:g} is singular (smallest "
                                     f"eigenvalue {smallest:.2g}, {smallest0:.2g} at theta = 0): the classes are "
                                     "separable, so there is no finite minimiser")
                return theta
            step = np.linalg.lstsq(H, g, rcond=None)[0]  # lstsq: H is nearly singular far out on separable data
            s = 1.0
            while True:
                new = theta - s * step
                new_loss = self.loss(new, X, y)
                if new_loss <= loss or s < 1e-10:
                    break
                s /= 2
            theta, loss = new, new_loss
        raise ValueError(f"Invalid data: |grad J| = {np.max(np.abs(self.grad(theta, X, y))):.3g} after {max_iter} "
                         f"Newton steps (must fall below tol = {tol:g}; separable classes have no finite minimiser)")


@dataclass(frozen=True)
class BoundObjective:
    """A model's loss on fixed data, shaped like :class:`gdcourse.objectives.Objective`."""

    model: _Model
    X: np.ndarray
    y: np.ndarray

    def value(self, theta):
        return self.model.loss(theta, self.X, self.y)

    def grad(self, theta):
        return self.model.grad(theta, self.X, self.y)

    def __call__(self, theta):
        return self.value(theta)


# --- An l2 penalty around any model (Adam with L2 against AdamW, the conclusion) -----------


class L2Regularized:
    r"""A model's loss plus an :math:`\ell_2` penalty on all of :math:`\theta`.

    .. math::
        J_\lambda(\theta) = J(\theta) + \frac\lambda2 \|\theta\|^2, \qquad
        \nabla J_\lambda(\theta) = \nabla J(\theta) + \lambda\theta

    With plain SGD a step on :math:`J_\lambda` is weight decay,
    :math:`\theta - \eta\nabla J - \eta\lambda\theta`; with an adaptive rule the
    penalty's gradient is rescaled with the rest (compare
    :class:`gdcourse.optimizers.AdamW`). Every other attribute (``accuracy``,
    ``state``, …) is the wrapped model's.
    """

    def __init__(self, model, weight_decay):
        if np.ndim(weight_decay) != 0:
            raise ValueError(f"Invalid weight_decay: {weight_decay!r} (must be a finite number >= 0)")
        self.model, self.weight_decay = model, checks.real("weight_decay", weight_decay, lo=0.0)

    def __getattr__(self, name):
        return getattr(self.__dict__["model"], name)

    def loss(self, theta, X, y):
        theta = np.asarray(theta, dtype=np.float64)
        return self.model.loss(theta, X, y) + 0.5 * self.weight_decay * np.sum(theta * theta, axis=-1)

    def grad(self, theta, X, y):
        theta = np.asarray(theta, dtype=np.float64)
        return self.model.grad(theta, X, y) + self.weight_decay * theta
