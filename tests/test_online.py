"""Online learning with projection (run_online) and Reddi et al.'s periodic linear losses."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gdcourse.optimizers as O
from gdcourse.objectives import PeriodicLinear, Quadratic
from gdcourse.run import OnlineRun, run, run_online


def test_sgd_steps_are_projected_onto_the_interval_by_hand():
    # f_t(x) = x: SGD moves down by η = 0.3 each step and stops at lo = -1.
    r = run_online(O.SGD(lr=0.3), lambda t, x: np.ones_like(x), np.array([0.5]), 6, -1.0, 1.0)
    np.testing.assert_allclose(r.xs[:, 0], [0.5, 0.2, -0.1, -0.4, -0.7, -1.0, -1.0])
    assert r.losses is None


def test_without_a_binding_box_it_is_the_ordinary_run():
    obj = Quadratic()
    free = run(O.Adam(lr=0.1), obj, obj.start, 40)
    online = run_online(O.Adam(lr=0.1), lambda t, x: obj.grad(x), obj.start, 40, -100.0, 100.0)
    np.testing.assert_allclose(online.xs, free.thetas)


def test_the_time_index_reaches_the_gradient_and_the_loss():
    seen_g, seen_f = [], []
    grad_t = lambda t, x: seen_g.append(t) or np.zeros_like(x)
    loss_t = lambda t, x: seen_f.append(t) or float(t) * x[0]
    r = run_online(O.SGD(lr=0.1), grad_t, np.array([0.5]), 4, -1.0, 1.0, loss_t=loss_t)
    assert seen_g == [1, 2, 3, 4] and seen_f == [1, 2, 3, 4]
    np.testing.assert_allclose(r.losses, [0.5, 1.0, 1.5, 2.0])


def test_a_schedule_sets_the_learning_rate_of_each_step():
    # SGD with η_t = 0.1/√t on f_t(x) = x: x_{t+1} = x_t - 0.1/√t.
    r = run_online(O.SGD(lr=1.0), lambda t, x: np.ones_like(x), np.array([0.9]), 5, -1.0, 1.0,
                   schedule=lambda t: 0.1 / math.sqrt(t))
    expected = 0.9 - np.concatenate([[0.0], np.cumsum([0.1 / math.sqrt(t) for t in range(1, 6)])])
    np.testing.assert_allclose(r.xs[:, 0], expected)


def test_regret_by_hand_on_a_small_periodic_problem():
    # C = 3, p = 2, s = -1: f_1 = 3x, f_2 = -x, f_3 = 3x, ...; a period sums to 2 > 0, so x* = -1.
    prob = PeriodicLinear(C=3.0, period=2, small=-1.0)
    assert prob.period_sum == 2.0 and prob.x_star == -1.0
    r = run_online(O.SGD(lr=0.5), prob.grad, np.array([0.0]), 4, prob.lo, prob.hi, loss_t=prob.value)
    # x: 0 -> clip(0 - 1.5) = -1 -> -1 + 0.5 = -0.5 -> clip(-0.5 - 1.5) = -1 -> -0.5
    np.testing.assert_allclose(r.xs[:, 0], [0.0, -1.0, -0.5, -1.0, -0.5])
    # f_t(x_t): 3·0, -1·(-1), 3·(-0.5), -1·(-1)
    np.testing.assert_allclose(r.losses, [0.0, 1.0, -1.5, 1.0])
    # Comparator x* = -1 loses -3, 1, -3, 1: regret 3, 3, 4.5, 4.5.
    np.testing.assert_allclose(r.regret(-1.0), [3.0, 3.0, 4.5, 4.5])
    np.testing.assert_allclose(r.average_regret(np.array([-1.0])), [3.0, 1.5, 1.5, 1.125])


def test_configurations_run_side_by_side_like_single_runs():
    prob = PeriodicLinear()
    x0 = np.array([[-1.0], [0.0], [0.7]])
    many = run_online(O.AMSGrad(lr=0.05, beta2=0.99), prob.grad, x0, 250, -1.0, 1.0, loss_t=prob.value)
    for i in range(3):
        one = run_online(O.AMSGrad(lr=0.05, beta2=0.99), prob.grad, x0[i], 250, -1.0, 1.0, loss_t=prob.value)
        np.testing.assert_allclose(many.xs[:, i], one.xs)
        np.testing.assert_allclose(many.regret(-1.0)[:, i], one.regret(-1.0))


def test_array_hyperparameters_give_the_start_point_their_leading_axes():
    prob = PeriodicLinear()
    lrs = np.array([[0.01], [0.1]])
    grid = run_online(O.Adam(lr=lrs, beta2=0.99), prob.grad, np.array([0.0]), 120, -1.0, 1.0)
    assert grid.xs.shape == (121, 2, 1)
    one = run_online(O.Adam(lr=0.1, beta2=0.99), prob.grad, np.array([0.0]), 120, -1.0, 1.0)
    np.testing.assert_allclose(grid.xs[:, 1], one.xs)


@settings(max_examples=30, deadline=None)
@given(rule=st.sampled_from(sorted(O.RULES)), seed=st.integers(0, 2**16),
       lo=st.floats(-3, 0), width=st.floats(0.1, 3))
def test_iterates_never_leave_the_interval(rule, seed, lo, width):
    hi = lo + width
    rng = np.random.default_rng(seed)
    grads = rng.normal(scale=10.0, size=(31, 2))
    r = run_online(O.make(rule, lr=0.5), lambda t, x: grads[t], np.full(2, lo + width / 2), 30, lo, hi)
    assert np.all((r.xs >= lo) & (r.xs <= hi))


class _WatchVhat:
    """Duck-typed optimizer: AMSGrad, keeping a copy of v̂_t after every step."""

    def __init__(self, opt):
        self.opt, self.vhat = opt, []

    @property
    def hyperparams(self):
        return self.opt.hyperparams

    def reset(self):
        self.opt.reset()
        self.vhat = []

    def step(self, theta, grad_fn):
        new = self.opt.step(theta, grad_fn)
        self.vhat.append(self.opt.state["vhat"].copy())
        return new


def test_amsgrad_vhat_never_decreases_on_the_periodic_problem():
    prob = PeriodicLinear()
    watch = _WatchVhat(O.AMSGrad(lr=0.1, beta2=0.99))
    run_online(watch, prob.grad, np.array([0.0]), 500, prob.lo, prob.hi)
    vhat = np.array(watch.vhat)[:, 0]
    assert len(vhat) == 500 and np.all(np.diff(vhat) >= 0) and vhat[-1] > vhat[0]


def test_adam_and_amsgrad_part_ways_on_the_papers_problem():
    # Reddi et al.'s constants with a constant η: Adam climbs towards the worst point +1,
    # AMSGrad stays on the side of the optimum -1.
    prob = PeriodicLinear()
    end = {r: run_online(O.make(r, lr=0.1, beta1=0.9, beta2=0.99), prob.grad, np.array([0.0]), 1000,
                         prob.lo, prob.hi).xs[-101:, 0].mean() for r in ("Adam", "AMSGrad")}
    assert end["Adam"] > 0.5 and end["AMSGrad"] < -0.2


def test_periodic_linear_coefficients_and_best_point():
    prob = PeriodicLinear()
    np.testing.assert_array_equal(prob.coefficient(np.array([1, 2, 101, 102, 203])),
                                  [1010.0, -10.0, -10.0, 1010.0, 1010.0])
    assert prob.period_sum == 10.0 and prob.x_star == -1.0
    assert PeriodicLinear(C=500.0).x_star == 1.0  # 500 - 1000 < 0: the small gradients win
    np.testing.assert_array_equal(prob.grad(102, np.zeros((3, 1))), np.full((3, 1), 1010.0))
    np.testing.assert_allclose(prob.value(np.array([1, 2]), np.array([[0.5], [0.5]])), [505.0, -5.0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(C=0.0), "Invalid C"), (dict(C=float("inf")), "Invalid C"),
    (dict(period=1), "Invalid period"), (dict(period=2.5), "Invalid period"),
    (dict(small=float("nan")), "Invalid small"),
])
def test_periodic_linear_rejects_bad_constants(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PeriodicLinear(**kwargs)


@pytest.mark.parametrize("args, match", [
    ((np.array([0.0]), 5, 1.0, -1.0), "Invalid interval"),
    ((np.array([0.0]), 5, -1.0, float("inf")), "Invalid interval"),
    ((np.array([2.0]), 5, -1.0, 1.0), "Invalid x0"),
    ((0.0, 5, -1.0, 1.0), "Invalid x0"),
    ((np.array([0.0]), -1, -1.0, 1.0), "Invalid steps"),
])
def test_run_online_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        run_online(O.SGD(), lambda t, x: np.ones_like(x), *args)


def test_regret_needs_recorded_losses():
    r = run_online(O.SGD(), lambda t, x: np.ones_like(x), np.array([0.0]), 3, -1.0, 1.0)
    assert isinstance(r, OnlineRun)
    with pytest.raises(ValueError, match="no losses recorded"):
        r.regret(-1.0)
