"""gdcourse.models: gradient-checked, vectorised over grids; the logistic minimizer (Newton's reference fit)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogistic

import gdcourse.optimizers as O
from gdcourse import datasets, gradcheck
from gdcourse.datasets import breast_cancer, sparse_classification
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


def test_logistic_regression_learns_breast_cancer():
    d = datasets.breast_cancer()
    model = LogisticRegression()
    hist = train(model, O.SGD(lr=0.1), d.X, d.y, np.zeros(31), epochs=20, batch_size=32)
    assert model.accuracy(hist.theta, d.X, d.y) > 0.95



# --- LogisticRegression.minimizer: zeroes the gradient, agrees with scikit-learn --------------

model = LogisticRegression()


def test_minimizer_zeroes_the_gradient_and_matches_scikit_learn_on_sparse_data():
    d = sparse_classification(1000, np.geomspace(0.5, 0.02, 8), seed=3)
    theta = model.minimizer(d.X, d.y)
    assert np.max(np.abs(model.grad(theta, d.X, d.y))) < 1e-10
    ref = SkLogistic(C=np.inf, tol=1e-12, max_iter=10_000).fit(d.X, d.y)
    np.testing.assert_allclose(theta, np.append(ref.coef_[0], ref.intercept_[0]), atol=1e-4)


def test_minimizer_beats_every_nearby_point():
    d = sparse_classification(500, [0.5, 0.2, 0.1], seed=4)
    theta = model.minimizer(d.X, d.y)
    rng = np.random.default_rng(0)
    nearby = theta + 1e-3 * rng.normal(size=(50, theta.size))
    assert np.all(model.loss(nearby, d.X, d.y) > model.loss(theta, d.X, d.y))


def test_minimizer_of_one_feature_matches_the_closed_form():
    # One binary feature: the fit reproduces the label frequency in each group exactly.
    X = np.array([[0.0]] * 4 + [[1.0]] * 4)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0], dtype=float)
    b = np.log(0.25 / 0.75)
    w = np.log(0.75 / 0.25) - b
    np.testing.assert_allclose(model.minimizer(X, y), [w, b], atol=1e-9)


def test_separable_data_have_no_finite_minimizer():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="Invalid data"):
        model.minimizer(X, y, max_iter=30)


def test_minimizer_handles_standardised_real_data():
    d = breast_cancer()
    X = d.X[:, :5]
    theta = model.minimizer(X, d.y)
    assert np.max(np.abs(model.grad(theta, X, d.y))) < 1e-10


def test_a_feature_separating_its_own_examples_has_no_finite_minimizer():
    # Feature 1 occurs only in positive examples: its weight would have to be +inf.
    d = sparse_classification(400, [0.5, 0.3], seed=5)
    X = np.column_stack([d.X, np.zeros(400)])
    X[:5, 2] = 1.0
    y = d.y.copy()
    y[:5] = 1.0
    with pytest.raises(ValueError, match="Invalid data"):
        model.minimizer(X, y)


def test_a_constant_feature_has_no_unique_minimizer():
    d = sparse_classification(100, [0.5], seed=6)
    with pytest.raises(ValueError, match="Invalid X"):
        model.minimizer(np.column_stack([d.X, np.ones(100)]), d.y)
