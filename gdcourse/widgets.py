"""The explorers: sliders on top, a figure below, redrawn on every change.

An explorer draws into one matplotlib :class:`~matplotlib.figure.Figure` and
shows it as a PNG in an ``ipywidgets.Image``, so a change costs one
recomputation and one render (see ``bench/bench_widgets.py``). In a notebook an
explorer is one line::

    gdcourse.widgets.explore(["SGD", "Momentum"], objective="ravine")
"""
from __future__ import annotations

import io

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import objectives as objs
from . import plotting
from .optimizers import RULES, make
from .run import run

__all__ = ["Explorer", "PathExplorer", "explore", "lr_slider", "unit_slider"]

_SLIDER_LAYOUT = dict(layout=widgets.Layout(width="330px"), style={"description_width": "90px"})


def lr_slider(value, description="η", lo=-5, hi=1):
    """A log-scale slider for a learning rate between 10**lo and 10**hi."""
    return widgets.FloatLogSlider(value=value, base=10, min=lo, max=hi, step=0.05,
                                  description=description, readout_format=".2g",
                                  continuous_update=True, **_SLIDER_LAYOUT)


def unit_slider(value, description, lo=0.0, hi=0.999, step=0.001):
    """A slider for a decay rate such as γ, β₁ or β₂ in [lo, hi]."""
    return widgets.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                               readout_format=".3f", continuous_update=True, **_SLIDER_LAYOUT)


def _png(canvas):
    # Fast zlib level: the PNG is shown once and thrown away.
    buf = io.BytesIO()
    PIL.Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buf, format="png", compress_level=1)
    return buf.getvalue()


class Explorer:
    """Controls and a figure that ``draw(fig, **values)`` redraws on every change.

    Parameters
    ----------
    controls : dict
        name -> ipywidget with a ``value``; the names are ``draw``'s keyword arguments.
    draw : callable
        ``draw(fig, **values)`` redraws the figure and may return a status line
        (e.g. "diverged at step 12") shown under it.
    figsize : tuple
        Size of the figure in inches.
    columns : int
        Controls per row.
    """

    dpi = 72

    def __init__(self, controls, draw, figsize=(10, 4.2), columns=3):
        self.controls = dict(controls)
        self.draw = draw
        # A fixed layout: a layout engine would measure every tick label on every redraw.
        self.fig = Figure(figsize=figsize, dpi=self.dpi)
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.92, wspace=0.25)
        self.canvas = FigureCanvasAgg(self.fig)
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        boxes = list(self.controls.values())
        rows = [widgets.HBox(boxes[i:i + columns]) for i in range(0, len(boxes), columns)]
        self.widget = widgets.VBox([*rows, self.image, self.status])
        for w in boxes:
            w.observe(self.update, names="value")
        self.update()

    @property
    def values(self):
        """The controls' current values, name -> value."""
        return {name: w.value for name, w in self.controls.items()}

    def update(self, change=None):
        """Recompute and redraw with the current values."""
        status = self.draw(self.fig, **self.values)
        self.image.value = self.render()
        self.status.value = status or ""

    def render(self):
        """The figure as PNG bytes."""
        self.canvas.draw()
        return _png(self.canvas)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


