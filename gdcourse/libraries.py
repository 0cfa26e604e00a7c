r"""torch.optim and optax behind gdcourse's protocol, to run the libraries' own rules beside the text's.

Anything with ``reset()`` and ``step(theta, grad_fn)`` runs wherever a rule of
:mod:`gdcourse.optimizers` runs (:func:`gdcourse.run.run`, ``run_many``,
:mod:`gdcourse.compare`, :func:`gdcourse.loops.train`). The two classes here put
the libraries' optimizers behind that protocol, so that a chapter or a test
compares the text's rule with what the library computes, not with a
re-implementation of the library:

* :class:`TorchRule` wraps ``torch.optim.<name>`` (float64 tensors);
* :class:`OptaxRule` wraps ``optax.<name>`` (64-bit jax, switched on at construction).

Both keep the library's state readable as numpy arrays under the library's own
names (:attr:`state`, :attr:`state_names`), so :class:`gdcourse.optimizers.Recorder`
records it, and both expose the learning rate as ``lr``, so a schedule sets it.
Neither library is a dependency of gdcourse's other modules: they are imported
when a wrapper is built, and :func:`available` says which ones are installed.
"""
from __future__ import annotations

import importlib

import numpy as np

__all__ = ["available", "version", "TorchRule", "OptaxRule"]


def available(library):
    """True if ``library`` (``"torch"`` or ``"optax"``) can be imported."""
    try:
        importlib.import_module(library)
    except ImportError:
        return False
    return True


def version(library):
    """The installed version of ``library`` (``"torch"``, ``"optax"``, ``"jax"``), or ``None``."""
    try:
        return importlib.import_module(library).__version__
    except ImportError:
        return None


class TorchRule:
    r"""``torch.optim.<name>(**kwargs)`` as a gdcourse rule.

    ``TorchRule("Adam", lr=0.01, betas=(0.9, 0.999))`` advances :math:`\theta`
    exactly as ``torch.optim.Adam`` does, in float64: every ``step`` copies
    :math:`\theta` into the library's parameter tensor, sets its ``.grad`` to
    ``grad_fn(theta)`` and calls the library's ``step()``. :math:`\theta` may have
    leading axes (torch's rules act element by element); the hyperparameters are
    torch's, with torch's names and defaults. torch keeps scalar state (step
    counts, NAdam's product of :math:`\mu_t`) in its default dtype, float32 unless
    changed: the wrapper makes that float64 while it builds and steps the optimizer.
    """

    def __init__(self, name, **kwargs):
        torch = importlib.import_module("torch")
        cls = getattr(torch.optim, name, None)
        if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
            raise ValueError(f"Invalid name: {name!r} (must be an optimizer class of torch.optim)")
        self._torch, self._cls, self.name, self.kwargs = torch, cls, name, dict(kwargs)
        self.reset()

    def reset(self):
        """Forget the state: the next step builds a fresh torch optimizer."""
        self._param = self._opt = None

    @property
    def lr(self):
        return self.kwargs.get("lr")

    @lr.setter
    def lr(self, value):
        self.kwargs["lr"] = float(value)
        if self._opt is not None:
            for group in self._opt.param_groups:
                group["lr"] = float(value)

    def step(self, theta, grad_fn):
        """One ``torch.optim`` step from ``theta``; returns the new θ as a float64 array."""
        torch = self._torch
        theta = np.array(theta, dtype=np.float64)
        dtype = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            return self._step(theta, grad_fn)
        finally:
            torch.set_default_dtype(dtype)

    def _step(self, theta, grad_fn):
        torch = self._torch
        if self._param is None:
            self._param = torch.tensor(theta, dtype=torch.float64)
            self._opt = self._cls([self._param], **self.kwargs)
        else:
            with torch.no_grad():
                self._param.copy_(torch.from_numpy(theta))
        g = np.array(grad_fn(theta), dtype=np.float64)
        self._param.grad = torch.from_numpy(np.broadcast_to(g, theta.shape).copy())
        self._opt.step()
        return self._param.detach().numpy().copy()

    @property
    def state(self):
        """torch's per-parameter state (``exp_avg``, ``momentum_buffer``, …) as numpy arrays."""
        if self._opt is None:
            return {}
        return {k: (v.detach().numpy().copy() if hasattr(v, "detach") else v)
                for k, v in self._opt.state[self._param].items()}

    @property
    def state_names(self):
        return tuple(k for k, v in self.state.items() if np.ndim(v) > 0)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"TorchRule({self.name!r}{', ' if args else ''}{args})"


def _arrays(state, out):
    """The array fields of an optax state (named tuples, nested), by field name."""
    if hasattr(state, "_fields"):
        for name in state._fields:
            value = getattr(state, name)
            if hasattr(value, "_fields") or isinstance(value, (tuple, list)):
                _arrays(value, out)
            elif name not in ("count", "hyperparams") and np.ndim(value) > 0:
                out[name] = np.array(value)
    elif isinstance(state, (tuple, list)):
        for item in state:
            _arrays(item, out)
    return out


class OptaxRule:
    r"""``optax.<name>(learning_rate, **kwargs)`` as a gdcourse rule.

    ``OptaxRule("adam", learning_rate=0.01)`` advances :math:`\theta` as
    ``optax.adam`` does: ``updates, state = tx.update(g, state, theta)``, then
    ``optax.apply_updates``. Building one switches jax to 64-bit floats
    (``jax_enable_x64``), without which optax computes in float32. The
    transformation is wrapped in ``optax.inject_hyperparams``, so ``lr`` can be
    set between steps (a schedule); its update is compiled once with ``jax.jit``.
    """

    def __init__(self, name, **kwargs):
        jax = importlib.import_module("jax")
        jax.config.update("jax_enable_x64", True)
        optax = importlib.import_module("optax")
        factory = getattr(optax, name, None)
        if not callable(factory) or name.startswith("_"):
            raise ValueError(f"Invalid name: {name!r} (must be an optimizer of optax, e.g. 'adam')")
        self._jax, self._optax, self.name, self.kwargs = jax, optax, name, dict(kwargs)
        self._tx = optax.inject_hyperparams(factory)(**kwargs)
        self._update = jax.jit(self._tx.update)
        self.reset()

    def reset(self):
        """Forget the state: the next step initialises optax's state afresh."""
        self._state = None

    @property
    def lr(self):
        return self.kwargs.get("learning_rate")

    @lr.setter
    def lr(self, value):
        self.kwargs["learning_rate"] = float(value)
        if self._state is not None:
            self._state.hyperparams["learning_rate"] = self._jax.numpy.asarray(float(value))

    def step(self, theta, grad_fn):
        """One optax update from ``theta``; returns the new θ as a float64 array."""
        jnp = self._jax.numpy
        theta = np.array(theta, dtype=np.float64)
        params = jnp.asarray(theta)
        if self._state is None:
            self._state = self._tx.init(params)
            if self.lr is not None:
                self._state.hyperparams["learning_rate"] = jnp.asarray(float(self.lr))
        g = jnp.asarray(np.broadcast_to(np.asarray(grad_fn(theta), dtype=np.float64), theta.shape))
        updates, self._state = self._update(g, self._state, params)
        return np.array(self._optax.apply_updates(params, updates), dtype=np.float64)

    @property
    def state(self):
        """optax's state arrays (``mu``, ``nu``, ``nu_max``, ``trace``, …) as numpy arrays."""
        return {} if self._state is None else _arrays(self._state.inner_state, {})

    @property
    def state_names(self):
        return tuple(self.state)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"OptaxRule({self.name!r}{', ' if args else ''}{args})"
