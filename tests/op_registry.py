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
    # "check": gradients against finite differences; "zero": a step function (floor, sign), whose gradient
    # must be exactly 0; "none": the op returns data (a bool array, a constant) and records no graph
    grad: str = "check"

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
    Op("transpose_two", lambda a: a.transpose(1, 2), lambda a: a.swapaxes(1, 2), "fixed",
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


# ---- elementwise, binary and activation ops (issue 12) -----------------------------------------------
def _shape(rng: np.random.Generator) -> tuple[int, ...]:
    """A shape for the fixed-input entries: 0-d, size-1 and empty axes included."""
    shapes = [(), (1,), (3,), (2, 3), (0,), (2, 0), (1, 3)]
    return shapes[int(rng.integers(len(shapes)))]


def _special_values(rng: np.random.Generator) -> tuple[np.ndarray]:
    """nan, +-inf, +-0 and ordinary numbers, mixed."""
    return (rng.choice(np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.0]), size=_shape(rng)),)


def _remainder_cases(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """a % b with a/b kept 0.1 away from an integer (where the remainder jumps), b of either sign."""
    shape = _shape(rng)
    b = rng.uniform(0.3, 3.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    a = b * (rng.integers(-3, 4, size=shape) + rng.uniform(0.1, 0.9, size=shape))
    return a, b


def _rmod_cases(rng: np.random.Generator) -> tuple[np.ndarray]:
    """Divisors b with 5/b 0.1 away from an integer, for 5 % b."""
    shape = _shape(rng)
    return (5.0 / (rng.integers(2, 6, size=shape) + rng.uniform(0.1, 0.9, size=shape)),)


def _lerp_cases(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shape = _shape(rng)
    return rng.uniform(-2, 2, size=shape), rng.uniform(-2, 2, size=shape[-1:]), rng.uniform(-1, 2, size=shape)


def _erf_reference(x: np.ndarray) -> np.ndarray:
    import math

    return np.vectorize(math.erf, otypes=[float])(x)


def _np_softplus(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    return np.where(x * beta > threshold, x, np.logaddexp(x * beta, 0.0) / beta)


def _np_elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


_SELU = (1.6732632423543772848170429916717, 1.0507009873554804934193349852946)

OPS += [
    Op("tan", lambda a: (a * 0.45).tan(), lambda a: np.tan(a * 0.45), scalar=True),
    Op("asin", lambda a: (a * 0.3).asin(), lambda a: np.arcsin(a * 0.3), scalar=True),
    Op("acos", lambda a: (a * 0.3).acos(), lambda a: np.arccos(a * 0.3), scalar=True),
    Op("atan", lambda a: a.atan(), np.arctan, scalar=True),
    Op("sinh", lambda a: a.sinh(), np.sinh, scalar=True),
    Op("cosh", lambda a: a.cosh(), np.cosh, scalar=True),
    Op("asinh", lambda a: a.asinh(), np.arcsinh, scalar=True),
    Op("acosh", lambda a: (a + 1.05).acosh(), lambda a: np.arccosh(a + 1.05), kinds=("positive",), scalar=True),
    Op("atanh", lambda a: (a * 0.3).atanh(), lambda a: np.arctanh(a * 0.3), scalar=True),
    Op("log2", lambda a: a.log2(), np.log2, kinds=("positive",), scalar=True),
    Op("log10", lambda a: a.log10(), np.log10, kinds=("positive",), scalar=True),
    Op("exp2", lambda a: a.exp2(), np.exp2, scalar=True),
    Op("expm1", lambda a: a.expm1(), np.expm1, scalar=True),
    Op("erf", lambda a: a.erf(), _erf_reference, scalar=True),
    Op("rsqrt", lambda a: a.rsqrt(), lambda a: 1 / np.sqrt(a), kinds=("positive",), scalar=True),
    Op("reciprocal", lambda a: a.reciprocal(), np.reciprocal, kinds=("nonzero",), signed=(True,), scalar=True),
    Op("square", lambda a: a.square(), np.square, scalar=True),
    Op("sign", lambda a: a.sign(), lambda a: np.where(np.isnan(a), 0.0, np.sign(a)), scalar=True,
       grad="zero"),  # (PyTorch: sign(nan) = 0)
    Op("floor", lambda a: a.floor(), np.floor, scalar=True, grad="zero"),
    Op("ceil", lambda a: a.ceil(), np.ceil, scalar=True, grad="zero"),
    Op("trunc", lambda a: a.trunc(), np.trunc, scalar=True, grad="zero"),
    Op("round", lambda a: a.round(), np.round, scalar=True, grad="zero"),
    Op("round_decimals", lambda a: a.round(decimals=1), lambda a: np.round(a, 1), grad="zero", covers=("round",)),
    Op("isnan", lambda a: a.isnan(), np.isnan, "fixed", make_inputs=_special_values, grad="none",
       second_order=False),
    Op("isinf", lambda a: a.isinf(), np.isinf, "fixed", make_inputs=_special_values, grad="none",
       second_order=False),
    Op("isfinite", lambda a: a.isfinite(), np.isfinite, "fixed", make_inputs=_special_values, grad="none",
       second_order=False),
    Op("maximum", lambda a, b: a.maximum(b), np.maximum, "binary", scalar=True, extra={"no_ties": True}),
    Op("minimum", lambda a, b: a.minimum(b), np.minimum, "binary", scalar=True, extra={"no_ties": True}),
    Op("logaddexp", lambda a, b: a.logaddexp(b), np.logaddexp, "binary", scalar=True),
    Op("copysign", lambda a, b: a.copysign(b), np.copysign, "binary", kinds=("any", "nonzero"),
       signed=(False, True), away_from=0.0, scalar=True),
    Op("lerp", lambda a, b: a.lerp(b, 0.3), lambda a, b: a + 0.3 * (b - a), "binary", scalar=True),
    Op("lerp_tensor_weight", lambda a, b, w: a.lerp(b, w), lambda a, b, w: a + w * (b - a), "fixed",
       make_inputs=_lerp_cases, covers=("lerp",)),
    Op("remainder", lambda a, b: a % b, np.remainder, "fixed", make_inputs=_remainder_cases,
       covers=("remainder", "__mod__")),
    Op("rmod_number", lambda a: 5.0 % a, lambda a: np.remainder(5.0, a), "fixed", make_inputs=_rmod_cases,
       covers=("__rmod__",)),
    Op("floor_divide", lambda a, b: a // b, np.floor_divide, "binary", kinds=("any", "nonzero"),
       signed=(False, True), grad="none", second_order=False, covers=("floor_divide", "__floordiv__")),
    Op("rfloordiv_number", lambda a: 5.0 // a, lambda a: np.floor_divide(5.0, a), kinds=("nonzero",),
       signed=(True,), grad="none", second_order=False, covers=("__rfloordiv__",)),
    Op("eq", lambda a, b: a.eq(b.round()), lambda a, b: a == np.round(b), "binary", grad="none",
       second_order=False),
    Op("ne", lambda a, b: a.ne(b), np.not_equal, "binary", grad="none", second_order=False),
    Op("lt", lambda a, b: a.lt(b), np.less, "binary", grad="none", second_order=False),
    Op("le", lambda a, b: a.le(b), np.less_equal, "binary", grad="none", second_order=False),
    Op("gt", lambda a, b: a.gt(b), np.greater, "binary", grad="none", second_order=False),
    Op("ge", lambda a, b: a.ge(b), np.greater_equal, "binary", grad="none", second_order=False),
    Op("isclose", lambda a, b: a.isclose(b + 1e-7), lambda a, b: np.isclose(a, b + 1e-7), "binary",
       grad="none", second_order=False),
    # the comparison operators: bool Values for tensors, as PyTorch's (Python bools for two scalars)
    Op("eq_operator", lambda a, b: a == b.round(), lambda a, b: a == np.round(b), "binary", grad="none",
       second_order=False, covers=("__eq__",)),
    Op("ne_operator", lambda a, b: a != b, np.not_equal, "binary", grad="none", second_order=False, covers=("__ne__",)),
    Op("lt_operator", lambda a, b: a < b, np.less, "binary", grad="none", second_order=False, covers=("__lt__",)),
    Op("le_operator", lambda a, b: a <= b, np.less_equal, "binary", grad="none", second_order=False,
       covers=("__le__",)),
    Op("gt_operator", lambda a, b: a > b, np.greater, "binary", grad="none", second_order=False, covers=("__gt__",)),
    Op("ge_operator", lambda a, b: a >= b, np.greater_equal, "binary", grad="none", second_order=False,
       covers=("__ge__",)),
    # activations: kinks kept 0.05 away (away_from), where the second derivative jumps
    Op("gelu", lambda a: a.gelu(), lambda a: a * 0.5 * (1 + _erf_reference(a / np.sqrt(2))), scalar=True),
    Op("gelu_tanh", lambda a: a.gelu(approximate="tanh"),
       lambda a: 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a**3))), scalar=True, covers=("gelu",)),
    Op("silu", lambda a: a.silu(), lambda a: a / (1 + np.exp(-a)), scalar=True),
    Op("elu", lambda a: a.elu(), _np_elu, away_from=0.0, scalar=True),
    Op("elu_alpha", lambda a: a.elu(alpha=0.5), lambda a: _np_elu(a, 0.5), away_from=0.0, covers=("elu",)),
    Op("celu", lambda a: a.celu(alpha=2.0), lambda a: np.where(a > 0, a, 2.0 * np.expm1(np.minimum(a, 0) / 2.0)),
       away_from=0.0, scalar=True),
    Op("selu", lambda a: a.selu(), lambda a: _SELU[1] * _np_elu(a, _SELU[0]), away_from=0.0, scalar=True),
    Op("softplus", lambda a: a.softplus(), _np_softplus, scalar=True),
    Op("softplus_beta", lambda a: a.softplus(beta=2.0, threshold=3.0), lambda a: _np_softplus(a, 2.0, 3.0),
       away_from=1.5, covers=("softplus",)),
    Op("softplus_large", lambda a: a.softplus(), _np_softplus, kinds=("large",), away_from=20.0,
       second_order=False, covers=("softplus",)),
    Op("softsign", lambda a: a.softsign(), lambda a: a / (1 + np.abs(a)), away_from=0.0, scalar=True),
    Op("mish", lambda a: a.mish(), lambda a: a * np.tanh(np.log1p(np.exp(a))), scalar=True),
    Op("leaky_relu", lambda a: a.leaky_relu(0.2), lambda a: np.where(a > 0, a, 0.2 * a), away_from=0.0,
       scalar=True),
    Op("relu6", lambda a: (a * 3).relu6(), lambda a: np.clip(a * 3, 0, 6), away_from=0.0, scalar=True,
       extra={"away_also": 2.0, "also_away": 0.0}),
    Op("hardtanh", lambda a: a.hardtanh(), lambda a: np.clip(a, -1, 1), away_from=1.0, scalar=True,
       extra={"away_also": -1.0, "also_away": 1.0}),
    Op("hardsigmoid", lambda a: (a * 2).hardsigmoid(), lambda a: np.clip(a * 2 + 3, 0, 6) / 6, away_from=1.5,
       scalar=True, extra={"away_also": -1.5, "also_away": 1.5}),
    Op("hardswish", lambda a: (a * 2).hardswish(), lambda a: a * 2 * np.clip(a * 2 + 3, 0, 6) / 6, away_from=1.5,
       scalar=True, extra={"away_also": -1.5, "also_away": 1.5}),
    Op("logsigmoid", lambda a: a.logsigmoid(), lambda a: -np.logaddexp(0, -a), scalar=True),
    Op("logsigmoid_large", lambda a: a.logsigmoid(), lambda a: -np.logaddexp(0, -a), kinds=("large",),
       second_order=False, covers=("logsigmoid",)),
    Op("softmin", lambda a: a.softmin(dim=-1), lambda a: _softmax(-a)),
]


# ---- reductions, scans, sorting and shape ops (issue 12) -------------------------------------------
def _random_shape(min_dims: int = 1, max_dims: int = 3, kind: str = "any", zeros: int = 0, distinct: bool = False):
    """One array of a random shape (sides 0 to 3: empty and size-1 axes too); ``zeros`` entries set to 0."""
    def make(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        shape = tuple(int(n) for n in rng.integers(0, 4, size=int(rng.integers(min_dims, max_dims + 1))))
        low = 0.2 if kind == "positive" else -2.0
        x = rng.permutation(np.linspace(low, 2.0, max(1, int(np.prod(shape)))))[:int(np.prod(shape))] if distinct \
            else rng.uniform(low, 2.0, size=int(np.prod(shape)))
        x = x.reshape(shape)
        if zeros and x.size:
            x.reshape(-1)[rng.choice(x.size, size=min(zeros, x.size), replace=False)] = 0.0
        return (x,)

    return make


def _with_zeros(shape: tuple[int, ...], where_zero: tuple[tuple[int, ...], ...]):
    def make(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        x = rng.uniform(-2, 2, size=shape)
        for index in where_zero:
            x[index] = 0.0
        return (x,)

    return make


def _distinct_fixed(*shape: int):
    def make(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        n = int(np.prod(shape))
        return (rng.permutation(np.linspace(-2.0, 2.0, n)).reshape(shape) + rng.uniform(-0.01, 0.01),)

    return make


def _last(f):
    """A NumPy reference along the last axis that is the identity on 0-d arrays (as PyTorch's dim=-1 is)."""
    return lambda a: f(a) if a.ndim else a


def _var(a, axis=None, kd=False, ddof=0):
    return np.var(a, axis=axis, keepdims=kd, ddof=ddof)


def _topk_ref(a, k):
    return -np.sort(-a, axis=-1, kind="stable")[..., :k]


ROW_ZEROS = np.array([[1.0, -2.0, 0.5], [0.0, 0.0, 3.0]])  # any/all: row 2 keeps a zero however it is perturbed


def _along(idx, axis=-1):
    from tinygrad_edu.ops.scan import along
    return along(idx, axis % idx.ndim)


OPS += [
    # reductions
    Op("prod", lambda a, axis, kd: a.prod(axis=axis, keepdims=kd), lambda a, axis, kd: np.prod(a, axis=axis,
                                                                                             keepdims=kd), "reduce"),
    Op("prod_one_zero", lambda a: a.prod(dim=1), lambda a: np.prod(a, axis=1), "fixed",
       make_inputs=_with_zeros((3, 4), ((0, 1), (1, 0), (1, 3))), covers=("prod",)),
    Op("prod_all_zeros", lambda a: a.prod(), np.prod, "fixed", make_inputs=_random_shape(0, 3, zeros=2),
       covers=("prod",)),
    Op("var", lambda a, axis, kd: a.var(axis, correction=0, keepdims=kd), _var, "reduce"),
    Op("var_corrected", lambda a: a.var(dim=-1), lambda a: np.var(a, axis=-1, ddof=1), "fixed",
       make_inputs=_fixed((3, 4)), covers=("var",)),
    Op("std", lambda a, axis, kd: a.std(axis, correction=0, keepdims=kd),
       lambda a, axis, kd: np.std(a, axis=axis, keepdims=kd), "reduce", distinct=True),  # kink where all are equal
    Op("std_corrected", lambda a: a.std(dim=0, keepdim=True), lambda a: np.std(a, axis=0, ddof=1, keepdims=True),
       "fixed", make_inputs=_fixed((3, 2)), covers=("std",)),
    Op("var_mean", lambda a: tg.stack(list(a.var_mean(dim=1))),
       lambda a: np.stack([np.var(a, axis=1, ddof=1), np.mean(a, axis=1)]), "fixed", make_inputs=_fixed((2, 3))),
    Op("std_mean", lambda a: tg.stack(list(a.std_mean(dim=0, correction=0))),
       lambda a: np.stack([np.std(a, axis=0), np.mean(a, axis=0)]), "fixed", make_inputs=_fixed((3, 2))),
    Op("norm", lambda a, axis, kd: a.norm(dim=axis, keepdim=kd),
       lambda a, axis, kd: np.sqrt(np.sum(a * a, axis=axis, keepdims=kd)), "reduce", away_from=0.0),
    Op("norm_p1", lambda a: a.norm(1, dim=-1), lambda a: np.abs(a).sum(-1), "fixed", make_inputs=_fixed((2, 3)),
       covers=("norm",)),
    Op("norm_p3", lambda a: a.norm(3), lambda a: (np.abs(a) ** 3).sum() ** (1 / 3), "fixed",
       make_inputs=_fixed((2, 3), kind="positive"), covers=("norm",)),
    Op("norm_inf", lambda a: a.norm(float("inf"), dim=1), lambda a: np.abs(a).max(1), "fixed",
       make_inputs=_distinct_fixed(2, 4), covers=("norm",)),
    Op("argmax", lambda a: a[_along(a.argmax(-1, keepdim=True))], lambda a: a.max(-1, keepdims=True), "fixed",
       make_inputs=_distinct_fixed(3, 4)),
    Op("argmin", lambda a: a.reshape(-1)[a.argmin()], lambda a: a.min(), "fixed", make_inputs=_distinct_fixed(3, 4)),
    Op("any", lambda a: a * a.any(dim=-1, keepdim=True), lambda a: a * np.any(a != 0, axis=-1, keepdims=True),
       "fixed", make_inputs=lambda rng: (ROW_ZEROS + rng.uniform(0.1, 0.2, (2, 3)) * (ROW_ZEROS != 0),)),
    Op("all", lambda a: a * a.all(dim=1, keepdim=True), lambda a: a * np.all(a != 0, axis=1, keepdims=True),
       "fixed", make_inputs=lambda rng: (ROW_ZEROS + rng.uniform(0.1, 0.2, (2, 3)) * (ROW_ZEROS != 0),)),
    # scans
    Op("cumsum", lambda a: a.cumsum(-1), _last(lambda a: np.cumsum(a, axis=-1))),
    Op("cumsum_dim0", lambda a: a.cumsum(dim=0), lambda a: np.cumsum(a, axis=0), "fixed",
       make_inputs=_random_shape(1, 3), covers=("cumsum",)),
    Op("cumprod", lambda a: a.cumprod(-1), _last(lambda a: np.cumprod(a, axis=-1))),
    Op("cumprod_zeros", lambda a: a.cumprod(dim=1), lambda a: np.cumprod(a, axis=1), "fixed",
       make_inputs=_with_zeros((3, 4), ((0, 1), (1, 0), (1, 2), (2, 3))), covers=("cumprod",)),
    Op("logcumsumexp", lambda a: a.logcumsumexp(-1), _last(lambda a: np.logaddexp.accumulate(a, axis=-1))),
    Op("logcumsumexp_dim0", lambda a: a.logcumsumexp(0), lambda a: np.logaddexp.accumulate(a, axis=0), "fixed",
       make_inputs=_random_shape(1, 3), covers=("logcumsumexp",)),
    Op("cummax", lambda a: a.cummax(-1).values, _last(lambda a: np.maximum.accumulate(a, axis=-1)), distinct=True),
    Op("cummin", lambda a: a.cummin(0).values, lambda a: np.minimum.accumulate(a, axis=0) if a.ndim else a,
       distinct=True),
    # sorting
    Op("sort", lambda a: a.sort().values, _last(lambda a: np.sort(a, axis=-1)), distinct=True),
    Op("sort_descending_dim0", lambda a: a.sort(0, descending=True).values, lambda a: -np.sort(-a, axis=0),
       "fixed", make_inputs=_random_shape(1, 3, distinct=True), covers=("sort",)),
    Op("argsort", lambda a: a[_along(a.argsort(dim=-1, descending=True))], lambda a: -np.sort(-a, axis=-1),
       "fixed", make_inputs=_distinct_fixed(3, 4)),
    Op("topk", lambda a: a.topk(2).values, lambda a: _topk_ref(a, 2), "fixed", make_inputs=_distinct_fixed(3, 4)),
    Op("topk_smallest", lambda a: a.topk(3, dim=0, largest=False).values,
       lambda a: np.sort(a, axis=0)[:3], "fixed", make_inputs=_distinct_fixed(4, 2), covers=("topk",)),
    # movement
    Op("flatten_range", lambda a: a.flatten(1, -1), lambda a: a.reshape(a.shape[0], int(np.prod(a.shape[1:]))), "fixed",
       make_inputs=_random_shape(2, 3), covers=("flatten",)),
    Op("unflatten", lambda a: a.unflatten(-1, (2, -1)), lambda a: a.reshape(2, 3, 2, 3), "fixed",
       make_inputs=_fixed((2, 3, 6))),
    Op("squeeze", lambda a: a.squeeze(), np.squeeze),
    Op("squeeze_dim", lambda a: a.squeeze((1, -1)), lambda a: a.reshape(2, 3), "fixed",
       make_inputs=_fixed((2, 1, 3, 1)), covers=("squeeze",)),
    Op("unsqueeze", lambda a: a.unsqueeze(-1), lambda a: np.expand_dims(a, -1)),
    Op("permute", lambda a: a.permute(-1, 0, 1), lambda a: np.transpose(a, (2, 0, 1)), "fixed",
       make_inputs=_random_shape(3, 3)),
    Op("movedim", lambda a: a.movedim((0, 1), (-1, 0)), lambda a: np.moveaxis(a, (0, 1), (-1, 0)), "fixed",
       make_inputs=_random_shape(3, 3)),
    Op("expand", lambda a: a.expand(2, -1, 4), lambda a: np.broadcast_to(a, (2, 3, 4)), "fixed",
       make_inputs=_fixed((3, 1))),
    Op("flip", lambda a: a.flip(0, -1), lambda a: np.flip(a, tuple({0, a.ndim - 1})), "fixed",
       make_inputs=_random_shape(1, 3)),
    Op("roll", lambda a: a.roll((1, -2), (0, 1)), lambda a: np.roll(a, (1, -2), (0, 1)), "fixed",
       make_inputs=_random_shape(2, 3)),
    Op("roll_flat", lambda a: a.roll(2), lambda a: np.roll(a, 2), covers=("roll",)),
    # shape ops built on them
    Op("pad_constant", lambda a: tg.nn.functional.pad(a, (1, 2, 0, 1), value=0.5),
       lambda a: np.pad(a, [(0, 0)] * (a.ndim - 2) + [(0, 1), (1, 2)], constant_values=0.5), "fixed",
       make_inputs=_random_shape(2, 3), covers=("pad",)),
    Op("pad_crop", lambda a: tg.nn.functional.pad(a, (-1, 1)), lambda a: np.pad(a, [(0, 0), (0, 1)])[:, 1:],
       "fixed", make_inputs=_fixed((2, 3)), covers=("pad",)),
    Op("pad_reflect", lambda a: tg.nn.functional.pad(a, (2, 1, 1, 1), mode="reflect"),
       lambda a: np.pad(a, [(0, 0)] * (a.ndim - 2) + [(1, 1), (2, 1)], mode="reflect"), "fixed",
       make_inputs=_fixed((2, 3, 4)), covers=("pad",)),
    Op("pad_replicate", lambda a: tg.nn.functional.pad(a, (3, 1), mode="replicate"),
       lambda a: np.pad(a, [(0, 0)] * (a.ndim - 1) + [(3, 1)], mode="edge"), "fixed",
       make_inputs=_fixed((2, 2)), covers=("pad",)),
    Op("pad_circular", lambda a: tg.nn.functional.pad(a, (1, 2), mode="circular"),
       lambda a: np.pad(a, [(0, 0), (1, 2)], mode="wrap"), "fixed", make_inputs=_fixed((2, 3)), covers=("pad",)),
    Op("repeat", lambda a: a.repeat(2, 1, 3), lambda a: np.tile(a, (2, 1, 3)), "fixed",
       make_inputs=_random_shape(1, 2)),
    Op("repeat_interleave", lambda a: a.repeat_interleave(np.array([2, 0, 1]), dim=1),
       lambda a: np.repeat(a, [2, 0, 1], axis=1), "fixed", make_inputs=_fixed((2, 3))),
    Op("repeat_interleave_flat", lambda a: a.repeat_interleave(2), lambda a: np.repeat(a, 2),
       covers=("repeat_interleave",)),
    Op("tril", lambda a: a.tril(-1), lambda a: np.tril(a, -1), "fixed", make_inputs=_random_shape(2, 3)),
    Op("triu", lambda a: a.triu(1), lambda a: np.triu(a, 1), "fixed", make_inputs=_random_shape(2, 3)),
    Op("diagonal", lambda a: a.diagonal(1, -1, 0), lambda a: np.diagonal(a, 1, -1, 0), "fixed",
       make_inputs=_random_shape(2, 3)),
    Op("diag", lambda a: a.diag(-1), lambda a: np.diag(a, -1), "fixed", make_inputs=_random_shape(1, 2)),
    Op("unfold", lambda a: a.unfold(-1, 3, 2),
       lambda a: np.lib.stride_tricks.sliding_window_view(a, 3, -1)[..., ::2, :], "fixed", make_inputs=_fixed((2, 7))),
    Op("split", lambda a: a.split([1, 2], dim=1)[1], lambda a: a[:, 1:3], "fixed", make_inputs=_fixed((2, 3))),
    Op("split_size", lambda a: a.split(2)[-1], lambda a: a[2:], "fixed", make_inputs=_fixed((3, 2)),
       covers=("split",)),
    Op("chunk", lambda a: tg.concatenate(list(a.chunk(3, -1))[::-1], axis=-1),
       lambda a: np.concatenate([a[:, 4:], a[:, 2:4], a[:, :2]], axis=-1), "fixed", make_inputs=_fixed((2, 5))),
    Op("meshgrid", lambda a, b: tg.stack(list(tg.meshgrid(a, b, indexing="xy"))),
       lambda a, b: np.stack(np.meshgrid(a, b)), "fixed", make_inputs=_fixed((2,), (3,))),
    Op("normalize", lambda a: tg.nn.functional.normalize(a, dim=-1), lambda a: a / np.linalg.norm(a, axis=-1,
                                                                                                 keepdims=True),
       "fixed", make_inputs=_fixed((3, 4))),
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
    # ---- issue 16: ops/inplace.py, what the makemore lectures do to tensors (one block) ----
    Op("clone", lambda a: a.clone() * 2.0, lambda a: a * 2.0, scalar=True),
    Op("max_values_indices", lambda a: a.max(1, keepdim=True).values + a.max(1).indices.reshape(-1, 1),
       lambda a: a.max(1, keepdims=True) + a.argmax(1).reshape(-1, 1), "fixed", make_inputs=_distinct_fixed(3, 4),
       covers=("values", "indices")),
    Op("setitem", lambda a: _written(a), lambda a: np.where(np.arange(a.shape[-1]) == 0, 7.0, a) if a.ndim else a,
       grad="none", second_order=False,
       covers=("__setitem__", "__array__", "item", "__index__", "retain_grad", "nelement", "numel")),
]


def _written(a: tg.Value) -> tg.Value:
    """A copy of ``a`` (data only) with 7 written at position 0 of its last axis: ``out[..., zero] = 7``."""
    out = tg.tensor(np.asarray(a), dtype=tg.float64)  # __array__
    a.retain_grad()
    if a.ndim:
        zero = tg.tensor([a.nelement() - a.numel()])[0]  # an int Value: __index__ and item()
        assert isinstance(zero.item(), int) and [10, 20][zero] == 10
        out[..., zero] = 7.0
    return out


# ---- issue 13: convolution, pooling (ops/conv.py) and the layer functions (nn/layer_functions.py) --------
# Each case is keyed by its input shapes (as EINSUM_CASES): batch 1 and 2, odd sizes, stride 2, padding,
# dilation 2, groups 2, "same" with an even kernel (padded more at the end).
CONV_CASES = {
    ((1, 1, 4, 5), (2, 1, 3, 3), (2,)): dict(padding=1),
    ((2, 2, 5, 4), (2, 1, 2, 3)): dict(stride=2, padding=(1, 0), groups=2),
    ((1, 2, 6, 5), (1, 2, 2, 2), (1,)): dict(stride=(1, 2), dilation=2),
    ((2, 2, 3, 4), (2, 2, 2, 2)): dict(padding="same"),
    ((1, 4, 5, 5), (2, 2, 3, 1), (2,)): dict(stride=2, padding=1, dilation=(2, 1), groups=2),
}
CONV1D_CASES = {
    ((2, 2, 7), (4, 1, 3), (4,)): dict(stride=2, padding=1, dilation=2, groups=2),
    ((1, 3, 5), (2, 3, 2)): dict(padding="same"),
}
CONV_T_CASES = {  # weight (in, out/groups, kh, kw)
    ((2, 2, 3, 2), (2, 3, 3, 2), (3,)): dict(stride=2, padding=1, output_padding=1),
    ((1, 4, 2, 3), (4, 1, 2, 2)): dict(stride=(1, 2), dilation=2, groups=2),
}
POOL_CASES = {  # (input shape) -> kwargs
    (1, 2, 5, 5): dict(kernel_size=2),
    (2, 1, 5, 6): dict(kernel_size=3, stride=2, padding=1),
    (1, 2, 6, 7): dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1)),
    (2, 1, 7, 5): dict(kernel_size=2, stride=1, dilation=2),  # max_pool2d only
}
ADAPTIVE_CASES = {(1, 2, 5, 5): 1, (2, 1, 5, 7): (2, 3), (1, 1, 4, 6): (4, 2)}


def _cases(table):
    def make(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        keys = list(table)
        key = keys[int(rng.integers(len(keys)))]
        shapes = key if isinstance(key[0], tuple) else (key,)
        return tuple(rng.uniform(-2, 2, size=s) for s in shapes)

    return make


def _key(*xs):
    return tuple(np.shape(x.data if isinstance(x, tg.Value) else x) for x in xs)


def _np_pads(padding, k, d):
    if padding == "same":
        total = [d[i] * (k[i] - 1) for i in range(2)]
        return [(t // 2, t - t // 2) for t in total]
    p = (padding, padding) if isinstance(padding, int) else padding
    return [(p[0], p[0]), (p[1], p[1])]


def _two(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _np_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """The definition, one output element at a time (a reference, not an implementation)."""
    s, d, k = _two(stride), _two(dilation), w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0), *_np_pads(padding, k, d)])
    n, c = x.shape[:2]
    o, cg = w.shape[:2]
    ho = (xp.shape[2] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    wo = (xp.shape[3] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, o, ho, wo))
    for oc in range(o):
        g = oc // (o // groups)
        for y in range(ho):
            for z in range(wo):
                patch = xp[:, g * cg:(g + 1) * cg, y * s[0]: y * s[0] + d[0] * (k[0] - 1) + 1: d[0],
                           z * s[1]: z * s[1] + d[1] * (k[1] - 1) + 1: d[1]]
                out[:, oc, y, z] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return out if b is None else out + b[None, :, None, None]


def _np_conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    pad = padding if isinstance(padding, str) else (0, padding)
    return _np_conv2d(x[:, :, None], w[:, :, None], b, (1, stride), pad, (1, dilation), groups)[:, :, 0]


def _np_conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The definition: each input pixel scatters its kernel-weighted window into the output."""
    s, p, op, d = _two(stride), _two(padding), _two(output_padding), _two(dilation)
    n, c, h, wd = x.shape
    cg, og, kh, kw = w.shape
    o = og * groups
    full = np.zeros((n, o, (h - 1) * s[0] + d[0] * (kh - 1) + 1 + op[0], (wd - 1) * s[1] + d[1] * (kw - 1) + 1 + op[1]))
    for ci in range(c):
        g = ci // (c // groups)
        for y in range(h):
            for z in range(wd):
                for i in range(kh):
                    for j in range(kw):
                        full[:, g * og:(g + 1) * og, y * s[0] + i * d[0], z * s[1] + j * d[1]] += (
                            x[:, ci, y, z, None] * w[ci, :, i, j])
    out = full[:, :, p[0]: full.shape[2] - p[0], p[1]: full.shape[3] - p[1]]
    return out if b is None else out + b[None, :, None, None]


def _np_group_norm(x, groups, w, b, eps=1e-5):
    g = x.reshape(x.shape[0], groups, -1)
    y = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + eps)).reshape(x.shape)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return y * w.reshape(shape) + b.reshape(shape)


def _np_pool(x, kernel_size, stride=None, padding=0, dilation=1, how="max"):
    k = _two(kernel_size)
    s, p, d = _two(stride or kernel_size), _two(padding), _two(dilation)
    fill = -np.inf if how == "max" else 0.0
    xp = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])], constant_values=fill)
    ho = (xp.shape[2] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    wo = (xp.shape[3] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros(x.shape[:2] + (ho, wo))
    for y in range(ho):
        for z in range(wo):
            win = xp[:, :, y * s[0]: y * s[0] + d[0] * (k[0] - 1) + 1: d[0], z * s[1]: z * s[1] + d[1] * (k[1] - 1) + 1:
                     d[1]]
            out[:, :, y, z] = win.max(axis=(2, 3)) if how == "max" else win.mean(axis=(2, 3))
    return out


def _np_adaptive(x, size):
    oh, ow = _two(size)
    h, w = x.shape[2:]
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * h // oh: -(-(i + 1) * h // oh), j * w // ow: -(-(j + 1) * w // ow)].mean(
                axis=(2, 3))
    return out


IM2COL_GEOM = ((2, 3), (2, 1), ((1, 0), (0, 2)), (1, 2))  # kernel, stride, ((top, bottom), (left, right)), dilation


def _np_im2col(x):
    (kh, kw), s, p, d = IM2COL_GEOM
    xp = np.pad(x, [(0, 0), (0, 0), *p])
    ho = (xp.shape[2] - d[0] * (kh - 1) - 1) // s[0] + 1
    wo = (xp.shape[3] - d[1] * (kw - 1) - 1) // s[1] + 1
    out = np.zeros(x.shape[:2] + (ho, wo, kh, kw))
    for y in range(ho):
        for z in range(wo):
            for i in range(kh):
                for j in range(kw):
                    out[:, :, y, z, i, j] = xp[:, :, y * s[0] + i * d[0], z * s[1] + j * d[1]]
    return out


def _np_col2im(cols):
    """The adjoint of _np_im2col (its transpose, column by column): sum(col2im(c) * x) == sum(c * im2col(x))."""
    shape = (2, 1, 4, 5)
    basis = np.eye(int(np.prod(shape))).reshape(-1, *shape)
    return np.array([(_np_im2col(e) * cols).sum() for e in basis]).reshape(shape)


def _np_layer_norm(x, w=None, b=None, dims=1, eps=1e-5):
    axes = tuple(range(x.ndim - dims, x.ndim))
    y = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


def _np_batch_norm(x, w, b, mean=None, var=None, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    axes = (0, *range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True) if mean is None else mean.reshape(shape)
    var = x.var(axis=axes, keepdims=True) if var is None else var.reshape(shape)
    return (x - mean) / np.sqrt(var + eps) * w.reshape(shape) + b.reshape(shape)


BN_MEAN, BN_VAR = np.array([0.5, -1.0, 0.25]), np.array([1.5, 0.5, 2.0])
EMB_INDEX = np.array([[1, 0, 3], [3, 3, 2]])  # repeats: gradients add up


def _dropout_mask(shape, p=0.4):
    return (np.random.default_rng(5).random(shape) >= p) / (1 - p)


def _np_sdpa(q, k, v, mask=None):
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ v


CAUSAL = np.tril(np.ones((3, 3), dtype=bool))
SDPA_BOOL_MASK = np.array([[True, False, True, True], [False, True, True, False], [True, True, False, True]])


def _f():
    from tinygrad_edu.nn import functional

    return functional


OPS += [
    Op("conv2d", lambda *xs: _f().conv2d(*xs, **CONV_CASES[_key(*xs)]),
       lambda *xs: _np_conv2d(*xs, **CONV_CASES[_key(*xs)]), "fixed", make_inputs=_cases(CONV_CASES),
       covers=("conv2d", "im2col")),
    Op("conv1d", lambda *xs: _f().conv1d(*xs, **CONV1D_CASES[_key(*xs)]),
       lambda *xs: _np_conv1d(*xs, **CONV1D_CASES[_key(*xs)]), "fixed", make_inputs=_cases(CONV1D_CASES)),
    Op("conv_transpose2d", lambda *xs: _f().conv_transpose2d(*xs, **CONV_T_CASES[_key(*xs)]),
       lambda *xs: _np_conv_transpose2d(*xs, **CONV_T_CASES[_key(*xs)]), "fixed", make_inputs=_cases(CONV_T_CASES)),
    Op("group_norm", lambda x, w, b: _f().group_norm(x, 2, w, b), lambda x, w, b: _np_group_norm(x, 2, w, b),
       "fixed", make_inputs=_fixed((2, 4, 3), (4,), (4,))),
    Op("im2col", lambda a: __import__("tinygrad_edu.ops.conv", fromlist=["_"]).im2col(a, *IM2COL_GEOM), _np_im2col,
       "fixed", make_inputs=_fixed((2, 1, 4, 5))),
    Op("col2im", lambda a: __import__("tinygrad_edu.ops.conv", fromlist=["_"]).col2im(a, (2, 1, 4, 5), *IM2COL_GEOM),
       _np_col2im, "fixed", make_inputs=_fixed(_np_im2col(np.zeros((2, 1, 4, 5))).shape)),
    Op("max_pool2d", lambda a: _f().max_pool2d(a, **POOL_CASES[a.shape]),
       lambda a: _np_pool(a, **POOL_CASES[a.shape]), "fixed", make_inputs=_cases(POOL_CASES)),
    Op("avg_pool2d", lambda a: _f().avg_pool2d(a, **POOL_CASES[a.shape]),
       lambda a: _np_pool(a, **POOL_CASES[a.shape], how="mean"), "fixed",
       make_inputs=_cases({k: v for k, v in POOL_CASES.items() if "dilation" not in v})),
    Op("adaptive_avg_pool2d", lambda a: _f().adaptive_avg_pool2d(a, ADAPTIVE_CASES[a.shape]),
       lambda a: _np_adaptive(a, ADAPTIVE_CASES[a.shape]), "fixed", make_inputs=_cases(ADAPTIVE_CASES)),
    Op("dropout", lambda a: _f().dropout(a, 0.4, True, generator=np.random.default_rng(5)),
       lambda a: a * _dropout_mask(a.shape), "fixed", make_inputs=_fixed((3, 4))),
    Op("dropout_eval", lambda a: _f().dropout(a, 0.4, False) * 1.0, lambda a: a, "fixed",
       make_inputs=_fixed((2, 3)), covers=("dropout",)),
    Op("embedding", lambda w: _f().embedding(EMB_INDEX, w), lambda w: w[EMB_INDEX], "fixed",
       make_inputs=_fixed((4, 3))),
    Op("layer_norm", lambda x, w, b: _f().layer_norm(x, (3, 4), w, b), lambda x, w, b: _np_layer_norm(x, w, b, 2),
       "fixed", make_inputs=_fixed((2, 3, 4), (3, 4), (3, 4))),
    Op("layer_norm_no_affine", lambda x: _f().layer_norm(x, 5), lambda x: _np_layer_norm(x), "fixed",
       make_inputs=_fixed((3, 5)), covers=("layer_norm",)),
    Op("batch_norm_training", lambda x, w, b: _f().batch_norm(x, None, None, w, b, training=True),
       _np_batch_norm, "fixed", make_inputs=_fixed((4, 3, 2, 1), (3,), (3,)), covers=("batch_norm",)),
    Op("batch_norm_eval", lambda x, w, b: _f().batch_norm(x, BN_MEAN, BN_VAR, w, b),
       lambda x, w, b: _np_batch_norm(x, w, b, BN_MEAN, BN_VAR), "fixed", make_inputs=_fixed((2, 3, 3), (3,), (3,)),
       covers=("batch_norm",)),
    Op("scaled_dot_product_attention", lambda q, k, v: _f().scaled_dot_product_attention(q, k, v), _np_sdpa,
       "fixed", make_inputs=_fixed((2, 3, 2), (2, 4, 2), (2, 4, 3))),
    Op("sdpa_causal", lambda q, k, v: _f().scaled_dot_product_attention(q, k, v, is_causal=True),
       lambda q, k, v: _np_sdpa(q, k, v, CAUSAL), "fixed", make_inputs=_fixed((1, 2, 3, 2), (1, 2, 3, 2), (1, 2, 3, 2)),
       covers=("scaled_dot_product_attention",)),
    Op("sdpa_bool_mask", lambda q, k, v: _f().scaled_dot_product_attention(q, k, v, attn_mask=SDPA_BOOL_MASK),
       lambda q, k, v: _np_sdpa(q, k, v, SDPA_BOOL_MASK), "fixed", make_inputs=_fixed((3, 2), (4, 2), (4, 2)),
       covers=("scaled_dot_product_attention",)),
    Op("sdpa_float_mask", lambda q, k, v, m: _f().scaled_dot_product_attention(q, k, v, attn_mask=m),
       _np_sdpa, "fixed", make_inputs=_fixed((2, 3, 2), (2, 4, 2), (2, 4, 2), (3, 4)),
       covers=("scaled_dot_product_attention",)),
]


# ---- issue 13 (w2-cnn): F.interpolate, and max/avg pooling with ceil_mode=True ---------------------------
INTERP_CASES = {  # (input shape) -> kwargs: up and down, repeats (gradients add up), both align_corners
    (2, 2, 5): dict(size=8),
    (1, 2, 3, 4): dict(scale_factor=2),
    (1, 1, 5, 6): dict(size=(3, 4)),
    (2, 1, 3, 4): dict(size=(5, 7), mode="bilinear", align_corners=False),
    (1, 2, 4, 3): dict(scale_factor=(1.5, 2), mode="bilinear", align_corners=True),
    (1, 1, 6, 5): dict(size=(3, 2), mode="bilinear"),
    (2, 1, 4): dict(size=7, mode="linear", align_corners=True),
}


def _np_interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """The definition, one output element at a time: source coordinates, then the 2 (or 4) weighted neighbours."""
    spatial = x.shape[2:]
    if size is not None:
        sizes = [size] * len(spatial) if isinstance(size, int) else list(size)
        scales = [n / m for n, m in zip(spatial, sizes)]
    else:
        factors = [scale_factor] * len(spatial) if isinstance(scale_factor, int | float) else list(scale_factor)
        sizes = [int(np.floor(n * f)) for n, f in zip(spatial, factors)]
        scales = [1 / f for f in factors]

    def taps(axis, dst):  # [(source index, weight), ...] along one axis
        n, m, scale = spatial[axis], sizes[axis], scales[axis]
        if mode == "nearest":
            return [(min(int(np.floor(dst * scale)), n - 1), 1.0)]
        src = dst * (n - 1) / (m - 1) if align_corners else max((dst + 0.5) * scale - 0.5, 0.0)
        lo = int(np.floor(src))
        hi, w = min(lo + 1, n - 1), src - lo
        return [(lo, 1 - w), (hi, w)]

    out = np.zeros(x.shape[:2] + tuple(sizes))
    for dst in np.ndindex(*sizes):
        for picks in __import__("itertools").product(*[taps(a, d) for a, d in enumerate(dst)]):
            src = tuple(i for i, _ in picks)
            out[(..., *dst)] += np.prod([w for _, w in picks]) * x[(..., *src)]
    return out


POOL_CEIL_CASES = {  # (input shape) -> kwargs; count_include_pad is avg_pool2d's only
    (1, 2, 5, 5): dict(kernel_size=2),
    (2, 1, 6, 7): dict(kernel_size=3, stride=2, padding=1),
    (1, 1, 7, 6): dict(kernel_size=2, stride=3),  # stride > kernel
    (1, 2, 5, 6): dict(kernel_size=(3, 2), stride=2, padding=(1, 0), count_include_pad=False),
}


def _np_pool_ceil(x, kernel_size, stride=None, padding=0, count_include_pad=True, how="max"):
    """PyTorch's definition with ceil_mode=True: round the count of windows up, unless the last would start
    in the right padding; a window averages over its real numbers and its part of the (asked-for) padding."""
    k, s, p = _two(kernel_size), _two(stride or kernel_size), _two(padding)
    sizes = []
    for a in range(2):
        n = x.shape[2 + a]
        out = -(-(n + 2 * p[a] - k[a]) // s[a]) + 1
        sizes.append(out - 1 if (out - 1) * s[a] >= n + p[a] else out)
    h, w = x.shape[2:]
    out = np.zeros(x.shape[:2] + tuple(sizes))
    for y in range(sizes[0]):
        for z in range(sizes[1]):
            t, left = y * s[0] - p[0], z * s[1] - p[1]
            win = x[:, :, max(t, 0): min(t + k[0], h), max(left, 0): min(left + k[1], w)]
            if how == "max":
                out[:, :, y, z] = win.max(axis=(2, 3))
                continue
            counted = (min(t + k[0], h + p[0]) - t) * (min(left + k[1], w + p[1]) - left)
            out[:, :, y, z] = win.sum(axis=(2, 3)) / (counted if count_include_pad else win.shape[2] * win.shape[3])
    return out


def _no_cip(kw):
    return {k: v for k, v in kw.items() if k != "count_include_pad"}


OPS += [
    Op("interpolate", lambda a: _f().interpolate(a, **INTERP_CASES[a.shape]),
       lambda a: _np_interpolate(a, **INTERP_CASES[a.shape]), "fixed", make_inputs=_cases(INTERP_CASES)),
    Op("max_pool2d_ceil", lambda a: _f().max_pool2d(a, **_no_cip(POOL_CEIL_CASES[a.shape]), ceil_mode=True),
       lambda a: _np_pool_ceil(a, **_no_cip(POOL_CEIL_CASES[a.shape])), "fixed", make_inputs=_cases(POOL_CEIL_CASES),
       covers=("max_pool2d",)),
    Op("avg_pool2d_ceil", lambda a: _f().avg_pool2d(a, **POOL_CEIL_CASES[a.shape], ceil_mode=True),
       lambda a: _np_pool_ceil(a, **POOL_CEIL_CASES[a.shape], how="mean"), "fixed",
       make_inputs=_cases(POOL_CEIL_CASES), covers=("avg_pool2d",)),
]
