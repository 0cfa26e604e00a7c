"""DropoutMLP: inverted dropout on the hidden layers of an MLP (gdcourse.nn)."""
import numpy as np
import pytest

import gdcourse
from gdcourse import gradcheck
from gdcourse.loops import train
from gdcourse.nn import MLP, DropoutMLP

rng = np.random.default_rng(0)
X, y = rng.normal(size=(12, 5)), rng.integers(0, 3, 12)
SIZES = (5, 7, 6, 3)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("batchnorm", [False, True])
def test_masked_grad_matches_finite_differences(activation, batchnorm):
    net = DropoutMLP(SIZES, activation, batchnorm=batchnorm, p=0.3, seed=1)
    theta = net.init(0) + 0.1 * rng.normal(size=net.n_params)
    masks = net.masks((), len(X))
    err = gradcheck.grad_error(lambda t: net.masked_loss(t, X, y, masks),
                               lambda t: net.masked_grad(t, X, y, masks), theta)
    assert err < 1e-6


@pytest.mark.parametrize("batchnorm", [False, True])
def test_p_zero_is_the_plain_mlp(batchnorm):
    net, plain = DropoutMLP(SIZES, "relu", batchnorm=batchnorm, p=0.0), MLP(SIZES, "relu", batchnorm=batchnorm)
    theta = net.init(0) + 0.1 * rng.normal(size=net.n_params)
    np.testing.assert_array_equal(net.grad(theta, X, y), plain.grad(theta, X, y))
    np.testing.assert_array_equal(net.loss(theta, X, y), plain.loss(theta, X, y))


def test_masks_keep_the_expected_output():
    net = DropoutMLP((5, 400, 3), p=0.25, seed=3)
    (m,) = net.masks((2,), 50)
    assert m.shape == (2, 50, 400) and set(np.unique(m)) == {0.0, 1 / 0.75}
    assert abs(m.mean() - 1) < 0.02 and abs((m == 0).mean() - 0.25) < 0.02


def test_fresh_masks_every_call_and_seeded():
    a, b = DropoutMLP(SIZES, p=0.5, seed=7), DropoutMLP(SIZES, p=0.5, seed=7)
    theta = a.init(0)
    g1, g2 = a.grad(theta, X, y), a.grad(theta, X, y)
    assert not np.allclose(g1, g2)                            # a new mask each call
    np.testing.assert_array_equal(g1, b.grad(theta, X, y))    # the same seed, the same masks


def test_grid_of_networks_trains():
    net = DropoutMLP((5, 8, 3), "relu", p=0.2, seed=0)
    starts = np.stack([net.init(s) for s in range(3)])
    h = train(net, gdcourse.SGD(lr=np.array([[0.05], [0.1], [0.2]])), X, y, starts, epochs=20, batch_size=4, seed=0)
    assert h.theta.shape == starts.shape and np.all(h.epoch_losses[-1] < h.epoch_losses[0])


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, np.nan, "0.5", True])
def test_invalid_p(p):
    with pytest.raises(ValueError, match="Invalid p"):
        DropoutMLP(SIZES, p=p)


@pytest.mark.parametrize("seed", [-1, 0.5, "1"])
def test_invalid_seed(seed):
    with pytest.raises(ValueError, match="Invalid seed"):
        DropoutMLP(SIZES, seed=seed)
