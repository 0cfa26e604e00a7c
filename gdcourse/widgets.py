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
from matplotlib.ticker import NullLocator

from . import datasets, loops, models, nn
from . import objectives as objs
from . import plotting
from .optimizers import RULES, make
from .run import Trajectory, run, run_online

__all__ = ["Explorer", "PathExplorer", "explore", "lr_slider", "unit_slider", "VariantsExplorer",
           "explore_variants"]

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

    _background = None
    _background_key = None

    def blit(self, dynamic, key=None):
        """The figure as PNG bytes, redrawing only the ``dynamic`` artists.

        Everything else (axes, ticks, labels, contours) is drawn once into a cached
        background, and again only when ``key`` (e.g. the axes' limits) changes.
        """
        if self._background is None or key != self._background_key:
            shown = [a.get_visible() for a in dynamic]
            for a in dynamic:
                a.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._background_key = key
            for a, v in zip(dynamic, shown):
                a.set_visible(v)
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for a in dynamic:
            a.draw(renderer)  # an invisible artist draws nothing
        return _png(self.canvas)

    def figure(self):
        """The current picture as a :class:`~matplotlib.figure.Figure` (a chapter's static figure)."""
        self.canvas.draw()
        return self.fig

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


class PathExplorer(Explorer):
    """Several rules on one 2-D objective: paths on the contours and loss curves.

    Every rule has a checkbox and, if it has one, its own learning-rate slider;
    ``shared`` hyperparameters (γ, β₁, β₂, ε) have one slider that serves every
    rule that has them. The start point, the number of steps and the objective
    are controls too.

    With ``play=True`` a play button (an ``ipywidgets.Play``) and a slider set the
    step shown: the race unfolds step by step. Runs are computed once per setting
    and cached per rule, so playing only re-slices them, and moving one rule's
    slider reruns that rule alone.
    """

    def __init__(self, rules, objective="ravine", steps=100, lr=None, shared=None,
                 objectives=None, figsize=(10, 4.2), play=False):
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
        if play:
            controls["shown"] = widgets.Play(value=steps, min=0, description="play", interval=80)
            self._fit_play(steps, controls["shown"])
            controls["steps"].observe(self._steps_changed, names="value")
        self.rules = list(rules)
        self.shared = list(shared or {})
        self._drawn_objective = None
        self._cache = {}
        self.runs = {}
        controls["objective"].observe(self._move_start, names="value")
        super().__init__(controls, self._draw, figsize=figsize, columns=2)
        if play:
            # A slider beside the play button: scrub by hand (linked in the browser, no round trip).
            self.scrub = widgets.IntSlider(value=steps, min=0, max=controls["shown"].max, description="step shown",
                                           continuous_update=True, **_SLIDER_LAYOUT)
            widgets.jslink((controls["shown"], "value"), (self.scrub, "value"))
            row = next(r for r in self.widget.children if controls["shown"] in getattr(r, "children", ()))
            row.children = (*row.children, self.scrub)

    @staticmethod
    def _fit_play(steps, play):
        """About 60 frames a run; the last frame shows the last step."""
        play.step = max(1, steps // 60)
        play.max = play.step * -(-steps // play.step)

    def _steps_changed(self, change):
        # A new number of steps: the play button covers it and shows the whole run.
        play = self.controls["shown"]
        play.unobserve(self.update, names="value")
        self._fit_play(change["new"], play)
        play.value = play.max
        if hasattr(self, "scrub"):
            self.scrub.max = play.max
        play.observe(self.update, names="value")

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

    def compute(self, objective, x0, y0, steps, shown=None, **values):
        """The runs for these control values, rule -> Trajectory.

        A rule whose objective, start, steps and hyperparameters are those of the
        previous call is not run again (``shown``, the step played, changes no run).
        """
        obj = objs.get(objective)
        shared = {k: values[k] for k in self.shared}
        runs = {}
        for r in self.rules:
            if values[f"show_{r}"]:
                hp = dict(shared, lr=values.get(f"lr_{r}"))
                opt = make(r, **{k: v for k, v in hp.items() if v is not None})
                key = (objective, float(x0), float(y0), int(steps), tuple(opt.hyperparams.items()))
                if self._cache.get(r, (None,))[0] != key:
                    self._cache[r] = (key, run(opt, obj, np.array([x0, y0]), steps))
                runs[r] = self._cache[r][1]
        return runs

    def _draw(self, fig, objective, shown=None, **values):
        self.runs = self.compute(objective, **values)
        if self._drawn_objective != objective:
            fig.clear()
            self.plot = plotting.PathPlot(fig, objs.get(objective), self.rules)
            if self.plot.min_value is not None:
                # No minor ticks on the log loss axis: dozens of tick artists would be redrawn with every
                # new limit, and at the explorer's size they show little.
                self.plot.ax_loss.yaxis.set_minor_locator(NullLocator())
            self._drawn_objective = objective
            self._background = None
        status = " · ".join(f"<b>{r}</b>: {t.describe()}" for r, t in self.runs.items())
        # Loss limits in whole decades: most slider moves then redraw the curves, not the axes.
        if shown is None:
            self.plot.update(self.runs, decades=True)
            return status
        k = min(shown, values["steps"])
        self.plot.update({r: _first_steps(t, k) for r, t in self.runs.items()}, limits_from=self.runs,
                         decades=True)
        return f"<b>step {k} of {values['steps']}</b> · {status}"

    def render(self):
        """Blit: the contours are drawn once per objective, the loss panel's axes and legend
        once per change of its limits or labels (not while playing), then only the lines."""
        ax_loss = self.plot.ax_loss
        curves = [arts[3] for arts in self.plot.artists.values()]
        renderer = self.canvas.get_renderer()
        if self._background is None:
            dynamic = [*self.plot.path_artists, ax_loss]
            shown = [a.get_visible() for a in dynamic]
            for a in dynamic:
                a.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            for a, v in zip(dynamic, shown):
                a.set_visible(v)
            self._loss_key = None
        legend = ax_loss.get_legend()
        key = (ax_loss.get_xlim(), ax_loss.get_ylim(),
               tuple(t.get_text() for t in legend.get_texts()) if legend else ())
        if key != self._loss_key:
            self.canvas.restore_region(self._background)
            shown = [a.get_visible() for a in curves]
            for a in curves:
                a.set_visible(False)
            ax_loss.draw(renderer)
            for a, v in zip(curves, shown):
                a.set_visible(v)
            self._with_axes = self.canvas.copy_from_bbox(self.fig.bbox)
            self._loss_key = key
        self.canvas.restore_region(self._with_axes)
        for a in [*self.plot.path_artists, *curves]:
            a.draw(renderer)
        return _png(self.canvas)


def _first_steps(traj, k):
    """The run's steps 0..k, as a Trajectory (diverged only if it diverged by step k)."""
    return Trajectory(traj.thetas[: k + 1], traj.losses[: k + 1],
                      traj.diverged_at if 0 <= traj.diverged_at <= k else -1)


def explore(rules=("SGD", "Momentum"), objective="ravine", steps=100, lr=None, shared=None, **kwargs):
    """One line in a chapter: a :class:`PathExplorer` for ``rules`` on ``objective``.

    ``lr`` maps a rule to its starting learning rate; ``shared`` maps a shared
    hyperparameter (``gamma``, ``beta1``, ``beta2``, ``eps``) to its starting value.
    """
    return PathExplorer(list(rules), objective=objective, steps=steps, lr=lr, shared=shared, **kwargs)


# --- The batch-size explorer (gradient descent variants) ---------------------------------


def _batch_sizes(n):
    """Powers of two below ``n``, then ``n`` itself (batch gradient descent)."""
    return [2**k for k in range(int(np.log2(n)) + 1) if 2**k < n] + [n]


class VariantsExplorer(Explorer):
    r"""Batch, stochastic and mini-batch gradient descent: a batch-size slider and a learning rate.

    Each redraw runs :func:`gdcourse.loops.train` with plain SGD updates
    :math:`\theta = \theta - \eta \cdot \nabla_\theta J(\theta; x^{(i:i+b)}; y^{(i:i+b)})`,
    shuffling every epoch, on linear regression over ``n`` examples drawn (seeded)
    from :func:`gdcourse.datasets.diabetes`, for ``epochs`` epochs; batch gradient
    descent (``b = n``) at the same :math:`\eta` is drawn for reference. The left
    panel shows :math:`J(\theta) - J^*` on those ``n`` examples after each epoch,
    the right one the loss of each mini-batch before its update (the text's Image 1).
    The sample is small so that batch size 1 (``n * epochs`` updates) redraws in time.

    Parameters
    ----------
    batch_size : int
        Starting batch size: a power of two below ``n``, or ``n``.
    lr : float
        Starting learning rate :math:`\eta`.
    n : int
        Examples in the sample (2 to 442).
    epochs : int
        Passes over the sample (>= 1).
    seed : int
        Seed of the sample and of the shuffling.
    """

    def __init__(self, batch_size=4, lr=0.05, n=64, epochs=6, seed=0, figsize=(10, 4.2)):
        full = datasets.diabetes()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= full.n:
            raise ValueError(f"Invalid n: {n!r} (must be an integer in [2, {full.n}])")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"Invalid epochs: {epochs!r} (must be an integer >= 1)")
        sizes = _batch_sizes(n)
        if batch_size not in sizes:
            raise ValueError(f"Invalid batch_size: {batch_size!r} (must be one of {sizes})")
        idx = np.random.default_rng(seed).permutation(full.n)[:n]
        self.X, self.y = full.X[idx], full.y[idx]
        self.model = models.LinearRegression()
        self.min_value = float(self.model.loss(self.model.minimizer(self.X, self.y), self.X, self.y))
        self.n, self.epochs, self.seed = n, epochs, seed
        self.names = ("this batch size", f"batch GD (b = {n})")
        self.histories = {}
        controls = {
            "batch_size": widgets.SelectionSlider(options=sizes, value=batch_size, description="batch size b",
                                                  continuous_update=True, **_SLIDER_LAYOUT),
            "lr": lr_slider(lr, "η", lo=-3, hi=0.5),
        }
        self.plot = None
        super().__init__(controls, self._draw, figsize=figsize, columns=2)

    def compute(self, batch_size, lr):
        """The runs for these values: name -> :class:`gdcourse.loops.History`."""
        fit = lambda b: loops.train(self.model, make("SGD", lr=lr), self.X, self.y, np.zeros(self.X.shape[1] + 1),
                                    epochs=self.epochs, batch_size=b, seed=self.seed)
        out = {self.names[0]: fit(batch_size)}
        if batch_size != self.n:
            out[self.names[1]] = fit(self.n)
        return out

    def _draw(self, fig, batch_size, lr):
        self.histories = self.compute(batch_size, lr)
        per_epoch = -(-self.n // batch_size)
        if self.plot is None:
            fig.subplots_adjust(left=0.09)
            # Fixed limits: the axes are drawn once and only the curves are redrawn (see render).
            self.plot = plotting.HistoryPlot(fig, self.names, self.min_value, epochs=self.epochs,
                                             ylim=(1e-4, 3.0), batch_ylim=(0.0, 2.0))
            self._background = None
        self.plot.update(self.histories, {self.names[0]: per_epoch, self.names[1]: 1})
        first = self.histories[self.names[0]]
        line = f"<b>b = {batch_size}</b> ({per_epoch} updates per epoch): {first.describe()}"
        if self.names[1] in self.histories:
            line += f" · <b>batch GD</b>: {self.histories[self.names[1]].describe()}"
        return line

    def render(self):
        """Blit: the axes, ticks and labels are drawn once, then only the curves and the legend."""
        return self.blit(self.plot.dynamic_artists)

def explore_variants(batch_size=4, lr=0.05, **kwargs):
    """One line in a chapter: a :class:`VariantsExplorer` (batch size and η on the diabetes data)."""
    return VariantsExplorer(batch_size=batch_size, lr=lr, **kwargs)


# --- The online explorer (AMSGrad): Reddi et al.'s periodic linear losses -----------------

__all__ += ["OnlineExplorer", "explore_online"]


class OnlineExplorer(Explorer):
    r"""Reddi et al.'s online problem: the iterates :math:`x_t` of Adam and AMSGrad, live.

    The losses are :class:`gdcourse.objectives.PeriodicLinear`,

    .. math::
        f_t(x) = \begin{cases} C\,x & t \bmod p = 1 \\ s\,x & \text{otherwise} \end{cases},
        \qquad x \in [-1, 1],

    run by :func:`gdcourse.run.run_online` (projection after every step) with a
    constant :math:`\eta` from :math:`x_1 = ` ``x0``. Sliders: the large gradient
    :math:`C`, the period :math:`p`, the small gradient :math:`s`, :math:`\beta_1`,
    :math:`\beta_2` and :math:`\eta`. The dotted line is the best fixed point
    :math:`x^*` (−1 when a period's gradients sum to more than 0). ``steps`` is
    kept small enough for a redraw in under 100 ms.

    Parameters
    ----------
    rules : sequence of str
        The rules to run (each must have ``lr``, ``beta1`` and ``beta2``, or ignores those it lacks).
    C, period, small : float, int, float
        Starting constants of the problem (the paper's 1010, 101, -10).
    beta1, beta2, lr : float
        Starting hyperparameters (the paper's β₁ = 0.9, β₂ = 0.99; η = 0.1).
    steps : int
        Number of online steps T.
    x0 : float
        Start point :math:`x_1` in [-1, 1].
    """

    def __init__(self, rules=("Adam", "AMSGrad"), C=1010.0, period=101, small=-10.0, beta1=0.9, beta2=0.99,
                 lr=0.1, steps=600, x0=0.0, figsize=(10, 3.6)):
        unknown = [r for r in rules if r not in RULES]
        if unknown or not rules:
            raise ValueError(f"Invalid rules: {list(rules)!r} (must be a non-empty list of {', '.join(RULES)})")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise ValueError(f"Invalid steps: {steps!r} (must be an integer >= 1)")
        if not -1.0 <= x0 <= 1.0:
            raise ValueError(f"Invalid x0: {x0!r} (must be in [-1, 1])")
        objs.PeriodicLinear(C, period, small)  # validates the starting constants
        self.rules, self.steps, self.x0 = list(rules), int(steps), float(x0)
        self.runs = {}
        controls = {
            "C": widgets.FloatLogSlider(value=C, base=10, min=0, max=4, step=0.01, description="C (large g)",
                                        readout_format=".4g", continuous_update=True, **_SLIDER_LAYOUT),
            "period": widgets.IntSlider(value=period, min=2, max=300, step=1, description="period p",
                                        continuous_update=True, **_SLIDER_LAYOUT),
            "small": widgets.FloatSlider(value=small, min=-50.0, max=0.0, step=0.5, description="s (small g)",
                                         continuous_update=True, **_SLIDER_LAYOUT),
            "beta1": unit_slider(beta1, "β₁"),
            "beta2": unit_slider(beta2, "β₂"),
            "lr": lr_slider(lr, "η", lo=-3, hi=0),
        }
        self.plot = None
        super().__init__(controls, self._draw, figsize=figsize, columns=3)

    def compute(self, C, period, small, beta1, beta2, lr):
        """The runs for these values: rule -> :class:`gdcourse.run.OnlineRun`."""
        prob = objs.PeriodicLinear(C, period, small)
        return {r: run_online(make(r, lr=lr, beta1=beta1, beta2=beta2), prob.grad, np.array([self.x0]),
                              self.steps, prob.lo, prob.hi) for r in self.rules}

    def _draw(self, fig, C, period, small, beta1, beta2, lr):
        self.runs = self.compute(C, period, small, beta1, beta2, lr)
        prob = objs.PeriodicLinear(C, period, small)
        if self.plot is None:
            ax = fig.add_subplot()
            fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9)
            ax.set_xlim(0, self.steps)
            ax.set_ylim(-1.08, 1.08)
            ax.set_xlabel("step t")
            ax.set_ylabel("xₜ")
            ax.set_title("online losses fₜ(x) = C·x every p-th step, s·x otherwise; x kept in [−1, 1]")
            ax.grid(alpha=0.3)
            t = np.arange(self.steps + 1)
            lines = {r: ax.plot(t, np.zeros_like(t, dtype=float), color=plotting.color(r, i), lw=1.3,
                                label=r)[0] for i, r in enumerate(self.rules)}
            star = ax.axhline(0.0, color="goldenrod", ls=":", lw=2.2, label="best fixed point x*")
            ax.legend(loc="upper left", fontsize=8, ncols=3)
            self.plot = {"ax": ax, "lines": lines, "star": star}
            self._background = None
        for r, line in self.plot["lines"].items():
            line.set_ydata(self.runs[r].xs[:, 0])
        self.plot["star"].set_ydata([prob.x_star, prob.x_star])
        last = " · ".join(f"<b>{r}</b> {self.runs[r].xs[-period:, 0].mean():+.2f}" for r in self.rules)
        return (f"a period's gradients sum to C + (p − 1)s = {prob.period_sum:.4g}, so x* = {prob.x_star:+.0f}; "
                f"mean x over the last period: {last}")

    def render(self):
        """Blit: axes and legend are drawn once, then only the curves and the x* line."""
        return self.blit([*self.plot["lines"].values(), self.plot["star"]])



def explore_online(rules=("Adam", "AMSGrad"), **kwargs):
    """One line in a chapter: an :class:`OnlineExplorer` on Reddi et al.'s problem (the paper's constants)."""
    return OnlineExplorer(rules=rules, **kwargs)


# --- Parallel and distributed SGD: explorers over the simulator (Hogwild!, Downpour, delays, sync, EASGD) ---

from . import parallel as _parallel  # noqa: E402
from .optimizers import SGD as _SGD  # noqa: E402

__all__ += ["SimExplorer", "HogwildExplorer", "DownpourExplorer", "DelayExplorer", "SyncExplorer",
            "EASGDExplorer", "explore_hogwild", "explore_downpour", "explore_delays", "explore_sync",
            "explore_easgd"]


def _int_slider(value, lo, hi, description, step=1):
    return widgets.IntSlider(value=value, min=lo, max=hi, step=step, description=description,
                             continuous_update=True, **_SLIDER_LAYOUT)


def _float_slider(value, lo, hi, description, step=0.05):
    return widgets.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                               readout_format=".2f", continuous_update=True, **_SLIDER_LAYOUT)


