"""gdcourse.run: trajectories, divergence as a result, grids, schedules in a run; online learning with
projection; steps_to and best_lr; the protocol for one's own rule."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gdcourse.optimizers as O
from gdcourse import schedules as S
from gdcourse.objectives import get, PeriodicLinear, Quadratic
from gdcourse.run import best_lr, OnlineRun, run, run_grid, run_many, run_online, steps_to, Trajectory


def test_a_run_records_every_step_and_its_loss():
    obj = Quadratic()
    traj = run(O.SGD(lr=0.1), obj, obj.start, 20)
    assert traj.thetas.shape == (21, 2) and traj.losses.shape == (21,)
    np.testing.assert_allclose(traj.losses, obj.value(traj.thetas))
    assert traj.diverged_at == -1 and "after 20 steps" in traj.describe()


def test_a_diverging_run_stops_and_reports_its_step():
    obj = Quadratic()
    # On curvature 2 the factor is 1 - 2η = -2 for η = 1.5: |θ₂| doubles every step.
    traj = run(O.SGD(lr=1.5), obj, obj.start, 100)
    k = traj.diverged_at
    assert k > 0 and traj.describe() == f"diverged at step {k}"
    assert np.all(np.isfinite(traj.thetas[:k])) and np.all(np.isnan(traj.thetas[k:]))
    assert np.all(np.isfinite(traj.final))
    assert 2.0 * 2.0 ** (k - 1) <= 1e6 < 2.0 * 2.0**k  # the bound was crossed at exactly step k


def test_grid_divergence_is_per_configuration():
    obj = Quadratic()
    traj = run_grid("SGD", obj, obj.start, 50, lr=np.array([0.1, 1.5]))
    assert traj.diverged_at[0] == -1 and traj.diverged_at[1] > 0
    assert np.isfinite(traj.final).all()
    assert traj.describe() == "1 of 2 configurations diverged"


def test_run_with_a_plain_loss_and_gradient_function():
    traj = run(O.SGD(lr=0.5), lambda th: np.sum(th**2, axis=-1), np.array([1.0]), 3,
               grad_fn=lambda th: 2 * th)
    np.testing.assert_allclose(traj.thetas[:, 0], [1.0, 0.0, 0.0, 0.0])


def test_run_many_runs_each_optimizer_from_the_same_start():
    obj = get("beale")
    runs = run_many({"SGD": O.SGD(lr=1e-3), "Adam": O.Adam(lr=1e-2)}, obj, obj.start, 10)
    assert list(runs) == ["SGD", "Adam"]
    assert all(np.array_equal(t.thetas[0], obj.start) for t in runs.values())


@pytest.mark.parametrize("kwargs,match", [
    (dict(steps=-1), "Invalid steps"), (dict(steps=2.5), "Invalid steps"),
    (dict(steps=3, bound=-1.0), "Invalid bound"),
])
def test_bad_run_arguments_raise(kwargs, match):
    obj = Quadratic()
    steps = kwargs.pop("steps")
    with pytest.raises(ValueError, match=match):
        run(O.SGD(), obj, obj.start, steps, **kwargs)


def test_grid_lengths_must_agree():
    with pytest.raises(ValueError, match="Invalid grid"):
        run_grid("Adam", Quadratic(), (1.0, 1.0), 3, lr=[0.1, 0.2], beta1=[0.9, 0.8, 0.7])


def test_schedule_sets_the_learning_rate_of_each_step():
    seen = []

    class Spy(O.SGD):
        def _update(self, theta, grad_fn, s):
            seen.append(self.lr)
            return super()._update(theta, grad_fn, s)

    run(Spy(), Quadratic(), (1.0, 1.0), 4, schedule=S.InverseTimeDecay(1.0, k=1.0))
    assert seen == [1.0, 0.5, 1 / 3, 0.25]



# --- Online learning with projection (run_online) and Reddi et al.'s periodic linear losses ---

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



# --- steps_to and best_lr: when a run gets within a tolerance of the minimum and stays there ---

def _traj(losses):
    losses = np.asarray(losses, dtype=np.float64)
    return Trajectory(np.zeros((*losses.shape, 2)), losses, -1)


def test_steps_to_counts_the_step_after_which_the_loss_stays_below_tol():
    # Below at step 1, out again at step 2, below for good from step 3.
    assert steps_to(_traj([5.0, 0.01, 2.0, 0.5, 0.1]), 0.0, 1.0) == 3
    assert steps_to(_traj([0.1, 0.1]), 0.0, 1.0) == 0
    assert steps_to(_traj([5.0, 0.1, 5.0]), 0.0, 1.0) == -1


def test_steps_to_measures_the_gap_to_min_value_and_treats_nan_as_outside():
    assert steps_to(_traj([12.0, 10.5, 10.2]), 10.0, 1.0) == 1
    assert steps_to(_traj([5.0, 0.1, np.nan]), 0.0, 1.0) == -1


def test_steps_to_on_sgd_on_a_one_dimensional_quadratic_matches_the_closed_form():
    # J = θ²/2, SGD: θ_t = (1 - η)^t θ_0, so J_t = (1 - η)^{2t} / 2.
    obj = Quadratic(a=(1.0, 1.0))
    traj = run(O.SGD(lr=0.1), obj, (1.0, 0.0), 100)
    expected = int(np.ceil(np.log(2 * 1e-3) / (2 * np.log(0.9))))
    assert steps_to(traj, 0.0, 1e-3) == expected


def test_steps_to_answers_per_configuration_of_a_grid():
    obj = Quadratic()
    traj = run_grid("SGD", obj, obj.start, 60, lr=np.array([0.1, 0.5, 1.5]))
    got = steps_to(traj, 0.0, 1e-2)
    assert got.shape == (3,)
    assert got[0] == steps_to(run(O.SGD(lr=0.1), obj, obj.start, 60), 0.0, 1e-2)
    assert got[2] == -1  # diverged


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 10), min_size=1, max_size=30), st.floats(0.01, 10))
def test_every_loss_from_steps_to_on_is_below_tol_and_the_one_before_is_not(losses, tol):
    k = steps_to(_traj(losses), 0.0, tol)
    losses = np.asarray(losses)
    if k >= 0:
        assert np.all(losses[k:] < tol) and (k == 0 or losses[k - 1] >= tol)
    else:
        assert losses[-1] >= tol


def test_best_lr_picks_the_fastest_rate_and_never_a_diverged_one():
    obj = Quadratic()
    lrs = np.array([0.01, 0.1, 0.5, 0.9, 1.5])
    lr, needed = best_lr("SGD", obj, lrs, 100, tol=1e-3)
    all_needed = steps_to(run_grid("SGD", obj, obj.start, 100, lr=lrs), 0.0, 1e-3)
    reached = all_needed >= 0
    assert needed == all_needed[reached].min() and lr == lrs[reached][np.argmin(all_needed[reached])]
    assert lr != 1.5


def test_best_lr_falls_back_to_the_lowest_mean_log_gap_when_no_rate_gets_there():
    obj = Quadratic()
    lr, needed = best_lr("SGD", obj, [0.001, 0.01], 10, tol=1e-9)
    assert (lr, needed) == (0.01, -1)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="Invalid tol"):
        steps_to(_traj([1.0]), 0.0, 0.0)
    with pytest.raises(ValueError, match="Invalid min_value"):
        steps_to(_traj([1.0]), -np.inf, 1.0)
    with pytest.raises(ValueError, match="Invalid lrs"):
        best_lr("SGD", Quadratic(), [], 10)


def test_feed_records_adams_moments_on_a_constant_gradient():
    from gdcourse.run import feed

    g = np.array([2.0, -0.5])
    rec = feed(O.Adam(lr=0.1, beta1=0.9, beta2=0.999), [g] * 20)
    t = np.arange(1, 21)
    assert np.array_equal(rec["t"], t) and rec["m"].shape == (20, 2)
    # m_t = (1 - β₁^t) g and v_t = (1 - β₂^t) g² for a constant g (geometric sums).
    np.testing.assert_allclose(rec["m"], (1 - 0.9 ** t)[:, None] * g, rtol=1e-12)
    np.testing.assert_allclose(rec["v"], (1 - 0.999 ** t)[:, None] * g**2, rtol=1e-12)
    # Bias-corrected, every step is η·sign(g) (up to ε): θ_{T+1} = -T η sign(g).
    np.testing.assert_allclose(rec["theta"][-1], -20 * 0.1 * np.sign(g), rtol=1e-7)


def test_feed_ignores_theta_and_accepts_a_generator_and_a_start():
    from gdcourse.run import feed

    rec = feed(O.SGD(lr=0.5), (np.full(3, float(k)) for k in range(1, 4)), theta0=np.ones(3))
    # θ = 1 - 0.5 (1 + 2 + 3) after three steps, whatever the surface would have said.
    np.testing.assert_allclose(rec["theta"][-1], np.full(3, 1 - 0.5 * 6))
    assert set(rec) == {"t", "theta"}
    with pytest.raises(ValueError, match="Invalid gradients"):
        feed(O.SGD(), [])


# --- The protocol for one's own rule: reset() and step(theta, grad_fn) ---------------------------


class DuckRMSprop:
    """A student's RMSprop: no base class, only reset and step, updating θ in place."""

    def __init__(self, lr=0.01, gamma=0.9, eps=1e-8):
        self.lr, self.gamma, self.eps = lr, gamma, eps

    def reset(self):
        self.Eg2 = 0.0

    def step(self, theta, grad_fn):
        g = grad_fn(theta)
        self.Eg2 = self.gamma * self.Eg2 + (1 - self.gamma) * g**2
        theta -= self.lr / np.sqrt(self.Eg2 + self.eps) * g
        return theta


