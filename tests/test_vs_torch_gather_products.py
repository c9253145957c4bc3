"""gather/scatter/masks, einsum/outer/tensordot and casts against PyTorch (float64 values and gradients),
and their errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
X = RNG.standard_normal((3, 4))
SRC = RNG.standard_normal((3, 3))  # (PyTorch 2.x's backward fails for a src larger than index: the registry has it)
IDX = np.array([[0, 2, 2], [1, 0, 3], [3, 3, 0]])
UNIQUE = np.array([[3, 0, 1], [2, 1, 0], [0, 3, 2]])
MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])


def _compare(mine_fn, torch_fn, *arrays):
    values = [Value(a) for a in arrays]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    mine, ref = mine_fn(*values), torch_fn(*tensors)
    np.testing.assert_allclose(mine.data, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    seed = np.linspace(0.5, 1.5, ref.numel()).reshape(ref.shape)
    mine.backward(seed)
    ref.backward(torch.tensor(seed))
    for v, t in zip(values, tensors):
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-12, atol=1e-14)


T = torch.tensor
CASES = {
    "gather": (lambda x: x.gather(1, IDX), lambda x: x.gather(1, T(IDX)), (X,)),
    "gather_dim0": (lambda x: tg.gather(x, 0, IDX[:2] % 3), lambda x: torch.gather(x, 0, T(IDX[:2] % 3)), (X,)),
    "scatter": (lambda x, s: x.scatter(1, UNIQUE, s), lambda x, s: x.scatter(1, T(UNIQUE), s), (X, SRC)),
    "scatter_value": (lambda x: x.scatter(1, UNIQUE, value=2.0), lambda x: x.scatter(1, T(UNIQUE), 2.0), (X,)),
    "scatter_add": (lambda x, s: x.scatter_add(1, IDX, s), lambda x, s: x.scatter_add(1, T(IDX), s), (X, SRC)),
    "masked_fill": (lambda x: x.masked_fill(MASK, -3.0), lambda x: x.masked_fill(T(MASK), -3.0), (X,)),
    "masked_fill_row": (lambda x: x.masked_fill(MASK[0], 1.0), lambda x: x.masked_fill(T(MASK[0]), 1.0), (X,)),
    "masked_select": (lambda x: x.masked_select(MASK), lambda x: x.masked_select(T(MASK)), (X,)),
    "masked_select_broadcast": (lambda x: x[0].masked_select(MASK), lambda x: x[0].masked_select(T(MASK)), (X,)),
    "index_select": (lambda x: x.index_select(1, np.array([3, 0, 3])),
                     lambda x: x.index_select(1, T([3, 0, 3])), (X,)),
    "outer": (lambda a, b: tg.outer(a, b), lambda a, b: torch.outer(a, b), (X[0], SRC[1])),
    "tensordot": (lambda a, b: tg.tensordot(a, b, ([0], [0])), lambda a, b: torch.tensordot(a, b, ([0], [0])),
                  (X, SRC)),
    "tensordot_0": (lambda a, b: tg.tensordot(a, b, 0), lambda a, b: torch.tensordot(a, b, 0), (X[0], SRC[0])),
    "float_cast": (lambda x: x.float() * 2, lambda x: x.float() * 2, (X,)),
}
for _r in ("sum", "prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        CASES[f"scatter_reduce_{_r}_{_inc}"] = (
            lambda x, s, r=_r, inc=_inc: x.scatter_reduce(1, IDX, s, r, include_self=inc),
            lambda x, s, r=_r, inc=_inc: x.scatter_reduce(1, T(IDX), s, r, include_self=inc), (X, SRC))
EINSUMS = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
           ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
           ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]), ("iij->ji", [(2, 2, 3)]), ("i,j", [(2,), (3,)]),
           ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 2)]), ("a...,a...->...", [(2, 1, 3), (2, 4, 1)]), (",->", [(), ()]),
           ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ij->", [(0, 3)])]
for _s, _shapes in EINSUMS:
    CASES[f"einsum {_s}"] = (lambda *v, s=_s: tg.einsum(s, *v), lambda *v, s=_s: torch.einsum(s, *v),
                             tuple(RNG.standard_normal(sh) for sh in _shapes))


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch_values_and_gradients(name: str) -> None:
    mine, theirs, arrays = CASES[name]
    _compare(mine, theirs, *arrays)


def test_scatter_reduce_prod_gradients_at_zeros_match_torch() -> None:
    x = X.copy()
    x[0, 2] = 0.0
    s = SRC.copy()
    s[1, 0] = 0.0  # row 1: index 1 gets a zero from src
    s[2, 0] = s[2, 1] = 0.0  # row 2: index 3 gets two zeros
    for inc in (True, False):
        _compare(lambda a, b, inc=inc: a.scatter_reduce(1, IDX, b, "prod", include_self=inc),
                 lambda a, b, inc=inc: a.scatter_reduce(1, T(IDX), b, "prod", include_self=inc), x, s)


def test_nonzero_gives_int64_data_as_torch() -> None:
    nz = Value(MASK * 1.5).nonzero()
    assert nz.dtype == np.int64 and not nz.requires_grad
    np.testing.assert_array_equal(nz.data, torch.nonzero(T(MASK * 1.5)).numpy())
    rows, cols = tg.nonzero(MASK, as_tuple=True)
    np.testing.assert_array_equal(rows.data, np.nonzero(MASK)[0])
    assert Value(np.array(2.0)).nonzero().shape == (1, 0)


def test_one_hot_accepts_pytorchs_default_and_values() -> None:
    np.testing.assert_array_equal(tg.one_hot(Value(np.array([2, 0]))), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(tg.one_hot(np.array([1]), -1), TF_one_hot(np.array([1])))


def TF_one_hot(y):  # noqa: N802
    return torch.nn.functional.one_hot(T(y)).numpy()


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: Value(X).gather(1, IDX * 1.0), tg.DataError, ["gather", "integer", "float64"]),
    (lambda: Value(X).gather(1, IDX[0]), tg.ShapeError, ["gather", "(3,)", "(3, 4)"]),
    (lambda: Value(X).gather(1, IDX + 1), tg.GraphIndexError, ["gather", "index 4", "(3, 4)", "0 <= index < 4"]),
    (lambda: Value(X).gather(1, -IDX), tg.GraphIndexError, ["gather", "-3"]),
    (lambda: Value(X).gather(2, IDX), tg.AxisError, ["gather", "axis 2"]),
    (lambda: Value(X).gather(0, np.zeros((2, 5), int)), tg.ShapeError, ["gather", "(2, 5)", "dim 1"]),
    (lambda: Value(X).scatter(1, IDX, SRC[:2]), tg.ShapeError, ["scatter", "src", "(2, 3)", "(3, 3)"]),
    (lambda: Value(X).scatter(1, IDX), tg.ArgumentError, ["scatter", "src=", "value="]),
    (lambda: Value(X).scatter_add(1, IDX.astype(bool), SRC), tg.DataError, ["scatter_add", "bool"]),
    (lambda: Value(X).scatter_reduce(1, IDX, SRC, "max"), tg.ArgumentError, ["scatter_reduce", "'max'", "amax"]),
    (lambda: Value(X).masked_fill(MASK * 1, 0.0), tg.DataError, ["masked_fill", "boolean", "int64"]),
    (lambda: Value(X).masked_fill(MASK[:, :2], 0.0), tg.ShapeError, ["masked_fill", "(3, 2)", "(3, 4)"]),
    (lambda: Value(X[0]).masked_fill(MASK, 0.0), tg.ShapeError, ["masked_fill", "(3, 4)", "(4,)"]),
    (lambda: Value(X).masked_fill(MASK, np.ones(2)), tg.ShapeError, ["masked_fill", "value", "(2,)"]),
    (lambda: Value(X).masked_select(MASK[:, :3]), tg.ShapeError, ["masked_select", "(3, 3)", "(3, 4)"]),
    (lambda: Value(X).index_select(0, np.array([[0]])), tg.ShapeError, ["index_select", "1-d", "(1, 1)"]),
    (lambda: Value(X).index_select(0, np.array([3])), tg.GraphIndexError, ["index_select", "index 3", "dim 0"]),
    (lambda: tg.einsum("ij,jk->ik", X, X), tg.ShapeError, ["einsum", "'j'", "(3, 4), (3, 4)"]),
    (lambda: tg.einsum("ij->ik", X), tg.ShapeError, ["einsum", "'k'"]),
    (lambda: tg.einsum("ijk->i", X), tg.ShapeError, ["einsum", "3 axes", "2"]),
    (lambda: tg.einsum("ij,jk->ik", X), tg.ShapeError, ["einsum", "2 operand subscripts for 1"]),
    (lambda: tg.einsum("i1->i", X), tg.ShapeError, ["einsum", "letters"]),
    (lambda: tg.einsum("ij->ii", X), tg.ShapeError, ["einsum", "twice"]),
    (lambda: tg.einsum(X, "ij"), tg.ArgumentError, ["einsum", "subscripts"]),
    (lambda: tg.outer(X, X[0]), tg.ShapeError, ["outer", "1-d", "(3, 4)"]),
    (lambda: tg.tensordot(X, SRC, 1), tg.ShapeError, ["tensordot", "size 4", "size 3"]),
    (lambda: tg.tensordot(X, SRC, 3), tg.ShapeError, ["tensordot", "dims=3"]),
    (lambda: tg.tensordot(X, SRC, ([0, 1], [0])), tg.ShapeError, ["tensordot", "2 axes of a against 1"]),
    (lambda: Value(X).to("complex"), tg.DataError, ["to", "'complex'"]),
    (lambda: Value(X).to(np.complex128), tg.DataError, ["to", "complex128"]),
])
def test_bad_input_gets_the_projects_errors(call, error, words) -> None:
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), str(info.value)
