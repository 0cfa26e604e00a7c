"""The asynchronous SGD simulator: determinism, staleness by hand, the server's rules, EASGD, data parallelism."""
import numpy as np
import pytest

import gdcourse.optimizers as O
from gdcourse import datasets, models
from gdcourse import parallel as P
from gdcourse.delay_tolerant import AdaptiveRevision
from gdcourse.objectives import Quadratic


@pytest.fixture(scope="module")
def problem():
    d = datasets.breast_cancer()
    return P.Problem(models.LogisticRegression(), d.X[:200], d.y[:200])


def test_same_seed_same_run_bit_for_bit_and_another_seed_another_run(problem):
    kw = dict(workers=5, shards=3, steps=300, batch_size=4, spread=0.7, latency=0.3)
    a = P.downpour(problem, np.zeros(problem.d), O.Adagrad(lr=0.1), seed=3, **kw)
    b = P.downpour(problem, np.zeros(problem.d), O.Adagrad(lr=0.1), seed=3, **kw)
    c = P.downpour(problem, np.zeros(problem.d), O.Adagrad(lr=0.1), seed=4, **kw)
    for field in ("theta", "times", "staleness", "apply_time", "batches", "step_end"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.theta, c.theta)


def test_one_worker_without_latency_is_serial_sgd_on_its_batches(problem):
    r = P.downpour(problem, np.zeros(problem.d), O.SGD(lr=0.3), workers=1, steps=50, batch_size=5,
                   record_every=1)
    theta = np.zeros(problem.d)
    for k, idx in enumerate(r.batches):
        theta = theta - 0.3 * problem.grad(theta, idx)
        assert np.array_equal(r.theta[k + 1], theta)
    assert np.all(r.staleness == 0) and len(r.staleness) == 50


def test_staleness_by_hand_for_two_workers_of_speeds_one_and_two(problem):
    # t=1: w0 applies (read v0, now v0: 0); t=2: w1 (read v0, now 1: 1), w0 (read v1, now 2: 1);
    # t=3: w0 (read v3, now 3: 0); t=4: w1 (read v2, now 4: 2), w0 (read v4, now 5: 1).
    r = P.downpour(problem, np.zeros(problem.d), O.SGD(lr=0.1), workers=2, steps=6, spread=0.0,
                   speeds=[1.0, 2.0])
    assert r.staleness.tolist() == [0, 1, 1, 0, 2, 1]
    assert r.apply_worker.tolist() == [0, 1, 0, 0, 1, 0]
    assert r.apply_time.tolist() == [1.0, 2.0, 2.0, 3.0, 4.0, 4.0]


@pytest.mark.parametrize("W", [1, 2, 5, 12])
def test_equal_compute_times_give_round_robin_staleness_w_minus_1(problem, W):
    r = P.downpour(problem, np.zeros(problem.d), O.SGD(lr=0.1), workers=W, steps=10 * W, spread=0.0)
    assert r.staleness[:W].tolist() == list(range(W))  # the first round fills the pipeline
    assert np.all(r.staleness[W:] == W - 1)


def test_latency_delays_the_arrival_and_each_shard_counts_its_own_staleness(problem):
    r = P.downpour(problem, np.zeros(problem.d), O.SGD(lr=0.1), workers=3, shards=4, steps=200,
                   spread=0.5, latency=0.5)
    assert len(r.staleness) == 4 * 200 and set(r.apply_shard.tolist()) == {0, 1, 2, 3}
    assert np.all(r.apply_time >= r.step_end[r.apply_step])
    per_shard = [r.staleness[r.apply_shard == s] for s in range(4)]
    assert any(not np.array_equal(per_shard[0], p) for p in per_shard[1:])  # shards see different orders


@pytest.mark.parametrize("rule", ["SGD", "Adagrad", "Adam"])
def test_sharding_a_server_without_latency_changes_nothing_for_per_coordinate_rules(problem, rule):
    kw = dict(workers=4, steps=200, batch_size=3, spread=0.5)
    one = P.downpour(problem, np.zeros(problem.d), O.make(rule, lr=0.05), shards=1, **kw)
    many = P.downpour(problem, np.zeros(problem.d), O.make(rule, lr=0.05), shards=7, **kw)
    np.testing.assert_array_equal(one.theta, many.theta)


def test_a_grid_of_learning_rates_is_one_run_equal_to_separate_runs(problem):
    lrs = np.array([0.01, 0.1, 1.0])
    grid = P.downpour(problem, np.zeros(problem.d), O.SGD(lr=lrs[:, None]), workers=4, steps=100)
    for i, lr in enumerate(lrs):
        single = P.downpour(problem, np.zeros(problem.d), O.SGD(lr=lr), workers=4, steps=100)
        np.testing.assert_allclose(grid.theta[:, i], single.theta, rtol=1e-12, atol=1e-14)


