"""One registry of every op: adding an entry adds its forward, gradient and second-order tests.

Each ``Op`` names the engine function, its NumPy reference, the kind of values
its inputs take (``testing.strategies.RANGES``) and how its inputs are shaped:
``unary`` (one array), ``binary`` (two broadcastable arrays), ``reduce`` (an
array and an axis) or ``fixed`` (inputs made by ``make_inputs`` from a seed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import tinygrad_edu as tg


@dataclass(frozen=True)
class Op:
    name: str
    engine: Callable[..., Any]
    reference: Callable[..., Any]
    arity: str = "unary"  # unary | binary | reduce | fixed
    kinds: tuple[str, ...] = ("any",)  # value range per input (see strategies.RANGES)
    away_from: float | None = None  # keep inputs away from a kink at this value
    distinct: bool = False  # no ties (max/min)
    signed: tuple[bool, ...] = (False, False)  # flip signs of inputs drawn from a positive range
    second_order: bool = True
    make_inputs: Callable[[np.random.Generator], tuple[np.ndarray, ...]] | None = None
    scalar: bool = False  # also run on Python-float Values
    extra: dict[str, Any] = field(default_factory=dict)
    covers: tuple[str, ...] = ()  # the engine's op names this entry tests (default: its own name)

    @property
    def tested(self) -> tuple[str, ...]:
        return self.covers or (self.name,)


def _lse(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _fixed(*shapes: tuple[int, ...], kind: str = "any"):
    def make(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        return tuple(rng.uniform(-2, 2, size=s) if kind == "any" else rng.uniform(0.2, 2, size=s) for s in shapes)

    return make


def _matmul_cases(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    shapes = [((3,), (3,)), ((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 2, 3), (3, 4)),
              ((2, 1, 2, 3), (3, 3, 2)), ((3,), (2, 3, 2))]
    a, b = shapes[int(rng.integers(len(shapes)))]
    return rng.uniform(-2, 2, size=a), rng.uniform(-2, 2, size=b)


CONST_MATRIX = np.arange(6.0).reshape(2, 3) / 4 - 0.5  # a NumPy array on the left of @

INT_INDEX = np.array([0, 2, 0, 1])  # repeats: the gradient must accumulate
MASK = np.array([[True, False, True], [False, True, True]])

OPS: list[Op] = [
    Op("add", lambda a, b: a + b, np.add, "binary", scalar=True, covers=("__add__",)),
    Op("sub", lambda a, b: a - b, np.subtract, "binary", scalar=True, covers=("__sub__",)),
    Op("mul", lambda a, b: a * b, np.multiply, "binary", scalar=True, covers=("__mul__",)),
    Op("div", lambda a, b: a / b, np.divide, "binary", kinds=("any", "nonzero"), signed=(False, True), scalar=True,
       covers=("__truediv__",)),
    Op("add_number", lambda a: a + 2.5, lambda a: a + 2.5, scalar=True, covers=("__add__",)),
    Op("radd_number", lambda a: 2.5 + a, lambda a: 2.5 + a, scalar=True, covers=("__radd__",)),
    Op("radd_array", lambda a: np.full(a.shape, 0.5) + a, lambda a: 0.5 + a, covers=("__radd__",)),
    Op("rsub_number", lambda a: 1.5 - a, lambda a: 1.5 - a, scalar=True, covers=("__rsub__",)),
    Op("mul_number", lambda a: a * -3.0, lambda a: a * -3.0, scalar=True, covers=("__mul__",)),
    Op("rmul_number", lambda a: -3.0 * a, lambda a: -3.0 * a, scalar=True, covers=("__rmul__",)),
    Op("rdiv_number", lambda a: 2.0 / a, lambda a: 2.0 / a, kinds=("nonzero",), signed=(True,), scalar=True,
       covers=("__rtruediv__",)),
    Op("pow_number", lambda a: a**3, lambda a: a**3, scalar=True, covers=("__pow__",)),
    Op("pow_fraction", lambda a: a**1.5, lambda a: a**1.5, kinds=("positive",), scalar=True),
    Op("pow_value", lambda a, b: a**b, np.power, "binary", kinds=("positive", "any"), scalar=True),
    Op("rpow_number", lambda a: 2.0**a, lambda a: 2.0**a, scalar=True, covers=("__rpow__",)),
    Op("neg", lambda a: -a, np.negative, scalar=True, covers=("__neg__",)),
    Op("exp", lambda a: a.exp(), np.exp, scalar=True),
    Op("log", lambda a: a.log(), np.log, kinds=("positive",), scalar=True),
    Op("log1p", lambda a: a.log1p(), np.log1p, kinds=("positive",), scalar=True),
    Op("sqrt", lambda a: a.sqrt(), np.sqrt, kinds=("positive",), scalar=True),
    Op("abs", lambda a: abs(a), np.abs, away_from=0.0, scalar=True, covers=("abs", "__abs__")),
    Op("sin", lambda a: a.sin(), np.sin, scalar=True),
    Op("cos", lambda a: a.cos(), np.cos, scalar=True),
    Op("tanh", lambda a: a.tanh(), np.tanh, scalar=True),
    Op("sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), scalar=True),
    Op("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0), away_from=0.0, scalar=True),
    Op("clip", lambda a: a.clip(-1.0, 1.5), lambda a: np.clip(a, -1.0, 1.5), away_from=1.0, scalar=True,
       extra={"away_also": -1.0, "also_away": 1.5}, covers=("clip",)),
    Op("clamp", lambda a: a.clamp(min=-0.5), lambda a: np.maximum(a, -0.5), away_from=-0.5, scalar=True),
    Op("matmul", lambda a, b: a @ b, np.matmul, "fixed", make_inputs=_matmul_cases, covers=("__matmul__",)),
    Op("rmatmul", lambda a: CONST_MATRIX @ a, lambda a: CONST_MATRIX @ a, "fixed", make_inputs=_fixed((3, 2)),
       covers=("__rmatmul__",)),
    Op("sum", lambda a, axis, kd: a.sum(axis=axis, keepdims=kd), lambda a, axis, kd: np.sum(a, axis=axis, keepdims=kd),
       "reduce"),
    Op("mean", lambda a, axis, kd: a.mean(axis=axis, keepdims=kd),
       lambda a, axis, kd: np.mean(a, axis=axis, keepdims=kd), "reduce"),
    Op("max", lambda a, axis, kd: a.max(axis=axis, keepdims=kd), lambda a, axis, kd: np.max(a, axis=axis, keepdims=kd),
       "reduce", distinct=True),
    Op("min", lambda a, axis, kd: a.min(axis=axis, keepdims=kd), lambda a, axis, kd: np.min(a, axis=axis, keepdims=kd),
       "reduce", distinct=True),
    Op("logsumexp", lambda a, axis, kd: a.logsumexp(axis=axis, keepdims=kd), _lse, "reduce"),
    Op("softmax", lambda a: a.softmax(axis=-1), _softmax),
    Op("log_softmax", lambda a: a.log_softmax(axis=-1), lambda a: np.log(_softmax(a))),
    Op("reshape", lambda a: a.reshape(-1), lambda a: a.reshape(-1)),
    Op("view", lambda a: a.view(1, -1), lambda a: a.reshape(1, -1)),
    Op("flatten", lambda a: a.flatten(), lambda a: a.reshape(-1)),
    Op("transpose", lambda a: a.transpose(), np.transpose),
    Op("T", lambda a: a.T, lambda a: a.T),
    Op("swapaxes", lambda a: a.swapaxes(0, 2), lambda a: a.swapaxes(0, 2), "fixed", make_inputs=_fixed((2, 3, 4))),
    Op("transpose_axes", lambda a: a.transpose(2, 0, 1), lambda a: a.transpose(2, 0, 1), "fixed",
       make_inputs=_fixed((2, 3, 4))),
    Op("getitem_int", lambda a: a[1], lambda a: a[1], "fixed", make_inputs=_fixed((3, 2)), covers=("__getitem__",)),
    Op("getitem_slice", lambda a: a[::2, 1:], lambda a: a[::2, 1:], "fixed", make_inputs=_fixed((4, 3)),
       covers=("__getitem__",)),
    Op("getitem_int_array", lambda a: a[INT_INDEX], lambda a: a[INT_INDEX], "fixed", make_inputs=_fixed((3, 2)),
       covers=("__getitem__",)),
    Op("getitem_mask", lambda a: a[MASK], lambda a: a[MASK], "fixed", make_inputs=_fixed((2, 3)),
       covers=("__getitem__",)),
    Op("concatenate", lambda a, b: tg.concatenate([a, b], axis=1), lambda a, b: np.concatenate([a, b], axis=1),
       "fixed", make_inputs=_fixed((2, 3), (2, 2))),
    Op("stack", lambda a, b: tg.stack([a, b], axis=1), lambda a, b: np.stack([a, b], axis=1), "fixed",
       make_inputs=_fixed((2, 3), (2, 3))),
    Op("where", lambda a, b: tg.where(MASK, a, b), lambda a, b: np.where(MASK, a, b), "fixed",
       make_inputs=_fixed((2, 3), (3,))),
    Op("broadcast_to", lambda a: a.broadcast_to((2, 3)), lambda a: np.broadcast_to(a, (2, 3)), "fixed",
       make_inputs=_fixed((3,))),
]


# ---- issue 12: gather/scatter/masks, products, casts (one block) ----------------------------------------
GATHER_INDEX = np.array([[0, 2, 2], [1, 0, 3], [3, 3, 0]])  # (3, 3) into (3, 4) along dim 1: repeats
GATHER_ROWS = np.array([[2, 0, 1], [0, 0, 2]])  # (2, 3) into (3, 4) along dim 0: smaller than the input
SCATTER_INDEX = np.array([[3, 0, 1], [2, 1, 0], [0, 3, 2]])  # no repeats within a row: scatter's writes are defined
MASK_ROW = np.array([[True], [False]])  # broadcasts with a (3,) input to (2, 3)


def _grid(index: np.ndarray, dim: int) -> tuple[np.ndarray, ...]:
    grid = list(np.ogrid[tuple(slice(0, n) for n in index.shape)])
    grid[dim] = index
    return tuple(grid)


def _np_scatter_reduce(x, index, src, reduce, include_self=True, dim=1):
    """NumPy's ufunc.at version of torch.scatter_reduce (the reference)."""
    grid, src = _grid(index, dim), src[tuple(slice(0, n) for n in index.shape)]
    out, hit = x.copy(), np.zeros(x.shape, bool)
    hit[grid] = True
    start = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "amax": -np.inf, "amin": np.inf}[reduce]
    if not include_self:
        out[hit] = start
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
    ufunc.at(out, grid, src)
    if reduce == "mean":
        count = np.zeros(x.shape)
        np.add.at(count, grid, 1.0)
        out = np.where(hit, out / np.maximum(count + include_self, 1), x)
    return out


