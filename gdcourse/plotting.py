"""Figures: contours with trajectories, loss curves, animations; one style per rule everywhere.

Conventions of every function here:

- **Argument order.** A function that draws on axes takes the axes first (``ax``), then the
  objective when it draws one, then what it draws (``runs``: label -> result, in legend
  order), then options as keywords: ``contours(ax, objective)``, ``plot_paths(ax, runs)``,
  ``plot_losses(ax, runs, min_value)``. A function that makes its own figure takes the
  objective first, then the runs: ``path_figure(objective, runs)``,
  ``race_figure(objective, runs)``, ``animate_paths(objective, runs)``.
- **Return value.** Every ``plot_*`` function returns the artists it drew (a list of
  lines, or what the docstring names); a class keeps them in attributes. A diverged run is
  drawn up to its last finite step and labelled "diverged at step k", never an exception
  or a blank panel.
- **Style.** A series is drawn with :func:`style` of its exact label: colour, line style and
  marker, so colour is never the only cue; the ten rules of the text and AdamW have their
  own, the same in every figure and in the explorers' SVG (``dash``, ``shape``).
- **Alt text.** A figure shown in a notebook carries a text alternative (output metadata
  ``{"image/png": {"alt": ...}}``, set as the ``<img>``'s alt by the book's build): what
  :func:`alt_text` makes from what was drawn (the objective, the runs, the axes), or the
  chapter's own words given with :func:`describe`.
"""
from __future__ import annotations

import zlib
from functools import lru_cache

import matplotlib.colors as mcolors
import numpy as np
from matplotlib.collections import Collection
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullFormatter

__all__ = ["PALETTE", "style", "styles", "line_kw", "color", "label", "describe", "alt_text", "colour_only", "contours", "plot_paths",
           "plot_losses", "PathPlot", "path_figure", "plot_history", "plot_batch_losses", "HistoryPlot",
           "plot_curves"]


def _show_figures_in_ipython():
    """Let a Figure returned by a notebook cell show as a PNG, with its alt text.

    The figures here are made without pyplot (so nothing is drawn twice), and IPython
    registers its Figure formatter only once pyplot's inline backend is activated. The
    alt text goes in through the mime-bundle formatter, which the inline backend leaves
    alone when it re-registers its PNG formatter, so every Figure shown in a kernel that
    imported gdcourse (returned, ``display``-ed or ``plt.show()``-n) carries it.
    """
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import select_figure_formats
    except ImportError:  # pragma: no cover - IPython ships with the course's requirements
        return
    shell = get_ipython()
    if shell is None:
        return
    select_figure_formats(shell, {"png"})
    shell.display_formatter.mimebundle_formatter.for_type(Figure, _figure_alt_metadata)


def _figure_alt_metadata(fig, include=None, exclude=None):
    """Mime-bundle formatter: no data (the PNG formatter makes it), the alt text as metadata."""
    try:
        alt = alt_text(fig)
        pairs = colour_only(fig)
    except Exception:  # pragma: no cover - a description must never stop a figure from showing
        return {}
    from IPython import get_ipython

    shell = get_ipython()
    formats = ["image/png"]
    if shell is not None:
        formats = [m for m, f in shell.display_formatter.formatters.items()
                   if m.startswith("image/") and Figure in f.type_printers] or formats
    meta = {"alt": alt} | ({"colour_only": pairs} if pairs else {})
    return {}, {m: dict(meta) for m in formats}

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
}
#: Colours of the series after the text that the course names: AdamW (the conclusion).
_NAMED = {"AdamW": "#126444"}
#: Colours for series that are not rules (other labels), as far from each other and from the rules.
_EXTRA = ("#283837", "#806e37", "#3f97eb", "#3242d6", "#1a59c1", "#0c325a", "#4b1f89", "#285b69")

