"""The benchmark cases. Each returns rows ``(case, engine, time, unit, note)``; peers run in the same process.

Times are medians over repeats after a warm-up (``measure``). Peers that are
not installed (micrograd, torch) give a row saying so instead of a time.
"""

from __future__ import annotations

import gc
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Value, nn, threads
from tinygrad_edu.nn import functional as F

from . import peers
from .numpy_mlp import NumpyMLP, plain_numpy_step

Row = dict


def measure(fn: Callable[[], object], repeat: int, warmup: int = 1) -> tuple[float, float]:
    """(median, interquartile range) of ``fn``'s wall time in seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    if len(times) < 4:
        return statistics.median(times), 0.0
    q = statistics.quantiles(times, n=4)
    return statistics.median(times), q[2] - q[0]


def measure_together(fns: list[Callable[[], object]], repeat: int, warmup: int = 1) -> list[tuple[float, float]]:
    """Like ``measure`` for several functions, timed in turn within each repeat so that all see the same machine."""
    times = _rounds(fns, repeat, warmup)
    out = []
    for bucket in times:
        q = statistics.quantiles(bucket, n=4) if len(bucket) >= 4 else (0.0, 0.0, 0.0)
        out.append((statistics.median(bucket), q[2] - q[0]))
    return out


def row(case: str, engine: str, seconds: float | None, iqr: float = 0.0, unit: str = "ms", note: str = "") -> Row:
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
    return {"case": case, "engine": engine, "value": None if seconds is None else seconds * scale,
            "iqr": iqr * scale, "unit": unit, "note": note}


def _import(name: str):
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        return None


# ---- 1. micrograd's moons step on scalar Values ---------------------------------------------------
def _moons(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    t = np.linspace(0, np.pi, n // 2)
    X = np.vstack([np.column_stack([np.cos(t), np.sin(t)]), np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])])
    return X + rng.normal(0, 0.1, X.shape), np.hstack([-np.ones(n // 2), np.ones(n // 2)])


def _moons_step(model, V, X, y):
    inputs = [list(map(V, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= 0.5 * p.grad
    return total.data


def scalar_moons(quick: bool) -> list[Row]:
    X, y = _moons(20 if quick else 100)
    repeat = 1 if quick else 7
    case = f"1. moons step, MLP(2,[16,16,1]), {len(X)} points"
    random.seed(1)
    ours = nn.MLP(2, [16, 16, 1])
    rows = []
    mg_engine, mg_nn = _import("micrograd.engine"), _import("micrograd.nn")
    if mg_nn is not None:
        random.seed(1)
        theirs = mg_nn.MLP(2, [16, 16, 1])
        ours_loss, their_loss = _moons_step(ours, Value, X, y), _moons_step(theirs, mg_engine.Value, X, y)
        assert abs(ours_loss - their_loss) <= 1e-9 * abs(their_loss), (ours_loss, their_loss)
    t, q = measure(lambda: _moons_step(ours, Value, X, y), repeat)
    rows.append(row(case, "tinygrad_edu (GC on)", t, iqr=q))
    gc.disable()
    try:
        t, q = measure(lambda: _moons_step(ours, Value, X, y), repeat)
    finally:
        gc.enable()
    rows.append(row(case, "reference: tinygrad_edu with the GC off", t, iqr=q, note="the GC scanning live nodes"))
    if mg_nn is None:
        rows.append(row(case, "micrograd", None, note="not installed (pip install micrograd)"))
        return rows
    t, q = measure(lambda: _moons_step(theirs, mg_engine.Value, X, y), repeat)
    rows.append(row(case, "micrograd (GC on)", t, iqr=q, note="same weights, same losses"))
    gc.disable()
    try:
        t, q = measure(lambda: _moons_step(theirs, mg_engine.Value, X, y), repeat)
    finally:
        gc.enable()
    rows.append(row(case, "reference: micrograd with the GC off", t, iqr=q))
    return rows


# ---- 2. MNIST-shaped MLP step ------------------------------------------------------------------------
def _mlp_data(batch: int = 128):
    rng = np.random.default_rng(0)
    x = rng.random((batch, 784), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    net = nn.Sequential(nn.Linear(784, 128, generator=rng), nn.ReLU(), nn.Linear(128, 10, generator=rng))
    return x, y, net


def _our_step(net, opt, x, y):
    # PyTorch's tutorial order, used for PyTorch too: forward, backward, step, zero_grad
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    opt.zero_grad()


def _our_step_zero_first(net, opt, x, y):
    # micrograd's order: zero_grad between forward and backward (last step's gradients live through the forward)
    loss = F.cross_entropy(net(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()


def tensor_mlp(quick: bool) -> list[Row]:
    x, y, net = _mlp_data()
    case = "2. MLP step 784-128-10, batch 128, float32, SGD"
    repeat = 20 if quick else 400
    state = net.state_dict()
    ref = NumpyMLP(state["0.weight"], state["0.bias"], state["2.weight"], state["2.bias"], len(y))
    opt = tg.optim.SGD(net.parameters(), lr=0.01)
    plain = [state[k].copy() for k in ("0.weight", "0.bias", "2.weight", "2.bias")]
    steps = [
        lambda: _our_step(net, opt, x, y),
        lambda: _our_step_zero_first(net, opt, x, y),
        lambda: ref.step(x, y, 0.01),
        lambda: plain_numpy_step(plain, x, y, 0.01),
    ]
    names = ["tinygrad_edu", "reference: tinygrad_edu, zero_grad before backward", "hand-written NumPy",
             "reference: NumPy written plainly"]
    notes = ["forward, backward, step, zero_grad", "forward, zero_grad, backward, step",
             "preallocated buffers, in place", "fresh arrays for every result"]
    torch = _import("torch")
    if torch is not None:
        torch.set_num_threads(os.cpu_count() or 1)
        tnet = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
        tnet.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        topt = torch.optim.SGD(tnet.parameters(), lr=0.01)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def torch_step():
        loss = torch.nn.functional.cross_entropy(tnet(tx), ty)
        loss.backward()
        topt.step()
        topt.zero_grad()

    # tinygrad_edu and NumPy share one BLAS: timed in turn. PyTorch's OpenMP threads keep spinning after each
    # call and would slow the BLAS threads next to them, so it is timed on its own, after.
    rows = [row(case, name, t, q, note=note)
            for name, (t, q), note in zip(names, measure_together(steps, repeat, warmup=20), notes)]
    if torch is None:
        rows.append(row(case, "PyTorch CPU", None, note="not installed (pip install torch==2.13.0)"))
    else:
        rows.append(row(case, "PyTorch CPU", *measure(torch_step, repeat, warmup=20),
                        note=f"{torch.get_num_threads()} threads"))
    fresh = NumpyMLP(state["0.weight"], state["0.bias"], state["2.weight"], state["2.bias"], len(y))
    expected = [fresh.step(x, y, 0.01) for _ in range(2)]  # the losses every peer must reproduce
    return rows + peers.mlp_rows(case, state, x, y, 0.01, expected, steps[0], quick)


# ---- 3. per-op overhead on tiny tensors --------------------------------------------------------------
def per_op(quick: bool) -> list[Row]:
    case = "3. per op, forward + backward, (4, 4) float64"
    rng = np.random.default_rng(0)
    a, b = Value(rng.random((4, 4))), Value(rng.random((4, 4)))
    ops = 5  # mul, add, exp, tanh, sum

    def ours():
        ((a * b + a).exp().tanh()).sum().backward()

    repeat = 200 if quick else 5000

    def per_call(fn):
        t, q = measure(lambda: [fn() for _ in range(10)], repeat // 10, warmup=5)
        return t / 10 / ops, q / 10 / ops

    rows = [row(case, "tinygrad_edu", *per_call(ours), unit="us", note="add, mul, exp, tanh, sum")]
    fa, fb = Value(a.data), Value(b.data)  # fresh leaves: ours() accumulates into a.grad
    out = ((fa * fb + fa).exp().tanh()).sum()
    out.backward()
    rows += peers.per_op_rows(case, a.numpy(), b.numpy(), out.item(), fa.grad, ours, ops, quick)
    torch = _import("torch")
    if torch is None:
        return rows + [row(case, "PyTorch CPU", None, unit="us", note="not installed")]
    ta = torch.tensor(a.data, requires_grad=True)
    tb = torch.tensor(b.data, requires_grad=True)

    def theirs():
        ((ta * tb + ta).exp().tanh()).sum().backward()

    return rows + [row(case, "PyTorch CPU", *per_call(theirs), unit="us")]


# ---- 4. deep chains ------------------------------------------------------------------------------
CHAIN = """
import json, sys, time
sys.setrecursionlimit(10**7)

