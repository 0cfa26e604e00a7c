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

All three run on one event loop (the asynchronous ones) or one round loop (the
synchronous ones). A server shard runs any gdcourse optimizer, and gives a rule with
``delay_tolerant = True`` (:class:`gdcourse.delay_tolerant.AdaptiveRevision`) the sum
:math:`g^{bck}` as well as :math:`g`. Synchronous data parallelism on a real engine is
:mod:`gdcourse.data_parallel`; Hogwild!'s conflicts are counted by :func:`gdcourse.hogwild.conflicts`.
"""
from __future__ import annotations

import copy
import heapq
from dataclasses import dataclass

import numpy as np

from . import checks
from .optimizers import Optimizer
from .run import diverged

__all__ = ["Problem", "NoisyObjective", "ParameterServer", "SimResult", "downpour", "easgd",
           "synchronous", "shard_slices"]


# --- Checking arguments --------------------------------------------------------------------


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"Invalid optimizer: {optimizer!r} (must be a gdcourse optimizer, e.g. SGD(lr=0.1))")


def shard_slices(d, shards):
    r"""Split :math:`\theta \in \mathbb R^d` into ``shards`` contiguous slices of near-equal size.

    Shard :math:`s` owns :math:`\theta_{[a_s, a_{s+1})}`; the sizes differ by at most one.
    """
    d = checks.integer("d", d, 1)
    shards = checks.integer("shards", shards, 1, d, f"must be an integer in [1, d = {d}]")
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
        self.sigma = checks.real("sigma", sigma)
        n = checks.integer("n", n, 1)
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
    ``delay_tolerant = True`` (:class:`gdcourse.delay_tolerant.AdaptiveRevision`) is also given
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
    W = checks.integer("workers", workers, 1)
    steps = checks.integer("steps", steps, 0)
    b = checks.integer("batch_size", batch_size, 1, problem.n, f"must be an integer in [1, n = {problem.n}]")
    spread = checks.real("spread", spread)
    latency = checks.real("latency", latency, allowed="a delay must be a finite number >= 0")
    if speeds is None:
        speeds = np.ones(W)
    else:
        speeds = np.asarray(checks.real("speeds", speeds, strict=True,
                                  allowed="mean compute times, finite numbers > 0"), dtype=np.float64)
        if speeds.shape != (W,):
            raise ValueError(f"Invalid speeds: shape {speeds.shape} (must be one mean compute time per "
                             f"worker, shape ({W},))")
    every = max(1, steps // 100) if record_every is None else checks.integer("record_every", record_every, 1)
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


# --- The two ways workers meet the server: one event loop, one round loop ---------------------------


def _asynchronous(problem, W, steps, data, clock, rec, ev, server, local, begin, finish, arrive):
    r"""The event loop of every asynchronous algorithm: each worker computes, reports, starts again.

    ``begin(w, t, step)`` is the worker's exchange with the server before a gradient (a fetch, an
    elastic exchange) and returns the point to compute the gradient at; ``finish(w, t, g, step)``
    is what the worker does with the finished gradient (a local step, a push); ``arrive(t, w,
    *payload)`` applies a message that reached the server after its latency. ``local`` is the list
    of the workers' parameters the recorder follows. Returns the batches of all gradients.
    """
    pending = [None] * W        # (gradient, step index) being computed
    batches = []
    started = done = 0

    def start(w, t):
        nonlocal started
        x = begin(w, t, started)
        idx = data.next(w)
        batches.append(idx)
        pending[w] = (problem.grad(x, idx), started)
        c = clock.compute(w)
        rec.step_log.append((w, t, t + c))
        started += 1
        ev.push(t + c, "done", w)

    rec.record(0, 0.0, server.theta, local)
    for w in range(min(W, steps)):
        start(w, 0.0)
    t = 0.0
    while ev:
        t, (kind, w, *rest) = ev.pop()
        if kind == "done":
            finish(w, t, *pending[w])
            done += 1
            if started < steps:
                start(w, t)
            if done % rec.every == 0 and done < steps:
                rec.record(done, t, server.theta, local)
        else:
            arrive(t, w, *rest)
    rec.record(done, t, server.theta, local)
    return batches


def _rounds(problem, K, steps, data, clock, rec, server, local, begin, finish):
    r"""The round loop of every synchronous algorithm: all workers compute, the slowest sets the pace.

    ``begin(rnd)`` returns ``point(w)``, the parameters worker ``w`` computes its gradient at in
    round ``rnd``; ``finish(rnd, t, grads, last_step)`` applies the round's gradients when the
    slowest has finished. A round lasts :math:`\max_k c_k`. Returns the batches and the rounds.
    """
    batches = []
    t, done, rnd = 0.0, 0, 0
    rec.record(0, 0.0, server.theta, local)
    while done < steps:
        point = begin(rnd)
        grads, cs = [], []
        for w in range(min(K, steps - done)):
            idx = data.next(w)
            batches.append(idx)
            grads.append(problem.grad(point(w), idx))
            cs.append(clock.compute(w))
            rec.step_log.append((w, t, t + cs[-1]))
        t += max(cs)
        finish(rnd, t, grads, done + len(grads) - 1)
        prev, done, rnd = done, done + len(grads), rnd + 1
        if done // rec.every > prev // rec.every and done < steps:
            rec.record(done, t, server.theta, local)
    rec.record(done, t, server.theta, local)
    return batches, rnd


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
    n_fetch = checks.integer("n_fetch", n_fetch, 1)
    n_push = checks.integer("n_push", n_push, 1)
    if local_lr is None:
        local_lr = getattr(optimizer, "lr", None)
    if local_lr is None and n_fetch > 1:
        raise ValueError("Invalid local_lr: None (a replica that fetches every n_fetch > 1 steps needs "
                         "its own step size alpha > 0)")
    alpha = None if local_lr is None else checks.real("local_lr", local_lr, strict=True)
    hp_shapes = [np.shape(v) for v in optimizer.hyperparams.values()]
    shape = np.broadcast_shapes(theta0.shape, *hp_shapes, np.shape(alpha))
    server = ParameterServer(np.broadcast_to(theta0, shape), optimizer, shards)
    clock = _Clock(W, spread, latency, speeds, seed)
    data = _Batches(problem.n, W, b, bool(shard_data), seed)
    rec = _Recorder(problem, every, record_local, bound)
    ev = _Events()
    params = [server.theta.copy() for _ in range(W)]
    read = [None] * W          # (version, z) at the last fetch
    window = [None] * W        # (version, z) when the current accrual began
    accrued = [None] * W
    k = [0] * W

    def fetch(w, t, step):
        if k[w] % n_fetch == 0:
            params[w], version, z = server.read()
            read[w] = (version, z)
        if accrued[w] is None:
            window[w] = read[w]
            accrued[w] = 0.0
        return params[w]

    def push(w, t, g, step):
        accrued[w] = g if n_push == 1 else accrued[w] + g
        if alpha is not None and n_fetch > 1:  # with n_fetch = 1 the next fetch replaces it
            params[w] = params[w] - alpha * g
        k[w] += 1
        if k[w] % n_push == 0:
            version, z = window[w]
            for s, sl in enumerate(server.slices):
                delay = clock.delay(w)
                if delay == 0:  # no network: applied before the worker reads again
                    rec.applies.append((server.apply(s, accrued[w][..., sl], version, z), t, w, s, step))
                else:
                    ev.push(t + delay, "arrive", w, s, accrued[w][..., sl], version, z, step)
            accrued[w] = None

    def arrive(t, w, s, g, version, z, step):
        rec.applies.append((server.apply(s, g, version, z), t, w, s, step))

    with np.errstate(all="ignore"):
        batches = _asynchronous(problem, W, steps, data, clock, rec, ev, server, params, fetch, push, arrive)
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
    lr = checks.real("lr", lr, strict=True)
    rho = checks.real("rho", rho)
    tau = checks.integer("tau", tau, 1)
    alpha = lr * rho
    if np.any(np.asarray(alpha) >= 1) or (synchronous and np.any(W * np.asarray(alpha) >= 2)):
        raise ValueError(f"Invalid rho: {rho!r} (the moving rate alpha = lr * rho must be < 1"
                         f"{' and W * alpha < 2' if synchronous else ''})")
    shape = np.broadcast_shapes(theta0.shape, np.shape(lr), np.shape(rho))
    server = ParameterServer(np.broadcast_to(theta0, shape), None, 1)
    clock = _Clock(W, spread, latency, speeds, seed)
    data = _Batches(problem.n, W, b, bool(shard_data), seed)
    rec = _Recorder(problem, every, record_local, bound)
    x = [server.theta.copy() for _ in range(W)]

    if synchronous:
        centre = None

        def begin_round(rnd):
            nonlocal centre
            centre = server.theta.copy()
            return lambda w: x[w]

        def finish_round(rnd, t, grads, last):
            exchange = rnd % tau == 0
            elastic = [alpha * (x[w] - centre) if exchange else 0.0 for w in range(len(grads))]
            for w, (g, e) in enumerate(zip(grads, elastic)):
                x[w] = x[w] - lr * g - e
            if exchange:
                server.add(0, sum(elastic))
                rec.applies.append((0, t, -1, 0, last))

        with np.errstate(all="ignore"):
            batches, rounds = _rounds(problem, W, steps, data, clock, rec, server, x, begin_round, finish_round)
        return rec.result(batches, rounds, b)

    ev = _Events()
    k = [0] * W

    def exchange(w, t, step):
        xw = x[w]
        if k[w] % tau == 0:
            centre, version, _ = server.read()
            e = alpha * (xw - centre)
            x[w] = x[w] - e
            delay = clock.delay(w)
            if delay == 0:
                server.add(0, e)
                rec.applies.append((0, t, w, 0, step))
            else:
                ev.push(t + delay, "arrive", w, e, version, step)
        return xw                      # the gradient is taken at x = x^i read before the exchange

    def local_step(w, t, g, step):
        x[w] = x[w] - lr * g
        k[w] += 1

    def arrive(t, w, e, version, step):
        staleness = int(server.version[0] - version[0])
        server.add(0, e)
        rec.applies.append((staleness, t, w, 0, step))

    with np.errstate(all="ignore"):
        batches = _asynchronous(problem, W, steps, data, clock, rec, ev, server, x, exchange, local_step, arrive)
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
    read = None

    def begin_round(rnd):
        nonlocal read
        read = server.read()
        return lambda w: read[0]

    def finish_round(rnd, t, grads, last):
        server.apply(0, sum(grads) / len(grads), read[1], read[2])
        rec.applies.append((0, t, -1, 0, last))

    with np.errstate(all="ignore"):
        batches, rounds = _rounds(problem, K, steps, data, clock, rec, server, [server.theta],
                                  begin_round, finish_round)
    return rec.result(batches, rounds, b)
