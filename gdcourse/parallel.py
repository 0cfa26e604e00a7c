r"""Parallel and distributed SGD, simulated event by event: workers, a sharded parameter server, staleness.

The simulator is the course's instrument for the text's section *Parallelizing
and distributing SGD*. ``W`` workers each hold a shard of the data; a step of a
worker reads parameters, computes the gradient of a mini-batch, which takes a
*compute time* drawn from a seeded distribution, and sends the result to a
parameter server. The server may be split into ``S`` shards, each owning a
contiguous slice of :math:`\theta` with its own optimizer, and applies what
arrives in the order it arrives. Every applied update records its
**staleness**: how many updates that shard applied between the read of the
parameters it was computed from and its own application.

Time is simulated (one unit is the mean compute time of one gradient), not
measured, so the same seed gives the same run, bit for bit, on any machine.

* :func:`downpour` — asynchronous SGD with replicas that fetch every ``n_fetch``
  and push every ``n_push`` steps (Dean et al., 2012); ``n_fetch = n_push = 1``
  is plain asynchronous SGD, any gdcourse optimizer runs on the server.
* :func:`easgd` — Elastic Averaging SGD (Zhang et al., 2015), asynchronous or
  synchronous, with moving rate :math:`\alpha = \eta\rho` and period :math:`\tau`.
* :func:`synchronous` — synchronous data parallelism: every round waits for the
  slowest of ``K`` workers and applies the average of their gradients.
* :class:`AdaptiveRevision` — the delay-tolerant Adagrad of McMahan & Streeter (2014),
  an optimizer that the server feeds with :math:`g^{bck}` as well as :math:`g`.
* :class:`DataParallel` — a model whose gradient ``K`` workers (in-process, a thread
  pool or a Dask cluster) compute on ``K`` parts of each mini-batch.
"""
from __future__ import annotations

import copy
import heapq
import numbers
from dataclasses import dataclass

import numpy as np

from .optimizers import Optimizer
from .run import diverged

__all__ = ["Problem", "NoisyObjective", "ParameterServer", "SimResult", "downpour", "easgd",
           "synchronous", "AdaptiveRevision", "DataParallel", "shard_slices", "conflicts"]


# --- Checking arguments --------------------------------------------------------------------


def _int(name, value, lo, hi=None, allowed=None):
    """``value`` as an int in [lo, hi], or a ``ValueError`` naming it and the allowed range."""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
            or value < lo or (hi is not None and value > hi)):
        raise ValueError(f"Invalid {name}: {value!r} ({allowed or f'must be an integer >= {lo}'})")
    return int(value)


def _real(name, value, lo=0.0, strict=False, hi=None, allowed=None):
    """A finite float (or float array) >= lo (> lo if strict, <= hi if given), or a ``ValueError``."""
    op = ">" if strict else ">="
    bad = ValueError(f"Invalid {name}: {value!r} ({allowed or f'must be a finite number {op} {lo:g}'})")
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise bad
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise bad from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= lo if strict else arr < lo) \
            or (hi is not None and np.any(arr > hi)):
        raise bad
    return float(arr) if arr.ndim == 0 else arr


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"Invalid optimizer: {optimizer!r} (must be a gdcourse optimizer, e.g. SGD(lr=0.1))")


def shard_slices(d, shards):
    r"""Split :math:`\theta \in \mathbb R^d` into ``shards`` contiguous slices of near-equal size.

    Shard :math:`s` owns :math:`\theta_{[a_s, a_{s+1})}`; the sizes differ by at most one.
    """
    d = _int("d", d, 1)
    shards = _int("shards", shards, 1, d, f"must be an integer in [1, d = {d}]")
    edges = np.cumsum([0] + [len(a) for a in np.array_split(np.arange(d), shards)])
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


# --- What the workers compute gradients of ---------------------------------------------------


