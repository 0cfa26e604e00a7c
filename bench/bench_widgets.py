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

# Gradient descent variants: the worst case, batch size 1 (n * epochs = 384 updates) against 2.
CASES["variants, batch size 1 <-> 2, 64 x 6 epochs"] = dict(
    make=widgets.explore_variants, change=("batch_size", [1, 2]))
CASES["variants, eta at batch size 1, 64 x 6 epochs"] = dict(
    make=widgets.explore_variants, batch_size=1, change=("lr", [0.02, 0.05]))

# AMSGrad: Reddi et al.'s online problem, Adam + AMSGrad, 2 x 600 projected steps per redraw.
CASES["online (Reddi), Adam + AMSGrad, beta2"] = dict(
    make=widgets.explore_online, change=("beta2", [0.99, 0.999]))
CASES["online (Reddi), Adam + AMSGrad, period"] = dict(
    make=widgets.explore_online, change=("period", [101, 51]))
CASES["rosenbrock, Adam + AMSGrad, 300 steps"] = dict(
    rules=["Adam", "AMSGrad"], objective="rosenbrock", steps=300, lr={"Adam": 0.05, "AMSGrad": 0.05},
    shared={"beta1": 0.9, "beta2": 0.99}, change=("beta2", [0.9, 0.99]))

# Momentum and NAG chapters: their explorers at their default values.
CASES["ravine, SGD + Momentum (chapter 3 defaults), gamma"] = dict(
    rules=["SGD", "Momentum"], objective="ravine", lr={"SGD": 0.9, "Momentum": 0.09}, shared={"gamma": 0.9},
    change=("gamma", [0.5, 0.9]))
CASES["ravine, SGD + Momentum + NAG (chapter 4 defaults), gamma"] = dict(
    rules=["SGD", "Momentum", "NAG"], objective="ravine", lr={"SGD": 0.9, "Momentum": 0.09, "NAG": 0.09},
    shared={"gamma": 0.9}, change=("gamma", [0.5, 0.9]))
CASES["rosenbrock, SGD + Momentum + NAG, 100 steps, eta NAG"] = dict(
    rules=["SGD", "Momentum", "NAG"], objective="rosenbrock", lr={"SGD": 1e-3, "Momentum": 1e-3, "NAG": 1e-3},
    shared={"gamma": 0.9}, change=("lr_NAG", [1e-3, 2e-3]))

# Adam, AdaMax and Nadam chapters: the heaviest of their explorers (three rules, four shared
# sliders) at its default values, and on Rosenbrock with 1000 steps (the slider's maximum).
CASES["ravine, RMSprop + Momentum + Adam (chapter 8 defaults), beta1"] = dict(
    rules=["RMSprop", "Momentum", "Adam"], objective="ravine",
    lr={"RMSprop": 0.126, "Momentum": 0.2, "Adam": 0.316},
    shared={"gamma": 0.9, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, change=("beta1", [0.8, 0.9]))
CASES["rosenbrock, Adam + NAG + Nadam, 1000 steps, beta1"] = dict(
    rules=["Adam", "NAG", "Nadam"], objective="rosenbrock", steps=1000,
    lr={"Adam": 1.0, "NAG": 0.001, "Nadam": 0.05},
    shared={"gamma": 0.9, "beta1": 0.9, "beta2": 0.999}, change=("beta1", [0.8, 0.9]))


# Adagrad, Adadelta and RMSprop chapters: their explorers at their default values; chapters 6 and 7
# are the heaviest (2 x 1000 and 3 x 500 steps per redraw).
CASES["ravine, SGD + Momentum + Adagrad (chapter 5 defaults), eps"] = dict(
    rules=["SGD", "Momentum", "Adagrad"], objective="ravine", lr={"SGD": 0.9, "Momentum": 0.09, "Adagrad": 1.0},
    shared={"gamma": 0.9, "eps": 1e-8}, change=("eps", [1e-4, 1e-8]))
CASES["ravine, Adagrad + Adadelta, 1000 steps (chapter 6 defaults), eps"] = dict(
    rules=["Adagrad", "Adadelta"], objective="ravine", steps=1000, lr={"Adagrad": 0.01},
    shared={"gamma": 0.9, "eps": 1e-6}, change=("eps", [1e-4, 1e-6]))
CASES["ravine, Adagrad + Adadelta + RMSprop, 500 steps (chapter 7 defaults), gamma"] = dict(
    rules=["Adagrad", "Adadelta", "RMSprop"], objective="ravine", steps=500,
    lr={"Adagrad": 0.2, "RMSprop": 0.02}, shared={"gamma": 0.9}, change=("gamma", [0.5, 0.9]))


def bench(change, repeats=15, make=None, **kwargs):
    ex = (make or widgets.explore)(**kwargs)
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
