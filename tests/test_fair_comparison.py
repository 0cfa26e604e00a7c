"""steps_to and best_lr: when a run gets within a tolerance of the minimum and stays there."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gdcourse.optimizers as O
from gdcourse.objectives import Quadratic
from gdcourse.run import Trajectory, best_lr, run, run_grid, steps_to


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