#: Dash patterns in units of the line width (matplotlib scales them by it; the explorers get pixels).
_DASHES = {"solid": (), "dashed": (4.0, 2.0), "dotted": (1.0, 1.6), "dashdot": (4.0, 1.6, 1.0, 1.6),
           "long": (8.0, 2.5), "dashdotdot": (4.0, 1.5, 1.0, 1.5, 1.0, 1.5)}
#: Matplotlib marker -> the explorers' point shape (a name, or an SVG path in the unit square).
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
            # The explorers' lines are about 2 px wide: the same pattern in pixels.
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
    ``linestyle`` and ``marker`` are matplotlib's; ``dash`` is the same line style as an SVG
    ``stroke-dasharray`` list (pixels, ``[]`` for solid) and ``shape`` the marker as the
    explorers' point shape (a name or an SVG path).
    """
    if not isinstance(name, str):
        raise ValueError(f"Invalid name: {name!r} (must be a string)")
    if name in _RULE_LINES:
        dash, marker = _RULE_LINES[name]
        return _make_style(PALETTE.get(name) or _NAMED[name], dash, marker)
    return _hashed(name)


def line_kw(name, marker="sparse", lw=1.6, ms=4.0):
    """Matplotlib keywords that draw series ``name`` in its :func:`style`: ``ax.plot(x, y, **line_kw(name))``.

    ``marker``: ``"every"`` marks every point, ``"sparse"`` about ten along the curve, ``None`` none.
    """
    if marker not in ("every", "sparse", None):
        raise ValueError(f"Invalid marker: {marker!r} (must be 'every', 'sparse' or None)")
    return _kw(style(name), lw=lw, marker=marker, ms=ms)


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
        pool = len(_EXTRA) * len(_EXTRA_LINES) * len(_EXTRA_MARKERS)
        # A colour of its own while there are colours left; always a line style and marker of its own.
        for need_colour in (True, False):
            for k in range(pool):
                s = _hashed(name, k)
                if (str(s["linestyle"]), s["marker"]) not in seen_lm and not (need_colour and s["color"] in seen_c):
                    break
            else:
                continue
            break
        out[name] = s
        seen_c.add(s["color"])
        seen_lm.add((str(s["linestyle"]), s["marker"]))
    return {n: out[n] for n in names}


def color(name, i=None):
    """The colour of series ``name`` (:func:`style`); ``i`` picks the ``i``-th extra colour for other names."""
    if name in _RULE_LINES or i is None:
        return style(name)["color"]
    return _EXTRA[i % len(_EXTRA)]


def _kw(st, lw=1.6, marker="sparse", ms=4.0, k=0):
    """Line keywords for a series of style ``st``: its colour, line style and (where) its marker.

    ``marker``: ``"every"`` marks every point (paths, short curves), ``"sparse"`` about ten
    points along the curve (staggered by ``k`` so that curves on top of each other show
    all their markers), ``None`` none.
    """
    kw = {"color": st["color"], "linestyle": st["linestyle"], "lw": lw}
    if marker:
        kw.update(marker=st["marker"], ms=ms, mec=st["color"], mfc=st["color"])
        if marker == "sparse":
            kw["markevery"] = (0.011 * (k % 9), 0.1)
    return kw


#: Legend keywords: handles long enough to show each line style.
_LEGEND = {"fontsize": 8, "handlelength": 3.2}


def label(name, traj):
    """Legend text for a run: its name, and where it diverged if it did."""
    return f"{name} (diverged at step {traj.diverged_at})" if traj.diverged_at >= 0 else name


def describe(target, text):
    """Give a figure (or one of its axes) the chapter's own alt text; returns ``target``.

    ``text`` says what the figure shows, in a sentence or two (what a reader who cannot
    see it needs in order to follow the prose). Without it, :func:`alt_text` describes
    the figure from what was drawn.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"Invalid text: {text!r} (must be a non-empty string)")
    target._gdcourse_alt = text.strip()
    return target


