"""Throughput of the parallel-SGD code: real Hogwild! updates per second and simulated events per second.

Run: python bench/bench_parallel.py. Prints numbers only (no goals are asserted anywhere): on a machine
with 2 shared cores, the Hogwild! figures say as much about the other programs as about Hogwild!.
"""
import statistics
import time

import numpy as np

from gdcourse import datasets, hogwild, models, optimizers, parallel


def bench_hogwild(repeats=3):
    data = datasets.sparse_classification(4000, [4 / 400] * 400, seed=0)
    hogwild.hogwild(data.X, data.y, workers=1, epochs=1)  # start the fork server once
    for workers, lock in ((1, False), (2, False), (1, True), (2, True)):
        rates = [hogwild.hogwild(data.X, data.y, workers=workers, lock=lock, lr=0.3, epochs=5).updates_per_second
                 for _ in range(repeats)]
        kind = "locked" if lock else "lock-free"
        print(f"Hogwild! {workers} worker(s), {kind:9s}  median {statistics.median(rates):9.0f} updates/s   "
              f"(runs: {', '.join(f'{r:.0f}' for r in rates)})")


def bench_simulator(repeats=3):
    d = datasets.breast_cancer()
    problem = parallel.Problem(models.LogisticRegression(), d.X, d.y)
    cases = {
        "downpour, 16 workers, SGD, batch 8": lambda: parallel.downpour(
            problem, np.zeros(problem.d), optimizers.SGD(lr=0.1), workers=16, steps=4000, batch_size=8),
        "downpour, 16 workers, 4 shards, latency": lambda: parallel.downpour(
            problem, np.zeros(problem.d), optimizers.Adagrad(lr=0.1), workers=16, shards=4, steps=4000,
            batch_size=8, latency=0.3),
        "easgd async, 8 workers, tau 4": lambda: parallel.easgd(
            problem, np.zeros(problem.d), lr=0.1, rho=1.0, tau=4, workers=8, steps=4000, batch_size=8),
    }
    for label, case in cases.items():
        rates, grads = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            r = case()
            seconds = time.perf_counter() - start
            rates.append(r.events / seconds)
            grads.append(r.steps[-1] / seconds)
        print(f"simulator: {label:42s} median {statistics.median(rates):8.0f} events/s "
              f"({statistics.median(grads):7.0f} gradients/s)")


if __name__ == "__main__":  # the workers' fork server re-imports this file: keep the work under the guard
    bench_hogwild()
    bench_simulator()
