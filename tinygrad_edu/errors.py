"""Exceptions raised by tinygrad_edu.

Every error the library raises on bad input is a ``TinygradEduError``; the
subclasses also inherit from the matching built-in exception, so code that
already catches ``ValueError``/``TypeError``/``IndexError`` keeps working.
"""

from __future__ import annotations


class TinygradEduError(Exception):
    """Base class of every error tinygrad_edu raises on purpose."""


class ShapeError(TinygradEduError, ValueError):
    """Operands whose shapes do not fit the operation."""


class AxisError(ShapeError, IndexError):
    """An axis (``dim``) out of range for the Value: both a ``ShapeError`` and an ``IndexError``,
    as NumPy's ``AxisError`` is both a ``ValueError`` and an ``IndexError``."""


class ArgumentError(TinygradEduError, ValueError):
    """An argument with a value the function does not accept (a negative learning rate, an unknown mode)."""


class DataError(TinygradEduError, TypeError):
    """Data that is not numeric, or of a kind the operation cannot take."""


class GraphIndexError(TinygradEduError, IndexError):
    """An index that does not fit the indexed Value."""


class BackwardError(TinygradEduError, RuntimeError):
    """Misuse of ``backward()`` or of the gradient functions."""


class AnomalyError(TinygradEduError, FloatingPointError):
    """Raised inside ``detect_anomaly()`` when an op produces NaN or inf."""


class SerializationError(TinygradEduError, ValueError):
    """A file that cannot be read or written as the format requires."""


class DatasetError(TinygradEduError, ValueError):
    """A data file that is missing, malformed or does not match its checksum, or a download that failed."""


def fmt_shape(shape: tuple[int, ...]) -> str:
    """Format a shape the way error messages print it: ``(3, 4)``, ``()``."""
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


class StateDictError(TinygradEduError, KeyError):
    """A state dict whose names or shapes do not match the module."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class MissingDependencyError(TinygradEduError, ImportError):
    """An optional package a feature needs is not installed; the message names the extra that installs it."""
