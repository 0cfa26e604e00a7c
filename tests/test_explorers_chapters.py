"""The chapters' explorers over precomputed tables: each table holds exactly the runs a single call would make."""
import numpy as np
import pytest

from gdcourse import datasets, hogwild, loops, make, models, nn, objectives, parallel
from gdcourse import objectives as objs
from gdcourse.explorers import chapters
from gdcourse.optimizers import SGD
from gdcourse.run import run, run_online


class small:
    """16 examples of the diabetes data and their runs, as the chapter's explorer draws them."""

    def __init__(self, n=16, seed=0):
        full = datasets.diabetes()
        idx = np.random.default_rng(seed).permutation(full.n)[:n]
        self.X, self.y, self.seed, self.n = full.X[idx], full.y[idx], seed, n
        model = models.LinearRegression()
        self.min_value = float(model.loss(model.minimizer(self.X, self.y), self.X, self.y))
        self.names = ("this batch size", f"batch GD (b = {n})")
        fit = lambda b, lr: loops.train(model, make("SGD", lr=lr), self.X, self.y, np.zeros(self.X.shape[1] + 1),
                                        epochs=3, batch_size=b, seed=seed)
        self.compute = lambda b, lr: {self.names[0]: fit(b, lr), **({self.names[1]: fit(n, lr)} if b != n else {})}


def test_variants_table_holds_the_explorers_runs():
    ex = small()
    log_lrs = [-2.0, -1.0, 0.5]
    rows = chapters.variants_table(ex.X, ex.y, epochs=3, seed=ex.seed, log_lrs=log_lrs)
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
    rows = chapters.variants_table(ex.X, ex.y, epochs=3, seed=ex.seed, log_lrs=[0.5], cap=1e6)
    assert ex.compute(1, 10**0.5)[ex.names[0]].diverged_at > 0
    curve = [r for r in rows if r["b"] == 0.0 and r["run"] == ex.names[0]]
    assert curve[-1]["j"] == 1e6 and all(r["j"] < 1e6 for r in curve[:-1]) and len(curve) <= 4


def test_variants_explorer_starts_at_the_nearest_grid_values():
    ex = small()
    p = chapters.variants_explorer(ex.X, ex.y, epochs=3, batch_size=4, lr=0.05)
    assert p.values == {"b": 2.0, "l": -1.25}
    assert p.panels[0]["ylim"] == [1e-4, 3.0] and p.panels[0]["ylog"]


def test_curve_explorer_range_follows_the_data_unless_fixed():
    table = [{"lr": lr, "step": s, "loss": lr * s} for lr in (0.1, 0.2) for s in range(3)]
    p = chapters.curve_explorer(table, "step", "loss", {"lr": ("η", [0.1, 0.2], 0.1)})
    assert "ylim" not in p.panels[0]


def test_bad_data_are_refused():
    with pytest.raises(ValueError, match="Invalid X, y"):
        chapters.variants_table(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="Invalid log_lrs"):
        chapters.variants_table(np.zeros((5, 2)), np.zeros(5), log_lrs=[])




def _digits(n, n_val):
    tr, va = datasets.digits().split(0.25, seed=0)
    return tr.X[:n], tr.y[:n], va.X[:n_val], va.y[:n_val]


def test_orders_table_holds_the_single_runs_of_every_order_and_eta():
    n, n_val, epochs, bs = 60, 40, 2, 20
    rows = chapters.orders_table(n=n, n_val=n_val, batch_size=bs, epochs=epochs, log_lrs=[-1.0, -0.5],
                                 record_every=1)
    X, y, Xv, yv = _digits(n, n_val)
    model = nn.MLP((64, 10))
    diff = loops.centroid_difficulty(X, y)
    orders = {"sorted by label": loops.sorted_order(y), "curriculum, mixed": loops.curriculum(diff, epochs, "mixed"),
              "shuffled every epoch": "shuffle"}
    for name, order in orders.items():
        h = loops.train(model, make("SGD", lr=10**-0.5), X, y, model.init(0), epochs=epochs, batch_size=bs,
                        order=order, record_every=1)
        mine = [r for r in rows if r["order"] == name and r["l"] == -0.5]
        np.testing.assert_allclose([r["e"] for r in mine], np.arange(len(h.thetas)) * bs / n, atol=1e-4)
        np.testing.assert_allclose([r["loss"] for r in mine], model.loss(h.thetas, Xv, yv), rtol=1e-3)
        np.testing.assert_allclose([r["acc"] for r in mine], model.accuracy(h.thetas, Xv, yv), atol=1e-4)
    assert {r["order"] for r in rows} == set(chapters._ORDERS)
    p = chapters.orders_explorer(lr=0.3, n=n, n_val=n_val, batch_size=bs, epochs=epochs, log_lrs=[-1.0, -0.5])
    assert p.values["l"] == -0.5  # the grid's η nearest to 0.3
    assert all("held-out accuracy" in s["m"] for s in p.status_rows)


