"""The engine's conventions at its edges: assigned data, 0-d and empty reductions, pow at 0, limits, axes,
PyTorch's argument names, truthiness, and micrograd's step-by-step ``_backward``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import AxisError, ShapeError, Value
from tinygrad_edu.errors import ArgumentError, DataError, TinygradEduError

torch = pytest.importorskip("torch")


# ---- .data assignment is normalised like the constructor's -----------------------------------
@pytest.mark.parametrize("new", [3, [1, 2], np.array([1, 2]), np.int64(4), True])
def test_assigned_data_is_normalised_and_backward_works(new) -> None:
    v = Value(0.0) if np.ndim(new) == 0 else Value(np.zeros(2))
    v.data = new
    assert v.data.__class__ is float or v.data.dtype == np.float64
    y = (v * v).sum() if np.ndim(new) else v * v
    y.backward()
    np.testing.assert_allclose(v.grad, 2 * np.asarray(new, dtype=float))


def test_micrograd_bias_value_zero_and_copied_int_weights_backprop() -> None:
    b = Value(0)  # micrograd's own bias
    w = Value(1.0)
    w.data = 2  # weights copied from another engine as ints
    y = w * 3.0 + b
    y.backward()
    assert (w.grad, b.grad) == (3.0, 1.0)


def test_assigning_data_of_another_shape_to_a_computed_value_is_an_error() -> None:
    x = Value(np.ones(3))
    y = x * 2
    with pytest.raises(ShapeError, match=r"shape \(2,\).*\(3,\)"):
        y.data = np.ones(2)
    with pytest.raises(DataError):
        x.data = "abc"
    x.data = np.ones(5)  # a leaf may change shape
    assert x.shape == (5,)


# ---- reductions on 0-d and empty Values ------------------------------------------------------
@pytest.mark.parametrize("axis", [0, -1, (0,), None])
@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "logsumexp"])
def test_0d_values_accept_axis_0_and_minus_1(op: str, axis) -> None:
    x = Value(np.array(1.5))
    out = getattr(x, op)(axis=axis)
    assert out.shape == ()
    out.backward()
    assert x.grad.shape == ()
    t = torch.tensor(1.5, dtype=torch.float64)
    dim = axis if axis is not None else ()
    ref = {"sum": lambda: t.sum(dim=dim), "mean": lambda: t.mean(dim=dim),
           "logsumexp": lambda: torch.logsumexp(t, dim=dim)}.get(op, lambda: t)()
    assert float(out.data) == pytest.approx(float(ref))


@pytest.mark.parametrize("f", [lambda v: v.softmax(axis=0), lambda v: v.log_softmax(axis=-1),
                               lambda v: v.softmax(dim=0)])
def test_0d_softmax_and_log_softmax(f) -> None:
    out = f(Value(np.array(3.0)))
    assert out.shape == () and float(out.data) in (0.0, 1.0)


def test_mean_over_an_empty_axis_is_nan_as_numpy_and_pytorch() -> None:
    x = Value(np.zeros((0, 3)))
    with np.errstate(all="raise"):  # no RuntimeWarning leaks out
        m = x.mean(axis=0)
        total = x.mean()
    assert np.isnan(m.data).all() and m.shape == (3,)
    assert np.isnan(total.data)
    np.testing.assert_array_equal(x.mean(axis=1).data, np.zeros(0))
    total.backward()
    assert x.grad.shape == (0, 3)


# ---- pow at 0 follows PyTorch ----------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:divide by zero")  # NumPy's own warning for 0 ** -1 = inf
@pytest.mark.parametrize(("base", "exponent"), [(0.0, 0.0), (0.0, 2.0), (0.0, -1.0), (0.0, 0.5), (2.0, 0.0),
                                                (3.0, -2.0), (0.0, 1.0)])
def test_pow_gradients_at_zero_match_pytorch(base: float, exponent: float) -> None:
    a, b = Value(np.array([base])), Value(np.array([exponent]))
    (a**b).sum().backward()
    ta = torch.tensor([base], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([exponent], dtype=torch.float64, requires_grad=True)
    (ta**tb).sum().backward()
    np.testing.assert_array_equal(a.grad, ta.grad.numpy())
    np.testing.assert_array_equal(b.grad, tb.grad.numpy())
    # a number exponent, and the scalar (micrograd) path, agree
    c = Value(np.array([base]))
    (c**exponent).sum().backward()
    tc = torch.tensor([base], dtype=torch.float64, requires_grad=True)
    (tc**exponent).sum().backward()
    np.testing.assert_array_equal(c.grad, tc.grad.numpy())
    s, e = Value(base), Value(exponent)
    (s**e).backward()
    assert (s.grad, e.grad) == (float(ta.grad), float(tb.grad)) or (
        math.isnan(s.grad) and math.isnan(float(ta.grad)))


def test_x_pow_0_at_0_has_gradient_0() -> None:
    x = Value(0.0)
    (x**0.0).backward()
    assert x.grad == 0.0


# ---- clip ------------------------------------------------------------------------------------
def test_clip_needs_a_limit_and_takes_pytorchs_names() -> None:
    x = Value(np.array([-2.0, 0.5, 3.0]))
    with pytest.raises(ArgumentError, match="at least one"):
        x.clip(None, None)
    with pytest.raises(ArgumentError):
        x.clip()
    np.testing.assert_array_equal(x.clip(min=0.0).data, [0.0, 0.5, 3.0])
    np.testing.assert_array_equal(x.clip(max=1.0).data, [-2.0, 0.5, 1.0])
    np.testing.assert_array_equal(x.clamp(min=-1, max=1).data, [-1.0, 0.5, 1.0])
    assert Value(5.0).clip(max=1.0).data == 1.0
    with pytest.raises(ArgumentError, match="not both"):
        x.clip(0.0, max=1.0)


# ---- axes --------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [lambda v: v.sum(axis=2), lambda v: v.mean(dim=-3), lambda v: v.max(axis=(0, 5)),
                                  lambda v: v.logsumexp(axis=7), lambda v: v.softmax(axis=2),
                                  lambda v: v.swapaxes(0, 2), lambda v: v.transpose(3, 2),
                                  lambda v: tg.concatenate([v, v], axis=4), lambda v: tg.stack([v, v], axis=4)])
def test_a_bad_axis_is_both_the_projects_error_and_an_index_error(call) -> None:
    v = Value(np.ones((2, 3)))
    with pytest.raises(AxisError) as info:
        call(v)
    assert isinstance(info.value, ShapeError) and isinstance(info.value, IndexError)
    assert isinstance(info.value, TinygradEduError)


def test_transpose_and_shape_arguments_are_checked() -> None:
    with pytest.raises(AxisError):
        Value(np.ones(3)).transpose(5)
    with pytest.raises(ShapeError):
        Value(np.ones(3)).reshape(None)
    with pytest.raises(ShapeError):
        Value(np.ones(3)).broadcast_to("ab")
    with pytest.raises(ShapeError, match="permutation"):
        Value(np.ones((2, 3))).transpose((0, 0))


def test_transpose_of_two_axes_swaps_them_as_pytorch() -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    assert Value(x).transpose(1, 2).shape == (2, 4, 3)
    assert np.array_equal(Value(x).transpose(-1, 0).data, x.swapaxes(-1, 0))
    m = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(Value(m).transpose(0, 1).data, m.T)  # NumPy's transpose(0, 1) would keep m
    assert np.array_equal(Value(m).transpose(0, 0).data, m)
    assert np.array_equal(Value(x).transpose(2, 0, 1).data, x.transpose(2, 0, 1))  # a full permutation: NumPy's


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "logsumexp"])
def test_dim_and_keepdim_are_accepted_beside_axis_and_keepdims(op: str) -> None:
    x = Value(np.arange(6.0).reshape(2, 3))
    a = getattr(x, op)(dim=1, keepdim=True)
    b = getattr(x, op)(axis=1, keepdims=True)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.shape == (2, 1)
    with pytest.raises(ArgumentError, match="not both"):
        getattr(x, op)(axis=0, dim=1)


def test_softmax_takes_dim() -> None:
    x = Value(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(x.softmax(dim=0).data, x.softmax(axis=0).data)
    np.testing.assert_allclose(x.log_softmax(dim=0).data, x.log_softmax(0).data)
    np.testing.assert_allclose(tg.concatenate([x, x], dim=1).data, np.concatenate([x.data, x.data], axis=1))


# ---- Python conversions ----------------------------------------------------------------------
def test_truthiness_follows_pytorch() -> None:
    assert bool(Value(2.0)) and not bool(Value(0.0))
    assert bool(Value(np.array([3.0]))) and not bool(Value(np.array([[0.0]])))
    with pytest.raises(ShapeError, match="ambiguous"):
        bool(Value(np.ones(3)))
    if Value(np.array(1.0)):
        pass
    assert int(Value(3.7)) == 3 and int(Value(np.array([-2.5]))) == -2
    assert [10, 20, 30][Value(2.0)] == 30


# ---- micrograd's manual backward steps ---------------------------------------------------------
def test_micrograd_lecture_steps_backward_by_hand() -> None:
    # the lecture's neuron, back-propagated one node at a time
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    for node in (o, n, x1w1x2w2, x2w2, x1w1):
        node._backward()
    by_hand = [v.grad for v in (x1, x2, w1, w2, b)]
    assert n.grad == pytest.approx(0.5, abs=1e-6)
    assert x1.grad == pytest.approx(-1.5, abs=1e-6) and w1.grad == pytest.approx(1.0, abs=1e-6)
    for v in (x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o):
        v.grad = 0.0
    o.backward()
    assert [v.grad for v in (x1, x2, w1, w2, b)] == pytest.approx(by_hand)


def test_manual_backward_step_accumulates_and_handles_tensors() -> None:
    a = Value(3.0)
    b = a + a  # a used twice: both contributions add up
    b.grad = 1.0
    b._backward()
    assert a.grad == 2.0
    x = Value(np.ones((2, 3)))
    s = x.sum(axis=1)
    s.grad = np.array([1.0, 2.0])
    s._backward()
    np.testing.assert_array_equal(x.grad, [[1, 1, 1], [2, 2, 2]])
    leaf = Value(1.0)
    leaf._backward()  # a leaf has nothing to pass on
    assert leaf.grad == 0.0


# ---- what drawings show comes from the rule's declared display fields ---------------------------------
def test_op_args_are_the_fields_the_rule_declares() -> None:
    x = Value(np.ones((2, 3)))
    assert (x * 2).op_args == {"c": 2.0}
    assert x.sum(axis=1).op_args == {"axis": 1, "keepdims": False}
    assert x.max(axis=0).op_args == {"axis": 0}
    assert x.clip(0.0, 1.0).op_args == {"min": 0.0, "max": 1.0}
    assert x.transpose().op_args == {"axes": (1, 0)}
    assert x.reshape(3, 2).op_args == {"shape": (3, 2), "input_shape": (2, 3)}
    assert (x + x).op_args == {} and x.op_args == {}


# ---- nothing silently wrong: in-place changes, bad .grad, empty reductions -------------------------------
def test_a_tensor_changed_in_place_between_forward_and_backward_is_caught_under_detect_anomaly() -> None:
    from tinygrad_edu import AnomalyError, detect_anomaly

    x = Value(np.array([1.0, 2.0, 3.0]))
    with detect_anomaly():
        y = (x * x).sum()
        x.data[0] = 5.0  # PyTorch: "modified by an inplace operation"
        with pytest.raises(AnomalyError, match=r"'\*'.*modified in place"):
            y.backward()
        z = (x * x).sum()
        x.data = np.array([0.0, 0.0, 0.0])  # replaced, not changed: caught too
        with pytest.raises(AnomalyError, match="replaced"):
            z.backward()
    x.data = np.array([1.0, 2.0, 3.0])
    with detect_anomaly():  # unchanged data: no false alarm
        w = (x * x).exp().sum()
        w.backward()
    np.testing.assert_allclose(x.grad, 2 * x.data * np.exp(x.data**2))


@pytest.mark.parametrize("bad", ["abc", [1.0, 2.0], np.ones(2), np.ones((3, 1))])
def test_a_grad_that_is_not_numbers_of_the_values_shape_is_a_clear_error(bad) -> None:
    from tinygrad_edu import BackwardError

    x = Value(np.ones(3))
    x.grad = bad
    with pytest.raises(BackwardError, match=r"\.grad of a Value of shape \(3,\)"):
        (x * 2).sum().backward()
    s = Value(1.0)
    s.grad = "abc"
    with pytest.raises(BackwardError):
        (s * 2).backward()


def test_backward_with_a_gradient_that_is_not_numbers_is_a_clear_error() -> None:
    from tinygrad_edu import BackwardError

    with pytest.raises(BackwardError, match="gradient must be numbers"):
        (Value(np.ones(2)) * 2).backward("abc")
    with pytest.raises(BackwardError, match="shape"):
        (Value(np.ones(2)) * 2).backward(np.ones(3))


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0,)])
def test_reductions_over_empty_values_follow_numpy_without_warnings(shape) -> None:
    import warnings

    import tinygrad_edu.nn.functional as F

    x = Value(np.zeros(shape))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning leaks to the user
        cases = {
            "mean": (x.mean(), np.nan),
            "mean0": (x.mean(axis=0), np.full(shape[1:], np.nan) if shape[0] == 0 else np.zeros(shape[1:])),
            "logsumexp": (x.logsumexp(), -np.inf),
            "logsumexp-1": (x.logsumexp(axis=-1), np.full(shape[:-1], -np.inf)),
            "softmax": (x.softmax(axis=-1), np.zeros(shape)),
            "log_softmax": (x.log_softmax(axis=-1), np.zeros(shape)),
            "mse": (F.mse_loss(x, np.zeros(shape)), np.nan),
        }
        for name, (out, expected) in cases.items():
            np.testing.assert_array_equal(out.data, expected, err_msg=name)
            assert out.shape == np.shape(expected), name
            x.zero_grad()
            out.sum().backward()
            assert x.grad.shape == shape, name
