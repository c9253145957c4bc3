"""Reverse-mode automatic differentiation: the graph walk behind ``backward()``.

A node produced by an op remembers three things (see ``node.py``):

- its inputs, in argument order (``parents``; kept in two slots, see node.py);
- ``_rule``: a plain module-level function ``rule(g, out, ctx, *inputs)``
  that maps the gradient ``g`` of the output to one gradient per input;
- ``_ctx``: whatever non-Value arguments the op had (an axis, a shape, ...).

This module knows nodes only through the small ``GraphNode`` protocol below;
it imports nothing else of the package but the errors.

The rule is *not* a closure over the output, so the recorded graph holds no
reference cycles: it is freed by reference counting as soon as the last
reference to its root goes away, and Python's cyclic garbage collector never
has to walk it.

``backprop`` walks the graph once, in reverse topological order, built with an
explicit stack (no recursion: a chain of a million nodes is fine). In the
default mode the rules are called on raw floats and NumPy arrays; with
``create_graph=True`` they are called on the Values themselves, so the
gradient computation is itself recorded and can be differentiated again.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
import threading
import traceback
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from .dataview import DataView
from .errors import AnomalyError, BackwardError, fmt_shape

MANY: Any = object()  # in a node's _b slot: its _a holds the tuple of its (three or more) inputs


class GraphNode(Protocol):
    """What the graph walk needs of a node (``node.Node`` has exactly these fields)."""

    _data: Any  # a Python float or a NumPy array (what .data returns)
    grad: Any  # accumulated gradient (None or 0.0 before the first backward)
    requires_grad: bool
    _a: Any  # first input, or the tuple of all inputs when _b is MANY, or None for a leaf
    _b: Any  # second input, MANY, or None
    _op: str
    _rule: Any  # rule(g, out, ctx, *inputs) -> one gradient per input
    _ctx: Any
    _n: int  # uses still to be back-propagated in the current pass
    _g: Any  # gradient gathered so far in the current pass

    @property
    def parents(self) -> tuple[Any, ...]: ...


def inputs_of(node: GraphNode) -> tuple[Any, ...]:
    """The inputs of the op that made ``node``, in argument order (``()`` for a leaf)."""
    a = node._a
    if a is None:
        return ()
    b = node._b
    if b is None:
        return (a,)
    return a if b is MANY else (a, b)


class _ModeState:
    """The switches every op reads: one immutable instance per mode, held in a context variable.

    A ``ContextVar`` makes the modes per thread (and per asyncio task), as
    PyTorch's grad mode is: ``no_grad()`` in one thread does not stop another
    thread from recording its graph. Entering a mode sets a new instance and
    leaving it resets the variable, so nothing is ever mutated in place.
    (Reading the variable costs ~30 ns per op: measured, the price of correct threads.)
    """

    __slots__ = ("grad", "anomaly", "scope", "origins", "trace")

    def __init__(
        self, grad: bool = True, anomaly: bool = False, scope: tuple[str, ...] = (),
        origins: dict[int, tuple[str, tuple[Any, ...]]] | None = None, trace: BackwardTrace | None = None,
    ) -> None:
        self.grad = grad  # record graphs? (False inside no_grad())
        self.anomaly = anomaly  # check every forward and backward value for NaN/inf?
        self.scope = scope  # names of the modules whose forward is running
        # id(node) -> (user code line, what its rule will read), while anomaly is on
        self.origins = {} if origins is None else origins
        self.trace = trace  # inside trace_backward(): where backward passes record their steps

    def replace(self, **changes: Any) -> _ModeState:
        """A copy with some switches changed."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return _ModeState(**fields)


# (the default is never mutated: modes are replaced, not changed; its origins dict is only written in anomaly mode)
_MODE: contextvars.ContextVar[_ModeState] = contextvars.ContextVar("tinygrad_edu_mode", default=_ModeState())  # noqa: B039
current_mode = _MODE.get  # the calling thread's modes (every op reads them)


