"""Convolution and pooling: conv2d, conv1d, conv_transpose2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d
(functions, as in PyTorch's ``nn.functional``).

The idea is im2col. ``im2col`` lays every kh x kw window of the (padded) input side by side,
``cols[n, c, y, x, i, j] = x_padded[n, c, y*stride + i*dilation, x*stride + j*dilation]`` (a strided
view of the input, then one copy; no loop); a convolution is then ONE matrix product of those
windows with the weights (an ``einsum``), and a pooling one reduction over the window axes.

``im2col`` is the primitive here (with max pooling, see below). It moves numbers without changing
them, so its rule moves the gradient back: ``col2im`` adds each window's gradient into the place
the window was read from (windows overlap, so contributions add up). ``col2im`` is linear too, and
its own rule is ``im2col``: the two are each other's adjoints, so second-order gradients need
nothing more. Everything else is derived:
conv2d's gradients are einsum's (d/dW = cols^T @ g, d/dcols = g @ W, then col2im), average pooling's
those of ``sum``. Max pooling has a rule of its own, for speed: finding each window's winner already
gives the maximum, and the rule sends the window's gradient to that element (the first maximal one,
PyTorch's convention) then col2im; derived (``where`` on the windows, then a sum) it made the LeNet step
~15% slower. Measured, the derived conv2d is within a few percent of a hand-written NumPy im2col
convolution (benchmarks ``lenet_step``), so conv2d needs no fused rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import ArgumentError, ShapeError, fmt_shape
from ..node import Node, lift, make_op, shows
from .index import where
from .linalg import einsum

if TYPE_CHECKING:
    from ..engine import Value

Pads = tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))


def _pair(v: Any, name: str, op: str, low: int = 1) -> tuple[int, int]:
    """An int or a pair of ints (each >= low) as a pair."""
    pair = (v, v) if isinstance(v, int | np.integer) else tuple(v) if isinstance(v, Sequence) else None
    if pair is None or len(pair) != 2 or not all(isinstance(n, int | np.integer) and not isinstance(n, bool)
                                                 and n >= low for n in pair):
        raise ArgumentError(f"{op}: {name} must be an int or a pair of ints >= {low}, got {v!r}")
    return int(pair[0]), int(pair[1])


def _as_node(x: Any, op: str) -> Value:
    from ..engine import Value  # (imported here: engine imports the op families)

    return lift(x, op, x._result_class if isinstance(x, Node) else Value)  # type: ignore[return-value]


def _out_size(n: int, k: int, s: int, pads: tuple[int, int], d: int) -> int:
    return (n + pads[0] + pads[1] - d * (k - 1) - 1) // s + 1


# --------------------------------------------------------------------------
# The primitive: windows side by side (im2col), and its adjoint (col2im)
# --------------------------------------------------------------------------
def _im2col_data(x: np.ndarray, k: tuple[int, int], s: tuple[int, int], p: Pads, d: tuple[int, int],
                 value: float = 0.0, rows: bool = True) -> np.ndarray:
    """(N, C, H, W) -> (N, C, Ho, Wo, kh, kw): the windows, copied once in the order of the matrix product."""
    if any(p[0] + p[1]):
        x = np.pad(x, ((0, 0), (0, 0), p[0], p[1]), constant_values=value)
    span = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)  # a dilated window's extent
    windows = sliding_window_view(x, span, axis=(2, 3))  # every window at stride 1
    windows = windows[:, :, :: s[0], :: s[1], :: d[0], :: d[1]]
    if not rows:  # pooling reads the windows where they are: a read-only view, no copy
        return windows
    # one copy, stored as (N, Ho, Wo, C, kh, kw): the rows of im2col's matrix, so that both the forward
    # product and the weight's gradient (cols^T @ g) read it as a matrix without another copy
    laid = np.ascontiguousarray(windows.transpose(0, 2, 3, 1, 4, 5))
    return laid.transpose(0, 3, 1, 2, 4, 5)


def _col2im_data(cols: np.ndarray, shape: tuple[int, ...], k: tuple[int, int], s: tuple[int, int], p: Pads,
                 d: tuple[int, int]) -> np.ndarray:
    """The adjoint of ``_im2col_data``: each window's numbers added back where they were read from."""
    n, c, h, w = shape
    ho, wo = cols.shape[2], cols.shape[3]
    out = np.zeros((n, c, h + p[0][0] + p[0][1], w + p[1][0] + p[1][1]), dtype=cols.dtype)
    if s == k and d == (1, 1):  # windows side by side, not overlapping (pooling): each number goes back once
        out[:, :, : ho * k[0], : wo * k[1]] = cols.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, ho * k[0], wo * k[1])
        return out[:, :, p[0][0] : p[0][0] + h, p[1][0] : p[1][0] + w]
    for i in range(k[0]):  # one strided slice per kernel position (kh * kw of them), not per window
        for j in range(k[1]):
            y, x = i * d[0], j * d[1]
            out[:, :, y : y + s[0] * (ho - 1) + 1 : s[0], x : x + s[1] * (wo - 1) + 1 : s[1]] += cols[:, :, :, :, i, j]
    return out[:, :, p[0][0] : p[0][0] + h, p[1][0] : p[1][0] + w]


