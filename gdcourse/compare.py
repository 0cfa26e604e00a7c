r"""Which optimizer to use? Every rule over a suite of problems, each tuned over a learning-rate grid.

One call reproduces the comparison of the chapter "Which optimizer to use?"::

    result = gdcourse.compare.sweep()          # the default suite, the ten rules, 25 learning rates
    result.table()                             # best loss, steps to tolerance, robustness

How a configuration is scored. A problem has a floor :math:`J^*` (its minimum, or a
lower bound) and a tolerance :math:`\tau`. A run of ``steps`` updates at learning rate
:math:`\eta` ends with the *excess loss*

.. math:: e(\eta) = \max\bigl(J(\theta_T) - J^*, \rho\bigr),

averaged over the problem's seeds (a diverged run scores :math:`+\infty`; excess
losses below the problem's resolution :math:`\rho` count as :math:`\rho`, by
default :math:`\tau / 100`). From these:

* **best loss** :math:`e^* = \min_\eta e(\eta)` over the grid, at :math:`\eta^*`;
* **steps to tolerance**: the fewest updates after which :math:`J - J^* < \tau`
  for good (every seed), over the grid;
* **robustness**: the width in decades of the learning-rate range around
  :math:`\eta^*` whose every grid point has :math:`e(\eta) \le F\,e^*` (``factor``
  :math:`F`, 2 by default), i.e. :math:`n\,\Delta` for :math:`n` such grid points
  :math:`\Delta` decades apart.

Every rule runs the whole grid in one vectorised call: hyperparameters are
columns of shape ``(k, 1)`` and :math:`\theta` has shape ``(k, P)``, so one
optimizer advances all k learning rates at once; on a stochastic problem every
configuration sees the same mini-batches. Adadelta has no :math:`\eta`: its grid
is over :math:`\epsilon = \eta^2` (its first steps have size about
:math:`\sqrt\epsilon`), so its axis reads in units of :math:`\sqrt\epsilon`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import inspect

from . import checks, datasets, models, nn
from . import objectives as objs
from .loops import get_batches, train
from .optimizers import RULES, make
from .run import run

__all__ = ["Problem", "function_problem", "model_problem", "suite", "grid_hyperparams", "train_grid",
           "rule_defaults", "rule_name", "build",
           "sweep", "Comparison", "Table", "rules_table", "LRS", "SUMMARY"]

#: The default learning-rate grid: 25 values, four per decade, from 1e-5 to 10.
LRS = np.logspace(-5, 1, 25)


@dataclass(frozen=True)
class Problem:
    """One problem of the suite: how to run a grid of configurations of a rule on it.

    Attributes
    ----------
    name : str
        Short name (a column of the tables).
    description : str
        One line for a table.
    run : callable
        ``run(rule, hyperparams, seed) -> (steps, losses, diverged_at)``: ``hyperparams``
        maps names to columns of shape ``(k, 1)``; ``steps`` (m,) are the updates
        after which the loss was measured, ``losses`` (m, k) the full loss there,
        ``diverged_at`` (k,) the update at which each configuration diverged (-1: never).
    floor : float
        :math:`J^*`, the minimum (or a lower bound) of the loss.
    tol : float
        :math:`\\tau`, the tolerance on :math:`J - J^*` (steps to tolerance).
    steps : int
        Updates per run.
    seeds : int
        Independent runs (start points, mini-batch orders, initialisations); 1 if deterministic.
    escape : bool
        True where the loss is unbounded below (the saddle): running off towards
        :math:`-\\infty` is the goal, not a divergence.
    resolution : float, optional
        :math:`\\rho`: excess losses below it count as equal to it; default ``tol / 100``.
    """

    name: str
    description: str
    run: object = field(repr=False)
    floor: float
    tol: float
    steps: int
    seeds: int = 1
    escape: bool = False
    resolution: float = None

    def __post_init__(self):
        if self.resolution is None:
            object.__setattr__(self, "resolution", self.tol / 100)

    @property
    def stochastic(self):
        return self.seeds > 1


def _check_int(name, value, lo):
    checks.integer(name, value, lo)


def rule_defaults(rule):
    """The hyperparameters of ``rule`` and their defaults: a name of the ten, or your own rule's class.

    An :class:`~gdcourse.optimizers.Optimizer` subclass gives its ``defaults``; any other
    class the keyword arguments of its constructor that have defaults.
    """
    if isinstance(rule, str):
        if rule not in RULES:
            raise ValueError(f"Invalid rule: {rule!r} (must be one of {', '.join(RULES)}, or a rule's class)")
        return dict(RULES[rule].defaults)
    if not isinstance(rule, type):
        raise ValueError(f"Invalid rule: {rule!r} (must be one of {', '.join(RULES)}, or a rule's class; "
                         f"got an instance of {type(rule).__name__})")
    if isinstance(getattr(rule, "defaults", None), dict):
        return dict(rule.defaults)
    return {k: p.default for k, p in inspect.signature(rule).parameters.items()
            if p.default is not inspect.Parameter.empty and p.kind is not inspect.Parameter.VAR_KEYWORD}


def rule_name(rule):
    """How a table names ``rule``: its name, or its class's name."""
    return rule if isinstance(rule, str) else rule.__name__


