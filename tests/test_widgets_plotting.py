"""Plots and explorers: they draw what was run, and a diverged run is shown, not raised."""
import numpy as np
import pytest
from matplotlib.figure import Figure

import gdcourse.optimizers as O
from gdcourse import plotting, widgets
from gdcourse.objectives import get
from gdcourse.run import run_many


def test_palette_gives_each_rule_its_own_colour():
    assert set(plotting.PALETTE) == set(O.RULES)
    assert len(set(plotting.PALETTE.values())) == len(O.RULES)
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


def test_explorer_hides_unticked_rules():
    ex = widgets.explore(["SGD", "Momentum"], objective="ravine", steps=30)
    ex.controls["show_SGD"].value = False
    assert list(ex.runs) == ["Momentum"]
    assert not ex.plot.artists["SGD"][0].get_visible()


def test_explorer_recomputes_on_a_slider_change():
    ex = widgets.explore(["SGD", "Momentum"], objective="ravine", steps=40, shared={"gamma": 0.9})
    first_png = ex.image.value
    before = ex.runs["Momentum"].thetas.copy()
    ex.controls["gamma"].value = 0.5
    assert not np.array_equal(ex.runs["Momentum"].thetas, before)
    assert ex.image.value != first_png and ex.image.value[:4] == b"\x89PNG"


def test_explorer_shows_divergence_in_its_status_line():
    ex = widgets.explore(["SGD"], objective="ravine", steps=100)
    ex.controls["lr_SGD"].value = 3.0
    assert f"diverged at step {ex.runs['SGD'].diverged_at}" in ex.status.value


def test_explorer_switching_objective_moves_the_start_into_its_window():
    ex = widgets.explore(["Adam"], objective="ravine", steps=20)
    ex.controls["objective"].value = "beale"
    assert (ex.controls["x0"].value, ex.controls["y0"].value) == get("beale").start
    np.testing.assert_array_equal(ex.runs["Adam"].thetas[0], get("beale").start)


def test_explorer_refuses_unknown_rules():
    with pytest.raises(ValueError, match="Invalid rules"):
        widgets.explore(["Adamm"])
