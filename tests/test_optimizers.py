"""The update rules of gdcourse.optimizers: the ten against the text's equations, their contract and
laws; AdamW; Recorder."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gdcourse.optimizers as O
from gdcourse.loops import train
from gdcourse.models import L2Regularized, LinearRegression
from gdcourse.objectives import Quadratic, Rosenbrock
from gdcourse.run import run, run_grid
from gdcourse.schedules import InverseTimeDecay


ALL = list(O.RULES)


# J(θ) = ½ Σ a_i θ_i², ∇J = a ⊙ θ: a gradient that changes with θ, so NAG's look-ahead matters.
A = np.array([0.5, 2.0])


THETA0 = np.array([1.0, -2.0])


def grad(theta):
    return A * theta


def by_hand(rule, steps, **hp):
    """The text's equations for one coordinate at a time, in plain floats (no numpy)."""
    out = []
    for a, th in zip(A.tolist(), THETA0.tolist()):
        g_of = lambda x: a * x
        v = G = Eg2 = Ed2 = m = u = vhat = 0.0
        path = []
        for t in range(1, steps + 1):
            if rule == "SGD":
                th = th - hp["lr"] * g_of(th)
            elif rule == "Momentum":
                v = hp["gamma"] * v + hp["lr"] * g_of(th)
                th = th - v
            elif rule == "NAG":
                v = hp["gamma"] * v + hp["lr"] * g_of(th - hp["gamma"] * v)
                th = th - v
            elif rule == "Adagrad":
                g = g_of(th)
                G = G + g * g
                th = th - hp["lr"] / math.sqrt(G + hp["eps"]) * g
            elif rule == "Adadelta":
                g = g_of(th)
                Eg2 = hp["gamma"] * Eg2 + (1 - hp["gamma"]) * g * g
                d = -math.sqrt(Ed2 + hp["eps"]) / math.sqrt(Eg2 + hp["eps"]) * g
                Ed2 = hp["gamma"] * Ed2 + (1 - hp["gamma"]) * d * d
                th = th + d
            elif rule == "RMSprop":
                g = g_of(th)
                Eg2 = hp["gamma"] * Eg2 + (1 - hp["gamma"]) * g * g
                th = th - hp["lr"] / math.sqrt(Eg2 + hp["eps"]) * g
            elif rule in ("Adam", "Nadam", "AMSGrad"):
                g = g_of(th)
                b1, b2 = hp["beta1"], hp["beta2"]
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                mh, vh = m / (1 - b1**t), v / (1 - b2**t)
                if rule == "Adam":
                    th = th - hp["lr"] / (math.sqrt(vh) + hp["eps"]) * mh
                elif rule == "Nadam":
                    th = th - hp["lr"] / (math.sqrt(vh) + hp["eps"]) * (b1 * mh + (1 - b1) * g / (1 - b1**t))
                else:
                    vhat = max(vhat, v)
                    th = th - hp["lr"] / (math.sqrt(vhat) + hp["eps"]) * m
            elif rule == "AdaMax":
                g = g_of(th)
                m = hp["beta1"] * m + (1 - hp["beta1"]) * g
                u = max(hp["beta2"] * u, abs(g))
                th = th - hp["lr"] / u * (m / (1 - hp["beta1"] ** t))
            path.append(th)
        out.append(path)
    return np.array(out).T  # (steps, d)


# Settings away from the defaults so that a wrong symbol shows (β₁ ≠ β₂, ε not negligible).
HP = {
    "SGD": dict(lr=0.1),
    "Momentum": dict(lr=0.1, gamma=0.7),
    "NAG": dict(lr=0.1, gamma=0.7),
    "Adagrad": dict(lr=0.3, eps=0.01),
    "Adadelta": dict(gamma=0.8, eps=0.01),
    "RMSprop": dict(lr=0.05, gamma=0.8, eps=0.01),
    "Adam": dict(lr=0.1, beta1=0.6, beta2=0.8, eps=0.01),
    "AdaMax": dict(lr=0.1, beta1=0.6, beta2=0.8),
    "Nadam": dict(lr=0.1, beta1=0.6, beta2=0.8, eps=0.01),
    "AMSGrad": dict(lr=0.1, beta1=0.6, beta2=0.8, eps=0.01),
}


