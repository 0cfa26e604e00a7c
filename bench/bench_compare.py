"""What the comparison of the rules costs, and what vectorising the learning-rate grid saves.

Run: python bench/bench_compare.py [--full]. Prints, per problem of the suite, the sweep's
wall time and its cost per (rule x learning rate x seed x update); then, for one rule, the
time of one vectorised grid call against the same configurations run one by one in a
Python loop (goal: the grid call >= 10x faster).
"""
import sys
import time

import numpy as np

from gdcourse import compare
from gdcourse.optimizers import RULES


def sweep_costs(problems):
    total = 0.0
    for p in problems:
        start = time.perf_counter()
        compare.sweep([p])
        elapsed = time.perf_counter() - start
        total += elapsed
        configs = len(RULES) * (len(compare.LRS) + 1) * p.seeds * p.steps
        print(f"{p.name:16s} {elapsed:6.2f} s   {elapsed / configs * 1e6:6.2f} µs per (rule × η × seed × update)")
    print(f"{'whole sweep':16s} {total:6.2f} s")


def grid_against_loop(problem, rule="Adam", repeats=3):
    hp = compare.grid_hyperparams(rule, compare.LRS)
    k = len(hp["lr"])

    def grid():
        problem.run(rule, hp, 0)

    def loop():
        for j in range(k):
            problem.run(rule, {"lr": hp["lr"][j:j + 1]}, 0)

    times = {}
    for name, f in (("grid", grid), ("loop", loop)):
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            f()
            best = min(best, time.perf_counter() - start)
        times[name] = best
    print(f"{problem.name:16s} {rule}: {k} learning rates in one grid call {times['grid'] * 1e3:7.1f} ms, "
          f"one by one {times['loop'] * 1e3:7.1f} ms: {times['loop'] / times['grid']:5.1f}x")


if __name__ == "__main__":
    problems = compare.suite("full" if "--full" in sys.argv else "small")
    sweep_costs(problems)
    for p in problems:
        if p.name in ("rosenbrock", "logistic", "mlp"):
            grid_against_loop(p)
