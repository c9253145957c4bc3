"""``Value``: a scalar or a NumPy array that records how it was computed.

Each op below reads like the math: the forward value first, then the local
gradient rule right below it, with the derivative in a comment. A rule has the
signature ``rule(g, out, ctx, *inputs)`` and returns one gradient per input.
``backward()`` calls it on raw floats/arrays; ``backward(create_graph=True)``
calls the very same rule on Values, which is how higher-order gradients come
for free. Gradients of broadcast inputs are summed back to the input's shape by
the graph walk (``autograd.backprop``), so the rules can ignore broadcasting.

Scalars (``Value(2.0)``) keep a plain Python float in ``.data`` and
``.grad``, exactly like micrograd; tensors keep a NumPy array and start with
``.grad = None`` like PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Union

import numpy as np

from . import autograd
from .autograd import _Mode
from .errors import BackwardError, DataError, GraphIndexError, ShapeError, fmt_shape

Operand = Union["Value", int, float, np.ndarray, Sequence[Any]]
Backward = Callable[..., tuple[Any, ...]]


# --------------------------------------------------------------------------
# Converting user data
# --------------------------------------------------------------------------
def _as_data(data: Any, op: str, dtype: Any = None, copy: bool = True) -> Any:
    """Python numbers become floats; everything else a float NumPy array.

    With ``copy=False`` (constants lifted into an op) integer and boolean
    arrays are kept as they are: NumPy's promotion then keeps float32 float32.
    """
    if dtype is None and isinstance(data, float | int | np.integer | np.bool_):
        return float(data)  # includes np.float64 (a float subclass), as micrograd keeps it
    try:
        arr = np.array(data, dtype=dtype, copy=copy) if copy else np.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise DataError(f"{op}: expected numbers or a numeric array, got {type(data).__name__}: {e}") from None
    if arr.dtype.kind in "biu":
        if not copy:
            return arr
        arr = arr.astype(np.float64)  # integer and boolean data become float64
    elif arr.dtype.kind != "f":
        raise DataError(
            f"{op}: expected numeric (real) data, got an array of dtype {arr.dtype} "
            f"from {type(data).__name__}"
        )
    return arr


def _lift(x: Any, op: str) -> Value:
    """Wrap a number or array taking part in an op as a constant (no gradient)."""
    if isinstance(x, Value):
        return x
    if isinstance(x, float | int):
        return _constant(float(x))
    return _constant(_as_data(x, op, copy=False))


def _constant(data: Any) -> Value:
    v = Value.__new__(Value)
    v.data = data
    v.grad = 0.0 if data.__class__ is float else None
    v.requires_grad = False
    v.label = ""
    v._prev = ()
    v._op = ""
    v._backward = None
    v._ctx = None
    v._scope = _Mode.scope
    return v


def make_op(data: Any, inputs: tuple[Value, ...], op: str, backward: Backward, ctx: Any = None) -> Value:
    """Record an op's output: ``data`` computed from ``inputs``, differentiated by ``backward``.

    This is the one place the graph grows; it is also the extension point for
    new ops (``nn.functional`` uses it for fused, numerically stable losses).
    ``backward(g, out, ctx, *inputs)`` must return one gradient (or None) per input.
    """
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0 if data.__class__ is float else None
    out.label = ""
    out._op = op
    out._scope = _Mode.scope
    if _Mode.grad:
        for x in inputs:
            if x.requires_grad:
                out.requires_grad = True
                out._prev = inputs
                out._backward = backward
                out._ctx = ctx
                break
        else:
            out.requires_grad = False
            out._prev = ()
            out._backward = None
            out._ctx = None
    else:
        out.requires_grad = False
        out._prev = ()
        out._backward = None
        out._ctx = None
    if _Mode.anomaly:
        autograd.check_forward(out)
    return out


def _broadcast_error(op: str, a: Any, b: Any) -> ShapeError:
    return ShapeError(
        f"{op}: shapes {fmt_shape(np.shape(a))} and {fmt_shape(np.shape(b))} cannot be "
        "broadcast together (each axis, counted from the right, must be equal or 1)"
    )


Number = (float, int)  # plain numbers, np.float64 included (a float subclass)


def _scalar_div_by_zero(x: float) -> float:
    # IEEE / NumPy semantics instead of Python's ZeroDivisionError
    return math.nan if x == 0 or x != x else math.copysign(math.inf, x)


# Scalar helpers: math.* is far faster than NumPy on Python floats, but raises
# where NumPy returns inf/nan; these give NumPy's answers.
def _fexp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _flog(x: float) -> float:
    return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)


def _fsigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # x < 0, so this never overflows
    return e / (1.0 + e)


# Elementwise functions usable on floats, arrays and Values alike: the gradient
# rules call these, so that one rule serves both backward modes.
def exp(x: Any) -> Any:
    """e**x for a Value, a float or an array."""
    if isinstance(x, Value):
        return x.exp()
    return _fexp(x) if x.__class__ is float else np.exp(x)


def log(x: Any) -> Any:
    """Natural logarithm for a Value, a float or an array."""
    if isinstance(x, Value):
        return x.log()
    return _flog(x) if x.__class__ is float else np.log(x)


def sin(x: Any) -> Any:
    """Sine for a Value, a float or an array."""
    if isinstance(x, Value):
        return x.sin()
    return math.sin(x) if x.__class__ is float else np.sin(x)


def cos(x: Any) -> Any:
    """Cosine for a Value, a float or an array."""
    if isinstance(x, Value):
        return x.cos()
    return math.cos(x) if x.__class__ is float else np.cos(x)


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Value) else x


def _sign(x: Any) -> Any:
    x = _raw(x)
    if x.__class__ is float:
        return (x > 0) - (x < 0)
    return np.sign(x)


# --------------------------------------------------------------------------
# Gradient rules. Each is next to nothing but its derivative; the ops that use
# them are the Value methods further down.
# --------------------------------------------------------------------------
def _add_backward(g, out, ctx, a, b):
    # d(a+b)/da = 1, d(a+b)/db = 1
    return g, g


def _sub_backward(g, out, ctx, a, b):
    # d(a-b)/da = 1, d(a-b)/db = -1
    return g, -g


def _mul_backward(g, out, ctx, a, b):
    # d(a*b)/da = b, d(a*b)/db = a
    return g * b, g * a


def _div_backward(g, out, ctx, a, b):
    # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2 = -out/b
    return g / b, -g * out / b


# Ops with a plain number c on one side keep c in ctx instead of making a
# constant node: fewer objects per op, and drawings show "* 2" on the op.
def _add_number_backward(g, out, c, a):
    # d(a+c)/da = 1 (also a-c)
    return (g,)


def _mul_number_backward(g, out, c, a):
    # d(a*c)/da = c
    return (g * c,)


def _div_number_backward(g, out, c, a):
    # d(a/c)/da = 1/c
    return (g / c,)


def _rsub_number_backward(g, out, c, a):
    # d(c-a)/da = -1
    return (-g,)


def _rdiv_number_backward(g, out, c, a):
    # d(c/a)/da = -c/a**2 = -out/a
    return (-g * out / a,)


def _neg_backward(g, out, ctx, a):
    # d(-a)/da = -1
    return (-g,)


def _pow_const_backward(g, out, c, a):
    # d(a**c)/da = c * a**(c-1)
    return (g * c * a ** (c - 1),)


def _pow_backward(g, out, ctx, a, b):
    # d(a**b)/da = b * a**(b-1);  d(a**b)/db = a**b * log(a)
    # NOTE: log(a) is undefined for a <= 0; at a == 0 we use 0 (as PyTorch does).
    a_raw = _raw(a)
    safe_a = where(a_raw == 0, 1.0, a) if isinstance(a, Value) else np.where(a_raw == 0, 1.0, a_raw)
    return g * b * a ** (b - 1), g * out * log(safe_a)


def _exp_backward(g, out, ctx, a):
    # d(e**a)/da = e**a = out
    return (g * out,)


def _log_backward(g, out, ctx, a):
    # d(log a)/da = 1/a
    return (g / a,)


def _sqrt_backward(g, out, ctx, a):
    # d(sqrt a)/da = 1 / (2 sqrt a) = 1 / (2 out)
    return (g / (out * 2.0),)


def _abs_backward(g, out, ctx, a):
    # d|a|/da = sign(a)   NOTE: 0 at a == 0 (a subgradient), as in PyTorch
    return (g * _sign(a),)


def _sin_backward(g, out, ctx, a):
    # d(sin a)/da = cos a
    return (g * cos(a),)


def _cos_backward(g, out, ctx, a):
    # d(cos a)/da = -sin a
    return (-g * sin(a),)


def _tanh_backward(g, out, ctx, a):
    # d(tanh a)/da = 1 - tanh(a)**2 = 1 - out**2
    return (g * (1.0 - out * out),)


def _sigmoid_backward(g, out, ctx, a):
    # d(sigma(a))/da = sigma(a) (1 - sigma(a)) = out (1 - out)
    return (g * (out * (1.0 - out)),)


def _relu_backward(g, out, ctx, a):
    # d(max(0, a))/da = 1 if a > 0 else 0   NOTE: 0 at a == 0, as in PyTorch
    return (g * (_raw(a) > 0),)


def _clip_backward(g, out, ctx, a):
    # d clip(a, lo, hi)/da = 1 inside [lo, hi], 0 outside
    lo, hi = ctx
    x = _raw(a)
    inside = np.ones(np.shape(x), dtype=bool) if np.ndim(x) else True
    if lo is not None:
        inside = inside & (x >= lo)
    if hi is not None:
        inside = inside & (x <= hi)
    return (g * inside,)


def _matmul_backward(g, out, ctx, a, b):
    # d(a@b)/da = g @ b^T,  d(a@b)/db = a^T @ g   (1-D operands are promoted
    # to matrices the way NumPy does, and the added axis removed again)
    need_a, need_b = ctx
    a_nd, b_nd = a.ndim, b.ndim
    a2 = a.reshape((1,) + a.shape) if a_nd == 1 else a
    b2 = b.reshape(b.shape + (1,)) if b_nd == 1 else b
    g2 = g
    if a_nd == 1:
        g2 = g2.reshape(g2.shape[:-1] + (1,) + g2.shape[-1:]) if b_nd > 1 else g2.reshape((1,) + g2.shape)
    if b_nd == 1:
        g2 = g2.reshape(g2.shape + (1,))
    ga = gb = None
    if need_a:
        ga = g2 @ b2.swapaxes(-1, -2)
        if a_nd == 1:
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
    if need_b:
        gb = a2.swapaxes(-1, -2) @ g2
        if b_nd == 1:
            gb = gb.reshape(gb.shape[:-1])
    return ga, gb


def _keepdims_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """The shape of a reduction over ``axis`` with keepdims=True."""
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand(g: Any, shape: tuple[int, ...]) -> Any:
    """Broadcast g (already with reduced axes of size 1) up to ``shape``."""
    if isinstance(g, Value):
        return g.broadcast_to(shape)
    return np.broadcast_to(g, shape)


def _sum_backward(g, out, ctx, a):
    # d(sum a)/da_i = 1: every input element gets the output's gradient
    shape, kd_shape = ctx
    return (_expand(g.reshape(kd_shape), shape),)


def _broadcast_backward(g, out, shape, a):
    # broadcasting copies a; the copies' gradients add up
    return (autograd.sum_to(g, shape),)


def _max_backward(g, out, ctx, a):
    # d(max a)/da_i = 1 for the maximal element; ties share it equally
    axis, kd_shape = ctx
    a_raw, out_raw = _raw(a), _raw(out)
    winners = a_raw == np.reshape(out_raw, kd_shape)
    share = winners / winners.sum(axis=axis, keepdims=True)
    return (_expand(g.reshape(kd_shape), np.shape(a_raw)) * share,)


def _reshape_backward(g, out, shape, a):
    # reshaping moves no numbers: the gradient is reshaped back
    return (g.reshape(shape),)


def _transpose_backward(g, out, axes, a):
    # the gradient is permuted back by the inverse permutation
    return (g.transpose(tuple(np.argsort(axes))),)


def _getitem_backward(g, out, ctx, a):
    # each selected element's gradient goes back to where it came from;
    # indices that repeat accumulate (d(x[i] + x[i])/dx_i = 2)
    index, shape = ctx
    return (_scatter(g, index, shape),)


def _scatter_backward(g, out, ctx, a):
    # scatter's adjoint is gathering the same index
    index, shape = ctx
    return (g[index],)


def _has_advanced(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray | list) and np.asarray(p).dtype != bool for p in parts)


def _scatter(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeats accumulate)."""
    if isinstance(g, Value):
        return make_op(_scatter(g.data, index, shape), (g,), "scatter", _scatter_backward, (index, shape))
    out = np.zeros(shape, dtype=g.dtype)
    if _has_advanced(index):
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out


