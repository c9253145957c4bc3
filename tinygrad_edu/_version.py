"""The package version, defined here only: pyproject.toml reads it, ``tinygrad_edu.__version__`` re-exports it."""

__version__ = "0.1.0"
