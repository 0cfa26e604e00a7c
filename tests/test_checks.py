"""gdcourse.checks: the argument checks every module calls, and the messages they give."""
import numpy as np
import pytest

from gdcourse import checks


def test_integer_returns_an_int_or_names_the_parameter_and_the_range():
    assert checks.integer("steps", np.int64(3), 0) == 3 and type(checks.integer("steps", 3, 0)) is int
    for bad in (-1, 2.0, True, "3", None):
        with pytest.raises(ValueError, match=r"Invalid steps: .* \(must be an integer >= 0\)"):
            checks.integer("steps", bad, 0)
    with pytest.raises(ValueError, match=r"Invalid k: 5 \(must be an integer in \[1, 4\]\)"):
        checks.integer("k", 5, 1, 4)


def test_real_accepts_finite_numbers_and_arrays_in_range_only():
    assert checks.real("lr", 0.1, strict=True) == 0.1
    np.testing.assert_array_equal(checks.real("lr", [0.1, 1.0], strict=True), [0.1, 1.0])
    for bad in (0.0, -1.0, np.inf, np.nan, True, "0.1", [], [0.1, -1.0]):
        with pytest.raises(ValueError, match=r"Invalid lr: .* \(must be a finite number > 0\)"):
            checks.real("lr", bad, strict=True)
    with pytest.raises(ValueError, match=r"\(must be a finite number >= 0 and <= 1\)"):
        checks.real("drop", 1.5, hi=1.0)


def test_choice_lists_the_options():
    assert checks.choice("size", "small", ("small", "full")) == "small"
    with pytest.raises(ValueError, match=r"Invalid size: 'big' \(must be one of small, full\)"):
        checks.choice("size", "big", ("small", "full"))
