"""tinygrad_edu.threads sets what NumPy's BLAS library really uses, and follows a busy neighbour core."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from threadpoolctl import threadpool_info

from tinygrad_edu import threads
from tinygrad_edu.errors import ArgumentError


def blas_threads() -> set[int]:
    """What threadpoolctl reads from the BLAS libraries loaded in this process."""
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


@pytest.fixture(autouse=True)
def restore_threads():
    before = threads.get_num_threads()
    yield
    threads.set_num_threads(before)
    threads._last, threads._decided = None, False


def test_set_num_threads_changes_what_the_blas_library_reports() -> None:
    threads.set_num_threads(1)
    assert blas_threads() == {1} and threads.get_num_threads() == 1
    threads.set_num_threads(threads._default)
    assert blas_threads() == {threads._default}


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, None])
def test_set_num_threads_rejects_what_is_not_a_thread_count(bad) -> None:
    with pytest.raises(ArgumentError, match="set_num_threads: expected a whole number of threads >= 1"):
        threads.set_num_threads(bad)


def test_threads_for_keeps_one_thread_per_core_others_leave_free() -> None:
    assert threads.threads_for(0.0, cores=2, default=2) == 2
    assert threads.threads_for(0.4, cores=2, default=2) == 2  # a core used less than half the time stays ours
    assert threads.threads_for(0.6, cores=2, default=2) == 1
    assert threads.threads_for(1.0, cores=2, default=2) == 1
    assert threads.threads_for(3.0, cores=2, default=2) == 1  # never fewer than one
    assert threads.threads_for(0.0, cores=8, default=4) == 4  # never more than the library's own choice
    assert threads.threads_for(2.0, cores=8, default=8) == 6


def test_use_free_cores_reads_the_clock_at_most_once_per_interval(monkeypatch) -> None:
    samples = iter([(100.0, 1.0), (101.9, 1.0)])  # then: others kept 1.9 cores busy for about 2 s
    reads = []
    monkeypatch.setattr(threads, "_cpu_seconds", lambda: reads.append(1) or next(samples))
    monkeypatch.setattr(threads, "_cores", lambda: 2)
    monkeypatch.setattr(threads, "_default", 2)
    threads.set_num_threads(2)
    threads._last, threads._decided = None, False
    assert threads.use_free_cores(every=1.0) == 2  # the first call only takes a sample
    assert threads.use_free_cores(every=1.0) == 2 and len(reads) == 1  # within the interval: no reading
    threads._last = (threads._last[0] - 2.0, *threads._last[1:])  # two seconds later
    assert threads.use_free_cores(every=1.0) == 1 and len(reads) == 2
    assert blas_threads() == {1}


def test_use_free_cores_makes_its_first_choice_soon_then_waits_the_full_interval(monkeypatch) -> None:
    samples = iter([(100.0, 1.0), (100.2, 1.0), (100.4, 1.0)])
    reads = []
    monkeypatch.setattr(threads, "_cpu_seconds", lambda: reads.append(1) or next(samples))
    threads._last, threads._decided = None, False
    threads.use_free_cores(every=10.0)
    threads._last = (threads._last[0] - 0.2, *threads._last[1:])  # 0.2 s later: past FIRST_LOOK
    threads.use_free_cores(every=10.0)
    assert len(reads) == 2 and threads._decided
    threads._last = (threads._last[0] - 0.2, *threads._last[1:])  # 0.2 s later again: within `every` now
    threads.use_free_cores(every=10.0)
    assert len(reads) == 2


def test_use_free_cores_gives_up_the_core_a_busy_process_takes() -> None:
    threads.use_free_cores(every=0.0)  # first sample
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        chosen = threads.use_free_cores(every=0.0)
    finally:
        spinner.kill()
        spinner.wait()
    cores = len(os.sched_getaffinity(0))
    assert 1 <= chosen <= max(1, cores - 1)
    assert blas_threads() == {chosen}
