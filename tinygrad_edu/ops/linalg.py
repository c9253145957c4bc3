"""Products: ``einsum`` (any valid subscripts), ``outer`` and ``tensordot``.

``einsum`` is the primitive: its gradient with respect to each operand is another einsum, of the
output's gradient and the other operands, whose output subscripts are that operand's (the rule
swaps them). Two cases need more than the swap, and both stay einsums of constants:

- a letter repeated within one operand (``"ii->i"``, a diagonal; ``"ii->"``, a trace): the
  gradient lands on the diagonal, so each extra occurrence gets a new letter tied to the first by
  an identity matrix;
- a letter only that operand has, summed away (``"ij->i"``): a vector of ones brings it back.

``...`` is written out as letters first, so the rule never sees it. ``outer`` and ``tensordot``
are derived (from a reshape and ``*``, and from ``einsum``): no rules of their own.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ArgumentError, ShapeError, fmt_shape
from ..node import Node, Operand, lift, make_op, shows

if TYPE_CHECKING:
    from ..engine import Value

_LETTERS = string.ascii_letters  # np.einsum's sublist labels are 0..51: a-z then A-Z


def _parse(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[list[list[int]], list[int], dict[int, int]]:
    """Subscripts as label lists per operand and for the output (``...`` written out), and each label's size."""
    spec = subscripts.replace(" ", "")
    def bad(why: str) -> ShapeError:
        shown = ", ".join(fmt_shape(s) for s in shapes)
        return ShapeError(f"einsum: subscripts {subscripts!r} do not fit operands of shapes {shown}: {why}")

    if "->" in spec:
        lhs, rhs = spec.split("->", 1)
        if "->" in rhs:
            raise bad("'->' appears twice")
    else:
        lhs, rhs = spec, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise bad(f"{len(terms)} operand subscripts for {len(shapes)} operands")
    for t in terms + ([rhs] if rhs is not None else []):
        rest = t.replace("...", "", 1)
        if any(c not in _LETTERS for c in rest):
            raise bad(f"{t!r} holds characters other than letters and one '...'")
    # the ellipsis dims of every operand, right-aligned and broadcast together
    ell: list[tuple[int, ...]] = []
    for t, shape in zip(terms, shapes):
        n_letters = len(t.replace("...", ""))
        if "..." not in t:
            if n_letters != len(shape):
                raise bad(f"{t!r} names {n_letters} axes for an operand with {len(shape)}")
            ell.append(())
        else:
            if n_letters > len(shape):
                raise bad(f"{t!r} names {n_letters} axes for an operand with {len(shape)}")
            start = t.index("...")
            ell.append(shape[start : start + len(shape) - n_letters])
    try:
        ell_shape = np.broadcast_shapes(*ell) if ell else ()
    except ValueError:
        raise bad("the '...' axes cannot be broadcast together") from None
    used = {c for t in terms for c in t if c != "."}
    spare = [i for i in range(len(_LETTERS)) if _LETTERS[i] not in used]
    if len(spare) < len(ell_shape):
        raise bad("too many axes: einsum has 52 labels")
    ell_labels = spare[: len(ell_shape)]
    spare = spare[len(ell_shape) :]
    sizes: dict[int, int] = {}
    labels: list[list[int]] = []
    for t, shape, e in zip(terms, shapes, ell):
        out: list[int] = []
        pos = 0
        for part_i, part in enumerate(t.split("...")):
            if part_i == 1:  # the ellipsis: its axes, aligned to the right of the broadcast ones
                for k, n in enumerate(e):
                    lab = ell_labels[len(ell_shape) - len(e) + k]
                    if n == 1 and ell_shape[len(ell_shape) - len(e) + k] != 1:
                        if not spare:
                            raise bad("too many axes: einsum has 52 labels")
                        lab = spare.pop(0)  # a broadcast axis of size 1: its own label, summed away
                    out.append(lab)
                    sizes[lab] = n
                    pos += 1
            for c in part:
                lab = _LETTERS.index(c)
                n = shape[pos]
                if sizes.setdefault(lab, n) != n:
                    raise bad(f"letter {c!r} has size {sizes[lab]} in one place and {n} in another")
                out.append(lab)
                pos += 1
        labels.append(out)
    for lab, n in zip(ell_labels, ell_shape):
        sizes.setdefault(lab, n)
    if rhs is None:  # implicit output: the '...' axes, then the letters used once, alphabetically
        counts = {c: lhs.count(c) for c in used}
        out_labels = ell_labels + [_LETTERS.index(c) for c in sorted(used) if counts[c] == 1]
    else:
        if "..." in rhs:
            if not any("..." in t for t in terms) and ell_shape:
                raise bad("'...' in the output but in no operand")
        elif ell_shape:
            raise bad("the operands' '...' axes must appear in the output as '...'")
        before, _, after = rhs.partition("...")
        for c in before + after:
            if c not in used:
                raise bad(f"output letter {c!r} is in no operand")
        if len(set(before + after)) != len(before + after):
            raise bad("a letter appears twice in the output")
        out_labels = [_LETTERS.index(c) for c in before]
        out_labels += ell_labels if "..." in rhs else []
        out_labels += [_LETTERS.index(c) for c in after]
    return labels, out_labels, sizes


