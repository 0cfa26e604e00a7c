"""The Momentum and NAG figures: Image 4's arrows add up to the rules' real steps; sweeps show what ran."""
import numpy as np
import pytest
from matplotlib.figure import Figure

import gdcourse.optimizers as O
from gdcourse import plotting
from gdcourse.objectives import Quadratic, Rosenbrock
from gdcourse.run import run_grid, steps_to


def _state_after(rule, objective, steps, **hp):
    opt = rule(**hp)
    theta = np.asarray(objective.start, dtype=np.float64)
    for _ in range(steps):
        theta = opt.step(theta, objective.grad)
    return opt, theta


@pytest.mark.parametrize("objective", [Quadratic(), Rosenbrock()])
def test_nesterov_arrows_end_where_nag_and_momentum_step(objective):
    hp = dict(lr=1e-3 if objective.name == "rosenbrock" else 0.1, gamma=0.9)
    nag, theta = _state_after(O.NAG, objective, 4, **hp)
    gamma_v = nag.gamma * nag.state["v"]
    ahead = nag.lr * objective.grad(theta - gamma_v)
    here = nag.lr * objective.grad(theta)
    mom = O.Momentum(**hp)
    mom.load_state_dict(nag.state_dict())

    ax = Figure().subplots()
    drawn = plotting.nesterov_arrows(ax, theta, gamma_v, ahead, here)

    nag_next, mom_next = nag.step(theta, objective.grad), mom.step(theta, objective.grad)
    np.testing.assert_allclose(drawn["jump"][1], theta - gamma_v)
    np.testing.assert_allclose(drawn["correction"][0], drawn["jump"][1])
    np.testing.assert_allclose(drawn["correction"][1], nag_next, rtol=1e-12)
    np.testing.assert_allclose(drawn["nag"][1], nag_next, rtol=1e-12)
    np.testing.assert_allclose(drawn["momentum_gradient"][1], theta - here)
    np.testing.assert_allclose(drawn["momentum_jump"][1], mom_next, rtol=1e-12)
    # Zoomed to the arrows: every end point is inside the axes.
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for start, end in drawn.values():
        assert x0 < end[0] < x1 and y0 < end[1] < y1


def test_nesterov_arrows_without_momentum_draws_three_arrows():
    drawn = plotting.nesterov_arrows(Figure().subplots(), [0.0, 0.0], [1.0, 0.0], [0.0, 0.5], legend=False)
    assert set(drawn) == {"jump", "correction", "nag"}
    np.testing.assert_allclose(drawn["nag"][1], [-1.0, -0.5])


@pytest.mark.parametrize("bad", [[1.0], [np.nan, 0.0], "ab"])
def test_nesterov_arrows_rejects_bad_vectors(bad):
    with pytest.raises(ValueError, match="Invalid gamma_v"):
        plotting.nesterov_arrows(Figure().subplots(), [0.0, 0.0], bad, [0.0, 0.5])


def test_plot_sweep_draws_steps_to_tolerance_and_marks_divergence():
    obj = Quadratic()
    lrs = np.array([0.05, 0.5, 1.2, 2.5])  # the last one diverges for Momentum (eta * 2 > 2 (1 + gamma))
    runs = {"Momentum": run_grid("Momentum", obj, obj.start, 300, lr=lrs, gamma=0.9)}
    ax = Figure().subplots()
    out = plotting.plot_sweep(ax, lrs, runs, obj.min_value, 1e-6)
    expected = steps_to(runs["Momentum"], obj.min_value, 1e-6)
    np.testing.assert_array_equal(out["Momentum"], expected)
    line, crosses = ax.lines
    np.testing.assert_array_equal(line.get_ydata(), np.where(expected >= 0, expected, np.nan))
    np.testing.assert_array_equal(crosses.get_xdata(), lrs[runs["Momentum"].diverged])
    assert runs["Momentum"].diverged.tolist() == [False, False, False, True]


def test_plot_sweep_rejects_runs_of_another_length():
    obj = Quadratic()
    runs = {"SGD": run_grid("SGD", obj, obj.start, 10, lr=[0.1, 0.2])}
    with pytest.raises(ValueError, match="Invalid runs"):
        plotting.plot_sweep(Figure().subplots(), [0.1, 0.2, 0.3], runs, 0.0, 1e-3)


def test_sweep_heatmap_greys_out_configurations_that_never_arrive():
    fig = Figure()
    ax = fig.subplots()
    needed = np.array([[3, -1, 10], [-1, 7, 1]])
    mesh = plotting.sweep_heatmap(ax, [0.1, 0.2, 0.3], [0.0, 0.9], needed)
    arr = mesh.get_array()
    assert np.ma.count_masked(arr) == 2 and arr.min() == 1 and arr.max() == 10
    assert len(fig.axes) == 2  # the map and its colour bar
    with pytest.raises(ValueError, match="Invalid needed"):
        plotting.sweep_heatmap(ax, [0.1, 0.2], [0.0, 0.9], needed)
