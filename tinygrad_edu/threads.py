"""How many threads NumPy's BLAS library uses for a matrix product, read and set from inside Python.

NumPy hands every matrix product to a BLAS library (OpenBLAS in the pip wheels), which splits each
product evenly between as many threads as there are cores and waits for the slowest. On a quiet machine
the second thread makes an MNIST-sized training step ~1.1-1.3x faster. When another program keeps a core
busy, the thread on that core gets only part of it, every product waits for it, and the idle threads spin
against the other program: the step runs 2-10x slower, while with one thread it is barely slowed.
``use_free_cores()``, called in a training loop, follows the machine: as many threads as there are cores
that other processes leave free. benchmarks/README.md (case 7) has the measurements.

The environment variable ``OPENBLAS_NUM_THREADS=1`` gives one thread to the whole process, but only if it
is set before NumPy is imported; these functions work at any time, through threadpoolctl.

>>> from tinygrad_edu import threads
>>> threads.set_num_threads(1)
>>> threads.get_num_threads()
1
"""

from __future__ import annotations

import os
import time

from .errors import ArgumentError

__all__ = ["get_num_threads", "set_num_threads", "threads_for", "use_free_cores"]

_controller = None  # threadpoolctl's controller of the loaded BLAS libraries: finding them takes ~1 ms, done once
_default: int | None = None  # the BLAS library's own thread count, before anything here changed it
_last: tuple[float, float, float] | None = None  # use_free_cores' previous sample: (time, busy core-s, own s)
_chosen = 1  # the thread count use_free_cores chose last
_decided = False  # whether use_free_cores has chosen once: the first choice comes after FIRST_LOOK seconds
FIRST_LOOK = 0.1  # long enough for /proc/stat's 10 ms ticks, short enough to lose few slow steps at the start
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # /proc/stat counts in these


def _blas():
    """threadpoolctl's controller restricted to the BLAS libraries loaded in this process."""
    global _controller, _default
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError as error:  # pragma: no cover - threadpoolctl is a dependency
            raise ImportError("tinygrad_edu.threads needs threadpoolctl (pip install threadpoolctl); "
                              "or set OPENBLAS_NUM_THREADS=1 before starting Python") from error
        import numpy  # noqa: F401 - NumPy loads its BLAS on import; the controller lists what is loaded

        _controller = ThreadpoolController().select(user_api="blas")
        _default = max((lib.num_threads for lib in _controller.lib_controllers), default=1)
    return _controller


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS uses for a matrix product (PyTorch's ``torch.get_num_threads``).

    >>> get_num_threads() >= 1
    True
    """
    return max((lib.num_threads for lib in _blas().lib_controllers), default=1)


def set_num_threads(n: int) -> None:
    """Use at most ``n`` threads for NumPy's matrix products from now on (PyTorch's ``torch.set_num_threads``).

    >>> set_num_threads(1)
    >>> get_num_threads()
    1
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ArgumentError(f"set_num_threads: expected a whole number of threads >= 1, got {n!r}")
    _blas().limit(limits=n)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _cpu_seconds() -> tuple[float, float] | None:
    """(seconds all cores have been busy since boot, seconds this process has run), or None without /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:  # pragma: no cover - not Linux
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    own = os.times()
    return (user + nice + system + irq + softirq + steal) / _TICK, own.user + own.system


def threads_for(others: float, cores: int, default: int) -> int:
    """BLAS threads to use when other processes kept ``others`` cores busy: one per core they left free.

    A core counts as taken when they used more than half of it; never fewer than 1 thread nor more than
    the BLAS library's own choice ``default``.

    >>> threads_for(0.1, cores=2, default=2), threads_for(1.0, cores=2, default=2)
    (2, 1)
    """
    return max(1, min(default, int(cores - others + 0.5)))


def use_free_cores(every: float = 0.5) -> int:
    """Set the BLAS threads to the cores other processes left free since the last call; returns the count.

    Meant to be called once per training step: it measures at most once per ``every`` seconds (reading
    /proc/stat, ~40 us; the first time after 0.1 s) and returns at once otherwise, and it overrides
    ``set_num_threads``. Off Linux it leaves the threads as they are.

    >>> n = use_free_cores()
    >>> 1 <= n <= os.cpu_count()
    True
    """
    global _last, _chosen, _decided
    now = time.monotonic()
    if _last is not None and now - _last[0] < (every if _decided else min(every, FIRST_LOOK)):
        return _chosen
    sample = _cpu_seconds()
    if sample is None:  # pragma: no cover - not Linux
        return get_num_threads()
    busy, own = sample
    blas = _blas()
    if _last is not None and now > _last[0]:
        others = ((busy - _last[1]) - (own - _last[2])) / (now - _last[0])  # cores busy with other processes
        n = threads_for(others, _cores(), _default or 1)
        if n != get_num_threads():
            blas.limit(limits=n)
        _decided = True
    _last = (now, busy, own)
    _chosen = get_num_threads()
    return _chosen