def build(rule, **hyperparams):
    """``rule`` built with those of ``hyperparams`` it has (:func:`gdcourse.optimizers.make` for names)."""
    if isinstance(rule, str):
        return make(rule, **hyperparams)
    known = rule_defaults(rule)
    return rule(**{k: v for k, v in hyperparams.items() if k in known})


def grid_hyperparams(rule, lrs, default=True):
    """Hyperparameter columns that put ``rule`` on the grid ``lrs`` (plus its default, last).

    ``{"lr": column}`` for every rule with a learning rate, ``{"eps": column**2}`` for
    Adadelta; with ``default=True`` one more row holds the rule's default value.
    ``rule`` may be your own rule's class with an ``lr`` hyperparameter (it must
    then work with hyperparameters of shape ``(k, 1)``).
    """
    defaults = rule_defaults(rule)
    lrs = np.asarray(lrs, dtype=np.float64)
    if lrs.ndim != 1 or lrs.size == 0 or not np.all(np.isfinite(lrs) & (lrs > 0)):
        raise ValueError(f"Invalid lrs: {lrs!r} (must be a non-empty 1-D array of numbers > 0)")
    name = "lr" if "lr" in defaults else "eps"
    if name not in defaults:
        raise ValueError(f"Invalid rule: {rule_name(rule)} has neither lr nor eps to put on a grid")
    values = lrs if name == "lr" else lrs**2
    if default:
        values = np.append(values, defaults[name])
    return {name: values.reshape(-1, 1)}


def function_problem(objective, steps, tol, start=None, seeds=1, floor=None, escape=False, description=None):
    """A test function as a problem: runs of ``steps`` updates from ``start``.

    With ``start=None`` each seed starts at its own point drawn uniformly from the
    objective's window (``seeds`` of them); otherwise every run starts at ``start``.
    """
    obj = objs.get(objective) if isinstance(objective, str) else objective
    _check_int("steps", steps, 1)
    _check_int("seeds", seeds, 1)
    floor = obj.min_value if floor is None else floor
    if not np.isfinite(floor):
        raise ValueError(f"Invalid floor: {floor!r} (must be a finite number; the objective has no minimum)")
    (x0, x1), (y0, y1) = obj.window

    def run_it(rule, hyperparams, seed, schedule=None):
        k = len(next(iter(hyperparams.values())))
        if start is None:
            theta0 = np.random.default_rng(seed).uniform((x0, y0), (x1, y1))
        else:
            theta0 = np.asarray(start, dtype=np.float64)
        lrs = None
        if schedule is not None:
            if "lr" not in hyperparams:
                raise ValueError(f"Invalid schedule: {rule} has no learning rate to anneal")
            lrs = lambda t: hyperparams["lr"] * schedule(t)
        traj = run(build(rule, **hyperparams), obj, np.broadcast_to(theta0, (k, 2)).copy(), steps, schedule=lrs)
        return np.arange(steps + 1), traj.losses, np.asarray(traj.diverged_at)

    where = "random starts" if start is None else f"start {tuple(start)}"
    return Problem(obj.name, description or f"{obj.name} ({where}, {steps} steps)", run_it, float(floor),
                   float(tol), steps, seeds, escape)


