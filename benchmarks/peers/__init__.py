"""The optional peers beyond micrograd and PyTorch: JAX, HIPS autograd and tinygrad, one module each.

Each module has the same small interface, so that a case asks every installed peer in one loop:

- ``LABEL`` and ``PIP`` (what to install), ``missing()`` (why it cannot run here, or None), ``version()``,
  ``threads()`` (the threads it computes with);
- ``mlp_steps(state, x, y, lr)``: ``(engine, factory, note)`` triples; ``factory()`` builds the network from
  ``state`` (PyTorch's layout) and returns ``step()``, which runs one SGD step to completion and returns
  the loss before it (a number, or an array or tensor with ``.item()``);
- ``per_op(a, b)``: ``(engine, fn, note)`` triples; ``fn()`` computes ``sum(tanh(exp(a * b + a)))`` and its
  gradients to completion and returns ``(value, gradient for a)``.

``check_mlp`` and ``check_per_op`` hold each peer to the reference's numbers before a time is taken.
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable
from types import ModuleType

import numpy as np

NAMES = ("jax_peer", "autograd_peer", "tinygrad_peer")


def load() -> list[tuple[ModuleType, str | None]]:
    """Every peer module with the reason it cannot run here (None when it can)."""
    out = []
    for name in NAMES:
        module = importlib.import_module(f"{__name__}.{name}")
        out.append((module, module.missing()))
    return out


def versions() -> list[str]:
    """``name version`` or ``name not installed`` for every peer, for the table's software line."""
    lines = []
    for module, why in load():
        lines.append(f"{module.LABEL} {module.version()}" if why is None else f"{module.LABEL} not installed")
    return lines


def threads() -> str:
    """The thread counts the installed peers use, for the table's thread-settings line."""
    parts = [f"{module.LABEL}: {module.threads()}" for module, why in load() if why is None]
    return "peers: " + ("; ".join(parts) if parts else "none installed")


def check_mlp(factory: Callable[[], Callable[[], object]], expected: list[float], rtol: float = 1e-4) -> str | None:
    """Run two steps on a fresh network; None when both losses match ``expected``, else what differed."""
    step = factory()
    got = [_number(step()) for _ in expected]
    if all(abs(g - e) <= rtol * abs(e) for g, e in zip(got, expected)):
        return None
    return "losses " + ", ".join(f"{g:.6g}" for g in got) + " disagree with " + ", ".join(f"{e:.6g}" for e in expected)


def _number(value: object) -> float:
    """A peer's scalar (NumPy, JAX or tinygrad) as a Python float."""
    item = getattr(value, "item", None)
    return float(item() if item is not None else value)  # type: ignore[arg-type]


def check_per_op(fn: Callable[[], tuple], value: float, grad: np.ndarray, rtol: float = 1e-6) -> str | None:
    """None when ``fn``'s value and gradient match the reference's, else what differed."""
    got_value, got_grad = fn()
    got_value, got_grad = _number(got_value), np.asarray(got_grad)
    if abs(got_value - value) <= rtol * abs(value) and np.allclose(got_grad, grad, rtol=rtol, atol=1e-12):
        return None
    return f"value {got_value:.9g} or its gradient disagrees with {value:.9g}"


# ---- timing: each peer against this engine, in turn within every round ----------------------------------
UNSTABLE = 0.10  # as pyperf: a result whose spread (IQR here) exceeds 10% of its median is flagged


def calibrate(fn: Callable[[], object], target: float, warmup: int = 1) -> int:
    """Calls of ``fn`` per timed block so that a block lasts about ``target`` seconds (pyperf's loop calibration)."""
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    fn()
    return max(1, round(target / max(time.perf_counter() - start, 1e-9)))


