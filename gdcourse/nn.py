r"""A small multilayer perceptron in numpy with analytic backpropagation.

The parameters are one flat vector :math:`\theta` (every layer's weights, then
its biases, layer after layer), so every gdcourse optimizer and the training
loop of :mod:`gdcourse.loops` apply unchanged. Like the models of
:mod:`gdcourse.models`, ``loss`` and ``grad`` are vectorised over leading axes
of ``theta``: a grid of networks of shape ``(k, n_params)`` trains in one call.

The loss is the mean softmax cross-entropy over the examples,
:math:`J(\theta) = -\frac1n \sum_i \log \operatorname{softmax}(f_\theta(x^{(i)}))_{y^{(i)}}`.
"""
from __future__ import annotations

import numpy as np

__all__ = ["MLP"]

_ACTIVATIONS = {
    # name: (f, f' expressed through f's output a)
    "tanh": (np.tanh, lambda a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0).astype(a.dtype)),
}


class MLP:
    """Dense layers with a nonlinearity between them and softmax cross-entropy on top.

    Parameters
    ----------
    sizes : sequence of int
        Input features, hidden widths, number of classes, e.g. ``(64, 32, 10)``.
    activation : {"tanh", "relu"}
        The nonlinearity after every hidden layer.
    """

    def __init__(self, sizes, activation="tanh"):
        sizes = tuple(sizes)
        if len(sizes) < 2 or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in sizes):
            raise ValueError(f"Invalid sizes: {sizes!r} (must be at least two integers >= 1)")
        if sizes[-1] < 2:
            raise ValueError(f"Invalid sizes: {sizes!r} (the last, the number of classes, must be >= 2)")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"Invalid activation: {activation!r} (must be one of {', '.join(_ACTIVATIONS)})")
        self.sizes = sizes
        self.activation = activation
        self._slices = []
        at = 0
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            w, b = slice(at, at + n_in * n_out), slice(at + n_in * n_out, at + n_in * n_out + n_out)
            self._slices.append((w, b, n_in, n_out))
            at = b.stop
        self.n_params = at

    def init(self, seed=0, scale=1.0):
        """Random weights :math:`\\mathcal N(0, \\text{scale}^2 / n_{in})` and zero biases."""
        rng = np.random.default_rng(seed)
        theta = np.zeros(self.n_params)
        for w, _, n_in, n_out in self._slices:
            theta[w] = rng.normal(scale=scale / np.sqrt(n_in), size=n_in * n_out)
        return theta

    def _layers(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape[-1] != self.n_params:
            raise ValueError(f"Invalid theta shape: {theta.shape} (last axis must be n_params = {self.n_params})")
        lead = theta.shape[:-1]
        return [(theta[..., w].reshape(*lead, n_in, n_out), theta[..., b][..., None, :])
                for w, b, n_in, n_out in self._slices]

    def _forward(self, theta, X):
        f = _ACTIVATIONS[self.activation][0]
        acts = [np.asarray(X, dtype=np.float64)]
        layers = self._layers(theta)
        for k, (W, b) in enumerate(layers):
            z = acts[-1] @ W + b
            acts.append(z if k == len(layers) - 1 else f(z))
        return layers, acts

    def logits(self, theta, X):
        """The network's outputs before the softmax, shape ``(..., n, classes)``."""
        return self._forward(theta, X)[1][-1]

    @staticmethod
    def _log_softmax(z):
        z = z - z.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    def loss(self, theta, X, y):
        """Mean cross-entropy; shape ``theta.shape[:-1]``."""
        logp = self._log_softmax(self.logits(theta, X))
        y = np.asarray(y, dtype=np.int64)
        return -np.take_along_axis(logp, np.broadcast_to(y[:, None], logp.shape[:-1] + (1,)), axis=-1)[..., 0].mean(axis=-1)

    def grad(self, theta, X, y):
        r""":math:`\nabla_\theta J` by backpropagation, shape of ``theta``."""
        theta = np.asarray(theta, dtype=np.float64)
        layers, acts = self._forward(theta, X)
        dfa = _ACTIVATIONS[self.activation][1]
        n = acts[0].shape[0]
        y = np.asarray(y, dtype=np.int64)
        delta = np.exp(self._log_softmax(acts[-1]))  # softmax p; dJ/dz = (p - onehot(y)) / n
        delta[..., np.arange(n), y] -= 1.0
        delta /= n
        grad = np.empty(theta.shape)
        for k in range(len(layers) - 1, -1, -1):
            w, b, n_in, n_out = self._slices[k]
            a_prev = acts[k]
            gW = np.swapaxes(a_prev, -1, -2) @ delta if a_prev.ndim == delta.ndim else \
                np.einsum("ni,...no->...io", a_prev, delta)
            grad[..., w] = gW.reshape(*theta.shape[:-1], n_in * n_out)
            grad[..., b] = delta.sum(axis=-2)
            if k > 0:
                delta = (delta @ np.swapaxes(layers[k][0], -1, -2)) * dfa(acts[k])
        return grad

    def predict(self, theta, X):
        """The most likely class of each example."""
        return self.logits(theta, X).argmax(axis=-1)

    def accuracy(self, theta, X, y):
        """Fraction of examples classified correctly."""
        return (self.predict(theta, X) == np.asarray(y)).mean(axis=-1)
