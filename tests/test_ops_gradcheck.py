"""Every op of the registry: forward vs NumPy, gradcheck and gradgradcheck over Hypothesis inputs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from op_registry import OPS, Op

from tinygrad_edu import Value
from tinygrad_edu.testing import gradcheck, gradgradcheck
from tinygrad_edu.testing import strategies as st

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _inputs(op: Op, data: hs.DataObject) -> tuple[tuple[np.ndarray, ...], tuple]:
    """Draw inputs (and extra args such as an axis) for ``op``."""
    if op.arity == "fixed":
        seed = data.draw(hs.integers(0, 2**31 - 1), label="seed")
        return op.make_inputs(np.random.default_rng(seed)), ()
    if op.arity == "binary":
        shapes = data.draw(st.broadcastable_shapes(max_dims=3, max_side=3), label="shapes")
    elif op.arity == "reduce":
        shapes = (data.draw(st.shapes(min_dims=1, max_dims=3, max_side=3), label="shape"),)
    else:
        shapes = (data.draw(st.shapes(min_dims=0 if op.name not in ("softmax", "log_softmax") else 1,
                                      max_dims=3, max_side=3), label="shape"),)
    arrays = []
    for i, shape in enumerate(shapes):
        strategy = st.arrays(shape, op.kinds[i] if i < len(op.kinds) else "any", away_from=op.away_from)
        if op.distinct:
            strategy = st.distinct(strategy)
        if op.signed[i] if i < len(op.signed) else False:
            strategy = st.signed(strategy)
        if "away_also" in op.extra:
            strategy = strategy.filter(lambda x: np.all(np.abs(x - op.extra["away_also"]) > 0.05)
                                       and np.all(np.abs(x - op.extra["also_away"]) > 0.05))
        if i == 1 and op.extra.get("no_ties"):  # maximum/minimum: the second derivative jumps at a tie
            strategy = strategy.filter(lambda y, first=arrays[0]: np.all(np.abs(first - y) > 0.05))
        arrays.append(data.draw(strategy, label=f"input{i}"))
    extra: tuple = ()
    if op.arity == "reduce":
        extra = (data.draw(st.axes(arrays[0].ndim), label="axis"), data.draw(hs.booleans(), label="keepdims"))
    return tuple(arrays), extra


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@SETTINGS
@given(data=hs.data())
def test_forward_matches_numpy(op: Op, data: hs.DataObject) -> None:
    xs, extra = _inputs(op, data)
    out = op.engine(*[Value(x) for x in xs], *extra)
    if op.grad == "none" and not isinstance(out, Value):  # boolean data
        assert np.asarray(out).dtype == bool
        np.testing.assert_array_equal(out, op.reference(*xs, *extra))
        return
    np.testing.assert_allclose(out.data, op.reference(*xs, *extra), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@SETTINGS
@given(data=hs.data())
def test_gradient_matches_finite_differences(op: Op, data: hs.DataObject) -> None:
    xs, extra = _inputs(op, data)
    if op.grad == "none":  # data out: nothing recorded, nothing to differentiate
        out = op.engine(*[Value(x) for x in xs], *extra)
        assert not isinstance(out, Value) or not out.requires_grad
        return
    if op.grad == "zero":  # a step function: its gradient is exactly 0, also where finite differences jump
        vs = [Value(x) for x in xs]
        out = op.engine(*vs, *extra)
        out.backward(np.ones(out.shape))
        for v in vs:
            assert v.grad is not None and v.grad.shape == v.shape and not np.any(v.grad)
        return
    assert gradcheck(lambda *vs: op.engine(*vs, *extra), *xs)


@pytest.mark.parametrize("op", [op for op in OPS if op.second_order and op.grad != "none"], ids=lambda op: op.name)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hs.data())
def test_second_derivative_matches_finite_differences(op: Op, data: hs.DataObject) -> None:
    xs, extra = _inputs(op, data)
    assert gradgradcheck(lambda *vs: op.engine(*vs, *extra), *xs, atol=1e-4)


@pytest.mark.parametrize("op", [op for op in OPS if op.scalar], ids=lambda op: op.name)
@settings(max_examples=15, deadline=None)
@given(data=hs.data())
def test_scalar_values_match_numpy(op: Op, data: hs.DataObject) -> None:
    """Python-float Values (micrograd's kind) give NumPy's numbers and finite-difference gradients."""
    xs, _ = _inputs(op, data)
    scalars = [float(x.reshape(-1)[0]) if x.size else 1.0 for x in xs]
    values = [Value(s) for s in scalars]
    out = op.engine(*values)
    assert out.data.__class__ is float
    np.testing.assert_allclose(out.data, op.reference(*[np.float64(s) for s in scalars]), rtol=1e-12)
    out.backward()
    if op.grad == "zero":
        assert all(v.grad == 0.0 for v in values)
        return
    eps = 1e-6
    for i, v in enumerate(values):
        assert v.grad.__class__ is float
        up = [Value(s + eps * (j == i)) for j, s in enumerate(scalars)]
        down = [Value(s - eps * (j == i)) for j, s in enumerate(scalars)]
        numeric = (op.engine(*up).data - op.engine(*down).data) / (2 * eps)
        assert v.grad == pytest.approx(numeric, rel=1e-4, abs=1e-6)


def test_max_ties_share_the_gradient_equally() -> None:
    x = Value(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]))
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    y = Value(np.array([-1.0, -1.0, 4.0]))
    y.min().backward()
    np.testing.assert_allclose(y.grad, [0.5, 0.5, 0.0])


def test_large_magnitudes_keep_gradients_finite() -> None:
    x = Value(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]))
    for f in (lambda v: v.sigmoid(), lambda v: v.tanh(), lambda v: v.log_softmax(), lambda v: v.softmax(),
              lambda v: v.logsumexp().reshape(1)):
        x.zero_grad()
        out = f(x)
        assert np.all(np.isfinite(out.data))
        out.sum().backward()
        assert np.all(np.isfinite(x.grad))


_NOT_OPS = ("__module__", "__doc__", "__qualname__", "__hash__")  # (__hash__: identity, beside __eq__)


def _engine_ops() -> set[str]:
    """Every op the engine defines: the public methods and operators of the op families, and their functions."""
    from tinygrad_edu.ops import (
        activation,
        arithmetic,
        binary,
        cast,
        elementwise,
        gather,
        index,
        inplace,
        linalg,
        movement,
        reduce,
        scan,
        shape,
    )

    names: set[str] = set()
    for family in (arithmetic.ArithmeticOps, elementwise.ElementwiseOps, reduce.ReduceOps, movement.MovementOps,
                   index.IndexOps, binary.BinaryOps, activation.ActivationOps, scan.ScanOps, shape.ShapeOps,
                   gather.GatherOps, linalg.LinalgOps, cast.CastOps, inplace.InplaceOps):
        names |= {k for k in vars(family) if not k.startswith("_") or (k.startswith("__") and k != "__slots__"
                                                                      and k.endswith("__") and k not in _NOT_OPS)}
    names |= {"concatenate", "stack", "where"}
    names |= {"pad", "meshgrid"}
    names |= {"einsum", "outer", "tensordot"}
    names |= {"conv2d", "conv1d", "conv_transpose2d", "im2col", "col2im", "max_pool2d", "avg_pool2d",
              "adaptive_avg_pool2d"}  # ops/conv.py
    return names


def test_every_op_of_the_engine_is_in_the_registry() -> None:
    """An op defined without its registry line fails here: the registry is what checks its gradients."""
    tested = {name for op in OPS for name in op.tested}
    missing = sorted(_engine_ops() - tested)
    assert not missing, f"ops without an entry in tests/op_registry.py: {missing}"


EDGE_VALUES = [0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan, 1e308, -1e308, 5e-324, -5e-324, 2.5, -2.5]


def _same(a: Any, b: Any) -> bool:
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def _same_grad(a: Any, b: Any) -> bool:
    """``_same``, allowing a few ulps of 1 more: a rule like 1 - tanh(x)^2 cancels, and math's and NumPy's tanh may
    differ in the last bit, which comes out as an absolute (not relative) difference of about 2e-16."""
    return _same(a, b) or (math.isfinite(float(a)) and abs(float(a) - float(b)) <= 4 * np.finfo(np.float64).eps)


def test_tanh_gradient_of_a_scalar_and_a_tensor_agree_where_maths_and_numpys_tanh_differ_by_one_bit() -> None:
    x = 5.546875  # math.tanh(x) != np.tanh(x): 1 - t^2 then differs by 2.2e-16 (Hypothesis found it in CI)
    s, t = Value(x), Value(np.array(x))
    s.tanh().backward()
    t.tanh().backward()
    assert _same_grad(s.grad, t.grad) and s.grad == pytest.approx(1 - np.tanh(x) ** 2, rel=1e-10)
    assert not _same_grad(1e-4, 1e-4 + 1e-14)  # still strict beyond a few ulps of 1


@pytest.mark.parametrize("op", [op for op in OPS if op.scalar], ids=lambda op: op.name)
@settings(max_examples=60, deadline=None)
@given(data=hs.data())
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns about inf/nan; the values are what count
def test_scalar_and_tensor_values_agree_with_numpy_at_edge_values(op: Op, data: hs.DataObject) -> None:
    """micrograd's floats and 0-d tensors give NumPy's value (inf, nan included) and the same gradient."""
    edge = hs.sampled_from(EDGE_VALUES) | hs.floats(allow_nan=True, allow_infinity=True, width=64)
    xs = [data.draw(edge, label=f"x{i}") for i in range(2 if op.arity == "binary" else 1)]
    scalars = [Value(x) for x in xs]
    out = op.engine(*scalars)
    out.backward()
    tensors = [Value(np.array(x)) for x in xs]
    out_t = op.engine(*tensors)
    out_t.backward()
    reference = op.reference(*[np.float64(x) for x in xs])
    assert out.data.__class__ is float
    assert _same(out.data, reference) and _same(out_t.data, reference), (out.data, float(out_t.data), reference)
    for i, (s, t) in enumerate(zip(scalars, tensors)):
        assert s.grad.__class__ is float
        t_grad = 0.0 if t.grad is None else t.grad  # no gradient reached it: None for tensors, 0.0 for scalars
        assert _same_grad(s.grad, t_grad), f"gradient of input {i}: scalar {s.grad}, tensor {float(t_grad)}"