@pytest.mark.parametrize("rule", ALL)
def test_first_steps_match_the_texts_equations(rule):
    opt = O.RULES[rule](**HP[rule])
    theta, got = THETA0, []
    for _ in range(5):
        theta = opt.step(theta, grad)
        got.append(theta)
    np.testing.assert_allclose(np.array(got), by_hand(rule, 5, **HP[rule]), rtol=1e-13, atol=1e-15)


# A few first steps worked out with pencil and paper on J(θ) = θ²/2 from θ₀ = 1 (g = θ).
PENCIL = [
    # SGD, η = 0.1: θ₁ = 1 − 0.1 = 0.9; θ₂ = 0.9 − 0.09 = 0.81
    ("SGD", dict(lr=0.1), [0.9, 0.81]),
    # Momentum, η = 0.1, γ = 0.9: v₁ = 0.1, θ₁ = 0.9; v₂ = 0.09 + 0.09 = 0.18, θ₂ = 0.72
    ("Momentum", dict(lr=0.1, gamma=0.9), [0.9, 0.72]),
    # NAG: v₁ = 0.1·g(1) = 0.1, θ₁ = 0.9; look-ahead 0.9 − 0.09 = 0.81, v₂ = 0.09 + 0.081 = 0.171, θ₂ = 0.729
    ("NAG", dict(lr=0.1, gamma=0.9), [0.9, 0.729]),
    # Adagrad, η = 0.1, ε = 0: G₁ = 1, θ₁ = 0.9; G₂ = 1.81, θ₂ = 0.9 − 0.1·0.9/√1.81
    ("Adagrad", dict(lr=0.1, eps=0.0), [0.9, 0.9 - 0.09 / math.sqrt(1.81)]),
    # RMSprop, η = 0.1, γ = 0.9, ε = 0: E₁ = 0.1, θ₁ = 1 − 0.1/√0.1
    ("RMSprop", dict(lr=0.1, gamma=0.9, eps=0.0), [1 - 0.1 / math.sqrt(0.1)]),
    # Adam, any β: m̂₁ = g, v̂₁ = g², so θ₁ = 1 − η·1/(1 + ε) = 0.9 for ε = 0
    ("Adam", dict(lr=0.1, eps=0.0), [0.9]),
    # AdaMax: u₁ = |g| = 1, m̂₁ = 1, θ₁ = 1 − η = 0.9
    ("AdaMax", dict(lr=0.1), [0.9]),
    # Nadam, β₁ = 0.9: m̂₁ = 1, v̂₁ = 1: θ₁ = 1 − 0.1·(0.9 + 0.1/0.1) = 0.81
    ("Nadam", dict(lr=0.1, beta1=0.9, eps=0.0), [0.81]),
    # AMSGrad, no bias correction: m₁ = 0.1, v̂₁ = 0.001, θ₁ = 1 − 0.1·0.1/√0.001
    ("AMSGrad", dict(lr=0.1, eps=0.0), [1 - 0.01 / math.sqrt(0.001)]),
    # Adadelta, γ = 0.9, ε = 1e-2: E[g²]₁ = 0.1, Δθ₁ = −√0.01/√0.11 · 1
    ("Adadelta", dict(gamma=0.9, eps=0.01), [1 - 0.1 / math.sqrt(0.11)]),
]


@pytest.mark.parametrize("rule,hp,expected", PENCIL, ids=[p[0] for p in PENCIL])
def test_first_steps_match_pencil_and_paper(rule, hp, expected):
    opt = O.RULES[rule](**hp)
    theta = np.array([1.0])
    for want in expected:
        theta = opt.step(theta, lambda th: th)
        assert theta[0] == pytest.approx(want, rel=1e-12)


def test_defaults_are_the_texts_values():
    assert O.Momentum().gamma == 0.9 and O.NAG().gamma == 0.9
    assert O.Adagrad().lr == 0.01 and O.Adagrad().eps == 1e-8
    assert O.RMSprop().lr == 0.001 and O.RMSprop().gamma == 0.9
    assert (O.Adam().beta1, O.Adam().beta2, O.Adam().eps) == (0.9, 0.999, 1e-8)
    assert (O.AdaMax().lr, O.AdaMax().beta1, O.AdaMax().beta2) == (0.002, 0.9, 0.999)
    assert "lr" not in O.Adadelta().hyperparams
    assert "eps" not in O.AdaMax().hyperparams


