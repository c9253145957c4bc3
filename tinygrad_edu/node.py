"""The graph node: its fields, how an op records one (``make_op``), and how data becomes one.

``Node`` holds everything a Value is apart from its ops: the data, the
gradient, the inputs of the op that made it, that op's rule and arguments,
and backward's bookkeeping. ``engine.Value`` adds the ops (the mixins in
``ops/``); the ops import this module, never ``engine``, so imports point one
way: errors <- autograd <- node <- ops <- engine.

Scalars (``Value(2.0)``) keep a plain Python float in ``.data`` and
``.grad``, exactly like micrograd; tensors keep a NumPy array and start with
``.grad = None`` like PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, Union

import numpy as np

from . import autograd
from .autograd import MANY, current_mode, fit_grad, inputs_of
from .dataview import DataView
from .errors import BackwardError, DataError, ShapeError, fmt_shape

if TYPE_CHECKING:
    from .engine import Value

Operand = Union["Node", float, int, np.ndarray, Sequence[Any]]
Rule = Callable[..., tuple[Any, ...]]
R = TypeVar("R", bound=Rule)


# --------------------------------------------------------------------------
# Converting user data: the one place numbers and arrays become node data
# --------------------------------------------------------------------------
def as_data(data: Any, op: str, dtype: Any = None, copy: bool = True) -> Any:
    """Python numbers become floats; NumPy arrays keep their dtype; lists of numbers become float arrays.

    Integer and boolean NumPy arrays stay integer and boolean (indices, masks and labels are data, as
    in PyTorch); Python numbers, and lists of them, are micrograd's floats (``Value([1, 2])`` is
    float64). ``dtype`` forces a dtype; ``copy=False`` keeps an array as it is when it can.
    """
    if dtype is None and isinstance(data, float | int | np.integer | np.bool_):
        try:
            return float(data)  # includes np.float64 (a float subclass), as micrograd keeps it
        except OverflowError:  # an int beyond float's range, e.g. 10**400: IEEE says inf
            return math.copysign(math.inf, data)
    if isinstance(data, str | bytes):
        raise DataError(f"{op}: expected numbers or a numeric array, got {type(data).__name__} {data!r:.40}")
    try:
        arr = np.array(data, dtype=dtype, copy=copy) if copy else np.asarray(data, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as e:
        raise DataError(f"{op}: expected numbers or a numeric array, got {type(data).__name__}: {e}") from None
    if arr.dtype.kind in "biu":
        if dtype is None and not isinstance(data, np.ndarray | np.generic | Node):
            arr = arr.astype(np.float64)  # Python numbers (in lists) are floats, as in micrograd
    elif arr.dtype.kind != "f":
        raise DataError(
            f"{op}: expected numeric (real) data, got an array of dtype {arr.dtype} from {type(data).__name__}"
        )
    return arr


def raw(x: Any) -> Any:
    """The data of a node (the stored array, not ``.data``'s view); anything else unchanged."""
    return x._data if isinstance(x, Node) else x


def shows(*names: str) -> Callable[[R], R]:
    """Name the op arguments a drawing shows: the leading fields of the rule's ``ctx``.

    ``@shows("axis", "keepdims")`` above a rule whose ctx is ``(axis, keepdims, ...)`` makes
    ``node.op_args == {"axis": ..., "keepdims": ...}``; a ctx that is not a tuple is the first name's value.
    """

    def mark(rule: R) -> R:
        rule.shows = names  # type: ignore[attr-defined]
        return rule

    return mark


# --------------------------------------------------------------------------
# The node
# --------------------------------------------------------------------------
_new = object.__new__


class Node:
    """The fields of a Value and everything about it that is not an op (see ``engine.Value``)."""

    __slots__ = (
        "_data", "grad", "requires_grad", "_label", "_a", "_b", "_op", "_rule", "_ctx", "_scope",
        "_n", "_g",  # backward's bookkeeping, see autograd._count_consumers
    )
    # NOTE: twelve slots make a node 128 bytes, two to a 256-byte block; a
    # thirteenth would make it 144 and, for a graph of a million nodes, cost
    # the cyclic GC's scans of the live graph ~40% more (it runs, finding
    # nothing, while the graph is built). Count before adding one.
    #
    # A node's inputs live in two slots rather than in a tuple: one GC-tracked
    # object per node instead of two. _a is the first input (None for a leaf),
    # _b the second (None for unary ops); an op with three or more inputs keeps
    # their tuple in _a and the marker autograd.MANY in _b.

    _result_class: type[Node]  # the class op results get (engine.Value; a Parameter's results are plain Values)
    _data: Any  # a Python float (scalars) or a NumPy float array (tensors): what .data gives
    grad: Any  # accumulated gradient: 0.0 / None until the first backward
    requires_grad: bool
    _label: str  # unset until a label is given: the property gives "" (one store fewer per op)
    _a: Any  # first input, or the tuple of all inputs when _b is MANY, or None for a leaf
    _b: Any  # second input, MANY, or None
    _op: str  # the op's name, for errors and drawings
    _rule: Any  # rule(g, out, ctx, *inputs) -> one gradient per input; None for leaves
    _ctx: Any  # the op's non-Value arguments (axis, shape, ...)
    _scope: tuple[str, ...]  # names of the modules running when it was made
    _n: int  # uses still to be back-propagated, during a backward pass
    _g: Any  # the gradient gathered so far, during a backward pass

    def __init__(
        self,
        data: Any,
        _children: Sequence[Node] = (),
        _op: str = "",
        label: str = "",
        *,
        requires_grad: bool | None = None,
        dtype: Any = None,
        copy: bool = True,
    ) -> None:
        """``requires_grad`` defaults to True for float data and False for integer and boolean arrays.

        Only float data can require a gradient (PyTorch's rule): ``requires_grad=True`` on an integer or
        boolean array is a ``DataError``. ``copy=False`` shares the memory of an array (as
        ``torch.from_numpy`` does).
        """
        if isinstance(data, Node):
            data = data._data
        elif data.__class__ is DataView:
            data = data.view(np.ndarray)  # (another Value's .data: store the plain array)
        shared = not copy and isinstance(data, np.ndarray) and data.dtype.kind in "fbiu" and dtype in (None, data.dtype)
        data = data if shared else as_data(data, "Value", dtype)
        if data.__class__ is not float and data.dtype.kind != "f":
            if requires_grad:
                raise DataError(
                    f"Value: only float data can require a gradient, got an array of dtype {data.dtype} and "
                    f"shape {fmt_shape(data.shape)} with requires_grad=True; integer and boolean data (indices, "
                    "masks, labels) are constants: cast it first, e.g. Value(x, dtype=np.float64) or .double()"
                )
            requires_grad = False
        children = tuple(_children)  # micrograd builds nodes by hand: Value(x, (a, b), "+")
        # A node built by hand from children has no rule: it passes no gradient on.
        _fill(self, data, True if requires_grad is None else bool(requires_grad), children,
              _op, _no_rule if children else None, None)
        if label:
            self._label = label

    # ---- data: normalised on assignment, as in the constructor -------------
    @property
    def data(self) -> Any:
        """The value: a Python float for scalars; for tensors a view of the array (a ``DataView``, see there)."""
        data = self._data
        return data if data.__class__ is float else data.view(DataView)

    @data.setter
    def data(self, new: Any) -> None:
        new = raw(new)
        data = as_data(new, "data", copy=False)
        if data.__class__ is not float and data.dtype.kind != "f":
            data = data.astype(np.float64)
        if self._a is not None and np.shape(data) != np.shape(self._data):
            raise ShapeError(
                f"data: cannot give shape {fmt_shape(np.shape(data))} to a Value of shape "
                f"{fmt_shape(self.shape)} that an op computed (its graph depends on the shape); "
                "assign data of the same shape, or detach() it first"
            )
        self._data = data
        if data.__class__ is float and self.grad is None:
            self.grad = 0.0  # a tensor turned scalar gets the scalar's zero gradient

    @property
    def label(self) -> str:
        """A name for drawings and errors ("" unless given, e.g. ``Value(2.0, label="a")``)."""
        try:
            return self._label
        except AttributeError:
            return ""

    @label.setter
    def label(self, name: str) -> None:
        self._label = name

    # ---- introspection ---------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the data; ``()`` for a scalar."""
        return () if self._data.__class__ is float else self._data.shape

    @property
    def ndim(self) -> int:
        """Number of axes; 0 for a scalar."""
        return 0 if self._data.__class__ is float else self._data.ndim

    @property
    def size(self) -> int:
        """Number of elements."""
        return 1 if self._data.__class__ is float else int(self._data.size)

    @property
    def dtype(self) -> np.dtype:
        """NumPy dtype of the data (float64 for Python-number scalars)."""
        return np.dtype(np.float64) if self._data.__class__ is float else self._data.dtype

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
    def op_args(self) -> dict[str, Any]:
        """The op's arguments meant for display (``{"axis": 1}``, ``{"c": 2.0}``), as its rule declares (``shows``)."""
        names = getattr(self._rule, "shows", ())
        if not names:
            return {}
        ctx = self._ctx
        return dict(zip(names, ctx)) if isinstance(ctx, tuple) else {names[0]: ctx}

    @property
    def scope(self) -> tuple[str, ...]:
        """Module names active when this Value was created (outermost first)."""
        return self._scope

    def item(self) -> Any:
        """The value of a one-element Value as a Python number: a float, or an int / bool for integer / bool data.

        (PyTorch's rule: ``torch.multinomial(...).item()`` is an int, usable as an index.)
        """
        data = self._data
        if data.__class__ is float:
            return data
        if data.size != 1:
            raise ShapeError(f"item: only one-element Values convert to a number, got shape {fmt_shape(self.shape)}")
        return data.reshape(()).item() if data.dtype.kind in "biu" else float(data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory with a tensor Value)."""
        return np.asarray(self._data)

    def tolist(self) -> Any:
        """The data as (nested) Python lists."""
        return np.asarray(self._data).tolist()

    def detach(self) -> Value:
        """The same data, cut from the graph (no gradient flows through it)."""
        return constant(self._data, self._result_class)  # type: ignore[return-value]

    def requires_grad_(self, flag: bool = True) -> Node:
        """Set ``requires_grad`` in place (leaves only) and return self."""
        if self._a is not None and not flag:
            raise BackwardError("requires_grad_: only leaves can stop requiring grad; use .detach()")
        self.requires_grad = flag
        return self

    def zero_grad(self) -> None:
        """Reset ``.grad`` (0.0 for scalars, None for tensors)."""
        self.grad = 0.0 if self._data.__class__ is float else None

    def _repr_svg_(self) -> str | None:
        """Jupyter shows a Value as the drawing of its graph (None, i.e. text, without Graphviz)."""
        from . import viz  # imported here: the engine itself knows nothing of pictures

        try:
            return viz.draw_graph(self).pipe(format="svg", encoding="utf-8")  # type: ignore[arg-type]
        except Exception:  # no dot binary, or a graph Graphviz cannot lay out: fall back to the text repr
            return None

    def __repr__(self) -> str:
        if self._data.__class__ is float:
            return f"Value(data={self._data}, grad={self.grad})"
        body = np.array2string(np.asarray(self._data), precision=4, threshold=20, separator=", ")
        return f"Value({body}, shape={fmt_shape(self.shape)}, dtype={self.dtype})"

    # ---- Python conversions ------------------------------------------------
    def __len__(self) -> int:
        if self.ndim == 0:
            raise ShapeError("len: a 0-d Value has no length")
        return self.shape[0]

    def __iter__(self) -> Iterator[Value]:
        for i in range(len(self)):
            yield self[i]  # type: ignore[index]

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """A one-element Value of integral value can index a list (as PyTorch's integer tensors can)."""
        x = self.item()
        if isinstance(x, float) and not x.is_integer():
            raise DataError(f"index: only integral Values can be used as an index, got {x}")
        return int(x)

    def __bool__(self) -> bool:
        """The truth of a one-element Value (PyTorch's rule); several elements are ambiguous.

        NOTE: ``if v:`` on a Value asks whether its data is non-zero, not whether it exists.
        """
        if self._data.__class__ is float:
            return self._data != 0
        if self._data.size != 1:
            raise ShapeError(
                f"bool: the truth value of a Value of shape {fmt_shape(self.shape)} is ambiguous; "
                "use (v != 0).any() or .all() on its data, or v.item() for one element"
            )
        return bool(self._data.reshape(()))

    # (the comparisons == != < <= > >= are ops: ops/binary.py)

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
        make_value = (lambda d: constant(d, self._result_class)) if create_graph else None
        seed = autograd.default_seed(self, raw(gradient), make_value)
        if create_graph:
            with autograd.enable_grad():
                autograd.backprop(self, seed, create_graph=True)
        else:
            autograd.backprop(self, seed)

    def _backward(self) -> None:
        """micrograd's local step: add this node's ``.grad`` times each local derivative to its inputs' ``.grad``.

        micrograd's lecture calls it by hand, node by node (``o.grad = 1.0; o._backward()``, then the
        inputs'); ``backward()`` does the whole walk at once. The rule itself is in ``_rule``.
        """
        if self._rule is None or self.grad is None:
            return
        inputs = inputs_of(self)
        grads = self._rule(self.grad, self._data, self._ctx, *[x._data for x in inputs])
        for x, g in zip(inputs, grads):
            if g is not None and x.requires_grad:
                g = fit_grad(g, x._data)
                x.grad = g if x.grad is None else x.grad + g


def _fill(node: Node, data: Any, requires_grad: bool, inputs: tuple[Node, ...], op: str, rule: Any, ctx: Any) -> None:
    """Set every field of a new node: the one place they are initialised (``make_op`` inlines it, see there)."""
    node._data = data
    node.grad = 0.0 if data.__class__ is float else None
    node.requires_grad = requires_grad
    n = len(inputs)
    if n == 0:
        node._a = node._b = None
    elif n == 1:
        node._a, node._b = inputs[0], None
    elif n == 2:
        node._a, node._b = inputs
    else:
        node._a, node._b = inputs, MANY
    node._op = op
    node._rule = rule
    node._ctx = ctx
    node._scope = current_mode().scope  # names of the modules running when it was made
    node._n = 0  # uses still to be back-propagated, during a backward pass (_g is set by the pass itself)


def _no_rule(g, out, ctx, *inputs):
    # no rule known (a node built by hand, micrograd style): no gradient flows to the inputs
    return (None,) * len(inputs)


_NOTHING: tuple[Node, ...] = ()


def constant(data: Any, cls: type[Node]) -> Node:
    """A leaf of class ``cls`` holding ``data`` that needs no gradient (a data batch, a number in an op)."""
    node = _new(cls)
    _fill(node, data, False, _NOTHING, "", None, None)
    return node


def lift(x: Any, op: str, cls: type[Node]) -> Node:
    """The one way a number or array taking part in an op becomes a node: a constant (no gradient)."""
    if isinstance(x, Node):
        return x
    if x.__class__ is np.ndarray and x.dtype.kind == "f":  # a data batch: the common case
        return constant(x, cls)
    if isinstance(x, float | int):
        return constant(as_data(x, op), cls)
    return constant(as_data(x, op, copy=False), cls)


def make_op(data: Any, inputs: tuple[Node, ...], op: str, rule: Rule, ctx: Any = None) -> Value:
    """Record an op's output: ``data`` computed from ``inputs``, differentiated by ``rule``.

    This is the one place the graph grows; it is also the extension point for
    new ops (``nn.functional`` uses it for fused, numerically stable losses).
    ``rule(g, out, ctx, *inputs)`` must return one gradient (or None) per input.
    """
    # This is _fill, written out: it runs once per op, and the call costs 4% of a scalar step (callgrind).
    out = _new(inputs[0]._result_class)
    if data.__class__ is float:
        out.grad = 0.0
    else:
        out.grad = None
        if data.__class__ is DataView:  # computed from a .data view: store the plain array
            data = data.view(np.ndarray)
    out._data = data
    out._op = op
    out._n = 0
    mode = current_mode()
    out._scope = mode.scope
    if mode.grad:
        for x in inputs:
            if x.requires_grad:
                out.requires_grad = True
                if len(inputs) == 2:
                    out._a, out._b = inputs
                elif len(inputs) == 1:
                    out._a, out._b = inputs[0], None
                else:
                    out._a, out._b = inputs, MANY
                out._rule = rule
                out._ctx = ctx
                if mode.anomaly:
                    autograd.check_forward(out)
                return out  # type: ignore[return-value]
    out.requires_grad = False  # constants in, or no_grad(): nothing to record
    out._a = out._b = None
    out._rule = None
    out._ctx = None
    if mode.anomaly:
        autograd.check_forward(out)
    return out  # type: ignore[return-value]
