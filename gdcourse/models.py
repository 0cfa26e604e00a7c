r"""Linear and logistic regression with analytic gradients.

Parameters are one vector :math:`\theta = (w_1, \dots, w_p, b)`, the bias last,
and every function is vectorised over leading axes of ``theta``: a grid of
models of shape ``(k, p + 1)`` is evaluated in one call.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LinearRegression", "LogisticRegression", "BoundObjective"]


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
