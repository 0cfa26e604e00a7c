"""The comparison of the rules: grids, grid training on shared batches, scores, robustness, tables."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gdcourse.optimizers as O
from gdcourse import compare
from gdcourse.loops import train
from gdcourse.models import LogisticRegression
from gdcourse.objectives import Quadratic, get

rng = np.random.default_rng(0)
X = rng.normal(size=(50, 3))
Y = (X @ np.array([1.0, -2.0, 0.5]) + 0.5 * rng.normal(size=50) > 0).astype(float)


def test_grid_hyperparameters_are_columns_with_the_default_last():
    hp = compare.grid_hyperparams("Adam", [1e-3, 1e-2])
    np.testing.assert_array_equal(hp["lr"], [[1e-3], [1e-2], [1e-3]])
    hp = compare.grid_hyperparams("Adadelta", [1e-3, 1e-2], default=False)
    # Adadelta has no η: its grid is over ε = η², the size of its first steps squared.
    np.testing.assert_allclose(hp["eps"], [[1e-6], [1e-4]])
    assert compare.grid_hyperparams("Adadelta", [0.1])["eps"][-1, 0] == O.Adadelta.defaults["eps"]
    with pytest.raises(ValueError, match="Invalid rule: 'Adamm'"):
        compare.grid_hyperparams("Adamm", [0.1])
    with pytest.raises(ValueError, match="Invalid lrs"):
        compare.grid_hyperparams("SGD", [0.1, -1.0])


@pytest.mark.parametrize("rule", ["SGD", "Momentum", "Adam"])
def test_train_grid_equals_one_training_run_per_learning_rate(rule):
    lrs = np.array([0.01, 0.1, 0.5])
    theta0 = np.zeros((3, 4))
    at, losses, dv, theta = compare.train_grid(LogisticRegression(), O.make(rule, lr=lrs[:, None]), X, Y, theta0,
                                               steps=4 * 7, batch_size=8, seed=3)
    assert at[0] == 0 and at[-1] == 28 and losses.shape == (len(at), 3) and np.all(dv == -1)
    for j, lr in enumerate(lrs):
        # 50 examples in batches of 8: 7 updates an epoch, the same shuffles as train's.
        hist = train(LogisticRegression(), O.make(rule, lr=lr), X, Y, np.zeros(4), epochs=4, batch_size=8, seed=3)
        np.testing.assert_allclose(theta[j], hist.theta, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(losses[-1, j], hist.epoch_losses[-1], rtol=1e-12)


def test_train_grid_freezes_a_diverging_configuration_and_the_others_go_on():
    big = np.array([[0.1], [1e9]])
    at, losses, dv, theta = compare.train_grid(LogisticRegression(), O.SGD(lr=big), X, Y, np.zeros((2, 4)),
                                               steps=20, batch_size=10, bound=1e3)
    assert dv[0] == -1 and dv[1] == 1
    assert np.all(np.isnan(losses[1:, 1])) and np.all(np.isfinite(losses[:, 0]))
    assert np.all(np.isfinite(theta)) and losses[-1, 0] < losses[0, 0]


def test_train_grid_schedule_multiplies_the_learning_rates():
    at, _, _, theta = compare.train_grid(LogisticRegression(), O.SGD(lr=np.array([[0.2]])), X, Y, np.zeros((1, 4)),
                                         steps=10, batch_size=50, schedule=lambda t: 0.5)
    hist = train(LogisticRegression(), O.SGD(lr=0.1), X, Y, np.zeros(4), epochs=10, batch_size=50)
    np.testing.assert_allclose(theta[0], hist.theta, rtol=1e-12)
    with pytest.raises(ValueError, match="Invalid schedule: Adadelta"):
        compare.train_grid(LogisticRegression(), O.Adadelta(), X, Y, np.zeros((1, 4)), steps=2, batch_size=5,
                           schedule=lambda t: 1.0)


def test_sgd_on_the_ravine_scores_its_exact_final_loss():
    # θ_T,i = (1 − η a_i)^T θ_0,i for SGD on ½ Σ a_i θ_i²: the final excess loss in closed form.
    obj, steps, lrs = Quadratic(), 50, np.array([0.01, 0.3, 0.9, 1.2])
    p = compare.function_problem(obj, steps, tol=1e-12, start=obj.start)
    c = compare.sweep([p], rules=["SGD"], lrs=lrs)
    a, th0 = np.array(obj.a), np.array(obj.start)
    exact = [0.5 * np.sum(a * ((1 - lr * a) ** steps * th0) ** 2) for lr in lrs[:3]]
    np.testing.assert_allclose(c.score()[0, 0, :3], np.maximum(exact, p.resolution), rtol=1e-9)
    assert p.resolution == 1e-14  # tol / 100 by default
    assert c.score()[0, 0, 3] == np.inf  # |1 − 1.2 · 2| > 1: diverged
    assert c.best_lr()[0, 0] == 0.9


def test_the_saddle_counts_escaping_as_success_and_blowing_up_in_x_as_failure():
    s = get("saddle")
    p = compare.function_problem(s, 400, tol=1e-9, start=s.start, floor=-1.0, escape=True)
    c = compare.sweep([p], rules=["SGD"], lrs=np.array([0.001, 0.1, 10.0]))
    e = c.score()[0, 0]
    # η = 0.001: y grows by 1.002 per step, not yet at J ≤ −1; η = 0.1 escapes (and runs off to −∞);
    # η = 10: x flips and grows by 19 per step, past the bound while x² ≫ y² (J → +∞).
    assert 0 < e[0] < np.inf and e[1] == p.resolution and e[2] == np.inf
    expected = int(np.ceil(np.log(1 / 1e-3) / np.log(1.2)))  # first t with y_t > 1 (then J < −1 soon after)
    assert expected <= c.steps_per_lr()[0, 0, 1] <= expected + 2


def _synthetic(excess, needed=None, lrs=None):
    excess = np.asarray(excess, dtype=float)
    R, P, S, K1 = excess.shape
    lrs = np.logspace(-3, 0, K1 - 1) if lrs is None else lrs
    needed = np.full(excess.shape, -1) if needed is None else np.asarray(needed)
    probs = [compare.Problem(f"p{j}", "", None, 0.0, 1e-3, 10) for j in range(P)]
    return compare.Comparison([f"r{i}" for i in range(R)], probs, lrs, 2.0, excess, needed, {})


def test_robustness_is_the_contiguous_run_of_good_learning_rates_around_the_best():
    # Grid of 7 (1e-3 … 1, half a decade apart) plus the default.
    e = [[[[np.inf, 8, 2, 1, 1.5, 3, 1.9, 4]]]]
    c = _synthetic(e)
    assert c.best()[0, 0] == 1 and c.best_index()[0, 0] == 3
    # Good (≤ 2 × best): indices 2, 3, 4 and 6; 6 is cut off by 5, so 3 points × 0.5 decades.
    np.testing.assert_array_equal(c.good()[0, 0], [False, False, True, True, True, False, True])
    assert c.robustness()[0, 0] == pytest.approx(1.5)
    assert c.robustness(factor=3.5)[0, 0] == pytest.approx(2.5)  # indices 2 to 6
    assert c.default_ratio()[0, 0] == 4


def test_seeds_average_and_a_diverged_seed_spoils_its_learning_rate():
    e = np.array([[[[1.0, 2.0, 1.0], [3.0, np.inf, 1.0]]]])
    c = _synthetic(e, lrs=np.array([0.1, 1.0]))
    c.problems[0] = compare.Problem("p0", "", None, 0.0, 1e-3, 10, seeds=2)
    np.testing.assert_array_equal(c.score()[0, 0], [2.0, np.inf, 1.0])
    assert c.seed_spread()[0, 0] == 3.0


def test_steps_to_tolerance_need_every_seed_and_take_the_fastest_learning_rate():
    needed = np.array([[[[10, 5, -1, 7], [12, -1, 3, 7]]]])
    c = _synthetic(np.ones(needed.shape), needed=needed, lrs=np.array([0.1, 0.2, 0.3]))
    c.problems[0] = compare.Problem("p0", "", None, 0.0, 1e-3, 10, seeds=2)
    np.testing.assert_array_equal(c.steps_per_lr()[0, 0], [12, -1, -1, 7])
    assert c.steps_to_tol()[0, 0] == 12
    assert c.table("steps").rows[0][1] == "12"


def test_ranks_order_by_best_loss_then_by_speed_and_share_full_ties():
    e = np.array([[[[1.0, 1.0]]], [[[1e-3, 1e-3]]], [[[1e-3, 1e-3]]], [[[1.0, 1.0]]]])
    needed = np.array([[[[-1, -1]]], [[[50, 50]]], [[[20, 20]]], [[[-1, -1]]]])
    c = _synthetic(e, needed=needed, lrs=np.array([0.1]))
    np.testing.assert_array_equal(c.ranks()[:, 0], [3.5, 2, 1, 3.5])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1e-6, 1e6), min_size=3, max_size=12), st.floats(1, 5), st.floats(0, 5))
def test_robustness_grows_with_the_factor(scores, f, extra):
    c = _synthetic([[[scores + [1.0]]]])
    assert c.robustness(factor=f + extra)[0, 0] >= c.robustness(factor=f)[0, 0] >= c.decades


def test_logistic_floor_is_the_regularised_minimum():
    lam = 1e-2
    theta = compare._logistic_minimum(X, Y, lam)
    ridge = compare._Ridge(LogisticRegression(), lam)
    np.testing.assert_allclose(ridge.grad(theta, X, Y), 0, atol=1e-10)
    p = compare.model_problem("toy", LogisticRegression(), type("D", (), {"X": X, "y": Y})(), 10, tol=1e-3,
                              batch_size=10, lam=lam)
    assert p.floor == pytest.approx(ridge.loss(theta, X, Y)) and p.stochastic


def test_a_small_sweep_over_every_kind_of_problem_gives_finite_tables():
    d = type("D", (), {"X": X, "y": Y})()
    probs = [compare.function_problem("ravine", 30, tol=1e-3, start=(-9.0, 2.0)),
             compare.function_problem("styblinski-tang", 30, tol=1e-3, seeds=2),
             compare.model_problem("toy", LogisticRegression(), d, 12, tol=1e-2, batch_size=10, seeds=2, lam=1e-2)]
    c = compare.sweep(probs, rules=["SGD", "Adam", "Adadelta"], lrs=np.logspace(-3, 0, 7))
    assert c.excess.shape == (3, 3, 2, 8) and np.isnan(c.excess[:, 0, 1]).all()
    assert np.all(np.isfinite(c.best())) and np.all(c.robustness() > 0)
    t = c.table("best")
    assert t.header == ["rule", "ravine", "styblinski-tang", "toy"] and t.column("rule") == ["SGD", "Adam", "Adadelta"]
    assert t._repr_html_().startswith("<table") and "<td style=\"padding:2px 6px\">Adam</td>" in t._repr_html_() and t.to_markdown().count("\n") == 4
    steps, losses = c.curves[("Adam", "toy")]
    assert losses.shape == (len(steps), 2, 8)
    # A schedule anneals every learning rate of the grid: SGD at η / t on the ravine, by hand.
    annealed = compare.sweep(probs[:1], rules=["SGD"], lrs=[0.5], schedule=lambda t: 1.0 / t)
    theta = np.array([-9.0, 2.0])
    for t in range(1, 31):
        theta = theta - 0.5 / t * Quadratic().grad(theta)
    assert annealed.score()[0, 0, 0] == pytest.approx(max(Quadratic().value(theta), 1e-5))
    with pytest.raises(ValueError, match="Invalid schedule: Adadelta"):
        compare.sweep(probs[:1], rules=["Adadelta"], lrs=[0.1], schedule=lambda t: 1.0)
    with pytest.raises(ValueError, match="Invalid metric"):
        c.table("speed")


def test_the_rules_table_is_generated_from_the_optimizer_classes():
    t = compare.rules_table()
    assert t.column("rule") == list(O.RULES)
    adam = t.rows[list(O.RULES).index("Adam")]
    assert adam[1] == "2 (m, v)" and "beta2 = 0.999" in adam[2]
    assert t.rows[0][1] == "0 (none)"


def test_suite_sizes_and_bad_input():
    names = [p.name for p in compare.suite()]
    assert names == ["ravine", "rosenbrock", "beale", "saddle", "styblinski-tang", "logistic", "sparse", "mlp"]
    with pytest.raises(ValueError, match="Invalid size: 'huge'"):
        compare.suite("huge")
    with pytest.raises(ValueError, match="Invalid floor"):
        compare.function_problem("saddle", 10, tol=1e-3)
    with pytest.raises(ValueError, match="Invalid factor"):
        compare.sweep([compare.function_problem("ravine", 5, tol=1e-3)], rules=["SGD"], factor=0.5)


class MyRMSprop(O.Optimizer):
    """One's own rule in the comparison: an Optimizer subclass with the update hook."""

    defaults = {"lr": 0.001, "gamma": 0.9, "eps": 1e-8}
    state_names = ("Eg2",)

    def update(self, theta, grad_fn, s):
        g = grad_fn(theta)
        s["Eg2"] = self.gamma * s["Eg2"] + (1 - self.gamma) * g**2
        return theta - self.lr / np.sqrt(s["Eg2"] + self.eps) * g


