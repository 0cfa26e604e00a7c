"""The runner (trajectories, divergence as a result) and the learning-rate schedules."""
import numpy as np
import pytest

import gdcourse.optimizers as O
from gdcourse import schedules as S
from gdcourse.objectives import Quadratic, get
from gdcourse.run import run, run_grid, run_many


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


def test_schedules_follow_their_formulas():
    t = np.arange(1, 31)
    np.testing.assert_allclose(S.StepDecay(0.8, drop=0.5, every=10)(t), 0.8 * 0.5 ** ((t - 1) // 10))
    np.testing.assert_allclose(S.ExponentialDecay(0.8, k=0.1)(t), 0.8 * np.exp(-0.1 * (t - 1)))
    np.testing.assert_allclose(S.InverseTimeDecay(0.8, k=0.5)(t), 0.8 / (1 + 0.5 * (t - 1)))
    assert S.Constant(0.3)(7) == 0.3
    for sched in (S.StepDecay(1.0), S.ExponentialDecay(1.0), S.InverseTimeDecay(1.0)):
        assert sched(1) == 1.0 and np.all(np.diff(sched(t)) <= 0)


@pytest.mark.parametrize("make,match", [
    (lambda: S.StepDecay(-1.0), "Invalid lr0"), (lambda: S.StepDecay(1.0, drop=2.0), "Invalid drop"),
    (lambda: S.StepDecay(1.0, every=0), "Invalid every"), (lambda: S.ExponentialDecay(1.0, k=0), "Invalid k"),
    (lambda: S.InverseTimeDecay(float("nan")), "Invalid lr0"),
])
def test_bad_schedule_settings_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()
