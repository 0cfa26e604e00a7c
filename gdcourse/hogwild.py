r"""Hogwild! for real: worker processes update one weight vector in shared memory, without locks.

Niu et al. (2011) let every processor run SGD on the same parameters with no lock
at all. Here each worker is an operating-system process; the weights :math:`w` live
in one ``multiprocessing.shared_memory`` segment that every worker maps, and an
update of example :math:`e` with support :math:`S_e` (its nonzero features) is

.. math::
    z = \sum_{j \in S_e} w_j x_{ej}, \qquad
    g = \sigma(z) - y_e, \qquad
    w_j \leftarrow w_j - \eta\, g\, x_{ej} \quad (j \in S_e)

written to the shared weights as it is, so another worker's write to a :math:`w_j`
between this read and this write is simply overwritten. ``lock=True`` runs the same
workers with one lock around each update; ``workers=1`` is serial SGD.

Every update logs, in shared memory, the moment it read :math:`w` and the moment it
finished writing (``time.perf_counter_ns``, one clock for all processes on Linux).
:func:`hogwild` counts afterwards which updates *overlapped*: another worker wrote
one of its coordinates while it was in flight.

Processes and the segment are always cleaned up: on return, when a worker fails (the
call raises :class:`WorkerError` within moments, naming the worker, with its traceback),
on a timeout, and on an interrupt (``KeyboardInterrupt``) of the caller.

:func:`conflicts` counts the same kind of collision in a run of the simulator
(:func:`gdcourse.parallel.downpour`), where many more workers fit than this machine has cores.
"""
from __future__ import annotations

import math
import multiprocessing as mp
import os
import secrets
import signal
import time
import traceback
from dataclasses import dataclass
from multiprocessing import shared_memory

import numpy as np

from . import checks

__all__ = ["HogwildRun", "hogwild", "csr", "overlaps", "conflicts", "WorkerError", "SEGMENT_PREFIX"]

#: Name prefix of the shared-memory segments this module creates (``/dev/shm/<prefix>...``).
SEGMENT_PREFIX = "gdcourse_hogwild_"


def csr(X):
    """The nonzeros of a dense (n, p) array, row by row: ``(indptr, indices, values)``."""
    X = np.asarray(X, dtype=np.float64)
    rows, cols = np.nonzero(X)
    indptr = np.zeros(X.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=X.shape[0]), out=indptr[1:])
    return indptr, cols.astype(np.int64), X[rows, cols]


def _views(buf, p, workers, per_worker):
    """The arrays inside the segment: weights, progress, the update log, the stop flag."""
    w = np.ndarray((p,), np.float64, buf, 0)
    off = 8 * p
    progress = np.ndarray((workers,), np.int64, buf, off)
    off += 8 * workers
    log = np.ndarray((workers, per_worker, 2), np.int64, buf, off)
    off += 16 * workers * per_worker
    stop = np.ndarray((1,), np.int64, buf, off)
    return w, progress, log, stop


def _segment_size(p, workers, per_worker):
    return 8 * (p + workers + 2 * workers * per_worker + 1)


def _worker(name, slot, p, workers, per_worker, indptr, indices, values, y, order, lr, lock, go, conn,
            fail_at):
    """One Hogwild! worker: SGD over ``order`` on the shared weights (runs in its own process).

    It tells the caller ``("ready", "")`` once it has mapped the weights, waits for ``go``, and
    ends with ``("ok", "")`` or ``("error", traceback)``. ``fail_at`` injects a failure for the
    tests: ``"start"`` before the ready report, or the index of the update to fail at.
    """
    # The caller handles Ctrl-C and stops the workers itself: a worker must not die half-way
    # through a write because the terminal's interrupt reached its process group too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    shm = None
    try:
        if fail_at == "start":
            raise RuntimeError("injected failure before the start")
        shm = shared_memory.SharedMemory(name=name)
        w, progress, log, stop = _views(shm.buf, p, workers, per_worker)
        clock, exp = time.perf_counter_ns, math.exp
        conn.send(("ready", ""))
        go.wait()  # all workers start together, when the caller says so
        for k, e in enumerate(order):
            if k & 63 == 0 and stop[0]:
                break
            if k == fail_at:
                raise RuntimeError(f"injected failure at update {k}")
            lo, hi = indptr[e], indptr[e + 1]
            cols, vals = indices[lo:hi], values[lo:hi]
            if lock is not None:
                lock.acquire()
            t0 = clock()
            z = float(w[cols] @ vals)
            g = 1.0 / (1.0 + exp(-min(max(z, -35.0), 35.0))) - y[e]
            w[cols] -= (lr * g) * vals          # read-modify-write, no lock: Hogwild!
            t1 = clock()
            if lock is not None:
                lock.release()
            log[slot, k, 0] = t0
            log[slot, k, 1] = t1
            progress[slot] = k + 1
        conn.send(("ok", ""))
    except BaseException:  # report anything, then exit non-zero
        try:
            conn.send(("error", traceback.format_exc()))
        except OSError:  # the caller has gone already
            pass
        raise SystemExit(1)
    finally:
        if shm is not None:
            w = progress = log = stop = None  # noqa: F841 - views must go before the segment closes
            shm.close()
        conn.close()


