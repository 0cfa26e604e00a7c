"""The chapters' explorers whose runs are expensive: a table computed once over the grid.

Each builder computes its table with one
vectorised call per setting of its slowest parameters and hands it to
:func:`gdcourse.explorers.tables.panels_explorer`, which draws it live and on the page.
"""
from __future__ import annotations

import itertools

import numpy as np

from .. import objectives as objs
from ..optimizers import RULES
from ..plotting import PALETTE, color
from .core import Explorer, Slider, series, status
from .tables import curve_explorer, log_slider, panels_explorer

__all__ = []


def _log_grid(lo, hi, step):
    n = int(round((hi - lo) / step)) + 1
    return np.round(lo + step * np.arange(n), 6)


# --- Batch size and learning rate (gradient descent variants) ----------------------------------

__all__ += ["variants_table", "variants_explorer"]


def _batch_sizes(n):
    """Powers of two below ``n``, then ``n`` itself (batch gradient descent)."""
    return [2**k for k in range(int(np.log2(n)) + 1) if 2**k < n] + [n]


def variants_table(X, y, epochs=6, seed=0, log_lrs=None, cap=1e6):
    r"""Loss-against-epoch curves of mini-batch gradient descent for every batch size and learning rate.

    For every batch size :math:`b` (powers of two below ``n = len(X)``, then ``n``)
    one :func:`gdcourse.loops.train` call trains linear regression from
    :math:`\theta = 0` with plain SGD updates for all the learning rates at once
    (a column of η), shuffling every epoch with ``seed``:

    .. math:: \theta = \theta - \eta \cdot \nabla_\theta J(\theta; x^{(i:i+b)}; y^{(i:i+b)})

    Parameters
    ----------
    X, y : array_like
        The training set.
    epochs : int
        Passes over the data.
    seed : int
        Seed of the shuffling.
    log_lrs : array_like, optional
        The learning rates as :math:`\log_{10}\eta`; by default -3 to 0.5 a quarter decade apart.
    cap : float
        :math:`J - J^*` given to a run at the epoch it diverged in (its curve leaves the
        plot upwards and stops there).

    Returns
    -------
    list of dict
        One row per epoch and run: ``b`` (:math:`\log_2 b`), ``l`` (:math:`\log_{10}\eta`),
        ``e`` (epoch), ``j`` (:math:`J(\theta) - J^*` on the whole set) and ``run``: the
        run at batch size ``b``, or batch gradient descent at the same η (for ``b < n``).
    """
    from .. import loops, models
    from ..optimizers import make

    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if X.ndim != 2 or len(X) < 2 or y.shape != (len(X),):
        raise ValueError(f"Invalid X, y: shapes {X.shape}, {y.shape} (must be (n, d) and (n,) with n >= 2)")
    log_lrs = _log_grid(-3.0, 0.5, 0.25) if log_lrs is None else np.round(np.asarray(log_lrs, dtype=float), 6)
    if log_lrs.ndim != 1 or not len(log_lrs) or not np.all(np.isfinite(log_lrs)):
        raise ValueError(f"Invalid log_lrs: {log_lrs!r} (must be a non-empty list of finite numbers)")
    model = models.LinearRegression()
    best = float(model.loss(model.minimizer(X, y), X, y))
    n, lrs = len(X), 10.0**log_lrs
    curves = {}
    for b in _batch_sizes(n):
        h = loops.train(model, make("SGD", lr=lrs[:, None]), X, y, np.zeros((len(lrs), X.shape[1] + 1)),
                        epochs=epochs, batch_size=b, seed=seed)
        curves[b] = np.asarray(h.epoch_losses, dtype=float).reshape(-1, len(lrs)) - best
    mine, ref = "this batch size", f"batch GD (b = {n})"
    rows = []
    for b, gaps in curves.items():
        shown = [(mine, gaps)] + ([(ref, curves[n])] if b < n else [])
        for name, g in shown:
            for c, log_lr in enumerate(log_lrs):
                for e in range(g.shape[0]):
                    v = g[e, c]
                    j = max(float(v), 1e-16) if np.isfinite(v) else cap
                    rows.append({"b": float(np.log2(b)), "l": float(log_lr), "e": e, "j": float(f"{j:.4g}"),
                                 "run": name})
                    if not np.isfinite(v):
                        break
    return rows


def variants_explorer(X, y, epochs=6, seed=0, batch_size=4, lr=0.05, log_lrs=None, ylim=(1e-4, 3.0)):
    r"""A kernel-free batch-size explorer: :math:`\log_2 b` and :math:`\log_{10}\eta` on sliders.

    The curves are :func:`variants_table` (:math:`J(\theta) - J^*` after every epoch,
    with batch gradient descent at the same η for reference), drawn by
    :func:`curve_explorer`. ``batch_size`` and ``lr`` are the starting values (each
    moved to the nearest one on its grid).
    """
    table = variants_table(X, y, epochs=epochs, seed=seed, log_lrs=log_lrs)
    bs = sorted({r["b"] for r in table})
    ls = sorted({r["l"] for r in table})
    b0 = min(bs, key=lambda v: abs(v - np.log2(batch_size)))
    l0 = min(ls, key=lambda v: abs(v - np.log10(lr)))
    return curve_explorer(table, "e", "j", {"b": log_slider("b", 2, "batch size b", "mini-batch size b, log₂ scale", bs, b0), "l": log_slider("l", 10, "η", "learning rate η, log scale", ls, l0)},
                          series="run", xlabel="epoch", ylabel="J(θ) − J* on the whole set", log_y=True,
                          ylim=ylim, title=f"Mini-batch SGD on {len(X)} examples, {epochs} epochs",
                          description=("J(θ) − J* on the whole sample after every epoch, on a log scale, for mini-batch SGD at the chosen "
                                       "batch size b and learning rate η, and batch gradient descent at the same η for reference; "
                                       "a run that diverges leaves the plot upwards."))


# --- Precomputed tables: Reddi et al.'s online problem and the parallel chapters' simulator ---

__all__ += ["online_explorer", "downpour_explorer", "hogwild_explorer", "delay_explorer", "sync_explorer",
            "easgd_explorer"]


def _sig(v, digits=4):
    """``v`` rounded to ``digits`` significant digits, as a float (keeps the page light)."""
    return float(f"{v:.{digits}g}")


def _values(name, values, default):
    """Slider values rounded to 6 decimals, and the default among them (or a ``ValueError``)."""
    values = np.round(np.asarray(values, dtype=float), 6)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"Invalid {name}: {values!r} (must be a non-empty 1-D sequence)")
    if not np.any(np.abs(values - default) < 1e-6):
        raise ValueError(f"Invalid default: {default!r} (the starting {name} must be one of {values.tolist()})")
    return values


def _curve_rows(key, x, y, lo=None, hi=None):
    """Rows ``{**key, "x", "y"}`` of one curve; a curve that leaves ``[lo, hi]`` ends at its first point outside."""
    rows = []
    for a, b in zip(np.asarray(x), np.asarray(y)):
        if not np.isfinite(b):
            break
        rows.append({**key, "x": _sig(a, 6), "y": _sig(b)})
        if (hi is not None and b > hi) or (lo is not None and b < lo):
            break
    return rows