def im2col(x: Any, kernel_size: tuple[int, int], stride: tuple[int, int], padding: Pads,
           dilation: tuple[int, int], value: float = 0.0, rows: bool = True) -> Any:
    """Windows of an (N, C, H, W) input as (N, C, Ho, Wo, kh, kw); on a Value, a recorded op (rule: col2im).

    ``value`` fills the padding (0 for convolutions, -inf for max pooling); ``rows=False`` gives a view
    of the input instead of a copy laid out as the matrix product's rows.
    """
    geom = (kernel_size, stride, padding, dilation)
    if not isinstance(x, Node):
        return _im2col_data(x, *geom, value, rows)
    return make_op(_im2col_data(x._data, *geom, value, rows), (x,), "im2col", _im2col_backward, (*geom, x.shape))


def col2im(cols: Any, shape: tuple[int, ...], kernel_size: tuple[int, int], stride: tuple[int, int],
           padding: Pads, dilation: tuple[int, int]) -> Any:
    """The adjoint of ``im2col``: windows summed back into an input of ``shape``; on a Value, a recorded op."""
    geom = (kernel_size, stride, padding, dilation)
    if not isinstance(cols, Node):
        return _col2im_data(cols, shape, *geom)
    return make_op(_col2im_data(cols._data, shape, *geom), (cols,), "col2im", _col2im_backward, (*geom, shape))


@shows("kernel_size", "stride", "padding", "dilation")
def _im2col_backward(g, out, ctx, x):
    # each input number was copied into every window that covers it: their gradients add up (col2im)
    k, s, p, d, shape = ctx
    return (col2im(g, shape, k, s, p, d),)


@shows("kernel_size", "stride", "padding", "dilation")
def _col2im_backward(g, out, ctx, cols):
    # col2im sums windows into place, so each window's gradient is read back out of place (im2col)
    k, s, p, d, shape = ctx
    return (im2col(g, k, s, p, d),)


