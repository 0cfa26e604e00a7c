"""The online explorer (AMSGrad chapter): Reddi et al.'s problem, redrawn on every slider change."""
import numpy as np
import pytest
from matplotlib.figure import Figure

import gdcourse.optimizers as O
from gdcourse import widgets
from gdcourse.objectives import PeriodicLinear
from gdcourse.run import run_online


def test_explorer_runs_both_rules_on_the_papers_problem():
    ex = widgets.explore_online(steps=300)
    assert list(ex.runs) == ["Adam", "AMSGrad"]
    expected = run_online(O.AMSGrad(lr=0.1, beta1=0.9, beta2=0.99), PeriodicLinear().grad,
                          np.array([0.0]), 300, -1.0, 1.0)
    np.testing.assert_allclose(ex.runs["AMSGrad"].xs, expected.xs)
    assert ex.image.value[:4] == b"\x89PNG"
    assert "x* = -1" in ex.status.value and "<b>Adam</b>" in ex.status.value


def test_the_drawn_curves_are_the_runs():
    ex = widgets.explore_online(steps=200)
    for rule, line in ex.plot["lines"].items():
        np.testing.assert_allclose(line.get_ydata(), ex.runs[rule].xs[:, 0])
    fig = ex.figure()
    assert isinstance(fig, Figure) and fig is ex.fig


def test_a_slider_change_recomputes_and_redraws():
    ex = widgets.explore_online(steps=200)
    before, png = ex.runs["Adam"].xs.copy(), ex.image.value
    ex.controls["beta2"].value = 0.999
    assert not np.array_equal(ex.runs["Adam"].xs, before)
    assert ex.image.value != png
    np.testing.assert_allclose(ex.plot["lines"]["Adam"].get_ydata(), ex.runs["Adam"].xs[:, 0])


def test_when_the_small_gradients_win_the_best_point_flips_to_plus_one():
    ex = widgets.explore_online(steps=200)
    ex.controls["C"].value = 500.0          # 500 + 100 * (-10) < 0
    assert "x* = +1" in ex.status.value
    np.testing.assert_array_equal(ex.plot["star"].get_ydata(), [1.0, 1.0])


def test_iterates_stay_in_the_interval_for_any_constants():
    ex = widgets.explore_online(steps=150)
    ex.controls["period"].value = 3
    ex.controls["small"].value = -50.0
    ex.controls["lr"].value = 1.0
    for run in ex.runs.values():
        assert np.all(np.abs(run.xs) <= 1.0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=0), "Invalid steps"),
    (dict(x0=1.5), "Invalid x0"),
    (dict(rules=["Adam", "Nope"]), "Invalid rules"),
    (dict(C=0.0), "Invalid C"),
    (dict(period=1), "Invalid period"),
])
def test_explorer_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        widgets.explore_online(**kwargs)