def _note(ax, text):
    """Record what a plotting function drew on ``ax``, for :func:`alt_text`."""
    notes = ax.__dict__.setdefault("_gdcourse_notes", [])
    if text not in notes:
        notes.append(text)


def _clean(text):
    return " ".join(str(text).replace("$", "").split())


def _axes_text(ax):
    """One axes described: its title, what was drawn, the axes and the series in its legend."""
    own = getattr(ax, "_gdcourse_alt", None)
    if own:
        return own
    parts = []
    title = _clean(ax.get_title())
    if title:
        parts.append(f"“{title}”")
    parts += getattr(ax, "_gdcourse_notes", [])
    xl, yl = _clean(ax.get_xlabel()), _clean(ax.get_ylabel())
    zl = _clean(ax.get_zlabel()) if hasattr(ax, "get_zlabel") else ""
    if zl and xl and yl:
        parts.append(f"3-D surface of {zl} over {xl} and {yl}")
    elif xl and yl:
        scale = lambda a: " (log scale)" if a.get_scale() == "log" else ""  # noqa: E731
        parts.append(f"{yl}{scale(ax.yaxis)} against {xl}{scale(ax.xaxis)}")
    elif xl or yl:
        parts.append(f"axis: {xl or yl}")
    _, labels = ax.get_legend_handles_labels()
    labels = [_clean(t) for t in labels if t and not t.startswith("_")]
    if labels:
        parts.append("series: " + ", ".join(dict.fromkeys(labels)))
    return "; ".join(parts)


def _cue(handle):
    """What tells a legend entry apart besides its colour (line style, dashes, marker, hatch), and its colour."""
    if isinstance(handle, Line2D):
        ls = handle.get_linestyle()
        dashes = tuple(np.round(handle._unscaled_dash_pattern[1] or (), 2)) if ls not in ("None", "", " ") else ()
        marker = handle.get_marker()
        marker = None if marker in (None, "None", "", " ") else str(marker)
        return ("line", ls, dashes, marker), mcolors.to_hex(handle.get_color())
    if isinstance(handle, Patch):
        return ("patch", handle.get_hatch(), handle.get_linestyle()), mcolors.to_hex(handle.get_facecolor())
    if isinstance(handle, Collection) and len(handle.get_facecolor()):
        paths = handle.get_paths()
        shape = tuple(np.round(paths[0].vertices, 2).ravel()) if paths else ()
        return ("markers", shape), mcolors.to_hex(handle.get_facecolor()[0])
    return None, None


def colour_only(fig):
    """Legend entries of ``fig`` told apart by colour alone: ``[[label, label], ...]``, empty when none.

    Two entries of one legend whose line style, dashes and marker (or hatch, or marker
    shape) are the same but whose colours differ can be told apart only by colour, which
    about 1 in 12 men cannot do for every pair of the palette. The book's build fails on
    such a figure (``book/_ext/figure_alt.py``); draw series with :func:`line_kw` (or the
    ``plot_*`` functions here), which give every name its own line style and marker.
    """
    legends = [ax.get_legend() for ax in fig.axes] + list(fig.legends)
    pairs = []
    for legend in filter(None, legends):
        seen = {}
        for handle, text in zip(legend.legend_handles, legend.get_texts()):
            cue, colour = _cue(handle)
            if cue is None:
                continue
            for other, other_colour in seen.get(cue, []):
                if other_colour != colour:
                    pairs.append([other, text.get_text()])
            seen.setdefault(cue, []).append((text.get_text(), colour))
    return pairs


