"""loops.train with a learning-rate schedule: eta_t is set before every update, counted across epochs."""
import numpy as np
import pytest

import gdcourse.optimizers as O
from gdcourse import schedules as S
from gdcourse.loops import train
from gdcourse.models import LinearRegression

rng = np.random.default_rng(1)
X = rng.normal(size=(12, 2))
Y = X @ np.array([1.0, -1.0]) + 0.5 + 0.2 * rng.normal(size=12)


def test_without_a_schedule_nothing_changes():
    a = train(LinearRegression(), O.SGD(lr=0.05), X, Y, np.zeros(3), epochs=3, batch_size=4)
    b = train(LinearRegression(), O.SGD(lr=0.05), X, Y, np.zeros(3), epochs=3, batch_size=4, schedule=None)
    np.testing.assert_array_equal(a.theta, b.theta)


def test_a_constant_schedule_is_the_same_as_a_fixed_learning_rate():
    a = train(LinearRegression(), O.SGD(lr=0.05), X, Y, np.zeros(3), epochs=4, batch_size=3)
    b = train(LinearRegression(), O.SGD(lr=0.7), X, Y, np.zeros(3), epochs=4, batch_size=3,
              schedule=S.Constant(0.05))
    np.testing.assert_array_equal(a.theta, b.theta)


def test_the_schedule_sets_eta_t_before_each_update_counted_across_epochs():
    model, sched = LinearRegression(), S.InverseTimeDecay(0.2, k=0.5)
    hist = train(model, O.SGD(), X, Y, np.zeros(3), epochs=3, batch_size=12, order="fixed", schedule=sched)
    # Batch gradient descent by hand: update t uses eta_t = 0.2 / (1 + 0.5 (t - 1)).
    theta = np.zeros(3)
    for t in (1, 2, 3):
        theta = theta - sched(t) * model.grad(theta, X, Y)
    np.testing.assert_allclose(hist.theta, theta, rtol=1e-14)


def test_the_optimizer_is_left_at_the_last_scheduled_rate():
    opt = O.SGD(lr=1.0)
    train(LinearRegression(), opt, X, Y, np.zeros(3), epochs=2, batch_size=5, schedule=S.StepDecay(0.1, 0.5, 2))
    # 3 updates per epoch, 6 in all: eta_6 = 0.1 * 0.5 ** ((6 - 1) // 2).
    assert opt.lr == pytest.approx(0.1 * 0.5**2)


def test_a_schedule_giving_a_bad_rate_fails_early_with_the_name():
    with pytest.raises(ValueError, match="Invalid lr"):
        train(LinearRegression(), O.SGD(), X, Y, np.zeros(3), epochs=1, batch_size=4, schedule=lambda t: -1.0)
