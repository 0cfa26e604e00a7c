"""gdcourse.schedules: the learning-rate schedules follow their formulas and refuse bad settings."""

import numpy as np
import pytest

import gdcourse.optimizers as O
from gdcourse import schedules as S
from gdcourse.objectives import get, Quadratic
from gdcourse.run import run, run_grid, run_many


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
