"""Kernel-free explorers over precomputed tables: the online problem and the parallel simulator.

Each table must hold exactly the runs the simulator (or run_online) gives for every slider setting.
"""
import numpy as np
import pytest

from gdcourse import datasets, make, models, objectives, parallel, playable
from gdcourse.optimizers import SGD
from gdcourse.run import run_online


def _curve(rows, **key):
    mine = [r for r in rows if all(r.get(k) == v for k, v in key.items())]
    return np.array([r["x"] for r in mine]), np.array([r["y"] for r in mine])


def test_curve_explorer_draws_rows_without_a_field_at_every_value_and_styles_series():
    table = [{"lr": lr, "s": s, "v": lr * s, "c": "run"} for lr in (0.1, 0.2) for s in range(3)]
    table += [{"s": s, "v": 0.0, "c": "reference"} for s in range(3)]   # no "lr": shown at every η
    p = playable.curve_explorer(table, "s", "v", {"lr": ("η", [0.1, 0.2], 0.1)}, series="c", log_x=True,
                                dashed=("reference",), colors={"run": "#123456"})
    test = p.spec["transform"][0]["filter"]
    assert "isValid(datum['lr'])" in test
    enc = p.spec["encoding"]
    assert enc["color"]["scale"]["range"][0] == "#123456"
    assert enc["strokeDash"]["scale"]["range"] == [[1, 0], [5, 3]]
    assert enc["x"]["scale"]["type"] == "log"


def test_online_table_holds_x_t_of_every_setting_and_keeps_the_jumps():
    p = playable.online_explorer(beta2=(0.99, 0.999), log_lr=(-1.0, -0.5), steps=210, every=10,
                                 default=(0.99, -1.0))
    rows = p.spec["datasets"]["table"]
    prob = objectives.PeriodicLinear()
    for rule, b2, l in [("Adam", 0.99, -1.0), ("AMSGrad", 0.999, -0.5)]:
        mine = [r for r in rows if r["rule"] == rule and r["b2"] == b2 and r["l"] == l]
        xs = run_online(make(rule, lr=10**l, beta1=0.9, beta2=b2), prob.grad, np.zeros(1), 210, -1, 1).xs[:, 0]
        t = np.array([r["t"] for r in mine])
        np.testing.assert_allclose([r["x"] for r in mine], xs[t], atol=5e-4)
        # every 10th step, both sides of each large gradient (t = 1, 102, 203) and the last step
        assert {0, 1, 10, 101, 102, 202, 203, 210} <= set(t.tolist()) and len(t) == len(set(t))
    assert {(r["rule"], r.get("b2"), r.get("l")) for r in rows} == \
        {(r, b, l) for r in ("Adam", "AMSGrad") for b in (0.99, 0.999) for l in (-1.0, -0.5)} | \
        {("best fixed point x*", None, None)}
    assert [r["x"] for r in rows if r["rule"] == "best fixed point x*"] == [-1.0, -1.0]
    with pytest.raises(ValueError, match="Invalid rules"):
        playable.online_explorer(rules=["SGD"])
    with pytest.raises(ValueError, match="Invalid default"):
        playable.online_explorer(beta2=(0.9, 0.95), default=(0.99, -1.0))


def test_downpour_table_is_the_simulator_and_diverged_curves_stop_at_the_edge():
    p = playable.downpour_explorer(log2_workers=(0, 4), log_lr=(-1.5, 0.0), steps=60, record_every=10,
                                   default=(0, -1.5))
    rows = p.spec["datasets"]["table"]
    d = datasets.diabetes()
    model = models.LinearRegression()
    jstar = model.loss(model.minimizer(d.X, d.y), d.X, d.y)
    r = parallel.downpour(parallel.Problem(model, d.X, d.y), np.zeros(d.X.shape[1] + 1), make("Adagrad", lr=10**-1.5),
                          workers=16, steps=60, batch_size=8, spread=0.5, record_every=10)
    x, y = _curve(rows, server="Adagrad", W=4.0, l=-1.5)
    np.testing.assert_array_equal(x, r.steps)
    np.testing.assert_allclose(y, r.losses - jstar, rtol=1e-3)
    # SGD at η = 1 with 16 replicas diverges: its curve ends at its first point above the plot
    x, y = _curve(rows, server="SGD", W=4.0, l=0.0)
    assert len(x) < 7 and y[-1] > 100 and np.all(y[:-1] <= 100)
    with pytest.raises(ValueError, match="Invalid log2_workers"):
        playable.downpour_explorer(log2_workers=(0, 1.5), default=(0, -1.25))