def test_nag_takes_the_gradient_at_the_look_ahead_point():
    seen = []
    opt = O.NAG(lr=0.1, gamma=0.5)
    theta = np.array([2.0])
    for _ in range(2):
        theta = opt.step(theta, lambda th: (seen.append(th.copy()), th)[1])
    # Second step: look-ahead θ₁ − γ v₁ with v₁ = 0.1·2 = 0.2, θ₁ = 1.8.
    assert seen[1][0] == pytest.approx(1.8 - 0.5 * 0.2)


# Convergence on two objectives with stated settings (rule: (ravine lr, steps), (rosenbrock lr, steps)).
CONVERGE = {
    "SGD": (0.5, 300, 1e-3, 20000),
    "Momentum": (0.1, 300, 1e-4, 5000),
    "NAG": (0.1, 300, 1e-4, 5000),
    "Adagrad": (1.0, 500, 0.5, 5000),
    "Adadelta": (None, 3000, None, 20000),
    "RMSprop": (0.05, 600, 1e-3, 10000),
    "Adam": (0.1, 600, 0.02, 5000),
    "AdaMax": (0.1, 600, 0.02, 5000),
    "Nadam": (0.1, 600, 0.02, 5000),
    "AMSGrad": (0.1, 600, 0.02, 5000),
}


@pytest.mark.parametrize("rule", ALL)
def test_every_rule_converges_on_the_ravine_and_rosenbrock(rule):
    lr_r, n_r, lr_b, n_b = CONVERGE[rule]
    kw = lambda lr: {} if lr is None else {"lr": lr}
    ravine = run(O.RULES[rule](**kw(lr_r)), Quadratic(), (-9.0, 2.0), n_r)
    assert ravine.diverged_at == -1
    assert np.linalg.norm(ravine.final) < 0.05, ravine.final
    rosen = run(O.RULES[rule](**kw(lr_b)), Rosenbrock(), (-1.5, 2.0), n_b)
    assert rosen.diverged_at == -1
    assert rosen.final_loss < 0.1 * rosen.losses[0], rosen.final  # at least ten times lower


@pytest.mark.parametrize("rule", ALL)
@pytest.mark.parametrize("name,bad", [
    ("lr", -0.1), ("lr", 0.0), ("lr", float("nan")), ("lr", float("inf")), ("lr", "0.1"), ("lr", True),
    ("gamma", 1.0), ("gamma", -0.1), ("beta1", 1.0), ("beta2", 1.5), ("beta2", float("nan")),
    ("eps", -1e-8), ("eps", float("inf")), ("lr", np.array([0.1, -0.1])), ("lr", None),
])
def test_invalid_hyperparameters_raise_a_clear_value_error(rule, name, bad):
    cls = O.RULES[rule]
    if name not in cls.defaults:
        with pytest.raises(ValueError, match=f"{name}"):
            cls(**{name: 0.5})
        return
    with pytest.raises(ValueError) as err:
        cls(**{name: bad})
    msg = str(err.value)
    assert msg.startswith(f"Invalid {name}: ") and "must be" in msg


def test_invalid_lr_set_later_by_a_schedule_raises_too():
    opt = O.SGD()
    with pytest.raises(ValueError, match=r"Invalid lr: -1 \(must be a finite number > 0\)"):
        opt.lr = -1


@pytest.mark.parametrize("rule", ALL)
def test_state_has_the_texts_names_and_resumes_bit_for_bit(rule):
    opt = O.RULES[rule](**HP[rule])
    assert set(opt.state) == {"t", *opt.state_names}
    theta = THETA0
    for _ in range(3):
        theta = opt.step(theta, grad)
    saved, theta_saved = opt.state_dict(), theta.copy()
    for _ in range(4):
        theta = opt.step(theta, grad)
    other = O.RULES[rule]()
    other.load_state_dict(saved)
    resumed = theta_saved
    for _ in range(4):
        resumed = other.step(resumed, grad)
    assert np.array_equal(theta, resumed)
    assert other.state["t"] == 7
    other.reset()
    assert other.state["t"] == 0


def test_state_names_are_the_texts_symbols():
    names = {r: set(O.RULES[r].state_names) for r in ALL}
    assert names["Momentum"] == {"v"} and names["Adagrad"] == {"G"}
    assert names["Adadelta"] == {"Eg2", "Edtheta2"} and names["RMSprop"] == {"Eg2"}
    assert names["Adam"] == {"m", "v"} and names["AdaMax"] == {"m", "u"}
    assert names["AMSGrad"] == {"m", "v", "vhat"}


