r"""Rules racing on a 2-D objective: each rule's path on the contours and its loss curve.

:func:`paths` is the explorer of the update-rule chapters. Its computation runs each rule
vectorised over every setting it is asked for (one :func:`gdcourse.run.run` call per rule
over a column of hyperparameters and start points) and keeps every run it made, so moving
one rule's slider reruns that rule alone and a setting seen before costs a look-up.
"""
from __future__ import annotations

import numpy as np

from .. import objectives as objs
from ..optimizers import RULES, make
from ..run import run
from .core import Explorer, Slider, series, status

__all__ = ["paths", "contour_lines", "PathExplorer"]

#: The shared hyperparameters: what a screen reader hears, the symbol, and the default grid.
SHARED = {
    "gamma": ("momentum term γ", "γ", np.round(np.arange(0, 1, 0.1), 2)),
    "beta1": ("decay rate β₁ of the first moment", "β₁", np.round(np.arange(0, 1, 0.1), 2)),
    "beta2": ("decay rate β₂ of the second moment", "β₂", (0.9, 0.99, 0.999)),
    "eps": ("smoothing term ε, log scale", "ε", np.arange(-8.0, 1.0)),   # log₁₀ ε
}


def _eta(log):
    return f"{10.0**log:.3g}"


def _eps(log):
    return f"1e{log:g}"


def contour_lines(objective, levels=14, n=90):
    """Contour lines of a 2-D objective as ``[[xs], [ys]]`` (log-spaced above its minimum)."""
    import contourpy

    from ..plotting import _grid

    X, Y, Z = _grid(objective, n)
    lo = objective.min_value
    if np.isfinite(lo):
        gap = Z - lo
        lv = np.geomspace(max(np.percentile(gap, 0.5), 1e-3), gap.max(), levels)
        Z = gap
    else:
        lv = np.linspace(Z.min(), Z.max(), levels + 2)[1:-1]
    gen = contourpy.contour_generator(X, Y, Z)
    return [[np.round(line[:, 0], 3).tolist(), np.round(line[:, 1], 3).tolist()]
            for level in lv for line in gen.lines(level) if len(line) > 1]


class _PathRuns:
    """Every run made so far, per rule and setting ``(log₁₀ η, p, x₀, y₀)``."""

    def __init__(self, obj, steps, pname, param_rules):
        self.obj, self.steps, self.pname, self.param_rules = obj, steps, pname, param_rules
        self.memo = {}

    def hyper(self, rule, lr, p):
        hp = {}
        if lr is not None:
            hp["lr"] = 10.0**lr
        if p is not None:
            hp[self.pname] = 10.0**p if self.pname == "eps" else p
        return hp

    def get(self, rule, settings):
        """``{setting: (thetas, losses, diverged_at)}`` for every setting, running the missing ones at once."""
        missing = [s for s in dict.fromkeys(settings) if (rule, s) not in self.memo]
        if missing:
            cols = {}
            for s in missing:
                for k, v in self.hyper(rule, s[0], s[1]).items():
                    cols.setdefault(k, []).append(v)
            opt = make(rule, **{k: np.asarray(v, dtype=float)[:, None] for k, v in cols.items()})
            theta0 = np.array([[s[2], s[3]] for s in missing], dtype=float)
            traj = run(opt, self.obj, theta0, self.steps)
            for c, s in enumerate(missing):
                last = int(np.atleast_1d(traj.last_index)[c])
                self.memo[rule, s] = (traj.thetas[: last + 1, c], traj.losses[: last + 1, c],
                                      int(np.atleast_1d(traj.diverged_at)[c]))
        return {s: self.memo[rule, s] for s in settings}


