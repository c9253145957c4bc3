"""``grad(f)``: the gradient of a scalar function, as a function (JAX style).

>>> from tinygrad_edu import grad
>>> f = lambda x: x ** 3
>>> grad(f)(2.0)            # 3 x**2
12.0
>>> grad(grad(f))(2.0)      # 6 x
12.0

Hessian-vector product in two lines (H v = d/dx <grad f(x), v>)::

    g = lambda x: (grad(f)(x) * v).sum()
    hvp = grad(g)(x)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import autograd
from .engine import Value
from .errors import BackwardError, fmt_shape
from .node import constant


def grad(f: Callable[..., Value], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return a function computing d f / d (argument ``argnums``) at given inputs.

    ``f`` must return a one-element Value. Arguments given as plain numbers or
    arrays get plain gradients back; arguments given as Values get Values back
    that are still differentiable, so ``grad`` can be nested to any order.
    The ``.grad`` fields of the Values involved are left untouched.
    """
    many = not isinstance(argnums, int)
    positions: tuple[int, ...] = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def gradient_of_f(*given: Any) -> Any:
        args = list(given)
        given_as_value = {}
        for i in positions:
            if i >= len(args):
                raise BackwardError(f"grad: argnums asks for argument {i} but f got {len(args)} arguments")
            given_as_value[i] = isinstance(args[i], Value)
            if not given_as_value[i]:
                args[i] = Value(args[i])
        with autograd.enable_grad():
            out = f(*args)
            if not isinstance(out, Value):
                raise BackwardError(f"grad: f must return a Value, got {type(out).__name__}")
            if out.size != 1:
                raise BackwardError(f"grad: f must return a one-element Value, got shape {fmt_shape(out.shape)}")
            inputs = [args[i] for i in positions]
            if out.requires_grad:
                seed = autograd.default_seed(out, None, lambda d: constant(d, Value))
                grads = autograd.backprop(out, seed, create_graph=True, accumulate=False, inputs=inputs)
            else:
                grads = [None] * len(inputs)
        results = []
        for i, x, g in zip(positions, inputs, grads):
            if g is None:  # f does not depend on this input
                g = constant(0.0 if x.data.__class__ is float else np.zeros_like(x.data), Value)
            results.append(g if given_as_value[i] else g.data)
        return tuple(results) if many else results[0]

    return gradient_of_f