class _Ridge:
    """A model's loss plus an L2 penalty on its weights (not the bias): :math:`J + \\tfrac\\lambda2 \\|w\\|^2`."""

    def __init__(self, model, lam):
        self.model, self.lam = model, lam

    def loss(self, theta, X, y):
        w = np.asarray(theta)[..., :-1]
        return self.model.loss(theta, X, y) + 0.5 * self.lam * np.sum(w * w, axis=-1)

    def grad(self, theta, X, y):
        g = self.model.grad(theta, X, y)
        g[..., :-1] += self.lam * np.asarray(theta)[..., :-1]
        return g


def _logistic_minimum(X, y, lam, iters=50):
    r"""Newton's method for :math:`\min_\theta J(\theta) + \tfrac\lambda2\|w\|^2` of logistic regression.

    .. math:: \theta \leftarrow \theta - H^{-1} \nabla, \quad
              H = \tfrac1n A^\top \operatorname{diag}(p(1-p)) A + \lambda \operatorname{diag}(1, \dots, 1, 0)
    """
    A = np.concatenate([X, np.ones((len(X), 1))], axis=1)
    reg = np.full(A.shape[1], lam)
    reg[-1] = 0.0
    theta = np.zeros(A.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(A @ theta)))
        g = A.T @ (p - y) / len(y) + reg * theta
        H = (A * (p * (1 - p))[:, None]).T @ A / len(y) + np.diag(reg) + 1e-12 * np.eye(A.shape[1])
        step = np.linalg.solve(H, g)
        theta -= step
        if np.max(np.abs(step)) < 1e-13:
            break
    return theta


def train_grid(model, optimizer, X, y, theta0, *, steps, batch_size, seed=0, eval_every=None, bound=1e6,
               schedule=None):
    r"""Mini-batch training of k configurations at once, every one on the same mini-batches.

    A shorthand for :func:`gdcourse.loops.train` with ``steps`` and ``eval_every``
    (the one training loop of the course), returning what a sweep scores.

    ``theta0`` has shape ``(k, P)`` and ``optimizer`` holds its hyperparameters as
    columns of shape ``(k, 1)``: each update

    .. math:: \theta_j \leftarrow \theta_j - \Delta_j\bigl(\nabla_\theta J(\theta_j; x^{(i:i+n)}; y^{(i:i+n)})\bigr),
              \quad j = 1, \dots, k

    is one vectorised call for every configuration, with the same batch
    :math:`x^{(i:i+n)}` (shuffled every epoch, seeded by ``seed``). A configuration
    whose :math:`\theta` or loss is no longer finite or leaves ``[-bound, bound]``
    is frozen at its last good :math:`\theta` and marked diverged.

    Parameters
    ----------
    steps : int
        Number of updates (epochs follow one another; the last may be partial).
    eval_every : int, optional
        Measure the loss on all of ``(X, y)`` every this many updates (default: every epoch).
    schedule : callable, optional
        ``schedule(t)`` multiplies the learning rate of update ``t = 1, 2, …`` (annealing).

    Returns
    -------
    steps : ndarray (m,)
        The updates after which the loss was measured (0 first, ``steps`` last).
    losses : ndarray (m, k)
    diverged_at : ndarray (k,)
        Update at which each configuration diverged, -1 if never.
    theta : ndarray (k, P)
    """
    _check_int("steps", steps, 1)
    theta = np.array(theta0, dtype=np.float64)
    if theta.ndim != 2:
        raise ValueError(f"Invalid theta0 shape: {theta.shape} (must be (k, P))")
    every = len(get_batches(np.arange(len(X)), batch_size)) if eval_every is None else eval_every
    lr0 = getattr(optimizer, "lr", None)
    if schedule is not None and lr0 is None:
        raise ValueError(f"Invalid schedule: {type(optimizer).__name__} has no learning rate to anneal")
    # One loop trains every grid of the course: loops.train, with steps counted and the loss measured
    # every ``every`` updates.
    hist = train(model, optimizer, X, y, theta, steps=steps, batch_size=batch_size, seed=seed, bound=bound,
                 eval_every=every, schedule=None if schedule is None else (lambda t: lr0 * schedule(t)))
    return hist.eval_at, hist.eval_losses, np.asarray(hist.diverged_at), hist.theta


