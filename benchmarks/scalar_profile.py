"""Where a scalar op's time goes: the evidence behind the two scalar targets (cases 1 and 4), clean processes.

    python -m benchmarks.scalar_profile          # moons step (100 points) and a 10^6-node chain
    python -m benchmarks.scalar_profile --small  # tiny sizes: checks that it runs (the tests use it)

Every figure comes from a fresh interpreter (one per engine and GC setting), the way a user runs a script,
since the cyclic collector's cost grows with what the process holds. For each run it prints the time with
the GC on and off, the time spent inside collections (``gc.callbacks``) and how many full (generation 2)
collections ran; for the chain it splits the time into building the graph (node creation) and the backward
walk, and it times two floors in the same process: the float arithmetic alone, and creating and filling a
Python object with a node's twelve slots.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = r"""
import gc, json, random, sys, time
sys.setrecursionlimit(10**7)
what, engine, gc_on, n = sys.argv[1], sys.argv[2], sys.argv[3] == "on", int(sys.argv[4])
spent, full = [0.0], [0]
def clock(phase, info, start=[0.0]):
    if phase == "start":
        start[0] = time.perf_counter()
    else:
        spent[0] += time.perf_counter() - start[0]
        full[0] += info["generation"] == 2
gc.callbacks.append(clock)
if engine == "tinygrad_edu":
    from tinygrad_edu import Value, nn
    MLP = nn.MLP
else:
    from micrograd.engine import Value
    from micrograd.nn import MLP
out = {}
if what == "moons":
    from benchmarks.cases import _moons, _moons_step
    X, y = _moons(n)
    random.seed(1)
    model = MLP(2, [16, 16, 1])
    _moons_step(model, Value, X, y)
    if not gc_on:
        gc.disable()
    times = []
    spent[0], full[0] = 0.0, 0
    for _ in range(7):
        start = time.perf_counter()
        _moons_step(model, Value, X, y)
        times.append(time.perf_counter() - start)
    out = {"step_ms": sorted(times)[3] * 1e3, "mean_ms": sum(times) / 7 * 1e3, "gc_ms": spent[0] / 7 * 1e3,
           "full_collections": full[0] / 7}
else:
    if not gc_on:
        gc.disable()
    gc.collect()
    spent[0], full[0] = 0.0, 0
    start = time.perf_counter()
    x = Value(0.5)
    y = x
    for _ in range(n // 2):
        y = y * 0.999 + 0.001
    built, gc_built = time.perf_counter(), spent[0]
    y.backward()
    done = time.perf_counter()
    out = {"build_us": (built - start) / n * 1e6, "backward_us": (done - built) / n * 1e6,
           "total_us": (done - start) / n * 1e6, "gc_build_us": gc_built / n * 1e6,
           "gc_backward_us": (spent[0] - gc_built) / n * 1e6, "full_collections": full[0]}
    del x, y
    gc.disable()
    start = time.perf_counter()
    f = 0.5
    for _ in range(n // 2):
        f = f * 0.999 + 0.001
    out["float_floor_us"] = (time.perf_counter() - start) / n * 1e6
    class Slots:
        __slots__ = ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l")
    keep = []
    start = time.perf_counter()
    for _ in range(n):
        o = Slots()
        o.a = 0.5; o.b = 0.0; o.c = True; o.d = o.e = o.f = o.g = o.h = o.i = o.j = None; o.k = 0; o.l = None
        keep.append(o)
    out["object_floor_us"] = (time.perf_counter() - start) / n * 1e6
print(json.dumps(out))
"""


def probe(what: str, engine: str, gc_on: bool, n: int) -> dict | None:
    """One measurement in a fresh interpreter; None if it failed (an engine not installed)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", PROBE, what, engine, "on" if gc_on else "off", str(n)],
                          capture_output=True, text=True, env=env, timeout=900)
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scalar_profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="tiny sizes, to check that it runs")
    args = parser.parse_args(argv)
    points, nodes, micro_nodes = (20, 2_000, 2_000) if args.small else (100, 1_000_000, 100_000)
    results: dict = {}
    print(f"moons step, {points} points, 7 steps: median; mean, and the mean time inside the GC per step")
    for engine in ("tinygrad_edu", "micrograd"):
        for gc_on in (True, False):
            r = results[("moons", engine, gc_on)] = probe("moons", engine, gc_on, points)
            label = f"  {engine:12} GC {'on ' if gc_on else 'off'}"
            print(label, "failed (not installed?)" if r is None else
                  f"median {r['step_ms']:7.1f} ms; mean {r['mean_ms']:7.1f} ms, in GC {r['gc_ms']:7.1f} ms "
                  f"({r['gc_ms'] / r['mean_ms']:.0%}), full collections per step {r['full_collections']:.1f}")
    for engine, n in (("tinygrad_edu", nodes), ("micrograd", micro_nodes)):
        print(f"chain of {n:,} scalar ops, {engine} (us per op)")
        for gc_on in (True, False):
            r = results[("chain", engine, gc_on)] = probe("chain", engine, gc_on, n)
            if r is None:
                print("  failed (not installed?)")
                continue
            print(f"  GC {'on ' if gc_on else 'off'}: build {r['build_us']:.2f} (in GC {r['gc_build_us']:.2f}), "
                  f"backward {r['backward_us']:.2f} (in GC {r['gc_backward_us']:.2f}), total {r['total_us']:.2f}; "
                  f"full collections {r['full_collections']}; floors: float arithmetic {r['float_floor_us']:.3f}, "
                  f"a 12-slot object {r['object_floor_us']:.3f}")
    return results


if __name__ == "__main__":
    main()
