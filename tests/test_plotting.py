"""gdcourse.plotting: styles that never rely on colour alone, alt text, races and animations, the
Momentum/NAG figures, log axes and sweeps; every plot function returns what it drew."""
import base64
import io
import json
import re

import numpy as np
import PIL.Image
import pytest
from matplotlib.figure import Figure

import gdcourse.optimizers as O
from gdcourse import datasets, plotting
from gdcourse.loops import train
from gdcourse.models import LinearRegression
from gdcourse.objectives import Quadratic, Rosenbrock, get
from gdcourse.run import run, run_grid, run_many, steps_to


# --- Styles: colour is never the only cue -------------------------------------------------------

RULES = list(O.RULES)
NAMED = RULES + ["AdamW"]

# Machado, Oliveira & Fernandes (2009), severity 1, applied to linear RGB.
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])


def _lab(colors, cvd=None):
    """CIELAB (D65) of ``colors`` as a normal (``cvd=None``) or a dichromatic viewer sees them."""
    from matplotlib.colors import to_rgb

    rgb = np.array([to_rgb(c) for c in colors])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    if cvd is not None:
        lin = np.clip(lin @ cvd.T, 0, 1)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=-1)


def _closest_pair(colors, cvd):
    lab = _lab(list(colors.values()), cvd)
    d = np.linalg.norm(lab[:, None] - lab[None], axis=-1) + np.eye(len(lab)) * 1e9
    i, j = np.unravel_index(d.argmin(), d.shape)
    names = list(colors)
    return d[i, j], (names[i], names[j])


def test_the_simulation_reproduces_the_tab10_measurements_of_issue_15():
    # tab10, the old palette: Adadelta/Nadam 7.2 apart for deuteranopes, Momentum/Adagrad 5.7 for protanopes.
    d = _lab(["#ff7f0e", "#bcbd22"], DEUTERANOPIA)
    p = _lab(["#1f77b4", "#9467bd"], PROTANOPIA)
    assert np.linalg.norm(d[0] - d[1]) == pytest.approx(7.2, abs=0.05)
    assert np.linalg.norm(p[0] - p[1]) == pytest.approx(5.7, abs=0.05)


@pytest.mark.parametrize("cvd", [None, DEUTERANOPIA, PROTANOPIA], ids=["normal", "deuteranopia", "protanopia"])
@pytest.mark.parametrize("group", ["rules", "rules and extra colours", "Image 4 arrows"])
def test_colours_that_share_a_figure_stay_at_least_delta_e_10_apart(cvd, group):
    colors = {n: plotting.style(n)["color"] for n in NAMED}
    if group == "rules and extra colours":
        colors.update({f"extra {k}": c for k, c in enumerate(plotting._EXTRA)})
    elif group == "Image 4 arrows":
        colors = dict(plotting.NESTEROV_COLORS)
    d, pair = _closest_pair(colors, cvd)
    assert d >= 10, f"{pair} only ΔE76 = {d:.1f} apart"


def test_every_rule_colour_has_3_to_1_contrast_on_the_white_page():
    for name in NAMED:
        assert plotting._contrast(plotting.style(name)["color"], "white") >= 3, name


def test_palette_keeps_its_keys_and_styles_follow_it():
    assert list(plotting.PALETTE) == RULES
    for name in RULES:
        assert plotting.style(name)["color"] == plotting.PALETTE[name] == plotting.color(name)


def test_no_two_named_series_share_line_style_and_marker():
    keys = [(str(plotting.style(n)["linestyle"]), plotting.style(n)["marker"]) for n in NAMED]
    assert len(set(keys)) == len(keys)
    assert len({plotting.style(n)["marker"] for n in NAMED}) == len(NAMED)


