"""AdaptiveRevision: Adagrad without delays, the revision by hand, and the structure of a public implementation."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gdcourse.optimizers as O
from gdcourse.delay_tolerant import AdaptiveRevision


def test_adaptive_revision_one_step_by_hand():
    opt = AdaptiveRevision(lr=1.0, eps=0.0)
    theta = opt.step(np.array([0.0]), lambda _: np.array([3.0]))          # z' = 9, eta = 1/3
    np.testing.assert_allclose(theta, [-1.0])
    # g = 1 arrives late: 3 was applied meanwhile. z' = 9 + 1 + 2*1*3 = 16, eta = 1/4;
    # theta = -1 - 1/4 * 1 + (1/3 - 1/4) * 3 = -1 (exactly one step of 1/4 on g_1 + g_2 = 4).
    theta = opt.step(theta, lambda _: np.array([1.0]), g_bck=np.array([3.0]))
    np.testing.assert_allclose(theta, [-1.0])
    assert opt.state["zprime"][0] == 16.0


def test_without_g_bck_it_is_adagrad_bit_for_bit():
    rng = np.random.default_rng(0)
    ar, ada = AdaptiveRevision(lr=0.3), O.Adagrad(lr=0.3)
    a = b = np.ones(5)
    for _ in range(50):
        g = rng.standard_normal(5)
        a, b = ar.step(a, lambda _: g), ada.step(b, lambda _: g)
        assert np.array_equal(a, b)


def test_g_bck_is_an_argument_not_state_left_behind():
    # The delay belongs to one step: a later step without g_bck sees no delay.
    opt = AdaptiveRevision(lr=1.0, eps=0.0)
    theta = opt.step(np.array([0.0]), lambda _: np.array([1.0]))
    theta = opt.step(theta, lambda _: np.array([1.0]), g_bck=np.array([1.0]))
    z = opt.state["zprime"].copy()
    opt.step(theta, lambda _: np.array([1.0]))
    assert opt.state["zprime"][0] == z[0] + 1.0
    assert not any(k.startswith("_") for k in vars(opt) if k not in ("state",))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.01, 10.0), min_size=1, max_size=12), st.floats(0.01, 2.0))
def test_gradients_all_in_flight_land_where_one_adagrad_step_on_their_sum_does(gs, lr):
    # k gradients read at the same point and applied one after the other: the revisions
    # re-apply the earlier ones with the final rate, and z' = (g_1 + ... + g_k)^2.
    opt = AdaptiveRevision(lr=lr, eps=0.0)
    theta, applied = np.array([0.5]), 0.0
    for g in gs:
        theta = opt.step(theta, lambda _: np.array([g]), g_bck=np.array([applied]))
        applied += g
    one = O.Adagrad(lr=lr, eps=0.0).step(np.array([0.5]), lambda _: np.array([sum(gs)]))
    np.testing.assert_allclose(theta, one, rtol=1e-9, atol=1e-12)


def _wormhole_like(events, alpha):
    """A per-key server in the structure of dmlc/wormhole's delay-tolerant AdaGrad (beta = 0, no penalty).

    Each key keeps w, the sum of applied gradients, z and its running maximum. A pull records the
    sum; at the push g_bck = sum now - sum at the pull; z += g^2 + 2 g g_bck; the inverse rate
    before the update comes from the old maximum; w = w - g / eta + g_bck (1 / eta_old - 1 / eta).
    """
    w = grad_sum = z = zmax = 0.0
    pulled = {}
    for kind, who, g in events:
        if kind == "pull":
            pulled[who] = grad_sum
            continue
        g_bck = grad_sum - pulled.pop(who)
        z += g * g + 2 * g * g_bck
        eta_old = np.sqrt(zmax) / alpha
        zmax = max(zmax, z)
        eta = np.sqrt(zmax) / alpha
        grad_sum += g
        w = w - g / eta + (g_bck * (1 / eta_old - 1 / eta) if eta_old > 0 else 0.0)
    return w


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.floats(-3.0, 3.0).filter(lambda v: abs(v) > 0.05)),
                min_size=1, max_size=30),
       st.floats(0.05, 2.0))
def test_matches_the_structure_of_a_public_delay_tolerant_adagrad(pushes, alpha):
    # Four workers pull, then push in the drawn order; both servers see the same messages.
    opt = AdaptiveRevision(lr=alpha, eps=0.0)
    theta, grad_sum = np.array([0.0]), 0.0
    events, pulled = [], {}
    for who in range(4):
        events.append(("pull", who, 0.0))
        pulled[who] = 0.0
    for who, g in pushes:
        events.append(("push", who, g))
        theta = opt.step(theta, lambda _: np.array([g]), g_bck=np.array([grad_sum - pulled[who]]))
        grad_sum += g
        events.append(("pull", who, 0.0))
        pulled[who] = grad_sum
    np.testing.assert_allclose(theta[0], _wormhole_like(events, alpha), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kwargs, message", [(dict(lr=0.0), "Invalid lr: 0.0"), (dict(eps=-1.0), "Invalid eps")])
def test_bad_hyperparameters_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AdaptiveRevision(**kwargs)