def test_batchnorm_table_matches_single_runs_and_marks_divergence():
    kw = dict(n=64, depth=2, width=8, batch_size=16, epochs=2)
    rows, status = chapters.batchnorm_table(log_lrs=[-1.0, 2.0], log_scales=[0.0, 1.0], **kw)
    X, y, _, _ = _digits(64, 1)
    for bn, name in ((True, "with batch normalization"), (False, "without batch normalization")):
        net = nn.MLP((64, 8, 8, 10), "relu", batchnorm=bn)
        h = loops.train(net, make("SGD", lr=0.1), X, y, net.init(0, scale=10.0), epochs=2, batch_size=16)
        mine = [r for r in rows if r["net"] == name and r["l"] == -1.0 and r["s"] == 1.0]
        assert [r["u"] for r in mine] == list(range(1, 9))
        np.testing.assert_allclose([r["j"] for r in mine], np.minimum(h.batch_losses, 1e3), rtol=1e-3)
    # Without batch normalization, η = 100 from scale 10 diverges: the curve ends at the cap, and the status says so.
    h = loops.train(nn.MLP((64, 8, 8, 10), "relu"), make("SGD", lr=100.0), X, y,
                    nn.MLP((64, 8, 8, 10), "relu").init(0, scale=10.0), epochs=2, batch_size=16)
    assert h.diverged_at >= 0
    mine = [r for r in rows if r["net"] == "without batch normalization" and r["l"] == 2.0 and r["s"] == 1.0]
    assert mine[-1]["j"] == 1e3 and mine[-1]["u"] == h.diverged_at
    msg = next(s["m"] for s in status if s["l"] == 2.0 and s["s"] == 1.0)
    assert f"without batch normalization: diverged at update {h.diverged_at}" in msg
    chance = [r for r in rows if r["net"] == "chance level (ln 10)"]
    assert len(chance) == 2 and "l" not in chance[0] and chance[0]["j"] == pytest.approx(np.log(10), rel=1e-3)
    with pytest.raises(ValueError, match="Invalid batch_size"):
        chapters.batchnorm_table(n=64, batch_size=24)


def test_early_stopping_table_agrees_with_training_with_patience():
    kw = dict(n=40, hidden=8, epochs=12, batch_size=10)
    curves, stops = chapters.early_stopping_table(log_lrs=(-2.0, -1.5), patiences=(1, 2, 3), **kw)
    d = datasets.breast_cancer()
    rest, _ = d.split(0.3, seed=0)
    tr, va = rest.split(0.3, seed=1)
    net = nn.MLP((30, 8, 2))
    for p in (1, 2, 3):
        h = loops.train(net, make("Adam", lr=10**-1.5), tr.X[:40], tr.y[:40], net.init(0), epochs=12,
                        batch_size=10, val=(va.X, va.y), patience=p)
        row = next(r for r in stops if r["l"] == -1.5 and r["p"] == p)
        assert row["stop"] == (h.stopped_at if h.stopped_at >= 0 else None)
        assert row["best"] == h.best_epoch
        assert row["vbest"] == pytest.approx(h.val_losses[h.best_epoch], rel=1e-3)
        val = [r["j"] for r in curves if r["l"] == -1.5 and r["s"] == "validation loss"]
        np.testing.assert_allclose(val[:len(h.val_losses)], h.val_losses, rtol=1e-3)
    # More patience never stops earlier (the laws of the chapter).
    for l in (-2.0, -1.5):
        ends = [r["end"] for r in stops if r["l"] == l]
        assert ends == sorted(ends)
    p = chapters.early_stopping_explorer(patience=2, lr=0.03, log_lrs=(-2.0, -1.5), patiences=(1, 2, 3), **kw)
    assert p.values == {"l": -1.5, "p": 2}
    # At each setting: the curves up to the stop, the faint rest, the stop line and the kept epoch.
    row = next(r for r in stops if r["l"] == -1.5 and r["p"] == 2)
    shown = {it["s"]: it for it in p.data()["items"]}
    assert shown["validation loss"]["x"][-1] == row["end"] and shown["epoch kept"]["x"] == [row["best"]]
    assert ("stop" in shown) == (row["stop"] is not None)


