"""Explorers that play in the rendered book without a kernel (Altair / Vega-Lite).

A reader of the web book has no Python kernel, so the ipywidgets explorers of
:mod:`gdcourse.widgets` show there only as they were at their default values.
These explorers precompute a grid of runs at build time, with one vectorised
:func:`gdcourse.run.run_grid` call per rule, and hand the table to Vega-Lite,
whose own parameters bound to sliders pick the run to draw: moving a slider
redraws the path and the loss curve in the page, with no hand-written JavaScript.
The same output renders in JupyterLab.
"""
from __future__ import annotations

import hashlib
import json

import altair as alt
import numpy as np
from altair.utils.html import spec_to_html

from . import objectives as objs
from .optimizers import RULES
from .plotting import PALETTE, _grid, color
from .run import run_grid

__all__ = ["Playable", "path_explorer", "curve_explorer"]

_SYMBOLS = {"gamma": "γ", "beta1": "β₁", "beta2": "β₂", "eps": "log₁₀ ε"}


class Playable:
    """A Vega-Lite chart shown as self-contained HTML (the libraries come from a CDN).

    ``datasets`` maps the names used by ``alt.Data(name=...)`` in the chart to their rows.
    """

    def __init__(self, chart, datasets):
        # Data go in by name after validation: Altair would deep-copy and validate every row.
        self.chart = chart
        self.spec = chart.to_dict()
        self.spec["datasets"] = datasets

    def to_html(self):
        """HTML for the page: a ``div`` and the script that embeds the chart in it."""
        text = json.dumps(self.spec, sort_keys=True)
        div = "gd-play-" + hashlib.sha1(text.encode()).hexdigest()[:12]
        return spec_to_html(self.spec, mode="vega-lite", vega_version=alt.VEGA_VERSION,
                            vegaembed_version=alt.VEGAEMBED_VERSION, vegalite_version=alt.VEGALITE_VERSION,
                            output_div=div, fullhtml=False, template="universal",
                            embed_options={"actions": False})

    @property
    def nbytes(self):
        """Size of the HTML this explorer adds to a page, in bytes."""
        return len(self.to_html().encode())

    def _repr_html_(self):
        return self.to_html()


def _log_grid(lo, hi, step):
    n = int(round((hi - lo) / step)) + 1
    return np.round(lo + step * np.arange(n), 6)


def _slider(name, values, label, default):
    values = np.asarray(values, dtype=float)
    steps = np.diff(values)
    if len(values) > 1 and np.allclose(steps, steps[0]):
        bind = alt.binding_range(min=float(values[0]), max=float(values[-1]), step=float(steps[0]), name=label + " ")
    else:
        bind = alt.binding_radio(options=[float(v) for v in values], name=label + " ")
    return alt.param(name=name, value=float(default), bind=bind)


def _contour_rows(objective, levels=14, n=90):
    import contourpy

    X, Y, Z = _grid(objective, n)
    lo = objective.min_value
    if np.isfinite(lo):
        gap = Z - lo
        lv = np.geomspace(max(np.percentile(gap, 0.5), 1e-3), gap.max(), levels)
        Z = gap
    else:
        lv = np.linspace(Z.min(), Z.max(), levels + 2)[1:-1]
    gen = contourpy.contour_generator(X, Y, Z)
    rows, cid = [], 0
    for level in lv:
        for line in gen.lines(level):
            for k, (x, y) in enumerate(np.round(line, 3)):
                rows.append({"c": cid, "k": k, "x": float(x), "y": float(y)})
            cid += 1
    return rows


