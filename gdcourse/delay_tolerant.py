r"""Delay-tolerant Adagrad (McMahan & Streeter, 2014), the rule the text's "delay-tolerant algorithms" names.

An optimizer like those of :mod:`gdcourse.optimizers`, with one more input: a server that
applies gradients late also knows :math:`g^{bck}`, the sum of the gradients it applied to a
coordinate between the read that :math:`g` was computed from and now, and passes it
explicitly: ``step(theta, grad_fn, g_bck)``. Without it (or with zeros) the rule is Adagrad.

This module knows numpy and :mod:`gdcourse.optimizers`, nothing else of the course.
"""
from __future__ import annotations

import numpy as np

from .optimizers import Optimizer

__all__ = ["AdaptiveRevision"]


class AdaptiveRevision(Optimizer):
    r"""Delay-tolerant Adagrad (McMahan & Streeter, 2014): adapts to the gradients *and* the delays.

    Per coordinate, with :math:`g^{bck}_t` the sum of the gradients applied between the read
    that :math:`g_t` was computed from and now:

    .. math::
        z'_t &= z'_{t-1} + g_t^2 + 2\, g_t\, g^{bck}_t, \qquad
        \bar z_t = \max(\bar z_{t-1}, z'_t) \\
        \eta_t &= \frac{\eta}{\sqrt{\bar z_t + \epsilon}} \\
        \theta_{t+1} &= \theta_t - \eta_t g_t + (\eta_{t-1} - \eta_t)\, g^{bck}_t

    where :math:`\eta_{t-1}` is the rate of the running maximum *before* this update. The last
    term *revises* the gradients of :math:`g^{bck}`, applied with the older, larger rate, to the
    new one. Without delays (:math:`g^{bck} = 0`) this is Adagrad, bit for bit. The same
    structure as the delay-tolerant AdaGrad handle of dmlc/wormhole (``DTAdaGradHandle2``);
    there the rate is :math:`\alpha / (\beta + \sqrt{\bar z})` and the step is a proximal one
    with L1/L2 regularisation, here :math:`\eta / \sqrt{\bar z + \epsilon}` as in the text's
    Adagrad, without regularisation.

    Parameters
    ----------
    lr : float or array
        :math:`\eta > 0`.
    eps : float or array
        :math:`\epsilon \ge 0`.
    """

    defaults = {"lr": 0.01, "eps": 1e-8}
    state_names = ("zprime", "zmax")
    #: The server passes ``g_bck`` to this rule (and keeps the gradient sums it needs).
    delay_tolerant = True

    def step(self, theta, grad_fn, g_bck=None):
        r"""Advance one step: ``grad_fn(theta)`` is :math:`g_t`, ``g_bck`` is :math:`g^{bck}_t` (default 0)."""
        g_bck = 0.0 if g_bck is None else np.asarray(g_bck, dtype=np.float64)
        # The base class's step hands _update one function; it returns both inputs of the rule.
        return super().step(theta, lambda th: (grad_fn(th), g_bck))

    def _update(self, theta, grads, s):
        g, g_bck = grads(theta)
        zmax_old = s["zmax"]
        s["zprime"] = s["zprime"] + g * g + 2 * g * g_bck
        s["zmax"] = np.maximum(s["zmax"], s["zprime"])
        eta = self.lr / np.sqrt(s["zmax"] + self.eps)
        # A coordinate that no gradient has touched yet has nothing to revise (and g_bck = 0 there).
        seen = zmax_old > 0
        eta_old = np.where(seen, self.lr / np.sqrt(np.where(seen, zmax_old, 1.0) + self.eps), eta)
        return theta - eta * g + (eta_old - eta) * g_bck