def test_adamax_zero_gradient_at_the_start_does_not_divide_by_zero():
    opt = O.AdaMax()
    with np.errstate(all="raise"):
        theta = opt.step(np.array([1.0, 2.0]), lambda th: np.array([0.0, 1.0]))
    assert theta[0] == 1.0 and np.isfinite(theta).all()


def test_wrong_state_dict_is_refused():
    with pytest.raises(ValueError, match="state keys"):
        O.Adam().load_state_dict(O.Momentum().state_dict())


def test_make_builds_by_name_and_refuses_unknown_rules():
    assert isinstance(O.make("Adadelta", lr=0.1, gamma=0.95), O.Adadelta)
    with pytest.raises(ValueError, match="Invalid rule: 'Adamm'"):
        O.make("Adamm")


finite = st.floats(-10, 10, allow_nan=False)


points = st.lists(finite, min_size=2, max_size=2).map(np.array)


@settings(max_examples=30, deadline=None)
@given(rule=st.sampled_from([r for r in ALL if "lr" in O.RULES[r].defaults]), theta=points)
def test_vanishing_learning_rate_leaves_theta_unchanged(rule, theta):
    opt = O.RULES[rule](lr=1e-300)
    new = opt.step(theta, lambda th: th + 1.0)
    np.testing.assert_allclose(new, theta, rtol=0, atol=1e-250)


@settings(max_examples=30, deadline=None)
@given(grads=st.lists(points, min_size=2, max_size=12))
def test_adagrad_per_coordinate_step_size_never_grows(grads):
    opt = O.Adagrad(lr=0.1)
    sizes = []
    for g in grads:
        opt.step(np.zeros(2), lambda th: g)
        sizes.append(opt.lr / np.sqrt(opt.state["G"] + opt.eps))
    assert np.all(np.diff(np.array(sizes), axis=0) <= 0)


@settings(max_examples=30, deadline=None)
@given(grads=st.lists(points, min_size=2, max_size=12), beta2=st.floats(0, 0.999))
def test_amsgrad_vhat_never_decreases(grads, beta2):
    opt = O.AMSGrad(beta2=beta2)
    seen = []
    for g in grads:
        opt.step(np.zeros(2), lambda th: g)
        seen.append(opt.state["vhat"].copy())
    assert np.all(np.diff(np.array(seen), axis=0) >= 0)
    assert np.all(np.array(seen) >= 0)


@settings(max_examples=15, deadline=None)
@given(rule=st.sampled_from(ALL), lrs=st.lists(st.floats(1e-3, 0.5), min_size=1, max_size=4))
def test_a_grid_run_equals_the_single_runs(rule, lrs):
    obj = Rosenbrock()
    key = "lr" if "lr" in O.RULES[rule].defaults else "eps"
    values = np.array(lrs) if key == "lr" else np.array(lrs) * 1e-3
    grid = run_grid(rule, obj, obj.start, 30, **{key: values})
    for i, value in enumerate(values):
        single = run(O.RULES[rule](**{key: value}), obj, np.array(obj.start), 30)
        np.testing.assert_array_equal(grid.thetas[:, i], single.thetas)
        assert grid.diverged_at[i] == single.diverged_at



# --- AdamW (decoupled weight decay) against hand-computed steps, and the l2-regularised model ---

ADAMW_A = np.array([0.5, 2.0])


ADAMW_THETA0 = np.array([1.0, -2.0])


def adamw_grad(theta):
    return ADAMW_A * theta


def test_adamw_is_not_one_of_the_texts_rules_and_has_adams_state():
    assert "AdamW" not in O.RULES
    opt = O.AdamW()
    assert opt.hyperparams == {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}
    assert set(opt.state) == {"t", "m", "v"}


