"""gdcourse.loops: the three gradient descent loops, schedules in train, and the strategies that go with
any rule (early stopping, gradient noise, orders of the data)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gdcourse.optimizers as O
from gdcourse import datasets, gradcheck, schedules as S
from gdcourse.loops import (GradientNoise, centroid_difficulty, curriculum, epoch_order, patience_stop,
                            sorted_order, train)
from gdcourse.loops import epoch_order, get_batches, train
from gdcourse.models import LinearRegression, LogisticRegression
from gdcourse.nn import MLP


# --- Batch, stochastic and mini-batch gradient descent ----------------------------------------

rng = np.random.default_rng(0)


X = rng.normal(size=(40, 3))


Y_REG = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=40)


Y_CLS = (Y_REG > 0).astype(float)


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



# --- train with a learning-rate schedule: eta_t set before every update, counted across epochs ---

sched_rng = np.random.default_rng(1)


SCHED_X = sched_rng.normal(size=(12, 2))


SCHED_Y = SCHED_X @ np.array([1.0, -1.0]) + 0.5 + 0.2 * sched_rng.normal(size=12)


def test_without_a_schedule_nothing_changes():
    a = train(LinearRegression(), O.SGD(lr=0.05), SCHED_X, SCHED_Y, np.zeros(3), epochs=3, batch_size=4)
    b = train(LinearRegression(), O.SGD(lr=0.05), SCHED_X, SCHED_Y, np.zeros(3), epochs=3, batch_size=4, schedule=None)
    np.testing.assert_array_equal(a.theta, b.theta)


def test_a_constant_schedule_is_the_same_as_a_fixed_learning_rate():
    a = train(LinearRegression(), O.SGD(lr=0.05), SCHED_X, SCHED_Y, np.zeros(3), epochs=4, batch_size=3)
    b = train(LinearRegression(), O.SGD(lr=0.7), SCHED_X, SCHED_Y, np.zeros(3), epochs=4, batch_size=3,
              schedule=S.Constant(0.05))
    np.testing.assert_array_equal(a.theta, b.theta)


def test_the_schedule_sets_eta_t_before_each_update_counted_across_epochs():
    model, sched = LinearRegression(), S.InverseTimeDecay(0.2, k=0.5)
    hist = train(model, O.SGD(), SCHED_X, SCHED_Y, np.zeros(3), epochs=3, batch_size=12, order="fixed", schedule=sched)
    # Batch gradient descent by hand: update t uses eta_t = 0.2 / (1 + 0.5 (t - 1)).
    theta = np.zeros(3)
    for t in (1, 2, 3):
        theta = theta - sched(t) * model.grad(theta, SCHED_X, SCHED_Y)
    np.testing.assert_allclose(hist.theta, theta, rtol=1e-14)


def test_the_optimizer_is_left_at_the_last_scheduled_rate():
    opt = O.SGD(lr=1.0)
    train(LinearRegression(), opt, SCHED_X, SCHED_Y, np.zeros(3), epochs=2, batch_size=5, schedule=S.StepDecay(0.1, 0.5, 2))
    # 3 updates per epoch, 6 in all: eta_6 = 0.1 * 0.5 ** ((6 - 1) // 2).
    assert opt.lr == pytest.approx(0.1 * 0.5**2)


def test_a_schedule_giving_a_bad_rate_fails_early_with_the_name():
    with pytest.raises(ValueError, match="Invalid lr"):
        train(LinearRegression(), O.SGD(), SCHED_X, SCHED_Y, np.zeros(3), epochs=1, batch_size=4, schedule=lambda t: -1.0)



# --- Strategies: early stopping, gradient noise, orders of the data (curricula) ---------------

strat_rng = np.random.default_rng(1)


STRAT_X = strat_rng.normal(size=(30, 3))


STRAT_Y = STRAT_X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.5 * strat_rng.normal(size=30)


XV = strat_rng.normal(size=(20, 3))


YV = XV @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.5 * strat_rng.normal(size=20)


def test_without_val_the_history_is_as_before():
    h = train(LinearRegression(), O.SGD(lr=0.1), STRAT_X, STRAT_Y, np.zeros(4), epochs=3, batch_size=10)
    assert h.val_losses is None and h.best_epoch == -1 and h.stopped_at == -1


def test_val_losses_are_the_validation_loss_after_every_epoch():
    model = LinearRegression()
    h = train(model, O.SGD(lr=0.1), STRAT_X, STRAT_Y, np.zeros(4), epochs=4, batch_size=30, order="fixed", val=(XV, YV))
    theta = np.zeros(4)
    expected = [model.loss(theta, XV, YV)]
    for _ in range(4):
        theta = theta - 0.1 * model.grad(theta, STRAT_X, STRAT_Y)
        expected.append(model.loss(theta, XV, YV))
    np.testing.assert_allclose(h.val_losses, expected, rtol=1e-12)
    assert h.best_epoch == int(np.argmin(expected)) and h.stopped_at == -1
    np.testing.assert_allclose(h.theta, theta)  # no patience: the last theta


def overfitting_run(patience, restore_best=True, epochs=60):
    # 10 training examples, 20 features, one of them informative: the validation loss soon rises.
    r = np.random.default_rng(1)
    Xtr, Xva = r.normal(size=(10, 20)), r.normal(size=(40, 20))
    w = np.zeros(20)
    w[0] = 1.0
    ytr, yva = Xtr @ w + r.normal(size=10), Xva @ w + r.normal(size=40)
    model = LinearRegression()
    return model, (Xva, yva), train(model, O.SGD(lr=0.05), Xtr, ytr, np.zeros(21), epochs=epochs, batch_size=10,
                                    val=(Xva, yva), patience=patience, restore_best=restore_best)


def test_early_stopping_stops_after_patience_epochs_without_improvement_and_restores_the_best():
    model, (Xva, yva), h = overfitting_run(patience=3)
    assert h.stopped_at == h.best_epoch + 3 and len(h.val_losses) == h.stopped_at + 1
    assert np.all(h.val_losses[h.best_epoch + 1:] >= h.val_losses[h.best_epoch])
    assert model.loss(h.theta, Xva, yva) == h.val_losses[h.best_epoch] == h.val_losses.min()
    assert "stopped after epoch" in h.describe()


def test_restore_best_false_keeps_the_last_theta():
    model, (Xva, yva), h = overfitting_run(patience=3, restore_best=False)
    assert model.loss(h.theta, Xva, yva) == h.val_losses[-1] > h.val_losses.min()


@pytest.mark.parametrize("p", [1, 2, 3, 5, 10])
def test_patience_stop_on_a_full_run_agrees_with_training_with_patience(p):
    _, _, full = overfitting_run(patience=None)
    _, _, h = overfitting_run(patience=p)
    assert patience_stop(full.val_losses, p) == (h.stopped_at, h.best_epoch)
    np.testing.assert_array_equal(full.val_losses[:len(h.val_losses)], h.val_losses)


def test_patience_stop_by_hand():
    assert patience_stop([5, 4, 4.5, 3, 3.5, 3.2, 3.1], 2) == (5, 3)
    assert patience_stop([5, 4, 4.5, 3, 3.5, 3.2, 3.1], 3) == (6, 3)
    assert patience_stop([5, 4, 4.5, 3, 3.5, 3.2, 3.1], 4) == (-1, 3)
    with pytest.raises(ValueError, match="Invalid patience"):
        patience_stop([1, 2], 0)


@pytest.mark.parametrize("p", [1, 2, 5, 10])
def test_more_patience_never_stops_earlier_nor_ends_worse(p):
    _, _, h = overfitting_run(patience=p)
    _, _, h_more = overfitting_run(patience=p + 1)
    assert h_more.stopped_at == -1 or h_more.stopped_at >= h.stopped_at
    assert h_more.val_losses[h_more.best_epoch] <= h.val_losses[h.best_epoch]


def test_early_stopping_restores_batch_normalization_statistics_with_theta():
    r = np.random.default_rng(0)
    Xc, yc = r.normal(size=(40, 4)), r.integers(0, 2, size=40)
    net = MLP((4, 32, 2), batchnorm=True)
    h = train(net, O.Adam(lr=0.05), Xc[:20], yc[:20], net.init(seed=0), epochs=40, batch_size=10,
              val=(Xc[20:], yc[20:]), patience=2)
    assert h.stopped_at > 0
    assert net.eval_loss(h.theta, Xc[20:], yc[20:]) == h.val_losses[h.best_epoch]


def test_bad_early_stopping_settings_are_refused():
    kw = dict(epochs=2, batch_size=10)
    with pytest.raises(ValueError, match="Invalid patience: 0"):
        train(LinearRegression(), O.SGD(), STRAT_X, STRAT_Y, np.zeros(4), val=(XV, YV), patience=0, **kw)
    with pytest.raises(ValueError, match="needs val"):
        train(LinearRegression(), O.SGD(), STRAT_X, STRAT_Y, np.zeros(4), patience=3, **kw)
    with pytest.raises(ValueError, match="Invalid val"):
        train(LinearRegression(), O.SGD(), STRAT_X, STRAT_Y, np.zeros(4), val=XV, **kw)


def test_noise_variance_follows_the_annealing_schedule():
    noise = GradientNoise(0.3, 0.55)
    np.testing.assert_allclose(noise.variance([0, 1, 9]), [0.3, 0.3 / 2**0.55, 0.3 / 10**0.55])


def test_noise_has_the_scheduled_variance_and_zero_mean():
    noise = GradientNoise(1.0, 0.55, seed=3)
    draws = np.array([noise(np.zeros(20000)) for _ in range(3)])
    np.testing.assert_allclose(draws.var(axis=1), noise.variance([0, 1, 2]), rtol=0.05)
    np.testing.assert_allclose(draws.mean(axis=1), 0, atol=0.03)
    assert noise.t == 3


def test_train_with_noise_is_seeded_and_sgd_gets_the_noisy_gradient():
    model = LinearRegression()
    a = train(model, O.SGD(lr=0.1), STRAT_X, STRAT_Y, np.zeros(4), epochs=1, batch_size=30, noise=(0.5, 0.55), seed=7)
    b = train(model, O.SGD(lr=0.1), STRAT_X, STRAT_Y, np.zeros(4), epochs=1, batch_size=30, noise=(0.5, 0.55), seed=7)
    np.testing.assert_array_equal(a.theta, b.theta)
    # One full-batch step: theta_1 = -0.1 (g + sigma_0 * e), e the seed's first normal draw.
    e = np.random.default_rng([7, 1]).standard_normal(4)
    np.testing.assert_allclose(a.theta, -0.1 * (model.grad(np.zeros(4), STRAT_X, STRAT_Y) + np.sqrt(0.5) * e))


def test_bad_noise_is_refused():
    with pytest.raises(ValueError, match="Invalid eta"):
        GradientNoise(0.0)
    with pytest.raises(ValueError, match="Invalid gamma"):
        GradientNoise(0.1, -1.0)
    with pytest.raises(ValueError, match="Invalid noise"):
        train(LinearRegression(), O.SGD(), STRAT_X, STRAT_Y, np.zeros(4), epochs=1, batch_size=5, noise=0.1)


def test_sorted_order_sorts_stably():
    np.testing.assert_array_equal(sorted_order([2, 0, 1, 0, 2]), [1, 3, 2, 0, 4])
    with pytest.raises(ValueError, match="Invalid keys"):
        sorted_order([])


def test_train_with_a_sorted_order_visits_examples_in_that_order():
    keys = strat_rng.normal(size=30)
    h = train(LinearRegression(), O.SGD(lr=0.01), STRAT_X, STRAT_Y, np.zeros(4), epochs=1, batch_size=1,
              order=sorted_order(keys))
    model, theta = LinearRegression(), np.zeros(4)
    for i in np.argsort(keys):
        theta = theta - 0.01 * model.grad(theta, STRAT_X[i:i + 1], STRAT_Y[i:i + 1])
    np.testing.assert_allclose(h.theta, theta)


def test_naive_curriculum_draws_only_from_the_growing_pool_of_easy_examples():
    difficulty = np.arange(100.0)[::-1]  # example 99 is the easiest
    order = curriculum(difficulty, epochs=11, kind="naive", start=0.2, ramp=0.5)
    r = np.random.default_rng(0)
    sizes = [order.pool_size(e) for e in range(11)]
    assert sizes[0] == 20 and sizes[5] == 100 and sizes[-1] == 100 and sizes == sorted(sizes)
    first = order(0, r)
    assert len(first) == 100 and set(first) == set(range(80, 100))
    assert sorted(order(10, r)) == list(range(100))  # the full pool: a plain shuffle


def test_mixed_curriculum_adds_uniformly_drawn_examples():
    difficulty = np.arange(1000.0)
    order = curriculum(difficulty, epochs=10, kind="mixed", start=0.1, mix=0.5)
    idx = order(0, np.random.default_rng(0))
    assert len(idx) == 1000
    beyond_pool = np.mean(idx >= 100)  # half uniform: about 0.5 * 0.9 of the epoch lies beyond the pool
    assert 0.4 < beyond_pool < 0.5


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 60), epochs=st.integers(1, 8), start=st.floats(0.01, 1.0), mix=st.floats(0.0, 1.0),
       kind=st.sampled_from(["naive", "mixed"]), seed=st.integers(0, 100))
def test_every_curriculum_epoch_has_n_valid_indices_and_ends_with_the_full_pool(n, epochs, start, mix, kind, seed):
    order = curriculum(np.random.default_rng(seed).normal(size=n), epochs, kind, start=start, mix=mix)
    r = np.random.default_rng(seed)
    for e in range(epochs):
        idx = order(e, r)
        assert len(idx) == n and idx.min() >= 0 and idx.max() < n
    assert order.pool_size(epochs - 1) == n


def test_bad_curriculum_settings_are_refused():
    with pytest.raises(ValueError, match="Invalid kind"):
        curriculum(np.ones(5), 3, kind="reverse")
    with pytest.raises(ValueError, match="Invalid start"):
        curriculum(np.ones(5), 3, start=0.0)
    with pytest.raises(ValueError, match="Invalid difficulty"):
        curriculum(np.ones((2, 2)), 3)
    with pytest.raises(ValueError, match="Invalid mix"):
        curriculum(np.ones(5), 3, kind="mixed", mix=1.5)


def test_curriculum_trains_with_the_loop():
    d = np.abs(STRAT_Y)  # any score
    order = curriculum(d, epochs=5, kind="mixed")
    h = train(LogisticRegression(), O.SGD(lr=0.1), STRAT_X, (STRAT_Y > 0).astype(float), np.zeros(4), epochs=5,
              batch_size=6, order=order)
    assert len(h.batch_losses) == 5 * 5 and h.diverged_at == -1
    assert np.array_equal(epoch_order(30, 0, np.random.default_rng(0), order), order(0, np.random.default_rng(0)))


def test_record_every_keeps_theta_every_k_updates():
    model = LinearRegression()
    h = train(model, O.SGD(lr=0.1), STRAT_X, STRAT_Y, np.zeros(4), epochs=2, batch_size=30, order="fixed", record_every=1)
    theta = np.zeros(4)
    expected = [theta]
    for _ in range(2):
        theta = theta - 0.1 * model.grad(theta, STRAT_X, STRAT_Y)
        expected.append(theta)
    np.testing.assert_allclose(h.thetas, expected)
    h3 = train(model, O.SGD(lr=0.1), STRAT_X, STRAT_Y, np.zeros(4), epochs=2, batch_size=5, record_every=3)
    assert h3.thetas.shape == (1 + 12 // 3, 4)
    with pytest.raises(ValueError, match="Invalid record_every"):
        train(model, O.SGD(), STRAT_X, STRAT_Y, np.zeros(4), epochs=1, batch_size=5, record_every=0)


def test_centroid_difficulty_by_hand():
    Xc = np.array([[0.0], [1.0], [10.0], [11.0], [9.0]])
    yc = np.array([0, 0, 1, 1, 0])  # means 10/3 and 10.5; the last example looks like class 1
    d = centroid_difficulty(Xc, yc)
    np.testing.assert_allclose(d, [10 / 3 - 10.5, 7 / 3 - 9.5, 0.5 - (10 - 10 / 3), 0.5 - (11 - 10 / 3),
                                   (9 - 10 / 3) - 1.5])
    assert d[-1] > 0 and np.all(d[:-1] < 0)
    with pytest.raises(ValueError, match="Invalid data"):
        centroid_difficulty(Xc, np.zeros(5))


def test_a_grid_of_initialisations_trains_like_separate_runs():
    model = LinearRegression()
    starts = np.array([[0.0, 0, 0, 0], [1.0, -1, 2, 0.5], [3.0, 0, 0, -2]])
    grid = train(model, O.Momentum(lr=0.05), STRAT_X, STRAT_Y, starts, epochs=3, batch_size=7, seed=2)
    for k, start in enumerate(starts):
        one = train(model, O.Momentum(lr=0.05), STRAT_X, STRAT_Y, start, epochs=3, batch_size=7, seed=2)
        np.testing.assert_allclose(grid.theta[k], one.theta, rtol=1e-12)
        np.testing.assert_allclose(grid.epoch_losses[:, k], one.epoch_losses, rtol=1e-12)
        np.testing.assert_allclose(grid.batch_losses[:, k], one.batch_losses, rtol=1e-12)
    assert grid.diverged_at.shape == (3,) and np.all(grid.diverged_at == -1)


def test_in_a_grid_a_diverging_configuration_stops_and_the_others_go_on():
    model = LinearRegression()
    lrs = np.array([[0.1], [50.0]])
    grid = train(model, O.SGD(lr=lrs), STRAT_X, STRAT_Y, np.zeros((2, 4)), epochs=30, batch_size=30)
    alone = train(model, O.SGD(lr=50.0), STRAT_X, STRAT_Y, np.zeros(4), epochs=30, batch_size=30)
    assert grid.diverged_at[0] == -1 and grid.diverged_at[1] == alone.diverged_at > 0
    np.testing.assert_allclose(grid.theta[1], alone.theta)      # the last good θ
    assert np.isnan(grid.epoch_losses[-1, 1]) and grid.epoch_losses[-1, 0] < 0.2
    assert grid.describe() == "1 of 2 configurations diverged"
    with pytest.raises(ValueError, match="Invalid val"):
        train(model, O.SGD(), STRAT_X, STRAT_Y, np.zeros((2, 4)), epochs=1, batch_size=5, val=(XV, YV))


def test_a_grid_gets_independent_noise_per_configuration():
    model = LinearRegression()
    h = train(model, O.SGD(lr=0.01), STRAT_X, STRAT_Y, np.zeros((2, 4)), epochs=1, batch_size=30, noise=(1.0, 0.55))
    assert not np.allclose(h.theta[0], h.theta[1])


def test_train_names_the_expected_types_and_checks_what_step_returns():
    from gdcourse.objectives import Quadratic
    with pytest.raises(ValueError, match="expected an optimizer .*got LinearRegression; the order is train"):
        train(O.SGD(), LinearRegression(), X, Y_REG, np.zeros(4), epochs=1, batch_size=5)
    with pytest.raises(ValueError, match="Invalid model: expected a model .*got Quadratic"):
        train(Quadratic(), O.SGD(), X, Y_REG, np.zeros(4), epochs=1, batch_size=5)

    class Scalar:
        def reset(self):
            pass

        def step(self, theta, grad_fn):
            return 0.0

    with pytest.raises(ValueError, match=r"Invalid step: Scalar.step returned an array of shape \(\)"):
        train(LinearRegression(), Scalar(), X, Y_REG, np.zeros(4), epochs=1, batch_size=5)


def test_train_counts_steps_across_epochs_and_measures_the_loss_every_k_updates():
    h = train(LinearRegression(), O.SGD(lr=0.05), X, Y_REG, np.zeros((2, 4)), steps=13, batch_size=5, eval_every=4)
    np.testing.assert_array_equal(h.eval_at, [0, 4, 8, 12, 13])
    assert h.eval_losses.shape == (5, 2) and len(h.batch_losses) == 13
    by_epochs = train(LinearRegression(), O.SGD(lr=0.05), X, Y_REG, np.zeros((2, 4)), epochs=2, batch_size=5)
    np.testing.assert_allclose(h.eval_losses[2], by_epochs.epoch_losses[1])   # 8 updates = one epoch of 40
    with pytest.raises(ValueError, match="give exactly one of them"):
        train(LinearRegression(), O.SGD(), X, Y_REG, np.zeros(4), epochs=1, steps=3, batch_size=5)
