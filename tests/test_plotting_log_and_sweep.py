"""plotting.plain_log (log axes with plain tick labels) and plot_sweep under constrained layout."""
import pytest
from matplotlib.figure import Figure

from gdcourse import plotting


def _labels(ax, name):
    ax.figure.canvas.draw()
    axis = getattr(ax, f"{name}axis")
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_plain_log_sets_a_log_scale_with_g_formatted_labels():
    ax = Figure().subplots()
    ax.plot([1, 10, 100, 1000], [1e-8, 1e-4, 1e-2, 1.0])
    plotting.plain_log(ax, "both")
    assert ax.get_xscale() == ax.get_yscale() == "log"
    xs, ys = _labels(ax, "x"), _labels(ax, "y")
    assert "10" in xs and "1000" in xs and "1e-08" in ys and "0.01" in ys
    assert not any("$" in t for t in xs + ys)
    assert not [t.get_text() for t in ax.yaxis.get_minorticklabels() if t.get_text()]


def test_plain_log_labels_2_and_5_on_a_narrow_axis():
    ax = Figure().subplots()
    ax.plot([0.15, 1.0], [1, 2])
    plotting.plain_log(ax, "x")
    ax.set_xlim(0.15, 1.0)
    ax.figure.canvas.draw()
    minor = [t.get_text() for t in ax.xaxis.get_minorticklabels() if t.get_text()]
    assert minor == ["0.2", "0.5"]


def test_plain_log_touches_only_the_axis_asked_for():
    ax = Figure().subplots()
    ax.plot([1, 2], [1, 100])
    plotting.plain_log(ax, "y")
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "log"


def test_plain_log_rejects_an_unknown_axis():
    with pytest.raises(ValueError, match="Invalid axis"):
        plotting.plain_log(Figure().subplots(), "z")


def test_plot_sweep_without_divergence_keeps_constrained_layout_working():
    import warnings

    import numpy as np

    from gdcourse.objectives import Quadratic
    from gdcourse.run import run_grid

    obj = Quadratic()
    lrs = np.array([0.05, 0.1, 0.2])
    runs = {"SGD": run_grid("SGD", obj, obj.start, 50, lr=lrs)}
    fig = Figure(figsize=(9, 3), layout="constrained")
    for ax in fig.subplots(1, 3):
        plotting.plot_sweep(ax, lrs, runs, obj.min_value, 1e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()
    assert len(fig.axes[0].lines) == 1  # no empty line of crosses
