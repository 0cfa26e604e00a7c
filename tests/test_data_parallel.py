"""DataParallel: mini-batch gradient descent, computed in K parts in-process, on threads, on Dask worker processes."""
import logging
import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import gdcourse.optimizers as O
from gdcourse import data_parallel, datasets, loops, models
from gdcourse.data_parallel import DataParallel


@pytest.mark.parametrize("K, b", [(1, 8), (4, 8), (3, 7)])
def test_data_parallel_equals_minibatch_gd_with_batch_K_times_b(K, b):
    d = datasets.breast_cancer()
    model = models.LogisticRegression()
    kw = dict(epochs=2, batch_size=K * b, seed=1)
    ref = loops.train(model, O.Momentum(lr=0.1), d.X, d.y, np.zeros(31), **kw)
    par = loops.train(DataParallel(model, K), O.Momentum(lr=0.1), d.X, d.y, np.zeros(31), **kw)
    np.testing.assert_allclose(par.theta, ref.theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(par.epoch_losses, ref.epoch_losses, rtol=1e-10)


def test_data_parallel_on_a_thread_pool_gives_the_in_process_result():
    d = datasets.breast_cancer()
    model = models.LogisticRegression()
    kw = dict(epochs=1, batch_size=32, seed=0)
    ref = loops.train(DataParallel(model, 4), O.SGD(lr=0.1), d.X, d.y, np.zeros(31), **kw)
    with ThreadPoolExecutor(2) as pool:
        par = loops.train(DataParallel(model, 4, pool), O.SGD(lr=0.1), d.X, d.y, np.zeros(31), **kw)
    np.testing.assert_array_equal(par.theta, ref.theta)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="Invalid workers: 0"):
        DataParallel(models.LogisticRegression(), 0)
    with pytest.raises(ValueError, match="Invalid placement"):
        DataParallel(models.LogisticRegression(), 2, None, placement=["tcp://127.0.0.1:1"])


def test_a_straggler_is_its_model_outside_dask():
    d = datasets.breast_cancer()
    model = models.LogisticRegression()
    slow = data_parallel.Straggler(model, "tcp://nowhere:1", 5.0)
    np.testing.assert_array_equal(slow.grad(np.zeros(31), d.X[:5], d.y[:5]), model.grad(np.zeros(31), d.X[:5], d.y[:5]))


@pytest.fixture(scope="module")
def cluster_run(monkeypatch_module):
    """One local Dask cluster of worker processes: a correct run, placed parts, then a failing step."""
    d = datasets.breast_cancer()
    model = models.LogisticRegression()
    kw = dict(epochs=1, batch_size=64, seed=0)
    out = {"ref": loops.train(DataParallel(model, 4), O.SGD(lr=0.1), d.X, d.y, np.zeros(31), **kw)}
    with pytest.raises(ValueError):
        with data_parallel.dask_client(n_workers=2) as client:
            out["client"], out["cluster"] = client, client.cluster
            out["pids"] = [p for p in client.run(lambda: multiprocessing.current_process().pid).values()]
            out["filters"] = client.run(lambda: [type(f).__name__ for f in logging.getLogger("distributed.worker").filters])
            addresses = sorted(client.scheduler_info()["workers"])
            out["dask"] = loops.train(DataParallel(model, 4, client), O.SGD(lr=0.1), d.X, d.y, np.zeros(31), **kw)
            out["placed"] = loops.train(DataParallel(model, 4, client, placement=addresses), O.SGD(lr=0.1),
                                        d.X, d.y, np.zeros(31), **kw)
            DataParallel(model, 2, client).grad(np.zeros(3), d.X[:10], d.y[:10])   # θ of the wrong size
    return out


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    mp.delenv(data_parallel.SCHEDULER_VARIABLE, raising=False)   # a local cluster, whatever the shell says
    yield mp
    mp.undo()


def test_on_dask_worker_processes_the_result_is_the_in_process_one(cluster_run):
    np.testing.assert_allclose(cluster_run["dask"].theta, cluster_run["ref"].theta, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cluster_run["placed"].theta, cluster_run["ref"].theta, rtol=1e-12, atol=1e-14)
    assert len(set(cluster_run["pids"])) == 2 and multiprocessing.current_process().pid not in cluster_run["pids"]


def test_the_heartbeat_a_closing_cluster_cuts_is_not_printed_and_nothing_else_is_hidden(cluster_run):
    assert all(names == ["_ClosingHeartbeat"] for names in cluster_run["filters"].values())
    quiet = data_parallel._ClosingHeartbeat()

    def record(msg):
        return logging.LogRecord("distributed.worker", logging.ERROR, __file__, 1, msg, None, None)

    assert not quiet.filter(record("Failed to communicate with scheduler during heartbeat."))
    assert quiet.filter(record("Compute Failed"))


def test_a_failing_step_closes_the_client_and_the_cluster_and_its_processes(cluster_run):
    import psutil

    assert cluster_run["client"].status == "closed"
    assert cluster_run["cluster"].status.name == "closed"
    assert not [pid for pid in cluster_run["pids"] if psutil.pid_exists(pid)
                and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]


def test_an_existing_cluster_named_in_the_environment_is_used_and_left_running(monkeypatch):
    from dask.distributed import LocalCluster

    d = datasets.breast_cancer()
    model = models.LogisticRegression()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        monkeypatch.setenv(data_parallel.SCHEDULER_VARIABLE, cluster.scheduler_address)
        with data_parallel.dask_client(n_workers=5) as client:      # n_workers is for a local cluster only
            assert client.scheduler.address == cluster.scheduler_address and client.cluster is None
            assert len(client.scheduler_info()["workers"]) == 1
            g = DataParallel(model, 3, client).grad(np.zeros(31), d.X[:30], d.y[:30])
        np.testing.assert_allclose(g, model.grad(np.zeros(31), d.X[:30], d.y[:30]), rtol=1e-12, atol=1e-15)
        assert client.status == "closed" and cluster.status.name == "running"
