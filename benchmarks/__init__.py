"""Benchmarks of tinygrad_edu against micrograd, hand-written NumPy and PyTorch (see README.md here)."""
