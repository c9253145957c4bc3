"""Weight initialisation, in place, PyTorch's names (``kaiming_uniform_``, ...).

Each function fills ``value.data`` and returns the Value. Randomness comes from
``generator`` when given, else from the library-wide generator that
``tinygrad_edu.manual_seed`` seeds.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine import Value
from ..errors import ArgumentError, ShapeError, fmt_shape
from ..random import resolve


def _fill(value: Value, array: np.ndarray) -> Value:
    if value.data.__class__ is float:  # a scalar Value keeps a Python float
        value.data = float(array)
    else:
        value.data[...] = array.astype(value.dtype, copy=False)
    return value


def calculate_fan_in_and_fan_out(value: Value) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel), as PyTorch counts them."""
    if value.ndim < 2:
        raise ShapeError(f"init: fan in/out need a weight with at least 2 axes, got shape {fmt_shape(value.shape)}")
    receptive = int(np.prod(value.shape[2:])) if value.ndim > 2 else 1
    return value.shape[1] * receptive, value.shape[0] * receptive


_LINEAR = ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d",
           "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
_GAINS = {"tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "selu": 3.0 / 4.0}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for an activation, PyTorch's table: relu sqrt(2), tanh 5/3, selu 3/4, linear 1.

    ``leaky_relu`` takes its negative slope as ``param`` (default 0.01): sqrt(2 / (1 + slope**2)).

    >>> calculate_gain("tanh")
    1.6666666666666667
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity in _GAINS:
        return _GAINS[nonlinearity]
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, int | float) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ArgumentError(f"calculate_gain: negative slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    known = sorted(_LINEAR + tuple(_GAINS) + ("leaky_relu",))
    raise ArgumentError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of {known}")


def uniform_(value: Value, a: float = 0.0, b: float = 1.0, generator: np.random.Generator | None = None) -> Value:
    """Fill with samples of U(a, b) (drawn straight into the array: no temporary copy)."""
    x = value.numpy() if isinstance(value.data, np.ndarray) else value.data
    if x.__class__ is np.ndarray and x.dtype in (np.float32, np.float64) and x.flags.c_contiguous:
        resolve(generator).random(dtype=x.dtype, out=x)  # U(0, 1) in the dtype of x
        x *= b - a
        x += a
        return value
    return _fill(value, resolve(generator).uniform(a, b, size=value.shape))


def normal_(value: Value, mean: float = 0.0, std: float = 1.0, generator: np.random.Generator | None = None) -> Value:
    """Fill with samples of N(mean, std**2) (drawn straight into the array: no temporary copy)."""
    x = value.numpy() if isinstance(value.data, np.ndarray) else value.data
    if x.__class__ is np.ndarray and x.dtype in (np.float32, np.float64) and x.flags.c_contiguous:
        resolve(generator).standard_normal(dtype=x.dtype, out=x)
        x *= std
        x += mean
        return value
    return _fill(value, resolve(generator).normal(mean, std, size=value.shape))


def zeros_(value: Value) -> Value:
    """Fill with 0."""
    return _fill(value, np.zeros(value.shape))


def ones_(value: Value) -> Value:
    """Fill with 1."""
    return _fill(value, np.ones(value.shape))


def xavier_uniform_(value: Value, gain: float = 1.0, generator: np.random.Generator | None = None) -> Value:
    """Glorot/Xavier: U(-r, r) with r = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(value)
    if value.size == 0:  # nothing to fill (and no fan to divide by), as in PyTorch
        return value
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(value, -bound, bound, generator)


def kaiming_uniform_(
    value: Value,
    a: float = 0.0,
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Value:
    """He/Kaiming: U(-r, r) with r = gain * sqrt(3 / fan_in), keeping activations' variance through ReLU layers."""
    fan_in, _ = calculate_fan_in_and_fan_out(value)
    if value.size == 0:  # nothing to fill (and no fan to divide by), as in PyTorch
        return value
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan_in)
    return uniform_(value, -bound, bound, generator)