class SimExplorer(Explorer):
    """Two panels of lines that every change moves: the base of the simulator's explorers.

    Subclasses set ``lines`` (panel -> names), ``labels`` (panel -> (title, xlabel, ylabel, log y))
    and implement ``compute(**values) -> (data, status)`` where ``data`` maps a name to
    ``(x, y)``; names absent from ``data`` are hidden.
    """

    lines = {0: (), 1: ()}
    labels = {0: ("", "", "", False), 1: ("", "", "", False)}
    logx = ()
    #: panel -> (xlim, ylim), each None to follow the data (snapped to round values)
    fixed = {}

    def __init__(self, controls, figsize=(10, 3.8), columns=3):
        self.axes = None
        self._background, self._limits_drawn = None, None
        super().__init__(controls, self._draw, figsize=figsize, columns=columns)

    def _setup(self, fig):
        self.axes = fig.subplots(1, 2)
        self.artists = {}
        for panel, names in self.lines.items():
            ax = self.axes[panel]
            title, xl, yl, logy = self.labels[panel]
            ax.set_title(title, fontsize=10)
            ax.set_xlabel(xl)
            ax.set_ylabel(yl)
            if logy:
                plotting.plain_log(ax, "y")
            if panel in self.logx:
                plotting.plain_log(ax, "x")
            xlim, ylim = self.fixed.get(panel, (None, None))
            if xlim is not None:
                ax.set_xlim(*xlim)
            if ylim is not None:
                ax.set_ylim(*ylim)
            _few_ticks(ax)
            ax.grid(alpha=0.3)
            for i, name in enumerate(names):
                style = dict(self.styles.get(name, {}) if hasattr(self, "styles") else {})
                # The same name (up to spaces) has the same colour in both panels.
                c = style.pop("color", plotting.color(name.strip(), i))
                self.artists[name] = ax.plot([], [], lw=1.6, color=c, label=name.strip(), **style)[0]
            if names:
                ax.legend(fontsize=8, loc="upper right")

    def _draw(self, fig, **values):
        if self.axes is None:
            self._setup(fig)
        data, status = self.compute(**values)
        for panel in self.lines:
            ax, xs, ys = self.axes[panel], [], []
            for name in self.lines[panel]:
                art = self.artists[name]
                if name not in data:
                    art.set_visible(False)
                    continue
                x, y = (np.asarray(a, dtype=np.float64) for a in data[name])
                art.set_data(x, y)
                art.set_visible(True)
                ok = np.isfinite(y) & ((y > 0) if self.labels[panel][3] else True)
                xs.append(x[ok])
                ys.append(y[ok])
            xlim, ylim = self.fixed.get(panel, (None, None))
            self._limits(ax, xs if xlim is None else [], ys if ylim is None else [], self.labels[panel][3])
        return status

    def _limits(self, ax, xs, ys, logy):
        # Limits snap to round values, so most slider moves keep the axes and only blit the lines.
        xs = np.concatenate(xs) if xs else np.zeros(0)
        ys = np.concatenate(ys) if ys else np.zeros(0)
        if xs.size:
            lo, hi = xs.min(), xs.max()
            if ax.get_xscale() == "log":
                ax.set_xlim(lo / 1.2, hi * 1.2)
            else:
                ax.set_xlim(min(lo, 0.0), _nice(hi if hi > lo else lo + 1))
        if ys.size:
            lo, hi = ys.min(), ys.max()
            if logy:
                ax.set_ylim(10.0 ** (np.floor(np.log10(lo) * 2) / 2), 10.0 ** (np.ceil(np.log10(hi) * 2) / 2))
            else:
                ax.set_ylim(min(0.0, lo), _nice(hi))

    def render(self):
        """Blit the lines onto the last background while the axes' limits stay the same."""
        return self.blit(list(self.artists.values()), key=tuple(ax.get_xlim() + ax.get_ylim() for ax in self.axes))



