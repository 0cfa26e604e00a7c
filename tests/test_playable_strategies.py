"""Kernel-free explorers of the strategies chapters: each table holds exactly the runs a single call would make."""
import numpy as np
import pytest

from gdcourse import datasets, loops, nn, playable
from gdcourse import objectives as objs
from gdcourse.optimizers import make
from gdcourse.run import run


def _digits(n, n_val):
    tr, va = datasets.digits().split(0.25, seed=0)
    return tr.X[:n], tr.y[:n], va.X[:n_val], va.y[:n_val]


def test_panels_explorer_shares_sliders_and_draws_rows_without_a_field_everywhere():
    table = [{"l": l, "t": t, "a": l * t, "b": l + t, "run": "r"} for l in (0.0, 1.0) for t in range(3)]
    table += [{"t": t, "a": 0.5, "b": 0.5, "run": "reference"} for t in range(3)]
    status = [{"l": l, "m": f"line one {l}\nline two"} for l in (0.0, 1.0)]
    p = playable.panels_explorer(table, "t", [("a", "A", {}), ("b", "B", {"log": True, "ylim": (0.1, 10)})],
                                 {"l": ("η", [0.0, 1.0], 1.0)}, series="run", status=status, dashed=("reference",))
    assert p.spec["datasets"]["table"] == table and p.spec["datasets"]["status"] == status
    assert [q["name"] for q in p.spec["params"]] == ["p_l"] and p.spec["params"][0]["value"] == 1.0
    charts = p.spec["vconcat"][0]["hconcat"]
    assert [c["encoding"]["y"]["field"] for c in charts] == ["a", "b"]
    keep = charts[0]["transform"][0]["filter"]
    assert "!isValid(datum['l'])" in keep  # the reference, without ``l``, is drawn at every η
    assert charts[1]["encoding"]["y"]["scale"] == {"type": "log", "domain": [0.1, 10.0]}
    with pytest.raises(ValueError, match="Invalid table"):
        playable.panels_explorer([], "t", [("a", "A", {})], {})
    with pytest.raises(ValueError, match="Invalid panels"):
        playable.panels_explorer(table, "t", [], {})


def test_orders_table_holds_the_single_runs_of_every_order_and_eta():
    n, n_val, epochs, bs = 60, 40, 2, 20
    rows = playable.orders_table(n=n, n_val=n_val, batch_size=bs, epochs=epochs, log_lrs=[-1.0, -0.5],
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
    assert {r["order"] for r in rows} == set(playable._ORDERS)
    p = playable.orders_explorer(lr=0.3, n=n, n_val=n_val, batch_size=bs, epochs=epochs, log_lrs=[-1.0, -0.5])
    assert p.spec["params"][0]["value"] == -0.5  # the grid's η nearest to 0.3
    assert all("held-out accuracy" in s["m"] for s in p.spec["datasets"]["status"])


def test_batchnorm_table_matches_single_runs_and_marks_divergence():
    kw = dict(n=64, depth=2, width=8, batch_size=16, epochs=2)
    rows, status = playable.batchnorm_table(log_lrs=[-1.0, 2.0], log_scales=[0.0, 1.0], **kw)
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
        playable.batchnorm_table(n=64, batch_size=24)


def test_early_stopping_table_agrees_with_training_with_patience():
    kw = dict(n=40, hidden=8, epochs=12, batch_size=10)
    curves, stops = playable.early_stopping_table(log_lrs=(-2.0, -1.5), patiences=(1, 2, 3), **kw)
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
    p = playable.early_stopping_explorer(patience=2, lr=0.03, log_lrs=(-2.0, -1.5), patiences=(1, 2, 3), **kw)
    names = [q["name"] for q in p.spec["params"]]
    assert names == ["p_l", "p_p", "end_epoch"] and p.spec["params"][0]["value"] == -1.5
    with pytest.raises(ValueError, match="Invalid log_lrs"):
        playable.early_stopping_explorer(log_lrs=(-3.0, -2.0, -0.5), **kw)


def test_noise_table_blocks_are_the_explorers_runs():
    obj = objs.get("styblinski-tang")
    rows, status = playable.noise_table(steps=40, runs=4, log_etas=[0.0, 3.0], gammas=[0.55], points=400)
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
        playable.noise_table(gammas=[-0.5])
