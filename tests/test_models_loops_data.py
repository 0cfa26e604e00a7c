"""Models (gradient-checked), the three gradient descent loops, and the real data sets."""
import numpy as np
import pytest

import gdcourse.optimizers as O
from gdcourse import datasets, gradcheck
from gdcourse.loops import epoch_order, get_batches, train
from gdcourse.models import LinearRegression, LogisticRegression

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3))
Y_REG = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=40)
Y_CLS = (Y_REG > 0).astype(float)


@pytest.mark.parametrize("model,y", [(LinearRegression(), Y_REG), (LogisticRegression(), Y_CLS)])
def test_model_gradients_pass_the_gradient_check(model, y):
    theta = rng.normal(size=4)
    gradcheck.check_grad(lambda th: model.loss(th, X, y), lambda th: model.grad(th, X, y), theta)


@pytest.mark.parametrize("model,y", [(LinearRegression(), Y_REG), (LogisticRegression(), Y_CLS)])
def test_models_are_vectorised_over_parameter_grids(model, y):
    thetas = rng.normal(size=(5, 4))
    np.testing.assert_allclose(model.loss(thetas, X, y), [model.loss(t, X, y) for t in thetas])
    np.testing.assert_allclose(model.grad(thetas, X, y), [model.grad(t, X, y) for t in thetas])


def test_wrong_parameter_length_is_refused():
    with pytest.raises(ValueError, match="n_features \\+ 1 = 4"):
        LinearRegression().loss(np.zeros(3), X, Y_REG)


def test_get_batches_covers_the_order_once():
    order = np.arange(10)
    batches = get_batches(order, 4)
    assert [len(b) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate(batches), order)
    with pytest.raises(ValueError, match="Invalid batch_size: 0"):
        get_batches(order, 0)


def test_shuffle_gives_a_new_permutation_each_epoch_and_fixed_does_not():
    r = np.random.default_rng(0)
    a, b = epoch_order(20, 0, r), epoch_order(20, 1, r)
    assert sorted(a) == list(range(20)) and not np.array_equal(a, b)
    np.testing.assert_array_equal(epoch_order(5, 3, r, "fixed"), np.arange(5))
    with pytest.raises(ValueError, match="Invalid order"):
        epoch_order(5, 0, r, "sorted")


@pytest.mark.parametrize("batch_size,lr", [(40, 0.5), (1, 0.05), (8, 0.1)])
def test_batch_stochastic_and_minibatch_descent_fit_linear_regression(batch_size, lr):
    hist = train(LinearRegression(), O.SGD(lr=lr), X, Y_REG, np.zeros(4), epochs=60,
                 batch_size=batch_size)
    updates = -(-40 // batch_size) * 60
    assert len(hist.batch_losses) == updates and len(hist.epoch_losses) == 61
    assert hist.epoch_losses[-1] < 0.02 and hist.diverged_at == -1
    assert np.all(np.diff(hist.epoch_times) >= 0)


def test_batch_descent_with_sgd_is_exactly_the_texts_batch_update():
    model = LinearRegression()
    hist = train(model, O.SGD(lr=0.1), X, Y_REG, np.zeros(4), epochs=3, batch_size=40, order="fixed")
    theta = np.zeros(4)
    for _ in range(3):
        theta = theta - 0.1 * model.grad(theta, X, Y_REG)
    np.testing.assert_allclose(hist.theta, theta, rtol=1e-14)


def test_training_that_diverges_reports_it():
    hist = train(LinearRegression(), O.SGD(lr=50.0), X, Y_REG, np.zeros(4), epochs=50, batch_size=40)
    assert hist.diverged_at > 0 and hist.describe().startswith("diverged at update")
    assert np.all(np.isfinite(hist.theta))


def test_same_seed_same_run():
    a = train(LogisticRegression(), O.Adam(lr=0.05), X, Y_CLS, np.zeros(4), epochs=3, batch_size=5, seed=4)
    b = train(LogisticRegression(), O.Adam(lr=0.05), X, Y_CLS, np.zeros(4), epochs=3, batch_size=5, seed=4)
    np.testing.assert_array_equal(a.batch_losses, b.batch_losses)


@pytest.mark.parametrize("load,n,p", [(datasets.breast_cancer, 569, 30), (datasets.diabetes, 442, 10),
                                      (datasets.digits, 1797, 64)])
def test_real_data_sets_load_standardised(load, n, p):
    d = load()
    assert d.X.shape == (n, p) and d.y.shape == (n,)
    np.testing.assert_allclose(d.X.mean(axis=0), 0, atol=1e-10)
    train_set, val = d.split(0.25, seed=0)
    assert train_set.n + val.n == n and abs(val.n - n / 4) <= 1


def test_logistic_regression_learns_breast_cancer():
    d = datasets.breast_cancer()
    model = LogisticRegression()
    hist = train(model, O.SGD(lr=0.1), d.X, d.y, np.zeros(31), epochs=20, batch_size=32)
    assert model.accuracy(hist.theta, d.X, d.y) > 0.95
