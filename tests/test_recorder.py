"""Recorder: the state of a rule after every step, through run() and train()."""
import numpy as np
import pytest

import gdcourse.optimizers as O
from gdcourse.loops import train
from gdcourse.models import LinearRegression
from gdcourse.objectives import Quadratic
from gdcourse.run import run
from gdcourse.schedules import InverseTimeDecay


def test_recorded_adagrad_state_is_the_running_sum_of_squared_gradients():
    obj = Quadratic()
    rec = O.Recorder(O.Adagrad(lr=0.5))
    traj = run(rec, obj, obj.start, 20)
    g = obj.grad(traj.thetas[:-1])
    h = rec.history
    assert h["G"].shape == (20, 2) and h["dtheta"].shape == (20, 2)
    np.testing.assert_allclose(h["G"], np.cumsum(g**2, axis=0))
    np.testing.assert_allclose(h["dtheta"], np.diff(traj.thetas, axis=0))
    np.testing.assert_array_equal(h["G"][-1], rec.state["G"])


def test_recording_does_not_change_the_run():
    obj = Quadratic()
    plain = run(O.Adadelta(), obj, obj.start, 30)
    rec = O.Recorder(O.Adadelta())
    recorded = run(rec, obj, obj.start, 30)
    np.testing.assert_array_equal(plain.thetas, recorded.thetas)
    assert set(rec.history) == {"Eg2", "Edtheta2", "dtheta"}


def test_reset_forgets_and_hyperparameters_pass_through_to_the_rule():
    rec = O.Recorder(O.RMSprop(lr=0.01))
    assert rec.lr == 0.01 and rec.gamma == 0.9
    rec.step(np.ones(2), lambda th: th)
    assert len(rec.history["Eg2"]) == 1 and rec.state["t"] == 1
    rec.reset()
    assert len(rec.history["Eg2"]) == 0 and rec.state["t"] == 0
    rec.lr = 0.5
    assert rec.optimizer.lr == 0.5
    with pytest.raises(ValueError, match="Invalid lr: -1"):
        rec.lr = -1


def test_a_schedule_and_the_training_loop_drive_the_wrapped_rule():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = X @ np.array([1.0, -1.0])
    rec = O.Recorder(O.SGD(lr=0.1))
    hist = train(LinearRegression(), rec, X, y, np.zeros(3), epochs=2, batch_size=10,
                 schedule=InverseTimeDecay(0.1, k=1.0))
    assert rec.history["dtheta"].shape == (6, 3)
    assert rec.optimizer.lr == pytest.approx(0.1 / 6)
    np.testing.assert_allclose(rec.history["dtheta"].sum(axis=0), hist.theta)


def test_only_an_optimizer_can_be_recorded():
    with pytest.raises(ValueError, match="Invalid optimizer"):
        O.Recorder("Adam")