def path_explorer(rules, objective="ravine", steps=60, lr=None, param=None, start=None, param_rules=None):
    r"""A kernel-free explorer: each rule's learning rate (and one shared hyperparameter) on sliders.

    Parameters
    ----------
    rules : list of str
        Rules of :data:`gdcourse.optimizers.RULES` to draw side by side.
    objective : str
        A 2-D objective of :mod:`gdcourse.objectives`.
    steps : int
        Steps of every run.
    lr : dict, optional
        rule -> ``(lo, hi, default)`` in :math:`\log_{10}\eta`, a quarter decade apart;
        by default three decades around the rule's default η.
    param : tuple, optional
        ``(name, values, default)`` of a hyperparameter shared by the rules that
        have it (e.g. ``("gamma", np.arange(0, 1, 0.1), 0.9)``); ``eps`` values are
        given as :math:`\log_{10}\epsilon`.
    start : tuple, optional
        Start point; the objective's own by default.
    param_rules : list of str, optional
        The rules the shared hyperparameter applies to (the others keep their
        default of it); by default every rule that has it.
    """
    unknown = [r for r in rules if r not in RULES]
    if unknown or not rules:
        raise ValueError(f"Invalid rules: {list(rules)!r} (must be a non-empty list of {', '.join(RULES)})")
    obj = objs.get(objective)
    start = np.asarray(start if start is not None else obj.start, dtype=float)
    lo_val = obj.min_value if np.isfinite(obj.min_value) else None
    lr = dict(lr or {})
    pname, pvalues, pdefault = param if param else (None, [np.nan], np.nan)
    pvalues = np.round(np.asarray(pvalues, dtype=float), 6)
    if pname is not None and pname not in _SYMBOLS:
        raise ValueError(f"Invalid param: {pname!r} (must be one of {', '.join(_SYMBOLS)})")
    if param_rules is not None and not set(param_rules) <= {r for r in rules if pname in RULES[r].defaults}:
        raise ValueError(f"Invalid param_rules: {list(param_rules)!r} "
                         f"(must be rules of {list(rules)!r} that have {pname!r})")

    rows, status, params, tests = [], [], [], []
    for i, rule in enumerate(rules):
        cls = RULES[rule]
        has_lr, has_p = "lr" in cls.defaults, pname in cls.defaults and (param_rules is None or rule in param_rules)
        if has_lr:
            d = np.log10(cls.defaults["lr"])
            lo, hi, default = lr.get(rule, (np.floor(d) - 2, np.floor(d) + 1, round(d * 4) / 4))
            lrs = _log_grid(lo, hi, 0.25)
            params.append(_slider(f"lr_{rule}", lrs, f"log₁₀ η {rule}", default))
        else:
            lrs = np.array([np.nan])
        ps = pvalues if has_p else np.array([np.nan])
        L, P = (a.ravel() for a in np.meshgrid(lrs, ps, indexing="ij"))
        hp = {}
        if has_lr:
            hp["lr"] = 10.0**L
        if has_p:
            hp[pname] = 10.0**P if pname == "eps" else P
        traj = run_grid(rule, obj, start, steps, **hp)
        for c in range(len(L)):
            last = int(traj.last_index[c]) if np.ndim(traj.last_index) else int(traj.last_index)
            xy = np.round(traj.thetas[: last + 1, c], 4)
            loss = traj.losses[: last + 1, c]
            loss = np.maximum(loss - lo_val, 1e-16) if lo_val is not None else loss
            key = {"r": rule, "l": None if np.isnan(L[c]) else float(L[c]),
                   "p": None if np.isnan(P[c]) else float(P[c])}
            for s in range(last + 1):
                rows.append({**key, "s": s, "x": float(xy[s, 0]), "y": float(xy[s, 1]),
                             "j": float(f"{loss[s]:.4g}")})
            k = int(traj.diverged_at[c])
            msg = f"{rule}: diverged at step {k}" if k >= 0 else \
                f"{rule}: {'J − J*' if lo_val is not None else 'J'} = {loss[-1]:.3g} after {steps} steps"
            status.append({**key, "i": i, "m": msg})
        cond = f"datum.r == '{rule}'"
        if has_lr:
            cond += f" && abs(datum.l - lr_{rule}) < 1e-6"
        if has_p:
            cond += f" && abs(datum.p - {pname}) < 1e-6"
        tests.append(f"({cond})")
    if pname is not None:
        label = _SYMBOLS[pname]
        params.append(_slider(pname, pvalues, label, pdefault))
    keep = " || ".join(tests)

    (x0, x1), (y0, y1) = obj.window
    colour = alt.Color("r:N", title="rule", scale=alt.Scale(domain=list(rules),
                                                             range=[color(r, i) for i, r in enumerate(rules)]))
    xs = alt.X("x:Q", title="θ₁", scale=alt.Scale(domain=[x0, x1], clamp=False))
    ys = alt.Y("y:Q", title="θ₂", scale=alt.Scale(domain=[y0, y1]))
    contours = alt.Chart(alt.Data(name="contours")).mark_line(
        color="#bbbbbb", strokeWidth=0.8, clip=True).encode(
        x=alt.X("x:Q", title="θ₁", scale=alt.Scale(domain=[x0, x1])),
        y=alt.Y("y:Q", title="θ₂", scale=alt.Scale(domain=[y0, y1])), detail="c:N", order="k:Q")
    runs = alt.Data(name="runs")
    paths = alt.Chart(runs).mark_line(point={"size": 12}, strokeWidth=1.8, clip=True).encode(
        x=xs, y=ys, color=colour, order="s:Q", detail="r:N").transform_filter(keep)
    marks = [contours, paths]
    if len(obj.minima):
        marks.append(alt.Chart(alt.Data(values=[{"x": float(m[0]), "y": float(m[1])} for m in obj.minima]))
                     .mark_point(shape="diamond", size=120, filled=True, color="gold", stroke="black")
                     .encode(x="x:Q", y="y:Q"))
    marks.append(alt.Chart(alt.Data(values=[{"x": float(start[0]), "y": float(start[1])}]))
                 .mark_point(size=60, filled=True, color="black").encode(x="x:Q", y="y:Q"))
    left = alt.layer(*marks).properties(width=360, height=280, title=obj.name)
    yloss = alt.Y("j:Q", title="J(θₜ) − J*" if lo_val is not None else "J(θₜ)",
                  scale=alt.Scale(type="log") if lo_val is not None else alt.Scale(zero=False))
    loss = alt.Chart(runs).mark_line(strokeWidth=1.8).encode(
        x=alt.X("s:Q", title="step"), y=yloss, color=colour).transform_filter(keep).properties(
        width=300, height=240, title="loss")
    text = alt.Chart(alt.Data(name="status")).mark_text(align="left", fontSize=12).encode(
        y=alt.Y("i:O", axis=None), text="m:N", color=colour).transform_filter(keep).properties(
        width=300, height=16 * len(rules))
    chart = alt.hconcat(left, alt.vconcat(loss, text)).add_params(*params).resolve_scale(color="shared")
    return Playable(chart, {"contours": _contour_rows(obj), "runs": rows, "status": status})