def _contract(operands: Sequence[Any], labels: Sequence[Sequence[int]], out: Sequence[int]) -> Any:
    """The einsum of arrays (a NumPy call) or of Values (a recorded op): what the rule calls in both modes."""
    if any(isinstance(x, Node) for x in operands):
        cls = next(x for x in operands if isinstance(x, Node))._result_class
        nodes = tuple(lift(x, "einsum", cls) for x in operands)
        data = _np_einsum([n._data for n in nodes], labels, out)
        needs = tuple(n.requires_grad for n in nodes)
        sizes = {lab: n for node, labs in zip(nodes, labels) for lab, n in zip(labs, np.shape(node._data))}
        return make_op(data, nodes, "einsum", _einsum_backward, (_spec(labels, out), labels, out, sizes, needs))
    return _np_einsum(operands, labels, out)


def _np_einsum(arrays: Sequence[Any], labels: Sequence[Sequence[int]], out: Sequence[int]) -> Any:
    if len(arrays) == 2:
        product = _as_matmul(np.asarray(arrays[0]), np.asarray(arrays[1]), labels[0], labels[1], out)
        if product is not None:
            return product
    args: list[Any] = []
    for a, labs in zip(arrays, labels):
        args += [np.asarray(a), list(labs)]
    # optimize pairs up the operands (and hands matrix products to BLAS); for one operand it only costs time
    return np.einsum(*args, list(out), optimize=len(arrays) > 1)


def _as_matmul(a: np.ndarray, b: np.ndarray, la: Sequence[int], lb: Sequence[int], out: Sequence[int]) -> Any:
    """A two-operand einsum as one batched matrix product (BLAS), or None when it is not one.

    np.einsum copies a transposed operand before its product, which makes the gradients' einsums
    (``"bik,bjk->bij"``) ~3x slower than ``@``: labels in both operands and the output are the batch,
    in both but not the output are contracted, in one and the output are that side's rows or columns.
    """
    sa, sb, so = set(la), set(lb), set(out)
    if len(sa) != len(la) or len(sb) != len(lb) or not (sa & sb - so) or (sa | sb) - so - (sa & sb):
        return None  # a repeated label, no contraction, or a label summed in one operand alone
    batch = [x for x in out if x in sa and x in sb]
    left = [x for x in out if x in sa and x not in sb]
    right = [x for x in out if x in sb and x not in sa]
    summed = [x for x in la if x in sb and x not in so]
    size = dict(zip(la, a.shape)) | dict(zip(lb, b.shape))
    if any(dict(zip(la, a.shape))[x] != dict(zip(lb, b.shape))[x] for x in sa & sb):
        return None
    n = [int(np.prod([size[x] for x in group])) for group in (batch, left, summed, right)]
    a2 = a.transpose([la.index(x) for x in batch + left + summed]).reshape(n[0], n[1], n[2])
    b2 = b.transpose([lb.index(x) for x in batch + summed + right]).reshape(n[0], n[2], n[3])
    product = (a2 @ b2).reshape([size[x] for x in batch + left + right])
    order = batch + left + right
    return product.transpose([order.index(x) for x in out])


def _spec(labels: Sequence[Sequence[int]], out: Sequence[int]) -> str:
    return ",".join("".join(_LETTERS[i] for i in labs) for labs in labels) + "->" + "".join(_LETTERS[i] for i in out)


def einsum(subscripts: str, *operands: Operand) -> Value:
    """Einstein summation, as ``torch.einsum`` / ``numpy.einsum``: ``einsum("bij,bjk->bik", a, b)``.

    Any valid subscripts: repeated letters (``"ii->i"`` diagonals, ``"ii->"`` traces), ``...``
    broadcasting, implicit output (``"ij,jk"``). Operands may also be given as one list.

    >>> import numpy as np
    >>> einsum("ii->", np.eye(3)).data
    array(3.)
    """
    if not isinstance(subscripts, str):
        raise ArgumentError(f"einsum: the first argument must be the subscripts string, got {subscripts!r:.40}")
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    if not operands:
        raise ArgumentError("einsum: needs at least one operand")
    from ..engine import Value  # (imported here: engine imports this module)

    cls = next((x._result_class for x in operands if isinstance(x, Node)), Value)
    nodes = [lift(x, "einsum", cls) for x in operands]
    labels, out, _ = _parse(subscripts, [n.shape for n in nodes])
    return _contract(nodes, labels, out)


