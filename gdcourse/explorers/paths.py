r"""Rules racing on a 2-D objective: each rule's path on the contours and its loss curve.

:func:`paths` is the explorer of the update-rule chapters. Its computation runs each rule
vectorised over every setting it is asked for (one :func:`gdcourse.run.run` call per rule
over a column of hyperparameters and start points) and keeps every run it made, so moving
one rule's slider reruns that rule alone and a setting seen before costs a look-up.
"""
from __future__ import annotations

import itertools

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
    """Every run made so far, per rule and setting ``(log₁₀ η, (shared values), θ₁ start, θ₂ start)``."""

    def __init__(self, obj, steps, names):
        self.obj, self.steps, self.names = obj, steps, names
        self.memo = {}

    def hyper(self, lr, ps):
        hp = {} if lr is None else {"lr": 10.0**lr}
        for name, p in zip(self.names, ps):
            if p is not None:
                hp[name] = 10.0**p if name == "eps" else p
        return hp

    def get(self, rule, settings):
        """``{setting: (thetas, losses, diverged_at)}`` for every setting, running the missing ones at once."""
        missing = [s for s in dict.fromkeys(settings) if (rule, s) not in self.memo]
        if missing:
            cols = {}
            for s in missing:
                for k, v in self.hyper(s[0], s[1]).items():
                    cols.setdefault(k, []).append(v)
            opt = make(rule, **{k: np.asarray(v, dtype=float)[:, None] for k, v in cols.items()})
            theta0 = np.array([[s[2], s[3]] for s in missing], dtype=float)
            traj = run(opt, self.obj, theta0, self.steps)
            for c, s in enumerate(missing):
                last = int(np.atleast_1d(traj.last_index)[c])
                self.memo[rule, s] = (traj.thetas[: last + 1, c], traj.losses[: last + 1, c],
                                      int(np.atleast_1d(traj.diverged_at)[c]))
        return {s: self.memo[rule, s] for s in settings}


