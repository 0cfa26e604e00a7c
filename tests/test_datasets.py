"""gdcourse.datasets: the real data sets, and the generated sparse classification data."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gdcourse.optimizers as O
from gdcourse import datasets, gradcheck
from gdcourse.datasets import sparse_classification
from gdcourse.loops import epoch_order, get_batches, train
from gdcourse.models import LinearRegression, LogisticRegression


rng = np.random.default_rng(0)


X = rng.normal(size=(40, 3))


Y_REG = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=40)


Y_CLS = (Y_REG > 0).astype(float)


@pytest.mark.parametrize("load,n,p", [(datasets.breast_cancer, 569, 30), (datasets.diabetes, 442, 10),
                                      (datasets.digits, 1797, 64)])
def test_real_data_sets_load_standardised(load, n, p):
    d = load()
    assert d.X.shape == (n, p) and d.y.shape == (n,)
    np.testing.assert_allclose(d.X.mean(axis=0), 0, atol=1e-10)
    train_set, val = d.split(0.25, seed=0)
    assert train_set.n + val.n == n and abs(val.n - n / 4) <= 1



# --- Sparse classification: frequencies, labels, reproducibility, bad input -------------------

FREQS = np.array([0.5, 0.1, 0.01])


def test_features_are_zero_one_and_present_at_their_frequencies():
    d = sparse_classification(20000, FREQS, seed=1)
    assert d.X.shape == (20000, 3) and set(np.unique(d.X)) == {0.0, 1.0}
    # Binomial standard error of each frequency is below 0.004 here: 4 of them is a safe margin.
    np.testing.assert_allclose(d.X.mean(axis=0), FREQS, atol=4 * np.sqrt(0.25 / 20000))
    assert len(d.feature_names) == 3 and "f=0.01" in d.feature_names[2]


def test_labels_follow_the_logistic_model_with_the_true_parameters():
    d = sparse_classification(20000, FREQS, seed=2)
    assert set(np.unique(d.y)) <= {0.0, 1.0}
    np.testing.assert_array_equal(np.abs(d.theta_true[:-1]), 2.0)
    assert d.theta_true[-1] == 0.0
    # Among examples with only feature 0 present, P(y = 1) = σ(w*_0).
    only0 = (d.X[:, 0] == 1) & (d.X[:, 1:].sum(axis=1) == 0)
    p = 1 / (1 + np.exp(-d.theta_true[0]))
    assert abs(d.y[only0].mean() - p) < 4 * np.sqrt(p * (1 - p) / only0.sum())
    # The true parameters explain the labels better than knowing nothing does.
    model = LogisticRegression()
    assert model.loss(d.theta_true, d.X, d.y) < model.loss(np.zeros(4), d.X, d.y)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 50), seed=st.integers(0, 2**31 - 1))
def test_same_seed_gives_the_same_data_and_split_keeps_the_true_parameters(n, seed):
    a, b = sparse_classification(n, FREQS, seed), sparse_classification(n, FREQS, seed)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.theta_true, b.theta_true)
    if n >= 2:
        train, val = a.split(0.5, seed=0)
        assert train.n + val.n == n
        np.testing.assert_array_equal(train.theta_true, a.theta_true)


@pytest.mark.parametrize("n,freqs,match", [
    (0, FREQS, "Invalid n: 0"),
    (True, FREQS, "Invalid n: True"),
    (10, [0.5, 0.0], "Invalid frequencies"),
    (10, [1.5], "Invalid frequencies"),
    (10, [], "Invalid frequencies"),
    (10, [[0.5]], "Invalid frequencies"),
])
def test_bad_input_is_refused_with_the_name_and_value(n, freqs, match):
    with pytest.raises(ValueError, match=match):
        sparse_classification(n, freqs)
