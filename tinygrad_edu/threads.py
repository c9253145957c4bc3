"""How many threads NumPy's BLAS library uses for a matrix product, read and set from inside Python.

NumPy hands every matrix product to a BLAS library (OpenBLAS in the pip wheels), which splits a product
between as many threads as there are cores. A product splits its work evenly and waits for its slowest
thread, so when another program keeps one core busy, every product waits for a thread that only gets
part of that core, and a training step of small products runs ~10x slower (benchmarks/README.md, case 7).
With one BLAS thread the step is not slowed beyond the core it shares; the products of an MNIST-sized
network gain little from a second thread even on a quiet machine.

The environment variable ``OPENBLAS_NUM_THREADS=1`` does the same for the whole process, but only if it is
set before NumPy is imported; these functions work at any time, through threadpoolctl.

>>> from tinygrad_edu import threads
>>> threads.set_num_threads(1)
>>> threads.get_num_threads()
1
"""

from __future__ import annotations

from .errors import ArgumentError

__all__ = ["get_num_threads", "set_num_threads"]

_controller = None  # threadpoolctl's ThreadpoolController: finding the loaded BLAS libraries takes ~1 ms, done once


def _blas():
    """threadpoolctl's controller restricted to the BLAS libraries loaded in this process."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError as error:  # pragma: no cover - threadpoolctl is a dependency
            raise ImportError("tinygrad_edu.threads needs threadpoolctl (pip install threadpoolctl); "
                              "or set OPENBLAS_NUM_THREADS=1 before starting Python") from error
        import numpy  # noqa: F401 - NumPy loads its BLAS on import; the controller lists what is loaded

        _controller = ThreadpoolController()
    return _controller.select(user_api="blas")


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS uses for a matrix product (PyTorch's ``torch.get_num_threads``).

    >>> get_num_threads() >= 1
    True
    """
    blas = _blas()
    return max((lib.num_threads for lib in blas.lib_controllers), default=1)


def set_num_threads(n: int) -> None:
    """Use at most ``n`` threads for NumPy's matrix products from now on (PyTorch's ``torch.set_num_threads``).

    ``set_num_threads(1)`` keeps a training loop fast when other programs are busy on the machine;
    ``set_num_threads(os.cpu_count())`` gives the BLAS library every core again (its default).

    >>> set_num_threads(1)
    >>> get_num_threads()
    1
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ArgumentError(f"set_num_threads: expected a whole number of threads >= 1, got {n!r}")
    _blas().limit(limits=n)
