"""The elementwise, binary and activation ops against PyTorch in float64: values, gradients, second derivatives.

The inputs are the edge values where conventions show: 0 and -0.0, kinks (0, +-1, +-3, 6), tiny and
large magnitudes, values outside an op's domain (nan), and ties for maximum/minimum.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value
from tinygrad_edu.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

EDGES = np.array([-1000.0, -30.0, -6.0, -3.0, -1.0, -0.5, -1e-10, -0.0, 0.0, 1e-10, 0.5, 1.0, 3.0, 6.0, 30.0, 1000.0])
MODERATE = np.array([-3.0, -1.5, -1.0, -0.5, -1e-10, -0.0, 0.0, 1e-10, 0.5, 1.0, 1.5, 3.0])
UNIT = np.array([-2.0, -1.0, -0.999, -0.5, -1e-10, -0.0, 0.0, 1e-10, 0.3, 0.999, 1.0, 2.0])  # asin acos atanh
POSITIVE = np.array([-1.0, -0.0, 0.0, 1e-300, 1e-10, 0.5, 1.0, 1.0 + 1e-12, 2.0, 8.0, 1000.0, 1e300])

# (name, ours, torch's, inputs, rtol of the values and gradients)
UNARY = [
    ("tan", lambda x: x.tan(), torch.tan, MODERATE, 1e-12),
    ("asin", lambda x: x.asin(), torch.asin, UNIT, 1e-12),
    ("acos", lambda x: x.acos(), torch.acos, UNIT, 1e-12),
    ("atan", lambda x: x.atan(), torch.atan, EDGES, 1e-12),
    ("sinh", lambda x: x.sinh(), torch.sinh, EDGES, 1e-12),
    ("cosh", lambda x: x.cosh(), torch.cosh, EDGES, 1e-12),
    ("asinh", lambda x: x.asinh(), torch.asinh, EDGES, 1e-12),
    ("acosh", lambda x: x.acosh(), torch.acosh, POSITIVE, 1e-12),
    ("atanh", lambda x: x.atanh(), torch.atanh, UNIT, 1e-12),
    ("log2", lambda x: x.log2(), torch.log2, POSITIVE, 1e-12),
    ("log10", lambda x: x.log10(), torch.log10, POSITIVE, 1e-12),
    ("exp2", lambda x: x.exp2(), torch.exp2, EDGES, 1e-12),
    ("expm1", lambda x: x.expm1(), torch.expm1, EDGES, 1e-12),
    ("log1p", lambda x: x.log1p(), torch.log1p, POSITIVE, 1e-12),
    ("erf", lambda x: x.erf(), torch.erf, EDGES, 1e-12),
    ("rsqrt", lambda x: x.rsqrt(), torch.rsqrt, POSITIVE, 1e-12),
    ("reciprocal", lambda x: x.reciprocal(), torch.reciprocal, EDGES, 1e-12),
    ("square", lambda x: x.square(), torch.square, EDGES, 1e-12),
    ("sign", lambda x: x.sign(), torch.sign, np.append(EDGES, np.nan), 0),
    ("floor", lambda x: x.floor(), torch.floor, np.append(EDGES, [-2.5, 2.5, 0.7]), 0),
    ("ceil", lambda x: x.ceil(), torch.ceil, np.append(EDGES, [-2.5, 2.5, 0.7]), 0),
    ("trunc", lambda x: x.trunc(), torch.trunc, np.append(EDGES, [-2.5, 2.5, 0.7]), 0),
    ("round", lambda x: x.round(), torch.round, np.append(EDGES, [-2.5, -1.5, 0.5, 2.5, 0.7]), 0),
    ("round_decimals", lambda x: x.round(decimals=2), lambda t: torch.round(t, decimals=2),
     np.array([1.2345, -1.2355, 0.125, 1000.0]), 1e-12),
    ("gelu", lambda x: x.gelu(), TF.gelu, EDGES, 1e-12),
    ("gelu_tanh", lambda x: x.gelu(approximate="tanh"), lambda t: TF.gelu(t, approximate="tanh"), EDGES, 1e-12),
    ("silu", lambda x: x.silu(), TF.silu, EDGES, 1e-12),
    ("elu", lambda x: x.elu(), TF.elu, EDGES, 1e-12),
    ("elu_alpha", lambda x: x.elu(alpha=2.0), lambda t: TF.elu(t, alpha=2.0), EDGES, 1e-12),
    ("celu", lambda x: x.celu(alpha=2.0), lambda t: TF.celu(t, alpha=2.0), EDGES, 1e-12),
    ("selu", lambda x: x.selu(), TF.selu, EDGES, 1e-12),
    ("softplus", lambda x: x.softplus(), TF.softplus, np.append(EDGES, [20.0, 20.5, -20.5]), 1e-12),
    ("softplus_beta", lambda x: x.softplus(beta=2.0, threshold=3.0), lambda t: TF.softplus(t, beta=2.0, threshold=3.0),
     np.append(EDGES, [1.5, 1.4, 1.6]), 1e-12),
    ("softsign", lambda x: x.softsign(), TF.softsign, EDGES, 1e-12),
    ("mish", lambda x: x.mish(), TF.mish, EDGES, 1e-12),
    ("leaky_relu", lambda x: x.leaky_relu(), TF.leaky_relu, EDGES, 1e-12),
    ("leaky_relu_slope", lambda x: x.leaky_relu(0.2), lambda t: TF.leaky_relu(t, 0.2), EDGES, 1e-12),
    ("relu6", lambda x: x.relu6(), TF.relu6, EDGES, 1e-12),
    ("hardtanh", lambda x: x.hardtanh(), TF.hardtanh, EDGES, 1e-12),
    ("hardtanh_limits", lambda x: x.hardtanh(-3.0, 6.0), lambda t: TF.hardtanh(t, -3.0, 6.0), EDGES, 1e-12),
    # PyTorch's hardsigmoid gradient uses 1/6 rounded to float32, also on float64 tensors
    ("hardsigmoid", lambda x: x.hardsigmoid(), TF.hardsigmoid, EDGES, 1e-7),
    ("hardswish", lambda x: x.hardswish(), TF.hardswish, np.append(EDGES, [-2.0, 2.0]), 1e-12),
    ("logsigmoid", lambda x: x.logsigmoid(), TF.logsigmoid, np.append(EDGES, [-21.0, 21.0]), 1e-12),
]


def _compare(ours: Value | np.ndarray, theirs: torch.Tensor, rtol: float, what: str) -> None:
    expected = theirs.detach().numpy()
    got = np.asarray(ours.data if isinstance(ours, Value) else ours, dtype=np.float64)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-300 if rtol == 0 else 1e-14, equal_nan=True,
                               err_msg=what)


@pytest.mark.parametrize(("name", "ours", "theirs", "inputs", "rtol"), UNARY, ids=[u[0] for u in UNARY])
def test_unary_values_and_gradients_match_torch(name, ours, theirs, inputs, rtol) -> None:
    with np.errstate(all="ignore"):
        x = Value(inputs.copy())
        out = ours(x)
        t = torch.tensor(inputs, requires_grad=True)
        t_out = theirs(t)
        _compare(out, t_out, rtol, f"{name}: values")
        cotangent = np.linspace(0.5, 1.5, inputs.size)
        out.backward(cotangent)
        t_out.backward(torch.tensor(cotangent))
        _compare(x.grad, t.grad, rtol, f"{name}: gradients")


SMOOTH = np.array([-2.7, -1.3, -0.4, 0.2, 0.9, 2.2])  # away from every kink; moved into the domains below


@pytest.mark.parametrize(("name", "ours", "theirs", "inputs", "rtol"), UNARY, ids=[u[0] for u in UNARY])
def test_unary_second_derivatives_match_torch(name, ours, theirs, inputs, rtol) -> None:
    data = SMOOTH * 0.3 if inputs is UNIT else np.abs(SMOOTH) + 1.1 if inputs is POSITIVE else SMOOTH
    v = np.linspace(-1.0, 1.0, data.size)
    w = np.linspace(0.3, 1.7, data.size)
    first = tg.grad(lambda x: (ours(x) * v).sum())
    x = Value(data.copy())
    hv = (first(x) * w).sum()
    if hv.requires_grad:  # (a step function's gradient is a constant 0: nothing to differentiate)
        hv.backward()
    if name == "hardsigmoid":  # PyTorch has no double backward for it; piecewise linear, so the answer is 0
        assert x.grad is None or not np.any(x.grad)
        return
    t = torch.tensor(data, requires_grad=True)
    (g,) = torch.autograd.grad((theirs(t) * torch.tensor(v)).sum(), t, create_graph=True)
    if g.requires_grad:
        (g * torch.tensor(w)).sum().backward()
        expected = t.grad
    else:  # torch's step functions: a gradient that is a constant 0
        expected = torch.zeros_like(t)
    got = x.grad if x.grad is not None else np.zeros(data.shape)
    _compare(got, expected, max(rtol, 1e-10), f"{name}: second derivatives")


# ---- binary ops ---------------------------------------------------------------------------------------
A = np.array([1.0, 2.0, -3.0, 0.0, -0.0, 5.5, -1000.0, 1000.0, np.inf, -np.inf, 2.0, np.nan])
B = np.array([2.0, 2.0, -3.0, -0.0, 0.0, -2.0, 1000.0, 999.0, np.inf, 1.0, np.nan, 1.0])  # ties included
BINARY = [
    ("maximum", lambda a, b: a.maximum(b), torch.maximum, A, B),
    ("minimum", lambda a, b: a.minimum(b), torch.minimum, A, B),
    ("logaddexp", lambda a, b: a.logaddexp(b), torch.logaddexp, A[:8], B[:8]),
    # (at x = +-inf PyTorch's gradient is result/x = nan; ours is the derivative's value there, +-1)
    ("copysign", lambda a, b: a.copysign(b), torch.copysign, np.append(A[:8], np.nan), np.append(B[:8], 1.0)),
    ("lerp", lambda a, b: a.lerp(b, 0.3), lambda a, b: torch.lerp(a, b, 0.3), A[:8], B[:8]),
    ("remainder", lambda a, b: a % b, torch.remainder, np.array([5.3, -5.3, 5.3, -5.3, 0.0, 7.0, 1e17]),
     np.array([2.0, 2.0, -2.0, -2.0, 3.0, 0.5, 3.0])),
]


@pytest.mark.parametrize(("name", "ours", "theirs", "a", "b"), BINARY, ids=[b[0] for b in BINARY])
def test_binary_values_and_gradients_match_torch(name, ours, theirs, a, b) -> None:
    with np.errstate(all="ignore"):
        x, y = Value(a.copy()), Value(b.copy())
        out = ours(x, y)
        ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        t_out = theirs(ta, tb)
        _compare(out, t_out, 1e-12, f"{name}: values")
        out.backward(np.ones(out.shape))
        t_out.backward(torch.ones_like(t_out))
        _compare(x.grad, ta.grad, 1e-12, f"{name}: gradient of the first input")
        if name != "copysign":  # PyTorch's is zeros; ours leaves y out of the graph (documented)
            _compare(y.grad, tb.grad, 1e-12, f"{name}: gradient of the second input")
        else:
            assert y.grad is None and not tb.grad.any()


def test_lerp_with_a_tensor_weight_matches_torch() -> None:
    a, b, w = np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([4.0, 1.0]), np.array([[0.25, 0.9], [-0.5, 1.5]])
    vs = [Value(v.copy()) for v in (a, b, w)]
    ts = [torch.tensor(v, requires_grad=True) for v in (a, b, w)]
    out, t_out = vs[0].lerp(vs[1], vs[2]), torch.lerp(*ts)
    _compare(out, t_out, 1e-12, "lerp")
    out.sum().backward()
    t_out.sum().backward()
    for v, t in zip(vs, ts):
        _compare(v.grad, t.grad, 1e-12, "lerp gradients")


def test_floor_divide_matches_torch_and_is_a_constant() -> None:
    a = np.array([5.3, -5.3, 5.3, -5.3, 1.0, 7.0, 1.0, -1.0, 0.0])
    b = np.array([2.0, 2.0, -2.0, -2.0, 0.1, 0.5, 0.0, 0.0, 0.0])
    with np.errstate(all="ignore"):
        out = Value(a) // Value(b)
        _compare(out, torch.floor_divide(torch.tensor(a), torch.tensor(b)), 0, "floor_divide")
        assert not out.requires_grad and out.is_leaf
        assert (Value(7.0) // 2).data == 3.0 and (7.0 // Value(2.0)).data == 3.0
        assert (Value(1.0) // 0.0).data == math.inf and (Value(-7.5) % 2).data == 0.5


def test_comparisons_match_torch() -> None:
    a = np.array([1.0, 2.0, np.nan, -0.0, np.inf, 3.0])
    b = np.array([1.0, 3.0, np.nan, 0.0, np.inf, 2.0])
    x = Value(a)
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        got = getattr(x, name)(b)
        assert isinstance(got, Value) and got.dtype == bool and not got.requires_grad  # PyTorch's bool tensor
        np.testing.assert_array_equal(got, getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy(), name)
        np.testing.assert_array_equal(getattr(tg, name)(a, b), got)
    near = a + 1e-6
    np.testing.assert_array_equal(x.isclose(near), torch.isclose(torch.tensor(a), torch.tensor(near)).numpy())
    np.testing.assert_array_equal(x.isclose(near, equal_nan=True),
                                  torch.isclose(torch.tensor(a), torch.tensor(near), equal_nan=True).numpy())
    special = np.array([np.nan, np.inf, -np.inf, 0.0, 1.0])
    for name in ("isnan", "isinf", "isfinite"):
        np.testing.assert_array_equal(getattr(Value(special), name)(), getattr(torch, name)(torch.tensor(special)))
    assert Value(2.0).eq(2) is True and Value(2.0).lt(1.0) is False and Value(math.nan).isnan() is True


def test_double_equals_is_elementwise_for_tensors_and_identity_for_scalars() -> None:
    """`==` of tensors is PyTorch's (a bool Value); of micrograd's scalars, identity; both hash by identity."""
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and len({a, b}) == 2 and {a: 1}[a] == 1
    assert a.eq(b) is True
    t = Value(np.array([1.0, 2.0]))
    u = Value(np.array([1.0, 5.0]))
    assert (t == t.detach()).tolist() == [True, True] and (t != u).tolist() == [False, True]
    assert (np.array([1.0, 2.0]) == u).tolist() == [True, False]  # (NumPy hands the comparison to the Value)
    assert len({t, t.detach()}) == 2 and {t: 1}[t] == 1 and (t == None) is False  # noqa: E711
    np.testing.assert_array_equal(t.eq(np.array([1.0, 5.0])), [True, False])


# ---- stability, erf on large arrays, the functions and modules ------------------------------------------
def test_erf_on_large_arrays_matches_torch_to_an_ulp() -> None:
    x = np.concatenate([np.linspace(-7, 7, 20001), np.geomspace(1e-300, 1e-3, 50), [0.84375, 1.25, 1 / 0.35, 6.0]])
    got = Value(x).erf().data
    expected = torch.erf(torch.tensor(x)).numpy()
    assert np.all(np.abs(got - expected) <= np.spacing(np.abs(expected)) * 2)
    assert Value(x.astype(np.float32)).erf().dtype == np.float32


@pytest.mark.parametrize("name", ["softplus", "logsigmoid", "mish", "silu", "gelu", "elu", "selu", "celu",
                                  "softsign", "hardswish", "logaddexp"])
def test_no_overflow_at_plus_minus_1000(name) -> None:
    x = Value(np.array([-1000.0, -700.0, 700.0, 1000.0]))
    out = x.logaddexp(0.0) if name == "logaddexp" else getattr(x, name)()
    out.sum().backward()
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad))


def test_package_functions_and_functional_match_the_methods() -> None:
    data = np.array([-2.0, -0.5, 0.0, 0.7, 3.0])
    x = Value(data)
    for name in ("tan", "sinh", "cosh", "atan", "asinh", "exp2", "expm1", "erf", "square", "sign", "floor", "ceil",
                 "trunc", "round", "exp", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "reciprocal"):
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(getattr(tg, name)(data).data, getattr(x, name)().data, name)
    np.testing.assert_array_equal(tg.maximum(data, 0.5).data, np.maximum(data, 0.5))
    np.testing.assert_array_equal(tg.clamp(data, min=-1.0).data, np.maximum(data, -1.0))
    np.testing.assert_allclose(tg.lerp(data, 1.0, 0.5).data, (data + 1) / 2)
    for name in ("gelu", "silu", "elu", "celu", "selu", "softplus", "softsign", "mish", "leaky_relu", "relu6",
                 "hardtanh", "hardsigmoid", "hardswish", "logsigmoid"):
        np.testing.assert_allclose(getattr(F, name)(data).data, getattr(TF, name)(torch.tensor(data)).numpy(),
                                   rtol=1e-7, err_msg=name)
    np.testing.assert_allclose(F.softmin(data).data, TF.softmin(torch.tensor(data), dim=-1).numpy(), rtol=1e-12)


def test_activation_modules_match_torch() -> None:
    data = np.array([[-4.0, -1.0, 0.0, 0.5, 2.5, 7.0]])
    pairs = [
        (tg.nn.GELU(), torch.nn.GELU()), (tg.nn.GELU("tanh"), torch.nn.GELU("tanh")),
        (tg.nn.SiLU(), torch.nn.SiLU()), (tg.nn.ELU(0.5), torch.nn.ELU(0.5)), (tg.nn.CELU(2.0), torch.nn.CELU(2.0)),
        (tg.nn.SELU(), torch.nn.SELU()), (tg.nn.Softplus(2.0, 3.0), torch.nn.Softplus(2.0, 3.0)),
        (tg.nn.Softsign(), torch.nn.Softsign()), (tg.nn.Mish(), torch.nn.Mish()),
        (tg.nn.LeakyReLU(0.1), torch.nn.LeakyReLU(0.1)), (tg.nn.ReLU6(), torch.nn.ReLU6()),
        (tg.nn.Hardtanh(-2.0, 2.0), torch.nn.Hardtanh(-2.0, 2.0)), (tg.nn.Hardsigmoid(), torch.nn.Hardsigmoid()),
        (tg.nn.Hardswish(), torch.nn.Hardswish()), (tg.nn.LogSigmoid(), torch.nn.LogSigmoid()),
        (tg.nn.Softmin(dim=1), torch.nn.Softmin(dim=1)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(data).data, theirs(torch.tensor(data)).numpy(), rtol=1e-7, err_msg=repr(ours))
    assert repr(tg.nn.Softplus(2.0, 3.0)) == "Softplus(beta=2.0, threshold=3.0)"


def test_scalar_values_use_the_same_conventions() -> None:
    """micrograd-style float Values give the arrays' answers at the edges (no math-module exceptions)."""
    cases = {"asin": 2.0, "acosh": 0.5, "atanh": 1.0, "log2": 0.0, "log10": -1.0, "sinh": 1000.0, "cosh": -1000.0,
             "exp2": 2000.0, "tan": math.inf, "floor": math.inf, "round": math.nan, "sign": math.nan, "erf": -math.inf}
    for name, v in cases.items():
        with np.errstate(all="ignore"):
            got = getattr(Value(v), name)().data
            expected = getattr(Value(np.array([v])), name)().data[0]
        assert got.__class__ is float and (got == expected or (got != got and expected != expected)), name
    assert Value(-0.3).ceil().data == 0.0 and math.copysign(1.0, Value(-0.3).ceil().data) == -1.0


