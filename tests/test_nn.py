"""gdcourse.nn: the multilayer perceptron (backpropagation against finite differences, grids, training)
and its batch normalization."""

import numpy as np
import pytest

import gdcourse
import gdcourse.optimizers as O
from gdcourse import datasets, gradcheck
from gdcourse.loops import train
from gdcourse.nn import MLP, DropoutMLP


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



# --- Batch normalization: the transform, its gradient against finite differences, the running statistics ---

bn_rng = np.random.default_rng(0)


BN_X = bn_rng.normal(size=(12, 5))


BN_Y = bn_rng.integers(0, 3, size=12)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("sizes", [(5, 7, 3), (5, 6, 4, 3)])
def test_batchnorm_backpropagation_passes_the_gradient_check(sizes, activation):
    net = MLP(sizes, activation, batchnorm=True)
    theta = net.init(seed=1) + 0.3 * bn_rng.normal(size=net.n_params)
    gradcheck.check_grad(lambda th: net.loss(th, BN_X, BN_Y), lambda th: net.grad(th, BN_X, BN_Y), theta, tol=1e-6)


def test_batchnorm_adds_one_scale_per_hidden_unit_and_starts_at_gamma_one_beta_zero():
    plain, bn = MLP((5, 7, 4, 3)), MLP((5, 7, 4, 3), batchnorm=True)
    assert bn.n_params == plain.n_params + 7 + 4
    theta = bn.init(seed=3)
    assert np.sum(theta == 1.0) == 7 + 4
    # The same weight draws as the plain network.
    np.testing.assert_array_equal(theta[bn._slices[0][0]], plain.init(seed=3)[plain._slices[0][0]])