def _nice(x):
    """The smallest of 1, 1.5, 2, 3, 5, 7 times a power of ten that is >= x (x > 0)."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    e = 10.0 ** np.floor(np.log10(x))
    return float(next(m * e for m in (1, 1.5, 2, 3, 5, 7, 10) if m * e >= x * (1 - 1e-12)))


def _few_ticks(ax):
    """At most five labelled ticks per axis and no minor ticks: text is what costs in a redraw."""
    from matplotlib.ticker import MaxNLocator, NullLocator

    for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
        axis.set_minor_locator(NullLocator())
        if scale == "linear":
            axis.set_major_locator(MaxNLocator(4))


class HogwildExplorer(SimExplorer):
    """Simulated Hogwild!: W lock-free workers against serial SGD as the data get denser.

    Each example has about 4 of ``p`` features; fewer features means denser data, so more
    updates touch the same weights while in flight (conflicts). Serial runs are cached.
    """

    lines = {0: ("serial SGD", "W lock-free workers"), 1: ("conflicting updates",)}
    styles = {"conflicting updates": {"color": "#444444"}}
    labels = {0: ("loss of the shared weights", "updates made", "J(w)", False),
              1: ("running share of updates that conflicted", "updates made", "fraction", False)}
    fixed = {0: (None, (0.0, 1.5)), 1: (None, (0.0, 1.0))}

    def __init__(self, features=(400, 100, 25, 12), workers=16, lr=0.8, steps=400, n=1000):
        self.steps, self.n, self._data, self._serial = steps, n, {}, {}
        controls = {"workers": _int_slider(workers, 1, 64, "workers W"),
                    "features": widgets.Dropdown(options=list(features), value=features[2],
                                                 description="features p", **_SLIDER_LAYOUT),
                    "lr": lr_slider(lr, lo=-1.5, hi=0.5)}
        super().__init__(controls)

    def data(self, p):
        if p not in self._data:
            ds = datasets.sparse_classification(self.n, [min(4.0 / p, 1.0)] * p, seed=0)
            self._data[p] = (_parallel.Problem(models.LogisticRegression(), ds.X, ds.y, bias=False), ds.X > 0)
        return self._data[p]

    def compute(self, workers, features, lr):
        prob, support = self.data(features)
        kw = dict(steps=self.steps, spread=0.5, record_every=10)
        if (features, lr) not in self._serial:
            self._serial[(features, lr)] = _parallel.downpour(prob, np.zeros(features), _SGD(lr=lr), workers=1, **kw)
        serial = self._serial[(features, lr)]
        r = _parallel.downpour(prob, np.zeros(features), _SGD(lr=lr), workers=workers, **kw)
        c = _parallel.conflicts(r, support)
        running = np.cumsum(c) / np.arange(1, len(c) + 1)
        data = {"serial SGD": (serial.steps, serial.losses), "W lock-free workers": (r.steps, r.losses),
                "conflicting updates": (np.arange(1, len(c) + 1), running)}
        status = (f"density {min(4 / features, 1):.2f} · mean staleness {r.staleness.mean():.1f} · "
                  f"{c.mean():.0%} of updates conflicted · final loss {r.losses[-1]:.4f} "
                  f"(serial {serial.losses[-1]:.4f})")
        return data, status


class DownpourExplorer(SimExplorer):
    """Downpour SGD on least squares (diabetes): replicas, staleness, the server's rule, the push period τ."""

    lines = {0: ("Downpour",), 1: ("staleness",)}
    labels = {0: ("J(θ) − J* of the server's parameters", "gradients computed", "J − J*", True),
              1: ("staleness of applied updates", "staleness", "fraction of updates", False)}
    styles = {"staleness": {"drawstyle": "steps-mid", "color": "#444444"}}
    fixed = {0: (None, (1e-4, 100.0)), 1: ((0, 70), (0.0, 1.0))}

    def __init__(self, workers=8, spread=0.5, tau=1, lr=0.05, rule="Adagrad", steps=400):
        d = datasets.diabetes()
        model = models.LinearRegression()
        self.problem = _parallel.Problem(model, d.X, d.y)
        self.jstar = float(model.loss(model.minimizer(d.X, d.y), d.X, d.y))
        self.steps = steps
        controls = {"workers": _int_slider(workers, 1, 64, "replicas W"),
                    "spread": _float_slider(spread, 0.0, 1.5, "time spread"),
                    "tau": _int_slider(tau, 1, 32, "τ (fetch, push)"),
                    "lr": lr_slider(lr, lo=-3, hi=0.5),
                    "rule": widgets.Dropdown(options=["SGD", "Adagrad"], value=rule, description="server",
                                             **_SLIDER_LAYOUT)}
        super().__init__(controls)

    def compute(self, workers, spread, tau, lr, rule):
        r = _parallel.downpour(self.problem, np.zeros(self.problem.d), make(rule, lr=lr), workers=workers,
                               steps=self.steps, batch_size=8, n_fetch=tau, n_push=tau, spread=spread,
                               record_every=10)
        gap = np.maximum(r.losses - self.jstar, 1e-12)
        last = np.nonzero(np.isfinite(gap) & (gap < 1e6))[0]
        k = last[-1] + 1 if len(last) else 1
        hist = np.bincount(r.staleness) / max(len(r.staleness), 1)
        return ({"Downpour": (r.steps[:k], gap[:k]), "staleness": (np.arange(len(hist)), hist)},
                f"<b>{rule}</b> on the server · {r.describe()}")