def model_problem(name, model, data, steps, tol, batch_size, seeds=3, lam=0.0, floor=None, init=None,
                  eval_every=None, description=None):
    """A model on a data set as a problem: mini-batch runs of ``steps`` updates, several seeds.

    Each seed draws its own initialisation (``init(seed)``; zeros by default) and its
    own order of mini-batches; within a seed every configuration sees the same batches.
    ``lam > 0`` adds :math:`\\tfrac\\lambda2\\|w\\|^2` to logistic regression, whose exact
    minimum (Newton's method) is then the floor.
    """
    _check_int("steps", steps, 1)
    _check_int("seeds", seeds, 1)
    _check_int("batch_size", batch_size, 1)
    loss_model = _Ridge(model, lam) if lam > 0 else model
    if floor is None:
        if not isinstance(model, models.LogisticRegression):
            raise ValueError(f"Invalid floor: None (give the floor of a {type(model).__name__})")
        theta_star = _logistic_minimum(data.X, data.y, lam)
        floor = float(loss_model.loss(theta_star, data.X, data.y))
    init = init or (lambda seed: np.zeros(data.X.shape[1] + 1))

    def run_it(rule, hyperparams, seed, schedule=None):
        k = len(next(iter(hyperparams.values())))
        theta0 = np.broadcast_to(init(seed), (k, len(init(seed)))).copy()
        at, losses, dv, _ = train_grid(loss_model, build(rule, **hyperparams), data.X, data.y, theta0,
                                       steps=steps, batch_size=batch_size, seed=seed, eval_every=eval_every,
                                       schedule=schedule)
        return at, losses, dv

    return Problem(name, description or name, run_it, float(floor), float(tol), steps, seeds)


def suite(size="small"):
    """The problems of the comparison.

    ``"small"`` (the default run of the chapter): the ravine, Rosenbrock, Beale, the
    saddle, Styblinski–Tang from 3 random starts, logistic regression on the breast
    cancer data, logistic regression on sparse features, and a small network
    (64-16-10) on a subsample of the digits; 3 seeds for the stochastic ones.
    ``"full"``: the same problems, longer runs, 5 seeds and the full digits data set.
    """
    checks.choice("size", size, ("small", "full"))
    full = size == "full"
    seeds = 5 if full else 3
    m = 2 if full else 1
    bc = datasets.breast_cancer()
    sparse = datasets.sparse_classification(1000, np.geomspace(0.5, 0.005, 30), seed=0)
    digits = datasets.digits()
    if not full:
        digits = datasets.Dataset(digits.X[:300], digits.y[:300], digits.feature_names, digits.description)
    mlp = nn.MLP((64, 16, 10))
    upd = 200 if full else 100
    return [
        function_problem("ravine", 300 * m, tol=1e-5, start=objs.get("ravine").start),
        function_problem("rosenbrock", 1000 * m, tol=1e-4, start=objs.get("rosenbrock").start),
        function_problem("beale", 1000 * m, tol=1e-5, start=objs.get("beale").start),
        function_problem("saddle", 300 * m, tol=1e-9, start=objs.get("saddle").start, floor=-1.0, escape=True,
                         description=f"saddle (escape to J ≤ −1 from (1, 0.001), {300 * m} steps)"),
        function_problem("styblinski-tang", 500 * m, tol=1e-4, seeds=seeds,
                         description=f"Styblinski–Tang ({seeds} random starts, {500 * m} steps)"),
        model_problem("logistic", models.LogisticRegression(), bc, upd, tol=1e-2, batch_size=32, seeds=seeds,
                      lam=1e-3, eval_every=10,
                      description=f"logistic regression, breast cancer (569 tumours, L2 1e-3, batch 32, {upd} updates)"),
        model_problem("sparse", models.LogisticRegression(), sparse, upd, tol=1e-2, batch_size=32, seeds=seeds,
                      lam=1e-3, eval_every=10,
                      description=f"logistic regression, sparse 0/1 features (1000 examples, L2 1e-3, batch 32, {upd} updates)"),
        model_problem("mlp", mlp, digits, upd, tol=5e-3, batch_size=32, seeds=seeds, floor=0.0,
                      init=lambda seed: mlp.init(seed), eval_every=20,
                      description=f"MLP 64-16-10, digits ({digits.n} images, batch 32, {upd} updates)"),
    ]


def _steps_to(at, losses, floor, tol):
    """First measured update after which ``losses - floor < tol`` at every later measurement; -1 if never."""
    inside = np.nan_to_num(losses - floor, nan=np.inf) < tol
    stays = np.flip(np.logical_and.accumulate(np.flip(inside, 0), axis=0), 0)
    return np.where(stays[-1], at[np.argmax(stays, axis=0)], -1)


