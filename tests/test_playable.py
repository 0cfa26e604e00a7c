"""Kernel-free explorers: the precomputed table is the runs themselves, and the sliders select them."""
import numpy as np
import pytest

import gdcourse.optimizers as O
from gdcourse import playable
from gdcourse.objectives import get
from gdcourse.run import run


def test_path_explorer_table_holds_the_runs_of_every_slider_setting():
    p = playable.path_explorer(["SGD", "Momentum"], "ravine", steps=20,
                               lr={"SGD": (-2, -1, -1.5), "Momentum": (-2, -1, -1.5)},
                               param=("gamma", [0.5, 0.9], 0.9))
    rows = p.spec["datasets"]["runs"]
    obj = get("ravine")
    for rule, log_lr, gamma in [("SGD", -1.25, None), ("Momentum", -2.0, 0.5), ("Momentum", -1.0, 0.9)]:
        mine = [r for r in rows if r["r"] == rule and r["l"] == log_lr and r["p"] == gamma]
        opt = O.make(rule, lr=10**log_lr, gamma=gamma if gamma is not None else 0.9)
        traj = run(opt, obj, obj.start, 20)
        np.testing.assert_allclose([[r["x"], r["y"]] for r in mine], traj.thetas, atol=1e-4)
    # Every (rule, η, γ) a slider can reach has its run: 5 η × 1 for SGD, 5 η × 2 γ for Momentum.
    keys = {(r["r"], r["l"], r["p"]) for r in rows}
    assert len(keys) == 5 + 10
    names = {p["name"] for p in p.spec["params"]}
    assert names == {"lr_SGD", "lr_Momentum", "gamma"}


def test_diverged_runs_say_so_in_the_status_table():
    p = playable.path_explorer(["SGD"], "ravine", steps=100, lr={"SGD": (-1, 0.5, 0)})
    status = {s["l"]: s["m"] for s in p.spec["datasets"]["status"]}
    assert status[0.5].startswith("SGD: diverged at step")
    assert "after 100 steps" in status[-1.0]


def test_html_is_self_contained_and_stable():
    p = playable.path_explorer(["Adam"], "beale", steps=10)
    html = p.to_html()
    assert html == p.to_html() and "vegaEmbed" in html and p.nbytes == len(html.encode())


def test_curve_explorer_selects_rows_by_slider():
    table = [{"lr": lr, "step": s, "loss": lr * s} for lr in (0.1, 0.2) for s in range(3)]
    p = playable.curve_explorer(table, "step", "loss", {"lr": ("η", [0.1, 0.2], 0.1)})
    assert p.spec["datasets"]["table"] == table and p.spec["params"][0]["value"] == 0.1
    with pytest.raises(ValueError, match="Invalid table"):
        playable.curve_explorer([], "step", "loss", {})


def test_bad_rules_and_params_are_refused():
    with pytest.raises(ValueError, match="Invalid rules"):
        playable.path_explorer(["Adamm"])
    with pytest.raises(ValueError, match="Invalid param"):
        playable.path_explorer(["SGD"], param=("delta", [1.0], 1.0))
