"""The real data sets the chapters use, all shipped inside scikit-learn (nothing is downloaded).

Features are standardised (zero mean, unit variance per column), as the
optimizers in this course assume well-scaled inputs. :func:`sparse_classification`
generates sparse 0/1 features instead (not standardised: sparsity is its point).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks

__all__ = ["Dataset", "breast_cancer", "diabetes", "digits", "sparse_classification"]


@dataclass(frozen=True)
class Dataset:
    """Features ``X`` (n, p), targets ``y`` (n,), names and a one-line description.

    Generated data sets also carry ``theta_true``, the parameters (weights then
    bias) the labels were drawn with; it is ``None`` for real data.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple
    description: str
    theta_true: np.ndarray = None

    @property
    def n(self):
        return self.X.shape[0]

    def split(self, val_fraction=0.25, seed=0):
        """A seeded random split into (train, validation) data sets."""
        checks.real("val_fraction", val_fraction, lo=0.0, strict=True, allowed="must be in (0, 1)")
        if val_fraction >= 1:
            raise ValueError(f"Invalid val_fraction: {val_fraction!r} (must be in (0, 1))")
        idx = np.random.default_rng(seed).permutation(self.n)
        n_val = max(1, int(round(val_fraction * self.n)))
        pick = lambda i: Dataset(self.X[i], self.y[i], self.feature_names, self.description, self.theta_true)
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


# --- Generated sparse data (the Adagrad, "Which optimizer" and Hogwild chapters) ---------


def sparse_classification(n, frequencies, seed=0):
    r"""Binary classification with sparse 0/1 features, each present with its own frequency.

    Feature :math:`j` is present in an example with probability :math:`f_j`, and
    the label is drawn from a logistic model with weights :math:`\pm 2` (random
    signs) and bias 0:

    .. math::
        x_{ij} \sim \mathrm{Bernoulli}(f_j), \qquad
        y_i \sim \mathrm{Bernoulli}\bigl(\sigma(w^{*\top} x_i)\bigr), \qquad
        w^*_j \in \{-2, 2\}

    The features are not standardised: a feature that is absent contributes a
    zero gradient, which is what makes the data sparse for an optimizer.

    Parameters
    ----------
    n : int
        Number of examples (>= 1).
    frequencies : sequence of float
        :math:`f_j \in (0, 1]` for each feature, e.g. ``np.geomspace(0.5, 0.01, 20)``.
    seed : int
        Seed of the generator: the same seed gives the same data.

    Returns
    -------
    Dataset
        ``X`` of shape (n, p) with 0/1 entries, ``y`` of 0/1 labels, and
        ``theta_true = (w*, 0)`` in the layout of :class:`gdcourse.models.LogisticRegression`.
    """
    checks.integer("n", n, 1)
    f = np.asarray(frequencies, dtype=np.float64)
    if f.ndim != 1 or f.size == 0 or not np.all(np.isfinite(f) & (f > 0) & (f <= 1)):
        raise ValueError(f"Invalid frequencies: {frequencies!r} (must be a non-empty sequence of numbers in (0, 1])")
    rng = np.random.default_rng(seed)
    X = (rng.random((n, f.size)) < f).astype(np.float64)
    w = 2.0 * rng.choice([-1.0, 1.0], size=f.size)
    p = np.exp(-np.logaddexp(0.0, -(X @ w)))
    y = (rng.random(n) < p).astype(np.float64)
    names = tuple(f"x{j} (f={fj:.3g})" for j, fj in enumerate(f))
    return Dataset(X, y, names, f"Sparse 0/1 features with frequencies {f.min():.3g} to {f.max():.3g} "
                   f"({n} examples, {f.size} features, binary)", np.append(w, 0.0))