class DelayExplorer(SimExplorer):
    """Adagrad against AdaptiveRevision under the delays of W asynchronous workers (sparse data)."""

    lines = {0: ("Adagrad", "AdaptiveRevision"), 1: ("Adagrad ", "AdaptiveRevision ")}
    labels = {0: ("loss at the chosen η", "gradients computed", "J(θ)", True),
              1: ("final loss for every η at this W", "η", "final J(θ)", True)}
    styles = {"Adagrad ": {"marker": "o", "ms": 3}, "AdaptiveRevision ": {"marker": "o", "ms": 3}}
    logx = (1,)
    fixed = {0: (None, (0.1, 3.0)), 1: (None, (0.1, 30.0))}

    def __init__(self, workers=64, lr=1.0, steps=128, lrs=None, cache=True):
        ds = datasets.sparse_classification(1000, np.geomspace(0.5, 0.005, 30), seed=0)
        self.problem = _parallel.Problem(models.LogisticRegression(), ds.X, ds.y)
        self.lrs = (np.array([0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0]) if lrs is None
                    else np.asarray(lrs, dtype=np.float64))
        self.steps, self.cache, self._cache = steps, cache, {}
        value = self.lrs[np.argmin(np.abs(np.log(self.lrs / lr)))]
        options = sorted({1, 2, 4, 8, 16, 32, 64, 128, 256, int(workers)})
        controls = {"workers": widgets.SelectionSlider(options=options, value=int(workers), description="workers W",
                                                       continuous_update=True, **_SLIDER_LAYOUT),
                    "lr": widgets.SelectionSlider(options=[(f"{v:.3g}", v) for v in self.lrs], value=value,
                                                  description="η", continuous_update=True, **_SLIDER_LAYOUT)}
        super().__init__(controls, columns=2)

    def runs(self, workers):
        """Adagrad and AdaptiveRevision over the whole grid of η at ``workers`` (kept for a revisit)."""
        if workers not in self._cache:
            theta0 = np.zeros((len(self.lrs), self.problem.d))
            kw = dict(workers=workers, steps=self.steps, spread=0.5, record_every=10)
            if not self.cache:
                self._cache = {}
            self._cache[workers] = (
                _parallel.downpour(self.problem, theta0, RULES["Adagrad"](lr=self.lrs[:, None]), **kw),
                _parallel.downpour(self.problem, theta0, _parallel.AdaptiveRevision(lr=self.lrs[:, None]), **kw))
        return self._cache[workers]

    def compute(self, workers, lr):
        ada, ar = self.runs(workers)
        i = int(np.argmin(np.abs(self.lrs - lr)))
        data = {"Adagrad": (ada.steps, ada.losses[:, i]), "AdaptiveRevision": (ar.steps, ar.losses[:, i]),
                "Adagrad ": (self.lrs, ada.losses[-1]), "AdaptiveRevision ": (self.lrs, ar.losses[-1])}
        return data, (f"mean staleness {ada.staleness.mean():.1f} · final loss at η = {lr:.3g}: "
                      f"Adagrad {ada.losses[-1, i]:.4f}, AdaptiveRevision {ar.losses[-1, i]:.4f}")


class SyncExplorer(SimExplorer):
    """Synchronous data parallelism (wait for all K) against asynchronous SGD, in simulated time."""

    lines = {0: ("synchronous", "asynchronous"), 1: ("synchronous ", "asynchronous ")}
    labels = {0: ("loss against simulated time", "simulated time (log scale)", "J(θ)", True),
              1: ("loss against gradients computed", "gradients computed", "J(θ)", True)}
    logx = (0,)
    fixed = {0: ((1.0, 1000.0), (0.05, 0.7)), 1: (None, (0.05, 0.7))}

    def __init__(self, workers=8, batch_size=4, spread=0.8, lr=0.1, steps=320):
        d = datasets.breast_cancer()
        self.problem = _parallel.Problem(models.LogisticRegression(), d.X, d.y)
        self.steps = steps
        controls = {"workers": _int_slider(workers, 1, 32, "workers K"),
                    "batch_size": _int_slider(batch_size, 1, 32, "batch b"),
                    "spread": _float_slider(spread, 0.0, 1.5, "time spread"),
                    "lr": lr_slider(lr, lo=-3, hi=0.5)}
        super().__init__(controls, columns=4)

    def compute(self, workers, batch_size, spread, lr):
        kw = dict(workers=workers, steps=self.steps, batch_size=batch_size, spread=spread,
                  record_every=max(workers, 8))
        sync = _parallel.synchronous(self.problem, np.zeros(self.problem.d), _SGD(lr=lr), **kw)
        asyn = _parallel.downpour(self.problem, np.zeros(self.problem.d), _SGD(lr=lr), **kw)
        data = {"synchronous": (sync.times, sync.losses), "asynchronous": (asyn.times, asyn.losses),
                "synchronous ": (sync.steps, sync.losses), "asynchronous ": (asyn.steps, asyn.losses)}
        return data, (f"{self.steps} gradients: synchronous took {sync.times[-1]:.0f} time units "
                      f"(loss {sync.losses[-1]:.4f}), asynchronous {asyn.times[-1]:.0f} "
                      f"(loss {asyn.losses[-1]:.4f}, mean staleness {asyn.staleness.mean():.1f})")


