"""Loss-panel limits in whole decades: the explorers redraw the axes only when a curve crosses a decade."""
import numpy as np
from matplotlib.figure import Figure

import gdcourse.optimizers as O
from gdcourse import plotting, widgets
from gdcourse.objectives import get
from gdcourse.run import run_many


def _is_power_of_ten(x):
    return np.isclose(np.log10(x), np.round(np.log10(x)))


def test_decades_rounds_the_loss_limits_out_to_powers_of_ten_around_the_curves():
    obj = get("ravine")
    runs = run_many({"Adagrad": O.Adagrad(lr=0.5), "RMSprop": O.RMSprop(lr=0.01)}, obj, obj.start, 200)
    plain = plotting.PathPlot(Figure(), obj, list(runs)).update(runs)
    snapped = plotting.PathPlot(Figure(), obj, list(runs)).update(runs, decades=True)
    lo, hi = snapped.ax_loss.get_ylim()
    assert _is_power_of_ten(lo) and _is_power_of_ten(hi)
    p_lo, p_hi = plain.ax_loss.get_ylim()
    assert lo <= p_lo < 10 * lo and hi / 10 < p_hi <= hi          # the least widening that reaches a decade


def test_a_small_slider_move_keeps_the_explorer_loss_axes():
    ex = widgets.explore(["Adagrad", "RMSprop"], objective="ravine", steps=200,
                         lr={"Adagrad": 0.5, "RMSprop": 0.01}, shared={"gamma": 0.9})
    before = ex.plot.ax_loss.get_ylim()
    ex.controls["lr_Adagrad"].value = 0.55
    assert ex.plot.ax_loss.get_ylim() == before
    assert all(_is_power_of_ten(v) for v in before)
