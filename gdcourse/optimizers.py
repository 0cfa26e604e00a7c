r"""The ten update rules of Ruder's overview, each exactly as the text writes it.

Every rule is a small class over :class:`Optimizer`. The contract:

* hyperparameters are keyword arguments named after the text's symbols
  (``lr`` is :math:`\eta`, ``gamma`` is :math:`\gamma`, ``beta1``/``beta2`` are
  :math:`\beta_1, \beta_2`, ``eps`` is :math:`\epsilon`), defaulting to the text's
  suggested values, validated at construction and kept as public attributes (a
  schedule may change ``lr`` between steps);
* ``step(theta, grad_fn)`` returns the next :math:`\theta`, where ``grad_fn(theta)``
  returns :math:`\nabla_\theta J` at any point (NAG evaluates it at the look-ahead point);
* hyperparameters may be arrays that broadcast against :math:`\theta`: with
  ``theta`` of shape ``(n, d)`` and ``lr`` of shape ``(n, 1)`` one call advances n
  optimizers at once;
* the state carries the text's names (``t``, ``v``, ``G``, ``Eg2``, ``Edtheta2``,
  ``m``, ``u``, ``vhat``) and is visible in :attr:`Optimizer.state`;
  ``state_dict()`` / ``load_state_dict()`` resume a run bit for bit, ``reset()``
  starts over.

Your own rule
-------------
The runners (:func:`gdcourse.run.run`, ``run_many``, ``run_grid``,
:mod:`gdcourse.compare`, :func:`gdcourse.loops.train`) need only two methods,
so anything that has them runs wherever a built-in rule runs:

* ``reset()``: forget the state (every run calls it first);
* ``step(theta, grad_fn)``: return the next :math:`\theta`, a new array of
  :math:`\theta`'s shape (the runners copy what they record, and reject a step
  that returns anything else).

A schedule sets ``lr`` between steps. To get validation, state bookkeeping,
``state_dict`` and grids for free, subclass :class:`Optimizer` instead: set
``defaults`` and ``state_names`` and write the one hook
``update(self, theta, grad_fn, s)``, which reads and writes the state ``s`` (a
dict, ``s["t"]`` is the step number, already advanced) and returns the new
:math:`\theta` (``_update`` is its older name and still works).

This module knows numpy and nothing else of the course.
"""
from __future__ import annotations

import inspect
import math

import numpy as np

from . import checks

__all__ = [
    "Optimizer", "SGD", "Momentum", "NAG", "Adagrad", "Adadelta", "RMSprop",
    "Adam", "AdaMax", "Nadam", "AMSGrad", "RULES", "make", "Recorder", "AdamW", "is_optimizer", "rule_class",
]

# Allowed range of each hyperparameter of the text: (lo, strict, hi-exclusive 1?).
_RANGES = {
    "lr": dict(lo=0.0, strict=True),
    "gamma": dict(lo=0.0, hi=1.0, allowed="must be a finite number in [0, 1)"),
    "beta1": dict(lo=0.0, hi=1.0, allowed="must be a finite number in [0, 1)"),
    "beta2": dict(lo=0.0, hi=1.0, allowed="must be a finite number in [0, 1)"),
    "eps": dict(lo=0.0),
    "weight_decay": dict(lo=0.0),
}


def _validated(name, value):
    """Return ``value`` as a float or float array, or raise ``ValueError`` naming it.

    Hyperparameters of the text are checked against their ranges (through
    :mod:`gdcourse.checks`); a subclass's own hyperparameters are left to it.
    """
    rng = _RANGES.get(name)
    if rng is None:
        return value
    # Fast path for a valid float (a schedule sets ``lr`` at every step).
    if (type(value) is float or type(value) is np.float64) and math.isfinite(value) and (
            value > rng["lo"] if rng.get("strict") else value >= rng["lo"]) and value < rng.get("hi", math.inf):
        return float(value)
    value = checks.real(name, value, lo=rng["lo"], strict=rng.get("strict", False), allowed=rng.get("allowed"))
    if "hi" in rng and np.any(np.asarray(value) >= rng["hi"]):
        raise ValueError(f"Invalid {name}: {value!r} ({rng['allowed']})")
    return value


def is_optimizer(obj):
    """True if ``obj`` follows the protocol: callable ``reset()`` and ``step(theta, grad_fn)``."""
    return not isinstance(obj, type) and callable(getattr(obj, "reset", None)) and \
        callable(getattr(obj, "step", None))