class EASGDExplorer(Explorer):
    """EASGD's workers and centre on a noisy 2-D ravine, with Downpour at the same period τ.

    Left: the workers' paths (thin) around the centre variable (thick) on the contours.
    Right: the centre's loss for EASGD and Downpour, and the workers' spread around the centre.
    """

    def __init__(self, rho=1.0, tau=4, workers=4, lr=0.1, sigma=2.0, steps=320):
        self.objective = objs.Quadratic()
        self.problem = _parallel.NoisyObjective(self.objective, sigma=sigma, n=256, seed=0)
        self.steps, self.start = steps, np.array([-4.0, 1.5])
        self.axes = None
        self._background = None
        controls = {"rho": widgets.FloatLogSlider(value=rho, base=10, min=-2, max=0.9, step=0.05,
                                                  description="ρ", readout_format=".2g", **_SLIDER_LAYOUT),
                    "tau": _int_slider(tau, 1, 32, "τ"),
                    "workers": _int_slider(workers, 2, 8, "workers W"),
                    "lr": lr_slider(lr, lo=-2, hi=-0.3)}
        super().__init__(controls, self._draw, figsize=(10, 4.0), columns=4)

    def _setup(self, fig):
        self.ax_path, self.ax_loss = fig.subplots(1, 2, width_ratios=(1.1, 1))
        plotting.contours(self.ax_path, self.objective)
        self.ax_path.set_xlim(-4.5, 1.0)
        self.ax_path.set_ylim(-2.0, 2.0)
        self.ax_path.set_title("workers (thin) and centre x̃ (thick)", fontsize=10)
        self.worker_lines = [self.ax_path.plot([], [], lw=0.7, alpha=0.7, color=plotting._EXTRA[i % 5])[0]
                             for i in range(8)]
        self.centre_line = self.ax_path.plot([], [], lw=2.4, color="black", label="EASGD centre")[0]
        self.downpour_line = self.ax_path.plot([], [], lw=1.6, ls="--", color=plotting.color("Downpour", 1),
                                               label="Downpour server")[0]
        self.ax_path.legend(fontsize=8, loc="lower right")
        ax = self.ax_loss
        plotting.plain_log(ax)
        _few_ticks(ax)
        # Fixed limits: the reader compares settings in one frame, and only the lines are redrawn.
        ax.set_xlim(0, self.steps)
        ax.set_ylim(1e-3, 30)
        ax.set_xlabel("gradients computed (all workers)")
        ax.set_ylabel("J − J*, spread")
        ax.set_title("centre's loss and workers' spread", fontsize=10)
        ax.grid(alpha=0.3)
        self.loss_lines = {name: ax.plot([], [], lw=1.6, label=name, color=c, ls=ls)[0] for name, c, ls in (
            ("EASGD centre J − J*", "black", "-"), ("Downpour J − J*", plotting.color("Downpour", 1), "--"),
            ("EASGD spread", plotting.color("spread", 2), ":"))}
        ax.legend(fontsize=8, loc="upper right")

    def compute(self, rho, tau, workers, lr):
        alpha = lr * rho
        if alpha >= 1:
            rho = 0.99 / lr
        kw = dict(workers=workers, steps=self.steps, spread=0.5, record_every=workers)
        ea = _parallel.easgd(self.problem, self.start, lr=lr, rho=rho, tau=tau, record_local=True, **kw)
        dp = _parallel.downpour(self.problem, self.start, _SGD(lr=lr), n_fetch=tau, n_push=tau, **kw)
        return ea, dp

    def _draw(self, fig, rho, tau, workers, lr):
        if self.axes is None:
            self._setup(fig)
            self.axes = (self.ax_path, self.ax_loss)
        ea, dp = self.compute(rho, tau, workers, lr)
        for i, line in enumerate(self.worker_lines):
            line.set_visible(i < workers)
            if i < workers:
                line.set_data(ea.local[:, i, 0], ea.local[:, i, 1])
        self.centre_line.set_data(ea.theta[:, 0], ea.theta[:, 1])
        ok = np.all(np.isfinite(dp.theta) & (np.abs(dp.theta) < 50), axis=-1)
        self.downpour_line.set_data(dp.theta[ok, 0], dp.theta[ok, 1])
        curves = {"EASGD centre J − J*": (ea.steps, ea.losses), "Downpour J − J*": (dp.steps[ok], dp.losses[ok]),
                  "EASGD spread": (ea.steps, ea.drift)}
        for name, (x, y) in curves.items():
            self.loss_lines[name].set_data(x, np.maximum(y, 1e-6))
        alpha = lr * min(rho, 0.99 / lr)
        return (f"α = ηρ = {alpha:.3g} · mean spread {ea.drift[1:].mean():.3f} · centre loss {ea.losses[-1]:.4f}, "
                f"Downpour {dp.describe()}")

    def render(self):
        """Blit: the contours are drawn once, then only the moving artists."""
        return self.blit([*self.worker_lines, self.centre_line, self.downpour_line, *self.loss_lines.values()])



def explore_hogwild(**kwargs):
    """One line in a chapter: a :class:`HogwildExplorer` (simulated lock-free workers on sparse data)."""
    return HogwildExplorer(**kwargs)


def explore_downpour(**kwargs):
    """One line in a chapter: a :class:`DownpourExplorer` (replicas, staleness, τ, the server's rule)."""
    return DownpourExplorer(**kwargs)


def explore_delays(**kwargs):
    """One line in a chapter: a :class:`DelayExplorer` (Adagrad against AdaptiveRevision under delays)."""
    return DelayExplorer(**kwargs)


def explore_sync(**kwargs):
    """One line in a chapter: a :class:`SyncExplorer` (synchronous against asynchronous, simulated time)."""
    return SyncExplorer(**kwargs)


def explore_easgd(**kwargs):
    """One line in a chapter: an :class:`EASGDExplorer` (ρ, τ: workers around the centre, Downpour beside)."""
    return EASGDExplorer(**kwargs)


# --- Strategies alongside any rule: orders, batch normalization, early stopping, gradient noise ---

__all__ += ["OrderExplorer", "explore_orders", "BatchNormExplorer", "explore_batchnorm",
            "EarlyStoppingExplorer", "explore_early_stopping", "NoiseExplorer", "explore_gradient_noise"]


class _Blit:
    """Mixin for explorers whose axes never change: draw them once, then only :meth:`dynamic`."""

    def dynamic(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self):
        return self.blit(self.dynamic())



def _digits_subsets(n_train, n_val, seed=0):
    """The first ``n_train`` / ``n_val`` examples of the seeded 75/25 split of the digits."""
    tr, va = datasets.digits().split(0.25, seed=seed)
    return tr.X[:n_train], tr.y[:n_train], va.X[:n_val], va.y[:n_val]


