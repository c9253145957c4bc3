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
from .autograd import MANY, _Mode
from .errors import BackwardError, DataError, ShapeError, fmt_shape

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
    if x.__class__ is np.ndarray and x.dtype.kind == "f":  # a data batch: the common case
        return _constant(x)
    if isinstance(x, float | int):
        return _constant(float(x))
    return _constant(_as_data(x, op, copy=False))


def _constant(data: Any) -> Value:
    v = _new(Value)
    v.data = data
    v.grad = 0.0 if data.__class__ is float else None
    v.requires_grad = False
    v.label = ""
    v._a = v._b = None
    v._n = 0
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
    out = _new(Value)
    out.data = data
    out.grad = 0.0 if data.__class__ is float else None
    out.label = ""
    out._op = op
    out._n = 0
    mode = _Mode
    out._scope = mode.scope
    if mode.grad:
        for x in inputs:
            if x.requires_grad:
                out.requires_grad = True
                if len(inputs) == 2:  # _set_inputs, inlined: this is the hottest path of the engine
                    out._a, out._b = inputs
                elif len(inputs) == 1:
                    out._a, out._b = inputs[0], None
                else:
                    out._a, out._b = inputs, MANY
                out._backward = backward
                out._ctx = ctx
                if mode.anomaly:
                    autograd.check_forward(out)
                return out
    out.requires_grad = False  # constants in, or no_grad(): nothing to record
    out._a = out._b = None
    out._backward = None
    out._ctx = None
    if mode.anomaly:
        autograd.check_forward(out)
    return out


_new = object.__new__

# A node's inputs live in two slots rather than in a tuple: one GC-tracked
# object per node instead of two, which halves the time Python's cyclic
# collector spends scanning a large live graph (it never finds garbage in it,
# but it scans it all the same). _a is the first input (None for a leaf), _b
# the second (None for unary ops); an op with three or more inputs keeps
# their tuple in _a and the marker MANY (defined in autograd.py) in _b.


def _set_inputs(node: Value, inputs: tuple[Value, ...]) -> None:
    n = len(inputs)
    if n == 1:
        node._a, node._b = inputs[0], None
    elif n == 0:
        node._a = node._b = None
    elif n == 2:
        node._a, node._b = inputs
    else:
        node._a, node._b = inputs, MANY


def inputs_of(node: Value) -> tuple[Value, ...]:
    """The inputs of the op that made ``node``, in argument order (``()`` for a leaf)."""
    a = node._a
    if a is None:
        return ()
    b = node._b
    if b is None:
        return (a,)
    return a if b is MANY else (a, b)


def _no_backward(g, out, ctx, *inputs):
    # no rule known: no gradient flows to the inputs
    return (None,) * len(inputs)


def _broadcast_error(op: str, a: Any, b: Any) -> ShapeError:
    return ShapeError(
        f"{op}: shapes {fmt_shape(np.shape(a))} and {fmt_shape(np.shape(b))} cannot be "
        "broadcast together (each axis, counted from the right, must be equal or 1)"
    )


Number = (float, int)  # plain numbers, np.float64 included (a float subclass)


def _scalar_div_by_zero(x: float) -> float:
    # IEEE / NumPy semantics instead of Python's ZeroDivisionError
    return math.nan if x == 0 or x != x else math.copysign(math.inf, x)


def _divide(a: Any, b: Any) -> Any:
    """a / b; for two Python floats with IEEE semantics (inf/nan) like NumPy's."""
    if a.__class__ is float and b.__class__ is float:
        return a / b if b != 0 else _scalar_div_by_zero(a)
    return a / b


def _matmul_error(a: np.ndarray, b: np.ndarray) -> ShapeError:
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        what = f"a.shape[-1] ({k_a}) must equal b.shape[{0 if b.ndim == 1 else -2}] ({k_b})"
    else:
        what = "their batch axes cannot be broadcast together"
    return ShapeError(f"matmul: shapes {fmt_shape(a.shape)} and {fmt_shape(b.shape)} do not fit: {what}")


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


def raw(x: Any) -> Any:
    """The data of a Value; anything else unchanged."""
    return x.data if isinstance(x, Value) else x


def _sign(x: Any) -> Any:
    x = raw(x)
    if x.__class__ is float:
        return (x > 0) - (x < 0)
    return np.sign(x)


# The elementwise functions (exp, log, tanh, ...) and the reductions, shape ops
# and indexing live in elementwise.py and tensor_ops.py, as base classes of
# Value; they need make_op and the helpers above, hence these imports here.
from .elementwise import ElementwiseOps, _fexp, _flog  # noqa: E402
from .tensor_ops import TensorOps  # noqa: E402


