"""Creation functions, dtype names, integer and boolean data, and casts."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value
from tinygrad_edu.nn import functional as F


# ---- integer and boolean arrays are data -------------------------------------------------------
@pytest.mark.parametrize("data", [np.array([1, 2]), np.array([[True, False]]), np.arange(3, dtype=np.int32)])
def test_integer_and_boolean_arrays_keep_their_dtype_and_need_no_gradient(data) -> None:
    v = Value(data)
    assert v.dtype == data.dtype and not v.requires_grad
    with pytest.raises(tg.DataError, match=r"only float data.*" + str(data.dtype)):
        Value(data, requires_grad=True)


def test_python_numbers_and_lists_of_them_stay_micrograd_floats() -> None:
    assert Value(2).data == 2.0 and Value(2).data.__class__ is float and Value(2).requires_grad
    assert Value([1, 2]).dtype == np.float64 and Value([1, 2]).requires_grad
    assert Value(np.array([1, 2]), dtype=np.float64).requires_grad


def test_ops_on_integer_values_promote_as_numpy_and_record_nothing() -> None:
    i = Value(np.array([1, 2, 3]))
    w = Value(np.array([0.5, 1.0, 2.0]))
    y = (w * i).sum()
    assert y.dtype == np.float64
    y.backward()
    np.testing.assert_array_equal(w.grad, [1, 2, 3])
    assert i.grad is None  # no gradient flows into integer data
    s = i + i
    assert s.dtype == np.int64 and not s.requires_grad and s.is_leaf
    x = Value(np.arange(12.0).reshape(3, 4))
    x[Value(np.array([2, 0]))].sum().backward()  # integer Values index like integer arrays
    np.testing.assert_array_equal(x.grad.sum(axis=1), [4, 0, 4])
    np.testing.assert_array_equal(x.gather(1, Value(np.array([[1], [0], [3]]))).data[:, 0], [1, 4, 11])


def test_integer_value_labels_work_as_class_indices() -> None:
    logits = np.array([[2.0, 0.0], [0.0, 2.0]])
    a = F.cross_entropy(logits, Value(np.array([0, 1])))
    b = F.cross_entropy(logits, np.array([0, 1]))
    assert float(a.data) == float(b.data)


def test_backward_from_integer_data_is_refused() -> None:
    with pytest.raises(tg.BackwardError, match="does not require grad"):
        Value(np.array([1, 2])).sum().backward()


# ---- casts ------------------------------------------------------------------------------------
def test_float_casts_are_differentiable_and_integer_casts_are_data() -> None:
    x = Value(np.array([1.25, -2.5]))
    f = x.float()
    assert f.dtype == np.float32 and f.requires_grad and f.op == "to"
    (f * 2).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [2, 2])
    for cast, dtype in [("long", np.int64), ("int", np.int32), ("bool", np.bool_), ("double", np.float64),
                        ("half", np.float16)]:
        assert getattr(x, cast)().dtype == dtype
    assert not x.long().requires_grad and x.long().is_leaf
    np.testing.assert_array_equal(x.long().data, [1, -2])  # truncation, as PyTorch
    assert x.double() is x and x.to("float64") is x  # the same dtype: self, as PyTorch
    assert Value(np.array([0, 3])).to(tg.float32).dtype == np.float32
    assert Value(2.0).to("long").data.dtype == np.int64
    assert int(Value(3.7)) == 3 and bool(Value(np.array([1.0])))  # the built-ins keep their meaning


def test_float_cast_gradients_under_create_graph() -> None:
    x = Value(np.array([1.5, -0.5]))
    y = (x.to(np.float32) ** 3).sum()
    assert y.dtype == np.float32
    dy = tg.grad(lambda v: (v.to(np.float32) ** 3).sum())
    d2y = tg.grad(lambda v: dy(v).sum())  # the rule casts a Value back: differentiable again
    np.testing.assert_allclose(tg.Value(dy(x)).data, 3 * x.data**2, rtol=1e-6)
    np.testing.assert_allclose(tg.Value(d2y(x)).data, 6 * x.data, rtol=1e-6)


# ---- creation ---------------------------------------------------------------------------------
def test_creation_functions_follow_pytorch() -> None:
    torch = pytest.importorskip("torch")
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros((2, 3)).dtype == np.float64 and tg.zeros([]).shape == ()
    assert not tg.ones(2).requires_grad and tg.ones(2, requires_grad=True).requires_grad
    np.testing.assert_array_equal(tg.full((2,), 7).data, torch.full((2,), 7).numpy())
    assert tg.full((2,), 7).dtype == np.int64 and tg.full((2,), True).dtype == np.bool_
    assert tg.full((2,), 1.5).dtype == np.float64 and tg.full((1,), 2, dtype=tg.float32).dtype == np.float32
    assert tg.empty(3, 0).shape == (3, 0)
    for args in [(5,), (2, 7), (1, 2, 0.25), (5, 0, -2), (0.5, 3)]:
        np.testing.assert_allclose(tg.arange(*args).data, torch.arange(*args).numpy())
        assert (tg.arange(*args).dtype.kind == "i") == (torch.arange(*args).dtype == torch.int64)
    np.testing.assert_allclose(tg.linspace(-1, 2, 7).data, torch.linspace(-1, 2, 7, dtype=torch.float64).numpy())
    np.testing.assert_array_equal(tg.eye(3, 2).data, torch.eye(3, 2).numpy())
    assert tg.eye(2, dtype="long").dtype == np.int64
    x = Value(np.ones((2, 3), np.float32))
    for like in (tg.zeros_like, tg.ones_like, tg.empty_like, tg.rand_like, tg.randn_like):
        out = like(x)
        assert out.shape == (2, 3) and out.dtype == np.float32 and not out.requires_grad
    assert tg.full_like(x, 4.0).data.tolist() == [[4.0] * 3] * 2
    assert tg.zeros_like(np.arange(3)).dtype == np.int64 and tg.ones_like(x, dtype="double").dtype == np.float64
    r = tg.randint_like(np.zeros((50,), int), 3, 6)
    assert r.dtype == np.int64 and set(r.data.tolist()) <= {3, 4, 5}


def test_random_creation_is_seeded_by_the_projects_generator() -> None:
    tg.manual_seed(5)
    a = (tg.rand(3).data, tg.randn(2, 2).data, tg.randint(10, (4,)).data)
    tg.manual_seed(5)
    b = (tg.rand(3).data, tg.randn(2, 2).data, tg.randint(0, 10, (4,)).data)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    g = np.random.default_rng(1)
    np.testing.assert_array_equal(tg.rand(3, generator=g).data, np.random.default_rng(1).random(3))
    r = tg.randint(-2, 3, size=(1000,), generator=np.random.default_rng(0))
    assert r.dtype == np.int64 and r.data.min() == -2 and r.data.max() == 2
    assert tg.randn(3, dtype=tg.float32, requires_grad=True).requires_grad


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: tg.zeros(2, -1), tg.ShapeError, ["zeros", "non-negative", "(2, -1)"]),
    (lambda: tg.ones(2.5), tg.ShapeError, ["ones", "ints"]),
    (lambda: tg.zeros(2, dtype="quad"), tg.DataError, ["zeros", "'quad'"]),
    (lambda: tg.zeros(2, dtype=tg.int64, requires_grad=True), tg.DataError, ["zeros", "int64", "requires_grad"]),
    (lambda: tg.arange(0, 5, 0), tg.ArgumentError, ["arange", "non-zero"]),
    (lambda: tg.arange(0, 5, -1), tg.ArgumentError, ["arange", "step -1"]),
    (lambda: tg.arange("a"), tg.DataError, ["arange", "number"]),
    (lambda: tg.linspace(0, 1, -2), tg.ArgumentError, ["linspace", "steps"]),
    (lambda: tg.rand(2, dtype=tg.int64), tg.DataError, ["rand", "float dtype", "int64"]),
    (lambda: tg.randint(5, 2, (3,)), tg.ArgumentError, ["randint", "high (2)", "low (5)"]),
    (lambda: tg.randint(5), tg.ArgumentError, ["randint", "(high, size)"]),
    (lambda: tg.randint(0.5, (3,)), tg.DataError, ["randint", "high"]),
    (lambda: tg.full((2,), "x"), tg.DataError, ["full", "fill_value"]),
    (lambda: tg.zeros_like("abc"), tg.DataError, ["zeros_like"]),
])
def test_bad_creation_arguments_get_the_projects_errors(call, error, words) -> None:
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), str(info.value)
