"""The batch-size explorer, the history plots it draws with, and the least-squares floor J*."""
import numpy as np
import pytest
from matplotlib.figure import Figure

import gdcourse.optimizers as O
from gdcourse import datasets, plotting, widgets
from gdcourse.loops import train
from gdcourse.models import LinearRegression


def test_batch_size_choices_are_powers_of_two_then_the_whole_sample():
    assert widgets._batch_sizes(64) == [1, 2, 4, 8, 16, 32, 64]
    assert widgets._batch_sizes(100) == [1, 2, 4, 8, 16, 32, 64, 100]
    ex = widgets.explore_variants(n=32, epochs=2)
    assert list(ex.controls["batch_size"].options) == [1, 2, 4, 8, 16, 32]


def test_changing_the_batch_size_changes_the_run():
    ex = widgets.explore_variants(batch_size=8, lr=0.05, n=32, epochs=3)
    mine = ex.names[0]
    before, png = ex.histories[mine], ex.image.value
    assert len(before.batch_losses) == 3 * 4  # 32 / 8 updates per epoch, 3 epochs
    ex.controls["batch_size"].value = 1
    after = ex.histories[mine]
    assert len(after.batch_losses) == 3 * 32
    assert after.epoch_losses[-1] != before.epoch_losses[-1]
    assert ex.image.value != png and ex.image.value[:4] == b"\x89PNG"
    assert "<b>b = 1</b> (32 updates per epoch)" in ex.status.value


def test_changing_the_learning_rate_changes_the_run_and_batch_gd_is_the_reference():
    ex = widgets.explore_variants(batch_size=4, lr=0.01, n=32, epochs=2)
    slow = ex.histories[ex.names[0]].epoch_losses.copy()
    ex.controls["lr"].value = 0.1
    fast = ex.histories[ex.names[0]].epoch_losses
    assert fast[-1] < slow[-1]
    ref = ex.histories[ex.names[1]]
    assert len(ref.batch_losses) == 2  # batch gradient descent: one update per epoch
    # Choosing the whole sample leaves one run: there is nothing else to compare with.
    ex.controls["batch_size"].value = 32
    assert list(ex.histories) == [ex.names[0]]


def test_the_explorer_runs_train_on_its_sample_exactly():
    ex = widgets.explore_variants(batch_size=2, lr=0.03, n=16, epochs=2, seed=3)
    hist = train(LinearRegression(), O.SGD(lr=0.03), ex.X, ex.y, np.zeros(11), epochs=2, batch_size=2, seed=3)
    np.testing.assert_array_equal(ex.histories[ex.names[0]].batch_losses, hist.batch_losses)
    full = datasets.diabetes()
    idx = np.random.default_rng(3).permutation(full.n)[:16]
    np.testing.assert_array_equal(ex.X, full.X[idx])


def test_a_diverging_setting_is_shown_in_the_status_not_raised():
    ex = widgets.explore_variants(batch_size=1, lr=0.05, n=32, epochs=3)
    ex.controls["lr"].value = 3.0
    hist = ex.histories[ex.names[0]]
    assert hist.diverged_at > 0
    assert f"diverged at update {hist.diverged_at}" in ex.status.value
    labels = [t.get_text() for t in ex.plot.legend.get_texts()]
    assert labels[0] == f"this batch size (diverged at update {hist.diverged_at})"
    assert ex.image.value[:4] == b"\x89PNG"


@pytest.mark.parametrize("kwargs,match", [
    (dict(n=1), "Invalid n: 1"), (dict(n=1000), "Invalid n: 1000"),
    (dict(epochs=0), "Invalid epochs: 0"), (dict(batch_size=3), "Invalid batch_size: 3"),
])
def test_bad_explorer_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        widgets.explore_variants(**kwargs)


def test_the_least_squares_minimizer_zeroes_the_gradient_and_beats_gradient_descent():
    d = datasets.diabetes()
    model = LinearRegression()
    theta_star = model.minimizer(d.X, d.y)
    assert np.max(np.abs(model.grad(theta_star, d.X, d.y))) < 1e-10
    hist = train(model, O.SGD(lr=0.3), d.X, d.y, np.zeros(11), epochs=50, batch_size=d.n)
    assert model.loss(theta_star, d.X, d.y) <= hist.epoch_losses.min()
    # Hand-computed: y = 2x + 1 exactly on three points.
    np.testing.assert_allclose(model.minimizer([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0]), [2.0, 1.0])


def _histories():
    d = datasets.diabetes()
    return {b_name: train(LinearRegression(), O.SGD(lr=lr), d.X[:40], d.y[:40], np.zeros(11), epochs=3,
                          batch_size=b)
            for b_name, b, lr in (("stochastic", 1, 0.01), ("batch", 40, 0.1))}


def test_history_plots_draw_every_epoch_and_every_update():
    hs = _histories()
    fig = Figure()
    ax1, ax2, ax3 = fig.subplots(1, 3)
    lines = plotting.plot_history(ax1, hs)
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(4))
    np.testing.assert_array_equal(lines[1].get_ydata(), hs["batch"].epoch_losses)
    times = plotting.plot_history(ax2, hs, x="time", min_value=0.1)
    np.testing.assert_array_equal(times[0].get_xdata(), hs["stochastic"].epoch_times)
    np.testing.assert_allclose(times[0].get_ydata(), hs["stochastic"].epoch_losses - 0.1)
    per_update = plotting.plot_batch_losses(ax3, hs, per_epoch=True)
    # 40 updates per epoch for batch size 1: the 41st loss is measured at the start of epoch 1.
    assert per_update[0].get_xdata()[40] == 1.0 and len(per_update[1].get_xdata()) == 3
    with pytest.raises(ValueError, match="Invalid x: 'update'"):
        plotting.plot_history(ax1, hs, x="update")


def test_history_plot_keeps_fixed_limits_and_hides_missing_runs():
    hs = _histories()
    plot = plotting.HistoryPlot(Figure(), ["stochastic", "batch"], min_value=0.0, epochs=3,
                                ylim=(1e-3, 1.0), batch_ylim=(0.0, 2.0))
    plot.update({"stochastic": hs["stochastic"]})
    assert plot.ax_epoch.get_xlim() == (0, 3) and plot.ax_epoch.get_ylim() == (1e-3, 1.0)
    assert plot.ax_batch.get_ylim() == (0.0, 2.0)
    assert not plot.artists["batch"][0].get_visible()
    np.testing.assert_array_equal(plot.artists["stochastic"][1].get_ydata(), hs["stochastic"].batch_losses)


def test_plot_curves_draws_each_named_curve_in_its_colour():
    ax = Figure().subplots()
    lines = plotting.plot_curves(ax, {"SGD η = 0.1": ([1, 2, 3], [3.0, 2.0, 1.0]), "other": ([1, 2], [1.0, 0.5])},
                                 "t", "η_t", logy=True)
    assert [l.get_label() for l in lines] == ["SGD η = 0.1", "other"]
    # Keyed on the exact label (issue 17): "SGD η = 0.1" has a style of its own, not SGD's.
    assert lines[0].get_color() == plotting.style("SGD η = 0.1")["color"] != plotting.PALETTE["SGD"]
    np.testing.assert_array_equal(lines[1].get_ydata(), [1.0, 0.5])
    assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"