def _np_scatter(x, index, src, dim=1):
    out = x.copy()
    out[_grid(index, dim)] = src[tuple(slice(0, n) for n in index.shape)] if np.ndim(src) else src
    return out


# subscripts by the shapes of their operands (each case's shapes are its own), drawn by _einsum_cases
EINSUM_CASES = {
    ((2, 3), (3, 4)): "ij,jk->ik", ((3, 3),): "ii->i", ((4, 4),): "ii->", ((2, 3, 4), (2, 4, 2)): "bij,bjk->bik",
    ((2, 1, 3, 4), (5, 4, 2)): "...ij,...jk", ((2, 3),): "ij->", ((3,), (3,)): "i,i->", ((2, 2, 3),): "iij->ji",
    ((2, 1), (3, 2)): "ij,kl->ijkl", ((3, 2),): "ij->j", ((), ()): ",->", ((2, 3, 1),): "i...->...",
    ((2, 3), (3, 4), (4, 2)): "ab,bc,cd->ad", ((2, 1, 3),): "ba...", ((2, 1, 3), (2, 4, 1)): "a...,a...->...",
    ((0, 3), (3, 2)): "ij,jk->ik", ((3, 2, 3),): "iji->j",
}


def _einsum_cases(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    cases = list(EINSUM_CASES)
    return tuple(rng.uniform(-2, 2, size=s) for s in cases[int(rng.integers(len(cases)))])


def _einsum(*xs):
    return tg.einsum(EINSUM_CASES[tuple(np.shape(x.data if isinstance(x, tg.Value) else x) for x in xs)], *xs)


def _reduce_op(reduce: str, include_self: bool) -> Op:
    return Op(f"scatter_reduce_{reduce}{'' if include_self else '_without_self'}",
              lambda a, b: a.scatter_reduce(1, GATHER_INDEX, b, reduce, include_self=include_self),
              lambda a, b: _np_scatter_reduce(a, GATHER_INDEX, b, reduce, include_self), "fixed",
              make_inputs=_fixed((3, 4), (3, 4)), covers=("scatter_reduce",))


OPS += [
    Op("gather", lambda a: a.gather(1, GATHER_INDEX), lambda a: np.take_along_axis(a, GATHER_INDEX, 1), "fixed",
       make_inputs=_fixed((3, 4))),
    Op("gather_smaller_index", lambda a: tg.gather(a, 0, GATHER_ROWS),
       lambda a: np.take_along_axis(a[:, :3], GATHER_ROWS, 0), "fixed", make_inputs=_fixed((3, 4)),
       covers=("gather",)),
    Op("scatter", lambda a, b: a.scatter(1, SCATTER_INDEX, b), lambda a, b: _np_scatter(a, SCATTER_INDEX, b), "fixed",
       make_inputs=_fixed((3, 4), (3, 5))),
    Op("scatter_value", lambda a: a.scatter(1, GATHER_INDEX, value=0.5), lambda a: _np_scatter(a, GATHER_INDEX, 0.5),
       "fixed", make_inputs=_fixed((3, 4)), covers=("scatter",)),
    Op("scatter_add", lambda a, b: a.scatter_add(1, GATHER_INDEX, b),
       lambda a, b: _np_scatter_reduce(a, GATHER_INDEX, b, "sum"), "fixed", make_inputs=_fixed((3, 4), (4, 3))),
    *[_reduce_op(r, inc) for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)],
    Op("masked_fill", lambda a: a.masked_fill(MASK, -1.0), lambda a: np.where(MASK, -1.0, a), "fixed",
       make_inputs=_fixed((2, 3))),
    Op("masked_fill_value", lambda a, v: a.masked_fill(MASK_ROW, v), lambda a, v: np.where(MASK_ROW, v, a), "fixed",
       make_inputs=_fixed((2, 3), ()), covers=("masked_fill",)),
    Op("masked_select", lambda a: a.masked_select(MASK_ROW), lambda a: np.broadcast_to(a, (2, 3))[
       np.broadcast_to(MASK_ROW, (2, 3))], "fixed", make_inputs=_fixed((3,))),
    Op("index_select", lambda a: a.index_select(-1, INT_INDEX), lambda a: a[:, INT_INDEX], "fixed",
       make_inputs=_fixed((2, 3))),
    Op("nonzero", lambda a: a[tuple(tg.Value(MASK).nonzero().data.T)], lambda a: a[MASK.nonzero()], "fixed",
       make_inputs=_fixed((2, 3))),
    Op("einsum", _einsum, lambda *xs: np.einsum(EINSUM_CASES[tuple(x.shape for x in xs)], *xs), "fixed",
       make_inputs=_einsum_cases),
    Op("outer", lambda a, b: a.outer(b), np.outer, "fixed", make_inputs=_fixed((3,), (4,))),
    Op("tensordot", lambda a, b: tg.tensordot(a, b, 2), lambda a, b: np.tensordot(a, b, 2), "fixed",
       make_inputs=_fixed((2, 3, 4), (3, 4, 2))),
    Op("tensordot_axes", lambda a, b: tg.tensordot(a, b, ([2, 0], [0, 1])),
       lambda a, b: np.tensordot(a, b, ([2, 0], [0, 1])), "fixed", make_inputs=_fixed((2, 3, 4), (4, 2)),
       covers=("tensordot",)),
    Op("to", lambda a: (a.to(np.longdouble) * 1.5).double(), lambda a: a * 1.5, covers=("to", "double")),
    Op("cast_float", lambda a: a * tg.full(a.shape, 0.5).float() + a * tg.full(a.shape, 0.25).half(),
       lambda a: a * 0.75, covers=("float", "half")),
    Op("cast_to_data", lambda a: a * tg.full(a.shape, 2.7).long() + a * tg.full(a.shape, -1.5).int()
       + a * tg.full(a.shape, 0.3).bool(), lambda a: a * 2 - a + a, covers=("long", "int", "bool")),
]
