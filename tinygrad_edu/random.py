"""The library-wide random generator, seeded by ``manual_seed``.

Everything random in tinygrad_edu (weight initialisation, shuffling) takes an
explicit ``numpy.random.Generator`` when given one and falls back to this one.
``get_rng_state`` / ``set_rng_state`` save and restore it, with Python's
``random`` (used by the scalar layers), for checkpoints that resume exactly.
"""

from __future__ import annotations

import random as _python_random
from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import ArgumentError

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


# numpy's bit generators by name, for a state saved from a generator of another kind
_BIT_GENERATORS = {cls.__name__: cls for cls in (np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937,
                                                  np.random.Philox, np.random.SFC64)}


def get_rng_state() -> dict[str, Any]:
    """The state of everything random in the library: its generator and Python's ``random``, as plain data.

    The result holds only dicts, lists and ints (numpy's ``bit_generator.state``, and
    ``random.getstate()`` with its tuples as lists), so ``save`` writes it as JSON and
    ``set_rng_state`` puts it back exactly.

    >>> import tinygrad_edu as tg
    >>> _ = tg.manual_seed(0)
    >>> state = tg.get_rng_state()
    >>> a = tg.random.default_generator().random()
    >>> tg.set_rng_state(state)
    >>> tg.random.default_generator().random() == a
    True
    """
    version, internal, gauss_next = _python_random.getstate()
    return {"numpy": _generator.bit_generator.state, "python": [version, list(internal), gauss_next]}


def set_rng_state(state: Mapping[str, Any]) -> None:
    """Restore a state from ``get_rng_state``; a malformed state raises ArgumentError and changes nothing."""
    if not isinstance(state, Mapping) or set(state) != {"numpy", "python"}:
        got = sorted(state) if isinstance(state, Mapping) else type(state).__name__
        raise ArgumentError(f"set_rng_state: expected a dict with keys 'numpy' and 'python', got {got}")
    numpy_state, python_state = state["numpy"], state["python"]
    name = numpy_state.get("bit_generator") if isinstance(numpy_state, Mapping) else None
    if name not in _BIT_GENERATORS:
        raise ArgumentError(f"set_rng_state: 'numpy' must be a bit_generator.state of one of "
                            f"{sorted(_BIT_GENERATORS)}, got bit_generator {name!r}")
    try:  # both states are tried on fresh objects first: a bad one fails here, before anything is changed
        bit_generator = _BIT_GENERATORS[name]()
        bit_generator.state = dict(numpy_state)  # type: ignore[assignment]  # (checked by numpy itself)
        version, internal, gauss_next = python_state
        python_tuple = (version, tuple(internal), gauss_next)
        _python_random.Random().setstate(python_tuple)
    except (TypeError, ValueError, KeyError) as e:
        raise ArgumentError(f"set_rng_state: the state does not fit numpy's {name} or Python's random: {e}") from None
    if type(_generator.bit_generator) is type(bit_generator):
        _generator.bit_generator.state = bit_generator.state  # in place: whoever holds the generator follows
    else:
        _set_generator(np.random.Generator(bit_generator))
    _python_random.setstate(python_tuple)


def _set_generator(generator: np.random.Generator) -> None:
    global _generator
    _generator = generator
