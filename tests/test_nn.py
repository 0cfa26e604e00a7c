"""The multilayer perceptron: backpropagation against finite differences, grids, training."""
import numpy as np
import pytest

import gdcourse.optimizers as O
from gdcourse import datasets, gradcheck
from gdcourse.loops import train
from gdcourse.nn import MLP

rng = np.random.default_rng(0)
X = rng.normal(size=(12, 5))
Y = rng.integers(0, 3, size=12)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("sizes", [(5, 3), (5, 7, 3), (5, 6, 4, 3)])
def test_backpropagation_passes_the_gradient_check(sizes, activation):
    net = MLP(sizes, activation)
    theta = net.init(seed=1) + 0.1 * rng.normal(size=net.n_params)
    gradcheck.check_grad(lambda th: net.loss(th, X, Y), lambda th: net.grad(th, X, Y), theta, tol=1e-6)


def test_loss_and_grad_are_vectorised_over_a_grid_of_networks():
    net = MLP((5, 4, 3))
    thetas = np.stack([net.init(seed=s) for s in range(3)])
    np.testing.assert_allclose(net.loss(thetas, X, Y), [net.loss(t, X, Y) for t in thetas])
    np.testing.assert_allclose(net.grad(thetas, X, Y), [net.grad(t, X, Y) for t in thetas], atol=1e-15)


def test_untrained_network_loss_is_near_log_of_the_class_count():
    net = MLP((5, 8, 3))
    assert net.loss(np.zeros(net.n_params), X, Y) == pytest.approx(np.log(3))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="Invalid sizes"):
        MLP((5,))
    with pytest.raises(ValueError, match="Invalid activation"):
        MLP((5, 3), "sigmoidish")
    with pytest.raises(ValueError, match="n_params = 18"):
        MLP((5, 3)).loss(np.zeros(3), X, Y)


def test_mlp_learns_digits_with_adam_and_the_minibatch_loop():
    d = datasets.digits()
    tr, va = d.split(0.25, seed=0)
    net = MLP((64, 32, 10))
    hist = train(net, O.Adam(lr=0.01), tr.X, tr.y, net.init(seed=0), epochs=5, batch_size=64)
    assert net.accuracy(hist.theta, va.X, va.y) > 0.9