def _score(problem, at, losses, diverged_at):
    """Excess final loss, floored at the resolution (inf where diverged), and steps to tolerance."""
    # The last finite loss of each configuration: where a run escaped (the saddle) it is its best.
    finite = np.isfinite(losses)
    last = np.where(finite.any(0), len(losses) - 1 - np.argmax(finite[::-1], axis=0), 0)
    final = losses[last, np.arange(losses.shape[1])]
    excess = np.maximum(final - problem.floor, problem.resolution)
    if problem.escape:
        # Filled forward, an escaped run stays escaped; one that blew up elsewhere (J → +∞) does not.
        filled = np.where(finite, losses, final)
        ok = np.isfinite(final) & (final <= problem.floor + problem.tol) | (diverged_at < 0)
        excess = np.where(ok, excess, np.inf)
        needed = _steps_to(at, filled, problem.floor, problem.tol)
    else:
        excess = np.where(diverged_at >= 0, np.inf, excess)
        needed = _steps_to(at, losses, problem.floor, problem.tol)
    return excess, needed


def sweep(problems=None, rules=None, lrs=None, factor=2.0, schedule=None, curve_points=101):
    """Run every rule on every problem over the learning-rate grid: a :class:`Comparison`.

    Parameters
    ----------
    problems : list of Problem, optional
        Default :func:`suite` ``("small")``.
    rules : list of str or classes, optional
        Default all ten, in the text's order. Your own rule's class runs beside them
        (anything with ``reset()`` and ``step(theta, grad_fn)`` whose constructor takes
        ``lr`` and whose step works with hyperparameters of shape ``(k, 1)``); tables
        name it by its class name.
    lrs : array_like, optional
        The grid, default :data:`LRS` (25 values, 1e-5 to 10); each rule also runs at its default.
    factor : float
        :math:`F` of the robustness (see the module docstring).
    schedule : callable, optional
        ``schedule(t)`` multiplies every learning rate at update ``t = 1, 2, …`` (annealing;
        not for Adadelta, which has no learning rate).
    curve_points : int
        Loss curves are kept at about this many measurements per run.
    """
    problems = suite() if problems is None else list(problems)
    rules = list(RULES) if rules is None else list(rules)
    lrs = LRS if lrs is None else np.asarray(lrs, dtype=np.float64)
    checks.real("factor", factor, lo=1.0)
    if not problems or not rules:
        raise ValueError("Invalid sweep: needs at least one problem and one rule")
    S = max(p.seeds for p in problems)
    shape = (len(rules), len(problems), S, len(lrs) + 1)
    excess = np.full(shape, np.nan)
    needed = np.full(shape, -2, dtype=np.int64)
    curves = {}
    names = [rule_name(r) for r in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"Invalid rules: {names} (names must differ)")
    for j, p in enumerate(problems):
        for i, (r, rname) in enumerate(zip(rules, names)):
            hp = grid_hyperparams(r, lrs)
            per_seed = []
            for s in range(p.seeds):
                out = p.run(r, hp, s) if schedule is None else p.run(r, hp, s, schedule=schedule)
                at, losses, dv = out
                excess[i, j, s], needed[i, j, s] = _score(p, at, losses, dv)
                keep = np.unique(np.linspace(0, len(at) - 1, curve_points).round().astype(int))
                per_seed.append(losses[keep])
            curves[(rname, p.name)] = (at[keep], np.stack(per_seed, axis=1))
    own = {rule_name(r): rule_defaults(r) for r in rules if not isinstance(r, str)}
    return Comparison(names, problems, lrs, factor, excess, needed, curves, own)


