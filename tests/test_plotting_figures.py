"""Figures of runs (moved from the retired widget tests): they draw what was run, divergence labelled."""
import numpy as np
import pytest
from matplotlib.figure import Figure

import gdcourse.optimizers as O
from gdcourse import datasets, plotting
from gdcourse.loops import train
from gdcourse.models import LinearRegression
from gdcourse.objectives import get
from gdcourse.run import run_many


def test_palette_gives_each_rule_its_own_colour():
    assert set(O.RULES) <= set(plotting.PALETTE)
    assert len(set(plotting.PALETTE.values())) == len(plotting.PALETTE)
    assert plotting.color("NAG") == plotting.PALETTE["NAG"]


def test_path_figure_draws_each_run_and_labels_divergence():
    obj = get("ravine")
    runs = run_many({"SGD": O.SGD(lr=1.5), "Momentum": O.Momentum(lr=0.05)}, obj, obj.start, 50)
    fig = plotting.path_figure(obj, runs)
    ax_path, ax_loss = fig.axes
    labels = [t.get_text() for t in ax_loss.get_legend().get_texts()]
    assert labels[0] == f"SGD (diverged at step {runs['SGD'].diverged_at})" and labels[1] == "Momentum"
    plot = plotting.PathPlot(Figure(), obj, list(runs)).update(runs)
    np.testing.assert_allclose(plot.artists["Momentum"][0].get_xydata(), runs["Momentum"].thetas)
    sgd_cross = plot.artists["SGD"][2]
    assert sgd_cross.get_visible() and not plot.artists["Momentum"][2].get_visible()
    np.testing.assert_allclose(sgd_cross.get_xydata()[0], runs["SGD"].final)


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
    assert lines[0].get_color() != lines[1].get_color()
    np.testing.assert_array_equal(lines[1].get_ydata(), [1.0, 0.5])
    assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"
