"""What one slider change costs in the kernel, per explorer: compute the data and serialise them.

The live front-end sends only numbers; the browser draws. A change therefore costs the
kernel's computation (a look-up when the page's grid holds the setting, a run otherwise) and
the JSON the widget sends. ``bench/bench_lab.py`` measures the whole way, keydown to picture,
in a real JupyterLab.

The live widget also computes, after every move, the settings one step away on the control that
moved and sends them ahead (``gdcourse/explorers/live.py``): "a move, ahead included" is the kernel's whole
work for one move down the slider to a setting not seen before (the messages are not sent here).

Run: ``python bench/bench_widgets.py``. Prints the median and the maximum over alternating changes,
and over moves down the slider.
"""
import json
import statistics
import time

from gdcourse import explorers
from gdcourse.optimizers import RULES

_RACE_LR = {"SGD": 0.03, "Momentum": 0.003, "NAG": 0.003, "Adagrad": 1.0, "RMSprop": 0.03, "Adam": 0.3,
            "AdaMax": 1.0, "Nadam": 0.3, "AMSGrad": 0.3}

def _race():
    return explorers.paths(list(RULES), "beale", steps=300, lr=_RACE_LR, start=True, play=True)

def _step(ex, name, k):
    """The k-th alternating position of slider ``name``: its last two values (its maximum included)."""
    c = ex.controls[name]
    return c.values[-1 - (k % 2)]

CASES = {
    "ravine, SGD + Momentum, γ": (lambda: explorers.paths(["SGD", "Momentum"], lr={"SGD": 0.9, "Momentum": 0.09},
                                                           shared={"gamma": 0.9}), "gamma"),
    "ravine, three rules, 500 steps, γ": (lambda: explorers.paths(["Adagrad", "Adadelta", "RMSprop"], steps=500,
                                                                   lr={"Adagrad": 0.2, "RMSprop": 0.02},
                                                                   shared={"gamma": ((0.0, 0.3, 0.6, 0.9), 0.9)}),
                                          "gamma"),
    "race: ten rules, 300 steps, θ₁ start (live only)": (_race, "x0"),
    "race: ten rules, 300 steps, step shown": (_race, "shown"),
    "race: ten rules, 300 steps, η Adam": (_race, "lr_Adam"),
    "conclusion: ten rules, β₁ (live only)": (lambda: explorers.paths(
        list(RULES), "rosenbrock", steps=300, shared={"gamma": ((0.0, 0.5, 0.9, 0.99), 0.9),
                                                      "beta1": ((0.0, 0.5, 0.9), 0.9, False)}), "beta1"),
    "online problem: β₂": (explorers.online, "beta2"),
    "online problem: period p (live only)": (explorers.online, "period"),
    "downpour: replicas W": (explorers.downpour_explorer, "W"),
    "hogwild: features p": (explorers.hogwild_explorer, "p"),
    "delays: workers W": (explorers.delay_explorer, "W"),
    "sync vs async: workers K": (explorers.sync_explorer, "K"),
    "easgd: τ": (explorers.easgd_explorer, "tau"),
    "orders: η": (explorers.orders_explorer, "l"),
    "batchnorm: init scale": (explorers.batchnorm_explorer, "s"),
    "early stopping: patience": (explorers.early_stopping_explorer, "p"),
    "gradient noise: η": (explorers.noise_explorer, "l"),
}

def bench(make, name, repeats=15):
    ex = make()
    ex.page_data()          # what displaying it computes first (the page's grid)
    ex.data()
    times = []
    for k in range(repeats):
        start = time.perf_counter()
        ex.set(**{name: _step(ex, name, k)})
        json.dumps(ex.data())
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), len(json.dumps(ex.data()))


def bench_ahead(make, name, repeats=15):
    """The live widget's work for a move one step down ``name`` to a new setting, what it sends ahead included."""
    w = make().widget
    w.send = lambda content, buffers: None
    w._message(w, {"want": "neighbours"}, [])      # what a new view asks for first
    times = []
    for j in range(w.index[name] - 1, max(-1, w.index[name] - 1 - repeats), -1):
        start = time.perf_counter()
        w.index = {**w.index, name: j}
        times.append(time.perf_counter() - start)
    return (statistics.median(times), max(times)) if times else (float("nan"), float("nan"))

if __name__ == "__main__":
    for label, (make, name) in CASES.items():
        med, worst, size = bench(make, name)
        a_med, a_worst = bench_ahead(make, name)
        print(f"{label:50s} median {med * 1e3:6.1f} ms   max {worst * 1e3:6.1f} ms   {size / 1e3:6.1f} kB sent;"
              f"   a move, ahead included: median {a_med * 1e3:6.1f} ms   max {a_worst * 1e3:6.1f} ms")
