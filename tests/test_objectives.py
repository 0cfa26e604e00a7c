"""Objectives: analytic gradients (checked by finite differences), vectorisation, minimisers."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdcourse import gradcheck
from gdcourse.objectives import OBJECTIVES, Quadratic, get

OBJS = list(OBJECTIVES.values())


@settings(max_examples=25, deadline=None)
@given(obj=st.sampled_from(OBJS), x=st.floats(-2, 2), y=st.floats(-2, 2))
def test_analytic_gradient_matches_finite_differences(obj, x, y):
    theta = np.array([x, y])
    gradcheck.check_grad(obj.value, obj.grad, theta)


@pytest.mark.parametrize("obj", [o for o in OBJS if len(o.minima)], ids=lambda o: o.name)
def test_gradient_check_passes_at_a_stationary_point(obj):
    # Both gradients are ~0 there: the relative error is meaningless, the absolute one is tiny.
    gradcheck.check_grad(obj.value, obj.grad, obj.minima[0])


@pytest.mark.parametrize("obj", OBJS, ids=lambda o: o.name)
def test_value_and_grad_are_vectorised_over_leading_axes(obj):
    rng = np.random.default_rng(0)
    grid = rng.uniform(-2, 2, size=(3, 4, 2))
    values, grads = obj.value(grid), obj.grad(grid)
    assert values.shape == (3, 4) and grads.shape == (3, 4, 2)
    for i in np.ndindex(3, 4):
        assert values[i] == pytest.approx(obj.value(grid[i]))
        np.testing.assert_allclose(grads[i], obj.grad(grid[i]))


@pytest.mark.parametrize("obj", [o for o in OBJS if len(o.minima)], ids=lambda o: o.name)
def test_minimisers_are_stationary_and_lower_than_their_neighbourhood(obj):
    rng = np.random.default_rng(1)
    for m in obj.minima:
        np.testing.assert_allclose(obj.grad(m), 0, atol=1e-9)
        around = m + rng.normal(scale=1e-2, size=(50, 2))
        assert np.all(obj.value(around) > obj.value(m))


@pytest.mark.parametrize("obj", OBJS, ids=lambda o: o.name)
def test_start_point_lies_in_the_plotting_window(obj):
    (x0, x1), (y0, y1) = obj.window
    assert x0 < obj.start[0] < x1 and y0 < obj.start[1] < y1


def test_styblinski_tang_has_one_global_and_three_worse_local_minima():
    obj = get("styblinski-tang")
    vals = obj.value(obj.minima)
    assert vals[0] == obj.min_value and np.all(vals[1:] > vals[0] + 1)


def test_saddle_is_unbounded_below_and_flat_at_the_origin():
    obj = get("saddle")
    assert len(obj.minima) == 0 and obj.min_value == -np.inf
    np.testing.assert_array_equal(obj.grad(obj.saddle_points[0]), [0.0, 0.0])


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="Invalid objective: 'nope'"):
        get("nope")
    with pytest.raises(ValueError, match="Invalid a"):
        Quadratic(a=(1.0, -1.0))
    with pytest.raises(ValueError, match="Invalid theta shape"):
        get("beale").value(np.zeros(3))
