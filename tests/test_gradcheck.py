"""gdcourse.gradcheck: the finite-difference gradient checker itself."""
import numpy as np
import pytest

from gdcourse import gradcheck


def test_gradient_checker_catches_a_wrong_gradient():
    f = lambda th: np.sum(th**3)
    assert gradcheck.check_grad(f, lambda th: 3 * th**2, np.array([0.5, -1.0])) < 1e-8
    with pytest.raises(AssertionError, match="gradient check failed"):
        gradcheck.check_grad(f, lambda th: 2 * th**2, np.array([0.5, -1.0]))
    # A wrong gradient at a point where the true one vanishes is still caught.
    with pytest.raises(AssertionError, match="absolute error"):
        gradcheck.check_grad(lambda th: np.sum(th**2), lambda th: th + 1e-3, np.zeros(2))


def test_the_gradient_checker_refuses_a_bad_step_or_tolerance():
    f, g = (lambda th: float(np.sum(th**2))), (lambda th: 2 * th)
    with pytest.raises(ValueError, match="Invalid h: 0"):
        gradcheck.numerical_grad(f, np.ones(2), h=0)
    with pytest.raises(ValueError, match="Invalid tol: -1"):
        gradcheck.check_grad(f, g, np.ones(2), tol=-1)