class WorkerError(RuntimeError):
    """A Hogwild! worker failed: ``worker`` is its index, the message holds its traceback."""

    def __init__(self, worker, detail):
        super().__init__(f"Hogwild! worker {worker} failed:\n{detail}")
        self.worker = worker


class _Workers:
    """The caller's side of the workers' reports: who is ready, who finished, who failed."""

    def __init__(self, procs, conns):
        self.procs, self.conns = procs, conns
        self.status = [None] * len(procs)      # None, "ready", "ok"

    def poll(self):
        """Read every report that has arrived; raise :class:`WorkerError` for the first failure."""
        for i, (proc, conn) in enumerate(zip(self.procs, self.conns)):
            while self.status[i] != "ok" and conn.poll():
                try:
                    kind, detail = conn.recv()
                except EOFError:  # the pipe closed without a report: the process died
                    break
                if kind == "error":
                    raise WorkerError(i, detail)
                self.status[i] = kind
            if self.status[i] != "ok" and proc.exitcode is not None and not conn.poll():
                raise WorkerError(i, f"exited with code {proc.exitcode} without a report")

    def all(self, status):
        return all(s == status for s in self.status)


@dataclass
class HogwildRun:
    r"""What :func:`hogwild` measured.

    Attributes
    ----------
    workers : int
    lock : bool
    times : ndarray, shape (k,)
        Seconds since the workers started, at each sample of the weights.
    updates : ndarray, shape (k,)
        Updates finished by all workers together at each sample.
    theta : ndarray, shape (k, p)
        The shared weights at each sample (read while the workers write: a real snapshot).
    losses : ndarray, shape (k,)
        Logistic loss of each sample of the weights on the whole data (bias held at 0).
    read_ns, write_ns : list of ndarray
        Per worker, when each of its updates read :math:`w` and finished writing it.
    examples : list of ndarray
        Per worker, the example of each update.
    partners, shared : list of ndarray of int
        Per worker and update: how many updates of other workers finished while it was in flight,
        and how many of those wrote a coordinate it uses (see :func:`overlaps`).
    wall : float
        Seconds from the start signal to the last worker's end.
    """

    workers: int
    lock: bool
    times: np.ndarray
    updates: np.ndarray
    theta: np.ndarray
    losses: np.ndarray
    read_ns: list
    write_ns: list
    examples: list
    partners: list
    shared: list
    wall: float

    @property
    def total_updates(self):
        return int(sum(len(r) for r in self.read_ns))

    @property
    def overlapped(self):
        """Per worker: did another worker write one of the update's coordinates while it was in flight?"""
        return [h > 0 for h in self.shared]

    @property
    def concurrent(self):
        """Per worker: did another worker finish any update while this one was in flight?"""
        return [c > 0 for c in self.partners]

    @property
    def overlap_rate(self):
        """Fraction of all updates that overlapped with another worker's write to one of their coordinates."""
        n = self.total_updates
        return float(sum(o.sum() for o in self.overlapped) / n) if n else 0.0

    @property
    def concurrent_rate(self):
        """Fraction of all updates during which another worker finished an update (any coordinates)."""
        n = self.total_updates
        return float(sum(c.sum() for c in self.concurrent) / n) if n else 0.0

    @property
    def n_concurrent(self):
        """How many updates had another worker's update finish while they were in flight."""
        return int(sum(c.sum() for c in self.concurrent))

    @property
    def pairs(self):
        """Concurrent pairs: (u, v) with v finishing while u was in flight, v of another worker."""
        return int(sum(c.sum() for c in self.partners))

    @property
    def shared_rate(self):
        r"""Of an update's concurrent partners, the fraction that shared a coordinate with it,
        averaged over the concurrent updates (each counts once, however long it was in flight);
        NaN if no update was concurrent. For random examples it estimates
        :math:`P(S_u \cap S_v \ne \emptyset)`."""
        c = np.concatenate(self.partners) if self.partners else np.zeros(0)
        h = np.concatenate(self.shared) if self.shared else np.zeros(0)
        busy = c > 0
        return float(np.mean(h[busy] / c[busy])) if busy.any() else float("nan")

    @property
    def updates_per_second(self):
        return self.total_updates / self.wall if self.wall > 0 else float("nan")

    @property
    def final_loss(self):
        return float(self.losses[-1])

    @property
    def label(self):
        if self.workers == 1:
            return "serial SGD"
        return f"{self.workers} workers, " + ("locked" if self.lock else "lock-free (Hogwild!)")


