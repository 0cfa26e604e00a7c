"""Races: frames of paths drawn step by step, the kernel-free player, and the explorer's play button."""
import base64
import io
import json
import re

import numpy as np
import PIL.Image
import pytest
from matplotlib.figure import Figure

import gdcourse.optimizers as O
from gdcourse import plotting, widgets
from gdcourse.objectives import get
from gdcourse.run import run, run_many


def _runs(obj, steps=30):
    return run_many({"SGD": O.SGD(lr=0.05), "Adam": O.Adam(lr=0.1), "Momentum": O.Momentum(lr=3.0)},
                    obj, obj.start, steps)


def test_frame_steps_cover_the_run_from_first_to_last_step():
    np.testing.assert_array_equal(plotting.frame_steps(10, 6), [0, 2, 4, 6, 8, 10])
    s = plotting.frame_steps(3, 40)
    np.testing.assert_array_equal(s, [0, 1, 2, 3])
    with pytest.raises(ValueError, match="Invalid frames: 1"):
        plotting.frame_steps(10, 1)
    with pytest.raises(ValueError, match="Invalid n_steps: 0"):
        plotting.frame_steps(0, 5)


def test_a_race_frame_draws_each_run_up_to_its_step_and_a_diverged_run_up_to_its_end():
    obj = get("ravine")
    runs = _runs(obj)
    assert runs["Momentum"].diverged_at > 0
    race = plotting.RacePlot(Figure(), obj, runs)
    race.show(12)
    (_, (path, head)), = race.lines["SGD"]
    np.testing.assert_allclose(path.get_xydata(), runs["SGD"].thetas[:13])
    np.testing.assert_allclose(head.get_xydata(), runs["SGD"].thetas[12:13])
    race.show(30)
    (_, (path, _)), = race.lines["Momentum"]
    np.testing.assert_allclose(path.get_xydata(), runs["Momentum"].thetas[: runs["Momentum"].diverged_at])
    assert race.suptitle.get_text() == "ravine: step 30 of 30"
    assert path.get_color() == plotting.PALETTE["Momentum"]


def test_the_surface_view_hides_the_points_outside_the_window():
    s = get("saddle")
    runs = {"Adam": run(O.Adam(lr=0.2), s, s.start, 40)}
    race = plotting.RacePlot(Figure(), s, runs, view="both")
    race.show(40)
    (panel, (path, _)), (panel2, _) = race.lines["Adam"]
    assert panel == "surface" and panel2 == "contours"
    x, y, z = path.get_data_3d()
    outside = np.abs(runs["Adam"].thetas[:, 1]) > 1.5
    assert outside.any() and np.all(np.isnan(x[outside]))
    np.testing.assert_allclose(z[~outside], s.value(runs["Adam"].thetas[~outside]))
    with pytest.raises(ValueError, match="Invalid view"):
        plotting.RacePlot(Figure(), s, runs, view="side")


def test_the_animation_embeds_one_png_per_frame_and_a_player():
    obj = get("beale")
    runs = _runs(obj, 20)
    anim = plotting.animate_paths(obj, runs, frames=5, dpi=40)
    np.testing.assert_array_equal(anim.steps, [0, 5, 10, 15, 20])
    sizes = {PIL.Image.open(io.BytesIO(f)).size for f in anim.frames}
    assert sizes == {(int(anim.figure.bbox.width), int(anim.figure.bbox.height))}
    assert len({f for f in anim.frames}) == 5  # every frame differs: the paths grow
    html = anim.to_html()
    frames = json.loads(re.search(r"frames = (\[.*?\])", html).group(1))
    assert [base64.b64decode(f) for f in frames] == anim.frames
    assert json.loads(re.search(r"steps = (\[.*?\])", html).group(1)) == [0, 5, 10, 15, 20]
    assert anim._repr_html_().startswith("<div id=\"gdcourse-anim-") and anim.nbytes > sum(map(len, anim.frames))
    # The same race through matplotlib's own player (slower: every frame is drawn in full).
    assert anim.funcanimation().to_jshtml().count("data:image/png;base64") >= 5


def test_race_figure_is_the_last_frame():
    obj = get("ravine")
    runs = _runs(obj, 10)
    fig = plotting.race_figure(obj, runs)
    path = [ln for ln in fig.axes[0].lines if ln.get_color() == plotting.PALETTE["SGD"]][0]
    np.testing.assert_allclose(path.get_xydata(), runs["SGD"].thetas)


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
