"""Figures: contours with trajectories, loss curves, one colour per rule everywhere.

Functions draw on axes they are given (or make a figure) and return what they
drew; a diverged run is drawn up to its last finite step and labelled
"diverged at step k", never an exception or a blank panel.
"""
from __future__ import annotations

import zlib
from functools import lru_cache

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

__all__ = ["PALETTE", "style", "styles", "color", "label", "contours", "plot_paths", "plot_losses", "PathPlot", "path_figure",
           "plot_history", "plot_batch_losses", "HistoryPlot", "plot_curves"]

def _show_figures_in_ipython():
    """Let a Figure returned by a notebook cell show as a PNG.

    The figures here are made without pyplot (so nothing is drawn twice), and IPython
    registers its Figure formatter only once pyplot's inline backend is activated.
    """
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import select_figure_formats
    except ImportError:  # pragma: no cover - IPython ships with the course's requirements
        return
    shell = get_ipython()
    if shell is not None:
        select_figure_formats(shell, {"png"})


_show_figures_in_ipython()

#: One colour per rule, the same in every chapter. Chosen so that every two of them (and of
#: :data:`_EXTRA`) stay at least CIE76 ΔE = 10 apart as readers with deuteranopia or protanopia see
#: them (Machado et al. 2009, severity 1), and at least 3:1 in contrast against the white page;
#: tests/test_plotting.py computes both. The hues are the ones the chapters name (SGD red,
#: Momentum blue, NAG green, Adagrad purple, RMSprop brown).
PALETTE = {
    "SGD": "#b10404",
    "Momentum": "#2d7afc",
    "NAG": "#5a9f6c",
    "Adagrad": "#5d4990",
    "Adadelta": "#d28016",
    "RMSprop": "#6d2618",
    "Adam": "#f655b8",
    "AdaMax": "#797e7b",
    "Nadam": "#a99348",
    "AMSGrad": "#1a8a9f",
    "AdamW": "#126444",
}
#: Colours for series that are not rules (other labels), as far from each other and from the rules.
_EXTRA = ("#283837", "#806e37", "#3f97eb", "#3242d6", "#1a59c1", "#0c325a", "#4b1f89", "#285b69")

#: Dash patterns in units of the line width (matplotlib scales them by it; Vega-Lite gets pixels).
_DASHES = {"solid": (), "dashed": (4.0, 2.0), "dotted": (1.0, 1.6), "dashdot": (4.0, 1.6, 1.0, 1.6),
           "long": (8.0, 2.5), "dashdotdot": (4.0, 1.5, 1.0, 1.5, 1.0, 1.5)}
#: Matplotlib marker -> Vega-Lite point shape (SVG paths in the unit square where Vega has no name).
_SHAPES = {"o": "circle", "s": "square", "^": "triangle-up", "D": "diamond", "v": "triangle-down",
           "P": "cross", ">": "triangle-right", "<": "triangle-left",
           "X": "M-1,-0.6L-0.6,-1L0,-0.4L0.6,-1L1,-0.6L0.4,0L1,0.6L0.6,1L0,0.4L-0.6,1L-1,0.6L-0.4,0Z",
           "*": "M0,-1L0.24,-0.32L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12L-0.95,-0.31L-0.24,-0.32Z",
           "h": "M0,-1L0.87,-0.5L0.87,0.5L0,1L-0.87,0.5L-0.87,-0.5Z",
           "d": "M0,-1L0.6,0L0,1L-0.6,0Z"}
#: Each rule's line style and marker: no two rules share both, so colour is never the only cue.
_RULE_LINES = {
    "SGD": ("solid", "o"), "Momentum": ("dashed", "s"), "NAG": ("dashdot", "^"), "Adagrad": ("dotted", "D"),
    "Adadelta": ("long", "v"), "RMSprop": ("dashdotdot", "P"), "Adam": ("solid", "X"),
    "AdaMax": ("dashed", "*"), "Nadam": ("dotted", "h"), "AMSGrad": ("dashdot", ">"), "AdamW": ("long", "<"),
}
_EXTRA_LINES = tuple(_DASHES)
_EXTRA_MARKERS = ("o", "s", "^", "D", "v", "d")


def _make_style(c, dash, marker):
    pattern = _DASHES[dash]
    return {"color": c, "linestyle": (0, pattern) if pattern else "-", "marker": marker,
            # Vega-Lite's default line is 2 px wide: the same pattern in pixels.
            "dash": [round(2 * x, 1) for x in pattern], "shape": _SHAPES[marker]}


