"""The real data sets the chapters use, all shipped inside scikit-learn (nothing is downloaded).

Features are standardised (zero mean, unit variance per column), as the
optimizers in this course assume well-scaled inputs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Dataset", "breast_cancer", "diabetes", "digits"]


@dataclass(frozen=True)
class Dataset:
    """Features ``X`` (n, p), targets ``y`` (n,), names and a one-line description."""

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple
    description: str

    @property
    def n(self):
        return self.X.shape[0]

    def split(self, val_fraction=0.25, seed=0):
        """A seeded random split into (train, validation) data sets."""
        if not (0 < val_fraction < 1):
            raise ValueError(f"Invalid val_fraction: {val_fraction!r} (must be in (0, 1))")
        idx = np.random.default_rng(seed).permutation(self.n)
        n_val = max(1, int(round(val_fraction * self.n)))
        pick = lambda i: Dataset(self.X[i], self.y[i], self.feature_names, self.description)
        return pick(idx[n_val:]), pick(idx[:n_val])


def _standardise(X):
    X = np.asarray(X, dtype=np.float64)
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def breast_cancer():
    """Wisconsin breast cancer: 569 tumours, 30 features, y = 1 for benign (binary)."""
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    return Dataset(_standardise(d.data), d.target.astype(np.float64), tuple(d.feature_names),
                   "Wisconsin diagnostic breast cancer (569 tumours, 30 features, binary)")


def diabetes():
    """Diabetes progression: 442 patients, 10 features, a standardised real-valued target."""
    from sklearn.datasets import load_diabetes

    d = load_diabetes()
    y = d.target.astype(np.float64)
    return Dataset(_standardise(d.data), (y - y.mean()) / y.std(), tuple(d.feature_names),
                   "Diabetes disease progression after one year (442 patients, 10 features)")


def digits():
    """Handwritten digits: 1797 8×8 images, 64 pixel features, labels 0–9."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return Dataset(_standardise(d.data), d.target.astype(np.int64), tuple(d.feature_names),
                   "Handwritten digits 0-9 (1797 images of 8x8 pixels)")
