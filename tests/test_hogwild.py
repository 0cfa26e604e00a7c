"""Hogwild! with real processes: results, overlap counting, and that nothing is ever left behind."""
import _thread
import multiprocessing
import os
import threading

import numpy as np
import pytest

from gdcourse import datasets, hogwild, models, optimizers, parallel


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


@pytest.mark.parametrize("worker, at, message", [
    (0, 10, "injected failure at update 10"),
    (1, 10, "injected failure at update 10"),
    (1, "start", "injected failure before the start"),
    (0, "start", "injected failure before the start"),
])
def test_a_failing_worker_is_named_with_its_traceback_and_everything_is_cleaned_up(data, worker, at, message):
    # A long run and a long timeout: the call must not wait for either (a timeout would raise TimeoutError).
    with pytest.raises(hogwild.WorkerError) as err:
        hogwild.hogwild(data.X, data.y, workers=3, lr=0.3, epochs=400, timeout=600.0, _fail=(worker, at))
    assert err.value.worker == worker
    assert f"Hogwild! worker {worker} failed" in str(err.value)
    assert message in str(err.value) and "Traceback" in str(err.value)
    assert leftovers() == ([], [], [])


def test_a_run_past_its_timeout_is_stopped_and_everything_is_cleaned_up():
    big = datasets.sparse_classification(4000, [4 / 200] * 200, seed=1)
    with pytest.raises(TimeoutError, match="still running after 0.5 s"):
        hogwild.hogwild(big.X, big.y, workers=2, lr=0.3, epochs=400, timeout=0.5)
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
    (dict(timeout=-1.0), "Invalid timeout: -1.0"),
    (dict(workers=2, _fail=(2, 0)), "Invalid _fail worker: 2"),
])
def test_bad_settings_say_what_is_allowed(data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        hogwild.hogwild(data.X, data.y, **kwargs)
    with pytest.raises(ValueError, match="Invalid data"):
        hogwild.hogwild(data.X, data.y[:-1])
    assert leftovers() == ([], [], [])


# --- Conflicts in the simulator -------------------------------------------------------------------


def test_conflicts_need_a_shared_coordinate_and_staleness():
    X = np.eye(4)                               # every example touches its own feature
    prob = parallel.Problem(models.LogisticRegression(), X, np.array([0.0, 1.0, 0.0, 1.0]), bias=False)
    r = parallel.downpour(prob, np.zeros(4), optimizers.SGD(lr=0.1), workers=2, steps=40, spread=0.0)
    assert np.all(r.staleness[2:] == 1)
    disjoint = hogwild.conflicts(r, X > 0)
    assert not disjoint[1:].any() or np.all(r.batches[r.apply_step[1:]] == r.batches[r.apply_step[:-1]])
    assert hogwild.conflicts(r, np.ones((4, 4), bool))[1:].all()


def test_conflicts_are_the_stale_updates_when_every_example_shares_a_feature(data):
    X = np.c_[data.X, np.ones(data.n)]
    prob = parallel.Problem(models.LogisticRegression(), X, data.y, bias=False)
    r = parallel.downpour(prob, np.zeros(X.shape[1]), optimizers.SGD(lr=0.5), workers=8, steps=300)
    np.testing.assert_array_equal(hogwild.conflicts(r, X != 0), r.staleness > 0)


def test_conflicts_refuse_a_sharded_server(data):
    prob = parallel.Problem(models.LogisticRegression(), data.X, data.y, bias=False)
    r = parallel.downpour(prob, np.zeros(data.X.shape[1]), optimizers.SGD(lr=0.5), workers=2, shards=2, steps=20)
    with pytest.raises(ValueError, match="single-shard"):
        hogwild.conflicts(r, data.X != 0)
