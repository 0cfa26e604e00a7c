r"""Finite-difference gradient checking, as the text recommends for hand-derived gradients."""
from __future__ import annotations

import numpy as np

from . import checks

__all__ = ["numerical_grad", "grad_error", "check_grad"]


def numerical_grad(f, theta, h=1e-6):
    r"""Central differences :math:`(f(\theta + h e_i) - f(\theta - h e_i)) / 2h`.

    ``f`` maps an array of ``theta``'s shape to a scalar; the result has ``theta``'s shape.
    """
    checks.real("h", h, lo=0.0, strict=True)
    theta = np.array(theta, dtype=np.float64)
    grad = np.empty_like(theta)
    for i in np.ndindex(theta.shape):
        old = theta[i]
        theta[i] = old + h
        up = f(theta)
        theta[i] = old - h
        down = f(theta)
        theta[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def grad_error(f, grad_fn, theta, h=1e-6):
    r"""Relative error :math:`\|g - \hat g\| / \max(\|g\| + \|\hat g\|, 10^{-12})`
    between the analytic gradient and the numerical one."""
    g = np.asarray(grad_fn(theta), dtype=np.float64)
    g_num = numerical_grad(f, theta, h)
    return float(np.linalg.norm(g - g_num) / max(np.linalg.norm(g) + np.linalg.norm(g_num), 1e-12))


def check_grad(f, grad_fn, theta, tol=1e-6, h=1e-6, atol=1e-6):
    """Raise ``AssertionError`` unless the gradients agree; return the relative error.

    They agree when :func:`grad_error` is below ``tol``, or when the two differ by at most
    ``atol`` in norm: at a stationary point both are ~0 and a relative error means nothing
    (central differences leave rounding of order eps·|f|/h there).
    """
    checks.real("tol", tol, lo=0.0, strict=True)
    checks.real("atol", atol, lo=0.0)
    err = grad_error(f, grad_fn, theta, h)
    if not err < tol:
        diff = np.linalg.norm(np.asarray(grad_fn(theta), dtype=np.float64) - numerical_grad(f, theta, h))
        if not diff <= atol:
            raise AssertionError(f"gradient check failed: relative error {err:.3g} >= {tol:g} "
                                 f"and absolute error {diff:.3g} > {atol:g}")
    return err
