"""Losses and class labels, PyTorch's names and definitions (imported into ``nn.functional``).

Losses take *logits* where the name says so, which is how they stay finite:
``binary_cross_entropy_with_logits`` and ``cross_entropy`` never compute a
probability that could round to 0 or 1 before its logarithm. Both are fused
ops (one node, a hand-derived gradient) for speed and for exactness at the
kinks; tests check each against the composed formula.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Operand, Value, exp, lift, make_op, raw, where
from ..engine import sigmoid as _sigmoid_of
from ..errors import ArgumentError, DataError, ShapeError, fmt_shape
from ..node import shows

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


def one_hot(labels: Operand, num_classes: int | None = None) -> Value:
    """Class indices (N,) -> an int64 Value (N, num_classes) with a single 1 per row (as PyTorch's, a tensor).

    >>> one_hot([2, 0], 3).data
    array([[0, 0, 1],
           [1, 0, 0]])
    """
    if num_classes == -1:  # PyTorch's default: one more than the largest label
        num_classes = None
    y = _class_indices(labels, num_classes, "one_hot")
    n = int(y.max()) + 1 if num_classes is None else num_classes
    out = np.zeros(y.shape + (n,), dtype=np.int64)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return Value(out, requires_grad=False, copy=False)


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
    if np.any((raw(p) < 0) | (raw(p) > 1)):
        raise DataError("binary_cross_entropy: input must be probabilities in [0, 1]; for logits use "
                        "binary_cross_entropy_with_logits")
    loss = -(p.log().clip(lo=-100.0) * t + (1.0 - p).log().clip(lo=-100.0) * (1.0 - t))
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Operand, target: Operand, reduction: str = "mean", *, weight: Any = None, pos_weight: Any = None
) -> Value:
    """BCE of sigmoid(x) against t, computed stably: max(x, 0) - x t + log(1 + e^-|x|).

    One fused op; a target that is a Value requiring grad becomes its second input. ``pos_weight``
    (broadcast along the last axis, as PyTorch's) weighs the positive term: (1 - t) x + (1 + (p - 1) t)
    softplus(-x); ``weight`` rescales each element's loss.
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x = _value(input, "binary_cross_entropy_with_logits")
    _same_shape("binary_cross_entropy_with_logits", x, target)
    t = np.asarray(raw(target), dtype=x.dtype)
    xd = np.asarray(raw(x))
    if pos_weight is not None or weight is not None:
        return _bce_logits_weighted(x, target, t, weight, pos_weight, reduction)
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


def cross_entropy(
    input: Operand, target: Operand, reduction: str = "mean", *, weight: Any = None, ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> Value:
    """Softmax cross-entropy of logits against class indices or class probabilities, as PyTorch's.

    Logits are (N, C), (C,) or (N, C, d1, ...) (classes on axis 1); targets are
    integer class indices of the logits' shape without the class axis, or
    float probabilities (or one-hot rows) of the logits' own shape.

    With indices: loss_i = logsumexp(x_i) - x_i[y_i] (one fused op whose
    gradient is softmax(x) - onehot(y)). With probabilities:
    loss_i = -sum_c t_ic log_softmax(x_i)_c, composed from ops, so a target
    that is a Value gets the gradient d/dt_ic = -log_softmax(x_i)_c. The mean
    is over every loss_i (N * d1 * ... of them), as in PyTorch.

    ``weight`` (C,) rescales each class, ``ignore_index`` (-100) marks targets that count for
    nothing, ``label_smoothing`` mixes the target with the uniform distribution, all as PyTorch's
    (the weighted mean divides by the weights of the counted targets). The plain case is the fused
    op; the others are ``log_softmax`` and ``nll_loss``, composed. NOTE: ``reduction`` is the third
    positional argument here (PyTorch's third is ``weight``); the new arguments are keyword-only.

    >>> cross_entropy(np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([0, 1]), reduction="none").data.round(4)
    array([0.1269, 0.1269])
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ArgumentError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    x = _value(input, "cross_entropy")
    logits = raw(x)
    shape = np.shape(logits)
    if not shape:
        raise ShapeError("cross_entropy: logits must have shape (C,), (N, C) or (N, C, d1, ...), got a 0-d Value")
    axis = 1 if len(shape) > 1 else 0  # the class axis
    index_shape = shape[:axis] + shape[axis + 1 :]
    t = np.asarray(raw(target))
    if t.dtype.kind == "f":
        if t.shape == shape:  # probabilities / one-hot rows
            soft = target if isinstance(target, Value) else t
            if label_smoothing:
                soft = soft * (1.0 - label_smoothing) + label_smoothing / shape[axis]
            logp = x.log_softmax(axis=axis)
            if weight is not None:
                logp = logp * _class_weight(weight, shape, axis, "cross_entropy")
            return _reduce(-(logp * soft).sum(axis=axis), reduction)
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
    ignored = t == ignore_index
    if weight is not None or label_smoothing or ignored.any():  # the general case: composed from ops
        return _cross_entropy_composed(x, t, axis, weight, ignore_index, reduction, label_smoothing)
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


# ---- loss variants (issue 12): nll_loss, weighted/smoothed cross_entropy, l1, smooth_l1, huber, kl_div ----
def _class_weight(weight: Any, shape: tuple[int, ...], axis: int, op: str) -> np.ndarray:
    """A (C,) class weight reshaped to broadcast along the class ``axis`` of ``shape``."""
    w = np.asarray(raw(weight))
    if w.dtype.kind not in "fiu" or w.shape != (shape[axis],):
        raise ShapeError(
            f"{op}: weight must be a float array of shape ({shape[axis]},), one per class, got "
            f"{'dtype ' + str(w.dtype) if w.dtype.kind not in 'fiu' else 'shape ' + fmt_shape(w.shape)}"
        )
    return w.reshape((-1,) + (1,) * (len(shape) - axis - 1)).astype(np.result_type(w, np.float64), copy=False)


def _picked_log_probs(logp: Value, t: np.ndarray, ignore_index: int, op: str) -> tuple[Value, np.ndarray, np.ndarray]:
    """logp[i, y_i, ...] for every target (0 in place of ignored ones), the safe labels and the ignored mask."""
    shape = logp.shape
    if not shape:
        raise ShapeError(f"{op}: input must have shape (C,), (N, C) or (N, C, d1, ...), got a 0-d Value")
    axis = 1 if len(shape) > 1 else 0
    index_shape = shape[:axis] + shape[axis + 1 :]
    if t.dtype.kind not in "iu":
        raise DataError(f"{op}: target must hold integer class indices, got dtype {t.dtype}")
    if t.shape != index_shape:
        raise ShapeError(
            f"{op}: input of shape {fmt_shape(shape)} needs a target of shape {fmt_shape(index_shape)}, got "
            f"{fmt_shape(t.shape)}"
        )
    ignored = t == ignore_index
    y = _class_indices(np.where(ignored, 0, t), shape[axis], op)
    picked = logp.gather(axis, np.expand_dims(y, axis)).reshape(index_shape)
    return picked, y, ignored


def nll_loss(
    input: Operand, target: Operand, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"
) -> Value:
    """Negative log-likelihood of log-probabilities against class indices, as PyTorch's ``nll_loss``.

    loss_i = -weight[y_i] * input[i, y_i] (0 where y_i == ignore_index); the mean divides by the
    sum of weight[y_i] over the counted targets. Shapes as ``cross_entropy``'s; derived from ``gather``.

    >>> nll_loss(np.log([[0.5, 0.5], [0.9, 0.1]]), np.array([0, 0])).data.round(4)
    array(0.3993)
    """
    _check_reduction(reduction, "nll_loss")
    logp = _value(input, "nll_loss")
    picked, y, ignored = _picked_log_probs(logp, np.asarray(raw(target)), ignore_index, "nll_loss")
    axis = 1 if logp.ndim > 1 else 0
    w = np.ones(picked.shape) if weight is None else _class_weight(weight, logp.shape, axis, "nll_loss").reshape(-1)[y]
    w = w * ~ignored
    loss = -(picked * w)
    if reduction == "none":
        return loss
    total = loss.sum()
    return total / float(w.sum()) if reduction == "mean" else total  # (0 / 0 = nan when all are ignored, as PyTorch)


def _cross_entropy_composed(
    x: Value, t: np.ndarray, axis: int, weight: Any, ignore_index: int, reduction: str, smoothing: float
) -> Value:
    """cross_entropy with weights, ignored targets or label smoothing: log_softmax, then nll_loss (PyTorch's)."""
    logp = x.log_softmax(axis=axis)
    nll = nll_loss(logp, t, weight, ignore_index, reduction)
    if not smoothing:
        return nll
    # the smoothing term: -sum_c w_c logp_c / C per counted target, reduced the way nll_loss reduces
    picked, y, ignored = _picked_log_probs(logp, t, ignore_index, "cross_entropy")
    w = 1.0 if weight is None else _class_weight(weight, x.shape, axis, "cross_entropy")
    smooth = -(logp * w).sum(axis=axis) * ~ignored
    if reduction == "mean":
        counted = (~ignored).sum() if weight is None else (np.asarray(raw(weight))[y] * ~ignored).sum()
        smooth = smooth.sum() / float(counted)
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1.0 - smoothing) + smooth * (smoothing / x.shape[axis])


def _bce_logits_weighted(x: Value, target: Operand, t: np.ndarray, weight: Any, pos_weight: Any,
                         reduction: str) -> Value:
    """bce_with_logits with ``pos_weight``/``weight``: one fused op, (1 - t) x + (1 + (p - 1) t) softplus(-x)."""
    xd = np.asarray(raw(x))
    p = np.ones(()) if pos_weight is None else np.asarray(raw(pos_weight), dtype=xd.dtype)
    try:
        lw = 1.0 + (p - 1.0) * t  # the weight of the log term
    except ValueError:
        raise ShapeError(
            f"binary_cross_entropy_with_logits: pos_weight of shape {fmt_shape(p.shape)} does not broadcast "
            f"with the input of shape {fmt_shape(xd.shape)} (one weight per class on the last axis)"
        ) from None
    softplus_neg = np.maximum(-xd, 0) + np.log1p(np.exp(-np.abs(xd)))  # log(1 + e^-x), never overflowing
    loss = (1.0 - t) * xd + lw * softplus_neg
    if isinstance(target, Value) and target.requires_grad:
        out = make_op(loss, (x, target), "bce_with_logits", _bce_pos_weight_backward, (None, p))
    else:
        out = make_op(loss, (x,), "bce_with_logits", _bce_pos_weight_backward, (t, p))
    if weight is not None:
        w = np.asarray(raw(weight))
        if not _broadcasts_to(w.shape, out.shape):
            raise ShapeError(
                f"binary_cross_entropy_with_logits: weight of shape {fmt_shape(w.shape)} does not broadcast to "
                f"the input's shape {fmt_shape(out.shape)}"
            )
        out = out * w
    return _reduce(out, reduction)


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _bce_pos_weight_backward(g, out, ctx, x, target=None):
    # loss = (1 - t) x + w softplus(-x), w = 1 + (p - 1) t:
    # d/dx = (1 - t) - w sigmoid(-x) = (1 - t) - w (1 - sigmoid(x));  d/dt = -x + (p - 1) softplus(-x)
    t, p = ctx
    tt = t if target is None else target
    w = (tt * (p - 1.0)) + 1.0
    gx = g * ((1.0 - tt) - w * (1.0 - _sigmoid_of(x)))
    if target is None:
        return (gx,)
    softplus_neg = (-x).relu() + exp(-abs(x)).log1p() if isinstance(x, Value) else (
        np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))
    return gx, g * (-x + softplus_neg * (p - 1.0))


def l1_loss(input: Operand, target: Operand, reduction: str = "mean") -> Value:
    """Mean absolute error |input - target| (gradient 0 where they are equal, as PyTorch's)."""
    _check_reduction(reduction, "l1_loss")
    x = _value(input, "l1_loss")
    _same_shape("l1_loss", x, target)
    return _reduce((x - target).abs(), reduction)


def smooth_l1_loss(input: Operand, target: Operand, reduction: str = "mean", beta: float = 1.0) -> Value:
    """0.5 d**2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target); beta = 0 is l1_loss."""
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ArgumentError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    x = _value(input, "smooth_l1_loss")
    _same_shape("smooth_l1_loss", x, target)
    d = x - target
    if beta == 0:
        return _reduce(d.abs(), reduction)
    small = np.abs(np.asarray(raw(d))) < beta
    return _reduce(where(small, d * d * (0.5 / beta), d.abs() - 0.5 * beta), reduction)


def huber_loss(input: Operand, target: Operand, reduction: str = "mean", delta: float = 1.0) -> Value:
    """0.5 d**2 where |d| <= delta, delta (|d| - 0.5 delta) elsewhere: smooth_l1_loss(beta=delta) times delta."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ArgumentError(f"huber_loss: delta must be positive, got {delta}")
    x = _value(input, "huber_loss")
    _same_shape("huber_loss", x, target)
    d = x - target
    small = np.abs(np.asarray(raw(d))) <= delta
    return _reduce(where(small, d * d * 0.5, (d.abs() - 0.5 * delta) * delta), reduction)


def kl_div(input: Operand, target: Operand, reduction: str = "mean", log_target: bool = False) -> Value:
    """KL divergence sum t (log t - input) for log-probabilities ``input``, as PyTorch's ``kl_div``.

    ``target`` holds probabilities (0 log 0 = 0), or log-probabilities with ``log_target=True``.
    ``reduction="batchmean"`` divides the sum by the batch size, which is the true KL divergence;
    ``"mean"`` divides by the number of elements, as PyTorch does.
    """
    if reduction not in (*_REDUCTIONS, "batchmean"):
        raise ArgumentError(f"kl_div: reduction must be one of {(*_REDUCTIONS, 'batchmean')}, got {reduction!r}")
    x = _value(input, "kl_div")
    _same_shape("kl_div", x, target)
    if log_target:
        tv = target if isinstance(target, Value) else np.asarray(raw(target))
        loss = exp(tv) * (tv - x)
    elif isinstance(target, Value) and target.requires_grad:
        loss = where(raw(target) > 0, target * target.log(), 0.0) - target * x
    else:
        t = np.asarray(raw(target), dtype=np.result_type(x.dtype, np.float32))
        with np.errstate(divide="ignore", invalid="ignore"):
            t_log_t = np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0)), 0.0)
        loss = (x * t - t_log_t) * -1.0
    if reduction == "batchmean":
        if not x.shape:
            raise ShapeError("kl_div: reduction='batchmean' needs a batch axis, got a 0-d input")
        return loss.sum() * (1.0 / x.shape[0])
    return _reduce(loss, reduction)