def _packed(support):
    """Rows of a boolean (n, p) support array as packed bits, for fast intersection tests."""
    return np.packbits(np.asarray(support, dtype=bool), axis=1)


def _share(a, b):
    r"""Row by row: do two packed supports intersect, :math:`S_u \cap S_v \ne \emptyset`?"""
    return (a & b).any(axis=1)


def overlaps(read_ns, write_ns, examples, support):
    r"""Which updates overlapped: another worker *finished writing* a shared coordinate in between.

    Update :math:`u` of worker :math:`a` is *concurrent* with update :math:`v` of another worker if
    :math:`v` ended its write at a time in :math:`(r_u, e_u)`; it *overlapped* if moreover
    :math:`S_u \cap S_v \ne \emptyset`. ``support`` is a boolean (n, p) array of the examples'
    nonzero features.

    Returns
    -------
    partners, shared : list of ndarray of int
        Per worker and update: how many updates of other workers ended inside it, and how many of
        those shared a coordinate with it. Concurrent means ``partners > 0``, overlapped ``shared > 0``.
    """
    packed = _packed(support)
    partners, shared_out = [], []
    for a in range(len(read_ns)):
        m = len(read_ns[a])
        count = np.zeros(m, dtype=np.int64)
        hits = np.zeros(m, dtype=np.int64)
        for b in range(len(read_ns)):
            if a == b or len(write_ns[b]) == 0:
                continue
            # Updates of b that finished inside (r_u, e_u): a contiguous range of b's log.
            lo = np.searchsorted(write_ns[b], read_ns[a], side="right")
            hi = np.searchsorted(write_ns[b], write_ns[a], side="left")
            n_ab = np.maximum(hi - lo, 0)
            u = np.repeat(np.arange(m), n_ab)
            v = np.repeat(lo, n_ab) + (np.arange(n_ab.sum()) - np.repeat(np.cumsum(n_ab) - n_ab, n_ab))
            shared = _share(packed[examples[a][u]], packed[examples[b][v]])
            count += n_ab
            hits += np.bincount(u[shared], minlength=m)
        partners.append(count)
        shared_out.append(hits)
    return partners, shared_out


def _context():
    # forkserver: workers are forked from a clean single-threaded server, never from the
    # (multi-threaded) Jupyter kernel; numpy and this module are imported there once.
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["numpy", "gdcourse.hogwild"])
    return ctx