# ---- bad input: the project's errors, naming the op, the shapes and what was expected ------------------
M, V4 = Value(np.ones((2, 3))), np.ones(4)
BAD = [
    (lambda: M.maximum(V4), tg.ShapeError, "maximum: shapes (2, 3) and (4,)"),
    (lambda: M.minimum(V4), tg.ShapeError, "minimum: shapes (2, 3) and (4,)"),
    (lambda: M.logaddexp(V4), tg.ShapeError, "logaddexp: shapes (2, 3) and (4,)"),
    (lambda: M % V4, tg.ShapeError, "remainder: shapes (2, 3) and (4,)"),
    (lambda: M // V4, tg.ShapeError, "floor_divide: shapes (2, 3) and (4,)"),
    (lambda: M.copysign(V4), tg.ShapeError, "copysign: shapes (2, 3), (4,)"),
    (lambda: M.lerp(1.0, V4), tg.ShapeError, "lerp: shapes (2, 3), (), (4,)"),
    (lambda: M.eq(V4), tg.ShapeError, "eq: shapes (2, 3) and (4,)"),
    (lambda: M.isclose(V4), tg.ShapeError, "isclose: shapes (2, 3) and (4,)"),
    (lambda: M.ge("x"), tg.DataError, "ge: expected numbers"),
    (lambda: M.maximum("x"), tg.DataError, "maximum: expected numbers"),
    (lambda: M.copysign("s"), tg.DataError, "copysign: expected numbers"),
    (lambda: M.lerp([1.0, 2.0, 3.0], "w"), tg.DataError, "lerp: expected numbers"),
    (lambda: tg.erf("abc"), tg.DataError, "erf: expected numbers"),
    (lambda: M.round(1.5), tg.DataError, "round: decimals must be an int"),
    (lambda: M.gelu("fast"), tg.ArgumentError, "gelu: approximate must be 'none' or 'tanh'"),
    (lambda: M.elu("1"), tg.DataError, "elu: alpha must be a number"),
    (lambda: M.celu(0), tg.ArgumentError, "celu: alpha must not be 0"),
    (lambda: M.softplus(beta=0), tg.ArgumentError, "softplus: beta must not be 0"),
    (lambda: M.leaky_relu(None), tg.DataError, "leaky_relu: negative_slope must be a number"),
    (lambda: M.hardtanh(1, -1), tg.ArgumentError, "hardtanh: min_val (1.0) must not be greater than max_val (-1.0)"),
    (lambda: M.softmin(dim=5), tg.AxisError, "softmin: axis 5 is out of range for a Value of shape (2, 3)"),
    (lambda: F.softmin(M, dim=None), tg.DataError, "softmin: dim must be an int"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD, ids=[f"{b[2].split(':')[0]}{i}" for i, b in enumerate(BAD)])
def test_bad_input_raises_the_projects_errors(call, error, message) -> None:
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)


@pytest.mark.parametrize(("name", "ours", "theirs", "inputs", "rtol"), UNARY + [
    (b[0], lambda x, f=b[1]: f(x, Value(np.ones(3))), None, None, 0) for b in BINARY
], ids=[u[0] for u in UNARY] + [b[0] for b in BINARY])
def test_empty_and_zero_d_inputs_keep_their_shapes(name, ours, theirs, inputs, rtol) -> None:
    for shape in ((0, 3), (2, 0, 3), ()):
        x = Value(np.full(shape, 0.25))
        with np.errstate(all="ignore"):  # (0.25 is outside acosh's domain: nan, as expected)
            out = ours(x)
        expected = np.broadcast_shapes(shape, (3,)) if theirs is None else shape
        assert out.shape == expected, (name, shape)
        with np.errstate(all="ignore"):
            out.backward(np.ones(out.shape))
        assert x.grad.shape == shape