def alt_text(fig):
    """A text alternative for ``fig``: the chapter's (:func:`describe`) or one made from what was drawn.

    Made from the title, what the plotting functions here drew (the objective's
    contours, whose paths, where a run diverged), each panel's axes (with log scales)
    and the series in its legend: e.g. "Figure, 2 panels. Panel 1: “Rosenbrock”;
    contours of J(θ) for the Rosenbrock objective, minimum starred; paths of SGD, Adam
    from the start (black dot); θ₂ against θ₁ ...". Never a file name.
    """
    own = getattr(fig, "_gdcourse_alt", None)
    if own:
        return own
    axes = [ax for ax in fig.axes if ax.get_visible() and not hasattr(ax, "_colorbar")]
    bars = [_clean(ax.get_ylabel() or ax.get_xlabel()) for ax in fig.axes if hasattr(ax, "_colorbar")]
    head = "Figure"
    sup = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    if sup:
        head += f" “{_clean(sup)}”"
    panels = [_axes_text(ax) for ax in axes]
    legend_labels = [_clean(t.get_text()) for leg in fig.legends for t in leg.get_texts()]
    if len(panels) == 1:
        body = [panels[0]] if panels[0] else []
    else:
        head += f", {len(panels)} panels"
        body = [f"Panel {k + 1}: {t}" for k, t in enumerate(panels) if t]
    if legend_labels:
        body.append("series: " + ", ".join(dict.fromkeys(legend_labels)))
    body += [f"colour bar: {b}" for b in bars if b]
    return head + (". " + ". ".join(body) if body else "") + "."


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
    _note(ax, f"contours of J(θ) for the {objective.name} objective" + (", minimum starred" if len(m) else ""))
    return cs


def plot_paths(ax, runs, markers=True):
    """Draw each run's path :math:`\\theta_0, \\theta_1, \\dots` (``runs``: label -> Trajectory)."""
    lines = []
    for i, (name, st) in enumerate(styles(runs).items()):
        traj = runs[name]
        path = traj.thetas[: traj.last_index + 1]
        (line,) = ax.plot(path[:, 0], path[:, 1], **_kw(st, marker="every" if markers else None, ms=3.5),
                          label=label(name, traj), zorder=4)
        ax.plot(path[:1, 0], path[:1, 1], "o", color="black", ms=5, zorder=6)
        if traj.diverged_at >= 0:
            ax.plot(path[-1:, 0], path[-1:, 1], "x", color=st["color"], ms=10, mew=2.5, zorder=6)
        lines.append(line)
    _note(ax, _paths_note(runs))
    return lines


