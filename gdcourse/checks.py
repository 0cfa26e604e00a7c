"""Argument checks, written once: every module of gdcourse validates its input through these.

Each returns the value it checked (as an ``int``, a ``float`` or a float array) or raises
``ValueError("Invalid <name>: <value> (<what is allowed>)")``, the message torch.optim made familiar.
"""
from __future__ import annotations

import numpy as np


def integer(name, value, lo, hi=None, allowed=None):
    """``value`` as an ``int`` in ``[lo, hi]``, or a ``ValueError`` naming it and the allowed range."""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
            or value < lo or (hi is not None and value > hi)):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"Invalid {name}: {value!r} ({allowed or f'must be an integer {rng}'})")
    return int(value)


def real(name, value, lo=0.0, strict=False, hi=None, allowed=None):
    """A finite float (or float array) ``>= lo`` (``> lo`` if ``strict``; ``<= hi`` if given).

    Raises a ``ValueError`` naming the parameter, the value and the allowed range otherwise,
    also for booleans, strings and empty arrays.
    """
    op = ">" if strict else ">="
    if allowed is None:
        allowed = f"must be a finite number {op} {lo:g}" + ("" if hi is None else f" and <= {hi:g}")
    bad = ValueError(f"Invalid {name}: {value!r} ({allowed})")
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise bad
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise bad from None
    if (arr.dtype.kind == "b" or arr.size == 0 or not np.all(np.isfinite(arr))
            or np.any(arr <= lo if strict else arr < lo) or (hi is not None and np.any(arr > hi))):
        raise bad
    return float(arr) if arr.ndim == 0 else arr


def choice(name, value, options):
    """``value`` if it is one of ``options``, or a ``ValueError`` listing them."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"Invalid {name}: {value!r} (must be one of {', '.join(map(str, options))})")
    return value
