"""``Value``: a scalar or a NumPy array that records how it was computed.

``Value`` is the graph node of ``node.py`` plus the op families of ``ops/``,
each op beside its gradient rule:

- ``ops/arithmetic.py``: micrograd's operators ``+ - * / **`` and ``@``;
- ``ops/elementwise.py``: exp, log, sqrt, abs, trigonometric and hyperbolic functions, erf, floor, ...;
- ``ops/binary.py``: maximum, minimum, logaddexp, copysign, lerp, % and //, the comparisons eq ... ge;
- ``ops/activation.py``: gelu, silu, elu, softplus, hardtanh, ... (PyTorch's activations, all derived);
- ``ops/reduce.py``: sum, mean, max, min, logsumexp, prod, softmax, log_softmax, var, std, var_mean,
  std_mean, norm, argmax, argmin, any, all;
- ``ops/scan.py``: cumsum, cumprod, logcumsumexp, cummax, cummin, sort, argsort, topk;
- ``ops/movement.py``: reshape, view, flatten, unflatten, squeeze, unsqueeze, transpose, .T, swapaxes,
  permute, movedim, broadcast_to, expand, flip, roll;
- ``ops/shape.py``: repeat, repeat_interleave, tril, triu, diagonal, diag, unfold, split, chunk, and the
  functions pad and meshgrid;
- ``ops/index.py``: indexing, and the functions concatenate, stack, where;
- ``ops/gather.py``: gather, scatter, scatter_add, scatter_reduce, masked_fill, masked_select, index_select, nonzero;
- ``ops/linalg.py``: outer (and the functions einsum, outer, tensordot);
- ``ops/cast.py``: to, float, double, half, int, long, bool;
- ``ops/inplace.py``: v[i] = x, clone, retain_grad, nelement, __array__ (what PyTorch programs do to a tensor).

The rules' helpers (``exp log sin cos sigmoid raw``) and ``make_op`` are
re-exported here for ops written outside the package.
"""

from __future__ import annotations

from .node import Node, Operand, lift, make_op, raw
from .ops.activation import ActivationOps
from .ops.arithmetic import ArithmeticOps
from .ops.binary import BinaryOps
from .ops.cast import CastOps
from .ops.elementwise import ElementwiseOps, cos, exp, log, sigmoid, sin, stable_sigmoid
from .ops.gather import GatherOps
from .ops.index import IndexOps, concatenate, stack, where
from .ops.inplace import InplaceOps
from .ops.linalg import LinalgOps, einsum, outer, tensordot
from .ops.movement import MovementOps
from .ops.reduce import ReduceOps
from .ops.scan import ScanOps
from .ops.shape import ShapeOps

__all__ = [
    "Operand", "Value", "concatenate", "cos", "exp", "lift", "log", "make_op", "raw", "sigmoid", "sin",
    "stable_sigmoid", "stack", "where",
    "einsum", "outer", "tensordot",
]


class Value(
    ArithmeticOps, ElementwiseOps, BinaryOps, ActivationOps, ReduceOps, ScanOps, MovementOps, ShapeOps, IndexOps,
    GatherOps, LinalgOps, CastOps, InplaceOps, Node,
):
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

    __slots__ = ()
    __array_ufunc__ = None  # make `ndarray * Value` call Value.__rmul__, not NumPy


# The class every op result gets, also for subclasses: ops on an nn.Parameter give plain Values, as in PyTorch.
Value._result_class = Value