@dataclass
class Comparison:
    """What :func:`sweep` measured, and the tables and figures made from it.

    Attributes
    ----------
    rules : list of str
    problems : list of Problem
    lrs : ndarray (K,)
        The grid (for Adadelta, :math:`\\sqrt\\epsilon`).
    factor : float
    excess : ndarray (R, P, S, K + 1)
        Excess final loss per rule, problem, seed and grid point (the rule's default
        last); NaN for seeds a problem does not have.
    needed : ndarray (R, P, S, K + 1)
        Steps to tolerance, -1 where never.
    curves : dict
        (rule, problem name) -> (steps (m,), losses (m, seeds, K + 1)).
    defaults : dict
        rule name -> its default hyperparameters, for rules outside the ten.
    """

    rules: list
    problems: list
    lrs: np.ndarray
    factor: float
    excess: np.ndarray
    needed: np.ndarray
    curves: dict = field(repr=False)
    defaults: dict = field(default_factory=dict, repr=False)

    @property
    def names(self):
        """The problems' names."""
        return [p.name for p in self.problems]

    @property
    def decades(self):
        """Decades between neighbouring grid points.

        Rounded to 12 digits: a grid of four points per decade spans exactly 0.25 per step, so
        ``n`` good points are ``n × 0.25`` decades, not ``0.25000000000000006`` times n.
        """
        return round(float(np.log10(self.lrs[1] / self.lrs[0])), 12) if len(self.lrs) > 1 else 1.0

    def index(self, rule=None, problem=None):
        """Positions of a rule and/or a problem in the arrays."""
        out = []
        if rule is not None:
            out.append(self.rules.index(rule))
        if problem is not None:
            out.append(self.names.index(problem))
        return out[0] if len(out) == 1 else tuple(out)

    def score(self):
        """(R, P, K + 1): the excess loss averaged over each problem's seeds (inf if any seed diverged)."""
        out = np.empty(self.excess.shape[:2] + self.excess.shape[3:])
        for j, p in enumerate(self.problems):
            out[:, j] = self.excess[:, j, : p.seeds].mean(axis=1)
        return out

    def best(self):
        """(R, P): the best excess loss over the grid, :math:`e^*`."""
        return self.score()[..., :-1].min(axis=-1)

    def best_index(self):
        """(R, P): the grid index of :math:`\\eta^*` (ties: the fewer steps to tolerance, then the smaller η)."""
        sc = self.score()[..., :-1]
        steps = self.steps_per_lr()[..., :-1]
        steps = np.where(steps >= 0, steps, np.iinfo(np.int64).max)
        out = np.empty(sc.shape[:2], dtype=int)
        for i in range(sc.shape[0]):
            for j in range(sc.shape[1]):
                out[i, j] = np.lexsort((steps[i, j], sc[i, j]))[0]
        return out

    def best_lr(self):
        """(R, P): :math:`\\eta^*` (for Adadelta :math:`\\sqrt{\\epsilon^*}`)."""
        return self.lrs[self.best_index()]

    def default(self):
        """(R, P): the excess loss at each rule's default hyperparameters."""
        return self.score()[..., -1]

    def default_ratio(self):
        """(R, P): default's excess loss over the tuned best (1 = the default is as good as tuning)."""
        with np.errstate(invalid="ignore"):
            return self.default() / self.best()

    def steps_per_lr(self):
        """(R, P, K + 1): steps to tolerance needed by every seed, -1 where some seed never gets there."""
        out = np.empty(self.needed.shape[:2] + self.needed.shape[3:], dtype=np.int64)
        for j, p in enumerate(self.problems):
            n = self.needed[:, j, : p.seeds]
            out[:, j] = np.where((n >= 0).all(axis=1), n.max(axis=1), -1)
        return out

    def steps_to_tol(self):
        """(R, P): the fewest steps to tolerance over the grid, -1 where no learning rate gets there."""
        s = self.steps_per_lr()[..., :-1]
        best = np.where(s >= 0, s, np.iinfo(np.int64).max).min(axis=-1)
        return np.where(best < np.iinfo(np.int64).max, best, -1)

    def good(self, factor=None):
        """(R, P, K): grid points whose excess loss is within ``factor`` of the best (and finite)."""
        f = self.factor if factor is None else factor
        sc = self.score()[..., :-1]
        best = self.best()[..., None]
        return np.isfinite(sc) & (sc <= f * best)

    def robustness(self, factor=None):
        """(R, P): decades of learning rate around :math:`\\eta^*` within ``factor`` of the best.

        The contiguous run of good grid points that contains :math:`\\eta^*`, times the
        grid spacing; 0 where the best itself diverged.
        """
        good = self.good(factor)
        idx = self.best_index()
        out = np.zeros(good.shape[:2])
        for i in range(good.shape[0]):
            for j in range(good.shape[1]):
                g, b = good[i, j], idx[i, j]
                if not g[b]:
                    continue
                lo, hi = b, b
                while lo > 0 and g[lo - 1]:
                    lo -= 1
                while hi < len(g) - 1 and g[hi + 1]:
                    hi += 1
                out[i, j] = (hi - lo + 1) * self.decades
        return out

    def seed_spread(self):
        """(R, P): at :math:`\\eta^*`, the worst seed's excess loss over the best seed's (1 for one seed)."""
        idx = self.best_index()
        out = np.ones(idx.shape)
        for j, p in enumerate(self.problems):
            for i in range(len(self.rules)):
                e = self.excess[i, j, : p.seeds, idx[i, j]]
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[i, j] = e.max() / e.min()
        return out

    def ranks(self):
        """(R, P): each rule's rank on each problem (1 = best), by best loss, then by steps to tolerance."""
        b = self.best()
        s = self.steps_to_tol().astype(float)
        s = np.where(s >= 0, s, np.inf)
        out = np.empty(b.shape)
        for j in range(b.shape[1]):
            # Equal best losses (e.g. both at the tolerance) are told apart by speed; full ties share a rank.
            keys = list(zip(np.round(np.log10(b[:, j]), 6), s[:, j]))
            for i, key in enumerate(keys):
                out[i, j] = 1 + sum(other < key for other in keys) + 0.5 * (sum(other == key for other in keys) - 1)
        return out

    def table(self, metric="best"):
        """A :class:`Table` of one metric, rules × problems.

        ``metric``: ``"best"`` (excess loss :math:`e^*`), ``"steps"`` (to tolerance),
        ``"robustness"`` (decades), ``"lr"`` (:math:`\\eta^*`), ``"default"``
        (default's excess over the best), ``"rank"``.
        """
        getters = {"best": (self.best, "{:.2g}"), "steps": (self.steps_to_tol, "{:d}"),
                   "robustness": (self.robustness, "{:.2f}"), "lr": (self.best_lr, "{:.2g}"),
                   "default": (self.default_ratio, "{:.3g}"), "rank": (self.ranks, "{:g}")}
        if metric not in getters:
            raise ValueError(f"Invalid metric: {metric!r} (must be one of {', '.join(getters)})")
        get, fmt = getters[metric]
        values = get()
        cells = []
        for i in range(len(self.rules)):
            row = []
            for j in range(len(self.problems)):
                v = values[i, j]
                if metric == "steps":
                    row.append(fmt.format(int(v)) if v >= 0 else "never")
                elif not np.isfinite(v):
                    row.append("diverged" if metric in ("best", "default") else "–")
                else:
                    row.append(fmt.format(v))
            cells.append(row)
        return Table(["rule", *self.names], [[r, *row] for r, row in zip(self.rules, cells)])

    def heatmap(self, ax, metric="robustness", cmap="viridis"):
        """Draw a metric (``"robustness"``, ``"rank"`` or ``"default"``) as a rules × problems map, annotated."""
        from matplotlib.colors import LogNorm

        if metric == "robustness":
            values, fmt, label, norm = self.robustness(), "{:.1f}", f"decades within ×{self.factor:g} of the best", None
        elif metric == "rank":
            values, fmt, label, norm = self.ranks(), "{:g}", "rank (1 = best)", None
            cmap = cmap + "_r"
        elif metric == "default":
            values = np.clip(np.nan_to_num(self.default_ratio(), nan=np.inf, posinf=1e12), 1, 1e12)
            fmt, label, norm = "{:.2g}", "default's loss / tuned best", LogNorm(vmin=1, vmax=max(values.max(), 10))
            cmap = cmap + "_r"
        else:
            raise ValueError(f"Invalid metric: {metric!r} (must be 'robustness', 'rank' or 'default')")
        mesh = ax.imshow(values, cmap=cmap, norm=norm, aspect="auto")
        ax.set_xticks(range(len(self.names)), self.names, rotation=30, ha="right")
        ax.set_yticks(range(len(self.rules)), self.rules)
        lo, hi = np.nanmin(values), np.nanmax(values)
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = values[i, j]
                text = "∞" if metric == "default" and v >= 1e12 else fmt.format(v)
                mid = np.sqrt(lo * hi) if norm is not None else (lo + hi) / 2
                dark = (v < mid) != (metric in ("rank", "default"))
                ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "black")
        ax.figure.colorbar(mesh, ax=ax, label=label)
        return mesh

    def plot_lr_curves(self, ax, problem, rules=None, marks=True):
        """Excess final loss against the learning rate on one problem, one curve per rule (in its
        :func:`~gdcourse.plotting.line_kw` style).

        Diverged grid points are left out (a gap); a ◆ with a black edge marks each rule's default
        hyperparameters, a large dot its best :math:`\\eta^*`.
        """
        from .plotting import color, line_kw

        j = self.index(problem=problem)
        sc = self.score()
        idx = self.best_index()
        for r in rules or self.rules:
            i = self.index(rule=r)
            c = color(r)
            y = np.where(np.isfinite(sc[i, j, :-1]), sc[i, j, :-1], np.nan)
            ax.plot(self.lrs, y, label=r, **line_kw(r, lw=1.5, ms=3))
            if marks:
                ax.plot(self.lrs[idx[i, j]], sc[i, j, idx[i, j]], "o", color=c, ms=5)
                dflt = self.defaults.get(r) or RULES[r].defaults
                d = dflt["lr"] if "lr" in dflt else np.sqrt(dflt["eps"])
                if np.isfinite(sc[i, j, -1]):
                    ax.plot(d, sc[i, j, -1], "D", color=c, ms=5, mec="black", mew=0.6)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("η (Adadelta: √ε)")
        ax.set_ylabel("excess final loss e(η)")
        ax.set_title(problem)
        ax.grid(alpha=0.3)