def hogwild(X, y, *, workers=2, lock=False, lr=0.5, epochs=1, seed=0, sample_every=0.002, timeout=60.0,
            _fail=None):
    r"""Run Hogwild! (or locked, or serial) SGD for logistic regression on sparse data, for real.

    The data are visited ``epochs`` times in a seeded random order, dealt round-robin to the
    workers, so every setting makes the same updates on the same examples; only who makes
    them, and whether they overlap, differ. The bias is held at 0 (it would be one
    coordinate that every update writes).

    Parameters
    ----------
    X : array_like, shape (n, p)
        Features; their zeros are what makes an update sparse.
    y : array_like, shape (n,)
        Labels in {0, 1}.
    workers : int
        Processes (>= 1; 1 is serial SGD). This machine has 2 cores.
    lock : bool
        Hold one lock around each update (read, gradient, write).
    lr : float
        :math:`\eta > 0`.
    epochs : int
        Passes over the data (>= 1).
    sample_every : float
        Seconds between samples of the shared weights for the convergence curves.
    timeout : float
        Seconds (from the start of the call) after which the workers are stopped and a
        ``TimeoutError`` raised.

    Raises
    ------
    WorkerError
        As soon as any worker fails (also before the start), naming it, with its traceback;
        the other workers are stopped first.

    Returns
    -------
    HogwildRun
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or len(X) != len(y) or len(y) == 0:
        raise ValueError(f"Invalid data: X {X.shape}, y {y.shape} (need X (n, p) and y (n,), n >= 1)")
    workers = checks.integer("workers", workers, 1)
    epochs = checks.integer("epochs", epochs, 1)
    lr = checks.real("lr", lr, strict=True)
    sample_every = checks.real("sample_every", sample_every, strict=True)
    timeout = checks.real("timeout", timeout, strict=True)
    if _fail is not None:
        fail_worker = checks.integer("_fail worker", _fail[0], 0, workers - 1)
    n, p = X.shape
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(n) for _ in range(epochs)])
    orders = [order[w::workers] for w in range(workers)]
    per_worker = max(len(o) for o in orders)
    indptr, indices, values = csr(X)

    ctx = _context()
    name = f"{SEGMENT_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    shm = shared_memory.SharedMemory(name=name, create=True, size=_segment_size(p, workers, per_worker))
    procs, conns = [], []
    views = go = None
    try:
        views = _views(shm.buf, p, workers, per_worker)
        w, progress, log, stop = views
        w[:] = 0.0
        progress[:] = 0
        stop[0] = 0
        the_lock = ctx.Lock() if lock else None
        go = ctx.Event()
        deadline = time.perf_counter() + timeout
        for slot in range(workers):
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, name=f"hogwild-{slot}", daemon=True,
                               args=(name, slot, p, workers, per_worker, indptr, indices, values, y,
                                     orders[slot], float(lr), the_lock, go, send,
                                     _fail[1] if _fail is not None and slot == fail_worker else None))
            proc.start()
            send.close()
            procs.append(proc)
            conns.append(recv)
        reports = _Workers(procs, conns)

        def wait_until(done, pause, sample=None):
            # Poll the workers' reports every `pause` s: a failure raises at once, naming its worker.
            while True:
                reports.poll()
                if done():
                    return
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"Hogwild! workers still running after {timeout} s "
                                       f"(finished: {reports.status.count('ok')} of {workers})")
                time.sleep(pause)
                if sample is not None:
                    sample()

        wait_until(lambda: reports.all("ready"), 0.005)
        samples = [(0, 0, w.copy())]
        go.set()
        start = time.perf_counter_ns()
        wait_until(lambda: reports.all("ok"), sample_every,
                   lambda: samples.append((time.perf_counter_ns() - start, int(progress.sum()), w.copy())))
        end = int(log[:, :, 1].max()) if log.size else start
        samples.append((end - start, int(progress.sum()), w.copy()))
        counts = progress.copy()
        read_ns = [log[s, :counts[s], 0] - start for s in range(workers)]
        write_ns = [log[s, :counts[s], 1] - start for s in range(workers)]
        examples = [orders[s][:counts[s]] for s in range(workers)]
    finally:
        # Stop and reap every worker, however we got here (return, worker error, timeout, Ctrl-C):
        # first the stop flag and the start signal, so that none keeps working or waiting.
        if views is not None:
            views[3][0] = 1
        if go is not None:
            go.set()
        for proc in procs:
            proc.join(timeout=2.0)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=2.0)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for c in conns:
            c.close()
        views = w = progress = log = stop = None
        shm.close()
        shm.unlink()

    times = np.array([s[0] for s in samples]) / 1e9
    theta = np.stack([s[2] for s in samples])
    z = theta @ X.T
    losses = np.mean(np.logaddexp(0.0, z) - y * z, axis=-1)
    partners, shared = overlaps(read_ns, write_ns, examples, X != 0)
    return HogwildRun(workers=workers, lock=bool(lock), times=times, updates=np.array([s[1] for s in samples]),
                      theta=theta, losses=losses, read_ns=[r / 1e9 for r in read_ns],
                      write_ns=[r / 1e9 for r in write_ns], examples=examples, partners=partners,
                      shared=shared, wall=float(times[-1]))


def conflicts(result, support):
    r"""For each update a simulated server applied: did an update applied during its staleness share a coordinate?

    Update :math:`u` with staleness :math:`s_u` was computed before the :math:`s_u` updates
    applied just before it; it *conflicts* if one of them wrote a coordinate of its support
    (the nonzero features of its examples), so its gradient on that coordinate was stale: the
    simulator's counterpart of an overlap in :func:`overlaps`. ``result`` is a
    :class:`gdcourse.parallel.SimResult` of a single-shard run with ``n_push = 1``; ``support``
    a boolean (n, p) array of which features each example has. Returns a boolean array with
    one entry per applied update.
    """
    if np.any(result.apply_shard != 0):
        raise ValueError("Invalid result: conflicts are defined for single-shard servers (shards=1)")
    touched = np.asarray(support, dtype=bool)[result.batches[result.apply_step]].any(axis=1)   # (m, p)
    packed = _packed(touched)
    s = result.staleness
    out = np.zeros(len(s), dtype=bool)
    for lag in range(1, int(s.max(initial=0)) + 1):
        u = np.nonzero(s >= lag)[0]
        u = u[u >= lag]
        out[u] |= _share(packed[u], packed[u - lag])
    return out
