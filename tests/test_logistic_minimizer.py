"""LogisticRegression.minimizer: Newton's reference fit zeroes the gradient and agrees with scikit-learn."""
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogistic

from gdcourse.datasets import breast_cancer, sparse_classification
from gdcourse.models import LogisticRegression

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