@contextlib.contextmanager
def _entered(**changes: Any) -> Iterator[None]:
    token = _MODE.set(_MODE.get().replace(**changes))
    try:
        yield
    finally:
        _MODE.reset(token)


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Run a block without recording a graph, in this thread (also usable as a decorator: ``@no_grad()``).

    >>> from tinygrad_edu import Value, no_grad
    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.parents
    ()
    """
    return _entered(grad=False)


def enable_grad() -> contextlib.AbstractContextManager[None]:
    """Record graphs again inside a ``no_grad()`` block (this thread only)."""
    return _entered(grad=True)


def is_grad_enabled() -> bool:
    """True when ops in this thread record the graph (the default)."""
    return _MODE.get().grad


class name_scope:  # noqa: N801 (used like a function, as contextlib's are)
    """Tag every node created inside the block with ``name`` (nested scopes stack).

    ``nn.Module`` enters one per forward call, so that drawings can group a
    network by layer; the engine only stores the tuple of names and knows
    nothing about modules. (A class rather than ``@contextmanager``: it is
    entered once per module call, so its cost matters.)

    >>> from tinygrad_edu import Value, name_scope
    >>> with name_scope("layer1"):
    ...     y = Value(1.0) * 2
    >>> y.scope
    ('layer1',)
    """

    __slots__ = ("name", "token")

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        mode = _MODE.get()
        self.token = _MODE.set(_ModeState(mode.grad, mode.anomaly, mode.scope + (self.name,), mode.origins, mode.trace))

    def __exit__(self, *exc_info: object) -> None:
        _MODE.reset(self.token)


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``AnomalyError`` at the first op whose forward or backward gives NaN/inf.

    The error names the op and the line of user code that created it.

    >>> import numpy as np
    >>> from tinygrad_edu import Value, detect_anomaly
    >>> with detect_anomaly():
    ...     Value(np.array([-1.0])).log()      # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    AnomalyError: forward of 'log' produced nan ...
    """
    with _entered(anomaly=True, origins={}), np.errstate(all="ignore"):
        yield


@dataclasses.dataclass
class TraceStep:
    """One node of a backward pass, in the order the pass visited it.

    ``grad`` is the node's complete gradient (the sum of what its consumers sent); ``sent`` lists, per input
    of its op, ``(input, contribution, running_total)``: what this node's rule sent to that input, and the
    input's gradient gathered so far, this contribution included (a node used twice shows both).
    """

    node: Any
    grad: Any
    sent: list[tuple[Any, Any, Any]]


@dataclasses.dataclass
class BackwardTrace:
    """The steps of the backward passes run inside ``trace_backward()``, in the engine's visiting order."""

    steps: list[TraceStep] = dataclasses.field(default_factory=list)


def _snapshot(x: Any) -> Any:
    x = x.data if not isinstance(x, float | np.ndarray | np.generic) else x  # (a node under create_graph)
    return x.copy() if isinstance(x, np.ndarray) else x


@contextlib.contextmanager
def trace_backward() -> Iterator[BackwardTrace]:
    """Record every step of the backward passes run in the block: which node, its gradient, what it sent.

    Costs nothing outside the block (the pass checks one flag it already checks for anomaly mode).

    >>> from tinygrad_edu import Value, trace_backward
    >>> a = Value(3.0); y = a * a
    >>> with trace_backward() as trace:
    ...     y.backward()
    >>> [(step.node.op, step.grad) for step in trace.steps]
    [('*', 1.0), ('', 6.0)]
    """
    trace = BackwardTrace()
    with _entered(trace=trace):
        yield trace


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_frame() -> str:
    """The innermost stack frame outside this package, as ``file:line: code``."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno}: {(frame.line or '').strip()}"
    return "<unknown>"


def _bad_values(x: Any) -> str | None:
    """'nan'/'inf' when the float or array ``x`` holds such a value, else None."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "fc":
        return None
    if np.isnan(arr).any():
        return "nan"
    if np.isinf(arr).any():
        return "inf"
    return None


def _fingerprint(data: Any) -> tuple[Any, int] | None:
    """The array object and a checksum of its bytes: changed in place or replaced, it no longer matches."""
    if not isinstance(data, np.ndarray):
        return None  # a Python float cannot change in place (``v.data = x`` rebinds it: see the README)
    return data, zlib.crc32(np.ascontiguousarray(data).tobytes())