class Problem:
    r"""A finite sum :math:`J(\theta) = \frac1n \sum_i J_i(\theta)` over a model and a data set.

    ``grad(theta, idx)`` is the gradient of the mini-batch ``idx``; ``loss(theta)`` the loss on
    all the data. Both are vectorised over leading axes of ``theta``. With ``bias=False`` the
    model's bias is held at 0 and :math:`\theta` holds the weights only (for sparse data, where a
    bias would be one coordinate that every single update writes).
    """

    def __init__(self, model, X, y, bias=True):
        self.model = model
        self.X = np.asarray(X, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        self.bias = bool(bias)
        if self.X.ndim != 2 or len(self.X) != len(self.y) or len(self.y) == 0:
            raise ValueError(f"Invalid data: X {self.X.shape}, y {self.y.shape} "
                             "(need X of shape (n, p) and y of shape (n,), n >= 1)")

    @property
    def n(self):
        return len(self.y)

    @property
    def d(self):
        """Length of :math:`\\theta`."""
        return self.X.shape[1] + int(self.bias)

    def _full(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        return theta if self.bias else np.concatenate([theta, np.zeros(theta.shape[:-1] + (1,))], axis=-1)

    def grad(self, theta, idx):
        g = self.model.grad(self._full(theta), self.X[idx], self.y[idx])
        return g if self.bias else g[..., :-1]

    def loss(self, theta):
        return self.model.loss(self._full(theta), self.X, self.y)


class NoisyObjective:
    r"""A test objective seen through ``n`` noisy examples: a finite sum whose mean is exact.

    .. math:: \nabla J_i(\theta) = \nabla f(\theta) + \sigma \xi_i, \qquad
              \textstyle\sum_i \xi_i = 0, \quad \xi_i \sim \mathcal N(0, I) \text{ then centred}

    so a mini-batch gradient is :math:`\nabla f` plus seeded noise, and the full-batch
    gradient is :math:`\nabla f` itself. ``loss(theta)`` is :math:`f(\theta)`.
    """

    def __init__(self, objective, sigma=1.0, n=256, seed=0):
        self.objective = objective
        self.sigma = _real("sigma", sigma)
        n = _int("n", n, 1)
        d = len(objective.start)
        xi = np.random.default_rng(seed).standard_normal((n, d))
        self.xi = xi - xi.mean(axis=0)

    @property
    def n(self):
        return len(self.xi)

    @property
    def d(self):
        return self.xi.shape[1]

    def grad(self, theta, idx):
        return self.objective.grad(theta) + self.sigma * self.xi[idx].mean(axis=0)

    def loss(self, theta):
        return self.objective.value(theta)


# --- The parameter server ---------------------------------------------------------------------


class ParameterServer:
    r"""Parameters split into ``shards`` slices, each updated by its own copy of ``optimizer``.

    A gradient slice that arrives at shard :math:`s` is applied with the optimizer's
    ``step(theta, grad_fn)`` contract, ``grad_fn = lambda _: g``: the server does not
    evaluate gradients, it applies the (possibly stale) one it was sent. An optimizer with
    ``delay_tolerant = True`` (:class:`AdaptiveRevision`) is also given
    :math:`g^{bck}`, the sum of the gradients the shard applied since the read.
    Each shard counts its updates (``version``) and keeps the running sum ``z`` of the
    gradients it applied, so that both can be compared with what a worker read.
    """

    def __init__(self, theta0, optimizer, shards=1):
        self.theta = np.array(theta0, dtype=np.float64)
        self.slices = shard_slices(self.theta.shape[-1], shards)
        if optimizer is not None:
            _check_optimizer(optimizer)
        self.optimizers = [None if optimizer is None else copy.deepcopy(optimizer) for _ in self.slices]
        for opt in self.optimizers:
            if opt is not None:
                opt.reset()
        self.version = np.zeros(len(self.slices), dtype=np.int64)
        # The gradient sums are kept only for a rule that uses them (they cost a copy per read).
        self.z = (np.zeros_like(self.theta)
                  if any(getattr(o, "delay_tolerant", False) for o in self.optimizers) else None)

    def read(self):
        """A worker's read: a copy of θ, the shards' versions and their gradient sums (or None)."""
        return self.theta.copy(), self.version.copy(), None if self.z is None else self.z.copy()

    def apply(self, s, g, read_version, z_read):
        """Apply the gradient slice ``g`` to shard ``s``; return its staleness."""
        sl = self.slices[s]
        opt = self.optimizers[s]
        staleness = int(self.version[s] - read_version[s])
        if getattr(opt, "delay_tolerant", False):
            new = opt.step(self.theta[..., sl], lambda _: g, g_bck=self.z[..., sl] - z_read[..., sl])
        else:
            new = opt.step(self.theta[..., sl], lambda _: g)
        self.theta[..., sl] = new
        if self.z is not None:
            self.z[..., sl] += g
        self.version[s] += 1
        return staleness

    def add(self, s, delta):
        """Add ``delta`` to shard ``s`` (no optimizer: EASGD's centre variable); returns nothing."""
        self.theta[..., self.slices[s]] += delta
        self.version[s] += 1


# --- Time and data: one seeded stream per worker ------------------------------------------------


class _Clock:
    """Compute times and latencies per worker: mean ``speeds[w]`` (resp. ``latency``), log-normal spread."""

    def __init__(self, workers, spread, latency, speeds, seed):
        ss = np.random.SeedSequence([seed, 1])
        self.rngs = [np.random.default_rng(s) for s in ss.spawn(2 * workers)]
        self.spread, self.latency, self.speeds = spread, latency, speeds

        self.blocks = [[] for _ in self.rngs]

    def _factor(self, i):
        # exp(σz - σ²/2) has mean 1: the spread changes the variability, not the mean.
        # Drawn in blocks (the same numbers as one at a time, fewer calls).
        s = self.spread
        if s == 0:
            return 1.0
        if not self.blocks[i]:
            self.blocks[i] = np.exp(s * self.rngs[i].standard_normal(256) - 0.5 * s * s).tolist()[::-1]
        return self.blocks[i].pop()

    def compute(self, w):
        return self.speeds[w] * self._factor(w)

    def delay(self, w):
        return 0.0 if self.latency == 0 else self.latency * self._factor(len(self.speeds) + w)


class _Batches:
    """Each worker's mini-batches: its shard of the data (or all of it), reshuffled every pass."""

    def __init__(self, n, workers, batch_size, shard_data, seed):
        perm = np.random.default_rng([seed, 2]).permutation(n)
        if shard_data:
            if workers > n:
                raise ValueError(f"Invalid workers: {workers} (with shard_data, at most n = {n}: "
                                 "every worker needs an example)")
            self.shards = np.array_split(perm, workers)
        else:
            self.shards = [np.arange(n)] * workers
        self.b = batch_size
        self.rngs = [np.random.default_rng([seed, 3, w]) for w in range(workers)]
        self.queue = [np.zeros(0, dtype=np.int64) for _ in range(workers)]
        self.pos = [0] * workers

    def next(self, w):
        q, i = self.queue[w], self.pos[w]
        if i + self.b > len(q):
            # Refill with whole passes (each one a fresh permutation of the worker's shard).
            parts, have = [q[i:]], len(q) - i
            while have < self.b:
                parts.append(self.rngs[w].permutation(self.shards[w]))
                have += len(parts[-1])
            q, i = self.queue[w], self.pos[w] = np.concatenate(parts), 0
        self.pos[w] = i + self.b
        return q[i:i + self.b]


def _check_common(problem, theta0, workers, steps, batch_size, spread, latency, speeds, record_every):
    theta0 = np.asarray(theta0, dtype=np.float64)
    if theta0.ndim == 0 or theta0.shape[-1] != problem.d:
        raise ValueError(f"Invalid theta0 shape: {theta0.shape} (last axis must be d = {problem.d})")
    W = _int("workers", workers, 1)
    steps = _int("steps", steps, 0)
    b = _int("batch_size", batch_size, 1, problem.n, f"must be an integer in [1, n = {problem.n}]")
    spread = _real("spread", spread)
    latency = _real("latency", latency, allowed="a delay must be a finite number >= 0")
    if speeds is None:
        speeds = np.ones(W)
    else:
        speeds = np.asarray(_real("speeds", speeds, strict=True,
                                  allowed="mean compute times, finite numbers > 0"), dtype=np.float64)
        if speeds.shape != (W,):
            raise ValueError(f"Invalid speeds: shape {speeds.shape} (must be one mean compute time per "
                             f"worker, shape ({W},))")
    every = max(1, steps // 100) if record_every is None else _int("record_every", record_every, 1)
    return theta0, W, steps, b, spread, latency, speeds, every


# --- What a run produced ---------------------------------------------------------------------------


@dataclass
class SimResult:
    r"""What a simulated run recorded.

    Records are taken every ``record_every`` gradient computations, at the start and at the end.

    Attributes
    ----------
    steps, times : ndarray, shape (k,)
        Gradients computed so far (all workers together) and the simulated time of each record.
    theta : ndarray, shape (k, ..., d)
        The server's parameters (EASGD: the centre variable :math:`\tilde x`).
    losses : ndarray, shape (k, ...)
        :math:`J(\theta)` of the server's parameters on the whole data.
    drift : ndarray, shape (k, ...)
        Root-mean-square distance of the workers' parameters from the server's:
        :math:`\sqrt{\frac1W \sum_i \lVert x^i - \theta \rVert^2}`.
    local : ndarray, shape (k, W, ..., d) or None
        The workers' own parameters (only with ``record_local=True``).
    staleness, apply_time, apply_worker, apply_shard, apply_step : ndarray, shape (m,)
        One entry per update a shard applied: its staleness, when, from which worker, to which
        shard, and which gradient computation (index into the step arrays) completed it.
    step_worker, step_start, step_end : ndarray, shape (steps,)
        Who computed each gradient and when.
    batches : ndarray, shape (steps, batch_size)
        The examples of each gradient.
    diverged_at : int or ndarray
        Gradients computed at the first record whose θ or loss was not finite or beyond the bound;
        ``-1`` where never.
    events : int
        Events the simulator processed (for the synchronous algorithms: rounds), for benchmarks.
    """

    steps: np.ndarray
    times: np.ndarray
    theta: np.ndarray
    losses: np.ndarray
    drift: np.ndarray
    local: object
    staleness: np.ndarray
    apply_time: np.ndarray
    apply_worker: np.ndarray
    apply_shard: np.ndarray
    apply_step: np.ndarray
    step_worker: np.ndarray
    step_start: np.ndarray
    step_end: np.ndarray
    batches: np.ndarray
    diverged_at: object
    events: int = 0

    @property
    def final_loss(self):
        """Loss of the server's parameters at the end (NaN where the run diverged)."""
        return np.where(np.asarray(self.diverged_at) >= 0, np.nan, self.losses[-1])

    @property
    def diverged(self):
        return np.asarray(self.diverged_at) >= 0

    def describe(self):
        """``diverged after k gradients`` or the final loss and the mean staleness."""
        mean_s = self.staleness.mean() if self.staleness.size else 0.0
        if np.ndim(self.diverged_at) == 0:
            head = (f"diverged after {self.diverged_at} gradients" if self.diverged_at >= 0
                    else f"loss {self.losses[-1]:.4g}")
        else:
            head = f"{int(np.sum(self.diverged))} of {np.size(self.diverged_at)} configurations diverged"
        return f"{head} · mean staleness {mean_s:.1f} · time {self.times[-1]:.0f}"


class _Recorder:
    def __init__(self, problem, every, record_local, bound):
        self.problem, self.every, self.record_local, self.bound = problem, every, record_local, bound
        self.steps, self.times, self.thetas, self.drift, self.local = [], [], [], [], []
        self.applies = []
        self.step_log = []

    def record(self, done, t, theta, locals_):
        self.steps.append(done)
        self.times.append(t)
        self.thetas.append(theta.copy())
        L = np.stack(locals_)
        self.drift.append(np.sqrt(np.mean(np.sum((L - theta) ** 2, axis=-1), axis=0)))
        if self.record_local:
            self.local.append(L)

    def result(self, batches, events, batch_size):
        thetas = np.stack(self.thetas)
        with np.errstate(all="ignore"):
            losses = np.asarray(self.problem.loss(thetas), dtype=np.float64)
        bad = diverged(thetas, losses, self.bound)
        first = np.where(bad.any(axis=0), bad.argmax(axis=0), -1)
        steps = np.array(self.steps)
        diverged_at = np.where(first >= 0, steps[np.maximum(first, 0)], -1)
        a = np.array(self.applies, dtype=np.float64).reshape(-1, 5)
        s = np.array(self.step_log, dtype=np.float64).reshape(-1, 3)
        return SimResult(
            steps=steps, times=np.array(self.times), theta=thetas, losses=losses,
            drift=np.stack(self.drift), local=np.stack(self.local) if self.record_local else None,
            staleness=a[:, 0].astype(np.int64), apply_time=a[:, 1], apply_worker=a[:, 2].astype(np.int64),
            apply_shard=a[:, 3].astype(np.int64), apply_step=a[:, 4].astype(np.int64),
            step_worker=s[:, 0].astype(np.int64), step_start=s[:, 1], step_end=s[:, 2],
            batches=np.array(batches, dtype=np.int64).reshape(len(batches), batch_size),
            diverged_at=int(diverged_at) if diverged_at.ndim == 0 else diverged_at, events=events)


class _Events:
    """A heap of (time, seq, ...) events: ties are broken by the order of scheduling, never by chance."""

    def __init__(self):
        self.heap, self.seq, self.count = [], 0, 0

    def push(self, t, *payload):
        heapq.heappush(self.heap, (t, self.seq, payload))
        self.seq += 1

    def pop(self):
        t, _, payload = heapq.heappop(self.heap)
        self.count += 1
        return t, payload

    def __bool__(self):
        return bool(self.heap)


# --- Downpour SGD (and plain asynchronous SGD) -------------------------------------------------------


def downpour(problem, theta0, optimizer, *, workers=4, shards=1, steps=1000, batch_size=1, n_fetch=1,
             n_push=1, local_lr=None, spread=0.5, latency=0.0, speeds=None, shard_data=True, seed=0,
             record_every=None, record_local=False, bound=1e6):
    r"""Simulate Downpour SGD: replicas fetch, compute, push; a sharded server applies ``optimizer``.

    Each replica (worker) runs Dean et al.'s client loop, one step per gradient:

    .. math::
        \text{every } n_{fetch} \text{ steps:}\ \theta' \leftarrow \theta_{\text{server}}; \qquad
        g \leftarrow \nabla_\theta J(\theta'; \text{mini-batch}); \qquad
        \Delta \leftarrow \Delta + g; \qquad \theta' \leftarrow \theta' - \alpha g; \\
        \text{every } n_{push} \text{ steps: send } \Delta \text{ to the shards}, \ \Delta \leftarrow 0

    and shard :math:`s` applies what arrives with its optimizer, e.g. SGD
    :math:`\theta_s \leftarrow \theta_s - \eta \Delta_s` or Adagrad. With
    ``n_fetch = n_push = 1`` this is plain asynchronous SGD: every gradient is computed
    on parameters read one compute time earlier.

    Parameters
    ----------
    problem : Problem or NoisyObjective
        What the gradients are of.
    theta0 : array_like, shape (..., d)
        Start; leading axes are configurations (e.g. learning rates as ``(n, 1)`` arrays).
    optimizer : gdcourse.optimizers.Optimizer
        The server's rule; each shard gets its own copy over its slice.
    workers, shards : int
        :math:`W \ge 1` replicas; :math:`1 \le S \le d` server shards.
    steps : int
        Gradients to compute, all replicas together.
    batch_size : int
        Examples per gradient.
    n_fetch, n_push : int
        Fetch and push periods (Dean et al.'s :math:`n_{fetch}, n_{push}`).
    local_lr : float, optional
        :math:`\alpha`, the replica's own step between fetches; by default the server
        optimizer's ``lr`` (needed only when ``n_fetch > 1``).
    spread : float
        Log-normal spread :math:`\sigma \ge 0` of compute times and latencies (0: all equal).
    latency : float
        Mean delay of a push on its way to a shard (0: it arrives when it is sent).
    speeds : array_like, shape (W,), optional
        Mean compute time of each worker (default all 1).
    shard_data : bool
        Each worker samples from its own shard of the data (default) or from all of it.
    seed : int
        The same seed gives the same run, bit for bit.
    record_every : int, optional
        Record θ every this many gradients (default ``steps // 100``).
    record_local : bool
        Also keep every replica's parameters at each record.
    bound : float
        A θ beyond it counts as diverged.

    Returns
    -------
    SimResult
    """
    theta0, W, steps, b, spread, latency, speeds, every = _check_common(
        problem, theta0, workers, steps, batch_size, spread, latency, speeds, record_every)
    _check_optimizer(optimizer)
    n_fetch = _int("n_fetch", n_fetch, 1)
    n_push = _int("n_push", n_push, 1)
    if local_lr is None:
        local_lr = getattr(optimizer, "lr", None)
    if local_lr is None and n_fetch > 1:
        raise ValueError("Invalid local_lr: None (a replica that fetches every n_fetch > 1 steps needs "
                         "its own step size alpha > 0)")
    alpha = None if local_lr is None else _real("local_lr", local_lr, strict=True)
    hp_shapes = [np.shape(v) for v in optimizer.hyperparams.values()]
    shape = np.broadcast_shapes(theta0.shape, *hp_shapes, np.shape(alpha))
    server = ParameterServer(np.broadcast_to(theta0, shape), optimizer, shards)
    S = len(server.slices)
    clock = _Clock(W, spread, latency, speeds, seed)
    data = _Batches(problem.n, W, b, bool(shard_data), seed)
    rec = _Recorder(problem, every, record_local, bound)
    ev = _Events()
    params = [server.theta.copy() for _ in range(W)]
    read = [None] * W          # (version, z) at the last fetch
    window = [None] * W        # (version, z) when the current accrual began
    accrued = [None] * W
    pending = [None] * W       # (gradient, step index) being computed
    k = [0] * W
    batches = []
    started = done = 0
    t = 0.0

    def start(w, t):
        nonlocal started
        if k[w] % n_fetch == 0:
            params[w], version, z = server.read()
            read[w] = (version, z)
        if accrued[w] is None:
            window[w] = read[w]
            accrued[w] = 0.0
        idx = data.next(w)
        batches.append(idx)
        pending[w] = (problem.grad(params[w], idx), started)
        c = clock.compute(w)
        rec.step_log.append((w, t, t + c))
        started += 1
        ev.push(t + c, "done", w)

    with np.errstate(all="ignore"):
        rec.record(0, 0.0, server.theta, params)
        for w in range(min(W, steps)):
            start(w, 0.0)
        while ev:
            t, (kind, w, *rest) = ev.pop()
            if kind == "done":
                g, step = pending[w]
                accrued[w] = g if n_push == 1 else accrued[w] + g
                if alpha is not None and n_fetch > 1:  # with n_fetch = 1 the next fetch replaces it
                    params[w] = params[w] - alpha * g
                k[w] += 1
                done += 1
                if k[w] % n_push == 0:
                    version, z = window[w]
                    for s, sl in enumerate(server.slices):
                        delay = clock.delay(w)
                        if delay == 0:  # no network: applied before the worker reads again
                            rec.applies.append((server.apply(s, accrued[w][..., sl], version, z), t, w, s, step))
                        else:
                            ev.push(t + delay, "arrive", w, s, accrued[w][..., sl], version, z, step)
                    accrued[w] = None
                if started < steps:
                    start(w, t)
                if done % every == 0 and done < steps:
                    rec.record(done, t, server.theta, params)
            else:
                s, g, version, z, step = rest
                staleness = server.apply(s, g, version, z)
                rec.applies.append((staleness, t, w, s, step))
        rec.record(done, t, server.theta, params)
    return rec.result(batches, ev.count, b)


# --- Elastic Averaging SGD ---------------------------------------------------------------------------


def easgd(problem, theta0, *, lr, rho, tau=1, workers=4, steps=1000, batch_size=1, synchronous=False,
          spread=0.5, latency=0.0, speeds=None, shard_data=True, seed=0, record_every=None,
          record_local=False, bound=1e6):
    r"""Simulate Elastic Averaging SGD (Zhang et al., 2015) with moving rate :math:`\alpha = \eta\rho`.

    Asynchronous (the paper's Algorithm 1), worker :math:`i` at its local step :math:`t^i`:

    .. math::
        x \leftarrow x^i; \quad
        \text{if } \tau \mid t^i:\ \ x^i \leftarrow x^i - \alpha (x - \tilde x), \ \
        \tilde x \leftarrow \tilde x + \alpha (x - \tilde x); \quad
        x^i \leftarrow x^i - \eta\, g^i(x)

    where the master adds the elastic difference :math:`\alpha (x - \tilde x)`, computed
    from the centre :math:`\tilde x` the worker read, when it arrives. Synchronous
    (the paper's equations (5)-(6), every :math:`\tau`-th round):

    .. math::
        x^i_{t+1} = x^i_t - \eta g^i_t(x^i_t) - \alpha (x^i_t - \tilde x_t), \qquad
        \tilde x_{t+1} = \tilde x_t + \alpha \textstyle\sum_{i=1}^{W} (x^i_t - \tilde x_t)

    and a round lasts as long as its slowest worker. ``rho = 0`` decouples the workers
    (the centre never moves). Other parameters as in :func:`downpour`; the result's
    ``theta`` is the centre variable :math:`\tilde x` and ``drift`` the workers' spread
    around it.
    """
    theta0, W, steps, b, spread, latency, speeds, every = _check_common(
        problem, theta0, workers, steps, batch_size, spread, latency, speeds, record_every)
    lr = _real("lr", lr, strict=True)
    rho = _real("rho", rho)
    tau = _int("tau", tau, 1)
    alpha = lr * rho
    if np.any(np.asarray(alpha) >= 1) or (synchronous and np.any(W * np.asarray(alpha) >= 2)):
        raise ValueError(f"Invalid rho: {rho!r} (the moving rate alpha = lr * rho must be < 1"
                         f"{' and W * alpha < 2' if synchronous else ''})")
    shape = np.broadcast_shapes(theta0.shape, np.shape(lr), np.shape(rho))
    server = ParameterServer(np.broadcast_to(theta0, shape), None, 1)
    clock = _Clock(W, spread, latency, speeds, seed)
    data = _Batches(problem.n, W, b, bool(shard_data), seed)
    rec = _Recorder(problem, every, record_local, bound)
    ev = _Events()
    x = [server.theta.copy() for _ in range(W)]
    batches = []

    with np.errstate(all="ignore"):
        rec.record(0, 0.0, server.theta, x)
        if synchronous:
            t, done, rnd = 0.0, 0, 0
            while done < steps:
                active = range(min(W, steps - done))
                centre = server.theta.copy()
                grads, cs = [], []
                for w in active:
                    idx = data.next(w)
                    batches.append(idx)
                    grads.append(problem.grad(x[w], idx))
                    cs.append(clock.compute(w))
                    rec.step_log.append((w, t, t + cs[-1]))
                t += max(cs)
                elastic = [alpha * (x[w] - centre) if rnd % tau == 0 else 0.0 for w in active]
                for w, g, e in zip(active, grads, elastic):
                    x[w] = x[w] - lr * g - e
                if rnd % tau == 0:
                    server.add(0, sum(elastic))
                    rec.applies.append((0, t, -1, 0, done + len(grads) - 1))
                prev, done, rnd = done, done + len(grads), rnd + 1
                if done // every > prev // every and done < steps:
                    rec.record(done, t, server.theta, x)
            rec.record(done, t, server.theta, x)
            return rec.result(batches, rnd, b)

        k = [0] * W
        started = done = 0
        pending = [None] * W

        def start(w, t):
            nonlocal started
            xw = x[w]
            if k[w] % tau == 0:
                centre, version, _ = server.read()
                e = alpha * (xw - centre)
                x[w] = x[w] - e
                delay = clock.delay(w)
                if delay == 0:
                    server.add(0, e)
                    rec.applies.append((0, t, w, 0, started))
                else:
                    ev.push(t + delay, "arrive", w, e, version, started)
            idx = data.next(w)
            batches.append(idx)
            pending[w] = problem.grad(xw, idx)
            c = clock.compute(w)
            rec.step_log.append((w, t, t + c))
            started += 1
            ev.push(t + c, "done", w)

        for w in range(min(W, steps)):
            start(w, 0.0)
        t = 0.0
        while ev:
            t, (kind, w, *rest) = ev.pop()
            if kind == "done":
                x[w] = x[w] - lr * pending[w]
                k[w] += 1
                done += 1
                if started < steps:
                    start(w, t)
                if done % every == 0 and done < steps:
                    rec.record(done, t, server.theta, x)
            else:
                e, version, step = rest
                staleness = int(server.version[0] - version[0])
                server.add(0, e)
                rec.applies.append((staleness, t, w, 0, step))
        rec.record(done, t, server.theta, x)
    return rec.result(batches, ev.count, b)


# --- Synchronous data parallelism ---------------------------------------------------------------------


def synchronous(problem, theta0, optimizer, *, workers=4, steps=1000, batch_size=1, spread=0.5, speeds=None,
                shard_data=True, seed=0, record_every=None, bound=1e6):
    r"""Simulate synchronous data-parallel SGD: each round waits for all :math:`K` workers.

    .. math::
        g = \frac1K \sum_{k=1}^{K} \nabla_\theta J(\theta; B_k), \qquad
        \theta \leftarrow \text{optimizer step with } g, \qquad
        \text{round time} = \max_k c_k

    Every gradient is computed on the current θ (staleness 0); the price is the wait for
    the slowest worker. ``steps`` counts gradients (``K`` per round), as in :func:`downpour`.
    """
    theta0, K, steps, b, spread, _, speeds, every = _check_common(
        problem, theta0, workers, steps, batch_size, spread, 0.0, speeds, record_every)
    _check_optimizer(optimizer)
    shape = np.broadcast_shapes(theta0.shape, *(np.shape(v) for v in optimizer.hyperparams.values()))
    server = ParameterServer(np.broadcast_to(theta0, shape), optimizer, 1)
    clock = _Clock(K, spread, 0.0, speeds, seed)
    data = _Batches(problem.n, K, b, bool(shard_data), seed)
    rec = _Recorder(problem, every, False, bound)
    batches = []
    t, done, rnd = 0.0, 0, 0
    with np.errstate(all="ignore"):
        rec.record(0, 0.0, server.theta, [server.theta])
        while done < steps:
            theta, version, z = server.read()
            grads, cs = [], []
            for w in range(min(K, steps - done)):
                idx = data.next(w)
                batches.append(idx)
                grads.append(problem.grad(theta, idx))
                cs.append(clock.compute(w))
                rec.step_log.append((w, t, t + cs[-1]))
            t += max(cs)
            server.apply(0, sum(grads) / len(grads), version, z)
            rec.applies.append((0, t, -1, 0, done + len(grads) - 1))
            prev, done, rnd = done, done + len(grads), rnd + 1
            if done // every > prev // every and done < steps:
                rec.record(done, t, server.theta, [server.theta])
        rec.record(done, t, server.theta, [server.theta])
    return rec.result(batches, rnd, b)


# --- Delay-tolerant Adagrad ---------------------------------------------------------------------------


class AdaptiveRevision(Optimizer):
    r"""Delay-tolerant Adagrad (McMahan & Streeter, 2014): adapts to the gradients *and* the delays.

    Per coordinate, with :math:`g^{bck}` the sum of the gradients applied between the read
    that :math:`g` was computed from and now:

    .. math::
        z'_t &= z'_{t-1} + g_t^2 + 2\, g_t\, g^{bck}_t, \qquad
        \bar z_t = \max(\bar z_{t-1}, z'_t) \\
        \eta_t &= \frac{\eta}{\sqrt{\bar z_t + \epsilon}} \\
        \theta_{t+1} &= \theta_t - \eta_t g_t + (\eta_{t-1} - \eta_t)\, g^{bck}_t

    The last term *revises* the gradients of :math:`g^{bck}`, applied with the older,
    larger rate :math:`\eta_{t-1}`, to the new one. Without delays (:math:`g^{bck} = 0`)
    this is Adagrad, bit for bit. The running maximum :math:`\bar z` keeps the rate from
    growing when :math:`g_t g^{bck}_t < 0`; it and :math:`\epsilon` are our reading of the
    paper (see the chapter). ``step(theta, grad_fn, g_bck=None)``: without ``g_bck`` the
    server knows of no delay.
    """

    defaults = {"lr": 0.01, "eps": 1e-8}
    state_names = ("zprime", "zmax")
    delay_tolerant = True

    def step(self, theta, grad_fn, g_bck=None):
        self._g_bck = 0.0 if g_bck is None else np.asarray(g_bck, dtype=np.float64)
        return super().step(theta, grad_fn)

    def _update(self, theta, grad_fn, s):
        g, g_bck = grad_fn(theta), self._g_bck
        zmax_old = s["zmax"]
        s["zprime"] = s["zprime"] + g * g + 2 * g * g_bck
        s["zmax"] = np.maximum(s["zmax"], s["zprime"])
        eta = self.lr / np.sqrt(s["zmax"] + self.eps)
        # A coordinate that no gradient has touched yet has nothing to revise (and g_bck = 0 there).
        seen = zmax_old > 0
        eta_old = np.where(seen, self.lr / np.sqrt(np.where(seen, zmax_old, 1.0) + self.eps), eta)
        return theta - eta * g + (eta_old - eta) * g_bck


# --- Synchronous data parallelism on a real engine ----------------------------------------------------


class DataParallel:
    r"""A model whose mini-batch gradient :math:`K` workers compute on :math:`K` parts and average.

    .. math::
        \nabla_\theta J(\theta; B) = \sum_{k=1}^{K} \frac{|B_k|}{|B|}\,\nabla_\theta J(\theta; B_k),
        \qquad B = B_1 \cup \dots \cup B_K

    (with equal parts, the plain average :math:`\frac1K \sum_k g_k`). Give it to
    :func:`gdcourse.loops.train` with ``batch_size = K * b``: each worker gets ``b``
    examples and the optimizer applies the average. ``executor`` runs the ``K`` gradient
    computations: ``None`` in this process one after the other, a
    ``concurrent.futures`` executor (``.map``), or a Dask ``distributed.Client``
    (``.map`` + ``.gather``), whose workers may be threads, processes or other machines.
    """

    def __init__(self, model, workers, executor=None):
        self.model = model
        self.workers = _int("workers", workers, 1)
        self.executor = executor

    def loss(self, theta, X, y):
        return self.model.loss(theta, X, y)

    def n_params(self, X):
        return self.model.n_params(X)

    def parts(self, n):
        """The non-empty index ranges of the ``K`` parts of a batch of ``n`` examples."""
        return [p for p in np.array_split(np.arange(n), self.workers) if len(p)]

    def grad(self, theta, X, y):
        parts = self.parts(len(X))
        args = ([theta] * len(parts), [X[p] for p in parts], [y[p] for p in parts])
        ex = self.executor
        if ex is None:
            grads = [self.model.grad(*a) for a in zip(*args)]
        elif hasattr(ex, "gather"):  # a Dask client: tasks go to its workers, results come back
            grads = ex.gather(ex.map(self.model.grad, *args, pure=False))
        else:
            grads = list(ex.map(self.model.grad, *args))
        return sum(len(p) / len(X) * g for p, g in zip(parts, grads))


# --- Hogwild!'s overlaps ---------------------------------------------------------------------------


def conflicts(result, support):
    r"""For each applied update: did an update applied during its staleness touch a coordinate it touches?

    Update :math:`u` with staleness :math:`s_u` was computed before the :math:`s_u` updates
    applied just before it; it *conflicts* if one of them wrote a coordinate of its support
    (the nonzero features of its examples), so its gradient on that coordinate was stale.
    ``support`` is a boolean (n, p) array of which features each example has.
    Returns a boolean array with one entry per applied update (single-shard runs, ``n_push = 1``).
    """
    support = np.asarray(support, dtype=bool)
    if np.any(result.apply_shard != 0):
        raise ValueError("Invalid result: conflicts are defined for single-shard servers (shards=1)")
    touched = support[result.batches[result.apply_step]].any(axis=1)   # (m, p)
    packed = np.packbits(touched, axis=1)
    s = result.staleness
    out = np.zeros(len(s), dtype=bool)
    for lag in range(1, int(s.max(initial=0)) + 1):
        u = np.nonzero(s >= lag)[0]
        u = u[u >= lag]
        out[u] |= (packed[u] & packed[u - lag]).any(axis=1)
    return out