def curve_explorer(table, x, y, sliders, series=None, xlabel=None, ylabel=None, log_y=False, title=None,
                   ylim=None, log_x=False, dashed=()):
    """A kernel-free explorer over any precomputed curves.

    Parameters
    ----------
    table : list of dict
        One row per point: the slider fields, ``x``, ``y`` and optionally ``series``.
    x, y : str
        Fields plotted.
    sliders : dict
        field -> ``(label, values, default)``: a slider (or radio buttons when the
        values are not evenly spaced) selecting the rows whose field equals it.
    series : str, optional
        Field naming the curve (one colour each; rule names get their palette colour).
    ylim : tuple, optional
        ``(lo, hi)``: a fixed y range, the same for every slider setting (curves
        leaving it are clipped); by default the range follows the curves shown.
    log_x : bool
        A logarithmic x axis.
    dashed : sequence of str
        Series drawn dashed (references, e.g. a serial run or a best point).

    A row without a slider's field is drawn at every value of that slider (a
    reference curve that does not depend on it is stored once).
    """
    if not table:
        raise ValueError("Invalid table: [] (must hold at least one row)")
    params, tests = [], []
    for field, (label, values, default) in sliders.items():
        name = "p_" + "".join(ch if ch.isalnum() else "_" for ch in field)
        params.append(_slider(name, values, label, default))
        tests.append(f"(!isValid(datum['{field}']) || abs(datum['{field}'] - {name}) < 1e-6)")
    yscale = {"type": "log"} if log_y else {"zero": False}
    if ylim is not None:
        yscale = {**yscale, "domain": [float(ylim[0]), float(ylim[1])]}
    enc = {"x": alt.X(f"{x}:Q", title=xlabel or x), "y": alt.Y(f"{y}:Q", title=ylabel or y, scale=alt.Scale(**yscale))}
    if log_x:
        enc["x"] = alt.X(f"{x}:Q", title=xlabel or x, scale=alt.Scale(type="log"))
    if series is not None:
        names = list(dict.fromkeys(row[series] for row in table))
        enc["color"] = alt.Color(f"{series}:N", title=series, scale=alt.Scale(
            domain=names, range=[PALETTE.get(n, color(n, i)) for i, n in enumerate(names)]))
        if dashed:
            enc["strokeDash"] = alt.StrokeDash(f"{series}:N", title=series, scale=alt.Scale(
                domain=names, range=[[5, 3] if n in dashed else [1, 0] for n in names]))
    chart = alt.Chart(alt.Data(name="table")).mark_line(
        strokeWidth=1.8, **({"clip": True} if ylim is not None else {})).encode(**enc).transform_filter(
        " && ".join(tests)).properties(width=520, height=280, title=title or "")
    return Playable(chart.add_params(*params), {"table": list(table)})


# --- Batch size and learning rate (gradient descent variants) ----------------------------------

__all__ += ["variants_table", "variants_explorer"]


def _batch_sizes(n):
    """Powers of two below ``n``, then ``n`` itself (batch gradient descent)."""
    return [2**k for k in range(int(np.log2(n)) + 1) if 2**k < n] + [n]