def test_styles_are_keyed_on_the_exact_name():
    mine, lib = plotting.style("RMSprop (mine)"), plotting.style("RMSprop")
    assert mine["color"] != lib["color"] and mine != lib
    assert plotting.style("RMSprop (mine)") == mine  # deterministic, the same in every figure
    both = plotting.styles(["RMSprop (mine)", "RMSprop (gdcourse)", "RMSprop"])
    assert len({s["color"] for s in both.values()}) == 3
    with pytest.raises(ValueError, match="Invalid name"):
        plotting.style(3)


def test_styles_of_a_figure_tell_every_series_apart():
    names = [f"run {k}" for k in range(12)] + NAMED
    st = plotting.styles(names)
    assert list(st) == names
    assert len({s["color"] for s in st.values()}) == len(plotting._EXTRA) + len(NAMED)  # every colour in use
    assert len({(str(s["linestyle"]), s["marker"]) for s in st.values()}) == len(names)


def test_the_explorers_dash_is_the_same_pattern_as_the_line_style():
    for name in NAMED + ["batch GD", "with BN"]:
        s = plotting.style(name)
        if s["linestyle"] == "-":
            assert s["dash"] == []
        else:
            assert s["dash"] == [2 * x for x in s["linestyle"][1]]
        assert s["shape"] in ("circle", "square", "triangle-up", "triangle-down", "triangle-left",
                              "triangle-right", "diamond", "cross") or s["shape"].startswith("M")


def test_line_kw_draws_a_series_in_its_style():
    ax = Figure().subplots()
    (line,) = ax.plot([0, 1, 2], [2, 1, 0], **plotting.line_kw("Adagrad", marker="every"))
    st = plotting.style("Adagrad")
    assert line.get_color() == st["color"] and line.get_marker() == st["marker"]
    assert _dashes(line) == tuple(st["linestyle"][1])
    with pytest.raises(ValueError, match="Invalid marker"):
        plotting.line_kw("SGD", marker="all")


def _all_runs(obj, steps=40):
    rules = {r: getattr(O, r)() for r in RULES}
    return run_many(rules, obj, obj.start, steps)


def _dashes(line):
    """The dash pattern a line is drawn with (get_linestyle() says "--" for every custom pattern)."""
    offset, pattern = line._unscaled_dash_pattern
    return tuple(pattern) if pattern else ()


def test_the_ten_rules_differ_by_line_style_or_marker_in_paths_losses_and_legends():
    obj = get("rosenbrock")
    runs = _all_runs(obj)
    fig = plotting.path_figure(obj, runs)
    ax_path, ax_loss = fig.axes
    for ax in (ax_path, ax_loss):
        lines = [ln for ln in ax.lines if ln.get_color() in plotting.PALETTE.values() and ln.get_linestyle() != "None"]
        keys = {(_dashes(ln), ln.get_marker()) for ln in lines}
        assert len(keys) >= len(RULES), ax
        assert {ln.get_marker() for ln in lines} >= {plotting.style(r)["marker"] for r in RULES}
    handles = ax_loss.get_legend().legend_handles
    assert len({(_dashes(h), h.get_marker()) for h in handles}) == len(RULES)


def test_an_animation_draws_each_run_with_its_marker_and_line_style():
    obj = get("ravine")
    runs = _runs(obj, 10)
    race = plotting.RacePlot(Figure(), obj, runs)
    for name in runs:
        (_, (path, head)), = race.lines[name]
        st = plotting.style(name)
        assert head.get_marker() == st["marker"] and path.get_color() == st["color"]
    assert len({(_dashes(race.lines[n][0][1][0]), race.lines[n][0][1][1].get_marker()) for n in runs}) == len(runs)
    assert _dashes(race.lines["Momentum"][0][1][0]) != _dashes(race.lines["SGD"][0][1][0])


# --- Every plot_* returns its artists --------------------------------------------------------------


def _history(losses, batch):
    from types import SimpleNamespace

    return SimpleNamespace(epoch_losses=losses, epoch_times=np.arange(1, len(losses) + 1) * 0.1,
                           batch_losses=batch, updates_per_epoch=2, diverged_at=-1)