# --------------------------------------------------------------------------
# Convolution: windows, then one matrix product
# --------------------------------------------------------------------------
def _conv_padding(padding: Any, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int], op: str) -> Pads:
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            if s != (1, 1):
                raise ArgumentError(f"{op}: padding='same' needs stride 1, got stride {s}")
            total = [d[i] * (k[i] - 1) for i in range(2)]  # PyTorch puts the odd one at the end
            return ((total[0] // 2, total[0] - total[0] // 2), (total[1] // 2, total[1] - total[1] // 2))
        raise ArgumentError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    ph, pw = _pair(padding, "padding", op, low=0)
    return ((ph, ph), (pw, pw))


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1) -> Value:
    """2-D cross-correlation of (N, C, H, W) with weights (O, C/groups, kh, kw), like ``torch.nn.functional.conv2d``.

    ``padding`` is an int, a pair, "valid" or "same". Derived: im2col, then one einsum over the
    channel and window axes, so the gradients are einsum's and im2col's (see the module docstring).

    >>> import numpy as np
    >>> conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))).data
    array([[[[4., 4.],
             [4., 4.]]]])
    """
    x, w = _as_node(input, "conv2d"), _as_node(weight, "conv2d")
    if w.ndim != 4:
        raise ShapeError(f"conv2d: weight must have 4 axes (out, in/groups, kh, kw), got shape {fmt_shape(w.shape)}")
    unbatched = x.ndim == 3
    if unbatched:
        x = x.reshape((1, *x.shape))
    if x.ndim != 4:
        raise ShapeError(f"conv2d: input must have shape (N, C, H, W) or (C, H, W), got {fmt_shape(x.shape)}")
    s, d = _pair(stride, "stride", "conv2d"), _pair(dilation, "dilation", "conv2d")
    k = (w.shape[2], w.shape[3])
    p = _conv_padding(padding, k, s, d, "conv2d")
    n, c, h, wd = x.shape
    o = w.shape[0]
    if not isinstance(groups, int | np.integer) or groups < 1 or c % groups or o % groups:
        raise ArgumentError(f"conv2d: groups={groups!r} must be a positive int dividing the input channels ({c}) "
                            f"and the output channels ({o})")
    if w.shape[1] * groups != c:
        raise ShapeError(f"conv2d: weight of shape {fmt_shape(w.shape)} expects {w.shape[1] * groups} input "
                         f"channels (groups={groups}), got input of shape {fmt_shape(x.shape)}")
    ho, wo = _out_size(h, k[0], s[0], p[0], d[0]), _out_size(wd, k[1], s[1], p[1], d[1])
    if ho < 1 or wo < 1:
        raise ShapeError(f"conv2d: the (dilated) kernel {k} is larger than the padded input of shape "
                         f"{fmt_shape(x.shape)}")
    cols = im2col(x, k, s, p, d)  # (N, C, Ho, Wo, kh, kw)
    if groups == 1:
        out = einsum("nchwij,ocij->nohw", cols, w)  # the one matrix product: (N Ho Wo, C kh kw) @ (C kh kw, O)
    else:
        cols = cols.reshape(n, groups, c // groups, ho, wo, k[0], k[1])
        wg = w.reshape(groups, o // groups, c // groups, k[0], k[1])
        out = einsum("ngchwij,gocij->ngohw", cols, wg).reshape(n, o, ho, wo)  # one product per group
    if bias is not None:
        out = out + _as_node(bias, "conv2d").reshape(1, o, 1, 1)
    return out.reshape(out.shape[1:]) if unbatched else out


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1) -> Value:
    """1-D cross-correlation of (N, C, L) with weights (O, C/groups, k): conv2d with a unit height axis."""
    x, w = _as_node(input, "conv1d"), _as_node(weight, "conv1d")
    if w.ndim != 3 or x.ndim not in (2, 3):
        raise ShapeError(f"conv1d: expected input (N, C, L) or (C, L) and weight (O, C/groups, k), got "
                         f"{fmt_shape(x.shape)} and {fmt_shape(w.shape)}")
    one = lambda v, name: (1, v) if isinstance(v, int | np.integer) else (1, *_one(v, name))  # noqa: E731
    pad = padding if isinstance(padding, str) else (0, *_one(padding, "padding"))
    xs = x.reshape(*x.shape[:-1], 1, x.shape[-1])
    out = conv2d(xs, w.reshape(w.shape[0], w.shape[1], 1, w.shape[2]), bias, one(stride, "stride"), pad,
                 one(dilation, "dilation"), groups)
    return out.reshape(*out.shape[:-2], out.shape[-1])


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Value:
    """The adjoint of conv2d (a "deconvolution"): (N, C, H, W) with weights (C, O/groups, kh, kw), like PyTorch's.

    Derived: each input pixel times the kernel gives a window of the output (one einsum), and col2im adds
    the windows into place: conv2d's input gradient, run forward. Output size per axis:
    ``(H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.
    """
    x, w = _as_node(input, "conv_transpose2d"), _as_node(weight, "conv_transpose2d")
    unbatched = x.ndim == 3
    if unbatched:
        x = x.reshape((1, *x.shape))
    if x.ndim != 4 or w.ndim != 4:
        raise ShapeError(f"conv_transpose2d: expected input (N, C, H, W) and weight (C, O/groups, kh, kw), got "
                         f"{fmt_shape(x.shape)} and {fmt_shape(w.shape)}")
    s, d = _pair(stride, "stride", "conv_transpose2d"), _pair(dilation, "dilation", "conv_transpose2d")
    p, op = _pair(padding, "padding", "conv_transpose2d", 0), _pair(output_padding, "output_padding",
                                                                   "conv_transpose2d", 0)
    n, c, h, wd = x.shape
    if not isinstance(groups, int | np.integer) or groups < 1 or c % groups or w.shape[0] != c:
        raise ShapeError(f"conv_transpose2d: weight of shape {fmt_shape(w.shape)} does not fit input of shape "
                         f"{fmt_shape(x.shape)} with groups={groups!r} (weight's first axis = input channels)")
    if op[0] >= max(s[0], d[0]) or op[1] >= max(s[1], d[1]):
        raise ArgumentError(f"conv_transpose2d: output_padding {op} must be smaller than stride {s} or dilation {d}")
    k = (w.shape[2], w.shape[3])
    o = w.shape[1] * groups
    out_shape = (n, o, *[(m - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 for i, m in enumerate((h, wd))])
    if out_shape[2] < 1 or out_shape[3] < 1:
        raise ShapeError(f"conv_transpose2d: padding {p} leaves no output for input of shape {fmt_shape(x.shape)}")
    xg = x.reshape(n, groups, c // groups, h, wd)
    wg = w.reshape(groups, c // groups, o // groups, k[0], k[1])
    cols = einsum("ngchw,gcoij->ngohwij", xg, wg).reshape(n, o, h, wd, k[0], k[1])  # each pixel's window
    out = col2im(cols, out_shape, k, s, ((p[0], p[0]), (p[1], p[1])), d)
    if bias is not None:
        out = out + _as_node(bias, "conv_transpose2d").reshape(1, o, 1, 1)
    return out.reshape(out.shape[1:]) if unbatched else out


def _one(v: Any, name: str) -> tuple[int]:
    if isinstance(v, int | np.integer):
        return (int(v),)
    if isinstance(v, Sequence) and len(v) == 1:
        return (v[0],)
    raise ArgumentError(f"conv1d: {name} must be an int or a 1-tuple, got {v!r}")


# --------------------------------------------------------------------------
# Pooling: windows, then one reduction over the window axes
# --------------------------------------------------------------------------
def _pool_args(x: Value, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool,
               op: str) -> tuple:
    """Kernel, stride, ((top, bottom), (left, right)) padding and dilation of a pooling, checked.

    With ``ceil_mode`` the output size rounds up instead of down (PyTorch's rule), as long as the last
    window starts inside the input or its left padding: the windows that run past the bottom or right
    edge read extra padding there (the bottom/right pads grow by that overhang).
    """
    if x.ndim not in (3, 4):
        raise ShapeError(f"{op}: input must have shape (N, C, H, W) or (C, H, W), got {fmt_shape(x.shape)}")
    if not isinstance(ceil_mode, bool | np.bool_):
        raise ArgumentError(f"{op}: ceil_mode must be True or False, got {ceil_mode!r}")
    k = _pair(kernel_size, "kernel_size", op)
    s = k if stride is None or (isinstance(stride, Sequence) and not stride) else _pair(stride, "stride", op)
    ph, pw = _pair(padding, "padding", op, low=0)
    if 2 * ph > k[0] or 2 * pw > k[1]:
        raise ArgumentError(f"{op}: padding {padding} must be at most half the kernel size {k}")
    d = _pair(dilation, "dilation", op)
    h, w = x.shape[-2:]
    pads = []
    for n, kk, ss, pp, dd in ((h, k[0], s[0], ph, d[0]), (w, k[1], s[1], pw, d[1])):
        span = dd * (kk - 1) + 1
        if n + 2 * pp < span:
            raise ShapeError(f"{op}: kernel {k} is larger than the padded input of shape {fmt_shape(x.shape)}")
        out = _pool_out_size(n, span, ss, pp, ceil_mode)
        pads.append((pp, max(pp, (out - 1) * ss + span - n - pp)))  # bottom/right: what the last window needs
    return k, s, (pads[0], pads[1]), d


def _pool_out_size(n: int, span: int, s: int, p: int, ceil_mode: bool) -> int:
    """Windows of extent ``span`` at stride ``s`` over n numbers padded by p each side (PyTorch's formula)."""
    room = n + 2 * p - span  # how far the window can move
    if not ceil_mode:
        return room // s + 1
    out = -(-room // s) + 1  # rounded up: a last window that runs past the end...
    if (out - 1) * s >= n + p:  # ...must still start inside the input or the left padding
        out -= 1
    return out


def _batched(x: Value) -> Value:
    return x.reshape((1, *x.shape)) if x.ndim == 3 else x


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of each window, like ``torch.nn.functional.max_pool2d`` (padding counts as -inf).

    NOTE: at a tie the whole gradient goes to the FIRST maximal element of the window (row-major),
    as in PyTorch; ``Value.max`` instead shares it among the tied elements. With ``return_indices``
    also the index of that element in the flattened H x W input, as PyTorch gives it. ``ceil_mode``: the
    output size rounds up (a last, partial window, if it starts inside the input or its left padding).
    """
    x = _as_node(input, "max_pool2d")
    k, s, p, d = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    xb = _batched(x)
    win = _im2col_data(xb._data, k, s, p, d, -np.inf, rows=False)  # (N, C, Ho, Wo, kh, kw), a view
    first, best = _first_argmax(win)  # the window position (row-major) of each window's first maximum
    mask = (np.arange(k[0])[:, None] * k[1] + np.arange(k[1])) == first[..., None, None]
    out = make_op(best, (xb,), "max_pool2d", _max_pool_backward, (k, s, p, d, mask, xb.shape))
    if x.ndim == 3:
        out = out.reshape(out.shape[1:])
    if not return_indices:
        return out
    ho, wo = first.shape[2], first.shape[3]
    rows = np.arange(ho)[:, None] * s[0] - p[0][0] + (first // k[1]) * d[0]
    cols = np.arange(wo)[None, :] * s[1] - p[1][0] + (first % k[1]) * d[1]
    idx = (rows * x.shape[-1] + cols).astype(np.int64)
    return out, idx[0] if x.ndim == 3 else idx


def _first_argmax(win: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For windows (..., kh, kw), the row-major position of the first maximum (PyTorch's tie rule), and the maximum.

    The same as ``np.argmax`` over the flattened window, one pass per window position: NumPy's argmax
    over a short axis (a 2x2 window: 4) pays per row and is ~20x slower than this.
    """
    kh, kw = win.shape[-2:]
    best, first = win[..., 0, 0], np.zeros(win.shape[:-2], dtype=np.int64)
    for t in range(1, kh * kw):
        here = win[..., t // kw, t % kw]
        better = here > best  # strictly greater: an equal later element does not take over
        best = np.where(better, here, best)
        first[better] = t
    return first, best


@shows("kernel_size", "stride", "padding", "dilation")
def _max_pool_backward(g, out, ctx, x):
    # each window's gradient goes to its first maximal element (mask), then the windows go back in place
    k, s, p, d, mask, shape = ctx
    if isinstance(g, Node):  # create_graph: the same steps as recorded ops (where, col2im)
        return (col2im(where(mask, g.reshape(*g.shape, 1, 1), 0.0), shape, k, s, p, d),)
    return (_col2im_data(np.where(mask, g[..., None, None], 0.0).astype(g.dtype, copy=False), shape, k, s, p, d),)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Value:
    """The mean of each window, like ``torch.nn.functional.avg_pool2d`` (padding counts as 0 by default).

    The divisor is PyTorch's: kh * kw, or with ``ceil_mode`` a last window's part inside the padded input
    (what runs past the padding is not counted); with ``count_include_pad=False`` only the real numbers.

    >>> avg_pool2d(np.arange(9.0).reshape(1, 1, 3, 3), 2, ceil_mode=True).data
    array([[[[2. , 3.5],
             [6.5, 8. ]]]])
    """
    x = _as_node(input, "avg_pool2d")
    k, s, p, d = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    win = im2col(_batched(x), k, s, p, d, rows=False)
    total = win.sum(axis=(4, 5))
    sym = (p[0][0], p[1][0])  # the padding asked for; ceil_mode's overhang is padded beyond it
    overhang = (p[0][1] - sym[0], p[1][1] - sym[1])
    if divisor_override is not None:
        out = total / float(divisor_override)
    elif not any(overhang) and (count_include_pad or not any(sym)):
        out = total / float(k[0] * k[1])
    else:  # divide by the numbers each window holds: real ones, and the asked-for padding if counted (PyTorch)
        h, w = x.shape[-2:]
        if count_include_pad:  # the padded input counts, the overhang past it does not
            ones, pads = np.ones((1, 1, h + 2 * sym[0], w + 2 * sym[1])), ((0, overhang[0]), (0, overhang[1]))
        else:
            ones, pads = np.ones((1, 1, h, w)), p
        counts = _im2col_data(ones.astype(x.dtype), k, s, pads, d).sum(axis=(4, 5))
        out = total / counts
    return out.reshape(out.shape[1:]) if x.ndim == 3 else out


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Value:
    """Means over an (oh, ow) grid of near-equal bins, like ``torch.nn.functional.adaptive_avg_pool2d``.

    Bin i along an axis of size n covers ``floor(i n / out)`` to ``ceil((i + 1) n / out)`` (PyTorch's bins);
    output 1 is the mean over the axis.
    """
    x = _as_node(input, "adaptive_avg_pool2d")
    if x.ndim not in (3, 4):
        raise ShapeError(f"adaptive_avg_pool2d: input must have shape (N, C, H, W) or (C, H, W), "
                         f"got {fmt_shape(x.shape)}")
    h, w = x.shape[-2:]
    size = output_size if isinstance(output_size, Sequence) else (output_size, output_size)
    if len(size) != 2:
        raise ArgumentError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    oh, ow = _pair((h if size[0] is None else size[0], w if size[1] is None else size[1]), "output_size",
                   "adaptive_avg_pool2d")
    if (oh, ow) == (1, 1):
        return x.mean(axis=(-2, -1), keepdims=True)
    from .index import stack

    def bins(n: int, m: int) -> list[tuple[int, int]]:
        return [(i * n // m, -(-(i + 1) * n // m)) for i in range(m)]

    rows = [stack([x[..., a:b, e:f].mean(axis=(-2, -1)) for e, f in bins(w, ow)], axis=-1) for a, b in bins(h, oh)]
    return stack(rows, axis=-2)
