"""Optional dependencies, imported when a feature first needs them.

``import tinygrad_edu`` loads NumPy and the standard library only. A feature that needs
more (matplotlib for pictures, Hypothesis for the test strategies) asks for it here, so
that a missing package ends in one clear ``MissingDependencyError`` naming the extra
to install instead of an ``ImportError`` from deep inside:

>>> plt = require("matplotlib.pyplot", extra="plots", feature="weight images")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError


def missing(module: str, *, extra: str, feature: str, cause: BaseException | None = None) -> MissingDependencyError:
    """The error to raise when ``module`` cannot be imported: it names the feature and the pip command."""
    top = module.split(".")[0]
    why = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
    return MissingDependencyError(
        f"{feature}: the optional package {top} could not be imported{why}; "
        f'install it with: pip install "tinygrad-edu[{extra}]"',
        name=top,
    )


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import ``module`` and return it, or raise ``MissingDependencyError`` naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise missing(module, extra=extra, feature=feature, cause=e) from e
