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


def path_explorer(rules, objective="ravine", steps=60, lr=None, param=None, start=None):
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

    rows, status, params, tests = [], [], [], []
    for i, rule in enumerate(rules):
        cls = RULES[rule]
        has_lr, has_p = "lr" in cls.defaults, pname in cls.defaults
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


def curve_explorer(table, x, y, sliders, series=None, xlabel=None, ylabel=None, log_y=False, title=None):
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
    """
    if not table:
        raise ValueError("Invalid table: [] (must hold at least one row)")
    params, tests = [], []
    for field, (label, values, default) in sliders.items():
        name = "p_" + "".join(ch if ch.isalnum() else "_" for ch in field)
        params.append(_slider(name, values, label, default))
        tests.append(f"abs(datum['{field}'] - {name}) < 1e-6")
    enc = {"x": alt.X(f"{x}:Q", title=xlabel or x),
           "y": alt.Y(f"{y}:Q", title=ylabel or y,
                      scale=alt.Scale(type="log") if log_y else alt.Scale(zero=False))}
    if series is not None:
        names = list(dict.fromkeys(row[series] for row in table))
        enc["color"] = alt.Color(f"{series}:N", title=series, scale=alt.Scale(
            domain=names, range=[PALETTE.get(n, color(n, i)) for i, n in enumerate(names)]))
    chart = alt.Chart(alt.Data(name="table")).mark_line(strokeWidth=1.8).encode(**enc).transform_filter(
        " && ".join(tests)).properties(width=520, height=280, title=title or "")
    return Playable(chart.add_params(*params), {"table": list(table)})