def peak_rss_mb():
    # VmHWM: this process's peak resident memory (ru_maxrss would include the parent's, copied at fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0

n, engine = int(sys.argv[1]), sys.argv[2]
if engine == "tinygrad_edu":
    from tinygrad_edu import Value
    make = lambda: Value(0.5)
elif engine == "micrograd":
    from micrograd.engine import Value
    make = lambda: Value(0.5)
else:
    import torch
    make = lambda: torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
before = peak_rss_mb()
runs = []
for _ in range(max(1, min(20, 100_000 // n))):  # small chains: the median of several runs
    start = time.perf_counter()
    x = make()
    y = x
    for _ in range(n // 2):
        y = y * 0.999 + 0.001
    y.backward()
    runs.append(time.perf_counter() - start)
    del x, y
seconds = sorted(runs)[len(runs) // 2]
print(json.dumps({"seconds": seconds, "peak_mb": peak_rss_mb() - before}))
"""


def _chain(n: int, engine: str) -> dict | None:
    done = subprocess.run([sys.executable, "-c", CHAIN, str(n), engine], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    if done.returncode != 0:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def deep_chain(quick: bool) -> list[Row]:
    rows = []
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000, 1_000_000)
    for n in sizes:
        case = f"4. chain of {n:,} scalar ops (x*a+b), fwd+bwd"
        for engine, limit in (("tinygrad_edu", None), ("micrograd", 100_000), ("torch", 100_000)):
            if limit is not None and n > limit:
                continue
            if engine != "tinygrad_edu" and _import("micrograd" if engine == "micrograd" else "torch") is None:
                continue
            result = _chain(n, engine)
            if result is None:
                rows.append(row(case, engine, None, unit="us", note="failed"))
                continue
            note = f"peak +{result['peak_mb']:.0f} MB"
            if engine == "micrograd":
                note += ", recursion limit raised (RecursionError from ~1,000 nodes otherwise)"
            rows.append(row(case, engine, result["seconds"] / n, unit="us", note=note))
    return rows


# ---- 5. MNIST softmax regression -----------------------------------------------------------------
def mnist_softmax(quick: bool) -> list[Row]:
    case = "5. MNIST softmax regression, one epoch, batch 100"
    folder = tg.datasets.find_mnist()
    if folder is None:
        return [row(case, "tinygrad_edu", None, unit="s", note="MNIST files not found (set TINYGRAD_EDU_DATA)")]
    x, y = tg.datasets.load_mnist("train", root=folder, download=False)
    xt, yt = tg.datasets.load_mnist("test", root=folder, download=False)
    if quick:
        x, y = x[:5000], y[:5000]
    W, b = Value(np.zeros((784, 10), np.float32)), Value(np.zeros(10, np.float32))
    opt = tg.optim.SGD([W, b], lr=0.5)
    start = time.perf_counter()
    for xb, yb in tg.datasets.batches(x, y, 100, generator=np.random.default_rng(0)):
        loss = F.cross_entropy(xb @ W + b, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(np.argmax(xt @ W.data + b.data, axis=1) == yt))
    return [row(case, "tinygrad_edu", seconds, unit="s", note=f"test accuracy {accuracy:.4f}")]


# ---- 6. memory of the training loop ------------------------------------------------------------------
def memory(quick: bool) -> list[Row]:
    case = "6. peak memory: build the MLP, then 20 SGD steps (tracemalloc)"
    x, y, net = _mlp_data()
    state = net.state_dict()

    def ours():
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        model.load_state_dict(state)
        opt = tg.optim.SGD(model.parameters(), lr=0.01)
        for _ in range(20):
            _our_step(model, opt, x, y)

    def numpy_loop():
        model = NumpyMLP(state["0.weight"], state["0.bias"], state["2.weight"], state["2.bias"], len(y))
        for _ in range(20):
            model.step(x, y, 0.01)

    rows = []
    for name, loop in (("tinygrad_edu", ours), ("hand-written NumPy", numpy_loop)):
        gc.collect()
        tracemalloc.start()
        loop()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append({"case": case, "engine": name, "value": peak / 2**20, "iqr": 0.0, "unit": "MiB",
                     "note": "weights, gradients, activations and buffers"})
    return rows


# ---- 7. the MLP step with a busy neighbour core ----------------------------------------------------------
SPINNER = "while True: pass"  # a busy neighbour: one core kept busy by another process


def _block(fn: Callable[[], object], steps: int) -> float:
    """Seconds per call of ``fn`` over ``steps`` calls in a row, after one call to warm up."""
    fn()
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - start) / steps


def _spread(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=4) if len(values) >= 4 else (0.0, 0.0, 0.0)
    return statistics.median(values), q[2] - q[0]


def _fmt_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1e3:.3g} ms"


def _others(cores: list[float]) -> str:
    return f" (other processes: {statistics.median(cores):.2f} cores)" if cores else ""


def busy_neighbour(quick: bool) -> list[Row]:
    x, y, _ = _mlp_data()
    rng = np.random.default_rng(0)
    # the example's network (examples/mnist_mlp.py): products of 128 x 784 x 256
    net = nn.Sequential(nn.Linear(784, 256, generator=rng), nn.ReLU(), nn.Linear(256, 10, generator=rng))
    state = net.state_dict()
    ref = NumpyMLP(state["0.weight"], state["0.bias"], state["2.weight"], state["2.bias"], len(y))
    opt = tg.optim.SGD(net.parameters(), lr=0.01)
    ours, numpy_ = "tinygrad_edu", "hand-written NumPy"
    engines = {ours: lambda: _our_step(net, opt, x, y), numpy_: lambda: ref.step(x, y, 0.01)}
    default = threads.get_num_threads()
    settings = {f"{default}, as NumPy sets them": default, "1, threads.set_num_threads(1)": 1,
                "threads.use_free_cores() every step": None}
    rounds, steps, settle = (1, 2, 0.0) if quick else (10, 20, 0.6)
    times: dict[tuple, list[float]] = {}
    others: dict[bool, list[float]] = {False: [], True: []}  # cores other processes kept busy, per half-round

    def adaptive(step: Callable[[], object]) -> Callable[[], object]:
        def run():
            threads.use_free_cores()
            step()
        return run

    # One spinner for the whole case, paused (SIGSTOP) for the quiet half of every round and resumed
    # (SIGCONT) for the busy half, so that quiet and busy, each thread setting, this engine and NumPy
    # are all timed in turn within each round and see the same machine.
    spinner = subprocess.Popen([sys.executable, "-c", SPINNER])
    try:
        for _ in range(rounds):
            for busy in (False, True):
                os.kill(spinner.pid, signal.SIGCONT if busy else signal.SIGSTOP)
                time.sleep(0.05)
                start, cpu = time.perf_counter(), threads._cpu_seconds()
                for setting, n in settings.items():
                    for name, step in engines.items():
                        if n is None:  # run the loop long enough for use_free_cores to see the machine
                            step = adaptive(step)
                            end = time.perf_counter() + settle
                            while time.perf_counter() < end:
                                step()
                        else:
                            threads.set_num_threads(n)
                        times.setdefault((name, busy, setting), []).append(_block(step, steps))
                if cpu is not None:
                    all_cores, own = (b - a for a, b in zip(cpu, threads._cpu_seconds()))
                    others[busy].append((all_cores - own) / (time.perf_counter() - start))
        threads.set_num_threads(default)
        first_case = f"7. MLP step 784-256-10, batch 128, one core busy; BLAS threads: {next(iter(settings))}"
        peer_rows = peers.busy_rows(first_case, state, x, y, 0.01, engines[ours], spinner.pid, rounds, quick)
    finally:
        threads.set_num_threads(default)
        spinner.kill()
        spinner.wait()

    def per_round(a: tuple, b: tuple) -> str:  # median and IQR over the rounds of the ratio a / b
        median, iqr = _spread([ta / tb for ta, tb in zip(times[a], times[b])])
        return f"{median:.2f}x (IQR {iqr:.2f}) per round"

    rows = []
    first = next(iter(settings))
    for setting in settings:
        case = f"7. MLP step 784-256-10, batch 128, one core busy; BLAS threads: {setting}"
        busy_ours, busy_numpy = (ours, True, setting), (numpy_, True, setting)
        quiet_ours, quiet_numpy = (ours, False, setting), (numpy_, False, setting)
        quiet_note = (f"the spinner paused{_others(others[False])}; {numpy_}: {_fmt_ms(times[quiet_numpy])}, "
                      f"{ours} / it {per_round(quiet_ours, quiet_numpy)}")
        if setting != first:
            quiet_note += f"; / {ours} quiet with {first}: {per_round(quiet_ours, (ours, False, first))}"
        rows += [
            row(case, f"{ours}, neighbour busy", *_spread(times[busy_ours]),
                note=f"busy / quiet: {per_round(busy_ours, quiet_ours)}{_others(others[True])}"),
            row(case, f"{numpy_}, neighbour busy", *_spread(times[busy_numpy]), note=per_round(busy_ours, busy_numpy)),
            row(case, f"reference: {ours}, quiet", *_spread(times[quiet_ours]), note=quiet_note),
        ]
        if setting == first:
            rows += peer_rows
    return rows


CASES = [scalar_moons, tensor_mlp, per_op, deep_chain, mnist_softmax, memory, busy_neighbour]


# ---- 8. heavy new ops: cumsum and sort, forward + backward -------------------------------------------
def scan_sort(quick: bool) -> list[Row]:
    """cumsum and sort along the rows of a (256, 1024) float64 matrix, with the gradient of a random cotangent.

    NumPy's row is the same work written by hand: the forward, then the adjoint (a reversed cumsum; the
    cotangent put back at the sorted positions).
    """
    shape = (16, 64) if quick else (256, 1024)
    rng = np.random.default_rng(0)
    data, cot = rng.standard_normal(shape), rng.standard_normal(shape)
    x = Value(data)
    torch = _import("torch")
    repeat = 3 if quick else 40
    rows: list[Row] = []
    for name, ours, numpy_version, torch_version in (
        ("cumsum", lambda: x.cumsum(1).backward(cot),
         lambda: (np.cumsum(data, 1), np.cumsum(cot[:, ::-1], 1)[:, ::-1]),
         lambda t, g: t.cumsum(1).backward(g)),
        ("sort", lambda: x.sort(1).values.backward(cot), lambda: _numpy_sort_step(data, cot),
         lambda t, g: t.sort(dim=1, stable=True).values.backward(g)),
    ):
        case = f"8. {name} along dim 1, forward + backward, {shape} float64"

        def ours_step(step=ours):
            x.grad = None
            step()

        fns: list[Callable[[], object]] = [ours_step, numpy_version]
        if torch is not None:
            tx, tcot = torch.tensor(data, requires_grad=True), torch.tensor(cot)

            def torch_step(step=torch_version, tx=tx, tcot=tcot):
                tx.grad = None
                step(tx, tcot)

            fns.append(torch_step)
        times = measure_together(fns, repeat)
        rows.append(row(case, "tinygrad_edu", *times[0], note="derived from indexing" if name == "sort"
                        else "primitive, rule: a reversed cumsum"))
        rows.append(row(case, "hand-written NumPy", *times[1], note="forward and adjoint by hand"))
        rows.append(row(case, "PyTorch CPU", *times[2], note="stable sort" if name == "sort" else "")
                    if torch is not None else row(case, "PyTorch CPU", None, note="not installed"))
    return rows


def _numpy_sort_step(data: np.ndarray, cot: np.ndarray) -> np.ndarray:
    order = np.argsort(data, axis=1, kind="stable")
    np.take_along_axis(data, order, axis=1)  # the sorted values
    grad = np.zeros_like(data)
    np.put_along_axis(grad, order, cot, axis=1)  # each sorted value's gradient back to where it came from
    return grad


CASES.append(scan_sort)


# ---- 9. heavy ops of issue 12: einsum batched contraction, gather / scatter_add -----------------------
def einsum_gather(quick: bool) -> list[Row]:
    """Forward + backward of a batched einsum and of gather / scatter_add, against PyTorch CPU and NumPy."""
    rng = np.random.default_rng(0)
    repeat = 1 if quick else 30
    b, n = (4, 16) if quick else (32, 64)
    a, c = rng.standard_normal((b, n, n), dtype=np.float32), rng.standard_normal((b, n, n), dtype=np.float32)
    g = np.ones((b, n, n), np.float32)
    rows_n, cols, k = (64, 32, 8) if quick else (4096, 256, 64)
    x = rng.standard_normal((rows_n, cols), dtype=np.float32)
    idx = rng.integers(0, cols, size=(rows_n, k))
    src = rng.standard_normal((rows_n, k), dtype=np.float32)

    va, vc, vx, vs = Value(a), Value(c), Value(x), Value(src)  # leaves made once, as parameters are

    def ours_einsum():
        va.grad = vc.grad = None
        tg.einsum("bij,bjk->bik", va, vc).backward(g)

    def numpy_einsum():  # the product and its two gradients, as batched matrix products
        a @ c, g @ c.transpose(0, 2, 1), a.transpose(0, 2, 1) @ g

    def ours_gather():
        vx.grad = vs.grad = None
        vx.gather(1, idx).sum().backward()
        vx.scatter_add(1, idx, vs).sum().backward()

    def numpy_gather():
        grid = (np.arange(rows_n)[:, None], idx)
        np.take_along_axis(x, idx, 1)
        gx = np.zeros_like(x)
        np.add.at(gx, grid, 1.0)  # the gradient of gather
        out = x.copy()
        np.add.at(out, grid, src)  # scatter_add
        np.take_along_axis(np.ones_like(x), idx, 1)  # its gradient to src

    fns = {"einsum": [ours_einsum, numpy_einsum], "gather": [ours_gather, numpy_gather]}
    torch = _import("torch")
    if torch is not None:
        ta, tc, tgrad = torch.from_numpy(a), torch.from_numpy(c), torch.from_numpy(g)
        tx, tsrc, tidx = torch.from_numpy(x), torch.from_numpy(src), torch.from_numpy(idx)

        pa, pc = ta.clone().requires_grad_(), tc.clone().requires_grad_()
        px, ps = tx.clone().requires_grad_(), tsrc.clone().requires_grad_()

        def torch_einsum():
            pa.grad = pc.grad = None
            torch.einsum("bij,bjk->bik", pa, pc).backward(tgrad)

        def torch_gather():
            px.grad = ps.grad = None
            px.gather(1, tidx).sum().backward()
            px.scatter_add(1, tidx, ps).sum().backward()

        fns["einsum"].append(torch_einsum)
        fns["gather"].append(torch_gather)
    cases = {"einsum": f"9a. einsum bij,bjk->bik ({b}, {n}, {n}) float32, fwd+bwd",
             "gather": f"9b. gather + scatter_add dim 1, ({rows_n}, {cols}) <- ({rows_n}, {k}), fwd+bwd"}
    names = ["tinygrad_edu", "NumPy (hand-written gradients)", "PyTorch CPU"]
    out = []
    for key, group in fns.items():
        for name, (t, q) in zip(names, measure_together(group, repeat)):
            out.append(row(cases[key], name, t, iqr=q))
    return out


CASES.append(einsum_gather)


# ---- 10. issue 13: one LeNet training step ----------------------------------------------------------------
class LeNet(nn.Module):
    """conv 1->8 5x5 pad 2, ReLU, max pool 2, conv 8->16 5x5, ReLU, max pool 2, 400-120-84-10 (ReLUs)."""

    def __init__(self, dtype=np.float32, generator=None):
        self.c1 = nn.Conv2d(1, 8, 5, padding=2, dtype=dtype, generator=generator)
        self.c2 = nn.Conv2d(8, 16, 5, dtype=dtype, generator=generator)
        self.f1 = nn.Linear(400, 120, dtype=dtype, generator=generator)
        self.f2 = nn.Linear(120, 84, dtype=dtype, generator=generator)
        self.f3 = nn.Linear(84, 10, dtype=dtype, generator=generator)

    def forward(self, x):
        h = F.max_pool2d(self.c1(x).relu(), 2)
        h = F.max_pool2d(self.c2(h).relu(), 2)
        h = h.reshape(h.shape[0], -1)
        return self.f3(self.f2(self.f1(h).relu()).relu())


def torch_rows(torch, case: str, step: Callable[[], object], repeat: int, note: str = "") -> list[Row]:
    """PyTorch's step timed with its own threads, then (a reference row) with one thread, threads restored after.

    The one-thread row stands beside the one-BLAS-thread rows of the other engines: kernels, thread for thread.
    """
    rows = [row(case, "PyTorch CPU", *measure(step, repeat, warmup=2),
                note=f"{torch.get_num_threads()} threads" + (f"; {note}" if note else ""))]
    torch.set_num_threads(1)
    try:
        rows.append(row(case, "reference: PyTorch CPU, 1 thread", *measure(step, repeat, warmup=2),
                        note="torch.set_num_threads(1)"))
    finally:
        torch.set_num_threads(os.cpu_count() or 1)
    return rows


def _torch_lenet(torch, state):
    T = torch.nn
    net = T.Sequential(T.Conv2d(1, 8, 5, padding=2), T.ReLU(), T.MaxPool2d(2), T.Conv2d(8, 16, 5), T.ReLU(),
                       T.MaxPool2d(2), T.Flatten(), T.Linear(400, 120), T.ReLU(), T.Linear(120, 84), T.ReLU(),
                       T.Linear(84, 10))
    names = dict(zip(("c1", "c2", "f1", "f2", "f3"), ("0", "3", "7", "9", "11")))
    net.load_state_dict({names[k.split(".")[0]] + "." + k.split(".")[1]: torch.from_numpy(v.copy())
                         for k, v in state.items()})
    return net


def lenet_step(quick: bool) -> list[Row]:
    """One SGD step (forward, backward, update) of a LeNet-style CNN, batch 64, float32."""
    from .numpy_lenet import KEYS, numpy_lenet_step

    batch = 8 if quick else 64
    repeat = 2 if quick else 40
    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    net = LeNet(generator=rng)
    state = net.state_dict()
    opt = tg.optim.SGD(net.parameters(), lr=0.01)
    plain = [state[k].copy() for k in KEYS]
    ours_loss = F.cross_entropy(net(x), y).item()
    their_loss = numpy_lenet_step([a.copy() for a in plain], x, y, 0.01)
    assert abs(ours_loss - their_loss) <= 1e-4 * abs(their_loss), (ours_loss, their_loss)  # the same math
    case = f"10a. LeNet step (conv 5x5 x2, pools, 400-120-84-10), batch {batch}, float32, SGD"
    steps = [lambda: _our_step(net, opt, x, y), lambda: numpy_lenet_step(plain, x, y, 0.01)]
    rows = [row(case, name, t, q, note=note) for name, (t, q), note in zip(
        ["tinygrad_edu", "hand-written NumPy"], measure_together(steps, repeat, warmup=2),
        ["conv2d = im2col + one einsum; max_pool2d one primitive", "im2col + matmul, backward by hand"])]
    default = threads.get_num_threads()
    threads.set_num_threads(1)  # one BLAS thread: on a shared machine the steadier comparison of the two
    try:
        rows += [row(case, name, t, q, note="threads.set_num_threads(1)") for name, (t, q) in zip(
            ["reference: tinygrad_edu, 1 BLAS thread", "reference: hand-written NumPy, 1 BLAS thread"],
            measure_together(steps, repeat, warmup=2))]
    finally:
        threads.set_num_threads(default)
    torch = _import("torch")
    if torch is None:
        return rows + [row(case, "PyTorch CPU", None, note="not installed (pip install torch==2.13.0)")]
    torch.set_num_threads(os.cpu_count() or 1)
    tnet = _torch_lenet(torch, state)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.01)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def torch_step():
        loss = torch.nn.functional.cross_entropy(tnet(tx), ty)
        loss.backward()
        topt.step()
        topt.zero_grad()

    return rows + torch_rows(torch, case, torch_step, repeat)


CASES.append(lenet_step)


# ---- 10b (issue 13) and 12 (issue 16): LeNet's training-loop memory; makemore's MLP and WaveNet steps --------
def _peak_mib(loop: Callable[[], object]) -> float:
    """Peak memory traced by tracemalloc (NumPy's buffers included) while ``loop`` runs, in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        loop()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def lenet_memory(quick: bool) -> list[Row]:
    """Peak traced memory of building LeNet and running 20 SGD steps, against the hand-written NumPy loop."""
    from .numpy_lenet import KEYS, numpy_lenet_step

    batch, steps = (8, 2) if quick else (64, 20)
    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    state = LeNet(generator=rng).state_dict()

    def ours():
        model = LeNet()
        model.load_state_dict(state)
        opt = tg.optim.SGD(model.parameters(), lr=0.01)
        for _ in range(steps):
            _our_step(model, opt, x, y)

    def numpy_loop():
        p = [state[k].copy() for k in KEYS]
        for _ in range(steps):
            numpy_lenet_step(p, x, y, 0.01)

    case = f"10b. peak memory: build LeNet, then {steps} SGD steps, batch {batch} (tracemalloc)"
    return [{"case": case, "engine": name, "value": _peak_mib(loop), "iqr": 0.0, "unit": "MiB", "note": note}
            for name, loop, note in (
                ("tinygrad_edu", ours, "weights, gradients, the graph and what it keeps for backward"),
                ("hand-written NumPy", numpy_loop, "weights, gradients, im2col columns and pool masks"))]


def makemore_steps(quick: bool) -> list[Row]:
    """One training step of makemore part 2's MLP (12a) and part 5's WaveNet (12b), batch 32, on both engines."""
    from . import makemore

    repeat = 2 if quick else 200
    torch = _import("torch")
    labels = {3: "12a. makemore part 2 MLP step (emb 10, block 3, 200 tanh), batch 32, float32, SGD",
              8: "12b. makemore part 5 WaveNet step (emb 24, block 8, 3 x flatten 2 + linear 128 + batch norm "
                 "+ tanh), batch 32, float32, SGD"}
    rows: list[Row] = []
    for block, case in labels.items():
        make_ours = makemore.setups(tg, F, block)
        fns: list[Callable[[], object]] = [make_ours()]
        if torch is None:
            rows.append(row(case, "PyTorch CPU", None, note="not installed (pip install torch==2.13.0)"))
        else:
            torch.set_num_threads(os.cpu_count() or 1)
            make_theirs = makemore.setups(torch, torch.nn.functional, block)
            first, again = make_ours(), make_theirs()  # fresh weights: two steps, forward then gradients too
            ours_losses, their_losses = [first(), first()], [again(), again()]
            assert np.allclose(ours_losses, their_losses, rtol=1e-4), (case, ours_losses, their_losses)
            fns.append(make_theirs())
        settings = (("", None), ("1 BLAS thread, torch.set_num_threads(1)", 1))
        for threads_note, n in settings[1:] if quick else settings:  # quick: one thread, steady under load
            default = threads.get_num_threads()
            if n is not None:
                threads.set_num_threads(n)
                if torch is not None:
                    torch.set_num_threads(n)
            try:
                times = _rounds(fns, repeat, warmup=1 if quick else 20)
            finally:
                threads.set_num_threads(default)
                if torch is not None:
                    torch.set_num_threads(os.cpu_count() or 1)
            prefix = "reference: " if n is not None and not quick else ""
            lib_threads = f"{torch.get_num_threads() if n is None else 1} threads" if torch is not None else ""
            rows.append(row(case, f"{prefix}tinygrad_edu" + (", 1 BLAS thread" if n else ""), *_spread(times[0]),
                            note=threads_note or "the lecture's code, import tinygrad_edu as torch"))
            if torch is not None:
                median, iqr = _spread([a / b for a, b in zip(times[0], times[1])])
                rows.append(row(case, f"{prefix}PyTorch CPU" + (", 1 thread" if n else ""), *_spread(times[1]),
                                note=f"{threads_note or lib_threads}; timed in turn with tinygrad_edu: "
                                     f"tinygrad_edu / it {median:.2f}x (IQR {iqr:.2f}) per round"))
    return rows


def _rounds(fns: list[Callable[[], object]], repeat: int, warmup: int) -> list[list[float]]:
    """Every call's wall time, the functions timed in turn within each round (``measure_together`` uses it)."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, bucket in zip(fns, times):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return times


CASES += [lenet_memory, makemore_steps]


# ---- 11. issue 13: one transformer training step (benchmarks/transformer_case.py) -------------------------
from .transformer_case import transformer_step  # noqa: E402  (it uses measure and row from above)

CASES.append(transformer_step)