def _sim(k):
    from types import SimpleNamespace

    n = 20
    return SimpleNamespace(losses=np.geomspace(1, 1e-3 * k, n), steps=np.arange(n), times=np.arange(n) * 0.5,
                           drift=np.linspace(0, k, n), diverged_at=-1, staleness=np.arange(n) % (k + 2),
                           updates=np.arange(n), step_worker=np.arange(n) % 2, step_start=np.arange(n) * 1.0,
                           step_end=np.arange(n) + 0.8, apply_shard=np.zeros(n, int), apply_time=np.arange(n) + 0.8,
                           apply_worker=np.arange(n) % 2)


@pytest.mark.parametrize("name", [n for n in plotting.__all__ if n.startswith("plot_")])
def test_every_plot_function_returns_the_artists_it_drew(name):
    from matplotlib.artist import Artist

    obj = get("ravine")
    runs = {"SGD": run(O.SGD(lr=0.05), obj, obj.start, 20), "Adam": run(O.Adam(lr=0.1), obj, obj.start, 20)}
    hists = {"batch": _history([1.0, 0.5, 0.2], [1.0, 0.8, 0.6, 0.4, 0.3, 0.2]),
             "SGD": _history([1.0, 0.4, 0.1], [1.0, 0.5, 0.6, 0.2, 0.3, 0.1])}
    sims = {"W = 2": _sim(1), "W = 4": _sim(2)}
    ax = Figure().subplots()
    call = {
        "plot_paths": lambda: plotting.plot_paths(ax, runs),
        "plot_losses": lambda: plotting.plot_losses(ax, runs, obj.min_value),
        "plot_history": lambda: plotting.plot_history(ax, hists),
        "plot_batch_losses": lambda: plotting.plot_batch_losses(ax, hists),
        "plot_curves": lambda: plotting.plot_curves(ax, {"a": ([1, 2], [2, 1])}, "x", "y"),
        "plot_sweep": lambda: plotting.plot_sweep(ax, [0.05, 0.1], {"SGD": run_grid("SGD", obj, obj.start, 20,
                                                                                    lr=[0.05, 0.1])},
                                                  obj.min_value, 1e-3).lines,
        "plot_timeline": lambda: plotting.plot_timeline(ax, sims["W = 2"]),
        "plot_staleness": lambda: plotting.plot_staleness(ax, sims),
        "plot_sim_losses": lambda: plotting.plot_sim_losses(ax, sims),
        "plot_drift": lambda: plotting.plot_drift(ax, sims),
        "plot_hogwild": lambda: plotting.plot_hogwild(ax, sims),
    }[name]
    drawn = call()
    assert isinstance(drawn, list) and drawn and all(isinstance(a, Artist) for a in drawn)
    assert all(a.axes is ax for a in drawn)
    assert plotting.colour_only(ax.figure) == []     # its legend never tells series apart by colour alone


# --- Alt text -------------------------------------------------------------------------------------


def test_alt_text_says_what_a_path_figure_shows():
    obj = get("rosenbrock")
    runs = _runs(obj, 20)
    alt = plotting.alt_text(plotting.path_figure(obj, runs))
    assert "rosenbrock" in alt and all(r in alt for r in runs)
    assert "θ₂ against θ₁" in alt and "(log scale) against step" in alt
    assert "Momentum diverged at step" in alt or runs["Momentum"].diverged_at < 0
    assert ".png" not in alt and "_images" not in alt


def test_alt_text_describes_any_figure_and_a_chapter_may_give_its_own():
    fig = Figure()
    ax = fig.subplots()
    ax.plot([1, 2], [3, 4], label="measured")
    ax.set(xlabel="batch size", ylabel="variance", title="noise", yscale="log")
    ax.legend()
    assert plotting.alt_text(fig) == "Figure. “noise”; variance (log scale) against batch size; series: measured."
    assert plotting.describe(fig, " The variance falls as 1/n. ") is fig
    assert plotting.alt_text(fig) == "The variance falls as 1/n."
    with pytest.raises(ValueError, match="Invalid text"):
        plotting.describe(fig, "")


