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