def test_a_diverging_configuration_is_a_result(problem):
    lrs = np.array([[1e-3], [1e4]])
    r = P.downpour(P.Problem(models.LinearRegression(), problem.X, problem.X[:, 0]),
                   np.zeros(problem.d), O.SGD(lr=lrs), workers=4, steps=200)
    assert r.diverged_at[0] == -1 and r.diverged_at[1] > 0
    assert np.isnan(r.final_loss[1]) and np.isfinite(r.final_loss[0])
    assert "1 of 2 configurations diverged" in r.describe()


def test_replicas_that_fetch_every_tau_steps_drift_from_the_server(problem):
    kw = dict(workers=4, steps=400, batch_size=2, spread=0.3)
    r1 = P.downpour(problem, np.zeros(problem.d), O.SGD(lr=0.1), **kw)
    r8 = P.downpour(problem, np.zeros(problem.d), O.SGD(lr=0.1), n_fetch=8, n_push=8, record_local=True, **kw)
    assert r8.local.shape == (len(r8.steps), 4, problem.d)
    assert r8.drift[1:].mean() > r1.drift[1:].mean()
    assert len(r8.staleness) == np.sum(np.bincount(r8.step_worker, minlength=4) // 8)  # one push per 8 steps


@pytest.mark.parametrize("kwargs, message", [
    (dict(workers=0), "Invalid workers: 0"),
    (dict(shards=40), "Invalid shards: 40 (must be an integer in [1, d = 31])"),
    (dict(latency=-1.0), "Invalid latency: -1.0 (a delay must be a finite number >= 0)"),
    (dict(spread=-0.1), "Invalid spread"),
    (dict(n_fetch=0), "Invalid n_fetch"),
    (dict(batch_size=1000), "Invalid batch_size: 1000 (must be an integer in [1, n = 200])"),
    (dict(steps=-3), "Invalid steps"),
    (dict(speeds=[1.0, 0.0]), "Invalid speeds"),
    (dict(workers=2, speeds=[1.0, 1.0, 1.0]), "Invalid speeds: shape (3,)"),
])
def test_bad_settings_say_what_is_allowed(problem, kwargs, message):
    with pytest.raises(ValueError) as err:
        P.downpour(problem, np.zeros(problem.d), O.SGD(lr=0.1), **kwargs)
    assert message in str(err.value)


def test_bad_start_optimizer_and_elastic_rates_are_refused(problem):
    with pytest.raises(ValueError, match="Invalid theta0 shape"):
        P.downpour(problem, np.zeros(3), O.SGD(lr=0.1))
    with pytest.raises(ValueError, match="Invalid optimizer"):
        P.downpour(problem, np.zeros(problem.d), None)
    with pytest.raises(ValueError, match="Invalid rho"):
        P.easgd(problem, np.zeros(problem.d), lr=0.5, rho=-1.0)
    with pytest.raises(ValueError, match="moving rate alpha"):
        P.easgd(problem, np.zeros(problem.d), lr=0.5, rho=3.0)
    with pytest.raises(ValueError, match="Invalid tau"):
        P.easgd(problem, np.zeros(problem.d), lr=0.5, rho=1.0, tau=0)
    with pytest.raises(ValueError, match="Invalid workers"):
        P.downpour(problem, np.zeros(problem.d), O.SGD(lr=0.1), workers=500)


# --- The server and a delay-tolerant rule -------------------------------------------------------


def test_the_server_gives_g_bck_the_sum_of_gradients_applied_since_the_read():
    seen = []

    class Spy(AdaptiveRevision):
        def step(self, theta, grad_fn, g_bck=None):
            seen.append((grad_fn(theta).copy(), g_bck.copy()))
            return super().step(theta, grad_fn, g_bck)

    server = P.ParameterServer(np.zeros(2), Spy(lr=0.1))
    assert P.ParameterServer(np.zeros(2), O.Adagrad()).z is None  # kept only when a rule needs it
    _, v0, z0 = server.read()
    server.apply(0, np.array([1.0, 2.0]), v0, z0)
    _, v1, z1 = server.read()
    server.apply(0, np.array([3.0, 0.0]), v0, z0)      # read before the first: g_bck = (1, 2)
    assert server.apply(0, np.array([0.5, 0.5]), v1, z1) == 1
    np.testing.assert_array_equal(seen[1][1], [1.0, 2.0])
    np.testing.assert_array_equal(seen[2][1], [3.0, 0.0])


def test_adaptive_revision_without_delay_is_adagrad_bit_for_bit(problem):
    kw = dict(workers=1, steps=150, batch_size=4)
    ar = P.downpour(problem, np.zeros(problem.d), AdaptiveRevision(lr=0.2), **kw)
    ada = P.downpour(problem, np.zeros(problem.d), O.Adagrad(lr=0.2), **kw)
    np.testing.assert_array_equal(ar.theta, ada.theta)


# --- EASGD ----------------------------------------------------------------------------------------


def test_easgd_without_elastic_force_leaves_the_centre_where_it_started(problem):
    r = P.easgd(problem, np.full(problem.d, 0.1), lr=0.1, rho=0.0, workers=3, steps=120)
    assert np.all(r.theta == 0.1)
    assert r.drift[-1] > 0


def test_synchronous_easgd_two_rounds_by_hand():
    # Gradient of J = theta^2 / 2 is theta: no noise, two workers, alpha = eta * rho = 0.25.
    prob = P.NoisyObjective(Quadratic(a=(1.0, 1.0)), sigma=0.0, n=4)
    r = P.easgd(prob, np.array([1.0, 0.0]), lr=0.5, rho=0.5, workers=2, steps=4, synchronous=True,
                record_every=2, record_local=True)
    # Round 1: x^i = 1 - 0.5*1 - 0.25*(1 - 1) = 0.5; centre = 1 + 0.25*0 = 1.
    # Round 2: x^i = 0.5 - 0.25 - 0.25*(0.5 - 1) = 0.375; centre = 1 + 0.25*2*(0.5 - 1) = 0.75.
    np.testing.assert_allclose(r.local[1][:, 0], [0.5, 0.5])
    np.testing.assert_allclose(r.theta[-1], [0.75, 0.0])
    np.testing.assert_allclose(r.local[-1][:, 0], [0.375, 0.375])


def test_easgd_elastic_exchanges_conserve_the_sum_of_workers_and_centre():
    # Elastic symmetry: with zero gradients only the elastic force moves anything, and
    # what a worker gives, the centre takes: the sum x~ + sum_i x^i stays put.
    prob = P.NoisyObjective(Quadratic(a=(1.0, 1.0)), sigma=0.0, n=4)
    for sync in (False, True):
        r = P.easgd(prob, np.array([[1.0, -2.0]]), lr=1e-12, rho=1e11, tau=2, workers=3, steps=60,
                    synchronous=sync, record_local=True, spread=0.4)
        total = r.theta + r.local.sum(axis=1)
        np.testing.assert_allclose(total, np.broadcast_to(total[0], total.shape), atol=1e-9)


def test_asynchronous_easgd_is_deterministic_and_records_staleness_with_latency():
    prob = P.NoisyObjective(Quadratic(), sigma=1.0, n=64)
    a = P.easgd(prob, np.array([2.0, 1.0]), lr=0.1, rho=1.0, tau=3, workers=4, steps=200, latency=0.5)
    b = P.easgd(prob, np.array([2.0, 1.0]), lr=0.1, rho=1.0, tau=3, workers=4, steps=200, latency=0.5)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert a.staleness.max() >= 1 and a.losses[-1] < a.losses[0]


# --- Synchronous data parallelism -----------------------------------------------------------------


def test_synchronous_rounds_wait_for_the_slowest_worker(problem):
    r = P.synchronous(problem, np.zeros(problem.d), O.SGD(lr=0.1), workers=4, steps=40, spread=0.5)
    rounds = r.step_end.reshape(10, 4)
    starts = r.step_start.reshape(10, 4)
    assert np.all(starts[1:, 0] == rounds[:-1].max(axis=1))
    assert np.all(r.staleness == 0) and len(r.staleness) == 10


def test_problem_without_bias_holds_the_bias_at_zero():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    prob = P.Problem(models.LogisticRegression(), X, np.array([1.0, 0.0]), bias=False)
    assert prob.d == 2
    g = prob.grad(np.zeros(2), [0])
    np.testing.assert_allclose(g, [-0.5, 0.0])
    np.testing.assert_allclose(prob.loss(np.zeros(2)), np.log(2))


def test_zero_steps_or_more_workers_than_steps_are_fine(problem):
    r = P.downpour(problem, np.zeros(problem.d), O.SGD(lr=0.1), workers=4, steps=0)
    assert r.batches.shape == (0, 1) and len(r.staleness) == 0 and np.all(r.theta == 0)
    r = P.downpour(problem, np.zeros(problem.d), O.SGD(lr=0.1), workers=8, steps=3)
    assert len(r.staleness) == 3 and r.steps[-1] == 3
    r = P.synchronous(problem, np.zeros(problem.d), O.SGD(lr=0.1), workers=8, steps=3)
    assert r.steps[-1] == 3 and len(r.staleness) == 1