def _grid_with(values, exact, apart):
    """``values`` without those within ``apart`` of ``exact``, and ``exact`` itself: the default is on the grid."""
    values = np.asarray(values, dtype=float)
    return np.unique(np.r_[values[np.abs(values - exact) > apart], float(exact)])


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
        decade above, a quarter decade apart, with the starting value exactly), or
        ``(lo, hi, default)`` in :math:`\log_{10}\eta`. By default the rule's own default.
    shared : dict, optional
        Shared hyperparameters (``gamma``, ``beta1``, ``beta2``, ``eps``), name -> starting
        value or ``(values, default)`` or ``(values, default, False)`` (live only: the page
        keeps the default), ``eps`` values as :math:`\log_{10}\epsilon`: one slider each,
        moving every rule that has it. The page precomputes every combination, so keep the
        grids short when there are several.
    param_rules : list of str or dict, optional
        The rules the shared sliders move (a dict: per hyperparameter); by default every rule
        that has it. The others keep their default.
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
    if not set(shared) <= set(SHARED):
        raise ValueError(f"Invalid shared: {sorted(shared)!r} (must be among {', '.join(SHARED)})")
    names = list(shared)
    moves = {}
    for name in names:
        has = [r for r in rules if name in RULES[r].defaults]
        want = param_rules.get(name) if isinstance(param_rules, dict) else param_rules
        if want is not None and not set(want) <= set(has):
            raise ValueError(f"Invalid param_rules: {list(want)!r} (must be rules of {has!r})")
        moves[name] = list(want if want is not None else has)

    controls = []
    for r in rules:
        if "lr" not in RULES[r].defaults:
            continue
        given = (lr or {}).get(r, RULES[r].defaults["lr"])
        if isinstance(given, tuple):
            lo, hi, d = given
        else:
            d = float(np.log10(given))
            lo, hi = np.floor(4 * d) / 4 - 2, np.ceil(4 * d) / 4 + 0.5
        values = _grid_with(np.round(np.arange(lo, hi + 1e-9, 0.25), 4), d, 0.05)
        controls.append(Slider(f"lr_{r}", f"learning rate η of {r}, log scale", values, d, short=f"η {r}",
                               fmt=_eta))
    for name in names:
        label, sym, values = SHARED[name]
        given = shared[name]
        values, d, page = (tuple(given) + (True,))[:3] if isinstance(given, tuple) else (values, given, True)
        if name == "eps" and not isinstance(given, tuple):
            d = np.log10(given)
        values = _grid_with(values, d, 1e-9)
        rest = "" if moves[name] == [r for r in rules if name in RULES[r].defaults] else f" of {', '.join(moves[name])}"
        controls.append(Slider(name, label + rest, values, d, short=sym, fmt=_eps if name == "eps" else ".3g",
                               page=page))
    (x0, x1), (y0, y1) = obj.window
    if start:   # nine points across the window, and the objective's own start exactly
        for name, (a, b), s0 in (("x0", (x0, x1), obj.start[0]), ("y0", (y0, y1), obj.start[1])):
            sym = "θ₁" if name == "x0" else "θ₂"
            controls.append(Slider(name, f"start point, coordinate {sym}", _grid_with(np.linspace(a, b, 9), s0,
                                                                                      (b - a) / 20),
                                   s0, short=f"{sym} start", page=False))
    if play:
        every = max(1, steps // 60)
        controls.append(Slider("shown", "step shown", list(range(0, steps, every)) + [steps], steps,
                               short="step", fmt=".0f", truncates=True))
    by_name = {c.name: c for c in controls}

    lo_val = obj.min_value if np.isfinite(obj.min_value) else None
    memo = _PathRuns(obj, steps, names)
    drawn = {}
    s0 = (float(obj.start[0]), float(obj.start[1]))

    def compute(values, live=False):
        xs, ys = values.get("x0", [s0[0]]), values.get("y0", [s0[1]])
        # Live, every start of the grid runs at once, so that moving the start is a look-up.
        run_xs, run_ys = (by_name["x0"].values, by_name["y0"].values) if start and live else (xs, ys)
        items, lines = [], []
        for r in rules:
            lrs = values.get(f"lr_{r}", [None])
            grids = [values[n] if r in moves[n] else [None] for n in names]
            combos = list(itertools.product(lrs, itertools.product(*grids)))
            if all((r, l, ps, x, y) in drawn for l, ps in combos for x in xs for y in ys):
                got = {}
            else:
                got = memo.get(r, [(l, ps, x, y) for l, ps in combos for x in run_xs for y in run_ys])
            for l, ps in combos:
                for x in xs:
                    for y in ys:
                        if (r, l, ps, x, y) not in drawn:   # the curves of a run are made once
                            thetas, losses, k = got[l, ps, x, y]
                            key = {f"lr_{r}": l, **dict(zip(names, ps))}
                            if start:
                                key.update(x0=x, y0=y)
                            key = {a: b for a, b in key.items() if b is not None}
                            gap = np.maximum(losses - lo_val, 1e-16) if lo_val is not None else losses
                            msg = (f"{r}: diverged at step {k}" if k >= 0 else
                                   f"{r}: {'J − J*' if lo_val is not None else 'J'} = {gap[-1]:.3g} after {steps} steps")
                            drawn[r, l, ps, x, y] = (series(0, r, thetas[:, 1], thetas[:, 0], key),
                                                     series(1, r, gap, None, key), status(msg, key))
                        path, loss, line = drawn[r, l, ps, x, y]
                        items += [path, loss]
                        lines.append(line)
        for x in xs:
            for y in ys:
                items.append(series(0, "start", [y], [x], {"x0": x, "y0": y} if start else {}))
        return items, lines

    marks = [{"x": float(m[0]), "y": float(m[1]), "shape": "M0,-1L0.8,0L0,1L-0.8,0Z", "color": "gold",
              "label": "minimum", "size": 7} for m in obj.minima]
    panels = [{"title": obj.name, "xlabel": "θ₁", "ylabel": "θ₂", "xlim": [x0, x1], "ylim": [y0, y1],
               "background": contour_lines(obj), "marks": marks, "markers": 10},
              {"title": "loss", "xlabel": "step", "ylabel": "J(θₜ) − J*" if lo_val is not None else "J(θₜ)",
               "ylog": lo_val is not None, "xlim": [0, steps], "markers": 10}]
    listed = ", ".join(rules)
    text = description or (
        f"Left: the paths of {listed} on the contour lines of the {obj.name} objective, from the black start "
        f"point towards the minimum (gold diamond), {steps} steps. Right: each rule's "
        f"{'distance to the minimal loss, J − J*, on a log scale' if lo_val is not None else 'loss J'} against "
        f"the step. Each rule has its own colour, line style and marker; the lines under the picture say "
        f"where each run ended or when it diverged.")
    ex = PathExplorer(title or f"{listed} on the {obj.name}", text, controls, compute, panels,
                      styles={"start": {"color": "#000000", "dash": [], "marker": "circle"}}, order=list(rules))
    ex.objective, ex.rules, ex.steps, ex.shared_names, ex.moves = obj, list(rules), steps, names, moves
    return ex


class PathExplorer(Explorer):
    """The explorer :func:`paths` returns; ``runs`` holds its runs at the current values."""

    def warm(self):
        """With start sliders: run every start of their grid now, so that moving the start is a look-up."""
        if "x0" in self.controls:
            values = {n: [c.values[self.index[n]]] for n, c in self.controls.items() if not c.truncates}
            self.compute(values, live=True)

    @property
    def runs(self):
        """rule -> :class:`~gdcourse.run.Trajectory` at the current slider values."""
        v, out = self.values, {}
        theta0 = np.array([v.get("x0", self.objective.start[0]), v.get("y0", self.objective.start[1])])
        for r in self.rules:
            hp = {"lr": 10.0 ** v[f"lr_{r}"]} if f"lr_{r}" in v else {}
            for name in self.shared_names:
                if r in self.moves[name]:
                    hp[name] = 10.0 ** v[name] if name == "eps" else v[name]
            out[r] = run(make(r, **hp), self.objective, theta0, self.steps)
        return out
