"""AdamW (decoupled weight decay) against hand-computed steps, and the l2-regularised model it is compared with."""
import math

import numpy as np
import pytest

import gdcourse.optimizers as O
from gdcourse.models import L2Regularized, LinearRegression

A = np.array([0.5, 2.0])
THETA0 = np.array([1.0, -2.0])


def grad(theta):
    return A * theta


def test_adamw_is_not_one_of_the_texts_rules_and_has_adams_state():
    assert "AdamW" not in O.RULES
    opt = O.AdamW()
    assert opt.hyperparams == {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}
    assert set(opt.state) == {"t", "m", "v"}


def test_adamw_first_two_steps_by_hand():
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.999, 1e-8, 0.2
    opt = O.AdamW(lr=lr, beta1=b1, beta2=b2, eps=eps, weight_decay=wd)
    theta = THETA0.copy()
    by_hand = []
    for a, th in zip(A.tolist(), THETA0.tolist()):
        m = v = 0.0
        path = []
        for t in (1, 2):
            g = a * th
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            mh, vh = m / (1 - b1**t), v / (1 - b2**t)
            th = th - lr * (mh / (math.sqrt(vh) + eps) + wd * th)
            path.append(th)
        by_hand.append(path)
    for t in range(2):
        theta = opt.step(theta, grad)
        np.testing.assert_allclose(theta, [by_hand[0][t], by_hand[1][t]], rtol=1e-14)
    # Step 1 by hand in closed form: m-hat / sqrt(v-hat) = sign(g), so theta_1 = theta_0 - lr (sign g + wd theta_0).
    np.testing.assert_allclose(O.AdamW(lr=lr, weight_decay=wd, eps=0.0).step(THETA0, grad),
                               THETA0 - lr * (np.sign(A * THETA0) + wd * THETA0), rtol=1e-14)


def test_adamw_with_zero_decay_is_adam():
    a, b = O.AdamW(lr=0.05, weight_decay=0.0), O.Adam(lr=0.05)
    ta = tb = THETA0
    for _ in range(5):
        ta, tb = a.step(ta, grad), b.step(tb, grad)
    np.testing.assert_array_equal(ta, tb)


def test_with_a_zero_gradient_adamw_shrinks_by_a_constant_factor_and_adam_with_l2_by_a_fixed_step():
    zero = lambda th: np.zeros_like(th)
    theta = np.array([1.0, 100.0])
    opt = O.AdamW(lr=0.01, weight_decay=0.1)
    after = opt.step(theta, zero)
    np.testing.assert_allclose(after, theta * (1 - 0.01 * 0.1))
    # The same decay as an l2 gradient inside Adam: m-hat/sqrt(v-hat) = 1, a step of lr whatever the size.
    l2 = O.Adam(lr=0.01, eps=0.0).step(theta, lambda th: 0.1 * th)
    np.testing.assert_allclose(theta - l2, [0.01, 0.01])


def test_weight_decay_is_validated():
    with pytest.raises(ValueError, match="Invalid weight_decay: -0.1"):
        O.AdamW(weight_decay=-0.1)


def test_l2_regularized_model_adds_the_penalty_and_its_gradient():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 2)), rng.normal(size=10)
    base, reg = LinearRegression(), L2Regularized(LinearRegression(), 0.3)
    theta = rng.normal(size=3)
    assert reg.loss(theta, X, y) == pytest.approx(base.loss(theta, X, y) + 0.15 * theta @ theta)
    np.testing.assert_allclose(reg.grad(theta, X, y), base.grad(theta, X, y) + 0.3 * theta)
    np.testing.assert_allclose(reg.predict(theta, X), base.predict(theta, X))
    with pytest.raises(ValueError, match="Invalid weight_decay"):
        L2Regularized(base, -1.0)


def test_sgd_on_the_l2_model_is_sgd_with_weight_decay():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 2)), rng.normal(size=10)
    model, theta = LinearRegression(), rng.normal(size=3)
    reg = L2Regularized(model, 0.3)
    step = O.SGD(lr=0.1).step(theta, lambda th: reg.grad(th, X, y))
    np.testing.assert_allclose(step, (1 - 0.1 * 0.3) * theta - 0.1 * model.grad(theta, X, y))