def test_a_duck_typed_rule_runs_like_the_builtin_one_even_updating_in_place():
    obj = get("rosenbrock")
    theta0 = np.array(obj.start)
    mine = run(DuckRMSprop(lr=0.01), obj, theta0, 200)
    ref = run(O.RMSprop(lr=0.01), obj, theta0, 200)
    np.testing.assert_array_equal(mine.thetas, ref.thetas)
    np.testing.assert_array_equal(theta0, obj.start)                    # the caller's θ₀ is untouched
    assert len(np.unique(mine.thetas, axis=0)) == 201                    # every recorded θ is its own copy


def test_a_duck_typed_rule_runs_in_run_many_with_a_schedule():
    obj = get("ravine")
    runs = run_many({"mine": DuckRMSprop(), "gdcourse": O.RMSprop(lr=0.01)}, obj, obj.start, 50,
                    schedule=S.StepDecay(0.05, drop=0.5, every=10))
    np.testing.assert_allclose(runs["mine"].thetas, runs["gdcourse"].thetas, rtol=0, atol=1e-14)


class SubclassRMSprop(O.Optimizer):
    defaults = {"lr": 0.001, "gamma": 0.9, "eps": 1e-8}
    state_names = ("Eg2",)

    def update(self, theta, grad_fn, s):
        g = grad_fn(theta)
        s["Eg2"] = self.gamma * s["Eg2"] + (1 - self.gamma) * g**2
        return theta - self.lr / np.sqrt(s["Eg2"] + self.eps) * g


