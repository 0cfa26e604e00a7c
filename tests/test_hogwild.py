"""Hogwild! with real processes: results, overlap counting, and that nothing is ever left behind."""
import _thread
import multiprocessing
import os
import threading

import numpy as np
import pytest

from gdcourse import datasets, hogwild


def leftovers():
    """Segments of this process still in /dev/shm, and worker processes still alive."""
    prefix = f"{hogwild.SEGMENT_PREFIX}{os.getpid()}_"
    segments = [f for f in os.listdir("/dev/shm") if f.startswith(prefix)]
    return segments, multiprocessing.active_children(), _forkserver_children()


def _forkserver_children():
    # Workers are forked by multiprocessing's fork server, not by us: look there too.
    import psutil
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if pid is None or not psutil.pid_exists(pid):
        return []
    return [c for c in psutil.Process(pid).children() if c.status() != psutil.STATUS_ZOMBIE]


@pytest.fixture(scope="module")
def data():
    return datasets.sparse_classification(600, [4 / 200] * 200, seed=0)


def test_lock_free_and_locked_workers_match_serial_sgd_on_sparse_data(data):
    runs = {(w, lock): hogwild.hogwild(data.X, data.y, workers=w, lock=lock, lr=0.3, epochs=2)
            for w, lock in ((1, False), (2, False), (2, True))}
    serial = runs[1, False]
    assert serial.losses[-1] < 0.8 * serial.losses[0]
    for r in runs.values():
        assert r.total_updates == 2 * data.n
        assert sorted(np.concatenate(r.examples).tolist()) == sorted(list(range(data.n)) * 2)
        assert abs(r.final_loss / serial.final_loss - 1) < 0.05
        assert np.all(np.diff(r.updates) >= 0) and r.updates[-1] == 2 * data.n
    assert leftovers() == ([], [], [])


def test_locked_updates_never_overlap_in_time(data):
    r = hogwild.hogwild(data.X, data.y, workers=2, lock=True, lr=0.3, epochs=2)
    starts, ends = np.concatenate(r.read_ns), np.concatenate(r.write_ns)
    order = np.argsort(starts)
    assert np.all(starts[order][1:] >= ends[order][:-1])
    assert r.n_concurrent == 0 and r.overlap_rate == 0.0


def test_serial_run_is_one_process_with_the_serial_sgd_result(data):
    r = hogwild.hogwild(data.X, data.y, workers=1, lr=0.3, epochs=1, seed=5)
    order = np.random.default_rng(5).permutation(data.n)
    w = np.zeros(data.X.shape[1])
    for e in order:
        z = data.X[e] @ w
        w = w - 0.3 * (1 / (1 + np.exp(-z)) - data.y[e]) * data.X[e]
    np.testing.assert_allclose(r.theta[-1], w, rtol=1e-12, atol=1e-12)


def test_a_failing_worker_is_reported_and_everything_is_cleaned_up(data):
    with pytest.raises(RuntimeError, match="injected failure at update 10"):
        hogwild.hogwild(data.X, data.y, workers=2, lr=0.3, epochs=50, _fail_after=10)
    assert leftovers() == ([], [], [])


def test_an_interrupted_run_stops_its_workers_and_frees_its_memory(data):
    big = datasets.sparse_classification(4000, [4 / 200] * 200, seed=1)
    timer = threading.Timer(0.3, _thread.interrupt_main)   # Ctrl-C, as a notebook's stop button sends
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            hogwild.hogwild(big.X, big.y, workers=2, lr=0.3, epochs=400)
    finally:
        timer.cancel()
    assert leftovers() == ([], [], [])


def test_overlaps_by_hand():
    # Worker 0: updates [0, 10] and [20, 30]; worker 1 finishes writes at 5 and 25 and 40.
    support = np.array([[1, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=bool)
    read = [np.array([0, 20]), np.array([1, 21, 35])]
    write = [np.array([10, 30]), np.array([5, 25, 40])]
    examples = [np.array([0, 1]), np.array([2, 2, 1])]
    partners, shared = hogwild.overlaps(read, write, examples, support)
    # u0 (ex 0) sees v0 (ex 2, shares feature 0); u1 (ex 1) sees v1 (ex 2, nothing shared).
    assert partners[0].tolist() == [1, 1] and shared[0].tolist() == [1, 0]
    # Worker 1: v0 [1, 5] sees nothing, v1 [21, 25] sees nothing, v2 [35, 40] nothing.
    assert partners[1].tolist() == [0, 0, 0]


def test_csr_holds_the_nonzeros_row_by_row():
    X = np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0], [0.0, 0.0, 0.0]])
    indptr, indices, values = hogwild.csr(X)
    assert indptr.tolist() == [0, 1, 3, 3] and indices.tolist() == [1, 0, 2] and values.tolist() == [2, 1, 3]


@pytest.mark.parametrize("kwargs, message", [
    (dict(workers=0), "Invalid workers: 0"),
    (dict(lr=-1.0), "Invalid lr: -1.0"),
    (dict(epochs=0), "Invalid epochs: 0"),
    (dict(sample_every=0.0), "Invalid sample_every"),
])
def test_bad_settings_say_what_is_allowed(data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        hogwild.hogwild(data.X, data.y, **kwargs)
    with pytest.raises(ValueError, match="Invalid data"):
        hogwild.hogwild(data.X, data.y[:-1])
    assert leftovers() == ([], [], [])