class OrderExplorer(_Blit, Explorer):
    r"""The order of the examples: shuffled, fixed, sorted by label, or a curriculum.

    Softmax regression (``MLP((64, 10))``) learns ``n`` digits with mini-batch SGD,
    :math:`\theta = \theta - \eta \nabla_\theta J(\theta; x^{(i:i+b)}; y^{(i:i+b)})`,
    visiting the examples in the chosen order (see :func:`gdcourse.loops.sorted_order`
    and :func:`gdcourse.loops.curriculum`, with :func:`gdcourse.loops.centroid_difficulty`
    as the difficulty); a run that reshuffles every epoch is drawn in grey for
    reference. Left: each mini-batch's loss before its update. Right: how often the
    trained model predicts each class on held-out digits, against the true counts.
    """

    ORDERS = ("shuffled every epoch", "fixed (as stored)", "sorted by label", "curriculum, naive",
              "curriculum, mixed")

    def __init__(self, order="sorted by label", lr=0.5, epochs=3, batch_size=20, n=400, seed=0,
                 figsize=(10, 3.8)):
        if order not in self.ORDERS:
            raise ValueError(f"Invalid order: {order!r} (must be one of {', '.join(self.ORDERS)})")
        self.X, self.y, self.X_val, self.y_val = _digits_subsets(n, 300)
        self.model = nn.MLP((64, 10))
        self.batch_size, self.difficulty = batch_size, loops.centroid_difficulty(self.X, self.y)
        self.true_counts = np.bincount(self.y_val, minlength=10)
        self.histories, self._reference = {}, (None, None)
        controls = {
            "order": widgets.Dropdown(options=self.ORDERS, value=order, description="order", **_SLIDER_LAYOUT),
            "lr": lr_slider(lr, "η", lo=-2, hi=0.5),
            "epochs": widgets.IntSlider(value=epochs, min=1, max=4, description="epochs", **_SLIDER_LAYOUT),
            "seed": widgets.IntSlider(value=seed, min=0, max=9, description="seed", **_SLIDER_LAYOUT),
        }
        self.plot = None
        super().__init__(controls, self._draw, figsize=figsize, columns=2)

    def _order(self, order, epochs):
        if order == "shuffled every epoch":
            return "shuffle"
        if order == "fixed (as stored)":
            return "fixed"
        if order == "sorted by label":
            return loops.sorted_order(self.y)
        return loops.curriculum(self.difficulty, epochs, kind=order.split(", ")[1])

    def compute(self, order, lr, epochs, seed):
        """name -> History: the chosen order and, for reference, reshuffling every epoch."""
        fit = lambda o: loops.train(self.model, make("SGD", lr=lr), self.X, self.y, self.model.init(seed),
                                    epochs=epochs, batch_size=self.batch_size, seed=seed, order=o)
        key = (lr, epochs, seed)
        if self._reference[0] != key:  # the reference does not depend on the order: kept across orders
            self._reference = (key, fit("shuffle"))
        return {order: fit(self._order(order, epochs)), "shuffled every epoch (reference)": self._reference[1]}

    def _draw(self, fig, order, lr, epochs, seed):
        self.histories = self.compute(order, lr, epochs, seed)
        if self.plot is None:
            ax_b, ax_c = fig.subplots(1, 2, width_ratios=(1.4, 1))
            fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.9, wspace=0.22)
            ax_b.set_xlim(0, 4)
            ax_b.set_ylim(0, 4)
            ax_b.set_xlabel("epoch")
            ax_b.set_ylabel("mini-batch loss before its update")
            ax_b.set_title("the noisy curve: each mini-batch's loss")
            ax_b.grid(alpha=0.3)
            ax_c.set_xticks(range(10))
            ax_c.set_xlabel("class")
            ax_c.set_ylabel("held-out digits predicted as the class")
            ax_c.set_ylim(0, 2.5 * self.true_counts.max())
            ax_c.set_title("what the trained model predicts")
            ref = ax_b.plot([], [], color="0.65", lw=0.8, label="shuffled every epoch")[0]
            this = ax_b.plot([], [], color=plotting.color("order", 0), lw=0.9, label="chosen order")[0]
            bars = ax_c.bar(np.arange(10), np.zeros(10), color=plotting.color("order", 0), alpha=0.8,
                            label="chosen order")
            ref_counts = ax_c.plot(np.arange(10), np.zeros(10), "o", color="0.45", ms=5,
                                   label="shuffled every epoch")[0]
            ax_c.step(np.arange(11) - 0.5, np.r_[self.true_counts, self.true_counts[-1]], where="post",
                      color="black", lw=1.2, label="true counts")
            ax_c.legend(fontsize=8, loc="upper left")
            ax_b.legend(fontsize=8, loc="upper right")
            self.plot = {"ref": ref, "this": this, "bars": list(bars), "ref_counts": ref_counts}
        h, ref = self.histories[order], self.histories["shuffled every epoch (reference)"]
        per = -(-len(self.X) // self.batch_size)
        self.plot["this"].set_data(np.arange(len(h.batch_losses)) / per, h.batch_losses)
        self.plot["ref"].set_data(np.arange(len(ref.batch_losses)) / per, ref.batch_losses)
        counts = np.bincount(self.model.predict(h.theta, self.X_val), minlength=10)
        for bar, c in zip(self.plot["bars"], counts):
            bar.set_height(c)
        self.plot["ref_counts"].set_ydata(np.bincount(self.model.predict(ref.theta, self.X_val), minlength=10))
        acc = float(self.model.accuracy(h.theta, self.X_val, self.y_val))
        acc_ref = float(self.model.accuracy(ref.theta, self.X_val, self.y_val))
        return (f"held-out accuracy: <b>{order}</b> {acc:.1%} · shuffled every epoch {acc_ref:.1%} "
                f"({self.model.n_params} parameters, {len(self.X)} training digits, batch size {self.batch_size})")

    def dynamic(self):
        return [self.plot["ref"], self.plot["this"], *self.plot["bars"], self.plot["ref_counts"]]


def explore_orders(order="sorted by label", **kwargs):
    """One line in a chapter: an :class:`OrderExplorer` (the order of the digits, η, epochs, seed)."""
    return OrderExplorer(order=order, **kwargs)


class BatchNormExplorer(_Blit, Explorer):
    r"""A deep ReLU network with or without batch normalization: learning rate and initial weight scale.

    The network (``depth`` hidden layers of ``width`` units) learns ``n`` digits
    with mini-batch SGD (batch ``batch_size``, dividing ``n``, so that every batch
    gives statistics of the same size) from :meth:`gdcourse.nn.MLP.init` at the
    chosen scale. Left: the loss of each mini-batch. Right: the 10th, 50th and 90th
    percentiles of the last hidden layer's pre-activations (the input of its
    nonlinearity) on a fixed probe batch after every update. The run without
    batch normalization at the default values stays in grey for reference.
    """

    def __init__(self, batchnorm=True, lr=1.0, scale=1.0, depth=4, width=16, n=256, batch_size=32, epochs=4,
                 seed=0, figsize=(10, 3.8)):
        if n % batch_size:
            raise ValueError(f"Invalid batch_size: {batch_size!r} (must divide n = {n})")
        self.X, self.y, self.probe, _ = _digits_subsets(n, 64)
        self.width, self.batch_size, self.epochs, self.seed = width, batch_size, epochs, seed
        self.history, self.band = None, None
        controls = {
            "batchnorm": widgets.Checkbox(value=batchnorm, description="batch normalization", indent=False,
                                          layout=widgets.Layout(width="180px")),
            "lr": lr_slider(lr, "η", lo=-2, hi=1),
            "scale": widgets.FloatLogSlider(value=scale, base=10, min=-1, max=1, step=0.05,
                                            description="init scale", readout_format=".2g", **_SLIDER_LAYOUT),
            "depth": widgets.IntSlider(value=depth, min=1, max=6, description="hidden layers", **_SLIDER_LAYOUT),
        }
        self.plot = None
        self._reference = self.compute(False, lr, scale, depth)
        super().__init__(controls, self._draw, figsize=figsize, columns=4)

    def compute(self, batchnorm, lr, scale, depth):
        """(History, percentiles (3, updates + 1) of the last hidden layer's pre-activations on the probe batch)."""
        net = nn.MLP((64,) + (self.width,) * depth + (10,), "relu", batchnorm=batchnorm)
        h = loops.train(net, make("SGD", lr=lr), self.X, self.y, net.init(self.seed, scale=scale),
                        epochs=self.epochs, batch_size=self.batch_size, seed=self.seed, record_every=1)
        thetas = h.thetas if h.diverged_at < 0 else h.thetas[:h.diverged_at]
        u = net.preactivations(thetas, self.probe)[-1]
        return h, np.percentile(u.reshape(len(thetas), -1), [10, 50, 90], axis=1)

    def _draw(self, fig, batchnorm, lr, scale, depth):
        self.history, self.band = self.compute(batchnorm, lr, scale, depth)
        updates = self.epochs * len(self.X) // self.batch_size
        if self.plot is None:
            ax_l, ax_u = fig.subplots(1, 2)
            fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.9, wspace=0.25)
            ax_l.set_xlim(0, updates)
            ax_l.set_ylim(0, 4)
            ax_l.set_xlabel("update")
            ax_l.set_ylabel("mini-batch loss")
            ax_l.set_title("training")
            ax_l.axhline(np.log(10), color="0.6", ls=":", lw=1)
            ax_l.text(updates, np.log(10), "chance (ln 10) ", ha="right", va="bottom", fontsize=8, color="0.4")
            ax_u.set_xlim(0, updates)
            ax_u.set_yscale("symlog", linthresh=1.0)
            ax_u.set_ylim(-1e3, 1e3)
            ax_u.set_xlabel("update")
            ax_u.set_ylabel("pre-activation (symlog scale)")
            ax_u.set_title("last hidden layer: 10th, 50th, 90th percentiles")
            for ax in (ax_l, ax_u):
                ax.grid(alpha=0.3)
            ref_h, ref_band = self._reference
            ax_l.plot(np.arange(1, len(ref_h.batch_losses) + 1), ref_h.batch_losses, color="0.7", lw=1.0,
                      label="without BN, default values")
            for k in range(3):
                ax_u.plot(np.arange(ref_band.shape[1]), ref_band[k], color="0.7", lw=1.4 if k == 1 else 0.8,
                          ls="-" if k == 1 else "--", label="without BN, default values" if k == 1 else None)
            c = plotting.color("this run", 0)
            loss = ax_l.plot([], [], color=c, lw=1.2, label="this run")[0]
            pct = [ax_u.plot([], [], color=c, lw=1.6 if k == 1 else 0.9, ls="-" if k == 1 else "--",
                             label="this run" if k == 1 else None)[0] for k in range(3)]
            ax_l.legend(fontsize=8, loc="upper right")
            ax_u.legend(fontsize=8, loc="upper right")
            self.plot = (loss, pct)
        loss, pct = self.plot
        h, band = self.history, self.band
        loss.set_data(np.arange(1, len(h.batch_losses) + 1), h.batch_losses)
        for k in range(3):
            pct[k].set_data(np.arange(band.shape[1]), band[k])
        return f"<b>{'with' if batchnorm else 'without'} batch normalization</b>: {h.describe()}"

    def dynamic(self):
        loss, pct = self.plot
        return [loss, *pct]