def paths(rules, objective="ravine", steps=100, lr=None, shared=None, param_rules=None, start=False, play=False,
          title=None, description=None):
    r"""Rules on a 2-D objective: their paths on the contours, and :math:`J(\theta_t) - J^*`.

    Parameters
    ----------
    rules : list of str
        Rules of :data:`gdcourse.optimizers.RULES`.
    objective : str
        A 2-D objective of :mod:`gdcourse.objectives`.
    steps : int
        Steps of every run.
    lr : dict, optional
        rule -> its starting :math:`\eta` (the slider covers two decades below it and half a
        decade above, a quarter decade apart), or ``(lo, hi, default)`` in :math:`\log_{10}\eta`.
        By default the rule's own default :math:`\eta`.
    shared : dict, optional
        One shared hyperparameter, name -> starting value, or ``(values, default)``
        (``gamma``, ``beta1``, ``beta2``, or ``eps`` given as :math:`\log_{10}\epsilon`):
        one slider for every rule that has it. Rules without it keep their default.
    param_rules : list of str, optional
        The rules the shared slider moves (by default every rule that has it).
    start : bool
        Sliders for the start point (live only: the page keeps the objective's start).
    play : bool
        A slider for the step shown: the race unfolds step by step.
    """
    unknown = [r for r in rules if r not in RULES]
    if unknown or not rules:
        raise ValueError(f"Invalid rules: {list(rules)!r} (must be a non-empty list of {', '.join(RULES)})")
    obj = objs.get(objective)
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"Invalid steps: {steps!r} (must be an integer >= 1)")
    shared = dict(shared or {})
    if len(shared) > 1 or not set(shared) <= set(SHARED):
        raise ValueError(f"Invalid shared: {shared!r} (at most one of {', '.join(SHARED)})")
    pname = next(iter(shared), None)
    if pname is not None:
        has = [r for r in rules if pname in RULES[r].defaults]
        if param_rules is not None and not set(param_rules) <= set(has):
            raise ValueError(f"Invalid param_rules: {list(param_rules)!r} (must be rules of {has!r})")
        param_rules = list(param_rules if param_rules is not None else has)
    else:
        param_rules = []

    controls = []
    for r in rules:
        if "lr" not in RULES[r].defaults:
            continue
        given = (lr or {}).get(r, RULES[r].defaults["lr"])
        if isinstance(given, tuple):
            lo, hi, d = given
        else:   # a quarter-decade grid around the chapter's own η, which is on it exactly
            d = float(np.log10(given))
            lo, hi = np.floor(4 * d) / 4 - 2, np.ceil(4 * d) / 4 + 0.5
        values = np.round(np.arange(lo, hi + 1e-9, 0.25), 4)
        values = np.unique(np.r_[values[np.abs(values - d) > 0.05], float(d)])
        controls.append(Slider(f"lr_{r}", f"learning rate η of {r}, log scale", values, d, short=f"η {r}",
                               fmt=_eta))
    if pname is not None:
        label, sym, values = SHARED[pname]
        given = shared[pname]
        values, d = (given if isinstance(given, tuple) else (values, given))
        if pname == "eps" and not isinstance(given, tuple):
            d = np.log10(given)
        rest = "" if param_rules == [r for r in rules if pname in RULES[r].defaults] else f" of {', '.join(param_rules)}"
        controls.append(Slider(pname, label + rest, values, d, short=sym, fmt=_eps if pname == "eps" else ".3g"))
    (x0, x1), (y0, y1) = obj.window
    if start:   # nine points across the window, and the objective's own start exactly
        for name, (a, b), s0 in (("x0", (x0, x1), obj.start[0]), ("y0", (y0, y1), obj.start[1])):
            grid = np.linspace(a, b, 9)
            grid = np.unique(np.r_[grid[np.abs(grid - s0) > (b - a) / 20], float(s0)])
            sym = "θ₁" if name == "x0" else "θ₂"
            controls.append(Slider(name, f"start point, coordinate {sym}", grid, s0, short=f"{sym} start",
                                   page=False))
    if play:
        every = max(1, steps // 60)
        controls.append(Slider("shown", "step shown", list(range(0, steps, every)) + [steps], steps,
                               short="step", fmt=".0f", truncates=True))

    lo_val = obj.min_value if np.isfinite(obj.min_value) else None
    memo = _PathRuns(obj, steps, pname, param_rules)
    starts = {"x0": float(obj.start[0]), "y0": float(obj.start[1])}

    def compute(values, live=False):
        xs = values.get("x0", [starts["x0"]])
        ys = values.get("y0", [starts["y0"]])
        if start and live:
            # Live: run every start of the grid at once, so moving the start is a look-up.
            xs, ys = controls_by["x0"].values, controls_by["y0"].values
        items, lines = [], []
        for r in rules:
            lrs = values.get(f"lr_{r}", [None])
            ps = values.get(pname, [None]) if r in param_rules else [None]
            want = [(l, p, x, y) for l in lrs for p in ps for x in xs for y in ys]
            ask = [(l, p, x, y) for (l, p, x, y) in want
                   if x in values.get("x0", [x]) and y in values.get("y0", [y])]
            got = memo.get(r, want)
            for s in ask:
                thetas, losses, k = got[s]
                key = {f"lr_{r}": s[0], pname: s[1], "x0": s[2] if start else None,
                       "y0": s[3] if start else None}
                key = {a: b for a, b in key.items() if b is not None and a is not None}
                gap = np.maximum(losses - lo_val, 1e-16) if lo_val is not None else losses
                items.append(series(0, r, thetas[:, 1], thetas[:, 0], key))
                items.append(series(1, r, gap, None, key))
                msg = (f"{r}: diverged at step {k}" if k >= 0 else
                       f"{r}: {'J − J*' if lo_val is not None else 'J'} = {gap[-1]:.3g} after {steps} steps")
                lines.append(status(msg, key))
        if start:
            for x in values["x0"]:
                for y in values["y0"]:
                    items.append(series(0, "start", [y], [x], {"x0": x, "y0": y}))
        else:
            items.append(series(0, "start", [starts["y0"]], [starts["x0"]]))
        return items, lines

    controls_by = {c.name: c for c in controls}
    marks = [{"x": float(m[0]), "y": float(m[1]), "shape": "M0,-1L0.8,0L0,1L-0.8,0Z", "color": "gold",
              "label": "minimum", "size": 7} for m in obj.minima]
    panels = [{"title": obj.name, "xlabel": "θ₁", "ylabel": "θ₂", "xlim": [x0, x1], "ylim": [y0, y1],
               "background": contour_lines(obj), "marks": marks, "markers": 10},
              {"title": "loss", "xlabel": "step", "ylabel": "J(θₜ) − J*" if lo_val is not None else "J(θₜ)",
               "ylog": lo_val is not None, "xlim": [0, steps], "markers": 10}]
    names = ", ".join(rules)
    text = description or (
        f"Left: the paths of {names} on the contour lines of the {obj.name} objective, from the black start "
        f"point towards the minimum (gold diamond), {steps} steps. Right: each rule's "
        f"{'distance to the minimal loss, J − J*, on a log scale' if lo_val is not None else 'loss J'} against "
        f"the step. Each rule has its own colour, line style and marker; the lines under the picture say "
        f"where each run ended or when it diverged.")
    ex = PathExplorer(title or f"{names} on the {obj.name}", text, controls, compute, panels,
                      styles={"start": {"color": "#000000", "dash": [], "marker": "circle"}}, order=list(rules))
    ex.objective, ex.rules, ex.steps, ex.shared_name, ex.param_rules = obj, list(rules), steps, pname, param_rules
    return ex


class PathExplorer(Explorer):
    """The explorer :func:`paths` returns; ``runs`` holds its runs at the current values."""

    @property
    def runs(self):
        """rule -> :class:`~gdcourse.run.Trajectory` at the current slider values."""
        v, out = self.values, {}
        theta0 = np.array([v.get("x0", self.objective.start[0]), v.get("y0", self.objective.start[1])])
        for r in self.rules:
            hp = {}
            if f"lr_{r}" in v:
                hp["lr"] = 10.0 ** v[f"lr_{r}"]
            if self.shared_name is not None and r in self.param_rules:
                p = v[self.shared_name]
                hp[self.shared_name] = 10.0**p if self.shared_name == "eps" else p
            out[r] = run(make(r, **hp), self.objective, theta0, self.steps)
        return out