@dataclass
class Table:
    """Rows of strings with a header: shown as an HTML table in a notebook, or as Markdown."""

    header: list
    rows: list

    def _repr_html_(self):
        # Compact: a table of rules x problems should fit the width of a book page.
        cell = 'style="padding:2px 6px"'
        head = "".join(f"<th {cell}>{h}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td {cell}>{c}</td>" for c in row) + "</tr>" for row in self.rows)
        return (f'<table style="font-size:0.8em"><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")

    def to_markdown(self):
        lines = ["| " + " | ".join(self.header) + " |", "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in self.rows]
        return "\n".join(lines)

    def column(self, name):
        """The cells of one column."""
        j = self.header.index(name)
        return [row[j] for row in self.rows]


#: What each rule fixes, and its weakness, in the text's words (the summary table).
SUMMARY = {
    "SGD": ("the baseline: one update per example or mini-batch",
            "one η for every parameter; oscillates across ravines, slow near saddle points"),
    "Momentum": ("SGD's oscillation across ravines: accelerates along the floor, damps across",
                 "blind: the ball rolls up the next slope before it slows down"),
    "NAG": ("Momentum's blindness: the gradient is taken where the momentum is about to carry θ",
            "still one η for all parameters"),
    "Adagrad": ("one η for all parameters: larger steps for rare features, smaller for frequent ones",
                "the sum G_t only grows, so the steps shrink until learning stops"),
    "Adadelta": ("Adagrad's ever-shrinking steps (a decaying average), and the units of the update (no η)",
                 "ε sets the size of the first steps: a learning rate in disguise"),
    "RMSprop": ("Adagrad's ever-shrinking steps, with a decaying average of g²",
                "no momentum; needs η (0.001 suggested)"),
    "Adam": ("RMSprop plus momentum (m_t), with bias correction of both moments",
             "can fail to converge where large, rare gradients are forgotten (AMSGrad)"),
    "AdaMax": ("Adam's ℓ₂ norm of past gradients replaced by the ℓ∞ norm: u_t needs no bias correction",
               "one large gradient shrinks the steps for a long time"),
    "Nadam": ("Adam with Nesterov's look-ahead in the momentum term",
              "as Adam"),
    "AMSGrad": ("Adam's short memory of large gradients: v̂_t = max(v̂_{t-1}, v_t)",
                "no bias correction in the text's form; similar or worse than Adam in other experiments"),
}


def rules_table():
    """The ten rules at a glance, from the optimizer classes: state kept per parameter, hyperparameters, defaults."""
    rows = []
    for name, cls in RULES.items():
        state = ", ".join(cls.state_names) or "none"
        hps = ", ".join(f"{k} = {v:g}" for k, v in cls.defaults.items())
        solves, weakness = SUMMARY[name]
        rows.append([name, f"{len(cls.state_names)} ({state})", hps, solves, weakness])
    return Table(["rule", "state per parameter", "hyperparameters (defaults)", "what it fixes", "weakness"], rows)