def check_forward(node: GraphNode) -> None:
    """Anomaly mode: remember where ``node`` was made and what its rule will read; fail if it is not finite."""
    where = user_frame()
    prints = tuple(_fingerprint(x._data) for x in (node, *inputs_of(node)))
    _MODE.get().origins[id(node)] = (where, prints)
    bad = _bad_values(node._data)
    if bad is not None:
        raise AnomalyError(f"forward of {node._op!r} produced {bad}, created at {where}")


def _created_at(node: GraphNode) -> str:
    seen = _MODE.get().origins.get(id(node))
    return seen[0] if seen else "<created outside detect_anomaly()>"


def _check_unchanged(node: GraphNode) -> None:
    """Anomaly mode: the data a rule reads is what the forward pass saw (PyTorch's in-place modification check)."""
    seen = _MODE.get().origins.get(id(node))
    if not seen:
        return
    for i, (x, before) in enumerate(zip((node, *inputs_of(node)), seen[1])):
        if before is not None and (x._data is not before[0] or _fingerprint(x._data) != before):
            what = "its output" if i == 0 else f"its input #{i - 1}"
            raise AnomalyError(
                f"backward of {node._op!r}: {what} (shape {fmt_shape(np.shape(x._data))}) was modified in place "
                f"or replaced after the forward pass, so its gradient would be wrong; op created at {seen[0]}. "
                "Change data only after backward() (an optimizer step), or compute a new Value."
            )


def _check_backward(node: GraphNode, parent: GraphNode, grad: Any) -> None:
    raw_grad = grad if isinstance(grad, float | np.ndarray | np.generic) else grad.data  # (a node under create_graph)
    bad = _bad_values(raw_grad)
    if bad is not None:
        parent_index = next(i for i, p in enumerate(node.parents) if p is parent)
        raise AnomalyError(
            f"backward of {node._op!r} produced {bad} in the gradient of its input "
            f"#{parent_index}, op created at {_created_at(node)}"
        )


def _count_consumers(root: GraphNode, seed: Any = None) -> None:
    """Prepare a backward pass: each node below ``root`` that needs a gradient learns how many ops use it.

    One iterative pass over the graph (explicit stack, no recursion). A node
    is explored the first time it is seen; later sightings only count. The
    bookkeeping lives in two slots of each node rather than in dictionaries
    (a slot costs a third of a dict lookup): ``_n`` holds its uses still to
    be back-propagated and ``_g`` the gradient gathered so far. Between
    passes every node has ``_n == 0`` (a finished pass counts each node back
    down to 0, and ``_reset`` cleans up after a pass that raised), so a 0
    here means "not seen yet in this pass".
    """
    root._n, root._g = 0, seed
    stack = [root]
    while stack:
        node = stack.pop()
        a = node._a  # the inputs, unpacked from their two slots (see engine.MANY)
        if a is None:
            continue
        b = node._b
        for parent in (a,) if b is None else a if b is MANY else (a, b):
            if parent.requires_grad:
                if parent._n:
                    parent._n += 1
                else:
                    parent._n, parent._g = 1, None
                    stack.append(parent)


def _reset(root: GraphNode) -> None:
    """Clear the bookkeeping of a pass that stopped half-way (an error, Ctrl-C), so the next one starts clean."""
    for node in walk(root):
        node._n, node._g = 0, None


def walk(root: GraphNode) -> list[Any]:
    """Every node reachable from ``root`` (constants included), each after all of its inputs (a topological order).

    Depth-first with an explicit stack: a node is marked seen when it is expanded, not when it is pushed,
    so a node used at two depths is still listed after every input it has.
    """
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)  # its inputs were pushed after it, so they are listed already
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(inputs_of(node)) if id(p) not in seen)
    return order


