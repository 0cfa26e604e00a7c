"""gdcourse.widgets: the explorer's play button and per-rule reruns (moved from test_animation.py)."""
import numpy as np

import gdcourse.optimizers as O
from gdcourse import widgets
from gdcourse.objectives import get
from gdcourse.run import run


def test_play_shows_the_first_steps_without_running_again():
    ex = widgets.explore(["SGD", "Adam"], objective="ravine", steps=60, play=True)
    assert ex.controls["shown"].max >= 60 and ex.controls["shown"].value == ex.controls["shown"].max
    before = dict(ex.runs)
    ex.controls["shown"].value = 10
    assert all(ex.runs[r] is before[r] for r in before)  # re-sliced, not recomputed
    np.testing.assert_allclose(ex.plot.artists["SGD"][0].get_xydata(), before["SGD"].thetas[:11])
    assert ex.plot.ax_loss.get_xlim() == (0, 60)  # the axes stay put while the curves grow
    assert "step 10 of 60" in ex.status.value


def test_changing_one_rules_rate_reruns_that_rule_alone():
    ex = widgets.explore(["SGD", "Adam"], objective="ravine", steps=40)
    sgd, adam = ex.runs["SGD"], ex.runs["Adam"]
    ex.controls["lr_Adam"].value = 0.05
    assert ex.runs["SGD"] is sgd and ex.runs["Adam"] is not adam
    np.testing.assert_allclose(ex.runs["Adam"].thetas, run(O.Adam(lr=0.05), get("ravine"), get("ravine").start, 40).thetas)
    assert "shown" not in ex.controls


def test_a_new_number_of_steps_resizes_the_play_button():
    ex = widgets.explore(["SGD"], objective="ravine", steps=60, play=True)
    ex.controls["steps"].value = 200
    play = ex.controls["shown"]
    assert play.max >= 200 and play.value == play.max and ex.scrub.max == play.max
    assert len(ex.plot.artists["SGD"][0].get_xydata()) == 201