def block(fn: Callable[[], object], calls: int) -> float:
    """Seconds per call over ``calls`` calls in a row."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def spread(values: list[float]) -> tuple[float, float]:
    """(median, interquartile range); the range is 0 for fewer than four values."""
    q = statistics.quantiles(values, n=4) if len(values) >= 4 else (0.0, 0.0, 0.0)
    return statistics.median(values), q[2] - q[0]


def in_turn(ours: Callable[[], object], theirs: Callable[[], object], rounds: int, target: float,
            warmup: int) -> tuple[list[float], list[float]]:
    """Per-call times of ``theirs`` and per-round ratios ours / theirs, the two timed in turn in every round."""
    n_ours, n_theirs = calibrate(ours, target, warmup), calibrate(theirs, target, warmup)
    times, ratios = [], []
    for _ in range(rounds):
        mine = block(ours, n_ours)
        times.append(block(theirs, n_theirs))
        ratios.append(mine / times[-1])
    return times, ratios


def ratio(value: float) -> str:
    """Two decimals, or two significant digits below 0.1 (so that 0.002x does not read 0.00x)."""
    return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"


def stability(values: list[float]) -> str:
    """``""``, or a warning when the values spread by more than ``UNSTABLE`` of their median."""
    median, iqr = spread(values)
    if median and iqr > UNSTABLE * median:
        return f"; unstable: IQR {iqr / median:.0%} of the median"
    return ""


def peer_rows(case: str, entries: Callable[[ModuleType], list[tuple]], check: Callable[[Callable], str | None],
              ours: Callable[[], object], quick: bool, unit: str = "ms", per: int = 1,
              slow: Callable[[ModuleType], tuple] = lambda module: ()) -> list[dict]:
    """A row per installed peer engine: its time (over ``per`` ops), checked first, timed in turn with ``ours``;
    with ``quick``, the engines in ``slow(module)`` (seconds of compiling before the first step) are skipped."""
    from ..cases import row

    rows = []
    rounds, target, warmup = (1, 0.0, 1) if quick else (15, 0.02, 5)
    for module, why in load():
        if why is not None:
            rows.append(row(case, module.LABEL, None, unit=unit, note=why))
            continue
        for engine, make, note in entries(module):
            if quick and engine in slow(module):
                rows.append(row(case, engine, None, unit=unit, note="compiles for seconds first: not run with --quick"))
                continue
            fn = make()
            disagreement = check(make)
            if disagreement is not None:
                rows.append(row(case, engine, None, unit=unit, note=f"{disagreement}: not timed"))
                continue
            times, ratios = in_turn(ours, fn, rounds, target, warmup)
            median, iqr = spread(times)
            middle, ratio_iqr = spread(ratios)
            text = f"{note}; " if note else ""
            rows.append(row(case, engine, median / per, iqr / per, unit=unit,
                            note=f"{text}tinygrad_edu / it {ratio(middle)}x (IQR {ratio(ratio_iqr)}) per round"
                                 f"{stability(times)}"))
    return rows


def mlp_rows(case: str, state: dict, x: np.ndarray, y: np.ndarray, lr: float, expected: list[float],
             ours: Callable[[], object], quick: bool) -> list[dict]:
    """Rows of every peer's SGD step on the network in ``state``; ``expected``: the first two steps' losses."""
    return peer_rows(case, lambda m: [(e, f, n) for e, f, n in m.mlp_steps(state, x, y, lr)],
                     lambda factory: check_mlp(factory, expected), lambda: ours(), quick,
                     slow=lambda module: getattr(module, "SLOW_MLP", ()))


def per_op_rows(case: str, a: np.ndarray, b: np.ndarray, value: float, grad: np.ndarray,
                ours: Callable[[], object], ops: int, quick: bool) -> list[dict]:
    """Rows of every peer's forward + backward of ``sum(tanh(exp(a * b + a)))``, per op."""
    return peer_rows(case, lambda m: [(e, (lambda fn=fn: fn), n) for e, fn, n in m.per_op(a, b)],
                     lambda make: check_per_op(make(), value, grad), ours, quick, unit="us", per=ops)


def busy_rows(case: str, state: dict, x: np.ndarray, y: np.ndarray, lr: float, ours: Callable[[], object],
              spinner: int, rounds: int, quick: bool) -> list[dict]:
    """Case 7 for every installed peer (its first, fastest mode, its own threads) and PyTorch: the step with
    the ``spinner`` process resumed and paused in every round, timed in turn with ``ours``."""
    import os
    import signal

    from ..cases import row
    from ..numpy_mlp import NumpyMLP
    from . import torch_peer

    if quick:  # each peer would compile its step again for this network: cases 2 and 3 check them quickly
        return [row(case, "the peers, neighbour busy", None, note="not run with --quick")]
    reference = NumpyMLP(state["0.weight"], state["0.bias"], state["2.weight"], state["2.bias"], len(y))
    expected = [reference.step(x, y, lr) for _ in range(2)]
    rows, steps = [], {}
    for module, why in [(torch_peer, torch_peer.missing()), *load()]:
        if why is not None:
            rows.append(row(case, f"{module.LABEL}, neighbour busy", None, note=why))
            continue
        engine, factory, note = module.mlp_steps(state, x, y, lr)[0]
        disagreement = check_mlp(factory, expected)
        if disagreement is not None:
            rows.append(row(case, f"{engine}, neighbour busy", None, note=f"{disagreement}: not timed"))
            continue
        steps[engine] = (factory(), note)
    target = 0.0 if quick else 0.02
    calls = {"tinygrad_edu": calibrate(ours, target, 2)}
    calls.update({engine: calibrate(step, target, 2) for engine, (step, _) in steps.items()})
    times: dict[tuple[str, bool], list[float]] = {}
    for _ in range(rounds):
        for busy in (False, True):
            os.kill(spinner, signal.SIGCONT if busy else signal.SIGSTOP)
            time.sleep(0.05)
            times.setdefault(("tinygrad_edu", busy), []).append(block(ours, calls["tinygrad_edu"]))
            for engine, (step, _) in steps.items():
                times.setdefault((engine, busy), []).append(block(step, calls[engine]))
    os.kill(spinner, signal.SIGCONT)

    def per_round(a: list[float], b: list[float]) -> str:
        median, iqr = spread([ta / tb for ta, tb in zip(a, b)])
        return f"{ratio(median)}x (IQR {ratio(iqr)}) per round"

    for engine, (_, note) in steps.items():
        busy, quiet = times[(engine, True)], times[(engine, False)]
        rows.append(row(case, f"{engine}, neighbour busy", *spread(busy),
                        note=f"{note}, its own threads; busy / quiet: {per_round(busy, quiet)}; quiet: "
                             f"{spread(quiet)[0] * 1e3:.3g} ms; tinygrad_edu (same threads as NumPy) / it, busy: "
                             f"{per_round(times[('tinygrad_edu', True)], busy)}{stability(busy)}"))
    return rows
