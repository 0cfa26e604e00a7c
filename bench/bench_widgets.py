"""How long one slider change takes in each explorer: recompute and redraw (median of repeats).

Run: python bench/bench_widgets.py. Goal: median <= 100 ms on a 2-core machine.
"""
import statistics
import time

from gdcourse import widgets

CASES = {
    "ravine, SGD + Momentum, 100 steps": dict(rules=["SGD", "Momentum"], objective="ravine", steps=100,
                                               shared={"gamma": 0.9}, change=("gamma", [0.5, 0.9])),
    "rosenbrock, all ten rules, 300 steps": dict(rules=list(widgets.RULES), objective="rosenbrock", steps=300,
                                                  shared={"gamma": 0.9, "beta1": 0.9, "beta2": 0.999},
                                                  change=("beta1", [0.8, 0.9])),
}


def bench(change, repeats=15, **kwargs):
    ex = widgets.explore(**kwargs)
    name, values = change
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        ex.controls[name].value = values[i % 2]
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


if __name__ == "__main__":
    for label, case in CASES.items():
        med, worst = bench(**case)
        print(f"{label:45s} median {med * 1e3:6.1f} ms   max {worst * 1e3:6.1f} ms")