def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a broadcast gradient back down to ``shape`` (works on arrays and Values).

    Broadcasting copies an input along new leading axes and along axes of size
    1; the chain rule adds up the copies, so the gradient is summed over them.
    """
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if extra or g.shape != shape:
        g = g.reshape(shape)
    return g


def fit_grad(g: Any, like: Any) -> Any:
    """Bring a raw gradient to the shape, dtype and kind (float/array) of ``like``."""
    if like.__class__ is float:
        return float(np.sum(g))
    if g.__class__ is float or not isinstance(g, np.ndarray | np.generic):
        g = np.asarray(g, dtype=like.dtype)
    if g.shape != like.shape:
        g = sum_to(g, like.shape) if g.ndim >= len(like.shape) else np.broadcast_to(g, like.shape)
    if g.dtype != like.dtype:
        g = g.astype(like.dtype)
    return g


def _rule_on_numpy_floats(node: GraphNode, g: Any) -> tuple[Any, ...]:
    """Call node's rule on NumPy float64 scalars, which give inf/nan where Python raises."""
    f64 = np.float64
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        grads = node._rule(f64(g), f64(node._data), node._ctx, *[f64(p._data) for p in inputs_of(node)])
    return tuple(None if x is None else float(x) for x in grads)


def backprop(
    root: GraphNode,
    seed: Any,
    *,
    create_graph: bool = False,
    accumulate: bool = True,
    inputs: Sequence[Any] = (),
) -> list[Any]:
    """Propagate ``seed`` (d root / d root) back through the graph of ``root``.

    Nodes are visited from the root down in Kahn's order: ``_count_consumers``
    first counts how many ops use each node; a node is taken from the ``ready``
    stack once every one of its consumers has been visited, so its gradient is
    then complete and is handed to its own rule. With ``accumulate`` every
    node's ``.grad`` is increased by its gradient (micrograd and PyTorch
    semantics: call ``zero_grad`` between steps). Returns the gradients of
    ``inputs`` (None where an input is not reached).

    NOTE: the pass keeps its bookkeeping in the nodes themselves, so passes
    are serialised by one lock: two threads back-propagating through shared
    nodes take turns, and both get exact accumulated gradients. (Python runs
    one thread at a time anyway; the lock costs ~0.1 us per pass.)
    """
    with _BACKWARD_LOCK:
        try:
            return _backprop(root, seed, create_graph, accumulate, inputs)
        except BaseException:  # a rule or an anomaly check raised, or Ctrl-C: leave no half-counted nodes behind
            _reset(root)
            raise


_BACKWARD_LOCK = threading.RLock()  # (re-entrant: a rule may, in principle, run a backward of its own)


