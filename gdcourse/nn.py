r"""A small multilayer perceptron in numpy with analytic backpropagation.

The parameters are one flat vector :math:`\theta` (every layer's weights, then
its biases, layer after layer), so every gdcourse optimizer and the training
loop of :mod:`gdcourse.loops` apply unchanged. Like the models of
:mod:`gdcourse.models`, ``loss`` and ``grad`` are vectorised over leading axes
of ``theta``: a grid of networks of shape ``(k, n_params)`` trains in one call.

The loss is the mean softmax cross-entropy over the examples,
:math:`J(\theta) = -\frac1n \sum_i \log \operatorname{softmax}(f_\theta(x^{(i)}))_{y^{(i)}}`.

With ``batchnorm=True`` every hidden layer normalises its pre-activations over
the mini-batch (Ioffe & Szegedy, 2015) before the nonlinearity:

.. math::
    z = a W, \quad \mu_B = \frac1m \sum_{i=1}^m z_i, \quad
    \sigma_B^2 = \frac1m \sum_{i=1}^m (z_i - \mu_B)^2, \quad
    \hat z_i = \frac{z_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \quad
    u_i = \gamma \odot \hat z_i + \beta, \quad a' = f(u).

The scale :math:`\gamma` and shift :math:`\beta` are parameters (they live in
:math:`\theta`; :math:`\beta` takes the place of the layer's bias, which the
normalisation would cancel). ``loss`` and ``grad`` use the statistics of the
batch they are given: that is what :func:`gdcourse.loops.train` minimises. For
inference the network keeps running averages of the batch statistics in
:attr:`MLP.state`, outside :math:`\theta`, because no gradient moves them:
:func:`gdcourse.loops.train` calls :meth:`MLP.reset_state` before the first
update and :meth:`MLP.update_state` with every mini-batch, and
``loss(theta, X, y, mode="eval")`` (or :meth:`MLP.eval_loss`) normalises with
them instead of the batch's.
"""
from __future__ import annotations

import numpy as np

from . import checks

__all__ = ["MLP"]

_ACTIVATIONS = {
    # name: (f, f' expressed through f's output a)
    "tanh": (np.tanh, lambda a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0).astype(a.dtype)),
}