def _kind(obj):
    """How an error message names what it got: ``Quadratic``, ``the class RMSprop (call it: RMSprop())``."""
    if isinstance(obj, type):
        return f"the class {obj.__name__} (create one: {obj.__name__}())"
    return type(obj).__name__


class Optimizer:
    """Base class: hyperparameter validation, state bookkeeping, (de)serialisation.

    Subclasses set :attr:`defaults` (hyperparameter name -> the text's value),
    :attr:`state_names` (the text's names of the per-parameter state, all
    starting at zero) and implement the hook :meth:`update`. The constructor
    takes the hyperparameters by keyword only, with :attr:`defaults` as its
    signature (``help(RMSprop)`` shows ``RMSprop(*, lr=0.001, gamma=0.9, eps=1e-08)``).
    """

    defaults: dict = {}
    state_names: tuple = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # One hook, two names: ``update`` (public) and ``_update`` (its older name).
        own = cls.__dict__
        if "update" in own and "_update" not in own:
            cls._update = own["update"]
        elif "_update" in own and "update" not in own:
            cls.update = own["_update"]
        # The signature help() and tab completion show: the hyperparameters, keyword-only.
        cls.__signature__ = inspect.Signature(
            [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v) for k, v in cls.defaults.items()])

    def __init__(self, *args, **hyperparams):
        if args:
            example = ", ".join(f"{k}={v!r}" for k, v in zip(self.defaults, args))
            raise TypeError(
                f"{type(self).__name__} takes its hyperparameters by name: "
                f"{type(self).__name__}({example}) (allowed: {', '.join(self.defaults) or 'none'})")
        unknown = set(hyperparams) - set(self.defaults)
        if unknown:
            allowed = ", ".join(self.defaults) or "none"
            raise ValueError(
                f"Invalid hyperparameter(s) for {type(self).__name__}: "
                f"{', '.join(sorted(unknown))} (allowed: {allowed})"
            )
        for name, default in self.defaults.items():
            setattr(self, name, hyperparams.get(name, default))
        self.reset()

    def __setattr__(self, name, value):
        # Hyperparameters are validated however they are set, so a schedule
        # that sets ``opt.lr = -1`` fails as early as the constructor would.
        if name in type(self).defaults:
            value = _validated(name, value)
        object.__setattr__(self, name, value)

    @property
    def hyperparams(self):
        """The hyperparameters, name -> value."""
        return {name: getattr(self, name) for name in self.defaults}

    def reset(self):
        """Forget the state: the next step is step t = 1 again."""
        self.state = {"t": 0, **{name: None for name in self.state_names}}

    def step(self, theta, grad_fn):
        r"""Advance one step of the rule and return the new :math:`\theta`.

        Parameters
        ----------
        theta : array_like, shape (..., d)
            Current parameters.
        grad_fn : callable
            ``grad_fn(theta)`` returns :math:`\nabla_\theta J(\theta)`.
        """
        theta = np.asarray(theta, dtype=np.float64)
        if self.state["t"] == 0:
            shape = np.broadcast_shapes(theta.shape, *(np.shape(h) for h in self.hyperparams.values()))
            for name in self.state_names:
                self.state[name] = np.zeros(shape)
        self.state["t"] += 1
        return self.update(theta, grad_fn, self.state)

    def update(self, theta, grad_fn, s):
        r"""The rule itself (the subclass hook): return the new :math:`\theta`.

        Parameters
        ----------
        theta : ndarray
            :math:`\theta_t` (do not change it in place: return a new array).
        grad_fn : callable
            :math:`\nabla_\theta J`, to be called at whatever point the rule needs.
        s : dict
            The state: ``s["t"]`` is the step number (1 at the first step) and every
            name of :attr:`state_names` holds an array, zeros at the first step. Update
            it in place (``s["v"] = ...``).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update(theta, grad_fn, s)")

    def state_dict(self):
        """A deep copy of hyperparameters and state, enough to resume bit for bit."""
        copy = lambda x: x.copy() if isinstance(x, np.ndarray) else x
        return {
            "hyperparams": {k: copy(v) for k, v in self.hyperparams.items()},
            "state": {k: copy(v) for k, v in self.state.items()},
        }

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned."""
        expected = {"t", *self.state_names}
        if set(state_dict["state"]) != expected:
            raise ValueError(
                f"Invalid state_dict for {type(self).__name__}: state keys "
                f"{sorted(state_dict['state'])} (expected {sorted(expected)})"
            )
        for name, value in state_dict["hyperparams"].items():
            if name not in self.defaults:
                raise ValueError(f"Invalid hyperparameter in state_dict: {name}")
            setattr(self, name, value)
        self.state = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                      for k, v in state_dict["state"].items()}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparams.items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    r"""Vanilla (stochastic) gradient descent.

    .. math:: \theta = \theta - \eta \cdot \nabla_\theta J(\theta)

    The text gives no default :math:`\eta`; 0.01 is the common one.
    """

    defaults = {"lr": 0.01}

    def update(self, theta, grad_fn, s):
        return theta - self.lr * grad_fn(theta)