def online_explorer(rules=("Adam", "AMSGrad"), beta2=(0.99, 0.993, 0.996, 0.999), log_lr=None, beta1=0.9,
                    steps=606, every=3, C=1010.0, period=101, small=-10.0, x0=0.0, default=(0.99, -1.0)):
    r"""Reddi et al.'s online problem without a kernel: :math:`x_t`, with :math:`\beta_2` and :math:`\eta` on sliders.

    Every rule runs once on the whole grid of :math:`\beta_2 \times \log_{10}\eta`
    (:func:`gdcourse.run.run_online` on :class:`gdcourse.objectives.PeriodicLinear`,
    projected onto :math:`[-1, 1]`),

    .. math:: x_{t+1} = \Pi_{[-1, 1]}\bigl(x_t - \Delta_t\bigr), \qquad
              f_t(x) = \begin{cases} C\,x & t \bmod p = 1 \\ s\,x & \text{otherwise} \end{cases}

    and :math:`x_t` is kept every ``every`` steps and on both sides of each large gradient,
    so that the jumps stay sharp. The best fixed point :math:`x^*` is drawn dashed.

    Parameters
    ----------
    rules : sequence of str
        Rules of :data:`gdcourse.optimizers.RULES` with ``beta2`` (e.g. Adam, AMSGrad).
    beta2, log_lr : sequence of float
        Slider values of :math:`\beta_2` and :math:`\log_{10}\eta` (evenly spaced: sliders);
        ``log_lr`` is :math:`-2, -1.75, \dots, 0` by default.
    beta1 : float
        :math:`\beta_1` of every run.
    steps, every : int
        Online steps :math:`T`, and the spacing of the points kept.
    C, period, small : float, int, float
        The problem's constants (the paper's 1010, 101, -10).
    default : tuple
        Starting :math:`(\beta_2, \log_{10}\eta)`.
    """
    from ..objectives import PeriodicLinear
    from ..optimizers import make
    from ..run import run_online

    bad = [r for r in rules if r not in RULES or "beta2" not in RULES[r].defaults]
    if bad or not rules:
        raise ValueError(f"Invalid rules: {list(rules)!r} (must be a non-empty list of rules with beta2)")
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"Invalid every: {every!r} (must be an integer >= 1)")
    log_lr = np.arange(-2.0, 0.001, 0.25) if log_lr is None else log_lr
    b2 = _values("beta2", beta2, default[0])
    ll = _values("log_lr", log_lr, default[1])
    prob = PeriodicLinear(C, period, small)
    B, L = (a.ravel()[:, None] for a in np.meshgrid(b2, ll, indexing="ij"))
    t = np.arange(steps + 1)
    keep = t[(t % every == 0) | (t % prob.period <= 1) | (t == steps)]
    rows = []
    for rule in rules:
        xs = run_online(make(rule, lr=10.0**L, beta1=beta1, beta2=B), prob.grad, np.full((len(B), 1), float(x0)),
                        steps, prob.lo, prob.hi).xs[keep, :, 0]
        for c in range(len(B)):
            key = {"rule": rule, "b2": float(B[c, 0]), "l": float(L[c, 0])}
            rows += [{**key, "t": int(k), "x": round(float(v), 3)} for k, v in zip(keep, xs[:, c])]
    star = "best fixed point x*"
    rows += [{"rule": star, "t": 0, "x": prob.x_star}, {"rule": star, "t": int(steps), "x": prob.x_star}]
    return curve_explorer(rows, "t", "x", {"b2": log_slider("b2", None, "β₂", "decay rate β₂ of the second moment", b2, default[0]), "l": log_slider("l", 10, "η", "learning rate η, log scale", ll, default[1])},
                          series="rule", xlabel="step t", ylabel="xₜ", ylim=(-1.05, 1.05), xlim=(0, steps),
                          dashed=(star,), colors={star: "goldenrod"},
                          title=f"online losses: C·x every p-th step, s·x otherwise (C = {C:g}, p = {period}, "
                                f"s = {small:g})")


def _log2_values(name, values, default):
    """Slider values of a :math:`\\log_2` count (integers >= 0), as :func:`_values`."""
    values = _values(name, values, default)
    if np.any(values < 0) or np.any(values != np.round(values)):
        raise ValueError(f"Invalid {name}: {values.tolist()!r} (must be integers >= 0: log₂ of a count)")
    return values


def downpour_explorer(log2_workers=range(7), log_lr=None, rules=("SGD", "Adagrad"), steps=400, batch_size=8,
                      tau=1, spread=0.5, record_every=10, default=(3, -1.25), ylim=(1e-4, 100.0)):
    r"""Downpour SGD without a kernel: replicas :math:`W` and :math:`\eta` on sliders, SGD and Adagrad on the server.

    For every :math:`W` and server rule, one :func:`gdcourse.parallel.downpour` call
    runs least squares on the diabetes data for all the learning rates at once (a
    column of η); :math:`J(\theta) - J^*` of the server's parameters is drawn against
    the gradients computed. A curve that diverges ends where it leaves the plot.

    Parameters
    ----------
    log2_workers, log_lr : sequence of float
        Slider values of :math:`\log_2 W` and :math:`\log_{10}\eta` (``log_lr`` is
        :math:`-2, -1.75, \dots, 0` by default).
    rules : sequence of str
        The server's rules (one curve each).
    steps, batch_size, tau, spread, record_every
        As in :func:`gdcourse.parallel.downpour` (``tau`` is :math:`n_{fetch} = n_{push}`).
    default : tuple
        Starting :math:`(\log_2 W, \log_{10}\eta)`.
    """
    from .. import datasets, models, parallel
    from ..optimizers import make

    log_lr = np.arange(-2.0, 0.001, 0.25) if log_lr is None else log_lr
    ws = _log2_values("log2_workers", log2_workers, default[0])
    ll = _values("log_lr", log_lr, default[1])
    d = datasets.diabetes()
    model = models.LinearRegression()
    problem = parallel.Problem(model, d.X, d.y)
    jstar = float(model.loss(model.minimizer(d.X, d.y), d.X, d.y))
    theta0 = np.zeros((len(ll), problem.d))
    rows = []
    for w in ws:
        for rule in rules:
            r = parallel.downpour(problem, theta0, make(rule, lr=10.0**ll[:, None]), workers=int(2**w),
                                  steps=steps, batch_size=batch_size, n_fetch=tau, n_push=tau, spread=spread,
                                  record_every=record_every)
            gap = np.maximum(r.losses - jstar, 1e-12)
            for c, l in enumerate(ll):
                rows += _curve_rows({"server": rule, "W": float(w), "l": float(l)}, r.steps, gap[:, c], hi=ylim[1])
    return curve_explorer(rows, "x", "y", {"W": log_slider("W", 2, "W replicas", "number of model replicas W, log₂ scale", ws, default[0]),
                                           "l": log_slider("l", 10, "η", "learning rate η, log scale", ll, default[1])},
                          series="server", xlabel="gradients computed", ylabel="J(θ) − J* of the server's θ",
                          log_y=True, ylim=ylim, xlim=(0, steps),
                          title=f"Downpour SGD on least squares (diabetes), τ = {tau}",
                          description=("J(θ) − J* of the parameter server's θ against the gradients computed, on a log scale, with SGD "
                                       "and with Adagrad on the server, for W replicas and learning rate η; a diverging curve "
                                       "stops where it leaves the plot."))