class DuckSGD:
    """One's own rule without the base class: its constructor's keyword defaults are its defaults."""

    def __init__(self, lr=0.01):
        self.lr = lr

    def reset(self):
        pass

    def step(self, theta, grad_fn):
        return theta - self.lr * grad_fn(theta)


def test_ones_own_rules_run_in_the_comparison_beside_the_builtin_ones():
    probs = [compare.function_problem("ravine", 30, tol=1e-3, start=(-9.0, 2.0)),
             compare.model_problem("toy", LogisticRegression(), type("D", (), {"X": X, "y": Y})(), 10, tol=1e-3,
                                   batch_size=5, seeds=1, floor=0.0)]
    c = compare.sweep(probs, rules=["RMSprop", MyRMSprop, "SGD", DuckSGD], lrs=np.logspace(-3, 0, 4))
    assert c.rules == ["RMSprop", "MyRMSprop", "SGD", "DuckSGD"]
    np.testing.assert_allclose(c.excess[1], c.excess[0], rtol=1e-12)
    np.testing.assert_allclose(c.excess[3], c.excess[2], rtol=1e-12)
    assert c.defaults["DuckSGD"] == {"lr": 0.01} and c.table("best").column("rule")[3] == "DuckSGD"


def test_the_comparison_refuses_an_instance_for_a_rule():
    with pytest.raises(ValueError, match="got an instance of RMSprop"):
        compare.grid_hyperparams(O.RMSprop(), np.array([0.1]))