def test_adamw_first_two_steps_by_hand():
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.999, 1e-8, 0.2
    opt = O.AdamW(lr=lr, beta1=b1, beta2=b2, eps=eps, weight_decay=wd)
    theta = ADAMW_THETA0.copy()
    by_hand = []
    for a, th in zip(ADAMW_A.tolist(), ADAMW_THETA0.tolist()):
        m = v = 0.0
        path = []
        for t in (1, 2):
            g = a * th
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            mh, vh = m / (1 - b1**t), v / (1 - b2**t)
            th = th - lr * (mh / (math.sqrt(vh) + eps) + wd * th)
            path.append(th)
        by_hand.append(path)
    for t in range(2):
        theta = opt.step(theta, adamw_grad)
        np.testing.assert_allclose(theta, [by_hand[0][t], by_hand[1][t]], rtol=1e-14)
    # Step 1 by hand in closed form: m-hat / sqrt(v-hat) = sign(g), so theta_1 = theta_0 - lr (sign g + wd theta_0).
    np.testing.assert_allclose(O.AdamW(lr=lr, weight_decay=wd, eps=0.0).step(ADAMW_THETA0, adamw_grad),
                               ADAMW_THETA0 - lr * (np.sign(ADAMW_A * ADAMW_THETA0) + wd * ADAMW_THETA0), rtol=1e-14)


def test_adamw_with_zero_decay_is_adam():
    a, b = O.AdamW(lr=0.05, weight_decay=0.0), O.Adam(lr=0.05)
    ta = tb = ADAMW_THETA0
    for _ in range(5):
        ta, tb = a.step(ta, adamw_grad), b.step(tb, adamw_grad)
    np.testing.assert_array_equal(ta, tb)


def test_with_a_zero_gradient_adamw_shrinks_by_a_constant_factor_and_adam_with_l2_by_a_fixed_step():
    zero = lambda th: np.zeros_like(th)
    theta = np.array([1.0, 100.0])
    opt = O.AdamW(lr=0.01, weight_decay=0.1)
    after = opt.step(theta, zero)
    np.testing.assert_allclose(after, theta * (1 - 0.01 * 0.1))
    # The same decay as an l2 gradient inside Adam: m-hat/sqrt(v-hat) = 1, a step of lr whatever the size.
    l2 = O.Adam(lr=0.01, eps=0.0).step(theta, lambda th: 0.1 * th)
    np.testing.assert_allclose(theta - l2, [0.01, 0.01])


def test_weight_decay_is_validated():
    with pytest.raises(ValueError, match="Invalid weight_decay: -0.1"):
        O.AdamW(weight_decay=-0.1)


def test_l2_regularized_model_adds_the_penalty_and_its_gradient():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 2)), rng.normal(size=10)
    base, reg = LinearRegression(), L2Regularized(LinearRegression(), 0.3)
    theta = rng.normal(size=3)
    assert reg.loss(theta, X, y) == pytest.approx(base.loss(theta, X, y) + 0.15 * theta @ theta)
    np.testing.assert_allclose(reg.grad(theta, X, y), base.grad(theta, X, y) + 0.3 * theta)
    np.testing.assert_allclose(reg.predict(theta, X), base.predict(theta, X))
    with pytest.raises(ValueError, match="Invalid weight_decay"):
        L2Regularized(base, -1.0)


def test_sgd_on_the_l2_model_is_sgd_with_weight_decay():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 2)), rng.normal(size=10)
    model, theta = LinearRegression(), rng.normal(size=3)
    reg = L2Regularized(model, 0.3)
    step = O.SGD(lr=0.1).step(theta, lambda th: reg.grad(th, X, y))
    np.testing.assert_allclose(step, (1 - 0.1 * 0.3) * theta - 0.1 * model.grad(theta, X, y))



# --- Recorder: the state of a rule after every step, through run() and train() ----------------

def test_recorded_adagrad_state_is_the_running_sum_of_squared_gradients():
    obj = Quadratic()
    rec = O.Recorder(O.Adagrad(lr=0.5))
    traj = run(rec, obj, obj.start, 20)
    g = obj.grad(traj.thetas[:-1])
    h = rec.history
    assert h["G"].shape == (20, 2) and h["dtheta"].shape == (20, 2)
    np.testing.assert_allclose(h["G"], np.cumsum(g**2, axis=0))
    np.testing.assert_allclose(h["dtheta"], np.diff(traj.thetas, axis=0))
    np.testing.assert_array_equal(h["G"][-1], rec.state["G"])