def explore_batchnorm(batchnorm=True, lr=1.0, scale=1.0, **kwargs):
    """One line in a chapter: a :class:`BatchNormExplorer` (batch normalization on/off, η, initial scale, depth)."""
    return BatchNormExplorer(batchnorm=batchnorm, lr=lr, scale=scale, **kwargs)


class EarlyStoppingExplorer(_Blit, Explorer):
    r"""Early stopping with patience ``p`` on one run: where it stops and what it keeps.

    An ``MLP((30, hidden, 2))`` learns ``n`` tumours of the breast cancer data with
    Adam at the chosen :math:`\eta` for ``epochs`` epochs (batches of ``batch_size``),
    with the validation loss after every epoch.
    Early stopping never changes the updates, only where they end
    (:func:`gdcourse.loops.patience_stop`), so each :math:`\eta` is trained once
    (cached) and the patience slider only moves the stop. The part of the curves
    after the stop, which early stopping never computes, is drawn faint.
    """

    def __init__(self, patience=5, lr=0.001, lrs=(0.0003, 0.001, 0.003, 0.01), n=150, hidden=64, epochs=40,
                 batch_size=5, seed=0, figsize=(10, 3.8)):
        if lr not in lrs:
            raise ValueError(f"Invalid lr: {lr!r} (must be one of {lrs})")
        d = datasets.breast_cancer()
        rest, test = d.split(0.3, seed=0)
        tr, va = rest.split(0.3, seed=1)
        self.X, self.y, self.val, self.test = tr.X[:n], tr.y[:n], (va.X, va.y), (test.X, test.y)
        self.net = nn.MLP((d.X.shape[1], hidden, 2))
        self.epochs, self.batch_size, self.seed = epochs, batch_size, seed
        self._runs = {}
        controls = {
            "patience": widgets.IntSlider(value=patience, min=1, max=30, description="patience p",
                                          **_SLIDER_LAYOUT),
            "lr": widgets.SelectionSlider(options=list(lrs), value=lr, description="η (Adam)",
                                          **_SLIDER_LAYOUT),
        }
        self.plot = None
        super().__init__(controls, self._draw, figsize=figsize, columns=2)

    def run(self, lr):
        """The full run at ``lr`` (trained once, then cached): a History with ``val_losses``."""
        if lr not in self._runs:
            self._runs[lr] = loops.train(self.net, make("Adam", lr=lr), self.X, self.y, self.net.init(self.seed),
                                         epochs=self.epochs, batch_size=self.batch_size, seed=self.seed,
                                         val=self.val, record_every=-(-len(self.X) // self.batch_size))
        return self._runs[lr]

    def _draw(self, fig, patience, lr):
        h = self.run(lr)
        stopped_at, best = loops.patience_stop(h.val_losses, patience)
        end = len(h.val_losses) - 1 if stopped_at < 0 else stopped_at
        if self.plot is None:
            ax = fig.add_subplot()
            fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.9)
            ax.set_yscale("log")
            ax.set_xlim(0, self.epochs)
            ax.set_ylim(2e-3, 1.5)
            ax.set_xlabel("epoch")
            ax.set_ylabel("loss")
            ax.set_title(f"breast cancer: {len(self.X)} training tumours, {self.net.n_params} parameters")
            ax.grid(alpha=0.3)
            c_tr, c_va = plotting.color("train", 0), plotting.color("val", 1)
            self.plot = {
                "train": ax.plot([], [], color=c_tr, lw=1.6, label="training loss")[0],
                "train_after": ax.plot([], [], color=c_tr, lw=1.0, alpha=0.3)[0],
                "val": ax.plot([], [], color=c_va, lw=1.6, label="validation loss")[0],
                "val_after": ax.plot([], [], color=c_va, lw=1.0, alpha=0.3)[0],
                "best": ax.plot([], [], "*", color="gold", mec="black", ms=14, label="best epoch (restored)")[0],
                "stop": ax.axvline(0, color="black", ls="--", lw=1.2, label="stop"),
            }
            ax.legend(fontsize=8, loc="lower left")
        e = np.arange(len(h.val_losses))
        p = self.plot
        p["train"].set_data(e[:end + 1], h.epoch_losses[:end + 1])
        p["train_after"].set_data(e[end:], h.epoch_losses[end:])
        p["val"].set_data(e[:end + 1], h.val_losses[:end + 1])
        p["val_after"].set_data(e[end:], h.val_losses[end:])
        p["best"].set_data([best], [h.val_losses[best]])
        p["stop"].set_xdata([end, end])
        test_best = self.net.loss(h.thetas[best], *self.test)
        test_last = self.net.loss(h.thetas[-1], *self.test)
        stop = f"stops after epoch {stopped_at}" if stopped_at >= 0 else f"never stops in {self.epochs} epochs"
        return (f"p = {patience}: {stop}, keeps epoch {best} (validation loss {h.val_losses[best]:.4f}); "
                f"test loss {test_best:.4f} with it, {test_last:.4f} after all {self.epochs} epochs")

    def dynamic(self):
        return list(self.plot.values())


def explore_early_stopping(patience=5, lr=0.001, **kwargs):
    """One line in a chapter: an :class:`EarlyStoppingExplorer` (patience and η)."""
    return EarlyStoppingExplorer(patience=patience, lr=lr, **kwargs)


class NoiseExplorer(_Blit, Explorer):
    r"""Annealed gradient noise on a test function: many noisy runs from one start.

    SGD with :math:`g_{t} + N(0, \sigma_t^2)`, :math:`\sigma_t^2 = \eta_{noise} / (1 + t)^\gamma`
    (:class:`gdcourse.loops.GradientNoise`), ``runs`` times with different noise
    from the objective's start point, and once without noise (thick line). Right:
    the schedule :math:`\sigma_t^2` against the paper's three :math:`\eta` at
    :math:`\gamma = 0.55`.
    """

    def __init__(self, objective="styblinski-tang", eta=1.0, gamma=0.55, lr=0.01, steps=300, runs=16,
                 seed=0, figsize=(10, 4.0)):
        self.objective = objs.get(objective)
        self.steps, self.n_runs, self.seed = steps, runs, seed
        self.runs = {}
        controls = {
            "eta": widgets.FloatLogSlider(value=eta, base=10, min=-3, max=4, step=0.1, description="noise η",
                                          readout_format=".2g", **_SLIDER_LAYOUT),
            "gamma": unit_slider(gamma, "γ", lo=0.0, hi=1.0, step=0.01),
            "lr": lr_slider(lr, "step size", lo=-3, hi=-1),
        }
        self.plot = None
        super().__init__(controls, self._draw, figsize=figsize, columns=3)

    def compute(self, eta, gamma, lr):
        """"noise-free" and "noisy" :class:`gdcourse.run.Trajectory` (the noisy one a grid of ``runs``)."""
        obj = self.objective
        start = np.broadcast_to(np.asarray(obj.start, dtype=np.float64), (self.n_runs, 2)).copy()
        noise = loops.GradientNoise(eta, gamma, seed=self.seed)
        return {"noise-free": run(make("SGD", lr=lr), obj, np.asarray(obj.start, dtype=np.float64), self.steps),
                "noisy": run(make("SGD", lr=lr), obj, start, self.steps, grad_fn=lambda th: noise(obj.grad(th)))}

    def _draw(self, fig, eta, gamma, lr):
        self.runs = self.compute(eta, gamma, lr)
        t = np.arange(self.steps)
        if self.plot is None:
            ax_p, ax_s = fig.subplots(1, 2, width_ratios=(1.15, 1))
            fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.9, wspace=0.25)
            plotting.contours(ax_p, self.objective)
            ax_p.set_title(f"{self.objective.name}: {self.n_runs} noisy runs, one without noise")
            for k, e in enumerate((0.01, 0.3, 1.0)):
                ax_s.plot(t + 1, e / (1 + t) ** 0.55, color="0.6", lw=0.9, ls=":")
                ax_s.text(self.steps, e / self.steps ** 0.55, f" η={e}", fontsize=7, color="0.4", va="center")
            ax_s.set_xscale("log")
            ax_s.set_yscale("log")
            ax_s.set_xlim(1, self.steps * 1.6)
            ax_s.set_ylim(1e-5, 1e4)
            ax_s.set_xlabel("step t + 1")
            ax_s.set_ylabel("σₜ²")
            ax_s.set_title("the variance of the noise (dotted: the paper's η, γ = 0.55)")
            ax_s.grid(alpha=0.3)
            c = plotting.color("SGD")
            noisy = [ax_p.plot([], [], color=plotting.color("noise", 0), lw=0.7, alpha=0.6)[0]
                     for _ in range(self.n_runs)]
            ends = ax_p.plot([], [], "o", color=plotting.color("noise", 0), ms=4, mec="white", zorder=6)[0]
            clean = ax_p.plot([], [], color=c, lw=2.2, zorder=5)[0]
            sched = ax_s.plot([], [], color=plotting.color("noise", 0), lw=1.8)[0]
            self.plot = {"noisy": noisy, "ends": ends, "clean": clean, "sched": sched}
        noisy, clean = self.runs["noisy"], self.runs["noise-free"]
        for k, line in enumerate(self.plot["noisy"]):
            line.set_data(noisy.thetas[:, k, 0], noisy.thetas[:, k, 1])
        final = noisy.final
        self.plot["ends"].set_data(final[:, 0], final[:, 1])
        self.plot["clean"].set_data(clean.thetas[:, 0], clean.thetas[:, 1])
        self.plot["sched"].set_data(t + 1, eta / (1 + t) ** gamma)
        best = self.objective.minima[0]
        hit = int(np.sum(np.all(np.abs(final - best) < 0.5, axis=-1)))
        clean_hit = bool(np.all(np.abs(clean.final - best) < 0.5))
        return (f"{hit} of {self.n_runs} noisy runs end in the global minimum; the noise-free run "
                f"{'does' if clean_hit else 'does not'} · σ₀ = {np.sqrt(eta):.3g} against a gradient of size "
                f"{np.linalg.norm(self.objective.grad(np.asarray(self.objective.start))):.3g} at the start")

    def dynamic(self):
        return [*self.plot["noisy"], self.plot["ends"], self.plot["clean"], self.plot["sched"]]


