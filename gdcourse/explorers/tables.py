"""Explorers over a table of precomputed curves: the computation runs once over the whole grid.

The chapters whose runs are expensive (simulated workers, networks, sweeps) compute one table
with a vectorised call per setting of the slowest parameters, as the page needs anyway. The
live front-end then answers every change from that table in the kernel, and the page from the
same table in the browser: both draw the very same curves.
"""
from __future__ import annotations

from .core import Explorer, Slider
from .core import series as _series
from .core import status as _status

__all__ = ["curve_explorer", "panels_explorer", "log_slider"]


def log_slider(field, base, short, label, values, default):
    """A slider over :math:`\\log_{base}` values that shows the value itself (e.g. 8 for log₂ 8 = 3)."""
    fmt = (lambda v: f"{base**v:.3g}") if base else ".3g"
    return Slider(field, label, values, default, short=short, fmt=fmt)


def _slider(field, spec):
    if isinstance(spec, Slider):
        return spec
    label, values, default = spec[:3]
    aria = spec[3] if len(spec) > 3 else label
    return Slider(field, aria, values, default, short=label)


class TableExplorer(Explorer):
    """An :class:`~gdcourse.explorers.core.Explorer` whose computation is a precomputed table.

    ``table`` holds its rows and ``status_rows`` its status lines, as they were given.
    """


def panels_explorer(table, x, panels, sliders, series=None, xlabel=None, title=None, colors=None, status=None,
                    dashed=(), description=None, styles=None):
    """Several fields of the same precomputed curves side by side, with sliders selecting the curves.

    Parameters
    ----------
    table : list of dict
        One row per point: the slider fields, ``x``, every panel's field and optionally ``series``.
        A row without a slider's field belongs to every value of that slider (a reference
        curve that does not depend on it is stored once).
    x : str
        Field on the horizontal axis of every panel.
    panels : list of tuple
        ``(field, label, options)`` per panel; ``options`` may hold ``log`` and ``xlog``
        (log scales), ``ylim`` and ``xlim`` (fixed ranges) and ``title``.
    sliders : dict
        field -> ``(label, values, default)`` or ``(short, values, default, accessible label)``
        or a :class:`~gdcourse.explorers.core.Slider`.
    series : str, optional
        Field naming the curves (each with its colour, line style and marker).
    colors : dict, optional
        series -> colour (its line style and marker stay its own).
    dashed : sequence of str
        Series drawn dashed (references).
    status : list of dict, optional
        Rows with the slider fields and ``m``, a message shown under the picture for that setting.
    description : str, optional
        What the picture shows, for readers who do not see it.
    """
    if not table:
        raise ValueError("Invalid table: [] (must hold at least one row)")
    if not panels:
        raise ValueError("Invalid panels: [] (must name at least one field)")
    controls = [_slider(f, s) for f, s in sliders.items()]
    fields = [c.name for c in controls]
    groups = {}
    for row in table:
        key = tuple((f, row[f]) for f in fields if f in row and row[f] is not None)
        name = row[series] if series is not None else "curve"
        groups.setdefault((name, key), []).append(row)
    items = []
    for pi, (field, label, options) in enumerate(panels):
        for (name, key), rows in groups.items():
            pts = [(r[x], r[field]) for r in rows if field in r and r[field] is not None]
            if pts:
                xs, ys = zip(*pts)
                items.append(_series(pi, name, ys, xs, dict(key)))
    lines = [_status(r["m"], {f: r[f] for f in fields if f in r and r[f] is not None})
             for r in (status or [])]
    names = list(dict.fromkeys(it["s"] for it in items))
    style = dict(styles or {})
    for n in names:
        s = dict(style.get(n, {}))
        if colors and n in colors:
            s["color"] = colors[n]
        if n in dashed:
            s["dash"] = [6, 3]
        if s:
            style[n] = s
    pspecs = []
    for field, label, options in panels:
        o = dict(options or {})
        pspecs.append({"title": o.get("title", "" if len(panels) == 1 else label), "xlabel": xlabel or x,
                       "ylabel": label, "xlog": bool(o.get("xlog")), "ylog": bool(o.get("log")),
                       **({"xlim": [float(v) for v in o["xlim"]]} if o.get("xlim") is not None else {}),
                       **({"ylim": [float(v) for v in o["ylim"]]} if o.get("ylim") is not None else {})})
    what = ", ".join(label for _, label, _ in panels)
    text = description or (f"{what} against {xlabel or x} for the curves {', '.join(names)}; "
                           f"the sliders ({', '.join(c.label for c in controls)}) pick the setting drawn.")

    def compute(values, live=False):
        def keep(it):
            return all(any(abs(v - w) < 1e-9 if not isinstance(v, str) else v == w for w in values[f])
                       for f, v in it["k"].items() if f in values)
        return [it for it in items if keep(it)], [ln for ln in lines if keep(ln)]

    width = 400 if len(panels) == 1 else 380
    ex = TableExplorer(title or "", text, controls, compute, pspecs, styles=style, order=names, width=width,
                       height=300 if len(panels) == 1 else 280)
    ex.table, ex.status_rows = list(table), list(status or [])
    return ex


def curve_explorer(table, x, y, sliders, series=None, xlabel=None, ylabel=None, log_y=False, title=None,
                   ylim=None, log_x=False, dashed=(), colors=None, xlim=None, description=None):
    """One panel of precomputed curves (:func:`panels_explorer` with a single field ``y``)."""
    opts = {"log": log_y, "xlog": log_x, "ylim": ylim, "xlim": xlim, "title": ""}
    return panels_explorer(table, x, [(y, ylabel or y, opts)], sliders, series=series, xlabel=xlabel, title=title,
                           colors=colors, dashed=dashed, description=description)