def test_recording_does_not_change_the_run():
    obj = Quadratic()
    plain = run(O.Adadelta(), obj, obj.start, 30)
    rec = O.Recorder(O.Adadelta())
    recorded = run(rec, obj, obj.start, 30)
    np.testing.assert_array_equal(plain.thetas, recorded.thetas)
    assert set(rec.history) == {"Eg2", "Edtheta2", "dtheta"}


def test_reset_forgets_and_hyperparameters_pass_through_to_the_rule():
    rec = O.Recorder(O.RMSprop(lr=0.01))
    assert rec.lr == 0.01 and rec.gamma == 0.9
    rec.step(np.ones(2), lambda th: th)
    assert len(rec.history["Eg2"]) == 1 and rec.state["t"] == 1
    rec.reset()
    assert len(rec.history["Eg2"]) == 0 and rec.state["t"] == 0
    rec.lr = 0.5
    assert rec.optimizer.lr == 0.5
    with pytest.raises(ValueError, match="Invalid lr: -1"):
        rec.lr = -1


def test_a_schedule_and_the_training_loop_drive_the_wrapped_rule():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = X @ np.array([1.0, -1.0])
    rec = O.Recorder(O.SGD(lr=0.1))
    hist = train(LinearRegression(), rec, X, y, np.zeros(3), epochs=2, batch_size=10,
                 schedule=InverseTimeDecay(0.1, k=1.0))
    assert rec.history["dtheta"].shape == (6, 3)
    assert rec.optimizer.lr == pytest.approx(0.1 / 6)
    np.testing.assert_allclose(rec.history["dtheta"].sum(axis=0), hist.theta)


def test_only_an_optimizer_can_be_recorded():
    with pytest.raises(ValueError, match="Invalid optimizer"):
        O.Recorder("Adam")


# --- Signatures, make, and the subclass hook ---------------------------------------------------------


@pytest.mark.parametrize("name", list(O.RULES))
def test_every_rule_shows_its_hyperparameters_keyword_only_with_the_texts_defaults(name):
    import inspect
    cls = O.RULES[name]
    params = inspect.signature(cls).parameters
    assert list(params) == list(cls.defaults)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert {k: p.default for k, p in params.items()} == cls.defaults
    assert cls.update is cls._update                                   # one hook, two names


def test_a_positional_hyperparameter_is_refused_with_the_call_to_write():
    with pytest.raises(TypeError, match=r"RMSprop takes its hyperparameters by name: RMSprop\(lr=0.01\)"):
        O.RMSprop(0.01)


def test_make_drops_what_a_rule_lacks_but_refuses_what_no_rule_has():
    assert O.make("SGD", lr=0.1, gamma=0.5).hyperparams == {"lr": 0.1}
    with pytest.raises(ValueError, match="Invalid hyperparameter\\(s\\): gama \\(no rule has them"):
        O.make("RMSprop", lr=0.1, gama=0.5)


def test_a_subclass_writes_the_public_hook_or_the_old_one():
    class New(O.Optimizer):
        defaults = {"lr": 0.1}

        def update(self, theta, grad_fn, s):
            return theta - self.lr * grad_fn(theta)

    class Old(O.Optimizer):
        defaults = {"lr": 0.1}

        def _update(self, theta, grad_fn, s):
            return theta - self.lr * grad_fn(theta)

    g = lambda th: 2 * th
    for cls in (New, Old):
        np.testing.assert_allclose(cls().step(np.ones(2), g), [0.8, 0.8])
    with pytest.raises(NotImplementedError, match="must implement update"):
        type("Nothing", (O.Optimizer,), {})().step(np.ones(2), g)


def test_a_subclass_may_add_hyperparameters_of_its_own():
    class WithPsi(O.Adam):
        defaults = {**O.Adam.defaults, "psi": 0.004}

    assert WithPsi(psi=float("inf")).psi == float("inf")
    with pytest.raises(ValueError, match="Invalid lr"):
        WithPsi(lr=-1.0)


def test_recorder_takes_any_optimizer_and_names_what_it_got_otherwise():
    class Duck:
        def reset(self):
            pass

        def step(self, theta, grad_fn):
            return theta - 0.1 * grad_fn(theta)

    rec = O.Recorder(Duck())
    rec.reset()
    rec.step(np.ones(2), lambda th: th)
    assert rec.history["dtheta"].shape == (1, 2)
    with pytest.raises(ValueError, match="expected an optimizer .*got Quadratic"):
        O.Recorder(Quadratic())
