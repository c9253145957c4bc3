"""Activations and losses, PyTorch's names and definitions (``torch.nn.functional``).

Losses take *logits* where the name says so, which is how they stay finite:
``binary_cross_entropy_with_logits`` and ``cross_entropy`` never compute a
probability that could round to 0 or 1 before its logarithm. Both are fused
ops (one node, a hand-derived gradient) for speed and for exactness at the
kinks; tests check each against the composed formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine import Operand, Value, exp, lift, make_op, raw
from ..engine import sigmoid as _sigmoid_of
from ..errors import ArgumentError, DataError, ShapeError, fmt_shape
from ..node import shows
from ..ops.shape import pad as _pad

_REDUCTIONS = ("mean", "sum", "none")


def _value(x: Operand, op: str) -> Value:
    return lift(x, op, Value)  # type: ignore[return-value]


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ArgumentError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(loss: Value, reduction: str) -> Value:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss  # "none" (checked by _check_reduction before the loss was computed)


def _same_shape(op: str, input: Value, target: Any) -> None:
    if np.shape(raw(target)) != input.shape:
        raise ShapeError(
            f"{op}: input has shape {fmt_shape(input.shape)} but target has shape "
            f"{fmt_shape(np.shape(raw(target)))}; they must be equal"
        )


# ---- activations ---------------------------------------------------------------
def sigmoid(x: Operand) -> Value:
    """1 / (1 + e**-x), elementwise; never overflows."""
    return _value(x, "sigmoid").sigmoid()


def relu(x: Operand) -> Value:
    """max(0, x), elementwise."""
    return _value(x, "relu").relu()


def tanh(x: Operand) -> Value:
    """Hyperbolic tangent, elementwise."""
    return _value(x, "tanh").tanh()


def softmax(x: Operand, dim: int = -1) -> Value:
    """e**x / sum(e**x) along ``dim``."""
    return _value(x, "softmax").softmax(axis=dim)


def log_softmax(x: Operand, dim: int = -1) -> Value:
    """x - logsumexp(x) along ``dim``."""
    return _value(x, "log_softmax").log_softmax(axis=dim)


# ---- more activations (PyTorch's names and defaults; each a Value method, derived from primitives) ----
def gelu(input: Operand, approximate: str = "none") -> Value:
    """x * Phi(x) (Phi the normal CDF, via erf); ``approximate="tanh"`` for the tanh formula."""
    return _value(input, "gelu").gelu(approximate)


def silu(input: Operand) -> Value:
    """x * sigmoid(x)."""
    return _value(input, "silu").silu()


def elu(input: Operand, alpha: float = 1.0) -> Value:
    """x for x > 0, alpha (e**x - 1) otherwise."""
    return _value(input, "elu").elu(alpha)


def celu(input: Operand, alpha: float = 1.0) -> Value:
    """x for x > 0, alpha (e**(x/alpha) - 1) otherwise."""
    return _value(input, "celu").celu(alpha)


def selu(input: Operand) -> Value:
    """scale * elu(x, alpha) with the self-normalising constants."""
    return _value(input, "selu").selu()


def softplus(input: Operand, beta: float = 1.0, threshold: float = 20.0) -> Value:
    """log(1 + e**(beta x)) / beta, stable; x itself where beta x > threshold."""
    return _value(input, "softplus").softplus(beta, threshold)


def softsign(input: Operand) -> Value:
    """x / (1 + |x|)."""
    return _value(input, "softsign").softsign()


def mish(input: Operand) -> Value:
    """x * tanh(softplus(x))."""
    return _value(input, "mish").mish()


def leaky_relu(input: Operand, negative_slope: float = 0.01) -> Value:
    """x for x > 0, negative_slope * x otherwise."""
    return _value(input, "leaky_relu").leaky_relu(negative_slope)


def relu6(input: Operand) -> Value:
    """min(max(x, 0), 6)."""
    return _value(input, "relu6").relu6()


def hardtanh(input: Operand, min_val: float = -1.0, max_val: float = 1.0) -> Value:
    """x clipped to [min_val, max_val] (gradient 0 at the corners, as in PyTorch)."""
    return _value(input, "hardtanh").hardtanh(min_val, max_val)


def hardsigmoid(input: Operand) -> Value:
    """relu6(x + 3) / 6."""
    return _value(input, "hardsigmoid").hardsigmoid()


def hardswish(input: Operand) -> Value:
    """x * relu6(x + 3) / 6."""
    return _value(input, "hardswish").hardswish()


def logsigmoid(input: Operand) -> Value:
    """log(sigmoid(x)), stable: -softplus(-x)."""
    return _value(input, "logsigmoid").logsigmoid()


def softmin(input: Operand, dim: int = -1) -> Value:
    """softmax(-x) along ``dim``."""
    return _value(input, "softmin").softmin(dim)


def one_hot(labels: Operand, num_classes: int | None = None) -> np.ndarray:
    """Class indices (N,) -> an int64 array (N, num_classes) with a single 1 per row.

    >>> one_hot([2, 0], 3)
    array([[0, 0, 1],
           [1, 0, 0]])
    """
    y = _class_indices(labels, num_classes, "one_hot")
    n = int(y.max()) + 1 if num_classes is None else num_classes
    out = np.zeros(y.shape + (n,), dtype=np.int64)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


def _class_indices(labels: Any, num_classes: int | None, op: str) -> np.ndarray:
    y = np.asarray(raw(labels))
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise DataError(f"{op}: class indices must be integers, got non-integer values such as {y.flat[0]}")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iu":
        raise DataError(f"{op}: class indices must be integers, got dtype {y.dtype}")
    if y.size:
        # One pass over the labels: viewed as unsigned, a negative label becomes >= 2**(bits-1),
        # so a single maximum catches labels below 0 and labels >= num_classes alike.
        signed = y.dtype.kind == "i"
        high = int(np.maximum.reduce(y.view(y.dtype.str.replace("i", "u")) if signed else y, axis=None))
        negative = signed and high >> (8 * y.itemsize - 1)
        if negative or (num_classes is not None and high >= num_classes):
            bad = int(np.minimum.reduce(y, axis=None)) if negative else high
            limit = f"0..{num_classes - 1}" if num_classes is not None else "non-negative"
            raise DataError(f"{op}: label {bad} is out of range: {num_classes} classes allow labels {limit}")
    return y


# ---- layers --------------------------------------------------------------------
def linear(x: Operand, weight: Value, bias: Value | None = None) -> Value:
    """y = x W^T + b, weight of shape (out, in) as in PyTorch; one fused op.

    Fused because the composed form x @ W.T + b computes dW as a transposed
    view (x^T g)^T, and an optimizer then updates W through strided memory;
    here dW = g^T x comes out contiguous, and the bias needs no extra node.
    """
    x = _value(x, "linear")
    xd, w = x.data, weight.data
    if xd.__class__ is float or xd.ndim == 0 or xd.shape[-1] != w.shape[1]:
        raise ShapeError(
            f"linear: input of shape {fmt_shape(x.shape)} does not fit weight of shape {fmt_shape(w.shape)}: "
            f"the input's last axis must have {w.shape[1]} features"
        )
    out = xd @ w.T
    if bias is None:
        return make_op(out, (x, weight), "linear", _linear_backward, x.requires_grad)
    out += bias.data
    return make_op(out, (x, weight, bias), "linear", _linear_backward, x.requires_grad)


def _linear_backward(g, out, need_x, x, w, b=None):
    # y = x W^T + b:  dy/dx = W,  dy/dW = g^T x,  dy/db = sum of g over the batch
    g2, x2 = (g, x) if g.ndim == 2 else (g.reshape((-1, g.shape[-1])), x.reshape((-1, x.shape[-1])))  # batch axes
    gx = g @ w if need_x else None
    gw = g2.T @ x2
    if b is None:
        return gx, gw
    return gx, gw, g2.sum(axis=0)


# ---- losses --------------------------------------------------------------------
# A target that is a Value is differentiated too, as in PyTorch: mse_loss, the two
# binary cross-entropies and cross_entropy with probability targets pass a gradient
# to it (class indices, being integers, have none).
def mse_loss(input: Operand, target: Operand, reduction: str = "mean") -> Value:
    """Mean squared error: mean((input - target)**2) (or the sum, or per element)."""
    _check_reduction(reduction, "mse_loss")
    input = _value(input, "mse_loss")
    _same_shape("mse_loss", input, target)
    return _reduce((input - target) ** 2, reduction)


def binary_cross_entropy(input: Operand, target: Operand, reduction: str = "mean") -> Value:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p; logs clamped at -100 like PyTorch.

    Composed from ops, so a target that is a Value gets its gradient,
    d/dt = log(1 - p) - log(p), from the graph like any other input.

    NOTE: prefer ``binary_cross_entropy_with_logits``: a probability that has
    rounded to 0 or 1 has already lost the information this loss needs.
    """
    _check_reduction(reduction, "binary_cross_entropy")
    p = _value(input, "binary_cross_entropy")
    _same_shape("binary_cross_entropy", p, target)
    t = target if isinstance(target, Value) else np.asarray(target)
    if np.any((p.data < 0) | (p.data > 1)):
        raise DataError("binary_cross_entropy: input must be probabilities in [0, 1]; for logits use "
                        "binary_cross_entropy_with_logits")
    loss = -(p.log().clip(lo=-100.0) * t + (1.0 - p).log().clip(lo=-100.0) * (1.0 - t))
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Operand, target: Operand, reduction: str = "mean") -> Value:
    """BCE of sigmoid(x) against t, computed stably: max(x, 0) - x t + log(1 + e^-|x|).

    One fused op; a target that is a Value requiring grad becomes its second input.
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x = _value(input, "binary_cross_entropy_with_logits")
    _same_shape("binary_cross_entropy_with_logits", x, target)
    t = np.asarray(raw(target), dtype=x.dtype)
    xd = np.asarray(x.data)
    loss = np.maximum(xd, 0) - xd * t + np.log1p(np.exp(-np.abs(xd)))  # e^-|x| <= 1: no overflow
    if isinstance(target, Value) and target.requires_grad:
        out = make_op(loss, (x, target), "bce_with_logits", _bce_logits_backward)
    else:
        out = make_op(loss, (x,), "bce_with_logits", _bce_logits_backward, t)
    return _reduce(out, reduction)


def _bce_logits_backward(g, out, t, x, target=None):
    # d/dx [max(x,0) - x t + log(1 + e^-|x|)] = sigmoid(x) - t   (smooth, also at x = 0);  d/dt = -x
    s = _sigmoid_of(x)  # the engine's one stable sigmoid, on arrays and Values alike
    if target is None:  # a constant target, kept in ctx
        return (g * (s - t),)
    return g * (s - target), -g * x


def cross_entropy(input: Operand, target: Operand, reduction: str = "mean") -> Value:
    """Softmax cross-entropy of logits against class indices or class probabilities, as PyTorch's.

    Logits are (N, C), (C,) or (N, C, d1, ...) (classes on axis 1); targets are
    integer class indices of the logits' shape without the class axis, or
    float probabilities (or one-hot rows) of the logits' own shape.

    With indices: loss_i = logsumexp(x_i) - x_i[y_i] (one fused op whose
    gradient is softmax(x) - onehot(y)). With probabilities:
    loss_i = -sum_c t_ic log_softmax(x_i)_c, composed from ops, so a target
    that is a Value gets the gradient d/dt_ic = -log_softmax(x_i)_c. The mean
    is over every loss_i (N * d1 * ... of them), as in PyTorch.

    >>> cross_entropy(np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([0, 1]), reduction="none").data.round(4)
    array([0.1269, 0.1269])
    """
    _check_reduction(reduction, "cross_entropy")
    x = _value(input, "cross_entropy")
    logits = x.data
    shape = np.shape(logits)
    if not shape:
        raise ShapeError("cross_entropy: logits must have shape (C,), (N, C) or (N, C, d1, ...), got a 0-d Value")
    axis = 1 if len(shape) > 1 else 0  # the class axis
    index_shape = shape[:axis] + shape[axis + 1 :]
    t = np.asarray(raw(target))
    if t.dtype.kind == "f":
        if t.shape == shape:  # probabilities / one-hot rows
            soft = target if isinstance(target, Value) else t
            return _reduce(-(x.log_softmax(axis=axis) * soft).sum(axis=axis), reduction)
        raise DataError(
            f"cross_entropy: a float target must hold probabilities of the logits' shape {fmt_shape(shape)}; "
            f"class indices must be integers (an integer array of shape {fmt_shape(index_shape)}), got "
            f"{'a Value' if isinstance(target, Value) else 'floats'} of shape {fmt_shape(t.shape)}"
        )
    if t.shape == shape:  # (integers)
        raise DataError(
            f"cross_entropy: a target of the logits' shape {fmt_shape(shape)} is read as probabilities, which "
            f"must be floats, got dtype {t.dtype} (for one_hot's integers use .astype(float))"
        )
    if t.shape != index_shape:
        raise ShapeError(
            f"cross_entropy: logits of shape {fmt_shape(shape)} need class indices of shape "
            f"{fmt_shape(index_shape)} or probabilities of shape {fmt_shape(shape)}, got target of shape "
            f"{fmt_shape(t.shape)}"
        )
    y = _class_indices(t, shape[axis], "cross_entropy")
    moved = None  # (N, d1, ..., C): the layout of the (N, C, d1, ...) logits with the classes moved last
    if len(shape) == 1:
        logits, y = logits[None, :], y[None]
    elif len(shape) > 2:
        moved = index_shape + shape[1:2]
        logits, y = np.moveaxis(logits, 1, -1).reshape(-1, shape[1]), y.reshape(-1)
    rows = np.arange(len(y))
    # (ufunc reductions called directly: the ndarray methods add a Python layer, and this runs every step)
    e = logits - np.maximum.reduce(logits, axis=1, keepdims=True)  # shifted logits: e**e never overflows
    picked = e[rows, y]  # x_i[y_i], shifted the same way
    np.exp(e, out=e)
    total = np.add.reduce(e, axis=1, keepdims=True)
    e /= total  # the softmax, kept for the backward pass
    loss = np.log(total[:, 0])  # logsumexp(x_i), shifted ...
    loss -= picked  # ... minus x_i[y_i]: loss_i
    if reduction == "mean":  # folded into the fused op: one node for the whole loss
        loss = np.add.reduce(loss) / len(y)
    elif reduction == "sum":
        loss = np.add.reduce(loss)
    else:
        loss = loss.reshape(index_shape)
    return make_op(loss, (x,), "cross_entropy", _cross_entropy_backward, (reduction, y, rows, e, moved))


@shows("reduction")
def _cross_entropy_backward(g, out, ctx, x):
    # d/dx_i [logsumexp(x_i) - x_i[y_i]] = softmax(x_i) - onehot(y_i); the mean divides by N
    # (rows i are the logits with the class axis moved last and the other axes flattened)
    reduction, y, rows, probs, moved = ctx
    scale = g / len(y) if reduction == "mean" else g
    if reduction == "none":
        scale = scale.reshape((-1, 1))
    if isinstance(x, Value):  # create_graph: softmax as a differentiable function of x
        x2 = (x.transpose((0, *range(2, x.ndim), 1)) if moved else x).reshape(probs.shape)
        onehot = np.zeros(probs.shape, dtype=probs.dtype)
        onehot[rows, y] = 1
        grad = (exp(x2 - x2.logsumexp(axis=1, keepdims=True)) - onehot) * scale
    else:
        grad = probs * scale  # a new array: a second backward through the same graph needs probs again
        grad[rows, y] -= scale if reduction != "none" else scale[:, 0]
    if moved:  # back to (N, C, d1, ...)
        grad = grad.reshape(moved).transpose((0, x.ndim - 1, *range(1, x.ndim - 1)))
        return (grad if isinstance(grad, Value) else np.ascontiguousarray(grad),)
    return (grad.reshape(x.shape),)


# ---- padding and normalisation (reductions and shape ops) -------------------------------------------
def pad(input: Operand, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Value:
    """Pad the last axes: ``pad = (left, right, top, bottom, ...)``, pairs from the last axis backwards.

    ``mode`` is "constant" (with ``value``; negative pads crop), "reflect", "replicate" or "circular", as in
    ``torch.nn.functional.pad`` (see ``ops/shape.py``; derived from concatenate and indexing).
    >>> pad(np.ones((1, 2)), (1, 1)).data
    array([[0., 1., 1., 0.]])
    """
    return _pad(input, pad, mode, value)


def normalize(input: Operand, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Value:
    """x / max(||x||_p, eps) along ``dim``, like ``torch.nn.functional.normalize`` (derived from ``norm``)."""
    x = _value(input, "normalize")
    return x / x.norm(p, dim, keepdims=True).clamp(min=eps)
