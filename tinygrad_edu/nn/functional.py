"""Activations, layers and losses as functions, PyTorch's names and definitions (``torch.nn.functional``).

The losses and ``one_hot`` live in ``nn/losses.py`` and are imported here, so
that ``F.cross_entropy`` and ``F.relu`` sit side by side as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..engine import Operand, Value, make_op, raw
from ..errors import ShapeError, fmt_shape
from ..ops.conv import (  # noqa: F401 (re-exported: convolutions and poolings, issue 13)
    adaptive_avg_pool2d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose2d,
    max_pool2d,
)
from ..ops.shape import pad as _pad
from .layer_functions import (  # noqa: F401 (re-exported: issue 13's layers as functions)
    batch_norm,
    dropout,
    embedding,
    group_norm,
    interpolate,
    layer_norm,
    scaled_dot_product_attention,
)
from .losses import (  # noqa: F401 (re-exported: nn.functional is where users find them)
    _value,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    one_hot,
    smooth_l1_loss,
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


# ---- layers --------------------------------------------------------------------
def linear(x: Operand, weight: Value, bias: Value | None = None) -> Value:
    """y = x W^T + b, weight of shape (out, in) as in PyTorch; one fused op.

    Fused because the composed form x @ W.T + b computes dW as a transposed
    view (x^T g)^T, and an optimizer then updates W through strided memory;
    here dW = g^T x comes out contiguous, and the bias needs no extra node.
    """
    x = _value(x, "linear")
    xd, w = raw(x), raw(weight)  # the stored arrays (.data hands out views)
    if xd.__class__ is float or xd.ndim == 0 or xd.shape[-1] != w.shape[1]:
        raise ShapeError(
            f"linear: input of shape {fmt_shape(x.shape)} does not fit weight of shape {fmt_shape(w.shape)}: "
            f"the input's last axis must have {w.shape[1]} features"
        )
    out = xd @ w.T
    if bias is None:
        return make_op(out, (x, weight), "linear", _linear_backward, x.requires_grad)
    out += raw(bias)
    return make_op(out, (x, weight, bias), "linear", _linear_backward, x.requires_grad)


def _linear_backward(g, out, need_x, x, w, b=None):
    # y = x W^T + b:  dy/dx = W,  dy/dW = g^T x,  dy/db = sum of g over the batch
    g2, x2 = (g, x) if g.ndim == 2 else (g.reshape((-1, g.shape[-1])), x.reshape((-1, x.shape[-1])))  # batch axes
    gx = g @ w if need_x else None
    gw = g2.T @ x2
    if b is None:
        return gx, gw
    return gx, gw, g2.sum(axis=0)


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