def variants_table(X, y, epochs=6, seed=0, log_lrs=None, cap=1e6):
    r"""Loss-against-epoch curves of mini-batch gradient descent for every batch size and learning rate.

    For every batch size :math:`b` (powers of two below ``n = len(X)``, then ``n``)
    one :func:`gdcourse.loops.train` call trains linear regression from
    :math:`\theta = 0` with plain SGD updates for all the learning rates at once
    (a column of η), shuffling every epoch with ``seed``:

    .. math:: \theta = \theta - \eta \cdot \nabla_\theta J(\theta; x^{(i:i+b)}; y^{(i:i+b)})

    Parameters
    ----------
    X, y : array_like
        The training set (e.g. the sample of :class:`gdcourse.widgets.VariantsExplorer`).
    epochs : int
        Passes over the data.
    seed : int
        Seed of the shuffling.
    log_lrs : array_like, optional
        The learning rates as :math:`\log_{10}\eta`; by default -3 to 0.5 a quarter decade apart.
    cap : float
        :math:`J - J^*` given to a run at the epoch it diverged in (its curve leaves the
        plot upwards and stops there).

    Returns
    -------
    list of dict
        One row per epoch and run: ``b`` (:math:`\log_2 b`), ``l`` (:math:`\log_{10}\eta`),
        ``e`` (epoch), ``j`` (:math:`J(\theta) - J^*` on the whole set) and ``run``: the
        run at batch size ``b``, or batch gradient descent at the same η (for ``b < n``).
    """
    from . import loops, models
    from .optimizers import make

    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if X.ndim != 2 or len(X) < 2 or y.shape != (len(X),):
        raise ValueError(f"Invalid X, y: shapes {X.shape}, {y.shape} (must be (n, d) and (n,) with n >= 2)")
    log_lrs = _log_grid(-3.0, 0.5, 0.25) if log_lrs is None else np.round(np.asarray(log_lrs, dtype=float), 6)
    if log_lrs.ndim != 1 or not len(log_lrs) or not np.all(np.isfinite(log_lrs)):
        raise ValueError(f"Invalid log_lrs: {log_lrs!r} (must be a non-empty list of finite numbers)")
    model = models.LinearRegression()
    best = float(model.loss(model.minimizer(X, y), X, y))
    n, lrs = len(X), 10.0**log_lrs
    curves = {}
    for b in _batch_sizes(n):
        h = loops.train(model, make("SGD", lr=lrs[:, None]), X, y, np.zeros((len(lrs), X.shape[1] + 1)),
                        epochs=epochs, batch_size=b, seed=seed)
        curves[b] = np.asarray(h.epoch_losses, dtype=float).reshape(-1, len(lrs)) - best
    mine, ref = "this batch size", f"batch GD (b = {n})"
    rows = []
    for b, gaps in curves.items():
        shown = [(mine, gaps)] + ([(ref, curves[n])] if b < n else [])
        for name, g in shown:
            for c, log_lr in enumerate(log_lrs):
                for e in range(g.shape[0]):
                    v = g[e, c]
                    j = max(float(v), 1e-16) if np.isfinite(v) else cap
                    rows.append({"b": float(np.log2(b)), "l": float(log_lr), "e": e, "j": float(f"{j:.4g}"),
                                 "run": name})
                    if not np.isfinite(v):
                        break
    return rows


def variants_explorer(X, y, epochs=6, seed=0, batch_size=4, lr=0.05, log_lrs=None, ylim=(1e-4, 3.0)):
    r"""A kernel-free batch-size explorer: :math:`\log_2 b` and :math:`\log_{10}\eta` on sliders.

    The curves are :func:`variants_table` (:math:`J(\theta) - J^*` after every epoch,
    with batch gradient descent at the same η for reference), drawn by
    :func:`curve_explorer`. ``batch_size`` and ``lr`` are the starting values (each
    moved to the nearest one on its grid).
    """
    table = variants_table(X, y, epochs=epochs, seed=seed, log_lrs=log_lrs)
    bs = sorted({r["b"] for r in table})
    ls = sorted({r["l"] for r in table})
    b0 = min(bs, key=lambda v: abs(v - np.log2(batch_size)))
    l0 = min(ls, key=lambda v: abs(v - np.log10(lr)))
    return curve_explorer(table, "e", "j", {"b": ("log₂ batch size", bs, b0), "l": ("log₁₀ η", ls, l0)},
                          series="run", xlabel="epoch", ylabel="J(θ) − J* on the whole set", log_y=True,
                          ylim=ylim, title=f"Mini-batch SGD on {len(X)} examples, {epochs} epochs")
