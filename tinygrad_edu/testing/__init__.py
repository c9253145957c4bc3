"""Gradient checking against central finite differences (PyTorch's gradcheck contract).

``gradcheck(f, *inputs)`` computes the full Jacobian of ``f`` twice — with
backward, one output element at a time, and by central differences in
float64, one input element at a time — and compares every entry. On a
mismatch it raises ``GradcheckError`` naming the input, the output index, the
input index and both values. ``gradgradcheck`` does the same for the
gradient itself, i.e. checks second derivatives.

Hypothesis strategies for testing your own ops are in
``tinygrad_edu.testing.strategies`` (imported separately: Hypothesis is a
development dependency).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..engine import Value
from ..errors import TinygradEduError, fmt_shape
from ..functional_grad import grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "jacobians"]


class GradcheckError(TinygradEduError, AssertionError):
    """Analytic and numerical gradients disagree."""


def _as_inputs(inputs: Sequence[Any]) -> list[Value]:
    out = []
    for x in inputs:
        data = x.data if isinstance(x, Value) else x
        out.append(Value(np.array(data, dtype=np.float64)))
    return out


def _output(f: Callable[..., Any], xs: list[Value]) -> Value:
    y = f(*xs)
    if not isinstance(y, Value):
        raise GradcheckError(f"gradcheck: f must return a Value, got {type(y).__name__}")
    return y


def jacobians(f: Callable[..., Value], *inputs: Any, eps: float = 1e-6) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each input, (analytic, numerical) Jacobians of shape (output size, input size), in float64."""
    xs = _as_inputs(inputs)
    y = _output(f, xs)
    n_out = y.size
    analytic = [np.zeros((n_out, x.size)) for x in xs]
    for k in range(n_out):  # row k: d y_k / d x, by one backward with a one-hot seed
        for x in xs:
            x.zero_grad()
        y = _output(f, xs)
        seed = np.zeros(y.shape)
        seed.reshape(-1)[k] = 1.0
        if y.requires_grad:
            y.backward(seed)
        for i, x in enumerate(xs):
            if x.grad is not None:
                analytic[i][k] = np.asarray(x.grad, dtype=np.float64).reshape(-1)
    numerical = [np.zeros((n_out, x.size)) for x in xs]
    for i, x in enumerate(xs):  # column j: (f(x + eps e_j) - f(x - eps e_j)) / (2 eps)
        flat = x.data.reshape(-1)
        for j in range(x.size):
            old = flat[j]
            flat[j] = old + eps
            plus = np.array(_output(f, xs).data, dtype=np.float64).reshape(-1)  # a copy: outputs may be views
            flat[j] = old - eps
            minus = np.array(_output(f, xs).data, dtype=np.float64).reshape(-1)
            flat[j] = old
            numerical[i][:, j] = (plus - minus) / (2 * eps)
    return list(zip(analytic, numerical))


def gradcheck(
    f: Callable[..., Value],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check d f / d inputs against central finite differences, every element, in float64.

    >>> import numpy as np
    >>> from tinygrad_edu.testing import gradcheck
    >>> gradcheck(lambda x: (x * x).sum(), np.array([1.0, -2.0]))
    True
    """
    xs = _as_inputs(inputs)
    for i, (analytic, numerical) in enumerate(jacobians(f, *xs, eps=eps)):
        bad = ~np.isclose(analytic, numerical, atol=atol, rtol=rtol, equal_nan=True)
        if bad.any():
            k, j = (int(v) for v in np.argwhere(bad)[0])
            shape = xs[i].shape
            in_index = np.unravel_index(j, shape) if shape else ()
            message = (
                f"gradcheck: gradient of input {i} (shape {fmt_shape(shape)}) disagrees at output element {k}, "
                f"input index {tuple(int(v) for v in in_index)}: analytic {float(analytic[k, j])!r} vs numerical "
                f"{float(numerical[k, j])!r} (atol={atol}, rtol={rtol}; {int(bad.sum())} of {bad.size} entries differ)"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def gradgradcheck(
    f: Callable[..., Value],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: gradcheck of x -> <d f/d x, v> with a fixed random cotangent v.

    The inner gradient comes from ``backward(create_graph=True)``, so this
    checks that the gradient graph itself is differentiated correctly.
    """
    xs = _as_inputs(inputs)
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(_output(f, xs).shape)  # cotangent for the first derivative
    w = [rng.standard_normal(x.shape) for x in xs]  # weights that reduce the gradients to one number
    argnums = tuple(range(len(xs)))

    def first_derivative(*args: Value) -> Value:
        # <d<f, v>/dx, w>, whose gradient is the Hessian-vector product H^T w
        grads = grad(lambda *a: (_output(f, list(a)) * v).sum(), argnums=argnums)(*args)
        total = Value(0.0, requires_grad=False)
        for g, wi in zip(grads, w):
            total = total + (g * wi).sum()
        return total

    return gradcheck(first_derivative, *xs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