def explore_gradient_noise(eta=1.0, gamma=0.55, **kwargs):
    """One line in a chapter: a :class:`NoiseExplorer` (η and γ of the noise, the step size)."""
    return NoiseExplorer(eta=eta, gamma=gamma, **kwargs)


# --- Which optimizer to use: the comparison's learning-rate curves ------------------------

__all__ += ["ComparisonExplorer", "explore_comparison"]


class ComparisonExplorer(Explorer):
    r"""The excess final loss against the learning rate on one problem of a comparison.

    ``result`` is a :class:`gdcourse.compare.Comparison`; nothing is run again: the
    problem menu, the rule checkboxes and the factor :math:`F` of the robustness only
    choose what is drawn. For each rule: the curve :math:`e(\eta)`, a dot at its best
    :math:`\eta^*`, a diamond at its default, and a bar under the curve over the
    learning rates within :math:`F` of its best (the robustness, in decades).
    """

    def __init__(self, result, problem=None, rules=None, factor=None, figsize=(10, 4.2)):
        self.result = result
        names = result.names
        problem = names[0] if problem is None else problem
        if problem not in names:
            raise ValueError(f"Invalid problem: {problem!r} (must be one of {', '.join(names)})")
        shown = set(result.rules if rules is None else rules)
        controls = {"problem": widgets.Dropdown(options=names, value=problem, description="problem",
                                                **_SLIDER_LAYOUT),
                    "factor": widgets.SelectionSlider(options=[1.1, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0, 100.0],
                                                      value=float(factor or result.factor), description="within ×",
                                                      continuous_update=True, **_SLIDER_LAYOUT)}
        for r in result.rules:
            controls[f"show_{r}"] = widgets.Checkbox(value=r in shown, description=r, indent=False,
                                                     layout=widgets.Layout(width="110px"))
        self.plot = None
        super().__init__(controls, self._draw, figsize=figsize, columns=6)

    def _draw(self, fig, problem, factor, **shown):
        res = self.result
        if self.plot is None:
            fig.subplots_adjust(left=0.08, right=0.8)
            ax = fig.add_subplot()
            arts = {}
            for r in res.rules:
                c = plotting.color(r)
                arts[r] = (ax.plot([], [], "-", color=c, lw=1.5, label=r)[0],
                           ax.plot([], [], "o", color=c, ms=5)[0],
                           ax.plot([], [], "D", color=c, ms=5, mec="black", mew=0.6)[0],
                           ax.plot([], [], "-", color=c, lw=5, alpha=0.45, solid_capstyle="butt")[0])
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("η (Adadelta: √ε)")
            ax.set_ylabel("excess final loss e(η)")
            ax.grid(alpha=0.3)
            ax.legend(handles=[a[0] for a in arts.values()], loc="upper left", bbox_to_anchor=(1.01, 1),
                      fontsize=8, title="● best η  ◆ default", title_fontsize=8)
            self.plot = (ax, arts)
        ax, arts = self.plot
        j = res.index(problem=problem)
        score, idx = res.score()[:, j], res.best_index()[:, j]
        good = res.good(factor)[:, j]
        lows, highs, lines = [], [], []
        for i, r in enumerate(res.rules):
            on = shown[f"show_{r}"]
            curve, best, default, band = arts[r]
            for a in arts[r]:
                a.set_visible(on)
            if not on:
                continue
            y = np.where(np.isfinite(score[i, :-1]), score[i, :-1], np.nan)
            curve.set_data(res.lrs, y)
            best.set_data([res.lrs[idx[i]]], [score[i, idx[i]]])
            d = RULES[r].defaults["lr"] if "lr" in RULES[r].defaults else np.sqrt(RULES[r].defaults["eps"])
            default.set_data([d], [score[i, -1]] if np.isfinite(score[i, -1]) else [np.nan])
            lo, hi = _run_around(good[i], idx[i])
            half = np.sqrt(res.lrs[1] / res.lrs[0]) if len(res.lrs) > 1 else 1.0
            level = score[i, idx[i]] / 1.6 ** (1 + i % 5)
            band.set_data([res.lrs[lo] / half, res.lrs[hi] * half] if lo >= 0 else [], [level, level] if lo >= 0 else [])
            finite = y[np.isfinite(y)]
            if finite.size:
                lows.append(min(finite.min(), level))
                highs.append(finite.max())
            lines.append(f"{r} {(hi - lo + 1) * res.decades if lo >= 0 else 0:.2f}")
        half = np.sqrt(res.lrs[1] / res.lrs[0]) if len(res.lrs) > 1 else 2.0
        ax.set_xlim(res.lrs[0] / half, res.lrs[-1] * half)
        if lows:
            ax.set_ylim(min(lows) / 2, max(highs) * 2)
        ax.set_title(res.problems[j].description, fontsize=10)
        return f"decades within ×{factor:g} of each rule's best: " + " · ".join(lines)

    def render(self):
        """Blit: the axes of each (problem, limits) are drawn once and kept; then only the lines."""
        ax, arts = self.plot
        dynamic = [a for group in arts.values() for a in group]
        key = (ax.get_title(), ax.get_xlim(), ax.get_ylim())
        backgrounds = self.__dict__.setdefault("_backgrounds", {})
        if key not in backgrounds:
            shown = [a.get_visible() for a in dynamic]
            for a in dynamic:
                a.set_visible(False)
            self.canvas.draw()
            backgrounds[key] = self.canvas.copy_from_bbox(self.fig.bbox)
            for a, v in zip(dynamic, shown):
                a.set_visible(v)
        self.canvas.restore_region(backgrounds[key])
        renderer = self.canvas.get_renderer()
        for a in dynamic:
            a.draw(renderer)
        return _png(self.canvas)


def _run_around(good, b):
    """The contiguous run ``(lo, hi)`` of True entries of ``good`` around index ``b``; (-1, -1) if ``good[b]`` is False."""
    if not good[b]:
        return -1, -1
    lo, hi = b, b
    while lo > 0 and good[lo - 1]:
        lo -= 1
    while hi < len(good) - 1 and good[hi + 1]:
        hi += 1
    return lo, hi


def explore_comparison(result, problem=None, **kwargs):
    """One line in a chapter: a :class:`ComparisonExplorer` over a :func:`gdcourse.compare.sweep` result."""
    return ComparisonExplorer(result, problem=problem, **kwargs)