class MLP:
    r"""Dense layers with a nonlinearity between them and softmax cross-entropy on top.

    Parameters
    ----------
    sizes : sequence of int
        Input features, hidden widths, number of classes, e.g. ``(64, 32, 10)``.
    activation : {"tanh", "relu"}
        The nonlinearity after every hidden layer.
    batchnorm : bool
        Normalise every hidden layer's pre-activations over the mini-batch
        (see the module docstring); the output layer is never normalised.
    bn_momentum : float in (0, 1]
        Weight :math:`\rho` of the newest batch in the running statistics,
        :math:`\mu \leftarrow (1 - \rho)\mu + \rho\,\mu_B` (PyTorch's ``momentum``).
    bn_eps : float > 0
        The :math:`\epsilon` under the square root of the normalisation.
    """

    def __init__(self, sizes, activation="tanh", batchnorm=False, bn_momentum=0.1, bn_eps=1e-5):
        sizes = tuple(sizes)
        if len(sizes) < 2 or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in sizes):
            raise ValueError(f"Invalid sizes: {sizes!r} (must be at least two integers >= 1)")
        if sizes[-1] < 2:
            raise ValueError(f"Invalid sizes: {sizes!r} (the last, the number of classes, must be >= 2)")
        checks.choice("activation", activation, tuple(_ACTIVATIONS))
        if not isinstance(batchnorm, (bool, np.bool_)):
            raise ValueError(f"Invalid batchnorm: {batchnorm!r} (must be True or False)")
        checks.real("bn_momentum", bn_momentum, lo=0.0, strict=True, hi=1.0, allowed="must be a number in (0, 1]")
        checks.real("bn_eps", bn_eps, lo=0.0, strict=True)
        self.sizes = sizes
        self.activation = activation
        self.batchnorm = bool(batchnorm)
        self.bn_momentum, self.bn_eps = float(bn_momentum), float(bn_eps)
        self._slices = []
        # With batch normalization a hidden layer's bias is the shift beta; its scale gamma follows.
        self._gammas = []
        at = 0
        for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            w, b = slice(at, at + n_in * n_out), slice(at + n_in * n_out, at + n_in * n_out + n_out)
            self._slices.append((w, b, n_in, n_out))
            at = b.stop
            if self.batchnorm and k < len(sizes) - 2:
                self._gammas.append(slice(at, at + n_out))
                at += n_out
        self.n_params = at
        self.reset_state()

    def init(self, seed=0, scale=1.0):
        """Random weights :math:`\\mathcal N(0, \\text{scale}^2 / n_{in})` and zero biases.

        With batch normalization also :math:`\\gamma = 1, \\beta = 0`; the weights
        are the same draws as without it, so both networks start from the same W.
        """
        rng = np.random.default_rng(seed)
        theta = np.zeros(self.n_params)
        for w, _, n_in, n_out in self._slices:
            theta[w] = rng.normal(scale=scale / np.sqrt(n_in), size=n_in * n_out)
        for g in self._gammas:
            theta[g] = 1.0
        return theta

    def _layers(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape[-1] != self.n_params:
            raise ValueError(f"Invalid theta shape: {theta.shape} (last axis must be n_params = {self.n_params})")
        lead = theta.shape[:-1]
        return [(theta[..., w].reshape(*lead, n_in, n_out), theta[..., b][..., None, :])
                for w, b, n_in, n_out in self._slices]

    def _forward(self, theta, X, mode="train"):
        """Layers, activations and, per batch-normalised layer, (ẑ, 1/√(σ²+ε), u)."""
        f = _ACTIVATIONS[self.activation][0]
        acts = [np.asarray(X, dtype=np.float64)]
        layers = self._layers(theta)
        norms = []
        for k, (W, b) in enumerate(layers):
            if k == len(layers) - 1:
                acts.append(acts[-1] @ W + b)
            elif self.batchnorm:
                z = acts[-1] @ W
                mean, var = self._normalisation(k, z, mode)
                inv_std = 1.0 / np.sqrt(var + self.bn_eps)
                zhat = (z - mean) * inv_std
                u = theta[..., self._gammas[k]][..., None, :] * zhat + b
                norms.append((zhat, inv_std, u))
                acts.append(f(u))
            else:
                acts.append(f(acts[-1] @ W + b))
        return layers, acts, norms

    def _normalisation(self, k, z, mode):
        if mode == "train":
            return z.mean(axis=-2, keepdims=True), z.var(axis=-2, keepdims=True)
        checks.choice("mode", mode, ("train", "eval"))
        return self.state["mean"][k][..., None, :], self.state["var"][k][..., None, :]

    def logits(self, theta, X, mode="train"):
        """The network's outputs before the softmax, shape ``(..., n, classes)``.

        ``mode="eval"`` normalises with the running statistics instead of the batch's
        (only batch normalization distinguishes the two).
        """
        return self._forward(theta, X, mode)[1][-1]

    def preactivations(self, theta, X, mode="train"):
        """The inputs of every hidden nonlinearity, a list of arrays ``(..., n, width)``.

        Without batch normalization :math:`z = aW + b`; with it :math:`u = \\gamma \\odot \\hat z + \\beta`.
        """
        layers, acts, norms = self._forward(theta, X, mode)
        if self.batchnorm:
            return [u for _, _, u in norms]
        return [acts[k] @ W + b for k, (W, b) in enumerate(layers[:-1])]

    def reset_state(self):
        r"""Start the running statistics over at :math:`\mu = 0, \sigma^2 = 1` (``None`` without batch normalization)."""
        hidden = [n_out for _, _, _, n_out in self._slices[:-1]]
        self.state = ({"mean": [np.zeros(h) for h in hidden], "var": [np.ones(h) for h in hidden]}
                      if self.batchnorm else None)

    def update_state(self, theta, X):
        r"""Fold the batch statistics of ``X`` at ``theta`` into the running ones.

        .. math::
            \mu \leftarrow (1 - \rho)\,\mu + \rho\,\mu_B, \qquad
            \sigma^2 \leftarrow (1 - \rho)\,\sigma^2 + \rho\,\frac{m}{m - 1}\sigma_B^2

        from :math:`\mu = 0, \sigma^2 = 1` after :meth:`reset_state` (the unbiased
        variance, as in Ioffe & Szegedy's inference network; ``theta`` may be a grid
        of networks). A no-op without batch normalization.
        """
        if not self.batchnorm:
            return
        f = _ACTIVATIONS[self.activation][0]
        rho, a = self.bn_momentum, np.asarray(X, dtype=np.float64)
        m = a.shape[0]
        layers = self._layers(theta)
        for k, (W, b) in enumerate(layers[:-1]):
            z = a @ W
            mean, var = z.mean(axis=-2, keepdims=True), z.var(axis=-2, keepdims=True)
            self.state["mean"][k] = (1 - rho) * self.state["mean"][k] + rho * mean[..., 0, :]
            self.state["var"][k] = (1 - rho) * self.state["var"][k] + rho * var[..., 0, :] * m / max(m - 1, 1)
            gamma = theta[..., self._gammas[k]][..., None, :]
            a = f(gamma * (z - mean) / np.sqrt(var + self.bn_eps) + b)

    @staticmethod
    def _log_softmax(z):
        z = z - z.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    def loss(self, theta, X, y, mode="train"):
        """Mean cross-entropy; shape ``theta.shape[:-1]`` (``mode``: see :meth:`logits`)."""
        logp = self._log_softmax(self.logits(theta, X, mode))
        y = np.asarray(y, dtype=np.int64)
        return -np.take_along_axis(logp, np.broadcast_to(y[:, None], logp.shape[:-1] + (1,)), axis=-1)[..., 0].mean(axis=-1)

    def eval_loss(self, theta, X, y):
        """The loss at inference: ``loss(theta, X, y, mode="eval")`` with batch normalization, else ``loss``."""
        return self.loss(theta, X, y, mode="eval" if self.batchnorm else "train")

    def grad(self, theta, X, y):
        r""":math:`\nabla_\theta J` by backpropagation, shape of ``theta``.

        Through a batch-normalised layer (batch statistics; :math:`\delta = \partial J / \partial u`):

        .. math::
            \frac{\partial J}{\partial\gamma} = \sum_i \delta_i \odot \hat z_i, \quad
            \frac{\partial J}{\partial\beta} = \sum_i \delta_i, \quad
            \frac{\partial J}{\partial z_i} = \frac{\gamma}{m\sqrt{\sigma_B^2 + \epsilon}} \odot
            \Big(m\,\delta_i - \sum_j \delta_j - \hat z_i \odot \sum_j \delta_j \odot \hat z_j\Big)
        """
        theta = np.asarray(theta, dtype=np.float64)
        layers, acts, norms = self._forward(theta, X)
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
            grad[..., b] = delta.sum(axis=-2)
            if self.batchnorm and k < len(layers) - 1:
                zhat, inv_std, _ = norms[k]
                grad[..., self._gammas[k]] = (delta * zhat).sum(axis=-2)
                dzhat = delta * theta[..., self._gammas[k]][..., None, :]
                delta = inv_std / n * (n * dzhat - dzhat.sum(axis=-2, keepdims=True)
                                       - zhat * (dzhat * zhat).sum(axis=-2, keepdims=True))
            # matmul broadcasts one input batch over a grid of networks (einsum here was ~20x slower).
            gW = np.swapaxes(a_prev, -1, -2) @ delta
            grad[..., w] = gW.reshape(*theta.shape[:-1], n_in * n_out)
            if k > 0:
                delta = (delta @ np.swapaxes(layers[k][0], -1, -2)) * dfa(acts[k])
        return grad

    def predict(self, theta, X, mode="train"):
        """The most likely class of each example."""
        return self.logits(theta, X, mode).argmax(axis=-1)

    def accuracy(self, theta, X, y, mode="train"):
        """Fraction of examples classified correctly."""
        return (self.predict(theta, X, mode) == np.asarray(y)).mean(axis=-1)


# --- Dropout: a separate class, so that MLP itself stays as the chapters derive it. -------------

from . import checks  # noqa: E402  (kept with the one class that uses it)

__all__ += ["DropoutMLP"]


class DropoutMLP(MLP):
    r"""An :class:`MLP` trained with (inverted) dropout on every hidden layer (Srivastava et al., 2014).

    In :meth:`grad`, the gradient :func:`gdcourse.loops.train` follows, every hidden unit's output
    :math:`a = f(u)` is kept with probability :math:`1 - p` and scaled by :math:`1 / (1 - p)`,
    dropped otherwise, with a fresh mask for every example, every network of a grid and every call:

    .. math::
        \tilde a = a \odot r / (1 - p), \qquad r_{ij} \sim \text{Bernoulli}(1 - p),

    so that :math:`E[\tilde a] = a`. The next layer reads :math:`\tilde a`, and backpropagation
    passes only through the units that were kept. ``loss``, ``logits``, ``predict``, ``accuracy``
    and the running statistics of batch normalization are the :class:`MLP`'s, without dropout:
    the network that is evaluated and used at inference.

    Parameters
    ----------
    sizes, activation, batchnorm, bn_momentum, bn_eps
        As for :class:`MLP`.
    p : float in [0, 1)
        The probability of dropping a hidden unit (0: no dropout, the plain :class:`MLP`).
    seed : int >= 0
        Seeds the masks.
    """

    def __init__(self, sizes, activation="tanh", batchnorm=False, p=0.5, seed=0, bn_momentum=0.1, bn_eps=1e-5):
        super().__init__(sizes, activation, batchnorm, bn_momentum=bn_momentum, bn_eps=bn_eps)
        self.p = checks.real("p", p, 0.0, hi=1.0, allowed="must be a finite number >= 0 and < 1")
        if self.p == 1.0:
            raise ValueError(f"Invalid p: {p!r} (must be a finite number >= 0 and < 1)")
        self.seed = checks.integer("seed", seed, 0)
        self.rng = np.random.default_rng(self.seed)

    def masks(self, lead, n):
        """One mask per hidden layer, ``lead + (n, width)``: 0 (dropped) or :math:`1/(1-p)` (kept)."""
        keep = 1.0 - self.p
        return [(self.rng.random((*lead, n, width)) < keep) / keep for width in self.sizes[1:-1]]

    def _dropped_forward(self, theta, X, masks):
        f = _ACTIVATIONS[self.activation][0]
        layers = self._layers(theta)
        acts, kept, norms = [np.asarray(X, dtype=np.float64)], [], []
        for k, (W, b) in enumerate(layers[:-1]):
            if self.batchnorm:
                z = acts[-1] @ W
                mean, var = self._normalisation(k, z, "train")
                inv_std = 1.0 / np.sqrt(var + self.bn_eps)
                zhat = (z - mean) * inv_std
                norms.append((zhat, inv_std))
                a = f(theta[..., self._gammas[k]][..., None, :] * zhat + b)
            else:
                a = f(acts[-1] @ W + b)
            kept.append(a)                       # f(u), for f'(u) on the way back
            acts.append(a * masks[k])
        W, b = layers[-1]
        acts.append(acts[-1] @ W + b)
        return layers, acts, kept, norms

    def masked_loss(self, theta, X, y, masks):
        """The training loss with the given dropout ``masks`` (see :meth:`masks`)."""
        logp = self._log_softmax(self._dropped_forward(np.asarray(theta, dtype=np.float64), X, masks)[1][-1])
        y = np.asarray(y, dtype=np.int64)
        return -np.take_along_axis(logp, np.broadcast_to(y[:, None], logp.shape[:-1] + (1,)), axis=-1)[..., 0].mean(axis=-1)

    def masked_grad(self, theta, X, y, masks):
        """:math:`\\nabla_\\theta` of :meth:`masked_loss`, by backpropagation through the kept units."""
        theta = np.asarray(theta, dtype=np.float64)
        layers, acts, kept, norms = self._dropped_forward(theta, X, masks)
        dfa = _ACTIVATIONS[self.activation][1]
        n = acts[0].shape[0]
        y = np.asarray(y, dtype=np.int64)
        delta = np.exp(self._log_softmax(acts[-1]))
        delta[..., np.arange(n), y] -= 1.0
        delta /= n
        grad = np.empty(theta.shape)
        for k in range(len(layers) - 1, -1, -1):
            w, b, n_in, n_out = self._slices[k]
            grad[..., b] = delta.sum(axis=-2)
            if self.batchnorm and k < len(layers) - 1:
                zhat, inv_std = norms[k]
                grad[..., self._gammas[k]] = (delta * zhat).sum(axis=-2)
                dzhat = delta * theta[..., self._gammas[k]][..., None, :]
                delta = inv_std / n * (n * dzhat - dzhat.sum(axis=-2, keepdims=True)
                                       - zhat * (dzhat * zhat).sum(axis=-2, keepdims=True))
            grad[..., w] = (np.swapaxes(acts[k], -1, -2) @ delta).reshape(*theta.shape[:-1], n_in * n_out)
            if k > 0:
                delta = (delta @ np.swapaxes(layers[k][0], -1, -2)) * masks[k - 1] * dfa(kept[k - 1])
        return grad

    def grad(self, theta, X, y):
        """The gradient with a fresh dropout mask: what training follows."""
        theta = np.asarray(theta, dtype=np.float64)
        return self.masked_grad(theta, X, y, self.masks(theta.shape[:-1], np.shape(X)[0]))