@shows("subscripts")
def _einsum_backward(g, out, ctx, *operands):
    # d out/d operand k = einsum(g, the other operands -> operand k's subscripts)
    _, labels, out_labels, sizes, needs = ctx
    grads: list[Any] = []
    for k, labs in enumerate(labels):
        if not needs[k]:
            grads.append(None)
            continue
        ins: list[Any] = [g] + [x for i, x in enumerate(operands) if i != k]
        in_labels: list[list[int]] = [list(out_labels)] + [list(labels[i]) for i in range(len(labels)) if i != k]
        have = {lab for lab_list in in_labels for lab in lab_list}
        taken = set(sizes) | have | set(labs)
        free = (i for i in range(len(_LETTERS)) if i not in taken)
        target: list[int] = []
        for lab in labs:
            if lab in target:  # a repeated letter: a new one, tied to it by the identity (a diagonal)
                new = next(free)
                ins.append(np.eye(sizes[lab]))
                in_labels.append([lab, new])
                target.append(new)
            else:
                target.append(lab)
        for lab in dict.fromkeys(labs):
            if lab not in have:  # summed away in operand k alone: ones bring the axis back
                ins.append(np.ones(sizes[lab]))
                in_labels.append([lab])
                have.add(lab)
        grads.append(_contract(ins, in_labels, target))
    return tuple(grads)


def tensordot(a: Operand, b: Operand, dims: Any = 2) -> Value:
    """Sum of products over ``dims`` axes, as ``torch.tensordot``: the last ``dims`` axes of a with the first
    of b, or the axes given as a pair of lists ``([1, 0], [0, 1])``. Derived from ``einsum``."""
    from ..engine import Value  # (imported here: engine imports this module)

    cls = a._result_class if isinstance(a, Node) else b._result_class if isinstance(b, Node) else Value
    x, y = lift(a, "tensordot", cls), lift(b, "tensordot", cls)
    nx, ny = x.ndim, y.ndim
    if isinstance(dims, int | np.integer) and not isinstance(dims, bool):
        if not 0 <= dims <= min(nx, ny):
            raise ShapeError(
                f"tensordot: dims={dims} must be between 0 and the smaller number of axes of shapes "
                f"{fmt_shape(x.shape)} and {fmt_shape(y.shape)}"
            )
        ax, bx = list(range(nx - dims, nx)), list(range(dims))
    elif isinstance(dims, Sequence) and len(dims) == 2:
        ax = [dims[0]] if isinstance(dims[0], int) else list(dims[0])
        bx = [dims[1]] if isinstance(dims[1], int) else list(dims[1])
    else:
        raise ArgumentError(f"tensordot: dims must be an int or a pair of axis lists, got {dims!r}")
    if len(ax) != len(bx):
        raise ShapeError(f"tensordot: {len(ax)} axes of a against {len(bx)} axes of b; the numbers must match")
    for axes, n, what in ((ax, nx, "a"), (bx, ny, "b")):
        if any(not -n <= i < n for i in axes) or len({i % n for i in axes}) != len(axes):
            raise ShapeError(f"tensordot: axes {axes} are not distinct axes of {what} with {n} axes")
    ax, bx = [i % nx for i in ax], [i % ny for i in bx]
    for i, j in zip(ax, bx):
        if x.shape[i] != y.shape[j]:
            raise ShapeError(
                f"tensordot: axis {i} of a (shape {fmt_shape(x.shape)}) has size {x.shape[i]} but axis {j} of b "
                f"(shape {fmt_shape(y.shape)}) has size {y.shape[j]}; contracted axes must match"
            )
    if nx + ny - len(ax) > len(_LETTERS):
        raise ShapeError("tensordot: too many axes for einsum's 52 labels")
    la = list(range(nx))
    lb = [la[ax[bx.index(j)]] if j in bx else nx + j for j in range(ny)]
    out = [i for i in la if i not in ax] + [nx + j for j in range(ny) if j not in bx]
    return _contract([x, y], [la, lb], out)


def outer(a: Operand, b: Operand) -> Value:
    """The outer product of two 1-d Values, ``out[i, j] = a[i] * b[j]``; derived (a column times a row)."""
    from ..engine import Value  # (imported here: engine imports this module)

    cls = a._result_class if isinstance(a, Node) else b._result_class if isinstance(b, Node) else Value
    x, y = lift(a, "outer", cls), lift(b, "outer", cls)
    if x.ndim != 1 or y.ndim != 1:
        raise ShapeError(f"outer: needs two 1-d Values, got shapes {fmt_shape(x.shape)} and {fmt_shape(y.shape)}")
    return x.reshape(-1, 1) * y.reshape(1, -1)  # type: ignore[attr-defined]


class LinalgOps:
    """The products PyTorch has as methods, mixed into ``Value``."""

    __slots__ = ()

    def outer(self: Value, other: Operand) -> Value:
        """The outer product with another 1-d Value (``torch.outer``)."""
        return outer(self, other)