def hogwild_explorer(log2_workers=(0, 2, 4, 6), log2_features=(3, 5, 7, 9), log_lr=(-1.0, -0.75, -0.5, -0.25, 0.0),
                     steps=400, n=1000, k=4, spread=0.5, record_every=10, default=(6, 5, -0.25), ylim=(0.0, 1.5)):
    r"""Simulated Hogwild! without a kernel: workers :math:`W`, features :math:`p` (density :math:`k/p`), :math:`\eta`.

    Lock-free SGD is :func:`gdcourse.parallel.downpour` with SGD on the server and
    :math:`n_{fetch} = n_{push} = 1`, on logistic regression over ``n`` sparse
    examples with about ``k`` of ``p`` binary features each (no bias). For every
    :math:`(p, W)` one call runs all the learning rates at once. Drawn against the
    updates made: the loss with :math:`W` workers, serial SGD (:math:`W = 1`, dashed)
    and the running share of updates that conflicted (:func:`gdcourse.hogwild.conflicts`).
    """
    from .. import datasets, hogwild, models, parallel
    from ..optimizers import SGD

    ws = _log2_values("log2_workers", log2_workers, default[0])
    ps = _log2_values("log2_features", log2_features, default[1])
    ll = _values("log_lr", log_lr, default[2])
    mine, serial, share = "W lock-free workers", "serial SGD", "share of updates that conflicted"
    rows = []
    for p in ps:
        nf = int(2**p)
        ds = datasets.sparse_classification(n, [min(k / nf, 1.0)] * nf, seed=0)
        problem = parallel.Problem(models.LogisticRegression(), ds.X, ds.y, bias=False)
        theta0 = np.zeros((len(ll), nf))
        for w in sorted(set(ws) | {0.0}):
            r = parallel.downpour(problem, theta0, SGD(lr=10.0**ll[:, None]), workers=int(2**w), steps=steps,
                                  spread=spread, record_every=record_every)
            for c, l in enumerate(ll):
                if w == 0:
                    rows += _curve_rows({"curve": serial, "p": float(p), "l": float(l)}, r.steps, r.losses[:, c],
                                        hi=ylim[1])
                if w in ws:
                    rows += _curve_rows({"curve": mine, "W": float(w), "p": float(p), "l": float(l)}, r.steps,
                                        r.losses[:, c], hi=ylim[1])
            if w in ws:
                # Which updates conflicted does not depend on η: the events are the same.
                hit = hogwild.conflicts(r, ds.X > 0)
                running = np.cumsum(hit) / np.arange(1, len(hit) + 1)
                at = np.unique(np.r_[np.arange(record_every, len(hit) + 1, record_every), len(hit)]) - 1
                rows += _curve_rows({"curve": share, "W": float(w), "p": float(p)}, at + 1, running[at])
    return curve_explorer(rows, "x", "y", {"W": log_slider("W", 2, "W workers", "number of workers W, log₂ scale", ws, default[0]),
                                           "p": log_slider("p", 2, "p features", f"number of features p (density {k}/p), log₂ scale", ps, default[1]),
                                           "l": log_slider("l", 10, "η", "learning rate η, log scale", ll, default[2])},
                          series="curve", xlabel="updates made", ylabel="J(w) · share conflicted", ylim=ylim,
                          xlim=(0, steps),
                          dashed=(serial,),
                          colors={mine: PALETTE["SGD"], serial: "black", share: "#999999"},
                          title=f"Simulated lock-free SGD, {n} examples with about {k} of p features",
                          description=("The logistic loss against the updates made, with W lock-free workers and with serial SGD "
                                       "(dashed), and the running share of updates that conflicted (grey), for p features and "
                                       "learning rate η."))


def delay_explorer(log2_workers=range(9), log_lr=(-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5), steps=128, n=1000,
                   spread=0.5, record_every=10, default=(6, 0.0), ylim=(0.1, 3.0)):
    r"""Adagrad against AdaptiveRevision under delays, without a kernel: workers :math:`W` and :math:`\eta` on sliders.

    Logistic regression on ``n`` sparse examples (30 features, frequencies from 0.5 down
    to 0.005), run asynchronously by :math:`W` workers
    (:func:`gdcourse.parallel.downpour`), with Adagrad or
    :class:`gdcourse.delay_tolerant.AdaptiveRevision` on the server: one call per rule and
    :math:`W` for all the learning rates at once. Drawn: :math:`J(\theta)` against the
    gradients computed.
    """
    from .. import datasets, delay_tolerant, models, parallel

    ws = _log2_values("log2_workers", log2_workers, default[0])
    ll = _values("log_lr", log_lr, default[1])
    ds = datasets.sparse_classification(n, np.geomspace(0.5, 0.005, 30), seed=0)
    problem = parallel.Problem(models.LogisticRegression(), ds.X, ds.y)
    theta0 = np.zeros((len(ll), problem.d))
    lrs = 10.0**ll[:, None]
    rows = []
    for w in ws:
        for name, opt in (("Adagrad", RULES["Adagrad"](lr=lrs)),
                          ("AdaptiveRevision", delay_tolerant.AdaptiveRevision(lr=lrs))):
            r = parallel.downpour(problem, theta0, opt, workers=int(2**w), steps=steps, spread=spread,
                                  record_every=record_every)
            for c, l in enumerate(ll):
                rows += _curve_rows({"server": name, "W": float(w), "l": float(l)}, r.steps, r.losses[:, c],
                                    hi=ylim[1])
    return curve_explorer(rows, "x", "y", {"W": log_slider("W", 2, "W workers", "number of workers W, log₂ scale", ws, default[0]),
                                           "l": log_slider("l", 10, "η", "learning rate η, log scale", ll, default[1])},
                          series="server", xlabel="gradients computed", ylabel="J(θ)", log_y=True, ylim=ylim,
                          xlim=(0, steps),
                          title="Delays on sparse data: Adagrad and AdaptiveRevision on the server",
                          description=("The loss J(θ) against the gradients computed, on a log scale, with Adagrad and with "
                                       "AdaptiveRevision on the server, for W asynchronous workers and learning rate η."))


