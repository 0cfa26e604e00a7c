r"""One explorer, two front-ends: its controls, its computation and its picture, written once.

An :class:`Explorer` is

- its **controls**: :class:`Slider` and :class:`Choice`, each with a name, the values it
  takes, a default and a label a screen reader reads ("learning rate η of SGD, log scale");
- its **computation**: ``compute(values)``, where ``values`` maps every control to a *list*
  of values, returns the curves for every combination at once (vectorised: a grid of
  configurations is one call), each curve keyed by the control values it belongs to;
- its **picture**: panels of curves (axes, scales, background lines, marks), drawn from the
  data in the browser by :data:`gdcourse.explorers.render.CODE`.

Two front-ends draw it. In Jupyter the output is a live widget (anywidget): moving a slider
sends its value to the kernel, which computes the curves for the new values and sends them
back (nothing but numbers travels; the browser draws). On the web page, where no kernel runs,
the same output carries an HTML fallback: the computation was run once over the whole grid
of slider values when the book was built, and the same drawing code picks the curves of the
current values in the page. ``nb_mime_priority_overrides`` in ``_config.yml`` makes the book
take the fallback; JupyterLab takes the widget.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os

import numpy as np

from .. import plotting
from .render import CODE, CSS

__all__ = ["Slider", "Choice", "Explorer", "series", "status"]


def _label_text(v, fmt):
    return fmt(v) if callable(fmt) else format(v, fmt)


class Slider:
    """A slider over a list of values (shown by index, so uneven grids move evenly).

    Parameters
    ----------
    name : str
        The computation's keyword.
    label : str
        What a screen reader announces: the symbol and its meaning, e.g. "learning rate η of SGD, log scale".
    values : sequence of float
        The values it takes, in order (the page precomputes every one).
    default : float
        The starting value (the nearest of ``values``).
    short : str, optional
        The text beside the slider (``label`` by default), e.g. "η SGD".
    fmt : str or callable
        How a value is shown: a format spec (``".3g"``) or a function.
    page : bool
        Whether the page's front-end has this slider; ``False`` keeps it at its default there
        (a control too expensive to precompute, e.g. the start point), live only.
    truncates : bool
        The slider shows the first ``value`` steps of every curve; it changes no computation.
    """

    kind = "range"

    def __init__(self, name, label, values, default, short=None, fmt=".3g", page=True, truncates=False):
        values = [float(v) for v in np.asarray(values, dtype=float).ravel()]
        if not values or not all(np.isfinite(values)):
            raise ValueError(f"Invalid values: {values!r} (must be a non-empty list of finite numbers)")
        self.name, self.label, self.values = name, label, values
        self.default = int(np.argmin(np.abs(np.asarray(values) - float(default))))
        self.short = short or label
        self.labels = [_label_text(v, fmt) for v in values]
        self.page, self.truncates = page, truncates

    def spec(self, page):
        return {"name": self.name, "label": self.label, "short": self.short, "kind": self.kind,
                "values": self.values, "labels": self.labels, "truncates": self.truncates}


class Choice(Slider):
    """A menu of named options (a ``<select>``): same contract as :class:`Slider`."""

    kind = "choice"

    def __init__(self, name, label, options, default, short=None, page=True):
        options = list(options)
        if default not in options:
            raise ValueError(f"Invalid default: {default!r} (must be one of {', '.join(map(str, options))})")
        self.name, self.label, self.values = name, label, options
        self.default = options.index(default)
        self.short = short or label
        self.labels = [str(o) for o in options]
        self.page, self.truncates = page, False


def _num(a, digits=4):
    """A list of floats with ``digits`` significant digits (None for NaN/inf): the page stays light."""
    a = np.asarray(a, dtype=float).ravel()
    out = [float(f"{v:.{digits}g}") if np.isfinite(v) else None for v in a]
    return out


def series(panel, name, y, x=None, key=None, digits=4):
    """One curve of the picture: ``y`` (and ``x``; the step 0, 1, ... by default) in ``panel``.

    ``key`` maps control names to the values this curve belongs to; a control it does not
    name does not change it (a reference curve is stored once).
    """
    return {"p": int(panel), "s": str(name), "k": dict(key or {}), "y": _num(y, digits),
            "x": None if x is None else _num(x, max(digits, 6))}


def status(message, key=None):
    """A line of text under the picture for the control values of ``key``."""
    return {"m": str(message), "k": dict(key or {})}


def _marker_path(shape):
    """An SVG path in the unit square for a point shape of :func:`gdcourse.plotting.style` (name or path)."""
    named = {"circle": "M1,0A1,1 0 1 1 -1,0A1,1 0 1 1 1,0Z", "square": "M-0.8,-0.8H0.8V0.8H-0.8Z",
             "triangle-up": "M0,-1L1,0.8H-1Z", "triangle-down": "M0,1L1,-0.8H-1Z",
             "triangle-right": "M1,0L-0.8,1V-1Z", "triangle-left": "M-1,0L0.8,1V-1Z",
             "diamond": "M0,-1L0.8,0L0,1L-0.8,0Z",
             "cross": "M-0.35,-1H0.35V-0.35H1V0.35H0.35V1H-0.35V0.35H-1V-0.35H-0.35Z"}
    return named.get(shape, shape)


def _style(name, overrides):
    s = plotting.style(name)
    out = {"color": s["color"], "dash": s["dash"], "marker": _marker_path(s["shape"])}
    out.update(overrides.get(name, {}))
    if "marker" in overrides.get(name, {}) and overrides[name]["marker"]:
        out["marker"] = _marker_path(overrides[name]["marker"])
    return out


class Explorer:
    """Controls, a computation and a picture; shown live in Jupyter and precomputed on the page.

    Parameters
    ----------
    title : str
        A heading.
    description : str
        What the picture shows, in words (read by screen readers, shown above the picture).
    controls : list of Slider or Choice
    compute : callable
        ``compute(values, live) -> (items, statuses)`` with ``values`` a dict name -> list of
        values (a control with ``page=False`` gets its one current value; ``live`` is True when the
        live front-end asks for its current values); ``items`` are
        :func:`series`, ``statuses`` :func:`status`, keyed by the values they belong to.
    panels : list of dict
        One per panel: ``title``, ``xlabel``, ``ylabel``, optional ``xlog``, ``ylog`` (log
        scales), ``xlim``, ``ylim`` (fixed ranges; by default the curves' extent),
        ``background`` (grey lines ``[[xs], [ys]]``), ``marks`` (points
        ``{x, y, shape, color, label}``), ``truncate`` (False: a truncating slider does not
        shorten this panel's curves).
    styles : dict, optional
        series name -> ``{color, dash, marker, width}`` overriding :func:`gdcourse.plotting.style`.
    order : list of str, optional
        The legend's order.
    """

    def __init__(self, title, description, controls, compute, panels, styles=None, order=None, width=380,
                 height=280):
        names = [c.name for c in controls]
        if len(set(names)) != len(names):
            raise ValueError(f"Invalid controls: names {names!r} (must be distinct)")
        self.title, self.description = title, description
        self.controls = {c.name: c for c in controls}
        self.compute = compute
        self.panels = [dict(p) for p in panels]
        self._styles, self.order = dict(styles or {}), list(order or [])
        self.size = (width, height)
        self.index = {c.name: c.default for c in controls}
        self._page = None
        self._seen = {}
        self._widget = None

    # --- values ------------------------------------------------------------------------------

    @property
    def values(self):
        """The controls' current values, name -> value."""
        return {n: c.values[self.index[n]] for n, c in self.controls.items()}

    def set(self, **values):
        """Move controls to the values given (each to the nearest of its values) and redraw."""
        for name, v in values.items():
            if name not in self.controls:
                raise ValueError(f"Invalid control: {name!r} (must be one of {', '.join(self.controls)})")
            c = self.controls[name]
            self.index[name] = (c.values.index(v) if isinstance(c, Choice)
                                else int(np.argmin(np.abs(np.asarray(c.values) - float(v)))))
        if self._widget is not None:
            self._widget.index = dict(self.index)
        return self

    def data(self, index=None):
        """The curves and status lines for the current values (or those of ``index``).

        Where the page's grid already holds them (every live-only control at its default),
        they are looked up there; otherwise the computation runs for these values.
        """
        index = dict(self.index if index is None else index)
        if self._page is not None and all(index[n] == c.default for n, c in self.controls.items() if not c.page):
            def mine(it):
                return all(index.get(k, v) == v for k, v in it["k"].items())
            return {"items": [it for it in self._page["items"] if mine(it)],
                    "status": [it for it in self._page["status"] if mine(it)]}
        key = tuple(sorted((n, i) for n, i in index.items() if not self.controls[n].truncates))
        if key not in self._seen:
            values = {n: [c.values[index[n]]] for n, c in self.controls.items() if not c.truncates}
            items, statuses = self.compute(values, live=True)
            if len(self._seen) >= 256:          # a setting seen before costs a look-up; keep the last 256
                self._seen.pop(next(iter(self._seen)))
            self._seen[key] = {"items": self._keyed(items), "status": self._keyed(statuses)}
        return self._seen[key]

    def page_data(self):
        """The curves for every combination of the page's slider values (computed once)."""
        if self._page is None:
            values = {n: (list(c.values) if c.page else [c.values[c.default]])
                      for n, c in self.controls.items() if not c.truncates}
            items, statuses = self.compute(values)
            self._page = {"items": self._keyed(items), "status": self._keyed(statuses)}
        return self._page

    def _keyed(self, items):
        # Keys travel as slider positions (integers): the browser compares them exactly.
        out = []
        for it in items:
            k = {}
            for name, v in it["k"].items():
                c = self.controls.get(name)
                if c is None or c.truncates:
                    continue
                if isinstance(c, Choice):
                    k[name] = c.values.index(v)
                else:
                    pos = np.asarray(c.values)
                    j = int(np.argmin(np.abs(pos - float(v))))
                    if abs(pos[j] - float(v)) > 1e-6 * max(1.0, abs(float(v))):
                        raise ValueError(f"Invalid key: {name} = {v!r} (not one of the slider's values {c.values!r})")
                    k[name] = j
            out.append({**it, "k": k})
        return out

    def warm(self):
        """Prepare for the live front-end (a subclass may run ahead what its sliders will ask for)."""

    # --- the picture's specification ---------------------------------------------------------

    def picture(self, page):
        """The picture's specification for the browser: title, description, controls, panels, styles."""
        names = list(self.order)
        data = self.page_data() if page else None
        for it in (data or {"items": []})["items"]:
            if it["s"] not in names:
                names.append(it["s"])
        return {"title": self.title, "description": self.description,
                "controls": [c.spec(page) for c in self.controls.values() if c.page or not page],
                "panels": self.panels, "styles": {n: _style(n, self._styles) for n in names},
                "order": self.order, "width": self.size[0], "height": self.size[1]}

    def _styles_for(self, data):
        names = {it["s"] for it in data["items"]}
        return {n: _style(n, self._styles) for n in names}

    # --- the page's front-end ----------------------------------------------------------------

    def to_html(self):
        """The kernel-free explorer: the grid's curves, the controls and the drawing code, in one ``div``."""
        spec = self.picture(page=True)
        index = {n: c.default for n, c in self.controls.items() if c.page}
        payload = json.dumps({"spec": spec, "data": self.page_data(), "index": index}, separators=(",", ":"),
                             allow_nan=False).replace("</", "<\\/")
        uid = "gdx-" + hashlib.sha1(payload.encode()).hexdigest()[:12]
        boot = ("(function(){" + CODE +
                f"\nconst el=document.getElementById('{uid}');"
                f"const P=JSON.parse(document.getElementById('{uid}-data').textContent);"
                "const ls={};const st={spec:P.spec,data:P.data,index:P.index,live:false};"
                "const model={get:k=>st[k],set:(k,v)=>{st[k]=v;},save_changes:()=>{},"
                "on:(e,f)=>{(ls[e]=ls[e]||[]).push(f);}};"
                "render({model,el});})();")
        return (f"<style>{CSS}</style>"
                f"<script type='application/json' id='{uid}-data'>{payload}</script>"
                f"<div id='{uid}' class='gdcourse-explorer-host'></div><script>{boot}</script>")

    @property
    def nbytes(self):
        """Size of the HTML this explorer adds to a page, in bytes."""
        return len(self.to_html().encode())

    # --- the live front-end ------------------------------------------------------------------

    @property
    def widget(self):
        """The live front-end: an anywidget whose every change the kernel answers with new data."""
        if self._widget is None:
            from .live import LiveExplorer

            self._widget = LiveExplorer(self)
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": f"<explorer: {self.title}>", "text/html": self.to_html()}
        if _building_the_book():   # the page takes the HTML; a widget would only leave its state in the page
            return bundle
        try:
            live = self.widget._repr_mimebundle_()
            if isinstance(live, tuple):   # (data, metadata)
                live = live[0]
        except ImportError:   # no anywidget: the page's front-end, which needs no kernel, everywhere
            return bundle
        bundle.update({k: v for k, v in live.items() if k != "text/plain"})
        return bundle


def _building_the_book():
    """Whether the kernel runs for a book build (no reader, no live front-end).

    ``GDCOURSE_EXPLORERS=page`` says so; otherwise the kernel's parent process is asked
    (``jupyter-book`` or ``sphinx-build`` start the kernels of a build).
    """
    if os.environ.get("GDCOURSE_EXPLORERS") == "page":
        return True
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return "jupyter-book" in cmd or "sphinx-build" in cmd


def grid(values, names):
    """Every combination of the lists ``values[name]`` for ``names``, as dicts."""
    return [dict(zip(names, combo)) for combo in itertools.product(*(values[n] for n in names))]