def _paths_note(runs):
    text = f"paths of {', '.join(runs)} from the start (black dot), one marker per step"
    gone = [f"{n} diverged at step {t.diverged_at} (×)" for n, t in runs.items() if t.diverged_at >= 0]
    return text + ("; " + ", ".join(gone) if gone else "")


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
    r"""Loss against step for each run; on a log scale of :math:`J - J^*` when ``min_value`` is given.

    Returns the lines, one per run.
    """
    lines = []
    for i, (name, st) in enumerate(styles(runs).items()):
        traj = runs[name]
        loss = _loss_curve(traj, min_value)
        lines += ax.plot(np.arange(len(loss)), loss, **_kw(st, k=i), label=label(name, traj))
    _loss_axes(ax, min_value, xlabel)
    return lines


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
        for i, (name, st) in enumerate(styles(names).items()):
            self.artists[name] = (
                self.ax_path.plot([], [], **_kw(st, marker="every", ms=3.5), zorder=4)[0],
                self.ax_path.plot([], [], "o", color="black", ms=5, zorder=6)[0],
                self.ax_path.plot([], [], "x", color=st["color"], ms=10, mew=2.5, zorder=6)[0],
                self.ax_loss.plot([], [], **_kw(st, k=i))[0],
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
            self._legend = self.ax_loss.legend(handles=shown, loc="upper right", **_LEGEND) if shown else None
        self.ax_path.__dict__["_gdcourse_notes"] = self.ax_path._gdcourse_notes[:1] + (
            [_paths_note({n: runs[n] for n in self.artists if n in runs})] if shown else [])
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
    for i, (name, st) in enumerate(styles(histories).items()):
        hist = histories[name]
        loss = np.asarray(hist.epoch_losses, dtype=np.float64)
        if min_value is not None:
            loss = np.maximum(loss - min_value, 1e-16)
        xs = np.arange(len(loss)) if x == "epoch" else np.asarray(hist.epoch_times)
        lines += ax.plot(xs, loss, **_kw(st, marker="every" if len(loss) <= 30 else "sparse", k=i),
                         label=_history_label(name, hist))
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
    for i, (name, st) in enumerate(styles(histories).items()):
        hist = histories[name]
        bl = np.asarray(hist.batch_losses, dtype=np.float64)
        # Update t's loss is measured before it, at epoch (t - 1) / updates per epoch.
        xs = np.arange(len(bl)) / max(hist.updates_per_epoch, 1) if per_epoch else np.arange(1, len(bl) + 1)
        lines += ax.plot(xs, bl, **_kw(st, lw=lw, ms=3.5, k=i), label=_history_label(name, hist))
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
        for i, (name, st) in enumerate(styles(names).items()):
            self.artists[name] = (self.ax_epoch.plot([], [], **_kw(st, marker="every", ms=3.5))[0],
                                  self.ax_batch.plot([], [], **_kw(st, lw=0.8, ms=3.5, k=i))[0])
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
            self.legend = self.ax_epoch.legend(handles=shown, loc="upper right", **_LEGEND) if shown else None
        return self


# --- Momentum and NAG: the look-ahead arrows, sweeps over hyperparameters ----------------

from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from .run import steps_to  # noqa: E402

__all__ += ["NESTEROV_COLORS", "nesterov_arrows", "plot_sweep", "sweep_heatmap"]

#: Colours of the text's Image 4 (G. Hinton's lecture 6c): NAG's jump (brown), correction (red) and
#: update (green), Momentum's step (blue). Each arrow also has its own line style (:data:`NESTEROV_LINES`).
NESTEROV_COLORS = {"jump": PALETTE["RMSprop"], "correction": PALETTE["SGD"], "nag": PALETTE["NAG"],
                   "momentum": PALETTE["Momentum"]}
#: Line styles of the arrows, so that they are told apart without their colours too.
NESTEROV_LINES = {"jump": "--", "correction": ":", "nag": "-", "momentum": "-."}


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
    c, ls = NESTEROV_COLORS, NESTEROV_LINES
    drawn, handles = {}, []
    if eta_grad_here is not None:
        here = _vector("eta_grad_here", eta_grad_here)
        drawn["momentum_gradient"] = _arrow(ax, theta, -here, c["momentum"], lw=1.8, ls=ls["momentum"])
        drawn["momentum_jump"] = _arrow(ax, theta - here, -gamma_v, c["momentum"], lw=1.8, ls=ls["momentum"])
        handles.append(Line2D([], [], color=c["momentum"], lw=1.8, ls=ls["momentum"],
                              label="Momentum: −η∇J(θ), then −γv (blue, dash-dot)"))
    drawn["jump"] = _arrow(ax, theta, -gamma_v, c["jump"], ls=ls["jump"])
    drawn["correction"] = _arrow(ax, theta - gamma_v, -ahead, c["correction"], ls=ls["correction"])
    drawn["nag"] = _arrow(ax, theta, -(gamma_v + ahead), c["nag"], lw=2.8, ls=ls["nag"])
    handles += [Line2D([], [], color=c["jump"], lw=2.2, ls=ls["jump"], label="NAG jump −γv (brown, dashed)"),
                Line2D([], [], color=c["correction"], lw=2.2, ls=ls["correction"],
                       label="correction −η∇J(θ − γv) (red, dotted)"),
                Line2D([], [], color=c["nag"], lw=2.8, ls=ls["nag"], label="NAG update −vₜ (green, solid)")]
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
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0, **_LEGEND)
    _note(ax, "one NAG update drawn as arrows from θ (black dot): the jump −γv, the correction "
              "−η∇J(θ − γv) and their sum, NAG's update" + (", beside Momentum's step" if eta_grad_here is not None
                                                            else ""))
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
        name -> the steps drawn (``-1`` where the run never got within ``tol``); its
        attribute ``lines`` holds the artists drawn (a line per run, and the × marks).
    """
    x = np.asarray(x, dtype=np.float64)
    top = blended_transform_factory(ax.transData, ax.transAxes)
    out = Drawn()
    for i, (name, st) in enumerate(styles(runs).items()):
        traj = runs[name]
        needed = np.atleast_1d(steps_to(traj, min_value, tol))
        if needed.shape != x.shape:
            raise ValueError(f"Invalid runs[{name!r}]: {needed.size} configurations ({x.size} values of x)")
        out.lines += ax.plot(x, np.where(needed >= 0, needed, np.nan), **_kw(st, marker="every", ms=4), label=name)
        bad = np.atleast_1d(traj.diverged)
        # Only when there is something to mark: an empty unclipped line breaks constrained layout.
        if bad.any():
            out.lines += ax.plot(x[bad], np.full(bad.sum(), 0.97 - 0.04 * i), "x", color=st["color"], ms=6,
                                 mew=1.5, transform=top, clip_on=False)
        out[name] = needed
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"steps until J − J* < {tol:g} for good")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", title="× = diverged", title_fontsize=8, **_LEGEND)
    return out


class Drawn(dict):
    """What a plot function computed (a dict), with the artists it drew in :attr:`lines`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = []


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
        label -> ``(x, y)``; each label is drawn in its :func:`style`.
    markers : bool
        Mark every point (otherwise about ten markers along each curve).
    """
    lines = []
    for i, (name, st) in enumerate(styles(curves).items()):
        xs, ys = curves[name]
        lines += ax.plot(xs, ys, **_kw(st, marker="every" if markers else "sparse", ms=3.5, k=i), label=name)
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
            for i, (name, st) in enumerate(styles(self.runs).items()):
                c, ls, mk = st["color"], st["linestyle"], st["marker"]
                if panel == "surface":
                    arts = (ax.plot([], [], [], color=c, ls=ls, lw=1.6)[0],
                            ax.plot([], [], [], mk, color=c, ms=6)[0])
                else:
                    arts = (ax.plot([], [], color=c, ls=ls, lw=1.6, zorder=4)[0],
                            ax.plot([], [], mk, color=c, ms=7, mec="black", mew=0.5, zorder=6)[0])
                self.lines.setdefault(name, []).append((panel, arts))
            _note(ax, f"race of {', '.join(self.runs)} on the {objective.name} objective, each a line to a "
                      "marker at its current step" + (" on the 3-D surface" if panel == "surface" else ""))
        self.axes = fig.axes[-len(panels):]
        # The legend shows each run's line and its marker, as on the panels.
        handles = [Line2D([], [], color=st["color"], ls=st["linestyle"], lw=1.6, marker=st["marker"], ms=6,
                          mec="black", mew=0.5) for st in styles(self.runs).values()]
        fig.legend(handles, [label(n, t) for n, t in self.runs.items()], loc="outside right center",
                   frameon=False, **_LEGEND)
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

    rgb = [to_rgb(c) for c in (*PALETTE.values(), *_NAMED.values(), *_EXTRA, "gold")] + [(g, g, g) for g in np.linspace(0, 1, 24)]
    flat = (np.array(rgb) * 255).round().astype(np.uint8).ravel().tolist()
    pal = PIL.Image.new("P", (1, 1))
    pal.putpalette(flat + [0] * (768 - len(flat)))
    return pal


# data-lm-suppress-shortcuts: in JupyterLab the arrow keys then move the frame slider, not the notebook.
_PLAYER = """<div id="{id}" class="gdcourse-animation" data-lm-suppress-shortcuts="true" style="max-width:{width}px">
<div class="gdcourse-animation-frame"><img src="data:image/png;base64,{first}" alt="{alt}" style="width:100%;height:auto"></div>
<div style="display:flex;align-items:center;gap:0.6em;font:13px sans-serif">
<button type="button" style="min-width:6em">&#9654; play</button>
<input type="range" min="0" max="{last}" value="0" step="1" style="flex:1"
 aria-label="animation frame: the step shown" aria-valuetext="step {step0}">