def sync_explorer(log2_workers=range(6), log_lr=None, batch_size=4, spread=0.8, steps=320, default=(3, -1.0),
                  ylim=(0.05, 0.7)):
    r"""Synchronous against asynchronous SGD in simulated time, without a kernel: workers :math:`K` and :math:`\eta`.

    Logistic regression on the breast cancer data. For every :math:`K`,
    :func:`gdcourse.parallel.synchronous` (each round waits for the slowest of the
    :math:`K` workers and applies the mean of their gradients) and
    :func:`gdcourse.parallel.downpour` (asynchronous SGD) run all the learning rates at
    once. Drawn: :math:`J(\theta)` against simulated time (log scale; one unit is the
    mean compute time of a gradient), for the same ``steps`` gradients.
    """
    from .. import datasets, models, parallel
    from ..optimizers import SGD

    log_lr = np.arange(-2.0, 0.001, 0.25) if log_lr is None else log_lr
    ks = _log2_values("log2_workers", log2_workers, default[0])
    ll = _values("log_lr", log_lr, default[1])
    d = datasets.breast_cancer()
    problem = parallel.Problem(models.LogisticRegression(), d.X, d.y)
    theta0 = np.zeros((len(ll), problem.d))
    rows = []
    for k in ks:
        kw = dict(workers=int(2**k), steps=steps, batch_size=batch_size, spread=spread,
                  record_every=max(int(2**k), 8))
        for name, sim in (("synchronous", parallel.synchronous), ("asynchronous", parallel.downpour)):
            r = sim(problem, theta0, SGD(lr=10.0**ll[:, None]), **kw)
            later = r.times > 0
            for c, l in enumerate(ll):
                rows += _curve_rows({"run": name, "K": float(k), "l": float(l)}, r.times[later], r.losses[later, c],
                                    hi=ylim[1] * 10)
    return curve_explorer(rows, "x", "y", {"K": log_slider("K", 2, "K workers", "number of synchronous workers K, log₂ scale", ks, default[0]),
                                           "l": log_slider("l", 10, "η", "learning rate η, log scale", ll, default[1])},
                          series="run", xlabel="simulated time (log scale)", ylabel="J(θ)", log_y=True, ylim=ylim,
                          log_x=True, xlim=(1, 1000), colors={"synchronous": "#393b79", "asynchronous": "#e6550d"},
                          title=f"{steps} gradients of batch {batch_size}, synchronous and asynchronous",
                          description=("The loss J(θ) against simulated time, both on log scales, for K synchronous and K "
                                       "asynchronous workers at learning rate η, over the same number of gradients."))


def easgd_explorer(log_rho=(-2.0, -1.5, -1.0, -0.5, 0.0, 0.5), log2_tau=range(6), log_lr=(-2.0, -1.5, -1.0, -0.5),
                   workers=4, sigma=2.0, steps=320, record_every=8, default=(0.0, 2, -1.0), ylim=(1e-3, 30.0)):
    r"""EASGD without a kernel: :math:`\rho`, :math:`\tau`, :math:`\eta` on sliders; Downpour at the same :math:`\tau`.

    On the ravine seen through noisy gradients (:class:`gdcourse.parallel.NoisyObjective`),
    for every :math:`\tau` one :func:`gdcourse.parallel.easgd` call runs the whole grid
    of :math:`\rho \times \eta` (the moving rate :math:`\alpha = \eta\rho` is held below 1:
    :math:`\rho \le 0.99/\eta`) and one :func:`gdcourse.parallel.downpour` call the
    learning rates, with :math:`n_{fetch} = n_{push} = \tau`. Drawn against the gradients
    computed: :math:`J - J^*` of the centre :math:`\tilde x` and of Downpour's server, and
    the workers' spread :math:`\sqrt{\frac1W \sum_i \lVert x^i - \tilde x \rVert^2}`.
    """
    from .. import objectives as objs
    from .. import parallel
    from ..optimizers import SGD

    rhos = _values("log_rho", log_rho, default[0])
    taus = _log2_values("log2_tau", log2_tau, default[1])
    ll = _values("log_lr", log_lr, default[2])
    ravine = objs.Quadratic()
    problem = parallel.NoisyObjective(ravine, sigma=sigma, n=256, seed=0)
    start = np.array([-4.0, 1.5])
    R, L = (a.ravel() for a in np.meshgrid(rhos, ll, indexing="ij"))
    rho = np.minimum(10.0**R, 0.99 / 10.0**L)[:, None]
    centre, spread_, down = "EASGD centre", "EASGD workers' spread", "Downpour, same τ"
    kw = dict(workers=workers, steps=steps, spread=0.5, record_every=record_every)
    rows = []
    for tau in taus:
        ea = parallel.easgd(problem, np.broadcast_to(start, (len(R), 2)), lr=10.0**L[:, None], rho=rho,
                            tau=int(2**tau), **kw)
        for c in range(len(R)):
            key = {"rho": float(R[c]), "tau": float(tau), "l": float(L[c])}
            rows += _curve_rows({"curve": centre, **key}, ea.steps, ea.losses[:, c] - ravine.min_value, hi=ylim[1])
            moved = ea.drift[:, c] > 0
            rows += _curve_rows({"curve": spread_, **key}, ea.steps[moved], ea.drift[moved, c], hi=ylim[1])
        dp = parallel.downpour(problem, np.broadcast_to(start, (len(ll), 2)), SGD(lr=10.0**ll[:, None]),
                               n_fetch=int(2**tau), n_push=int(2**tau), **kw)
        for c, l in enumerate(ll):
            rows += _curve_rows({"curve": down, "tau": float(tau), "l": float(l)}, dp.steps,
                                dp.losses[:, c] - ravine.min_value, hi=ylim[1])
    return curve_explorer(rows, "x", "y", {"rho": log_slider("rho", 10, "ρ", "elastic force ρ, log scale", rhos, default[0]),
                                           "tau": log_slider("tau", 2, "τ", "communication period τ in steps, log₂ scale", taus, default[1]),
                                           "l": log_slider("l", 10, "η", "learning rate η, log scale", ll, default[2])},
                          series="curve", xlabel="gradients computed (all workers)", ylabel="J − J*, spread",
                          log_y=True, ylim=ylim, xlim=(0, steps), dashed=(down,),
                          colors={centre: "black", spread_: "#8c6d31", down: "#637939"},
                          title=f"EASGD with {workers} workers on the noisy ravine (σ = {sigma:g})",
                          description=("J − J* of the EASGD centre, the workers' spread around it, and Downpour at the same τ "
                                       "(dashed), against the gradients computed, on a log scale, for the elastic force ρ, the "
                                       "period τ and the learning rate η."))


# --- Strategies alongside any rule: orders, batch normalization, early stopping, gradient noise ---------

__all__ += ["orders_table", "orders_explorer", "batchnorm_table", "batchnorm_explorer",
            "early_stopping_table", "early_stopping_explorer", "noise_table", "noise_explorer"]

_ORDERS = ("shuffled every epoch", "fixed (as stored)", "sorted by label", "curriculum, naive", "curriculum, mixed")


def _round_sig(v, digits=4):
    """``v`` rounded to ``digits`` significant digits, as a float for the JSON table."""
    return float(f"{float(v):.{digits}g}")


def _nearest(values, v):
    """The value of ``values`` nearest to ``v`` (a slider's starting position)."""
    return float(min(values, key=lambda w: abs(w - v)))


def _digits(n, n_val, seed=0):
    """The first ``n`` / ``n_val`` digits of the seeded 75/25 split (as the chapters' explorers use)."""
    from .. import datasets

    tr, va = datasets.digits().split(0.25, seed=seed)
    return tr.X[:n], tr.y[:n], va.X[:n_val], va.y[:n_val]