def test_noise_table_blocks_are_the_explorers_runs():
    obj = objs.get("styblinski-tang")
    rows, status = chapters.noise_table(steps=40, runs=4, log_etas=[0.0, 3.0], gammas=[0.55], points=400)
    start = np.broadcast_to(np.asarray(obj.start, dtype=float), (4, 2)).copy()
    for l in (0.0, 3.0):
        noise = loops.GradientNoise(10.0**l, 0.55, seed=0)
        traj = run(make("SGD", lr=0.01), obj, start, 40, grad_fn=lambda th: noise(obj.grad(th)))
        gap = traj.losses - obj.min_value
        for name, want in (("noisy runs: best", gap.min(1)), ("noisy runs: mean", gap.mean(1)),
                           ("noisy runs: worst", gap.max(1))):
            mine = [r for r in rows if r.get("l") == l and r["run"] == name]
            assert [r["t"] for r in mine] == list(range(1, 42))
            np.testing.assert_allclose([r["j"] for r in mine], np.maximum(want, 1e-12), rtol=5e-3)
        best = obj.minima[np.argmin([obj(m) for m in obj.minima])]
        hit = int(np.sum(np.all(np.abs(traj.final - best) < 0.5, axis=-1)))
        assert next(s["m"] for s in status if s["l"] == l).startswith(f"{hit} of 4 noisy runs")
    clean = [r for r in rows if r["run"] == "without noise"]
    assert len(clean) == 41 and "l" not in clean[0]  # stored once, drawn at every (η, γ)
    with pytest.raises(ValueError, match="Invalid gammas"):
        chapters.noise_table(gammas=[-0.5])



def _curve(rows, **key):
    mine = [r for r in rows if all(r.get(k) == v for k, v in key.items())]
    return np.array([r["x"] for r in mine]), np.array([r["y"] for r in mine])


def test_online_table_holds_x_t_of_every_setting_and_keeps_the_jumps():
    p = chapters.online_explorer(beta2=(0.99, 0.999), log_lr=(-1.0, -0.5), steps=210, every=10,
                                 default=(0.99, -1.0))
    rows = p.table
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
        chapters.online_explorer(rules=["SGD"])
    with pytest.raises(ValueError, match="Invalid default"):
        chapters.online_explorer(beta2=(0.9, 0.95), default=(0.99, -1.0))


def test_downpour_table_is_the_simulator_and_diverged_curves_stop_at_the_edge():
    p = chapters.downpour_explorer(log2_workers=(0, 4), log_lr=(-1.5, 0.0), steps=60, record_every=10,
                                   default=(0, -1.5))
    rows = p.table
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
        chapters.downpour_explorer(log2_workers=(0, 1.5), default=(0, -1.25))


def test_hogwild_table_stores_references_once():
    p = chapters.hogwild_explorer(log2_workers=(0, 3), log2_features=(3, 5), log_lr=(-0.5, 0.0), steps=40,
                                  default=(3, 5, 0.0))
    rows = p.table
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
    c = hogwild.conflicts(r, ds.X > 0)
    _, y = _curve(rows, curve="share of updates that conflicted", W=3.0, p=5.0)
    assert y[-1] == pytest.approx(c.mean(), rel=1e-3)


def test_delay_sync_and_easgd_tables():
    p = chapters.delay_explorer(log2_workers=(0, 2), log_lr=(0.0, 0.5), steps=20, default=(2, 0.0))
    rows = p.table
    # with one worker (no delays) Adagrad and AdaptiveRevision are the same rule
    for l in (0.0, 0.5):
        np.testing.assert_allclose(_curve(rows, server="Adagrad", W=0.0, l=l)[1],
                                   _curve(rows, server="AdaptiveRevision", W=0.0, l=l)[1], rtol=1e-9)

    p = chapters.sync_explorer(log2_workers=(0, 2), log_lr=(-1.0,), steps=32, default=(2, -1.0))
    rows = p.table
    xs, _ = _curve(rows, run="synchronous", K=2.0, l=-1.0)
    xa, _ = _curve(rows, run="asynchronous", K=2.0, l=-1.0)
    assert np.all(xs > 0) and xs[-1] > xa[-1]        # waiting for the slowest worker takes longer
    assert p.panels[0]["xlog"]

    p = chapters.easgd_explorer(log_rho=(0.0, 1.0), log2_tau=(0, 2), log_lr=(-1.0, -0.5), steps=24,
                                record_every=8, default=(0.0, 2, -1.0))
    rows = p.table
    down = [r for r in rows if r["curve"] == "Downpour, same τ"]
    assert down and all("rho" not in r for r in down)
    # ρ = 10 at η = 0.3 would make α = ηρ ≥ 1: it runs at ρ = 0.99 / η instead
    prob = parallel.NoisyObjective(objectives.Quadratic(), sigma=2.0, n=256, seed=0)
    r = parallel.easgd(prob, np.array([-4.0, 1.5]), lr=10**-0.5, rho=0.99 / 10**-0.5, tau=4, workers=4, steps=24,
                       spread=0.5, record_every=8)
    np.testing.assert_allclose(_curve(rows, curve="EASGD centre", rho=1.0, tau=2.0, l=-0.5)[1], r.losses, rtol=1e-3)