def _hashed(name, k=0):
    """The k-th style of the pool for a label that is not a rule: deterministic in ``name``."""
    h = zlib.crc32(name.encode("utf-8")) + k
    n_c, n_l = len(_EXTRA), len(_EXTRA_LINES)
    return _make_style(_EXTRA[h % n_c], _EXTRA_LINES[(h // n_c) % n_l],
                       _EXTRA_MARKERS[(h // (n_c * n_l)) % len(_EXTRA_MARKERS)])


def style(name):
    """How series ``name`` is drawn everywhere: ``{color, linestyle, marker, dash, shape}``.

    Keyed on the exact name: the ten rules of the text and AdamW have their own colour
    (:data:`PALETTE`), line style and marker; any other name ("RMSprop (mine)" too) gets a
    style of its own from a pool, the same for the same name in every figure and chapter.
    ``linestyle`` and ``marker`` are matplotlib's; ``dash`` is the same line style as a
    Vega-Lite ``strokeDash`` list (pixels, ``[]`` for solid) and ``shape`` the marker as a
    Vega-Lite point shape.
    """
    if not isinstance(name, str):
        raise ValueError(f"Invalid name: {name!r} (must be a string)")
    if name in _RULE_LINES:
        dash, marker = _RULE_LINES[name]
        return _make_style(PALETTE[name], dash, marker)
    return _hashed(name)


def styles(names):
    """:func:`style` of each name, for series that share a figure: name -> style.

    Two names outside the rules that would look alike (same colour, or same line
    style and marker) are moved apart deterministically, so every series in one
    figure is told apart by colour and by line style or marker.
    """
    names = list(names)
    out = {n: style(n) for n in names if n in _RULE_LINES}
    seen_c = {s["color"] for s in out.values()}
    seen_lm = {(str(s["linestyle"]), s["marker"]) for s in out.values()}
    for name in names:
        if name in out:
            continue
        s, k = style(name), 0
        while (s["color"] in seen_c or (str(s["linestyle"]), s["marker"]) in seen_lm) and k < 400:
            k += 1
            s = _hashed(name, k)
        out[name] = s
        seen_c.add(s["color"])
        seen_lm.add((str(s["linestyle"]), s["marker"]))
    return {n: out[n] for n in names}


def color(name, i=None):
    """The colour of series ``name`` (:func:`style`); ``i`` picks the ``i``-th extra colour for other names."""
    if name in PALETTE or i is None:
        return style(name)["color"]
    return _EXTRA[i % len(_EXTRA)]


def label(name, traj):
    """Legend text for a run: its name, and where it diverged if it did."""
    return f"{name} (diverged at step {traj.diverged_at})" if traj.diverged_at >= 0 else name


@lru_cache(maxsize=16)
def _grid(objective, n):
    (x0, x1), (y0, y1) = objective.window
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    Z = objective.value(np.stack([X, Y], axis=-1))
    return X, Y, Z


def contours(ax, objective, levels=25, n=160):
    """Filled-line contours of ``objective`` over its window, minima starred."""
    X, Y, Z = _grid(objective, n)
    lo = objective.min_value
    if np.isfinite(lo):
        # Log-spaced levels of J - J* show the valley floor and the walls alike.
        gap = Z - lo
        lv = np.geomspace(max(np.percentile(gap, 0.5), 1e-3), gap.max(), levels)
        cs = ax.contour(X, Y, gap, levels=lv, norm=LogNorm(), cmap="Greys_r", linewidths=0.7, alpha=0.8)
    else:
        cs = ax.contour(X, Y, Z, levels=levels, cmap="Greys_r", linewidths=0.7, alpha=0.8)
    m = objective.minima
    if len(m):
        ax.plot(m[:, 0], m[:, 1], "*", color="gold", mec="black", ms=13, zorder=5)
    (x0, x1), (y0, y1) = objective.window
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("θ₁")
    ax.set_ylabel("θ₂")
    return cs


def plot_paths(ax, runs, markers=True):
    """Draw each run's path :math:`\\theta_0, \\theta_1, \\dots` (``runs``: label -> Trajectory)."""
    lines = []
    for i, (name, traj) in enumerate(runs.items()):
        path = traj.thetas[: traj.last_index + 1]
        (line,) = ax.plot(path[:, 0], path[:, 1], "-", marker="o" if markers else None, ms=2.5,
                          lw=1.6, color=color(name, i), label=label(name, traj), zorder=4)
        ax.plot(path[:1, 0], path[:1, 1], "o", color="black", ms=5, zorder=6)
        if traj.diverged_at >= 0:
            ax.plot(path[-1:, 0], path[-1:, 1], "x", color=color(name, i), ms=10, mew=2.5, zorder=6)
        lines.append(line)
    return lines


def _loss_curve(traj, min_value):
    loss = traj.losses[: traj.last_index + 1]
    return loss if min_value is None else np.maximum(loss - min_value, 1e-16)


def _loss_axes(ax, min_value, xlabel):
    if min_value is not None:
        ax.set_yscale("log")
        # Plain "1e-05" labels: mathtext tick labels would be re-parsed on every redraw.
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("J(θₜ) − J*")
    else:
        ax.set_ylabel("J(θₜ)")
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.3)


def plot_losses(ax, runs, min_value=None, xlabel="step"):
    r"""Loss against step for each run; on a log scale of :math:`J - J^*` when ``min_value`` is given."""
    for i, (name, traj) in enumerate(runs.items()):
        loss = _loss_curve(traj, min_value)
        ax.plot(np.arange(len(loss)), loss, color=color(name, i), lw=1.6, label=label(name, traj))
    _loss_axes(ax, min_value, xlabel)


class PathPlot:
    """Contours with paths (left) and loss curves (right) for a fixed set of names.

    The artists are made once and :meth:`update` moves their data, so redrawing
    for new runs costs no new axes, ticks or contours: this is what keeps the
    explorers instant.
    """

    def __init__(self, fig, objective, names, title=None):
        self.objective = objective
        self.ax_path, self.ax_loss = fig.subplots(1, 2, width_ratios=(1.15, 1))
        contours(self.ax_path, objective)
        self.ax_path.set_title(title or objective.name)
        lo = objective.min_value
        self.min_value = lo if np.isfinite(lo) else None
        _loss_axes(self.ax_loss, self.min_value, "step")
        self.artists = {}
        for i, name in enumerate(names):
            c = color(name, i)
            self.artists[name] = (
                self.ax_path.plot([], [], "-", marker="o", ms=2.5, lw=1.6, color=c, zorder=4)[0],
                self.ax_path.plot([], [], "o", color="black", ms=5, zorder=6)[0],
                self.ax_path.plot([], [], "x", color=c, ms=10, mew=2.5, zorder=6)[0],
                self.ax_loss.plot([], [], color=c, lw=1.6)[0],
            )
        self._legend = None

    @property
    def path_artists(self):
        """The artists of the left panel that :meth:`update` changes."""
        return [a for arts in self.artists.values() for a in arts[:3]]

    def update(self, runs, limits_from=None, decades=False):
        """Show ``runs`` (name -> Trajectory); names without a run are hidden.

        ``limits_from`` (name -> Trajectory, default ``runs``) sets the loss panel's
        limits: an explorer that plays the first steps of runs passes the full runs,
        so that the axes stay put while the curves grow. ``decades=True`` rounds a
        log-scale loss panel's limits out to whole powers of ten, so that small
        changes of the runs leave the axes as they are (an explorer then redraws
        only the curves, not the ticks).
        """
        shown, lows, highs, steps = [], [], [], 1
        for name, (path, start, cross, loss) in self.artists.items():
            traj = runs.get(name)
            for a in (path, start, cross, loss):
                a.set_visible(traj is not None)
            if traj is None:
                continue
            xy = traj.thetas[: traj.last_index + 1]
            path.set_data(xy[:, 0], xy[:, 1])
            start.set_data(xy[:1, 0], xy[:1, 1])
            cross.set_data(xy[-1:, 0], xy[-1:, 1])
            cross.set_visible(traj.diverged_at >= 0)
            curve = _loss_curve(traj, self.min_value)
            loss.set_data(np.arange(len(curve)), curve)
            loss.set_label(label(name, traj))
            shown.append(loss)
            extent = traj if limits_from is None else limits_from.get(name, traj)
            if extent is not traj:
                curve = _loss_curve(extent, self.min_value)
            lows.append(np.min(curve))
            highs.append(np.max(curve))
            steps = max(steps, len(extent.losses) - 1)
        self.ax_loss.set_xlim(0, steps)
        if shown:
            lo, hi = min(lows), max(highs)
            if self.min_value is not None:
                lo, hi = lo / 3, hi * 3
                if decades:
                    lo, hi = 10.0 ** np.floor(np.log10(lo)), 10.0 ** np.ceil(np.log10(hi))
                self.ax_loss.set_ylim(lo, hi)
            else:
                pad = 0.05 * (hi - lo) or 1.0
                self.ax_loss.set_ylim(lo - pad, hi + pad)
        labels = [a.get_label() for a in shown]
        if self._legend is None or labels != [t.get_text() for t in self._legend.get_texts()]:
            if self._legend is not None:
                self._legend.remove()
            # A fixed place: "best" searches every curve's points on each redraw of an explorer.
            self._legend = self.ax_loss.legend(handles=shown, fontsize=8, loc="upper right") if shown else None
        return self


def path_figure(objective, runs, title=None, figsize=(10, 4.2)):
    """Contours with the paths on the left, the loss curves on the right; returns the Figure."""
    fig = Figure(figsize=figsize, layout="constrained")
    PathPlot(fig, objective, list(runs), title).update(runs)
    return fig


# --- Training histories: batch, stochastic and mini-batch gradient descent ---------------


def _history_label(name, hist):
    return f"{name} (diverged at update {hist.diverged_at})" if hist.diverged_at >= 0 else name


def plot_history(ax, histories, x="epoch", min_value=None):
    r"""Full-data loss of each training run against epochs or wall-clock seconds.

    Parameters
    ----------
    histories : dict
        label -> :class:`gdcourse.loops.History`.
    x : {"epoch", "time"}
        Plot against the epoch number or against ``History.epoch_times`` (seconds of updating).
    min_value : float, optional
        :math:`J^*`; given, the curves show :math:`J(\theta) - J^*` on a log scale.
    """
    if x not in ("epoch", "time"):
        raise ValueError(f"Invalid x: {x!r} (must be 'epoch' or 'time')")
    lines = []
    for i, (name, hist) in enumerate(histories.items()):
        loss = np.asarray(hist.epoch_losses, dtype=np.float64)
        if min_value is not None:
            loss = np.maximum(loss - min_value, 1e-16)
        xs = np.arange(len(loss)) if x == "epoch" else np.asarray(hist.epoch_times)
        lines += ax.plot(xs, loss, "-", marker="o" if len(loss) <= 30 else None, ms=3, lw=1.6,
                         color=color(name, i), label=_history_label(name, hist))
    _loss_axes(ax, min_value, "epoch" if x == "epoch" else "wall-clock seconds of updates")
    if min_value is not None:
        ax.set_ylabel("J(θ) − J*  (whole training set)")
    else:
        ax.set_ylabel("J(θ)  (whole training set)")
    return lines


def plot_batch_losses(ax, histories, per_epoch=False, lw=0.8):
    r"""The loss of each mini-batch just before its update (``History.batch_losses``): the text's Image 1.

    With ``per_epoch=True`` the x axis counts epochs (update / updates per epoch), so
    runs with different batch sizes share one axis; otherwise it counts updates.
    """
    lines = []
    for i, (name, hist) in enumerate(histories.items()):
        bl = np.asarray(hist.batch_losses, dtype=np.float64)
        # Update t's loss is measured before it, at epoch (t - 1) / updates per epoch.
        xs = np.arange(len(bl)) / max(hist.updates_per_epoch, 1) if per_epoch else np.arange(1, len(bl) + 1)
        lines += ax.plot(xs, bl, "-", lw=lw, color=color(name, i), label=_history_label(name, hist))
    ax.set_xlabel("epoch" if per_epoch else "update t")
    ax.set_ylabel("loss of the mini-batch before its update")
    ax.grid(alpha=0.3)
    return lines


class HistoryPlot:
    """Full-data loss against epochs (left) and the loss of each mini-batch against epochs (right).

    Like :class:`PathPlot`, the artists are made once and :meth:`update` moves
    their data. Given ``epochs``, ``ylim`` and ``batch_ylim`` the axes keep those
    limits, so an explorer can draw the axes once and redraw only the curves.

    Parameters
    ----------
    names : sequence of str
        The runs the plot can show, in legend order.
    min_value : float, optional
        :math:`J^*`; given, the left panel shows :math:`J(\\theta) - J^*` on a log scale.
    epochs : int, optional
        Fixed x range ``[0, epochs]`` of both panels.
    ylim, batch_ylim : tuple, optional
        Fixed y ranges of the left and right panels.
    """

    def __init__(self, fig, names, min_value=None, epochs=None, ylim=None, batch_ylim=None):
        self.min_value, self.epochs, self.ylim, self.batch_ylim = min_value, epochs, ylim, batch_ylim
        self.ax_epoch, self.ax_batch = fig.subplots(1, 2)
        _loss_axes(self.ax_epoch, min_value, "epoch")
        self.ax_epoch.set_title("loss on all the data after each epoch")
        self.ax_batch.set_xlabel("epoch")
        self.ax_batch.set_ylabel("mini-batch loss")
        self.ax_batch.set_title("each mini-batch's loss before its update")
        self.ax_batch.grid(alpha=0.3)
        if epochs is not None:
            self.ax_epoch.set_xlim(0, epochs)
            self.ax_batch.set_xlim(0, epochs)
        if ylim is not None:
            self.ax_epoch.set_ylim(*ylim)
        if batch_ylim is not None:
            self.ax_batch.set_ylim(*batch_ylim)
        self.artists = {}
        for i, name in enumerate(names):
            c = color(name, i)
            self.artists[name] = (self.ax_epoch.plot([], [], "-", marker="o", ms=3, lw=1.6, color=c)[0],
                                  self.ax_batch.plot([], [], "-", lw=0.8, color=c)[0])
        self.legend = None

    @property
    def dynamic_artists(self):
        """What :meth:`update` changes: the curves and the legend."""
        return [a for pair in self.artists.values() for a in pair] + ([self.legend] if self.legend else [])

    def update(self, histories, updates_per_epoch=None):
        """Show ``histories`` (name -> History); names without one are hidden.

        ``updates_per_epoch`` (name -> int) places a run's mini-batch losses on the
        epoch axis; by default ``History.updates_per_epoch`` (exact unless the run diverged).
        """
        shown, lows, highs, epochs, top = [], [], [], 1, 0.0
        for name, (epoch_line, batch_line) in self.artists.items():
            hist = histories.get(name)
            epoch_line.set_visible(hist is not None)
            batch_line.set_visible(hist is not None)
            if hist is None:
                continue
            loss = np.asarray(hist.epoch_losses, dtype=np.float64)
            if self.min_value is not None:
                loss = np.maximum(loss - self.min_value, 1e-16)
            epoch_line.set_data(np.arange(len(loss)), loss)
            epoch_line.set_label(_history_label(name, hist))
            shown.append(epoch_line)
            finite = loss[np.isfinite(loss)]
            lows.append(finite.min())
            highs.append(finite.max())
            epochs = max(epochs, len(loss) - 1)
            bl = np.asarray(hist.batch_losses, dtype=np.float64)
            per = (updates_per_epoch or {}).get(name) or max(hist.updates_per_epoch, 1)
            batch_line.set_data(np.arange(len(bl)) / per, bl)
            fin = bl[np.isfinite(bl)]
            if fin.size:
                # The first losses of a diverging run would flatten everything else.
                top = max(top, min(fin.max(), 4 * np.percentile(fin, 90)))
        if self.epochs is None:
            self.ax_epoch.set_xlim(0, epochs)
            self.ax_batch.set_xlim(0, epochs)
        if shown and self.ylim is None:
            lo, hi = min(lows), max(highs)
            if self.min_value is not None:
                self.ax_epoch.set_ylim(lo / 2, hi * 2)
            else:
                pad = 0.05 * (hi - lo) or 1.0
                self.ax_epoch.set_ylim(lo - pad, hi + pad)
        if self.batch_ylim is None:
            self.ax_batch.set_ylim(0, top * 1.05 or 1.0)
        labels = [a.get_label() for a in shown]
        if self.legend is None or labels != [t.get_text() for t in self.legend.get_texts()]:
            if self.legend is not None:
                self.legend.remove()
            self.legend = self.ax_epoch.legend(handles=shown, fontsize=8, loc="upper right") if shown else None
        return self


# --- Momentum and NAG: the look-ahead arrows, sweeps over hyperparameters ----------------

from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from .run import steps_to  # noqa: E402

__all__ += ["NESTEROV_COLORS", "nesterov_arrows", "plot_sweep", "sweep_heatmap"]

#: Colours of the text's Image 4 (G. Hinton's lecture 6c): NAG's jump, correction and update.
NESTEROV_COLORS = {"jump": "#8c564b", "correction": "#d62728", "nag": PALETTE["NAG"],
                   "momentum": PALETTE["Momentum"]}


def _vector(name, value):
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid {name}: {value!r} (must be 2 finite numbers)") from None
    if a.shape != (2,) or not np.all(np.isfinite(a)):
        raise ValueError(f"Invalid {name}: {value!r} (must be 2 finite numbers)")
    return a


def _arrow(ax, start, vec, color, lw=2.2, ls="-"):
    """An arrow of exactly ``vec`` from ``start`` in data coordinates; returns (start, end)."""
    ax.annotate("", xy=start + vec, xytext=start, zorder=7,
                arrowprops=dict(arrowstyle="-|>", color=color, lw=lw, ls=ls, mutation_scale=14,
                                shrinkA=0, shrinkB=0))
    return start, start + vec


def nesterov_arrows(ax, theta, gamma_v, eta_grad_ahead, eta_grad_here=None, legend=True, zoom=True):
    r"""Draw one NAG update as the text's Image 4 draws it, at a real point ``theta``.

    NAG first jumps by the momentum term, then corrects with the gradient at the
    look-ahead point; jump and correction add up to its update :math:`v_t`:

    .. math::
        v_t = \underbrace{\gamma v_{t-1}}_{\text{jump (brown)}}
        + \underbrace{\eta \nabla_\theta J(\theta - \gamma v_{t-1})}_{\text{correction (red)}},
        \qquad \theta - v_t \ \text{(green)}

    With ``eta_grad_here`` (:math:`\eta \nabla_\theta J(\theta)`) Momentum's update from
    the same state is drawn too, in blue: its small gradient step at :math:`\theta`, then
    the jump :math:`\gamma v_{t-1}` (dashed), ending at Momentum's next :math:`\theta`.
    Every arrow points along the move it makes, i.e. along minus the vector named.

    Parameters
    ----------
    ax : matplotlib Axes
    theta : array_like, shape (2,)
        The current point :math:`\theta`.
    gamma_v : array_like, shape (2,)
        :math:`\gamma v_{t-1}`.
    eta_grad_ahead : array_like, shape (2,)
        :math:`\eta \nabla_\theta J(\theta - \gamma v_{t-1})`.
    eta_grad_here : array_like, shape (2,), optional
        :math:`\eta \nabla_\theta J(\theta)`.
    legend : bool
        Add a legend naming the arrows.
    zoom : bool
        Set the axes' limits to a square around the arrows, equal aspect.

    Returns
    -------
    dict
        name -> (start, end) of each arrow drawn: ``"jump"``, ``"correction"``, ``"nag"``
        and, with ``eta_grad_here``, ``"momentum_gradient"``, ``"momentum_jump"``.
    """
    theta = _vector("theta", theta)
    gamma_v = _vector("gamma_v", gamma_v)
    ahead = _vector("eta_grad_ahead", eta_grad_ahead)
    c = NESTEROV_COLORS
    drawn, handles = {}, []
    if eta_grad_here is not None:
        here = _vector("eta_grad_here", eta_grad_here)
        drawn["momentum_gradient"] = _arrow(ax, theta, -here, c["momentum"], lw=1.8)
        drawn["momentum_jump"] = _arrow(ax, theta - here, -gamma_v, c["momentum"], lw=1.8, ls="--")
        handles.append(Line2D([], [], color=c["momentum"], lw=1.8,
                              label="Momentum: −η∇J(θ), then −γv (blue)"))
    drawn["jump"] = _arrow(ax, theta, -gamma_v, c["jump"])
    drawn["correction"] = _arrow(ax, theta - gamma_v, -ahead, c["correction"])
    drawn["nag"] = _arrow(ax, theta, -(gamma_v + ahead), c["nag"], lw=2.8)
    handles += [Line2D([], [], color=c["jump"], lw=2.2, label="NAG jump −γv (brown)"),
                Line2D([], [], color=c["correction"], lw=2.2, label="correction −η∇J(θ − γv) (red)"),
                Line2D([], [], color=c["nag"], lw=2.8, label="NAG update −vₜ (green)")]
    ax.plot(*theta, "o", color="black", ms=6, zorder=8)
    if zoom:
        pts = np.array([p for pair in drawn.values() for p in pair])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        half = 0.6 * np.max(hi - lo) + 1e-12
        mid = (lo + hi) / 2
        ax.set_xlim(mid[0] - half, mid[0] + half)
        ax.set_ylim(mid[1] - half, mid[1] + half)
        ax.set_aspect("equal")
    if legend:
        ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    return drawn


def plot_sweep(ax, x, runs, min_value, tol, xlabel="η", log_x=True):
    r"""Steps each run needs to get within ``tol`` of :math:`J^*`, against a swept hyperparameter.

    ``runs`` maps a rule name to a grid :class:`~gdcourse.run.Trajectory` over the
    values ``x`` (e.g. from :func:`gdcourse.run.run_grid`). For each value the curve
    shows :math:`\min\{t : J(\theta_s) - J^* < \text{tol for every } s \ge t\}`
    (:func:`gdcourse.run.steps_to`); values whose run never gets there leave a gap,
    and values whose run diverged are marked × along the top edge.

    Returns
    -------
    dict
        name -> the steps drawn (``-1`` where the run never got within ``tol``).
    """
    x = np.asarray(x, dtype=np.float64)
    top = blended_transform_factory(ax.transData, ax.transAxes)
    out = {}
    for i, (name, traj) in enumerate(runs.items()):
        needed = np.atleast_1d(steps_to(traj, min_value, tol))
        if needed.shape != x.shape:
            raise ValueError(f"Invalid runs[{name!r}]: {needed.size} configurations ({x.size} values of x)")
        c = color(name, i)
        ax.plot(x, np.where(needed >= 0, needed, np.nan), "-o", ms=3, lw=1.6, color=c, label=name)
        bad = np.atleast_1d(traj.diverged)
        # Only when there is something to mark: an empty unclipped line breaks constrained layout.
        if bad.any():
            ax.plot(x[bad], np.full(bad.sum(), 0.97 - 0.04 * i), "x", color=c, ms=6, mew=1.5,
                    transform=top, clip_on=False)
        out[name] = needed
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"steps until J − J* < {tol:g} for good")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best", title="× = diverged", title_fontsize=8)
    return out


def sweep_heatmap(ax, x, y, needed, xlabel="η", ylabel="γ", log_x=True, label="steps to tolerance"):
    r"""A map of ``needed[j, i]``, the steps to a tolerance at ``y[j]``, ``x[i]``; ``-1`` (not reached) in grey.

    Returns the mesh; a colour bar is added beside ``ax``.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    needed = np.asarray(needed)
    if needed.shape != (len(y), len(x)):
        raise ValueError(f"Invalid needed: shape {needed.shape} (must be (len(y), len(x)) = {(len(y), len(x))})")
    data = np.ma.masked_less(needed.astype(np.float64), 0)
    ax.set_facecolor("#d9d9d9")
    norm = LogNorm(vmin=max(data.min(), 1), vmax=max(data.max(), 2)) if data.count() else None
    mesh = ax.pcolormesh(x, y, data, shading="nearest", cmap="viridis_r", norm=norm)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.figure.colorbar(mesh, ax=ax, label=f"{label} (grey: not within the run)")
    return mesh


def plot_curves(ax, curves, xlabel, ylabel, logx=False, logy=False, markers=False):
    """Named curves on one axes, coloured as everywhere else (:func:`color`); returns the lines.

    For the figures that are neither paths nor loss curves (a schedule :math:`\\eta_t`,
    a gradient norm, a weight's progress, a variance against the batch size).

    Parameters
    ----------
    curves : dict
        label -> ``(x, y)``; a label that starts with a rule's name gets its colour.
    """
    lines = []
    for i, (name, (xs, ys)) in enumerate(curves.items()):
        lines += ax.plot(xs, ys, "-", marker="o" if markers else None, ms=3, lw=1.6,
                         color=color(name, i), label=name)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    return lines


# --- Animations: the races of the text's Images 5 and 6 (the visualization chapter) -------

__all__ += ["frame_steps", "RacePlot", "race_figure", "PathAnimation", "animate_paths"]


def frame_steps(n_steps, frames):
    """The steps the frames of an animation show: about ``frames`` evenly spaced steps, 0 and ``n_steps`` included."""
    if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or frames < 2:
        raise ValueError(f"Invalid frames: {frames!r} (must be an integer >= 2)")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"Invalid n_steps: {n_steps!r} (must be an integer >= 1)")
    return np.unique(np.linspace(0, n_steps, frames).round().astype(int))


_VIEWS = {"contours": ("contours",), "surface": ("surface",), "both": ("surface", "contours")}


def _inside(objective, xy):
    """``xy`` with the points outside the objective's window set to NaN (3-D axes do not clip)."""
    (x0, x1), (y0, y1) = objective.window
    out = (xy[:, 0] < x0) | (xy[:, 0] > x1) | (xy[:, 1] < y0) | (xy[:, 1] > y1)
    return np.where(out[:, None], np.nan, xy)


class RacePlot:
    r"""Several runs on one objective, each drawn up to a given step: one frame of a race.

    ``view="contours"`` draws the paths on the contours (the text's Image 5),
    ``"surface"`` on the 3-D surface :math:`z = J(\theta)`, ``"both"`` side by side
    (the text's Image 6). Each run is a line from :math:`\theta_0` to
    :math:`\theta_k` and a dot at :math:`\theta_k`; :meth:`show` moves them to step
    ``k``, so an animation draws its axes once and then only the lines.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    objective : Objective
    runs : dict
        label -> :class:`~gdcourse.run.Trajectory` of a single configuration.
    view : {"contours", "surface", "both"}
    title : str, optional
        Figure title; the current step is appended.
    elev, azim : float
        The 3-D camera.
    """

    def __init__(self, fig, objective, runs, view="contours", title=None, elev=35.0, azim=-60.0):
        if view not in _VIEWS:
            raise ValueError(f"Invalid view: {view!r} (must be one of {', '.join(_VIEWS)})")
        if not runs:
            raise ValueError("Invalid runs: {} (must hold at least one run)")
        self.objective, self.runs, self.title = objective, dict(runs), title or objective.name
        self.n_steps = max(len(t.losses) for t in self.runs.values()) - 1
        self.lines = {}
        panels = _VIEWS[view]
        for p, panel in enumerate(panels):
            if panel == "surface":
                ax = fig.add_subplot(1, len(panels), p + 1, projection="3d")
                X, Y, Z = _grid(objective, 40)
                ax.plot_surface(X, Y, Z, cmap="Greys", alpha=0.35, linewidth=0, antialiased=False)
                ax.set_zlim(Z.min(), Z.max())
                ax.view_init(elev=elev, azim=azim)
                ax.set_xlabel("θ₁")
                ax.set_ylabel("θ₂")
                ax.set_zlabel("J(θ)")
            else:
                ax = fig.add_subplot(1, len(panels), p + 1)
                contours(ax, objective)
                ax.set_aspect("equal")
                for s in getattr(objective, "saddle_points", np.empty((0, 2))):
                    ax.plot(*s, "+", color="black", ms=10, mew=2, zorder=5)
            for i, (name, traj) in enumerate(self.runs.items()):
                c = color(name, i)
                if panel == "surface":
                    arts = (ax.plot([], [], [], "-", color=c, lw=1.6)[0],
                            ax.plot([], [], [], "o", color=c, ms=5)[0])
                else:
                    arts = (ax.plot([], [], "-", color=c, lw=1.6, zorder=4)[0],
                            ax.plot([], [], "o", color=c, ms=6, mec="black", mew=0.5, zorder=6)[0])
                self.lines.setdefault(name, []).append((panel, arts))
        self.axes = fig.axes[-len(panels):]
        handles = [self.lines[name][0][1][0] for name in self.runs]
        fig.legend(handles, [label(n, t) for n, t in self.runs.items()], loc="outside right center",
                   fontsize=8, frameon=False)
        # The longest title, so that the layout leaves room for every frame's.
        self.suptitle = fig.suptitle(self._title(self.n_steps))

    def _title(self, step):
        return f"{self.title}: step {step} of {self.n_steps}"

    @property
    def artists(self):
        """The artists :meth:`show` changes: every line, every dot and the title."""
        return [a for arts in self.lines.values() for _, pair in arts for a in pair] + [self.suptitle]

    def show(self, step):
        """Draw every run from step 0 to ``step`` (a diverged run up to its last finite step)."""
        for name, traj in self.runs.items():
            k = min(step, traj.last_index)
            xy = traj.thetas[: k + 1, :2]
            for panel, (path, head) in self.lines[name]:
                if panel == "surface":
                    xy_in = _inside(self.objective, xy)
                    z = np.where(np.isnan(xy_in[:, 0]), np.nan, self.objective.value(np.nan_to_num(xy_in)))
                    path.set_data_3d(xy_in[:, 0], xy_in[:, 1], z)
                    head.set_data_3d(xy_in[-1:, 0], xy_in[-1:, 1], z[-1:])
                else:
                    path.set_data(xy[:, 0], xy[:, 1])
                    head.set_data(xy[-1:, 0], xy[-1:, 1])
        self.suptitle.set_text(self._title(step))
        return self.artists


def _race_size(view, figsize):
    return figsize or {"contours": (6.4, 4.6), "surface": (6.4, 4.6), "both": (10.0, 4.2)}[view]


def race_figure(objective, runs, step=None, view="contours", title=None, figsize=None, **kwargs):
    """One frame of :func:`animate_paths` as a static Figure: by default the last, every run in full."""
    fig = Figure(figsize=_race_size(view, figsize), layout="constrained")
    race = RacePlot(fig, objective, runs, view=view, title=title, **kwargs)
    race.show(race.n_steps if step is None else step)
    return fig


def _frame_palette():
    """A fixed palette for the frames: the rules' colours, the extra ones, gold and 24 greys."""
    import PIL.Image
    from matplotlib.colors import to_rgb

    rgb = [to_rgb(c) for c in (*PALETTE.values(), *_EXTRA, "gold")] + [(g, g, g) for g in np.linspace(0, 1, 24)]
    flat = (np.array(rgb) * 255).round().astype(np.uint8).ravel().tolist()
    pal = PIL.Image.new("P", (1, 1))
    pal.putpalette(flat + [0] * (768 - len(flat)))
    return pal


_PLAYER = """<div id="{id}" class="gdcourse-animation" style="max-width:{width}px">
<img src="data:image/png;base64,{first}" alt="{alt}" style="width:100%;height:auto">
<div style="display:flex;align-items:center;gap:0.6em;font:13px sans-serif">
<button type="button" style="min-width:6em">&#9654; play</button>
<input type="range" min="0" max="{last}" value="0" step="1" style="flex:1" aria-label="frame">
<span>step {step0}</span></div></div>
<script>(function () {{
  var root = document.getElementById("{id}"), frames = {frames}, steps = {steps};
  var img = root.querySelector("img"), button = root.querySelector("button"),
      slider = root.querySelector("input"), text = root.querySelector("span"), i = 0, timer = null;
  function show(j) {{
    i = j; img.src = "data:image/png;base64," + frames[j]; slider.value = j;
    text.textContent = "step " + steps[j];
  }}
  function stop() {{ clearInterval(timer); timer = null; button.innerHTML = "&#9654; play"; }}
  button.onclick = function () {{
    if (timer) {{ stop(); return; }}
    if (i === frames.length - 1) show(0);
    button.innerHTML = "&#10074;&#10074; pause";
    timer = setInterval(function () {{ if (i + 1 < frames.length) show(i + 1); else stop(); }}, {interval});
  }};
  slider.oninput = function () {{ stop(); show(+slider.value); }};
}})();</script>"""


class PathAnimation:
    """A race of several runs, animated: PNG frames and a few lines of JavaScript that play them.

    Made by :func:`animate_paths`. Displayed (it is the last expression of a
    cell, or ``IPython.display.HTML(anim.to_html())``) it plays in Jupyter and in
    the built book alike, with no kernel: the frames are embedded in the page.

    The frames are rendered once, by blitting: the contours and axes are drawn
    once and each frame only redraws the paths; a fixed palette (the rules'
    colours and greys) keeps every frame a small PNG.

    Attributes
    ----------
    steps : ndarray of int
        The step each frame shows.
    frames : list of bytes
        The PNG of each frame.
    race : RacePlot
        The figure's paths; ``race.show(k)`` redraws it at step ``k``.
    figure : matplotlib.figure.Figure
    """

    def __init__(self, objective, runs, frames=40, view="contours", fps=8, dpi=72, title=None, figsize=None,
                 **kwargs):
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"Invalid fps: {fps!r} (must be a finite number > 0)")
        self.figure = Figure(figsize=_race_size(view, figsize), dpi=dpi, layout="constrained")
        self.race = RacePlot(self.figure, objective, runs, view=view, title=title, **kwargs)
        self.steps = frame_steps(self.race.n_steps, frames)
        self.fps, self.alt = fps, f"{self.race.title}: {', '.join(runs)}"
        self.frames = self._render()

    def _render(self):
        import io

        import PIL.Image
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(self.figure)
        dynamic = self.race.artists
        for a in dynamic:
            a.set_visible(False)
        canvas.draw()
        background = canvas.copy_from_bbox(self.figure.bbox)
        for a in dynamic:
            a.set_visible(True)
        palette, frames = _frame_palette(), []
        for k in self.steps:
            self.race.show(int(k))
            canvas.restore_region(background)
            for a in dynamic:
                self.figure.draw_artist(a)
            rgb = PIL.Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
            buf = io.BytesIO()
            rgb.quantize(palette=palette, dither=PIL.Image.Dither.NONE).save(buf, format="png")
            frames.append(buf.getvalue())
        return frames

    def to_html(self):
        """The player as self-contained HTML; ``len`` of it is what it adds to a page."""
        import base64
        import json
        import uuid

        b64 = [base64.b64encode(f).decode("ascii") for f in self.frames]
        return _PLAYER.format(id=f"gdcourse-anim-{uuid.uuid4().hex[:12]}", width=int(self.figure.bbox.width),
                              first=b64[0], alt=self.alt, last=len(b64) - 1, step0=int(self.steps[0]),
                              frames=json.dumps(b64), steps=json.dumps([int(k) for k in self.steps]),
                              interval=int(round(1000 / self.fps)))

    def _repr_html_(self):
        return self.to_html()

    @property
    def nbytes(self):
        """Bytes of HTML the animation adds to a page."""
        return len(self.to_html())

    def funcanimation(self):
        """The same race as a matplotlib ``FuncAnimation`` (e.g. to ``save`` it as a GIF or a video)."""
        from matplotlib.animation import FuncAnimation

        return FuncAnimation(self.figure, self.race.show, frames=[int(k) for k in self.steps],
                             interval=1000.0 / self.fps, blit=False, cache_frame_data=False)


def animate_paths(objective, runs, frames=40, view="contours", fps=8, dpi=72, title=None, figsize=None, **kwargs):
    """Animate the runs step by step, the text's Images 5 and 6: a :class:`PathAnimation`.

    Frame ``f`` shows every run from :math:`\\theta_0` to :math:`\\theta_{k_f}`, the
    steps :math:`k_f` from :func:`frame_steps` (about ``frames`` of them; the last
    shows the runs in full). The last expression of a notebook cell, it plays in
    Jupyter and in the built book without a kernel. The page grows by
    ``anim.nbytes``: about ``frames`` times a small PNG at ``dpi``.

    Parameters
    ----------
    objective : Objective
    runs : dict
        label -> :class:`~gdcourse.run.Trajectory`; colours from :data:`PALETTE`.
    frames : int
        About how many frames (>= 2).
    view : {"contours", "surface", "both"}
        See :class:`RacePlot`.
    fps : float
        Frames per second of playback.
    dpi : float
        Resolution of the frames.
    """
    return PathAnimation(objective, runs, frames=frames, view=view, fps=fps, dpi=dpi, title=title,
                         figsize=figsize, **kwargs)


# --- Plain tick labels on log axes (the Adam, AdaMax and Nadam chapters) ----------------

__all__ += ["plain_log"]


def plain_log(ax, axis="y"):
    r"""Put ``axis`` of ``ax`` (``"x"``, ``"y"`` or ``"both"``) on a log scale with plain tick labels.

    Major ticks read ``0.001``, ``1``, ``1000``, ``1e-08`` (Python's ``g`` format); on an
    axis that spans less than a factor of 20, the minor ticks at 2 and 5 times a power of
    ten are labelled too. Matplotlib's default labels, :math:`10^{-8}` in mathtext, take
    seconds to lay out in a figure with several log axes; these take milliseconds.
    """
    if axis not in ("x", "y", "both"):
        raise ValueError(f"Invalid axis: {axis!r} (must be 'x', 'y' or 'both')")
    for name in ("x", "y") if axis == "both" else (axis,):
        getattr(ax, f"set_{name}scale")("log")
        ax_ = getattr(ax, f"{name}axis")

        def minor(v, _, ax_=ax_):
            lo, hi = sorted(ax_.get_view_interval())
            lead = round(v / 10 ** np.floor(np.log10(v) + 1e-9)) if v > 0 else 0
            return f"{v:g}" if 0 < lo <= v <= hi < 20 * lo and lead in (2, 5) else ""

        ax_.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax_.set_minor_formatter(FuncFormatter(minor))
    return ax


# --- Parallel and distributed SGD (the Hogwild!, Downpour, delay-tolerant, TensorFlow, EASGD chapters) ---

__all__ += ["plot_timeline", "plot_staleness", "plot_sim_losses", "plot_drift", "plot_hogwild"]


def plot_timeline(ax, result, until=None, shard=0):
    """Each worker's gradient computations as bars in simulated time; arrivals at a shard as ticks.

    ``result`` is a :class:`gdcourse.parallel.SimResult`. Every arrival at shard ``shard``
    is marked on its worker's row and labelled with its staleness.
    """
    until = result.step_end.max() if until is None else until
    W = int(result.step_worker.max()) + 1
    for w in range(W):
        mine = (result.step_worker == w) & (result.step_start < until)
        spans = [(s, e - s) for s, e in zip(result.step_start[mine], result.step_end[mine])]
        ax.broken_barh(spans, (w - 0.3, 0.6), facecolors=_EXTRA[w % len(_EXTRA)], alpha=0.35,
                       edgecolors="black", linewidth=0.6)
    arrived = (result.apply_shard == shard) & (result.apply_time <= until) & (result.apply_worker >= 0)
    ax.plot(result.apply_time[arrived], result.apply_worker[arrived] + 0.42, "v", color="black", ms=5)
    for t, w, s in zip(result.apply_time[arrived], result.apply_worker[arrived], result.staleness[arrived]):
        ax.text(t, w + 0.5, str(s), ha="center", va="bottom", fontsize=8)
    ax.set_yticks(range(W), [f"worker {w}" for w in range(W)])
    ax.set_ylim(-0.6, W + 0.2)
    ax.set_xlim(0, until)
    ax.set_xlabel("simulated time (units of the mean compute time)")
    ax.set_title("gradients in flight; ▼ = applied by the server, with its staleness")
    return ax


def plot_staleness(ax, results):
    """Histogram of the staleness of every applied update (``results``: label -> SimResult), means marked."""
    for i, (name, r) in enumerate(results.items()):
        s = r.staleness
        c = color(name, i)
        bins = np.arange(-0.5, s.max() + 1.5) if s.size else [0, 1]
        ax.hist(s, bins=bins, density=True, histtype="step", lw=1.6, color=c,
                label=f"{name}: mean {s.mean():.1f}")
        ax.axvline(s.mean(), color=c, ls=":", lw=1.2)
    ax.set_xlabel("staleness (updates applied between read and write)")
    ax.set_ylabel("fraction of updates")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_sim_losses(ax, results, x="steps", min_value=None):
    r"""Loss of the server's parameters against gradients computed (``x="steps"``) or simulated time.

    With ``min_value`` (:math:`J^*`) the curves show :math:`J - J^*` on a log scale.
    """
    if x not in ("steps", "time"):
        raise ValueError(f"Invalid x: {x!r} (must be 'steps' or 'time')")
    for i, (name, r) in enumerate(results.items()):
        loss = r.losses if min_value is None else np.maximum(r.losses - min_value, 1e-16)
        xs = r.steps if x == "steps" else r.times
        lab = name + (f" (diverged after {r.diverged_at} gradients)" if np.ndim(r.diverged_at) == 0
                      and r.diverged_at >= 0 else "")
        ax.plot(xs, loss, lw=1.6, color=color(name, i), label=lab)
    _loss_axes(ax, min_value, "gradients computed (all workers)" if x == "steps"
               else "simulated time (units of the mean compute time)")
    ax.minorticks_off()  # minor ticks of a log axis cost more to draw than the curves
    ax.legend(fontsize=8)
    return ax


def plot_drift(ax, results, x="steps"):
    r"""How far the workers' parameters are from the server's: :math:`\sqrt{\frac1W\sum_i\lVert x^i-\theta\rVert^2}`."""
    for i, (name, r) in enumerate(results.items()):
        ax.plot(r.steps if x == "steps" else r.times, r.drift, lw=1.6, color=color(name, i), label=name)
    ax.set_xlabel("gradients computed (all workers)" if x == "steps" else "simulated time")
    ax.set_ylabel("RMS distance of workers from the server")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_hogwild(ax, runs, x="updates"):
    """Loss of the shared weights against updates made or wall-clock seconds (``runs``: label -> HogwildRun)."""
    if x not in ("updates", "time"):
        raise ValueError(f"Invalid x: {x!r} (must be 'updates' or 'time')")
    for i, (name, r) in enumerate(runs.items()):
        ax.plot(r.updates if x == "updates" else r.times * 1e3, r.losses, lw=1.6, color=color(name, i),
                label=name, marker="o" if len(r.losses) < 25 else None, ms=3)
    ax.set_xlabel("updates made (all workers)" if x == "updates" else "wall-clock milliseconds")
    ax.set_ylabel("J(w) on all the data")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


# --- The family tree of the rules (the conclusion) ---------------------------------------------

__all__ += ["LINEAGE", "family_tree"]

#: rule -> (the rules it builds on, the weakness of the first one that it fixes, in a few words).
#: AdamW comes after the text (Loshchilov & Hutter); a second parent is where an idea was borrowed.
LINEAGE = {
    "Momentum": (("SGD",), "oscillates across ravines"),
    "NAG": (("Momentum",), "rolls blindly up the next slope"),
    "Adagrad": (("SGD",), "one η for every parameter"),
    "Adadelta": (("Adagrad",), "steps shrink to zero;\nunits of the update"),
    "RMSprop": (("Adagrad",), "steps shrink to zero"),
    "Adam": (("RMSprop", "Momentum"), "no momentum"),
    "AdaMax": (("Adam",), "ℓ₂ norm of\npast gradients"),
    "Nadam": (("Adam", "NAG"), "classical\nmomentum"),
    "AMSGrad": (("Adam",), "forgets rare\nlarge gradients"),
    "AdamW": (("Adam",), "L2 penalty\nrescaled by 1/√v̂"),
}

_TREE_XY = {"SGD": (0.0, 4.0), "Momentum": (-2.3, 3.0), "Adagrad": (2.3, 3.0), "NAG": (-2.3, 2.0),
            "RMSprop": (1.2, 2.0), "Adadelta": (3.5, 2.0), "Adam": (0.0, 1.0), "AdaMax": (-3.3, -0.7),
            "Nadam": (-1.1, -0.7), "AMSGrad": (1.1, -0.7), "AdamW": (3.3, -0.7)}


def family_tree(ax=None, figsize=(11, 5.6)):
    """The rules as a family tree: an arrow from a rule to the one that fixes a weakness of it.

    Each arrow is labelled with the weakness (:data:`LINEAGE`); a dashed arrow is an idea
    borrowed from a second parent; AdamW, which came after the text, has a dashed box.
    Returns the axes.
    """
    if ax is None:
        ax = Figure(figsize=figsize, layout="constrained").add_subplot()
    for child, (parents, weakness) in LINEAGE.items():
        for k, parent in enumerate(parents):
            (x0, y0), (x1, y1) = _TREE_XY[parent], _TREE_XY[child]
            ax.annotate("", xy=(x1, y1 + 0.2), xytext=(x0, y0 - 0.2),
                        arrowprops=dict(arrowstyle="-|>", color="0.35", lw=1.2, ls="-" if k == 0 else "--",
                                        shrinkA=2, shrinkB=2))
            if k == 0:
                # Nearer the child than the parent, so that siblings' labels do not collide.
                ax.text(x0 + 0.6 * (x1 - x0), y0 + 0.6 * (y1 - y0), weakness, ha="center", va="center", fontsize=8,
                        color="0.15", bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.9))
    for i, (name, (x, y)) in enumerate(_TREE_XY.items()):
        after = name not in PALETTE
        ax.text(x, y, name, ha="center", va="center", fontsize=11, fontweight="bold",
                color="black" if after else "white",
                bbox=dict(boxstyle="round,pad=0.35", fc="white" if after else color(name, i),
                          ec=color(name, i) if not after else "black", ls="--" if after else "-", lw=1.4))
    ax.set_xlim(-4.0, 4.3)
    ax.set_ylim(-1.1, 4.4)
    ax.axis("off")
    return ax