def test_a_shown_figure_carries_its_alt_text_even_after_pyplot_takes_over_the_png_formatter():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    shell = InteractiveShell.instance()
    try:
        plotting._show_figures_in_ipython()
        select_figure_formats(shell, {"png"})  # what matplotlib's inline backend does when pyplot starts
        fig = plotting.path_figure(get("ravine"), _runs(get("ravine"), 10))
        data, meta = shell.display_formatter.format(fig)
        assert data["image/png"] and meta["image/png"]["alt"] == plotting.alt_text(fig)
    finally:
        InteractiveShell.clear_instance()


def test_the_animation_player_has_alt_text_and_named_controls():
    obj = get("beale")
    anim = plotting.animate_paths(obj, _runs(obj, 10), frames=3, dpi=30)
    html = anim.to_html()
    alt = re.search(r'<img [^>]*alt="([^"]*)"', html).group(1)
    assert alt.startswith("Animation of SGD, Adam, Momentum on the beale objective")
    assert re.search(r'<input type="range"[^>]*aria-label="animation frame', html)


# --- Races and animations (the visualization chapter) ----------------------------------------

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


# --- Momentum and NAG: Image 4's arrows, sweeps ---------------------------------------------

def _state_after(rule, objective, steps, **hp):
    opt = rule(**hp)
    theta = np.asarray(objective.start, dtype=np.float64)
    for _ in range(steps):
        theta = opt.step(theta, objective.grad)
    return opt, theta


@pytest.mark.parametrize("objective", [Quadratic(), Rosenbrock()])
def test_nesterov_arrows_end_where_nag_and_momentum_step(objective):
    hp = dict(lr=1e-3 if objective.name == "rosenbrock" else 0.1, gamma=0.9)
    nag, theta = _state_after(O.NAG, objective, 4, **hp)
    gamma_v = nag.gamma * nag.state["v"]
    ahead = nag.lr * objective.grad(theta - gamma_v)
    here = nag.lr * objective.grad(theta)
    mom = O.Momentum(**hp)
    mom.load_state_dict(nag.state_dict())

    ax = Figure().subplots()
    drawn = plotting.nesterov_arrows(ax, theta, gamma_v, ahead, here)

    nag_next, mom_next = nag.step(theta, objective.grad), mom.step(theta, objective.grad)
    np.testing.assert_allclose(drawn["jump"][1], theta - gamma_v)
    np.testing.assert_allclose(drawn["correction"][0], drawn["jump"][1])
    np.testing.assert_allclose(drawn["correction"][1], nag_next, rtol=1e-12)
    np.testing.assert_allclose(drawn["nag"][1], nag_next, rtol=1e-12)
    np.testing.assert_allclose(drawn["momentum_gradient"][1], theta - here)
    np.testing.assert_allclose(drawn["momentum_jump"][1], mom_next, rtol=1e-12)
    # Zoomed to the arrows: every end point is inside the axes.
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for start, end in drawn.values():
        assert x0 < end[0] < x1 and y0 < end[1] < y1


def test_nesterov_arrows_without_momentum_draws_three_arrows():
    drawn = plotting.nesterov_arrows(Figure().subplots(), [0.0, 0.0], [1.0, 0.0], [0.0, 0.5], legend=False)
    assert set(drawn) == {"jump", "correction", "nag"}
    np.testing.assert_allclose(drawn["nag"][1], [-1.0, -0.5])


@pytest.mark.parametrize("bad", [[1.0], [np.nan, 0.0], "ab"])
def test_nesterov_arrows_rejects_bad_vectors(bad):
    with pytest.raises(ValueError, match="Invalid gamma_v"):
        plotting.nesterov_arrows(Figure().subplots(), [0.0, 0.0], bad, [0.0, 0.5])


