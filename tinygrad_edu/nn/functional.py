"""Activations and losses, PyTorch's names and definitions (``torch.nn.functional``).

Losses take *logits* where the name says so, which is how they stay finite:
``binary_cross_entropy_with_logits`` and ``cross_entropy`` never compute a
probability that could round to 0 or 1 before its logarithm. Both are fused
ops (one node, a hand-derived gradient) for speed and for exactness at the
kinks; tests check each against the composed formula.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Value, exp, lift, make_op, raw
from ..errors import DataError, ShapeError, fmt_shape
from ..node import shows

_REDUCTIONS = ("mean", "sum", "none")


def _value(x: Any, op: str) -> Value:
    return lift(x, op, Value)  # type: ignore[return-value]


def _reduce(loss: Value, reduction: str, op: str) -> Value:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _same_shape(op: str, input: Value, target: Any) -> None:
    if np.shape(raw(target)) != input.shape:
        raise ShapeError(
            f"{op}: input has shape {fmt_shape(input.shape)} but target has shape "
            f"{fmt_shape(np.shape(raw(target)))}; they must be equal"
        )


# ---- activations ---------------------------------------------------------------
def sigmoid(x: Any) -> Value:
    """1 / (1 + e**-x), elementwise; never overflows."""
    return _value(x, "sigmoid").sigmoid()


def relu(x: Any) -> Value:
    """max(0, x), elementwise."""
    return _value(x, "relu").relu()


def tanh(x: Any) -> Value:
    """Hyperbolic tangent, elementwise."""
    return _value(x, "tanh").tanh()


def softmax(x: Any, dim: int = -1) -> Value:
    """e**x / sum(e**x) along ``dim``."""
    return _value(x, "softmax").softmax(axis=dim)


def log_softmax(x: Any, dim: int = -1) -> Value:
    """x - logsumexp(x) along ``dim``."""
    return _value(x, "log_softmax").log_softmax(axis=dim)


def one_hot(labels: Any, num_classes: int | None = None) -> np.ndarray:
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
def linear(x: Any, weight: Value, bias: Value | None = None) -> Value:
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
def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Value:
    """Mean squared error: mean((input - target)**2) (or the sum, or per element)."""
    input = _value(input, "mse_loss")
    _same_shape("mse_loss", input, target)
    return _reduce((input - target) ** 2, reduction, "mse_loss")


def binary_cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Value:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p; logs clamped at -100 like PyTorch.

    NOTE: prefer ``binary_cross_entropy_with_logits``: a probability that has
    rounded to 0 or 1 has already lost the information this loss needs.
    """
    p = _value(input, "binary_cross_entropy")
    _same_shape("binary_cross_entropy", p, target)
    t = np.asarray(raw(target))
    if np.any((p.data < 0) | (p.data > 1)):
        raise DataError("binary_cross_entropy: input must be probabilities in [0, 1]; for logits use "
                        "binary_cross_entropy_with_logits")
    loss = -(p.log().clip(lo=-100.0) * t + (1.0 - p).log().clip(lo=-100.0) * (1.0 - t))
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Value:
    """BCE of sigmoid(x) against t, computed stably: max(x, 0) - x t + log(1 + e^-|x|)."""
    x = _value(input, "binary_cross_entropy_with_logits")
    _same_shape("binary_cross_entropy_with_logits", x, target)
    t = np.asarray(raw(target), dtype=x.dtype)
    xd = np.asarray(x.data)
    loss = np.maximum(xd, 0) - xd * t + np.log1p(np.exp(-np.abs(xd)))  # e^-|x| <= 1: no overflow
    return _reduce(make_op(loss, (x,), "bce_with_logits", _bce_logits_backward, t), reduction, "bce")


def _bce_logits_backward(g, out, t, x):
    # d/dx [max(x,0) - x t + log(1 + e^-|x|)] = sigmoid(x) - t   (smooth, also at x = 0)
    s = x.sigmoid() if isinstance(x, Value) else _stable_sigmoid(x)
    return (g * (s - t),)


def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Value:
    """Softmax cross-entropy of logits (N, C) against class indices (N,) or probabilities (N, C).

    With indices: loss_i = logsumexp(x_i) - x_i[y_i] (one fused op whose
    gradient is softmax(x) - onehot(y)). With probability (or one-hot)
    targets: loss_i = -sum_c t_ic log_softmax(x_i)_c.
    """
    x = _value(input, "cross_entropy")
    logits = x.data
    shape = np.shape(logits)
    if len(shape) not in (1, 2):
        raise ShapeError(f"cross_entropy: logits must have shape (N, C) or (C,), got {fmt_shape(shape)}")
    t = np.asarray(raw(target))
    if t.shape == shape and t.dtype.kind == "f":  # probabilities / one-hot rows
        return _reduce(-(x.log_softmax(axis=-1) * t).sum(axis=-1), reduction, "cross_entropy")
    if t.shape != shape[:-1]:
        raise ShapeError(
            f"cross_entropy: logits of shape {fmt_shape(shape)} need class indices of shape "
            f"{fmt_shape(shape[:-1])} or probabilities of shape {fmt_shape(shape)}, got target of shape "
            f"{fmt_shape(t.shape)}"
        )
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    y = _class_indices(t, shape[-1], "cross_entropy")
    if len(shape) == 1:
        logits, y = logits[None, :], y[None]
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
    elif len(shape) == 1:
        loss = loss.reshape(())
    return make_op(loss, (x,), "cross_entropy", _cross_entropy_backward, (reduction, y, rows, e))


@shows("reduction")
def _cross_entropy_backward(g, out, ctx, x):
    # d/dx_i [logsumexp(x_i) - x_i[y_i]] = softmax(x_i) - onehot(y_i); the mean divides by N
    reduction, y, rows, probs = ctx
    scale = g / len(y) if reduction == "mean" else g
    if reduction == "none":
        scale = scale.reshape((-1, 1))
    if isinstance(x, Value):  # create_graph: softmax as a differentiable function of x
        x2 = x.reshape(probs.shape)
        onehot = np.zeros(probs.shape, dtype=probs.dtype)
        onehot[rows, y] = 1
        grad = (exp(x2 - x2.logsumexp(axis=1, keepdims=True)) - onehot) * scale
    else:
        grad = probs * scale  # a new array: a second backward through the same graph needs probs again
        grad[rows, y] -= scale if reduction != "none" else scale[:, 0]
    return (grad.reshape(x.shape),)