def _backprop(root: GraphNode, seed: Any, create_graph: bool, accumulate: bool, inputs: Sequence[Any]) -> list[Any]:
    _count_consumers(root, seed)
    wanted = {x: None for x in inputs}
    mode = _MODE.get()
    anomaly, trace = mode.anomaly, mode.trace
    watch = anomaly or trace is not None  # the slow path: checks and recording (one flag in the loop)
    ready = [root]
    while ready:
        node = ready.pop()
        g = node._g  # complete: every consumer has been visited (None: no path gave it a gradient)
        node._g = None  # (the node keeps it in .grad, if at all)
        if g is not None:
            if accumulate:
                old = node.grad
                if old is None:  # a tensor's .grad is a DataView, as its .data (one view per node: ~0.2 us)
                    node.grad = g.view(DataView) if g.__class__ is np.ndarray else g
                elif (old.__class__ is DataView and g.__class__ is np.ndarray and old.shape == g.shape) or (
                    old.__class__ is g.__class__ and (old.__class__ is float or old.shape == g.shape)
                ):
                    node.grad = old + g
                else:
                    node.grad = _accumulated(node, old, g)
            if wanted and node in wanted:
                wanted[node] = g
        if watch and trace is not None:
            step = TraceStep(node, _snapshot(g) if g is not None else None, [])
            trace.steps.append(step)
        a = node._a  # the inputs, unpacked from their two slots (see engine.MANY)
        if a is None:
            continue
        b = node._b
        prev = (a,) if b is None else a if b is MANY else (a, b)
        if watch and anomaly:
            _check_unchanged(node)  # the rule is about to read the data: is it what the forward saw?
        if g is None:
            parent_grads: Any = (None,) * len(prev)
        elif create_graph:
            parent_grads = node._rule(g, node, node._ctx, *prev)
        else:
            try:
                if b is None:
                    parent_grads = node._rule(g, node._data, node._ctx, a._data)
                elif b is not MANY:
                    parent_grads = node._rule(g, node._data, node._ctx, a._data, b._data)
                else:
                    parent_grads = node._rule(g, node._data, node._ctx, *[p._data for p in a])
            except (ZeroDivisionError, OverflowError):  # a rule divided Python floats by 0: redo it with IEEE semantics
                parent_grads = _rule_on_numpy_floats(node, g)
        for parent, pg in zip(prev, parent_grads):
            if not parent.requires_grad:
                continue
            if pg is not None:
                if create_graph:
                    if pg.shape != parent.shape:
                        pg = sum_to(pg, parent.shape)
                else:
                    pd = parent._data
                    if pg.__class__ is float and pd.__class__ is float:
                        pass  # scalars: nothing to fit
                    elif pg.__class__ is not np.ndarray or pg.shape != pd.shape or (
                        pg.dtype is not pd.dtype and pg.dtype != pd.dtype  # (identity first: dtypes are shared)
                    ):
                        pg = fit_grad(pg, pd)  # broadcast, dtype or kind differ: sum/cast back
                old = parent._g
                if watch:
                    if anomaly:
                        _check_backward(node, parent, pg)
                    if trace is not None:
                        total = pg if old is None else old + pg
                        step.sent.append((parent, _snapshot(pg), _snapshot(total)))
                parent._g = pg if old is None else old + pg
            n = parent._n - 1
            parent._n = n
            if not n:
                ready.append(parent)
    return [wanted[x] for x in inputs]


def _accumulated(node: GraphNode, old: Any, g: Any) -> Any:
    """``old + g`` for a ``.grad`` that is not what backward left there: checked, or a clear error."""
    kind = getattr(old, "dtype", None)
    numeric = isinstance(old, float | int) or (kind is not None and np.dtype(kind).kind in "biuf")
    if not numeric or np.shape(old) != np.shape(g):
        raise BackwardError(
            f"backward: .grad of a Value of shape {fmt_shape(np.shape(g))} (op {node._op or 'leaf'!r}) holds "
            f"{type(old).__name__} of shape {fmt_shape(np.shape(old)) if numeric else '?'}; it must be None, "
            "or numbers of the Value's shape (set it with zero_grad())"
        )
    return old + g


def default_seed(root: GraphNode, gradient: Any, make_value: Callable[[Any], Any] | None) -> Any:
    """The starting gradient d root / d root (``gradient``: raw data or None), checked against root's shape."""
    data = root._data
    if gradient is None:
        if data.__class__ is float:
            seed: Any = 1.0
        elif data.size == 1:
            seed = np.array(1, data.dtype) if data.ndim == 0 else np.ones(data.shape, data.dtype)
        else:
            raise BackwardError(
                f"backward: the output has shape {fmt_shape(np.shape(data))}; backward() "
                "without a gradient argument needs a scalar (size-1) output. Reduce it first "
                "(e.g. loss.sum() or loss.mean()) or pass gradient= an array of that shape."
            )
    else:
        if isinstance(gradient, str | bytes) or np.asarray(gradient).dtype.kind not in "biuf":
            raise BackwardError(
                f"backward: gradient must be numbers of the output's shape {fmt_shape(np.shape(data))}, "
                f"got {type(gradient).__name__}"
            )
        seed = gradient if (gradient.__class__ is float and data.__class__ is float) else np.asarray(gradient)
        if np.shape(seed) != np.shape(data):
            raise BackwardError(
                f"backward: gradient has shape {fmt_shape(np.shape(seed))} but the output has "
                f"shape {fmt_shape(np.shape(data))}; they must match."
            )
        if data.__class__ is not float:
            seed = np.asarray(seed, dtype=data.dtype)
        elif seed.__class__ is not float:
            seed = float(seed)
    return make_value(seed) if make_value is not None else seed