def orders_table(n=400, n_val=300, batch_size=20, epochs=4, seed=0, log_lrs=None, record_every=4):
    r"""Held-out loss and accuracy of softmax regression during training, for every order of the digits and η.

    ``MLP((64, 10))`` learns ``n`` digits
    with mini-batch SGD, :math:`\theta = \theta - \eta \nabla_\theta J(\theta; x^{(i:i+b)}; y^{(i:i+b)})`,
    from ``init(seed)``, visiting the examples in each of five orders (reshuffled
    every epoch, as stored, sorted by label, the naive and the mixed curriculum of
    :func:`gdcourse.loops.curriculum` by :func:`gdcourse.loops.centroid_difficulty`).
    One :func:`gdcourse.loops.train` call per order trains every η at once (a column of η).

    Returns
    -------
    list of dict
        One row per record (every ``record_every`` updates) and run: ``order``,
        ``l`` (:math:`\log_{10}\eta`), ``e`` (epochs done, fractional), ``loss`` and
        ``acc`` (on the ``n_val`` held-out digits).
    """
    from .. import loops, nn
    from ..optimizers import make

    log_lrs = _log_grid(-2.0, 0.5, 0.25) if log_lrs is None else np.round(np.asarray(log_lrs, dtype=float), 6)
    if log_lrs.ndim != 1 or not len(log_lrs) or not np.all(np.isfinite(log_lrs)):
        raise ValueError(f"Invalid log_lrs: {log_lrs!r} (must be a non-empty list of finite numbers)")
    X, y, X_val, y_val = _digits(n, n_val, seed=0)
    model = nn.MLP((64, 10))
    difficulty = loops.centroid_difficulty(X, y)
    orders = {"shuffled every epoch": "shuffle", "fixed (as stored)": "fixed", "sorted by label": loops.sorted_order(y),
              "curriculum, naive": loops.curriculum(difficulty, epochs, kind="naive"),
              "curriculum, mixed": loops.curriculum(difficulty, epochs, kind="mixed")}
    per = -(-len(X) // batch_size)
    theta0 = np.broadcast_to(model.init(seed), (len(log_lrs), model.n_params)).copy()
    rows = []
    for name, order in orders.items():
        h = loops.train(model, make("SGD", lr=10.0**log_lrs[:, None]), X, y, theta0, epochs=epochs,
                        batch_size=batch_size, seed=seed, order=order, record_every=record_every)
        loss, acc = model.loss(h.thetas, X_val, y_val), model.accuracy(h.thetas, X_val, y_val)
        for c, log_lr in enumerate(log_lrs):
            last = len(h.thetas) if h.diverged_at[c] < 0 else int(h.diverged_at[c]) // record_every + 1
            for r in range(last):
                rows.append({"order": name, "l": float(log_lr), "e": round(r * record_every / per, 4),
                             "loss": _round_sig(loss[r, c]), "acc": round(float(acc[r, c]), 4)})
    return rows


def orders_explorer(lr=0.5, **kwargs):
    r"""A kernel-free explorer of the order of the examples: :math:`\log_{10}\eta` on a slider, the orders as curves.

    The curves are :func:`orders_table` (``kwargs`` go there); ``lr`` is the starting
    η, moved to the nearest one on the grid. Under the charts: the held-out accuracy
    of every order at the end.
    """
    table = orders_table(**kwargs)
    ls = sorted({r["l"] for r in table})
    last = {}
    for r in table:
        last[r["order"], r["l"]] = r
    status = [{"l": l, "m": "held-out accuracy after the last epoch: " + " · ".join(
        f"{o} {last[o, l]['acc']:.1%}" for o in _ORDERS[:3] if (o, l) in last) + "\n" + " · ".join(
        f"{o} {last[o, l]['acc']:.1%}" for o in _ORDERS[3:] if (o, l) in last)} for l in ls]
    n = kwargs.get("n", 400)
    return panels_explorer(table, "e", [("loss", "held-out loss", {}), ("acc", "held-out accuracy", {})],
                           {"l": log_slider("l", 10, "η", "learning rate η, log scale", ls, _nearest(ls, np.log10(lr)))}, series="order", xlabel="epoch",
                           status=status,
                           title=f"Softmax regression on {n} digits, mini-batch SGD: the order of the examples",
                           description=("The held-out loss (left) and accuracy (right) against the epoch for the five orders of the "
                                        "examples, at learning rate η; the line below gives each order's final accuracy."))


def batchnorm_table(n=256, depth=4, width=16, batch_size=32, epochs=4, seed=0, log_lrs=None, log_scales=None,
                    cap=1e3):
    r"""Mini-batch losses of a deep ReLU network with and without batch normalization, over η and the initial scale.

    ``MLP((64,) + (width,) * depth + (10,), "relu")``
    learns ``n`` digits with mini-batch SGD (batches of ``batch_size``) from
    ``init(seed, scale)``, once with batch normalization of every hidden layer,
    :math:`\hat z = (z - \mu_B) / \sqrt{\sigma_B^2 + \epsilon}`, :math:`u = \gamma \odot \hat z + \beta`,
    and once without. One :func:`gdcourse.loops.train` call per network trains the
    whole grid of (η, scale) at once.

    Returns
    -------
    list of dict
        One row per update and run: ``net`` (with or without batch normalization),
        ``l`` (:math:`\log_{10}\eta`), ``s`` (:math:`\log_{10}` scale), ``u`` (update,
        from 1), ``j`` (the mini-batch's loss before its update; ``cap`` at the update
        a run diverged in, where its curve ends); and the chance level :math:`\ln 10`
        as a flat curve (for every η and scale).
    status : list of dict
        Per (η, scale), ``m``: how each network ends.
    """
    from .. import loops, nn
    from ..optimizers import make

    log_lrs = _log_grid(-2.0, 1.0, 0.5) if log_lrs is None else np.round(np.asarray(log_lrs, dtype=float), 6)
    log_scales = _log_grid(-1.0, 1.0, 0.5) if log_scales is None else np.round(np.asarray(log_scales, dtype=float), 6)
    for name, v in (("log_lrs", log_lrs), ("log_scales", log_scales)):
        if v.ndim != 1 or not len(v) or not np.all(np.isfinite(v)):
            raise ValueError(f"Invalid {name}: {v!r} (must be a non-empty list of finite numbers)")
    if n % batch_size:
        raise ValueError(f"Invalid batch_size: {batch_size!r} (must divide n = {n})")
    X, y, _, _ = _digits(n, 1, seed=0)
    L, S = (a.ravel() for a in np.meshgrid(log_lrs, log_scales, indexing="ij"))
    rows, final = [], {}
    for bn, name in ((True, "with batch normalization"), (False, "without batch normalization")):
        net = nn.MLP((64,) + (width,) * depth + (10,), "relu", batchnorm=bn)
        theta0 = np.stack([net.init(seed, scale=10.0**s) for s in S])
        h = loops.train(net, make("SGD", lr=10.0**L[:, None]), X, y, theta0, epochs=epochs,
                        batch_size=batch_size, seed=seed)
        for c in range(len(L)):
            d = int(h.diverged_at[c])
            for u, j in enumerate(h.batch_losses[:, c], start=1):
                if d >= 0 and u >= d:  # the update that diverged: the curve leaves the plot upwards and ends
                    rows.append({"net": name, "l": float(L[c]), "s": float(S[c]), "u": u, "j": cap})
                    break
                rows.append({"net": name, "l": float(L[c]), "s": float(S[c]), "u": u, "j": _round_sig(min(j, cap))})
            final[name, c] = f"diverged at update {d}" if d >= 0 else \
                f"mini-batch loss {h.batch_losses[-1, c]:.3g} at the last update"
    updates = epochs * n // batch_size
    rows += [{"net": "chance level (ln 10)", "u": u, "j": _round_sig(np.log(10))} for u in (1, updates)]
    status = [{"l": float(L[c]), "s": float(S[c]), "m": "\n".join(
        f"{name}: {final[name, c]}" for name in ("with batch normalization", "without batch normalization"))}
        for c in range(len(L))]
    return rows, status


def batchnorm_explorer(lr=1.0, scale=1.0, ylim=(0.0, 4.0), **kwargs):
    r"""A kernel-free batch-normalization explorer: :math:`\log_{10}\eta` and the initial weight scale on sliders.

    The curves are :func:`batchnorm_table` (``kwargs`` go there), the network with
    and without batch normalization side by side; ``lr`` and ``scale`` are the
    starting values, moved to the nearest ones on the grids.
    """
    table, status = batchnorm_table(**kwargs)
    ls, ss = sorted({r["l"] for r in table if "l" in r}), sorted({r["s"] for r in table if "s" in r})
    colors = {"with batch normalization": color("with BN", 1), "without batch normalization": color("without BN", 0),
              "chance level (ln 10)": "#888888"}
    updates = max(r["u"] for r in table)
    return panels_explorer(table, "u", [("j", "mini-batch loss", {"ylim": ylim, "xlim": (1, updates)})],
                           {"l": log_slider("l", 10, "η", "learning rate η, log scale", ls, _nearest(ls, np.log10(lr))),
                            "s": log_slider("s", 10, "init scale", "initial weight scale, log scale", ss, _nearest(ss, np.log10(scale)))},
                           series="net", xlabel="update", colors=colors, status=status,
                           dashed=("chance level (ln 10)",),
                           title="A deep ReLU network on the digits, with and without batch normalization",
                           description=("The loss of every mini-batch against the update, for the network with and without batch "
                                        "normalization, at learning rate η and initial weight scale; the dashed line is chance "
                                        "level, a diverging run leaves the plot upwards."))


def early_stopping_table(log_lrs=(-3.5, -3.0, -2.5, -2.0), n=150, hidden=64, epochs=40, batch_size=5, seed=0,
                         patiences=range(1, 31)):
    r"""Training and validation losses of Adam on the breast cancer data, and where early stopping ends each run.

    ``MLP((30, hidden, 2))``
    learns ``n`` tumours with Adam at every :math:`\log_{10}\eta` of ``log_lrs`` (one
    :func:`gdcourse.loops.train` call, a column of η) for ``epochs`` epochs. Early
    stopping never changes the updates, only where they end, so for every patience
    :math:`p` the stop :math:`s_p = \min\{s : s - e^*_s \ge p\}` and the kept epoch
    :math:`e^*_{s_p}` come from the full runs (:func:`gdcourse.loops.patience_stop`).

    Returns
    -------
    curves : list of dict
        ``l`` (:math:`\log_{10}\eta`), ``e`` (epoch), ``j`` (loss) and ``s``
        ("training loss" or "validation loss"), every epoch of the full runs.
    stops : list of dict
        Per ``l`` and ``p`` (patience): ``stop`` (the epoch after which training
        stops, ``None`` if it never does), ``end`` (the last epoch computed),
        ``best`` (the epoch kept), ``vbest`` (its validation loss), ``test`` (its
        test loss) and ``test_last`` (the test loss after all epochs).
    """
    from .. import datasets, loops, nn
    from ..optimizers import make

    log_lrs = np.round(np.asarray(log_lrs, dtype=float), 6)
    if log_lrs.ndim != 1 or not len(log_lrs) or not np.all(np.isfinite(log_lrs)):
        raise ValueError(f"Invalid log_lrs: {log_lrs!r} (must be a non-empty list of finite numbers)")
    lrs = 10.0**log_lrs
    d = datasets.breast_cancer()
    rest, test = d.split(0.3, seed=0)
    tr, va = rest.split(0.3, seed=1)
    X, y = tr.X[:n], tr.y[:n]
    net = nn.MLP((d.X.shape[1], hidden, 2))
    per = -(-len(X) // batch_size)
    h = loops.train(net, make("Adam", lr=lrs[:, None]), X, y,
                    np.broadcast_to(net.init(seed), (len(lrs), net.n_params)).copy(), epochs=epochs,
                    batch_size=batch_size, seed=seed, record_every=per)
    train_loss, val_loss = net.loss(h.thetas, X, y), net.loss(h.thetas, va.X, va.y)
    test_loss = net.loss(h.thetas, test.X, test.y)
    curves, stops = [], []
    for c, l in enumerate(log_lrs.tolist()):
        last = len(h.thetas) - 1 if h.diverged_at[c] < 0 else int(h.diverged_at[c]) // per
        for name, J in (("training loss", train_loss), ("validation loss", val_loss)):
            curves += [{"l": l, "e": e, "j": _round_sig(J[e, c]), "s": name} for e in range(last + 1)]
        for p in patiences:
            stop, best = loops.patience_stop(val_loss[: last + 1, c], int(p))
            stops.append({"l": l, "p": int(p), "stop": None if stop < 0 else stop,
                          "end": last if stop < 0 else stop, "best": best, "vbest": _round_sig(val_loss[best, c]),
                          "test": _round_sig(test_loss[best, c]), "test_last": _round_sig(test_loss[last, c])})
    return curves, stops


def early_stopping_explorer(patience=5, lr=0.001, ylim=(2e-3, 1.5), **kwargs):
    r"""Early stopping: the patience and Adam's :math:`\log_{10}\eta` on sliders.

    The runs of :func:`early_stopping_table` (``kwargs`` go there): the training and
    validation losses up to the epoch where early stopping with the chosen patience
    ends the run (the rest, which it never computes, faint), the stop (a dashed
    vertical line) and the epoch it keeps (a diamond).
    """
    curves, stops = early_stopping_table(**kwargs)
    ls, ps = sorted({r["l"] for r in stops}), sorted({r["p"] for r in stops})
    epochs = max(r["e"] for r in curves)
    rows, status = [], []
    for st in stops:
        key = {"l": st["l"], "p": st["p"]}
        for name in ("training loss", "validation loss"):
            pts = [r for r in curves if r["l"] == st["l"] and r["s"] == name]
            rows += [{**key, "s": name, "e": r["e"], "j": r["j"]} for r in pts if r["e"] <= st["end"]]
            rows += [{**key, "s": name + " (never computed)", "e": r["e"], "j": r["j"]} for r in pts
                     if r["e"] >= st["end"]]
        if st["stop"] is not None:
            rows += [{**key, "s": "stop", "e": st["stop"], "j": ylim[0]}, {**key, "s": "stop", "e": st["stop"], "j": ylim[1]}]
        rows.append({**key, "s": "epoch kept", "e": st["best"], "j": st["vbest"]})
        when = f"stops after epoch {st['stop']}" if st["stop"] is not None else f"never stops in {epochs} epochs"
        status.append({**key, "m": f"p = {st['p']}: {when}, keeps epoch {st['best']} (the diamond, validation loss "
                                   f"{st['vbest']:.4f})\ntest loss {st['test']:.4f} with it, {st['test_last']:.4f} "
                                   f"after all {epochs} epochs"})
    styles = {"training loss (never computed)": {"color": "#bbbbbb", "dash": [], "marker": "", "width": 1.0},
              "validation loss (never computed)": {"color": "#bbbbbb", "dash": [4, 2], "marker": "", "width": 1.0},
              "stop": {"color": "#000000", "dash": [5, 3], "marker": "", "width": 1.2},
              "epoch kept": {"color": "gold", "dash": [], "marker": "diamond"}}
    return panels_explorer(
        rows, "e", [("j", "loss", {"log": True, "ylim": ylim, "xlim": (0, epochs), "title": ""})],
        {"l": log_slider("l", 10, "η (Adam)", "learning rate η of Adam, log scale", ls, _nearest(ls, np.log10(lr))),
         "p": Slider("p", "patience p: epochs without improvement before stopping", ps, _nearest(ps, patience),
                     short="patience p", fmt=".0f")},
        series="s", xlabel="epoch", status=status, styles=styles,
        title="Early stopping with patience p: where it stops and what it keeps",
        description=("The training and validation losses of Adam on the breast cancer data against the epoch, "
                     "on a log scale, up to where early stopping with patience p stops (dashed vertical line); "
                     "the part it never computes is faint grey, and the diamond marks the epoch it keeps."))


def noise_table(objective="styblinski-tang", lr=0.01, steps=300, runs=16, seed=0, log_etas=None, gammas=None,
                points=60, cap=1e3):
    r"""Losses of SGD with annealed gradient noise on a test function, over the noise's η and γ.

    ``runs`` runs of SGD (step size
    ``lr``) from the objective's start with the gradient
    :math:`g_t + N(0, \sigma_t^2)`, :math:`\sigma_t^2 = \eta / (1 + t)^\gamma`
    (:class:`gdcourse.loops.GradientNoise`, seeded by ``seed``, the same noise as the
    explorer's), all the runs of every (η, γ) in one :func:`gdcourse.run.run` call,
    and one run without noise.

    Returns
    -------
    list of dict
        At ``points`` steps spaced evenly in :math:`\log t`: ``l`` (:math:`\log_{10}\eta`),
        ``g`` (γ), ``t`` (step, counted from 1 for a log axis), ``j``
        (:math:`J(\theta_{t-1}) - J^*`) and ``run``: the run without noise, or the best,
        the mean or the worst of the noisy runs (a diverged run counts as ``cap``);
        the run without noise has no ``l`` and ``g``: it is the same for all.
    status : list of dict
        Per (η, γ), ``m``: how many noisy runs end in the global minimum's basin.
    """
    from .. import loops
    from ..optimizers import make
    from ..run import run

    obj = objs.get(objective)
    log_etas = _log_grid(-3.0, 4.0, 1.0) if log_etas is None else np.round(np.asarray(log_etas, dtype=float), 6)
    gammas = _log_grid(0.0, 1.0, 0.25) if gammas is None else np.round(np.asarray(gammas, dtype=float), 6)
    for name, v in (("log_etas", log_etas), ("gammas", gammas)):
        if v.ndim != 1 or not len(v) or not np.all(np.isfinite(v)):
            raise ValueError(f"Invalid {name}: {v!r} (must be a non-empty list of finite numbers)")
    if np.any(gammas < 0):
        raise ValueError(f"Invalid gammas: {gammas!r} (must be >= 0)")
    start = np.asarray(obj.start, dtype=np.float64)
    lo = obj.min_value
    shown = np.unique(np.round(np.geomspace(1, steps + 1, points)).astype(int) - 1)
    clean = run(make("SGD", lr=lr), obj, start, steps)
    clean_gap = np.where(np.arange(steps + 1) <= clean.last_index, clean.losses - lo, cap)
    best = obj.minima[np.argmin([obj(m) for m in obj.minima])]
    g0 = float(np.linalg.norm(obj.grad(start)))
    clean_hit = bool(clean.diverged_at < 0 and np.all(np.abs(clean.final - best) < 0.5))
    # All (η, γ) in one run: each block of ``runs`` rows gets its own noise, the same stream as a run of its own.
    combos = [(l, g) for l in log_etas.tolist() for g in gammas.tolist()]
    noises = [loops.GradientNoise(10.0**l, g, seed=seed) for l, g in combos]

    def noisy_grad(theta):
        grad = obj.grad(theta)
        return np.concatenate([noise(grad[k * runs:(k + 1) * runs]) for k, noise in enumerate(noises)])

    traj = run(make("SGD", lr=lr), obj, np.broadcast_to(start, (len(combos) * runs, 2)).copy(), steps,
               grad_fn=noisy_grad)
    alive = np.arange(steps + 1)[:, None] < np.where(traj.diverged_at < 0, steps + 1, traj.diverged_at)
    gaps = np.where(alive & np.isfinite(traj.losses), np.minimum(traj.losses - lo, cap), cap)
    ends = (traj.diverged_at < 0) & np.all(np.abs(traj.final - best) < 0.5, axis=-1)
    rows = [{"t": int(t) + 1, "j": _round_sig(max(clean_gap[t], 1e-12), 3), "run": "without noise"} for t in shown]
    status = []
    for k, (l, g) in enumerate(combos):
        gap = gaps[:, k * runs:(k + 1) * runs]
        curves = {"noisy runs: best": gap.min(axis=1), "noisy runs: mean": gap.mean(axis=1),
                  "noisy runs: worst": gap.max(axis=1)}
        for name, c in curves.items():
            rows += [{"l": l, "g": g, "t": int(t) + 1, "j": _round_sig(max(c[t], 1e-12), 3), "run": name}
                     for t in shown]
        hit = int(ends[k * runs:(k + 1) * runs].sum())
        status.append({"l": l, "g": g, "m": f"{hit} of {runs} noisy runs end in the global minimum, the run "
                                            f"without noise {'does' if clean_hit else 'does not'}\nσ₀ = "
                                            f"{np.sqrt(10.0**l):.3g} against a gradient of size {g0:.3g} at the start"})
    return rows, status


def noise_explorer(eta=1.0, gamma=0.55, ylim=(1e-3, 1e3), **kwargs):
    r"""A kernel-free gradient-noise explorer: the noise's :math:`\log_{10}\eta` and :math:`\gamma` on sliders.

    The curves are :func:`noise_table` (``kwargs`` go there); ``eta`` and ``gamma``
    are the starting values, moved to the nearest ones on the grids.
    """
    table, status = noise_table(**kwargs)
    ls, gs = sorted({r["l"] for r in table if "l" in r}), sorted({r["g"] for r in table if "g" in r})
    colors = {"without noise": color("SGD"), "noisy runs: best": color("noise", 1),
              "noisy runs: mean": color("noise", 0), "noisy runs: worst": color("noise", 4)}
    obj = objs.get(kwargs.get("objective", "styblinski-tang"))
    return panels_explorer(table, "t", [("j", "J(θ) − J*", {"log": True, "ylim": ylim, "xlog": True})],
                           {"l": log_slider("l", 10, "noise η", "noise level η of the gradient noise, log scale", ls, _nearest(ls, np.log10(eta))),
                            "g": log_slider("g", None, "γ", "decay exponent γ of the noise variance", gs, _nearest(gs, gamma))},
                           series="run", xlabel="step t + 1", colors=colors, status=status, dashed=("without noise",),
                           title=f"SGD with annealed gradient noise on {obj.name}",
                           description=("J − J* against the step, both on log scales: the run without noise (dashed) and the best, "
                                        "mean and worst of sixteen noisy runs, for the noise level η and its decay γ."))


# --- Reddi et al.'s online problem, live and on the page ------------------------------------------

__all__ += ["online", "OnlineExplorer"]


class OnlineExplorer(Explorer):
    """The explorer :func:`online` returns; ``runs`` holds its runs at the current values."""

    @property
    def runs(self):
        """rule -> :class:`gdcourse.run.OnlineRun` at the current slider values."""
        from ..objectives import PeriodicLinear
        from ..optimizers import make
        from ..run import run_online

        v = self.values
        prob = PeriodicLinear(v["C"], int(v["period"]), v["small"])
        return {r: run_online(make(r, lr=10.0 ** v["l"], beta1=v["beta1"], beta2=v["beta2"]), prob.grad,
                              np.array([self.x0]), self.steps, prob.lo, prob.hi) for r in self.rules}


def online(rules=("Adam", "AMSGrad"), C=1010.0, period=101, small=-10.0, beta1=0.9, beta2=0.99, lr=0.1, steps=600,
           x0=0.0, every=3):
    r"""Reddi et al.'s online problem: :math:`x_t` of Adam and AMSGrad, with the problem and the rule on sliders.

    The losses are :class:`gdcourse.objectives.PeriodicLinear`,
    :math:`f_t(x) = C\,x` when :math:`t \bmod p = 1` and :math:`s\,x` otherwise, run by
    :func:`gdcourse.run.run_online` (projected onto :math:`[-1, 1]` after every step) with a
    constant :math:`\eta`. The page precomputes :math:`\beta_2` and :math:`\eta` (one vectorised
    call per rule); the problem's constants :math:`C, p, s` and :math:`\beta_1` move live only.
    The dashed line is the best fixed point :math:`x^*`.
    """
    from ..objectives import PeriodicLinear
    from ..optimizers import make
    from ..run import run_online

    bad = [r for r in rules if r not in RULES or "beta2" not in RULES[r].defaults]
    if bad or not rules:
        raise ValueError(f"Invalid rules: {list(rules)!r} (must be a non-empty list of rules with beta2)")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"Invalid steps: {steps!r} (must be an integer >= 1)")
    if not -1.0 <= x0 <= 1.0:
        raise ValueError(f"Invalid x0: {x0!r} (must be in [-1, 1])")
    PeriodicLinear(C, period, small)   # validates the starting constants
    b2 = np.unique(np.r_[(0.9, 0.99, 0.993, 0.996, 0.999), beta2])
    ll = np.unique(np.r_[np.arange(-2.0, 0.001, 0.25), np.log10(lr)])
    controls = [
        Slider("beta2", "decay rate β₂ of the second moment", b2, beta2, short="β₂"),
        log_slider("l", 10, "η", "learning rate η, log scale", ll, np.log10(lr)),
        Slider("beta1", "decay rate β₁ of the first moment", (0.0, 0.5, 0.9, 0.99), beta1, short="β₁", page=False),
        Slider("C", "large gradient C, every p-th step", sorted({10.0, 30.0, 100.0, 300.0, 500.0, 1000.0, 3000.0,
                                                                  10000.0, float(C)}), C, short="C (large g)", fmt=".4g"),
        Slider("period", "period p of the large gradient", sorted({3, 11, 51, 101, 201, int(period)}), period,
               short="period p", fmt=".0f", page=False),
        Slider("small", "small gradient s, on the other steps", sorted({-50.0, -20.0, -10.0, -5.0, -1.0, float(small)}),
               small, short="s (small g)", page=False),
    ]
    controls[3].page = False   # the problem's constants move live only
    t = np.arange(steps + 1)
    star = "best fixed point x*"

    def compute(values, live=False):
        items, lines = [], []
        for c_big, p, s in itertools.product(values["C"], values["period"], values["small"]):
            prob = PeriodicLinear(c_big, int(p), s)
            keep = t[(t % every == 0) | (t % prob.period <= 1) | (t == steps)]
            fixed = {"C": c_big, "period": p, "small": s}
            B, L, B1 = (a.ravel()[:, None] for a in np.meshgrid(values["beta2"], values["l"], values["beta1"],
                                                               indexing="ij"))
            xs = {r: run_online(make(r, lr=10.0**L, beta1=B1, beta2=B), prob.grad, np.full((len(B), 1), float(x0)),
                                steps, prob.lo, prob.hi).xs[:, :, 0] for r in rules}
            for c in range(len(B)):
                key = {**fixed, "beta2": B[c, 0], "l": L[c, 0], "beta1": B1[c, 0]}
                items += [series(0, r, xs[r][keep, c], keep, key) for r in rules]
                last = " · ".join(f"{r} {xs[r][-prob.period:, c].mean():+.2f}" for r in rules)
                lines.append(status(f"a period's gradients sum to C + (p − 1)s = {prob.period_sum:.4g}, so x* = "
                                    f"{prob.x_star:+.0f}; mean x over the last period: {last}", key))
            items.append(series(0, star, [prob.x_star, prob.x_star], [0, steps], fixed))
        return items, lines

    panels = [{"title": "", "xlabel": "step t", "ylabel": "xₜ", "xlim": [0, steps], "ylim": [-1.08, 1.08],
               "markers": 8}]
    text = (f"The iterate x_t of {', '.join(rules)} against the step t, on the online problem whose loss is C·x "
            f"every p-th step and s·x otherwise, x kept in [−1, 1]; the dashed line is the best fixed point x*. "
            f"Adam drifts to the worst point +1, AMSGrad stays near x* = −1 at the paper's constants.")
    ex = OnlineExplorer("Online losses fₜ(x) = C·x every p-th step, s·x otherwise", text, controls, compute, panels,
                        styles={star: {"color": "#b8860b", "dash": [6, 3], "marker": ""}}, order=[*rules, star],
                        width=400, height=300)
    ex.rules, ex.steps, ex.x0 = list(rules), steps, float(x0)
    return ex