def test_hogwild_table_stores_references_once():
    p = playable.hogwild_explorer(log2_workers=(0, 3), log2_features=(3, 5), log_lr=(-0.5, 0.0), steps=40,
                                  default=(3, 5, 0.0))
    rows = p.spec["datasets"]["table"]
    serial = [r for r in rows if r["curve"] == "serial SGD"]
    share = [r for r in rows if r["curve"] == "share of updates that conflicted"]
    assert serial and all("W" not in r for r in serial)          # shown at every W
    assert share and all("l" not in r for r in share)            # conflicts do not depend on η
    assert all(0 <= r["y"] <= 1 for r in share)
    ds = datasets.sparse_classification(1000, [4 / 32] * 32, seed=0)
    prob = parallel.Problem(models.LogisticRegression(), ds.X, ds.y, bias=False)
    r = parallel.downpour(prob, np.zeros(32), SGD(lr=1.0), workers=8, steps=40, spread=0.5, record_every=10)
    _, y = _curve(rows, curve="W lock-free workers", W=3.0, p=5.0, l=0.0)
    np.testing.assert_allclose(y, r.losses, rtol=1e-3)
    c = parallel.conflicts(r, ds.X > 0)
    _, y = _curve(rows, curve="share of updates that conflicted", W=3.0, p=5.0)
    assert y[-1] == pytest.approx(c.mean(), rel=1e-3)


def test_delay_sync_and_easgd_tables():
    p = playable.delay_explorer(log2_workers=(0, 2), log_lr=(0.0, 0.5), steps=20, default=(2, 0.0))
    rows = p.spec["datasets"]["table"]
    # with one worker (no delays) Adagrad and AdaptiveRevision are the same rule
    for l in (0.0, 0.5):
        np.testing.assert_allclose(_curve(rows, server="Adagrad", W=0.0, l=l)[1],
                                   _curve(rows, server="AdaptiveRevision", W=0.0, l=l)[1], rtol=1e-9)

    p = playable.sync_explorer(log2_workers=(0, 2), log_lr=(-1.0,), steps=32, default=(2, -1.0))
    rows = p.spec["datasets"]["table"]
    xs, _ = _curve(rows, run="synchronous", K=2.0, l=-1.0)
    xa, _ = _curve(rows, run="asynchronous", K=2.0, l=-1.0)
    assert np.all(xs > 0) and xs[-1] > xa[-1]        # waiting for the slowest worker takes longer
    assert p.spec["encoding"]["x"]["scale"]["type"] == "log"

    p = playable.easgd_explorer(log_rho=(0.0, 1.0), log2_tau=(0, 2), log_lr=(-1.0, -0.5), steps=24,
                                record_every=8, default=(0.0, 2, -1.0))
    rows = p.spec["datasets"]["table"]
    down = [r for r in rows if r["curve"] == "Downpour, same τ"]
    assert down and all("rho" not in r for r in down)
    # ρ = 10 at η = 0.3 would make α = ηρ ≥ 1: it runs at ρ = 0.99 / η instead
    prob = parallel.NoisyObjective(objectives.Quadratic(), sigma=2.0, n=256, seed=0)
    r = parallel.easgd(prob, np.array([-4.0, 1.5]), lr=10**-0.5, rho=0.99 / 10**-0.5, tau=4, workers=4, steps=24,
                       spread=0.5, record_every=8)
    np.testing.assert_allclose(_curve(rows, curve="EASGD centre", rho=1.0, tau=2.0, l=-0.5)[1], r.losses, rtol=1e-3)