def test_plot_sweep_draws_steps_to_tolerance_and_marks_divergence():
    obj = Quadratic()
    lrs = np.array([0.05, 0.5, 1.2, 2.5])  # the last one diverges for Momentum (eta * 2 > 2 (1 + gamma))
    runs = {"Momentum": run_grid("Momentum", obj, obj.start, 300, lr=lrs, gamma=0.9)}
    ax = Figure().subplots()
    out = plotting.plot_sweep(ax, lrs, runs, obj.min_value, 1e-6)
    expected = steps_to(runs["Momentum"], obj.min_value, 1e-6)
    np.testing.assert_array_equal(out["Momentum"], expected)
    line, crosses = ax.lines
    np.testing.assert_array_equal(line.get_ydata(), np.where(expected >= 0, expected, np.nan))
    np.testing.assert_array_equal(crosses.get_xdata(), lrs[runs["Momentum"].diverged])
    assert runs["Momentum"].diverged.tolist() == [False, False, False, True]


def test_plot_sweep_rejects_runs_of_another_length():
    obj = Quadratic()
    runs = {"SGD": run_grid("SGD", obj, obj.start, 10, lr=[0.1, 0.2])}
    with pytest.raises(ValueError, match="Invalid runs"):
        plotting.plot_sweep(Figure().subplots(), [0.1, 0.2, 0.3], runs, 0.0, 1e-3)


def test_sweep_heatmap_greys_out_configurations_that_never_arrive():
    fig = Figure()
    ax = fig.subplots()
    needed = np.array([[3, -1, 10], [-1, 7, 1]])
    mesh = plotting.sweep_heatmap(ax, [0.1, 0.2, 0.3], [0.0, 0.9], needed)
    arr = mesh.get_array()
    assert np.ma.count_masked(arr) == 2 and arr.min() == 1 and arr.max() == 10
    assert len(fig.axes) == 2  # the map and its colour bar
    with pytest.raises(ValueError, match="Invalid needed"):
        plotting.sweep_heatmap(ax, [0.1, 0.2], [0.0, 0.9], needed)


# --- Plain log axes and sweeps under constrained layout -------------------------------------

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


# Loss-panel limits in whole decades.

def _is_power_of_ten(x):
    return np.isclose(np.log10(x), np.round(np.log10(x)))


def test_decades_rounds_the_loss_limits_out_to_powers_of_ten_around_the_curves():
    obj = get("ravine")
    runs = run_many({"Adagrad": O.Adagrad(lr=0.5), "RMSprop": O.RMSprop(lr=0.01)}, obj, obj.start, 200)
    plain = plotting.PathPlot(Figure(), obj, list(runs)).update(runs)
    snapped = plotting.PathPlot(Figure(), obj, list(runs)).update(runs, decades=True)
    lo, hi = snapped.ax_loss.get_ylim()
    assert _is_power_of_ten(lo) and _is_power_of_ten(hi)
    p_lo, p_hi = plain.ax_loss.get_ylim()
    assert lo <= p_lo < 10 * lo and hi / 10 < p_hi <= hi          # the least widening that reaches a decade


# The family tree of the conclusion: every rule has its place and a parent it improves on.

def test_lineage_covers_every_rule_but_sgd_and_adamw_and_parents_exist():
    assert set(plotting.LINEAGE) == (set(O.RULES) - {"SGD"}) | {"AdamW"}
    for child, (parents, weakness) in plotting.LINEAGE.items():
        assert parents and all(p in O.RULES for p in parents) and weakness


def test_family_tree_draws_one_box_per_rule_and_one_arrow_per_parent():
    ax = plotting.family_tree(Figure().add_subplot())
    boxes = [t.get_text() for t in ax.texts if t.get_bbox_patch() is not None and t.get_fontweight() == "bold"]
    assert sorted(boxes) == sorted([*O.RULES, "AdamW"])
    arrows = [t for t in ax.texts if t.get_text() == ""]
    assert len(arrows) == sum(len(p) for p, _ in plotting.LINEAGE.values())


# Figures the chapters draw: paths, histories, curves.

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
