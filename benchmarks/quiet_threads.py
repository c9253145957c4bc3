"""Case 7's quiet half on a machine that is not quiet: the step with 2 BLAS threads, 1, and use_free_cores().

On a shared machine, run it at real-time priority, which keeps other processes off the cores while it runs
(a few seconds), so that "quiet" means quiet:

    sudo chrt -f 10 python -m benchmarks.quiet_threads

Prints, for the 784-256-10 and 784-128-10 steps, each setting's time over the time with the BLAS library's
own thread count, as the median and IQR of per-round ratios, and the count use_free_cores() chose.
"""

from __future__ import annotations

import time

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, threads

from .cases import _block, _mlp_data, _our_step, _spread


def main(rounds: int = 12, steps: int = 20, settle: float = 0.6) -> None:
    x, y, _ = _mlp_data()
    default = threads.get_num_threads()
    for hidden in (256, 128):
        rng = np.random.default_rng(0)
        net = nn.Sequential(nn.Linear(784, hidden, generator=rng), nn.ReLU(), nn.Linear(hidden, 10, generator=rng))
        opt = tg.optim.SGD(net.parameters(), lr=0.01)

        def step(net=net, opt=opt):
            _our_step(net, opt, x, y)

        def adaptive(step=step):
            threads.use_free_cores()
            step()

        times: dict[str, list[float]] = {"default": [], "1": [], "use_free_cores": []}
        chosen = []
        for _ in range(rounds):
            threads.set_num_threads(default)
            times["default"].append(_block(step, steps))
            threads.set_num_threads(1)
            times["1"].append(_block(step, steps))
            threads.set_num_threads(default)
            end = time.perf_counter() + settle  # long enough for use_free_cores to measure the machine
            while time.perf_counter() < end:
                adaptive()
            times["use_free_cores"].append(_block(adaptive, steps))
            chosen.append(threads.get_num_threads())
        threads.set_num_threads(default)
        print(f"784-{hidden}-10 step, {default} BLAS threads: {_spread(times['default'])[0] * 1e3:.3f} ms")
        for name in ("1", "use_free_cores"):
            median, iqr = _spread([t / d for t, d in zip(times[name], times["default"])])
            print(f"  {name:>14} / {default} threads: {median:.2f}x (IQR {iqr:.2f}) per round")
        print(f"  use_free_cores chose: {chosen}")


if __name__ == "__main__":
    main()