class Value(ElementwiseOps, TensorOps):
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

    __slots__ = (
        "data", "grad", "requires_grad", "label", "_a", "_b", "_op", "_backward", "_ctx", "_scope",
        "_n", "_g",  # backward's bookkeeping, see autograd._count_consumers
    )
    # NOTE: twelve slots make a node 128 bytes, two to a 256-byte block; a
    # thirteenth would make it 144 and, for a graph of a million nodes, cost
    # the cyclic GC's scans of the live graph ~40% more (it runs, finding
    # nothing, while the graph is built). Count before adding one.
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
        copy: bool = True,
    ) -> None:
        """``copy=False`` shares the memory of a float array (as ``torch.from_numpy`` does)."""
        if isinstance(data, Value):
            data = data.data
        shared = not copy and isinstance(data, np.ndarray) and data.dtype.kind == "f" and dtype in (None, data.dtype)
        self.data = data if shared else _as_data(data, "Value", dtype)
        self.grad = 0.0 if self.data.__class__ is float else None
        self.requires_grad = bool(requires_grad)
        self.label = label
        _set_inputs(self, tuple(_children))  # the inputs of the op that made this node
        self._op = _op  # that op's name, for errors and drawings
        # gradient rule: rule(g, out, ctx, *inputs). A Value built by hand from
        # children (micrograd's Value(x, (a, b), "+")) has no rule: it passes
        # no gradient on.
        self._backward = _no_backward if _children else None
        self._ctx = None  # the op's non-Value arguments (axis, shape, ...)
        self._scope = _Mode.scope  # names of the modules running when it was made
        self._n = 0  # uses still to be back-propagated, during a backward pass (see autograd._count_consumers)

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
        return self._a is None

    @property
    def op(self) -> str:
        """Name of the op that produced this Value ('' for leaves)."""
        return self._op

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in argument order."""
        return inputs_of(self)

    @property
    def _prev(self) -> tuple[Value, ...]:
        """micrograd's name for ``parents``."""
        return inputs_of(self)

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
        if self._a is not None and not flag:
            raise BackwardError("requires_grad_: only leaves can stop requiring grad; use .detach()")
        self.requires_grad = flag
        return self

    def zero_grad(self) -> None:
        """Reset ``.grad`` (0.0 for scalars, None for tensors)."""
        self.grad = 0.0 if self.data.__class__ is float else None

    def _repr_svg_(self) -> str | None:
        """Jupyter shows a Value as the drawing of its graph (None, i.e. text, without Graphviz)."""
        from . import viz  # imported here: the engine itself knows nothing of pictures

        try:
            return viz.draw_graph(self).pipe(format="svg", encoding="utf-8")
        except Exception:  # no dot binary, or a graph Graphviz cannot lay out: fall back to the text repr
            return None

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
        return self.data < raw(other)

    def __le__(self, other: Operand) -> Any:
        return self.data <= raw(other)

    def __gt__(self, other: Operand) -> Any:
        return self.data > raw(other)

    def __ge__(self, other: Operand) -> Any:
        return self.data >= raw(other)

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

    # ---- arithmetic: each op, then its gradient rule ------------------------
    # A rule is rule(g, out, ctx, *inputs) -> one gradient per input; see the
    # module docstring. Ops with a plain number c on one side keep c in ctx
    # instead of making a constant node: fewer objects per op, and drawings
    # show "* 2" on the op.
    def __add__(self, other: Operand) -> Value:
        if other.__class__ is not Value:  # (a Value is the common case: test it first)
            if isinstance(other, Number):
                c = float(other)
                return make_op(self.data + c, (self,), "+", Value._add_number_backward, c)
            other = _lift(other, "add")
        try:
            out = self.data + other.data
        except ValueError:
            raise _broadcast_error("add", self.data, other.data) from None
        return make_op(out, (self, other), "+", Value._add_backward)

    @staticmethod
    def _add_backward(g, out, ctx, a, b):
        # d(a+b)/da = 1, d(a+b)/db = 1
        return g, g

    @staticmethod
    def _add_number_backward(g, out, c, a):
        # d(a+c)/da = 1 (also for a-c)
        return (g,)

    def __radd__(self, other: Operand) -> Value:  # other + self
        if isinstance(other, Number):
            c = float(other)
            return make_op(c + self.data, (self,), "+", Value._add_number_backward, c)
        return _lift(other, "add") + self

    def __sub__(self, other: Operand) -> Value:
        if other.__class__ is not Value:  # (a Value is the common case: test it first)
            if isinstance(other, Number):
                c = float(other)
                return make_op(self.data - c, (self,), "-", Value._add_number_backward, c)
            other = _lift(other, "sub")
        try:
            out = self.data - other.data
        except ValueError:
            raise _broadcast_error("sub", self.data, other.data) from None
        return make_op(out, (self, other), "-", Value._sub_backward)

    @staticmethod
    def _sub_backward(g, out, ctx, a, b):
        # d(a-b)/da = 1, d(a-b)/db = -1
        return g, -g

    def __rsub__(self, other: Operand) -> Value:  # other - self
        if isinstance(other, Number):
            c = float(other)
            return make_op(c - self.data, (self,), "r-", Value._neg_backward, c)
        return _lift(other, "sub") - self

    def __neg__(self) -> Value:
        return make_op(-self.data, (self,), "neg", Value._neg_backward)

    @staticmethod
    def _neg_backward(g, out, ctx, a):
        # d(-a)/da = -1 (also for c-a)
        return (-g,)

    def __mul__(self, other: Operand) -> Value:
        if other.__class__ is not Value:  # (a Value is the common case: test it first)
            if isinstance(other, Number):
                c = float(other)
                return make_op(self.data * c, (self,), "*", Value._mul_number_backward, c)
            other = _lift(other, "mul")
        try:
            out = self.data * other.data
        except ValueError:
            raise _broadcast_error("mul", self.data, other.data) from None
        return make_op(out, (self, other), "*", Value._mul_backward)

    @staticmethod
    def _mul_backward(g, out, ctx, a, b):
        # d(a*b)/da = b, d(a*b)/db = a
        return g * b, g * a

    @staticmethod
    def _mul_number_backward(g, out, c, a):
        # d(a*c)/da = c
        return (g * c,)

    def __rmul__(self, other: Operand) -> Value:  # other * self
        if isinstance(other, Number):
            c = float(other)
            return make_op(c * self.data, (self,), "*", Value._mul_number_backward, c)
        return _lift(other, "mul") * self

    def __truediv__(self, other: Operand) -> Value:
        if other.__class__ is not Value:  # (a Value is the common case: test it first)
            if isinstance(other, Number):
                c = float(other)
                return make_op(_divide(self.data, c), (self,), "/", Value._div_number_backward, c)
            other = _lift(other, "div")
        try:
            out = _divide(self.data, other.data)
        except ValueError:
            raise _broadcast_error("div", self.data, other.data) from None
        return make_op(out, (self, other), "/", Value._div_backward)

    @staticmethod
    def _div_backward(g, out, ctx, a, b):
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2 = -out/b
        return g / b, -g * out / b

    @staticmethod
    def _div_number_backward(g, out, c, a):
        # d(a/c)/da = 1/c
        return (g / c,)

    def __rtruediv__(self, other: Operand) -> Value:  # other / self
        if isinstance(other, Number):
            c = float(other)
            return make_op(_divide(c, self.data), (self,), "r/", Value._rdiv_number_backward, c)
        return _lift(other, "div") / self

    @staticmethod
    def _rdiv_number_backward(g, out, c, a):
        # d(c/a)/da = -c/a**2 = -out/a
        return (-g * out / a,)

    def __pow__(self, other: Operand) -> Value:
        """``self ** other``; a number exponent is a constant, a Value one is differentiated.

        NOTE: a negative base with a non-integer exponent gives nan (not complex).
        """
        if isinstance(other, Number):
            c = float(other)
            x = self.data
            if x.__class__ is float:
                if x == 0 and c < 0:
                    out = math.inf
                elif x < 0 and not c.is_integer():
                    out = math.nan
                else:
                    out = x**c
            else:
                out = x**c
            return make_op(out, (self,), "**", Value._pow_number_backward, c)
        other = _lift(other, "pow")
        try:
            out = np.power(self.data, other.data)
        except ValueError:
            raise _broadcast_error("pow", self.data, other.data) from None
        if self.data.__class__ is float and other.data.__class__ is float:
            out = float(out)
        return make_op(out, (self, other), "**", Value._pow_backward)

    @staticmethod
    def _pow_number_backward(g, out, c, a):
        # d(a**c)/da = c * a**(c-1)
        return (g * c * a ** (c - 1),)

    @staticmethod
    def _pow_backward(g, out, ctx, a, b):
        # d(a**b)/da = b * a**(b-1);  d(a**b)/db = a**b * log(a)
        # NOTE: log(a) is undefined at a == 0; there the b-gradient is taken as 0
        # (a**b is flat in b at a == 0 for b > 0), as PyTorch does.
        safe_a = a + (raw(a) == 0)  # a, with 1 where a == 0, so log(safe_a) == 0 there
        return g * b * a ** (b - 1), g * out * log(safe_a)

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
            raise _matmul_error(a, b) from None
        return make_op(out, (self, other), "@", Value._matmul_backward, (self.requires_grad, other.requires_grad))

    @staticmethod
    def _matmul_backward(g, out, ctx, a, b):
        # d(a@b)/da = g @ b^T,  d(a@b)/db = a^T @ g
        # 1-D operands are promoted to matrices the way NumPy does (a row for a,
        # a column for b) and the added axis is removed again at the end; batch
        # axes that were broadcast are summed by the graph walk.
        need_a, need_b = ctx  # skip the product nobody needs (e.g. d/d data)
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

    def __rmatmul__(self, other: Operand) -> Value:  # other @ self
        return _lift(other, "matmul") @ self