class Momentum(SGD):
    r"""SGD with momentum (Qian, 1999).

    .. math::
        v_t = \gamma v_{t-1} + \eta \nabla_\theta J(\theta), \qquad
        \theta = \theta - v_t
    """

    defaults = {"lr": 0.01, "gamma": 0.9}
    state_names = ("v",)

    def update(self, theta, grad_fn, s):
        s["v"] = self.gamma * s["v"] + self.lr * grad_fn(theta)
        return theta - s["v"]


class NAG(Momentum):
    r"""Nesterov accelerated gradient: the gradient is taken at the look-ahead point.

    .. math::
        v_t = \gamma v_{t-1} + \eta \nabla_\theta J(\theta - \gamma v_{t-1}), \qquad
        \theta = \theta - v_t
    """

    def update(self, theta, grad_fn, s):
        s["v"] = self.gamma * s["v"] + self.lr * grad_fn(theta - self.gamma * s["v"])
        return theta - s["v"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011): per-parameter rates from the sum of squared gradients.

    .. math::
        G_t = G_{t-1} + g_t \odot g_t, \qquad
        \theta_{t+1} = \theta_t - \frac{\eta}{\sqrt{G_t + \epsilon}} \odot g_t

    :math:`G_t` holds the diagonal of the text's matrix :math:`G_t`.
    """

    defaults = {"lr": 0.01, "eps": 1e-8}
    state_names = ("G",)

    def update(self, theta, grad_fn, s):
        g = grad_fn(theta)
        s["G"] = s["G"] + g * g
        return theta - self.lr / np.sqrt(s["G"] + self.eps) * g


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012): no learning rate, units matched by :math:`RMS[\Delta\theta]`.

    .. math::
        E[g^2]_t &= \gamma E[g^2]_{t-1} + (1 - \gamma) g_t^2 \\
        \Delta\theta_t &= -\frac{RMS[\Delta\theta]_{t-1}}{RMS[g]_t} g_t,
        \quad RMS[x]_t = \sqrt{E[x^2]_t + \epsilon} \\
        E[\Delta\theta^2]_t &= \gamma E[\Delta\theta^2]_{t-1} + (1 - \gamma)\Delta\theta_t^2 \\
        \theta_{t+1} &= \theta_t + \Delta\theta_t

    The text sets :math:`\gamma` around 0.9 and gives no :math:`\epsilon`; 1e-6 is
    Zeiler's value.
    """

    defaults = {"gamma": 0.9, "eps": 1e-6}
    state_names = ("Eg2", "Edtheta2")

    def update(self, theta, grad_fn, s):
        g = grad_fn(theta)
        s["Eg2"] = self.gamma * s["Eg2"] + (1 - self.gamma) * g**2
        delta = -np.sqrt(s["Edtheta2"] + self.eps) / np.sqrt(s["Eg2"] + self.eps) * g
        s["Edtheta2"] = self.gamma * s["Edtheta2"] + (1 - self.gamma) * delta**2
        return theta + delta


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, lecture 6e): Adadelta's first update vector.

    .. math::
        E[g^2]_t = \gamma E[g^2]_{t-1} + (1 - \gamma) g_t^2, \qquad
        \theta_{t+1} = \theta_t - \frac{\eta}{\sqrt{E[g^2]_t + \epsilon}} g_t

    The text writes :math:`\gamma = 0.9` into the equation and suggests :math:`\eta = 0.001`.
    """

    defaults = {"lr": 0.001, "gamma": 0.9, "eps": 1e-8}
    state_names = ("Eg2",)

    def update(self, theta, grad_fn, s):
        g = grad_fn(theta)
        s["Eg2"] = self.gamma * s["Eg2"] + (1 - self.gamma) * g**2
        return theta - self.lr / np.sqrt(s["Eg2"] + self.eps) * g


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): bias-corrected first and second moments.

    .. math::
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat m_t &= \frac{m_t}{1 - \beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1 - \beta_2^t} \\
        \theta_{t+1} &= \theta_t - \frac{\eta}{\sqrt{\hat v_t} + \epsilon} \hat m_t
    """

    defaults = {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    state_names = ("m", "v")

    def _moments(self, g, s):
        """Update m and v in place and return the bias-corrected m̂_t, v̂_t."""
        t = s["t"]
        s["m"] = self.beta1 * s["m"] + (1 - self.beta1) * g
        s["v"] = self.beta2 * s["v"] + (1 - self.beta2) * g**2
        return s["m"] / (1 - self.beta1**t), s["v"] / (1 - self.beta2**t)

    def update(self, theta, grad_fn, s):
        m_hat, v_hat = self._moments(grad_fn(theta), s)
        return theta - self.lr / (np.sqrt(v_hat) + self.eps) * m_hat


class AdaMax(Optimizer):
    r"""AdaMax (Kingma & Ba, 2015): Adam with the :math:`\ell_\infty` norm.

    .. math::
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        \hat m_t = \frac{m_t}{1 - \beta_1^t} \\
        u_t &= \max(\beta_2 \cdot u_{t-1}, |g_t|) \\
        \theta_{t+1} &= \theta_t - \frac{\eta}{u_t} \hat m_t

    The text has no :math:`\epsilon` here, so none is added. :math:`u_t = 0` only
    where every gradient so far was exactly zero, and there :math:`\hat m_t = 0`
    too; the step :math:`0/0` is taken as 0 (the coordinate stays where it is),
    so a zero gradient at the start cannot divide by zero.
    """

    defaults = {"lr": 0.002, "beta1": 0.9, "beta2": 0.999}
    state_names = ("m", "u")

    def update(self, theta, grad_fn, s):
        g = grad_fn(theta)
        s["m"] = self.beta1 * s["m"] + (1 - self.beta1) * g
        m_hat = s["m"] / (1 - self.beta1 ** s["t"])
        s["u"] = np.maximum(self.beta2 * s["u"], np.abs(g))
        step = np.divide(m_hat, s["u"], out=np.zeros(np.broadcast(m_hat, s["u"]).shape),
                         where=s["u"] != 0)
        return theta - self.lr * step


class Nadam(Adam):
    r"""Nadam (Dozat, 2016), the text's final update rule.

    .. math::
        \theta_{t+1} = \theta_t - \frac{\eta}{\sqrt{\hat v_t} + \epsilon}
        \left(\beta_1 \hat m_t + \frac{(1 - \beta_1) g_t}{1 - \beta_1^t}\right)

    with :math:`m_t, v_t, \hat m_t, \hat v_t` as in Adam. The text gives no default
    :math:`\eta`; 0.002 is Dozat's.
    """

    defaults = {"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

    def update(self, theta, grad_fn, s):
        g = grad_fn(theta)
        m_hat, v_hat = self._moments(g, s)
        nesterov = self.beta1 * m_hat + (1 - self.beta1) * g / (1 - self.beta1 ** s["t"])
        return theta - self.lr / (np.sqrt(v_hat) + self.eps) * nesterov


class AMSGrad(Optimizer):
    r"""AMSGrad (Reddi et al., 2018), without bias correction, as the text writes it.

    .. math::
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \\
        \theta_{t+1} &= \theta_t - \frac{\eta}{\sqrt{\hat v_t} + \epsilon} m_t
    """

    defaults = {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    state_names = ("m", "v", "vhat")

    def update(self, theta, grad_fn, s):
        g = grad_fn(theta)
        s["m"] = self.beta1 * s["m"] + (1 - self.beta1) * g
        s["v"] = self.beta2 * s["v"] + (1 - self.beta2) * g**2
        s["vhat"] = np.maximum(s["vhat"], s["v"])
        return theta - self.lr / (np.sqrt(s["vhat"]) + self.eps) * s["m"]


#: The ten rules in the text's order, by name.
RULES = {cls.__name__: cls for cls in
         (SGD, Momentum, NAG, Adagrad, Adadelta, RMSprop, Adam, AdaMax, Nadam, AMSGrad)}


def make(name, **hyperparams):
    """Build the rule called ``name`` (e.g. ``"Adam"``), dropping hyperparameters it lacks.

    Handy for comparisons where one dictionary of settings serves every rule
    (Adadelta has no ``lr``, SGD no ``gamma``). A hyperparameter that none of the
    rules has (a typo such as ``gama``) is an error. ``name`` may also be a rule's
    class (one of :data:`RULES` or your own :class:`Optimizer` subclass).
    """
    cls = rule_class(name)
    known = {k for rule in (*RULES.values(), cls) for k in rule.defaults}
    unknown = sorted(set(hyperparams) - known)
    if unknown:
        raise ValueError(f"Invalid hyperparameter(s): {', '.join(unknown)} "
                         f"(no rule has them; the rules have {', '.join(sorted(known))})")
    return cls(**{k: v for k, v in hyperparams.items() if k in cls.defaults})


def rule_class(rule):
    """The class of ``rule``: a name of :data:`RULES`, or an :class:`Optimizer` subclass itself."""
    if isinstance(rule, type) and issubclass(rule, Optimizer):
        return rule
    if isinstance(rule, str) and rule in RULES:
        return RULES[rule]
    raise ValueError(f"Invalid rule: {rule!r} (must be one of {', '.join(RULES)}, or an Optimizer subclass)")


# --- Watching a rule's state over a run (the adaptive-rate chapters) ---------------------


class Recorder:
    r"""Wrap an optimizer and keep a copy of its state and of its step after every update.

    A :class:`Recorder` behaves like the optimizer it wraps (``step``,
    ``reset``, ``state``, hyperparameters, which it reads and sets on the
    wrapped rule), so it can be passed to :func:`gdcourse.run.run` or
    :func:`gdcourse.loops.train` in its place. After a run, :attr:`history`
    holds, for each of the rule's state names (e.g. ``"G"``, ``"Eg2"``) and for
    ``"dtheta"``, the parameter update

    .. math:: \Delta\theta_t = \theta_{t+1} - \theta_t,

    an array whose row ``t - 1`` is the value after step ``t``. ``reset()``
    (which every run calls first) empties it.

    Parameters
    ----------
    optimizer : Optimizer
        The rule to watch.
    """

    def __init__(self, optimizer):
        if not is_optimizer(optimizer):
            raise ValueError(f"Invalid optimizer: expected an optimizer (with reset() and step(theta, grad_fn)), "
                             f"got {_kind(optimizer)}")
        object.__setattr__(self, "optimizer", optimizer)
        object.__setattr__(self, "_rows", {})

    def reset(self):
        """Reset the wrapped rule and forget what was recorded."""
        self.optimizer.reset()
        object.__setattr__(self, "_rows", {})

    def step(self, theta, grad_fn):
        r"""One step of the wrapped rule; its state and :math:`\Delta\theta_t` are recorded."""
        theta = np.asarray(theta, dtype=np.float64)
        new = self.optimizer.step(theta, grad_fn)
        # A rule outside this module may name its state only once it has stepped.
        state = getattr(self.optimizer, "state", {})
        for name in (*getattr(self.optimizer, "state_names", ()), "dtheta"):
            value = np.asarray(new) - theta if name == "dtheta" else state[name]
            self._rows.setdefault(name, []).append(np.array(value, copy=True))
        return new

    @property
    def history(self):
        """name -> array of shape ``(steps, ...)``: the state after each step, and ``"dtheta"``."""
        names = (*getattr(self.optimizer, "state_names", ()), "dtheta")
        return {name: np.array(self._rows.get(name, [])) for name in names}

    def __getattr__(self, name):
        return getattr(self.optimizer, name)

    def __setattr__(self, name, value):
        # A schedule sets ``lr`` on whatever it was given: pass it on to the rule.
        setattr(self.optimizer, name, value)

    def __repr__(self):
        return f"Recorder({self.optimizer!r})"


# --- After the text: decoupled weight decay (the conclusion) ------------------------------


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019); not one of the text's rules.

    .. math::
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat m_t &= \frac{m_t}{1 - \beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1 - \beta_2^t} \\
        \theta_{t+1} &= \theta_t - \eta \left(\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
        + \lambda \theta_t\right)

    where :math:`g_t = \nabla_\theta J(\theta_t)` is the gradient of the loss
    alone: the decay :math:`\lambda\theta_t` (``weight_decay``) is applied to the
    parameters directly instead of entering :math:`m_t` and :math:`v_t` as the
    gradient of an :math:`\ell_2` penalty :math:`\frac\lambda2\|\theta\|^2`
    would (see :class:`gdcourse.models.L2Regularized`). This is the paper's
    Algorithm 2 with its schedule multiplier :math:`\eta_t` equal to the learning
    rate and :math:`\alpha = 1` (as PyTorch and optax write it), so a schedule of
    ``lr`` scales the decay too. ``weight_decay = 0`` is Adam.
    """

    defaults = {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}

    def update(self, theta, grad_fn, s):
        m_hat, v_hat = self._moments(grad_fn(theta), s)
        return theta - self.lr * (m_hat / (np.sqrt(v_hat) + self.eps) + self.weight_decay * theta)