<span>step {step0}</span></div></div>
<script>(function () {{
  var root = document.getElementById("{id}"), frames = {frames}, steps = {steps};
  var img = root.querySelector("img"), button = root.querySelector("button"),
      slider = root.querySelector("input"), text = root.querySelector("span"), i = 0, timer = null;
  function show(j) {{
    i = j; img.src = "data:image/png;base64," + frames[j]; slider.value = j;
    text.textContent = "step " + steps[j]; slider.setAttribute("aria-valuetext", "step " + steps[j]);
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
        self.fps = fps
        self.alt = (f"Animation of {', '.join(runs)} on the {objective.name} objective, drawn step by step from "
                    f"step 0 to {self.race.n_steps}: each run a line ending in its marker. "
                    f"{alt_text(self.figure)}")
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
        import html
        import json
        import uuid

        b64 = [base64.b64encode(f).decode("ascii") for f in self.frames]
        return _PLAYER.format(id=f"gdcourse-anim-{uuid.uuid4().hex[:12]}", width=int(self.figure.bbox.width),
                              first=b64[0], alt=html.escape(self.alt, quote=True), last=len(b64) - 1, step0=int(self.steps[0]),
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
    is marked on its worker's row and labelled with its staleness. Returns the artists: a bar
    collection per worker, the arrival marks, and the staleness labels.
    """
    until = result.step_end.max() if until is None else until
    W = int(result.step_worker.max()) + 1
    drawn = []
    for w in range(W):
        mine = (result.step_worker == w) & (result.step_start < until)
        spans = [(s, e - s) for s, e in zip(result.step_start[mine], result.step_end[mine])]
        drawn.append(ax.broken_barh(spans, (w - 0.3, 0.6), facecolors=_EXTRA[w % len(_EXTRA)], alpha=0.35,
                                    edgecolors="black", linewidth=0.6))
    arrived = (result.apply_shard == shard) & (result.apply_time <= until) & (result.apply_worker >= 0)
    drawn += ax.plot(result.apply_time[arrived], result.apply_worker[arrived] + 0.42, "v", color="black", ms=5)
    for t, w, s in zip(result.apply_time[arrived], result.apply_worker[arrived], result.staleness[arrived]):
        drawn.append(ax.text(t, w + 0.5, str(s), ha="center", va="bottom", fontsize=8))
    ax.set_yticks(range(W), [f"worker {w}" for w in range(W)])
    ax.set_ylim(-0.6, W + 0.2)
    ax.set_xlim(0, until)
    ax.set_xlabel("simulated time (units of the mean compute time)")
    ax.set_title("gradients in flight; ▼ = applied by the server, with its staleness")
    _note(ax, f"timeline of {W} workers, each gradient computation a bar on its worker's row")
    return drawn


def plot_staleness(ax, results):
    """Histogram of the staleness of every applied update (``results``: label -> SimResult), means marked.

    Returns the artists: each result's histogram outline and its mean's vertical line.
    """
    drawn = []
    for i, (name, st) in enumerate(styles(results).items()):
        s = results[name].staleness
        bins = np.arange(-0.5, s.max() + 1.5) if s.size else [0, 1]
        *_, patches = ax.hist(s, bins=bins, density=True, histtype="step", lw=1.6, color=st["color"],
                              ls=st["linestyle"])
        drawn += list(patches)
        # The legend shows the mean's line: its line style and marker, not the outline's colour alone.
        drawn.append(ax.axvline(s.mean(), color=st["color"], ls=st["linestyle"], lw=1.2, marker=st["marker"],
                                markevery=[1], ms=6, label=f"{name}: mean {s.mean():.1f}"))
    ax.set_xlabel("staleness (updates applied between read and write)")
    ax.set_ylabel("fraction of updates")
    ax.legend(**_LEGEND)
    ax.grid(alpha=0.3)
    return drawn


def plot_sim_losses(ax, results, x="steps", min_value=None):
    r"""Loss of the server's parameters against gradients computed (``x="steps"``) or simulated time.

    With ``min_value`` (:math:`J^*`) the curves show :math:`J - J^*` on a log scale. Returns the lines.
    """
    if x not in ("steps", "time"):
        raise ValueError(f"Invalid x: {x!r} (must be 'steps' or 'time')")
    lines = []
    for i, (name, st) in enumerate(styles(results).items()):
        r = results[name]
        loss = r.losses if min_value is None else np.maximum(r.losses - min_value, 1e-16)
        xs = r.steps if x == "steps" else r.times
        lab = name + (f" (diverged after {r.diverged_at} gradients)" if np.ndim(r.diverged_at) == 0
                      and r.diverged_at >= 0 else "")
        lines += ax.plot(xs, loss, **_kw(st, k=i), label=lab)
    _loss_axes(ax, min_value, "gradients computed (all workers)" if x == "steps"
               else "simulated time (units of the mean compute time)")
    ax.minorticks_off()  # minor ticks of a log axis cost more to draw than the curves
    ax.legend(**_LEGEND)
    return lines


def plot_drift(ax, results, x="steps"):
    r"""How far the workers' parameters are from the server's: :math:`\sqrt{\frac1W\sum_i\lVert x^i-\theta\rVert^2}`.

    Returns the lines.
    """
    lines = []
    for i, (name, st) in enumerate(styles(results).items()):
        r = results[name]
        lines += ax.plot(r.steps if x == "steps" else r.times, r.drift, **_kw(st, k=i), label=name)
    ax.set_xlabel("gradients computed (all workers)" if x == "steps" else "simulated time")
    ax.set_ylabel("RMS distance of workers from the server")
    ax.legend(**_LEGEND)
    ax.grid(alpha=0.3)
    return lines


def plot_hogwild(ax, runs, x="updates"):
    """Loss of the shared weights against updates made or wall-clock seconds (``runs``: label -> HogwildRun).

    Returns the lines.
    """
    if x not in ("updates", "time"):
        raise ValueError(f"Invalid x: {x!r} (must be 'updates' or 'time')")
    lines = []
    for i, (name, st) in enumerate(styles(runs).items()):
        r = runs[name]
        lines += ax.plot(r.updates if x == "updates" else r.times * 1e3, r.losses,
                         **_kw(st, marker="every" if len(r.losses) < 25 else "sparse", ms=3.5, k=i), label=name)
    ax.set_xlabel("updates made (all workers)" if x == "updates" else "wall-clock milliseconds")
    ax.set_ylabel("J(w) on all the data")
    ax.legend(**_LEGEND)
    ax.grid(alpha=0.3)
    return lines


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


def _luminance(c):
    from matplotlib.colors import to_rgb

    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in to_rgb(c)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(c1, c2):
    """WCAG contrast ratio of two colours (1 to 21)."""
    a, b = sorted((_luminance(c1), _luminance(c2)))
    return (b + 0.05) / (a + 0.05)


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
                color="black" if after or _contrast(color(name, i), "white") < 4.5 else "white",
                bbox=dict(boxstyle="round,pad=0.35", fc="white" if after else color(name, i),
                          ec=color(name, i) if not after else "black", ls="--" if after else "-", lw=1.4))
    ax.set_xlim(-4.0, 4.3)
    ax.set_ylim(-1.1, 4.4)
    ax.axis("off")
    return ax


_show_figures_in_ipython()
