r"""Synchronous data parallelism on a real engine: K workers compute one mini-batch gradient together.

:class:`DataParallel` is a model whose mini-batch gradient is computed in :math:`K` parts,
by this process, a ``concurrent.futures`` executor, or the worker processes of a Dask
cluster, and averaged: exactly mini-batch gradient descent with the whole batch.
:func:`dask_client` connects to the cluster named by the environment
(``DASK_SCHEDULER_ADDRESS``) or starts a local one with worker processes, and closes what
it started on every path. :class:`Straggler` makes one Dask worker slow, to measure what
synchrony costs.
"""
from __future__ import annotations

import contextlib
import logging
import os
import time

import numpy as np

from . import checks

__all__ = ["DataParallel", "dask_client", "Straggler", "SCHEDULER_VARIABLE"]

#: The environment variable that names an existing Dask scheduler (e.g. ``tcp://10.0.0.5:8786``).
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"


class DataParallel:
    r"""A model whose mini-batch gradient :math:`K` workers compute on :math:`K` parts and average.

    .. math::
        \nabla_\theta J(\theta; B) = \sum_{k=1}^{K} \frac{|B_k|}{|B|}\,\nabla_\theta J(\theta; B_k),
        \qquad B = B_1 \cup \dots \cup B_K

    (with equal parts, the plain average :math:`\frac1K \sum_k g_k`). Give it to
    :func:`gdcourse.loops.train` with ``batch_size = K * b``: each worker gets ``b``
    examples and the optimizer applies the average.

    Parameters
    ----------
    model : a gdcourse model (``loss``, ``grad``, ``n_params``)
    workers : int
        :math:`K \ge 1` parts per mini-batch.
    executor : None, ``concurrent.futures`` executor, or ``dask.distributed.Client``
        Who computes the parts: this process one after the other (``None``), an executor's
        ``map``, or a Dask client, whose workers may be threads, processes or other machines.
    placement : list of str, optional
        With a Dask client: worker addresses; part :math:`k` is computed on
        ``placement[k % len(placement)]`` and nowhere else, as a device runs its subgraph.
        By default Dask's scheduler places the parts.
    """

    def __init__(self, model, workers, executor=None, placement=None):
        self.model = model
        self.workers = checks.integer("workers", workers, 1)
        self.executor = executor
        if placement is not None and (not hasattr(executor, "gather") or len(placement) == 0):
            raise ValueError(f"Invalid placement: {placement!r} (worker addresses, only with a Dask client)")
        self.placement = None if placement is None else list(placement)

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
            if self.placement is None:
                futures = ex.map(self.model.grad, *args, pure=False)
            else:
                futures = [ex.submit(self.model.grad, *a, pure=False, allow_other_workers=False,
                                     workers=[self.placement[k % len(self.placement)]])
                           for k, a in enumerate(zip(*args))]
            grads = ex.gather(futures)
        else:
            grads = list(ex.map(self.model.grad, *args))
        return sum(len(p) / len(X) * g for p, g in zip(parts, grads))


class Straggler:
    """A model whose gradient takes ``seconds`` longer on one Dask worker (``address``): a slow machine.

    Everywhere else, and outside Dask, it is ``model`` itself. It is sent to the workers with
    each task, so it must be importable there (it is, wherever gdcourse is installed).
    """

    def __init__(self, model, address, seconds):
        self.model = model
        self.address = address
        self.seconds = checks.real("seconds", seconds)

    def loss(self, theta, X, y):
        return self.model.loss(theta, X, y)

    def n_params(self, X):
        return self.model.n_params(X)

    def grad(self, theta, X, y):
        try:
            from distributed import get_worker
            here = get_worker().address
        except (ImportError, ValueError):  # not on a Dask worker
            here = None
        if here == self.address:
            time.sleep(self.seconds)
        return self.model.grad(theta, X, y)


@contextlib.contextmanager
def dask_client(n_workers=2, address=None):
    """A Dask ``Client``: on the cluster at ``address`` (default: ``$DASK_SCHEDULER_ADDRESS``), else local.

    Without an address, a ``LocalCluster`` of ``n_workers`` worker *processes* (one thread
    each) is started on this machine. Leaving the ``with`` block closes the client and, if it
    was started here, the cluster and its processes, also when the block raises. An existing
    cluster is left running: only this client disconnects.
    """
    from dask.distributed import Client, LocalCluster

    address = address or os.environ.get(SCHEDULER_VARIABLE) or None
    if address:
        with Client(address) as client:
            yield client
        return
    n_workers = checks.integer("n_workers", n_workers, 1)
    # A free port for the scheduler's web server (with None it takes 8787, and a second cluster, say
    # another notebook's, prints a warning under the cell); preload: each worker runs dask_setup below.
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      preload=[__name__]) as cluster, Client(cluster) as client:
        yield client


class _ClosingHeartbeat(logging.Filter):
    """Drops the error a worker logs when the heartbeat it had in flight meets the closed scheduler.

    Closing a local cluster races with the workers' heartbeats (dask/distributed#7192): a worker
    may log "Failed to communicate with scheduler during heartbeat" with a traceback, on the
    kernel's stderr, which a notebook shows as an error under the cell. On a local cluster the
    scheduler is only unreachable when it closes; a task's error still reaches the client.
    """

    def filter(self, record):
        return not record.getMessage().startswith("Failed to communicate with scheduler during heartbeat")


def dask_setup(worker):
    """Run by each worker process of :func:`dask_client`'s local cluster (Dask's ``preload``)."""
    logging.getLogger("distributed.worker").addFilter(_ClosingHeartbeat())
