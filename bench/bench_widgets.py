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
CASES["rosenbrock, Adam + AMSGrad, 200 steps (chapter 11 defaults)"] = dict(
    rules=["Adam", "AMSGrad"], objective="rosenbrock", steps=200, lr={"Adam": 0.05, "AMSGrad": 0.05},
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
# are the heaviest (2 x 500 and 3 x 500 steps per redraw).
CASES["ravine, SGD + Momentum + Adagrad (chapter 5 defaults), eps"] = dict(
    rules=["SGD", "Momentum", "Adagrad"], objective="ravine", lr={"SGD": 0.9, "Momentum": 0.09, "Adagrad": 1.0},
    shared={"gamma": 0.9, "eps": 1e-8}, change=("eps", [1e-4, 1e-8]))
CASES["ravine, Adagrad + Adadelta, 500 steps (chapter 6 defaults), eps"] = dict(
    rules=["Adagrad", "Adadelta"], objective="ravine", steps=500, lr={"Adagrad": 0.01},
    shared={"gamma": 0.9, "eps": 1e-6}, change=("eps", [1e-4, 1e-6]))
CASES["ravine, Adagrad + Adadelta + RMSprop, 500 steps (chapter 7 defaults), gamma"] = dict(
    rules=["Adagrad", "Adadelta", "RMSprop"], objective="ravine", steps=500,
    lr={"Adagrad": 0.2, "RMSprop": 0.02}, shared={"gamma": 0.9}, change=("gamma", [0.5, 0.9]))


# Parallel and distributed SGD chapters (15-19): every redraw runs the simulator at the explorer's
# default size; the delay explorer's worst case re-runs both rules over its whole grid of η.
CASES["hogwild (simulated), workers 8 <-> 16"] = dict(
    make=widgets.explore_hogwild, change=("workers", [8, 16]))
CASES["downpour, replicas 4 <-> 8"] = dict(make=widgets.explore_downpour, change=("workers", [4, 8]))
CASES["downpour, server SGD <-> Adagrad"] = dict(make=widgets.explore_downpour, change=("rule", ["SGD", "Adagrad"]))
CASES["delays, workers 32 <-> 64, never cached (two grid runs)"] = dict(
    make=widgets.explore_delays, cache=False, change=("workers", [32, 64]))
CASES["delays, eta (runs cached)"] = dict(make=widgets.explore_delays, change=("lr", [0.3, 3.0]))
CASES["sync vs async, workers 4 <-> 8"] = dict(make=widgets.explore_sync, change=("workers", [4, 8]))
CASES["easgd, rho 0.5 <-> 1"] = dict(make=widgets.explore_easgd, change=("rho", [0.5, 1.0]))
CASES["easgd, tau 4 <-> 8"] = dict(make=widgets.explore_easgd, change=("tau", [4, 8]))

# Visualization: the race explorer, all ten rules on Beale for 300 steps, at the chapter's learning
# rates. Playing re-slices cached runs; one rule's eta reruns that rule; a new start reruns all ten.
_RACE = dict(rules=list(widgets.RULES), objective="beale", steps=300, play=True,
             lr={"SGD": 0.03, "Momentum": 0.003, "NAG": 0.003, "Adagrad": 1.0, "RMSprop": 0.03,
                 "Adam": 0.3, "AdaMax": 1.0, "Nadam": 0.3, "AMSGrad": 0.3})
CASES["race: beale, ten rules, play a frame"] = dict(**_RACE, change=("shown", [120, 240]))
CASES["race: beale, ten rules, one rule's eta"] = dict(**_RACE, change=("lr_Adam", [0.1, 0.3]))
CASES["race: beale, ten rules, start (all rerun)"] = dict(**_RACE, change=("x0", [1.0, 1.2]))


def _comparison():
    from gdcourse import compare

    return widgets.explore_comparison(compare.sweep([p for p in compare.suite() if p.name in ("ravine", "saddle")]))


# Which optimizer: the comparison explorer only redraws curves of a finished sweep.
CASES["comparison: problem ravine <-> saddle"] = dict(make=_comparison, change=("problem", ["saddle", "ravine"]))
CASES["comparison: factor 1.5 <-> 10"] = dict(make=_comparison, change=("factor", [1.5, 10.0]))

# Additional strategies (chapters 20-23): every change retrains, except where noted.
CASES["orders: eta (two trainings, 400 digits x 3 epochs)"] = dict(
    make=widgets.explore_orders, change=("lr", [0.3, 0.5]))
CASES["orders: sorted <-> mixed curriculum (reference cached)"] = dict(
    make=widgets.explore_orders, change=("order", ["sorted by label", "curriculum, mixed"]))
CASES["batchnorm: eta (BN on, 4 x 16 ReLU, 32 updates)"] = dict(
    make=widgets.explore_batchnorm, change=("lr", [0.5, 1.0]))
CASES["batchnorm: BN on <-> off"] = dict(make=widgets.explore_batchnorm, change=("batchnorm", [False, True]))
CASES["batchnorm: init scale"] = dict(make=widgets.explore_batchnorm, change=("scale", [0.5, 1.0]))
CASES["early stopping: patience (one run, no retraining)"] = dict(
    make=widgets.explore_early_stopping, change=("patience", [2, 5]))
CASES["early stopping: eta (each eta trained once, then cached)"] = dict(
    make=widgets.explore_early_stopping, change=("lr", [0.003, 0.001]))
CASES["gradient noise: eta (16 noisy runs + 1, 300 steps)"] = dict(
    make=widgets.explore_gradient_noise, change=("eta", [1.0, 100.0]))
CASES["gradient noise: gamma"] = dict(make=widgets.explore_gradient_noise, change=("gamma", [0.3, 0.55]))


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