class PathExplorer(Explorer):
    """Several rules on one 2-D objective: paths on the contours and loss curves.

    Every rule has a checkbox and, if it has one, its own learning-rate slider;
    ``shared`` hyperparameters (γ, β₁, β₂, ε) have one slider that serves every
    rule that has them. The start point, the number of steps and the objective
    are controls too.
    """

    def __init__(self, rules, objective="ravine", steps=100, lr=None, shared=None,
                 objectives=None, figsize=(10, 4.2)):
        lr = lr or {}
        unknown = [r for r in rules if r not in RULES]
        if unknown or not rules:
            raise ValueError(f"Invalid rules: {list(rules)!r} (must be a non-empty list of {', '.join(RULES)})")
        names = list(objectives or objs.OBJECTIVES)
        obj = objs.get(objective)
        if obj.name not in names:
            names.insert(0, obj.name)
        controls = {"objective": widgets.Dropdown(options=names, value=obj.name, description="objective",
                                                  **_SLIDER_LAYOUT)}
        for r in rules:
            controls[f"show_{r}"] = widgets.Checkbox(value=True, description=r, indent=False,
                                                     layout=widgets.Layout(width="110px"))
            if "lr" in RULES[r].defaults:
                controls[f"lr_{r}"] = lr_slider(lr.get(r, RULES[r].defaults["lr"]), f"η {r}")
        for name, value in (shared or {}).items():
            controls[name] = (lr_slider(value, "ε", lo=-10, hi=0) if name == "eps"
                              else unit_slider(value, {"gamma": "γ", "beta1": "β₁", "beta2": "β₂"}[name]))
        (x0, x1), (y0, y1) = obj.window
        controls["x0"] = widgets.FloatSlider(value=obj.start[0], min=x0, max=x1, step=(x1 - x0) / 200,
                                             description="θ₁ start", **_SLIDER_LAYOUT)
        controls["y0"] = widgets.FloatSlider(value=obj.start[1], min=y0, max=y1, step=(y1 - y0) / 200,
                                             description="θ₂ start", readout_format=".3g", **_SLIDER_LAYOUT)
        controls["steps"] = widgets.IntSlider(value=steps, min=1, max=max(1000, steps), step=1,
                                              description="steps", **_SLIDER_LAYOUT)
        self.rules = list(rules)
        self.shared = list(shared or {})
        self._drawn_objective = None
        self.runs = {}
        controls["objective"].observe(self._move_start, names="value")
        super().__init__(controls, self._draw, figsize=figsize, columns=2)

    def _move_start(self, change):
        # A new surface has its own window: put the start sliders inside it first.
        obj = objs.get(change["new"])
        (x0, x1), (y0, y1) = obj.window
        for key, (lo, hi), v in (("x0", (x0, x1), obj.start[0]), ("y0", (y0, y1), obj.start[1])):
            w = self.controls[key]
            w.unobserve(self.update, names="value")
            w.min, w.max = min(lo, w.min), max(hi, w.max)
            w.value = v
            w.min, w.max, w.step = lo, hi, (hi - lo) / 200
            w.observe(self.update, names="value")

    def compute(self, objective, x0, y0, steps, **values):
        """The runs for these control values, rule -> Trajectory."""
        obj = objs.get(objective)
        shared = {k: values[k] for k in self.shared}
        runs = {}
        for r in self.rules:
            if values[f"show_{r}"]:
                hp = dict(shared, lr=values.get(f"lr_{r}"))
                runs[r] = run(make(r, **{k: v for k, v in hp.items() if v is not None}), obj,
                              np.array([x0, y0]), steps)
        return runs

    def _draw(self, fig, objective, **values):
        self.runs = self.compute(objective, **values)
        if self._drawn_objective != objective:
            fig.clear()
            self.plot = plotting.PathPlot(fig, objs.get(objective), self.rules)
            self._drawn_objective = objective
            self._background = None
        self.plot.update(self.runs)
        return " · ".join(f"<b>{r}</b>: {t.describe()}" for r, t in self.runs.items())

    def render(self):
        """Blit: the contours are drawn once per objective, then only the paths and the loss panel."""
        dynamic = [*self.plot.path_artists, self.plot.ax_loss]
        if self._background is None:
            shown = [a.get_visible() for a in dynamic]
            for a in dynamic:
                a.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            for a, v in zip(dynamic, shown):
                a.set_visible(v)
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for a in dynamic:
            a.draw(renderer)
        return _png(self.canvas)


def explore(rules=("SGD", "Momentum"), objective="ravine", steps=100, lr=None, shared=None, **kwargs):
    """One line in a chapter: a :class:`PathExplorer` for ``rules`` on ``objective``.

    ``lr`` maps a rule to its starting learning rate; ``shared`` maps a shared
    hyperparameter (``gamma``, ``beta1``, ``beta2``, ``eps``) to its starting value.
    """
    return PathExplorer(list(rules), objective=objective, steps=steps, lr=lr, shared=shared, **kwargs)