def _logsumexp_backward(g, out, ctx, a):
    # d logsumexp(a)/da_i = e**a_i / sum_j e**a_j = softmax(a)_i = e**(a_i - out)
    kd_shape = ctx
    return (g.reshape(kd_shape) * exp(a - out.reshape(kd_shape)),)


def _concat_backward(g, out, ctx, *parts):
    # each input gets back its own slice of the gradient
    axis, sizes = ctx
    grads, start = [], 0
    for n in sizes:
        index = [slice(None)] * g.ndim
        index[axis] = slice(start, start + n)
        grads.append(g[tuple(index)])
        start += n
    return tuple(grads)


def _where_backward(g, out, cond, a, b):
    # d where(c, a, b)/da = c,  d/db = not c
    return g * cond, g * ~cond


# --------------------------------------------------------------------------
# The Value class
# --------------------------------------------------------------------------
class Value:
    """A number or NumPy array, with a gradient and the graph that produced it.

    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = a * b + 1
    >>> c.backward()
    >>> c.data, a.grad, b.grad
    (-5.0, -3.0, 2.0)
    >>> import numpy as np
    >>> x = Value(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> (x @ x).sum().backward()
    >>> x.grad
    array([[ 7., 11.],
           [ 9., 13.]])
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "_prev", "_op", "_backward", "_ctx", "_scope")
    __array_ufunc__ = None  # make `ndarray * Value` call Value.__rmul__, not NumPy

    data: Any
    grad: Any
    requires_grad: bool
    label: str

    def __init__(
        self,
        data: Any,
        _children: Sequence[Value] = (),
        _op: str = "",
        label: str = "",
        *,
        requires_grad: bool = True,
        dtype: Any = None,
    ) -> None:
        if isinstance(data, Value):
            data = data.data
        self.data = _as_data(data, "Value", dtype)
        self.grad = 0.0 if self.data.__class__ is float else None
        self.requires_grad = bool(requires_grad)
        self.label = label
        self._prev = tuple(_children)  # inputs of the op that made this node
        self._op = _op  # that op's name, for errors and drawings
        self._backward = None  # gradient rule: rule(g, out, ctx, *inputs)
        self._ctx = None  # the op's non-Value arguments (axis, shape, ...)
        self._scope = _Mode.scope  # names of the modules running when it was made

    # ---- introspection ---------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the data; ``()`` for a scalar."""
        return () if self.data.__class__ is float else self.data.shape

    @property
    def ndim(self) -> int:
        """Number of axes; 0 for a scalar."""
        return 0 if self.data.__class__ is float else self.data.ndim

    @property
    def size(self) -> int:
        """Number of elements."""
        return 1 if self.data.__class__ is float else int(self.data.size)

    @property
    def dtype(self) -> np.dtype:
        """NumPy dtype of the data (float64 for Python-number scalars)."""
        return np.dtype(np.float64) if self.data.__class__ is float else self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for Values made by the user rather than by an op."""
        return not self._prev

    @property
    def op(self) -> str:
        """Name of the op that produced this Value ('' for leaves)."""
        return self._op

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in argument order."""
        return self._prev

    @property
    def op_args(self) -> Any:
        """The op's non-Value arguments (axis, shape, index...), for display."""
        return self._ctx

    @property
    def scope(self) -> tuple[str, ...]:
        """Module names active when this Value was created (outermost first)."""
        return self._scope

    def item(self) -> float:
        """The value of a one-element Value as a Python float."""
        if self.data.__class__ is float:
            return self.data
        if self.data.size != 1:
            raise ShapeError(f"item: only one-element Values convert to a number, got shape {fmt_shape(self.shape)}")
        return float(self.data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory with a tensor Value)."""
        return np.asarray(self.data)

    def tolist(self) -> Any:
        """The data as (nested) Python lists."""
        return np.asarray(self.data).tolist()

    def detach(self) -> Value:
        """The same data, cut from the graph (no gradient flows through it)."""
        return _constant(self.data)

    def requires_grad_(self, flag: bool = True) -> Value:
        """Set ``requires_grad`` in place (leaves only) and return self."""
        if self._prev and not flag:
            raise BackwardError("requires_grad_: only leaves can stop requiring grad; use .detach()")
        self.requires_grad = flag
        return self

    def zero_grad(self) -> None:
        """Reset ``.grad`` (0.0 for scalars, None for tensors)."""
        self.grad = 0.0 if self.data.__class__ is float else None

    def __repr__(self) -> str:
        if self.data.__class__ is float:
            return f"Value(data={self.data}, grad={self.grad})"
        body = np.array2string(np.asarray(self.data), precision=4, threshold=20, separator=", ")
        return f"Value({body}, shape={fmt_shape(self.shape)}, dtype={self.dtype})"

    def __len__(self) -> int:
        if self.ndim == 0:
            raise ShapeError("len: a 0-d Value has no length")
        return self.shape[0]

    def __iter__(self) -> Iterator[Value]:
        for i in range(len(self)):
            yield self[i]

    def __float__(self) -> float:
        return self.item()

    # Values hash by identity (they are graph nodes), so no __eq__ is defined.
    # comparisons give plain (non-differentiable) booleans / bool arrays
    def __lt__(self, other: Operand) -> Any:
        return self.data < _raw(other)

    def __le__(self, other: Operand) -> Any:
        return self.data <= _raw(other)

    def __gt__(self, other: Operand) -> Any:
        return self.data > _raw(other)

    def __ge__(self, other: Operand) -> Any:
        return self.data >= _raw(other)

    # ---- backward --------------------------------------------------------
    def backward(self, gradient: Any = None, *, create_graph: bool = False) -> None:
        """Add d self / d x to ``x.grad`` for every Value x this one depends on.

        ``gradient`` is d loss / d self (default 1 for a one-element output).
        With ``create_graph=True`` the gradients are themselves Values that
        record a graph, so they can be differentiated again.
        """
        if not self.requires_grad:
            raise BackwardError(
                "backward: this Value does not require grad (it was computed from constants, "
                "under no_grad(), or detached), so there is no graph to differentiate"
            )
        seed = autograd.default_seed(self, gradient, _constant if create_graph else None)
        if create_graph:
            with autograd.enable_grad():
                autograd.backprop(self, seed, create_graph=True)
        else:
            autograd.backprop(self, seed)

    # ---- arithmetic ------------------------------------------------------
    def __add__(self, other: Operand) -> Value:
        if isinstance(other, Number):
            c = float(other)
            return make_op(self.data + c, (self,), "+", _add_number_backward, c)
        other = other if isinstance(other, Value) else _lift(other, "add")
        try:
            out = self.data + other.data
        except ValueError:
            raise _broadcast_error("add", self.data, other.data) from None
        return make_op(out, (self, other), "+", _add_backward)

    def __radd__(self, other: Operand) -> Value:  # other + self
        if isinstance(other, Number):
            c = float(other)
            return make_op(c + self.data, (self,), "+", _add_number_backward, c)
        return _lift(other, "add") + self

    def __sub__(self, other: Operand) -> Value:
        if isinstance(other, Number):
            c = float(other)
            return make_op(self.data - c, (self,), "-", _add_number_backward, c)
        other = other if isinstance(other, Value) else _lift(other, "sub")
        try:
            out = self.data - other.data
        except ValueError:
            raise _broadcast_error("sub", self.data, other.data) from None
        return make_op(out, (self, other), "-", _sub_backward)

    def __rsub__(self, other: Operand) -> Value:  # other - self
        if isinstance(other, Number):
            c = float(other)
            return make_op(c - self.data, (self,), "r-", _rsub_number_backward, c)
        return _lift(other, "sub") - self

    def __mul__(self, other: Operand) -> Value:
        if isinstance(other, Number):
            c = float(other)
            return make_op(self.data * c, (self,), "*", _mul_number_backward, c)
        other = other if isinstance(other, Value) else _lift(other, "mul")
        try:
            out = self.data * other.data
        except ValueError:
            raise _broadcast_error("mul", self.data, other.data) from None
        return make_op(out, (self, other), "*", _mul_backward)

    def __rmul__(self, other: Operand) -> Value:  # other * self
        if isinstance(other, Number):
            c = float(other)
            return make_op(c * self.data, (self,), "*", _mul_number_backward, c)
        return _lift(other, "mul") * self

    def __truediv__(self, other: Operand) -> Value:
        if isinstance(other, Number):
            c = float(other)
            x = self.data
            if x.__class__ is float:
                out = x / c if c != 0 else _scalar_div_by_zero(x)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    out = x / c
            return make_op(out, (self,), "/", _div_number_backward, c)
        other = other if isinstance(other, Value) else _lift(other, "div")
        a, b = self.data, other.data
        if a.__class__ is float and b.__class__ is float:
            out = a / b if b != 0 else _scalar_div_by_zero(a)
        else:
            try:
                with np.errstate(divide="ignore", invalid="ignore"):
                    out = a / b
            except ValueError:
                raise _broadcast_error("div", a, b) from None
        return make_op(out, (self, other), "/", _div_backward)

    def __rtruediv__(self, other: Operand) -> Value:  # other / self
        if isinstance(other, Number):
            c = float(other)
            x = self.data
            if x.__class__ is float:
                out = c / x if x != 0 else _scalar_div_by_zero(c)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    out = c / x
            return make_op(out, (self,), "r/", _rdiv_number_backward, c)
        return _lift(other, "div") / self

    def __neg__(self) -> Value:
        return make_op(-self.data, (self,), "neg", _neg_backward)

    def __pow__(self, other: Operand) -> Value:
        """``self ** other``; a number exponent is a constant, a Value one is differentiated.

        NOTE: a negative base with a non-integer exponent gives nan (not complex).
        """
        if other.__class__ in (int, float):
            c = float(other)
            x = self.data
            if x.__class__ is float:
                out = math.nan if (x < 0 and not c.is_integer()) else (x**c if x != 0 or c >= 0 else math.inf)
            else:
                with np.errstate(invalid="ignore"):
                    out = x**c
            return make_op(out, (self,), "**", _pow_const_backward, c)
        other = _lift(other, "pow")
        try:
            with np.errstate(invalid="ignore"):
                out = np.power(self.data, other.data)
        except ValueError:
            raise _broadcast_error("pow", self.data, other.data) from None
        if self.data.__class__ is float and other.data.__class__ is float:
            out = float(out)
        return make_op(out, (self, other), "**", _pow_backward)

    def __rpow__(self, other: Operand) -> Value:  # other ** self
        return _lift(other, "pow") ** self

    def __matmul__(self, other: Operand) -> Value:
        other = other if isinstance(other, Value) else _lift(other, "matmul")
        a, b = self.data, other.data
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            raise ShapeError(
                f"matmul: operands must have at least 1 axis, got shapes "
                f"{fmt_shape(np.shape(a))} and {fmt_shape(np.shape(b))} (use * for scalars)"
            )
        try:
            out = a @ b
        except ValueError:
            k_a = a.shape[-1]
            k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
            what = (
                f"a.shape[-1] ({k_a}) must equal b.shape[{0 if b.ndim == 1 else -2}] ({k_b})"
                if k_a != k_b
                else "their batch axes cannot be broadcast together"
            )
            raise ShapeError(f"matmul: shapes {fmt_shape(a.shape)} and {fmt_shape(b.shape)} do not fit: {what}") from None
        return make_op(out, (self, other), "@", _matmul_backward, (self.requires_grad, other.requires_grad))

    def __rmatmul__(self, other: Operand) -> Value:  # other @ self
        return _lift(other, "matmul") @ self

    # ---- elementwise functions --------------------------------------------
    def exp(self) -> Value:
        """e**x elementwise."""
        x = self.data
        return make_op(_fexp(x) if x.__class__ is float else np.exp(x), (self,), "exp", _exp_backward)

    def log(self) -> Value:
        """Natural logarithm elementwise (-inf at 0, nan below)."""
        x = self.data
        if x.__class__ is float:
            out = _flog(x)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.log(x)
        return make_op(out, (self,), "log", _log_backward)

    def sqrt(self) -> Value:
        """Square root elementwise (nan below 0)."""
        x = self.data
        if x.__class__ is float:
            out = math.sqrt(x) if x >= 0 else math.nan
        else:
            with np.errstate(invalid="ignore"):
                out = np.sqrt(x)
        return make_op(out, (self,), "sqrt", _sqrt_backward)

    def abs(self) -> Value:
        """|x| elementwise."""
        x = self.data
        return make_op(abs(x) if x.__class__ is float else np.abs(x), (self,), "abs", _abs_backward)

    __abs__ = abs

    def sin(self) -> Value:
        """Sine elementwise."""
        x = self.data
        return make_op(math.sin(x) if x.__class__ is float else np.sin(x), (self,), "sin", _sin_backward)

    def cos(self) -> Value:
        """Cosine elementwise."""
        x = self.data
        return make_op(math.cos(x) if x.__class__ is float else np.cos(x), (self,), "cos", _cos_backward)

    def tanh(self) -> Value:
        """Hyperbolic tangent elementwise (finite everywhere, tanh(1000) = 1)."""
        x = self.data
        return make_op(math.tanh(x) if x.__class__ is float else np.tanh(x), (self,), "tanh", _tanh_backward)

    def sigmoid(self) -> Value:
        """1 / (1 + e**-x), computed so that it never overflows."""
        x = self.data
        if x.__class__ is float:
            out = _fsigmoid(x)
        else:
            e = np.exp(-np.abs(x))  # in (0, 1]: no overflow for any x
            out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
        return make_op(out, (self,), "sigmoid", _sigmoid_backward)

    def relu(self) -> Value:
        """max(0, x) elementwise."""
        x = self.data
        if x.__class__ is float:
            out = x if x > 0 else 0.0
        else:
            out = np.maximum(x, 0)
        return make_op(out, (self,), "ReLU", _relu_backward)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Value:
        """Limit values to [lo, hi]; the gradient is 0 where a limit bites."""
        x = self.data
        if x.__class__ is float:
            out = min(max(x, -math.inf if lo is None else lo), math.inf if hi is None else hi)
        else:
            out = np.clip(x, lo, hi)
        return make_op(out, (self,), "clip", _clip_backward, (lo, hi))

    # ---- reductions --------------------------------------------------------
    def _check_axis(self, axis: Any, op: str) -> Any:
        if axis is None:
            return None
        axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
        nd = self.ndim
        for a in axes:
            if not -nd <= a < nd:
                raise ShapeError(f"{op}: axis {a} is out of range for a Value of shape {fmt_shape(self.shape)} ({nd} axes)")
        return int(axes[0]) if isinstance(axis, int | np.integer) else tuple(int(a) for a in axes)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """Sum over ``axis`` (all axes by default), like ``numpy.sum``."""
        axis = self._check_axis(axis, "sum")
        x = np.asarray(self.data)
        out = x.sum(axis=axis, keepdims=keepdims)
        return make_op(out, (self,), "sum", _sum_backward, (x.shape, _keepdims_shape(x.shape, axis)))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """Mean over ``axis`` (all axes by default)."""
        axis = self._check_axis(axis, "mean")
        total = self.sum(axis, keepdims)
        return total * (total.size / max(self.size, 1))

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """Maximum over ``axis``. NOTE: tied maxima share the gradient equally."""
        axis = self._check_axis(axis, "max")
        x = np.asarray(self.data)
        if x.size == 0:
            raise ShapeError(f"max: cannot reduce an empty Value of shape {fmt_shape(x.shape)}")
        out = x.max(axis=axis, keepdims=keepdims)
        return make_op(out, (self,), "max", _max_backward, (axis, _keepdims_shape(x.shape, axis)))

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """Minimum over ``axis``: -max(-x). Tied minima share the gradient equally."""
        return -((-self).max(axis, keepdims))

    def logsumexp(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """log(sum(exp(x))) over ``axis``, computed stably: m + log(sum(exp(x - m)))."""
        axis = self._check_axis(axis, "logsumexp")
        x = np.asarray(self.data)
        m = x.max(axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)  # all -inf rows stay -inf, not nan
        with np.errstate(divide="ignore"):
            out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
        kd_shape = out.shape
        if not keepdims:
            out = out.reshape(tuple(n for i, n in enumerate(x.shape) if not _reduced(i, axis, x.ndim)))
        return make_op(out.astype(x.dtype, copy=False), (self,), "logsumexp", _logsumexp_backward, kd_shape)

    def softmax(self, axis: int = -1) -> Value:
        """e**x / sum(e**x) along ``axis``, as exp(x - logsumexp(x)) (never overflows)."""
        return (self - self.logsumexp(axis, keepdims=True)).exp()

    def log_softmax(self, axis: int = -1) -> Value:
        """log(softmax(x)) = x - logsumexp(x), finite even for logits of +-1000."""
        return self - self.logsumexp(axis, keepdims=True)

    # ---- shape ---------------------------------------------------------------
    def reshape(self, *shape: Any) -> Value:
        """Same data, new shape (one entry may be -1)."""
        if len(shape) == 1 and not isinstance(shape[0], int | np.integer):
            shape = tuple(shape[0])
        x = np.asarray(self.data)
        try:
            out = x.reshape(shape)
        except ValueError:
            raise ShapeError(f"reshape: cannot reshape a Value of shape {fmt_shape(x.shape)} ({x.size} elements) into {shape}") from None
        return make_op(out, (self,), "reshape", _reshape_backward, x.shape)

    def flatten(self) -> Value:
        """All elements in one axis."""
        return self.reshape(-1)

    def transpose(self, *axes: Any) -> Value:
        """Permute the axes (reverse them when none are given), like ``numpy.transpose``."""
        if len(axes) == 1 and not isinstance(axes[0], int | np.integer):
            axes = tuple(axes[0])
        nd = self.ndim
        axes = tuple(range(nd))[::-1] if not axes else tuple(int(a) % max(nd, 1) for a in axes)
        if sorted(axes) != list(range(nd)):
            raise ShapeError(f"transpose: axes {axes} are not a permutation of the {nd} axes of shape {fmt_shape(self.shape)}")
        return make_op(np.transpose(self.data, axes), (self,), "transpose", _transpose_backward, axes)

    @property
    def T(self) -> Value:
        """The transpose (axes reversed)."""
        return self.transpose()

    def swapaxes(self, axis1: int, axis2: int) -> Value:
        """Exchange two axes."""
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return self.transpose(axes)

    def broadcast_to(self, shape: tuple[int, ...]) -> Value:
        """Repeat along axes of size 1 (and new leading axes) to reach ``shape``."""
        shape = tuple(shape)
        try:
            out = np.broadcast_to(self.data, shape)
        except ValueError:
            raise _broadcast_error("broadcast_to", self.data, np.empty(shape)) from None
        return make_op(out, (self,), "broadcast", _broadcast_backward, self.shape)

    def __getitem__(self, index: Any) -> Value:
        """NumPy indexing: ints, slices, None, ..., integer arrays and boolean masks."""
        if isinstance(index, Value):
            index = index.data
        if isinstance(index, list):
            index = np.asarray(index)
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Value) else (np.asarray(i) if isinstance(i, list) else i) for i in index)
        x = np.asarray(self.data)
        try:
            out = x[index]
        except IndexError as e:
            raise GraphIndexError(f"getitem: index {index!r} does not fit a Value of shape {fmt_shape(x.shape)}: {e}") from None
        return make_op(out, (self,), "getitem", _getitem_backward, (index, x.shape))


def _reduced(i: int, axis: Any, nd: int) -> bool:
    if axis is None:
        return True
    axes = (axis,) if isinstance(axis, int) else axis
    return any(a % nd == i for a in axes)


# --------------------------------------------------------------------------
# Functions of several Values
# --------------------------------------------------------------------------
def concatenate(values: Sequence[Operand], axis: int = 0) -> Value:
    """Join Values along an existing axis, like ``numpy.concatenate``."""
    parts = tuple(_lift(v, "concatenate") for v in values)
    if not parts:
        raise ShapeError("concatenate: needs at least one Value")
    datas = [np.asarray(p.data) for p in parts]
    try:
        out = np.concatenate(datas, axis=axis)
    except (ValueError, np.exceptions.AxisError):
        shapes = ", ".join(fmt_shape(d.shape) for d in datas)
        raise ShapeError(f"concatenate: shapes {shapes} cannot be joined along axis {axis} (all other axes must match)") from None
    axis = axis % out.ndim
    return make_op(out, parts, "concatenate", _concat_backward, (axis, tuple(d.shape[axis] for d in datas)))


def stack(values: Sequence[Operand], axis: int = 0) -> Value:
    """Join Values along a new axis, like ``numpy.stack``."""
    parts = [_lift(v, "stack") for v in values]
    if not parts:
        raise ShapeError("stack: needs at least one Value")
    shapes = {p.shape for p in parts}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all Values must have the same shape, got {', '.join(fmt_shape(s) for s in shapes)}")
    nd = parts[0].ndim + 1
    if not -nd <= axis < nd:
        raise ShapeError(f"stack: axis {axis} is out of range for {nd}-d output")
    axis %= nd
    expanded = [p.reshape(p.shape[:axis] + (1,) + p.shape[axis:]) for p in parts]
    return concatenate(expanded, axis)


def where(cond: Any, a: Operand, b: Operand) -> Value:
    """Elementwise ``a if cond else b``; ``cond`` is a constant boolean array."""
    c = np.asarray(_raw(cond)).astype(bool)
    a, b = _lift(a, "where"), _lift(b, "where")
    try:
        out = np.where(c, a.data, b.data)
    except ValueError:
        raise ShapeError(
            f"where: shapes {fmt_shape(c.shape)}, {fmt_shape(np.shape(a.data))} and "
            f"{fmt_shape(np.shape(b.data))} cannot be broadcast together"
        ) from None
    if a.data.__class__ is float and b.data.__class__ is float and c.ndim == 0:
        out = float(out)
    return make_op(out, (a, b), "where", _where_backward, c)