def test_normalised_preactivations_have_zero_mean_and_unit_variance_over_the_batch():
    net = MLP((5, 8, 6, 3), batchnorm=True)
    theta = net.init(seed=0, scale=7.0)
    for u in net.preactivations(theta, BN_X):  # gamma = 1, beta = 0: u is z-hat
        np.testing.assert_allclose(u.mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(u.var(axis=0), 1, rtol=1e-3)  # eps = 1e-5 keeps it just under 1


def test_batchnorm_output_does_not_depend_on_the_scale_of_a_layers_weights():
    net = MLP((5, 8, 3), batchnorm=True)
    theta = net.init(seed=0)
    scaled = theta.copy()
    scaled[net._slices[0][0]] *= 50.0
    # Equal up to the epsilon under the square root.
    np.testing.assert_allclose(net.loss(scaled, BN_X, BN_Y), net.loss(theta, BN_X, BN_Y), rtol=1e-5)


def test_shift_and_scale_act_on_the_normalised_value():
    net = MLP((5, 4, 3), "tanh", batchnorm=True)
    theta = net.init(seed=2)
    theta[net._gammas[0]] = 2.0
    theta[net._slices[0][1]] = -0.5  # beta
    u = net.preactivations(theta, BN_X)[0]
    z = BN_X @ theta[net._slices[0][0]].reshape(5, 4)
    zhat = (z - z.mean(0)) / np.sqrt(z.var(0) + net.bn_eps)
    np.testing.assert_allclose(u, 2.0 * zhat - 0.5, atol=1e-12)


def test_running_statistics_follow_the_exponential_average_by_hand():
    net = MLP((5, 4, 3), batchnorm=True, bn_momentum=0.25)
    theta = net.init(seed=0)
    W = theta[net._slices[0][0]].reshape(5, 4)
    net.update_state(theta, BN_X[:6])
    net.update_state(theta, BN_X[6:])
    mean, var = np.zeros(4), np.ones(4)
    for part in (BN_X[:6], BN_X[6:]):
        z = part @ W
        mean = 0.75 * mean + 0.25 * z.mean(0)
        var = 0.75 * var + 0.25 * z.var(0, ddof=1)
    np.testing.assert_allclose(net.state["mean"][0], mean, atol=1e-12)
    np.testing.assert_allclose(net.state["var"][0], var, atol=1e-12)
    net.reset_state()
    np.testing.assert_array_equal(net.state["mean"][0], 0)
    np.testing.assert_array_equal(net.state["var"][0], 1)


def test_eval_mode_uses_running_statistics():
    net = MLP((5, 4, 3), batchnorm=True, bn_momentum=1.0)
    theta = net.init(seed=0)
    # Fresh statistics (mean 0, variance 1): eval mode is the network without normalization but gamma, beta.
    u = BN_X @ theta[net._slices[0][0]].reshape(5, 4) / np.sqrt(1 + net.bn_eps)
    np.testing.assert_allclose(net.preactivations(theta, BN_X, mode="eval")[0], u, atol=1e-12)
    # Momentum 1: the running statistics are this batch's, the variance unbiased (times m / (m - 1)),
    # so the eval-mode loss is close to, not equal to, the train-mode loss.
    net.update_state(theta, BN_X)
    assert net.loss(theta, BN_X, BN_Y, mode="eval") == pytest.approx(net.loss(theta, BN_X, BN_Y), rel=0.05)
    assert net.eval_loss(theta, BN_X, BN_Y) == net.loss(theta, BN_X, BN_Y, mode="eval")
    # A single example in eval mode is classified without the rest of its batch.
    single = net.logits(theta, BN_X[:1], mode="eval")
    np.testing.assert_allclose(single, net.logits(theta, BN_X, mode="eval")[:1])
    with pytest.raises(ValueError, match="Invalid mode"):
        net.loss(theta, BN_X, BN_Y, mode="test")


def test_plain_mlp_ignores_state_and_modes():
    net = MLP((5, 4, 3))
    theta = net.init(seed=0)
    net.update_state(theta, BN_X)
    assert net.state is None
    assert net.eval_loss(theta, BN_X, BN_Y) == net.loss(theta, BN_X, BN_Y) == net.loss(theta, BN_X, BN_Y, mode="eval")


def test_batchnorm_is_vectorised_over_a_grid_of_networks():
    net = MLP((5, 4, 3), batchnorm=True)
    thetas = np.stack([net.init(seed=s) + 0.1 * s for s in range(3)])
    np.testing.assert_allclose(net.loss(thetas, BN_X, BN_Y), [net.loss(t, BN_X, BN_Y) for t in thetas])
    np.testing.assert_allclose(net.grad(thetas, BN_X, BN_Y), [net.grad(t, BN_X, BN_Y) for t in thetas], atol=1e-14)


def test_bad_batchnorm_settings_are_refused():
    with pytest.raises(ValueError, match="Invalid batchnorm"):
        MLP((5, 3), batchnorm="yes")
    with pytest.raises(ValueError, match="Invalid bn_momentum"):
        MLP((5, 3), batchnorm=True, bn_momentum=0.0)
    with pytest.raises(ValueError, match="Invalid bn_eps"):
        MLP((5, 3), batchnorm=True, bn_eps=-1.0)


def test_train_keeps_running_statistics_and_the_network_learns_digits():
    d = datasets.digits()
    tr, va = d.split(0.25, seed=0)
    net = MLP((64, 32, 10), batchnorm=True)
    hist = train(net, O.SGD(lr=0.5), tr.X, tr.y, net.init(seed=0), epochs=3, batch_size=64)
    assert net.state is not None and net.state["mean"][0].shape == (32,)
    assert net.accuracy(hist.theta, va.X, va.y, mode="eval") > 0.9


def test_a_grid_of_batchnorm_networks_keeps_one_set_of_running_statistics_each():
    net = MLP((5, 4, 3), batchnorm=True)
    thetas = np.stack([net.init(seed=s) for s in range(2)])
    grid = train(net, O.SGD(lr=0.1), BN_X, BN_Y, thetas, epochs=2, batch_size=6, seed=1)
    grid_state = [m.copy() for m in net.state["mean"]]
    assert grid_state[0].shape == (2, 4)
    for k in range(2):
        one = train(net, O.SGD(lr=0.1), BN_X, BN_Y, thetas[k], epochs=2, batch_size=6, seed=1)
        np.testing.assert_allclose(grid.theta[k], one.theta, rtol=1e-10)
        np.testing.assert_allclose(grid_state[0][k], net.state["mean"][0], rtol=1e-10)


# --- DropoutMLP: inverted dropout on the hidden layers ---------------------------------------------

_drng = np.random.default_rng(0)
XD, yD = _drng.normal(size=(12, 5)), _drng.integers(0, 3, 12)
DROP_SIZES = (5, 7, 6, 3)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("batchnorm", [False, True])
def test_masked_grad_matches_finite_differences(activation, batchnorm):
    net = DropoutMLP(DROP_SIZES, activation, batchnorm=batchnorm, p=0.3, seed=1)
    theta = net.init(0) + 0.1 * _drng.normal(size=net.n_params)
    masks = net.masks((), len(XD))
    err = gradcheck.grad_error(lambda t: net.masked_loss(t, XD, yD, masks),
                               lambda t: net.masked_grad(t, XD, yD, masks), theta)
    assert err < 1e-6


@pytest.mark.parametrize("batchnorm", [False, True])
def test_p_zero_is_the_plain_mlp(batchnorm):
    net, plain = DropoutMLP(DROP_SIZES, "relu", batchnorm=batchnorm, p=0.0), MLP(DROP_SIZES, "relu", batchnorm=batchnorm)
    theta = net.init(0) + 0.1 * _drng.normal(size=net.n_params)
    np.testing.assert_array_equal(net.grad(theta, XD, yD), plain.grad(theta, XD, yD))
    np.testing.assert_array_equal(net.loss(theta, XD, yD), plain.loss(theta, XD, yD))


def test_masks_keep_the_expected_output():
    net = DropoutMLP((5, 400, 3), p=0.25, seed=3)
    (m,) = net.masks((2,), 50)
    assert m.shape == (2, 50, 400) and set(np.unique(m)) == {0.0, 1 / 0.75}
    assert abs(m.mean() - 1) < 0.02 and abs((m == 0).mean() - 0.25) < 0.02


def test_fresh_masks_every_call_and_seeded():
    a, b = DropoutMLP(DROP_SIZES, p=0.5, seed=7), DropoutMLP(DROP_SIZES, p=0.5, seed=7)
    theta = a.init(0)
    g1, g2 = a.grad(theta, XD, yD), a.grad(theta, XD, yD)
    assert not np.allclose(g1, g2)                            # a new mask each call
    np.testing.assert_array_equal(g1, b.grad(theta, XD, yD))    # the same seed, the same masks


def test_grid_of_networks_trains():
    net = DropoutMLP((5, 8, 3), "relu", p=0.2, seed=0)
    starts = np.stack([net.init(s) for s in range(3)])
    h = train(net, gdcourse.SGD(lr=np.array([[0.05], [0.1], [0.2]])), XD, yD, starts, epochs=20, batch_size=4, seed=0)
    assert h.theta.shape == starts.shape and np.all(h.epoch_losses[-1] < h.epoch_losses[0])


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, np.nan, "0.5", True])
def test_invalid_p(p):
    with pytest.raises(ValueError, match="Invalid p"):
        DropoutMLP(DROP_SIZES, p=p)


@pytest.mark.parametrize("seed", [-1, 0.5, "1"])
def test_invalid_seed(seed):
    with pytest.raises(ValueError, match="Invalid seed"):
        DropoutMLP(DROP_SIZES, seed=seed)
