"""Kernel-free explorers of chapters 1-7: the batch-size table, a fixed y range, a hyperparameter for some rules."""
import numpy as np
import pytest

import gdcourse.optimizers as O
from gdcourse import playable, widgets
from gdcourse.objectives import get
from gdcourse.run import run


def small():
    return widgets.explore_variants(batch_size=4, lr=0.05, n=16, epochs=3)


def test_variants_table_holds_the_explorers_runs():
    ex = small()
    log_lrs = [-2.0, -1.0, 0.5]
    rows = playable.variants_table(ex.X, ex.y, epochs=3, seed=ex.seed, log_lrs=log_lrs)
    for b, log_lr in [(1, -2.0), (4, -1.0), (16, -2.0)]:
        mine = ex.compute(b, 10**log_lr)
        for name, hist in mine.items():
            got = [r["j"] for r in rows if r["b"] == np.log2(b) and r["l"] == log_lr and r["run"] == name]
            np.testing.assert_allclose(got, hist.epoch_losses - ex.min_value, rtol=1e-3)
    # Every slider setting has its curve; batch GD (b = n) has no separate reference curve.
    keys = {(r["b"], r["l"], r["run"]) for r in rows}
    assert len(keys) == 5 * 3 + 4 * 3
    assert {r["b"] for r in rows} == {0.0, 1.0, 2.0, 3.0, 4.0}


def test_a_diverged_run_leaves_the_plot_and_stops():
    ex = small()
    rows = playable.variants_table(ex.X, ex.y, epochs=3, seed=ex.seed, log_lrs=[0.5], cap=1e6)
    assert ex.compute(1, 10**0.5)[ex.names[0]].diverged_at > 0
    curve = [r for r in rows if r["b"] == 0.0 and r["run"] == ex.names[0]]
    assert curve[-1]["j"] == 1e6 and all(r["j"] < 1e6 for r in curve[:-1]) and len(curve) <= 4


def test_variants_explorer_starts_at_the_nearest_grid_values():
    ex = small()
    p = playable.variants_explorer(ex.X, ex.y, epochs=3, batch_size=4, lr=0.05)
    values = {q["name"]: q["value"] for q in p.spec["params"]}
    assert values == {"p_b": 2.0, "p_l": -1.25}
    assert p.spec["encoding"]["y"]["scale"]["domain"] == [1e-4, 3.0] and p.spec["mark"]["clip"] is True


def test_curve_explorer_range_follows_the_data_unless_fixed():
    table = [{"lr": lr, "step": s, "loss": lr * s} for lr in (0.1, 0.2) for s in range(3)]
    p = playable.curve_explorer(table, "step", "loss", {"lr": ("η", [0.1, 0.2], 0.1)})
    assert "domain" not in p.spec["encoding"]["y"].get("scale", {})


def test_bad_data_are_refused():
    with pytest.raises(ValueError, match="Invalid X, y"):
        playable.variants_table(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="Invalid log_lrs"):
        playable.variants_table(np.zeros((5, 2)), np.zeros(5), log_lrs=[])


def test_param_rules_leave_the_other_rules_at_their_default():
    p = playable.path_explorer(["Adagrad", "Adadelta"], "ravine", steps=20, lr={"Adagrad": (-1, -0.5, -1)},
                               param=("eps", [-6.0, -4.0], -6.0), param_rules=["Adadelta"])
    rows = p.spec["datasets"]["runs"]
    keys = {(r["r"], r["l"], r["p"]) for r in rows}
    assert keys == {("Adagrad", -1.0, None), ("Adagrad", -0.75, None), ("Adagrad", -0.5, None),
                    ("Adadelta", None, -6.0), ("Adadelta", None, -4.0)}
    obj = get("ravine")
    mine = [[r["x"], r["y"]] for r in rows if r["r"] == "Adagrad" and r["l"] == -0.75]
    np.testing.assert_allclose(mine, run(O.Adagrad(lr=10**-0.75), obj, obj.start, 20).thetas, atol=1e-4)
    mine = [[r["x"], r["y"]] for r in rows if r["r"] == "Adadelta" and r["p"] == -4.0]
    np.testing.assert_allclose(mine, run(O.Adadelta(eps=1e-4), obj, obj.start, 20).thetas, atol=1e-4)
    with pytest.raises(ValueError, match="Invalid param_rules"):
        playable.path_explorer(["SGD", "Adadelta"], param=("eps", [-6.0], -6.0), param_rules=["SGD"])
