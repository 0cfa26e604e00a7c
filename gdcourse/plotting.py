"""Figures: contours with trajectories, loss curves, one colour per rule everywhere.

Functions draw on axes they are given (or make a figure) and return what they
drew; a diverged run is drawn up to its last finite step and labelled
"diverged at step k", never an exception or a blank panel.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

__all__ = ["PALETTE", "color", "label", "contours", "plot_paths", "plot_losses", "PathPlot", "path_figure"]

#: One colour per rule, the same in every chapter.
PALETTE = {
    "SGD": "#d62728",
    "Momentum": "#1f77b4",
    "NAG": "#2ca02c",
    "Adagrad": "#9467bd",
    "Adadelta": "#ff7f0e",
    "RMSprop": "#8c564b",
    "Adam": "#e377c2",
    "AdaMax": "#7f7f7f",
    "Nadam": "#bcbd22",
    "AMSGrad": "#17becf",
}
_EXTRA = ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173")


def color(name, i=0):
    """The palette colour of rule ``name``; other labels cycle through extra colours."""
    return PALETTE.get(name.split(" ")[0], _EXTRA[i % len(_EXTRA)])


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

    def update(self, runs):
        """Show ``runs`` (name -> Trajectory); names without a run are hidden."""
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
            lows.append(np.min(curve))
            highs.append(np.max(curve))
            steps = max(steps, len(traj.losses) - 1)
        self.ax_loss.set_xlim(0, steps)
        if shown:
            lo, hi = min(lows), max(highs)
            if self.min_value is not None:
                self.ax_loss.set_ylim(lo / 3, hi * 3)
            else:
                pad = 0.05 * (hi - lo) or 1.0
                self.ax_loss.set_ylim(lo - pad, hi + pad)
        labels = [a.get_label() for a in shown]
        if self._legend is None or labels != [t.get_text() for t in self._legend.get_texts()]:
            if self._legend is not None:
                self._legend.remove()
            self._legend = self.ax_loss.legend(handles=shown, fontsize=8, loc="best") if shown else None
        return self


def path_figure(objective, runs, title=None, figsize=(10, 4.2)):
    """Contours with the paths on the left, the loss curves on the right; returns the Figure."""
    fig = Figure(figsize=figsize, layout="constrained")
    PathPlot(fig, objective, list(runs), title).update(runs)
    return fig