def test_run_grid_takes_ones_own_optimizer_subclass_with_array_hyperparameters():
    obj = get("rosenbrock")
    lrs = [0.001, 0.01, 0.1]
    mine = run_grid(SubclassRMSprop, obj, obj.start, 100, lr=lrs)
    ref = run_grid("RMSprop", obj, obj.start, 100, lr=lrs)
    np.testing.assert_array_equal(mine.thetas, ref.thetas)


def test_run_grid_takes_a_duck_typed_class_whose_step_broadcasts():
    obj = get("ravine")
    mine = run_grid(DuckRMSprop, obj, obj.start, 30, lr=[0.01, 0.05])
    ref = run_grid("RMSprop", obj, obj.start, 30, lr=[0.01, 0.05])
    np.testing.assert_allclose(mine.thetas, ref.thetas, rtol=0, atol=1e-14)


def test_run_grid_refuses_an_instance_and_an_unknown_name():
    obj = get("ravine")
    with pytest.raises(ValueError, match="Invalid rule"):
        run_grid(O.RMSprop(), obj, obj.start, 5, lr=[0.1])
    with pytest.raises(ValueError, match="Invalid rule: 'RMSProp'"):
        run_grid("RMSProp", obj, obj.start, 5, lr=[0.1])


class Returns:
    def __init__(self, value):
        self.value = value

    def reset(self):
        pass

    def step(self, theta, grad_fn):
        return self.value(theta)


@pytest.mark.parametrize("value, match", [
    (lambda th: float(np.sum(th)), r"returned an array of shape \(\) at step 1 .*shape \(2,\)"),
    (lambda th: None, "returned None at step 1"),
    (lambda th: th[:1], r"shape \(1,\)"),
    (lambda th: "theta", "returned str"),
])
def test_run_checks_what_step_returns(value, match):
    obj = get("ravine")
    with pytest.raises(ValueError, match=match) as err:
        run(Returns(value), obj, obj.start, 3)
    assert str(err.value).startswith("Invalid step: Returns.step returned")


def test_wrong_input_types_get_a_value_error_naming_the_expected_type():
    obj = get("ravine")
    with pytest.raises(ValueError, match="expected an optimizer .*got Quadratic; the order is run"):
        run(obj, O.RMSprop(), obj.start, 3)
    with pytest.raises(ValueError, match="got the class RMSprop"):
        run(O.RMSprop, obj, obj.start, 3)
    with pytest.raises(ValueError, match="Invalid objective: expected an objective .*got RMSprop"):
        run(O.RMSprop(), O.RMSprop(), (0.0, 0.0), 3)
    with pytest.raises(ValueError, match="expected a dict"):
        run_many([O.RMSprop()], obj, obj.start, 3)


def test_gdcourse_run_is_the_module_and_can_be_called_as_its_function():
    import gdcourse as gd
    from gdcourse.run import run as run_function
    obj = get("ravine")
    np.testing.assert_array_equal(gd.run(O.SGD(lr=0.1), obj, obj.start, 5).thetas,
                                  run_function(O.SGD(lr=0.1), obj, obj.start, 5).thetas)
    assert gd.run.run is run_function and callable(gd.run)


def test_a_trajectory_knows_its_objectives_minimum_and_steps_to_uses_it():
    obj = get("ravine")
    traj = run(O.SGD(lr=0.5), obj, obj.start, 200)
    assert traj.min_value == obj.min_value == 0.0
    assert steps_to(traj, tol=1e-3) == steps_to(traj, obj.min_value, 1e-3) > 0
    np.testing.assert_array_equal(traj.gap, traj.losses - obj.min_value)
    plain = run(O.SGD(lr=0.1), lambda th: np.sum(th**2, axis=-1), (1.0, 1.0), 3, grad_fn=lambda th: 2 * th)
    assert plain.min_value is None
    with pytest.raises(ValueError, match="Invalid min_value: None"):
        steps_to(plain, tol=1e-3)
