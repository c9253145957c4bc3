"""The library-wide random generator, seeded by ``manual_seed``.

Everything random in tinygrad_edu (weight initialisation, shuffling) takes an
explicit ``numpy.random.Generator`` when given one and falls back to this one.
"""

from __future__ import annotations

import random as _python_random

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the library's generator (and Python's ``random``, used by the scalar layers).

    >>> import tinygrad_edu
    >>> g = tinygrad_edu.manual_seed(0)
    >>> round(float(g.random()), 6)
    0.636962
    """
    global _generator
    _generator = np.random.default_rng(seed)
    _python_random.seed(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator used when no ``generator=`` is passed."""
    return _generator


def resolve(generator: np.random.Generator | None) -> np.random.Generator:
    """``generator`` itself, or the library-wide one when it is None."""
    return _generator if generator is None else generator
