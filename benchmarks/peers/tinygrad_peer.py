"""tinygrad 0.14.0 on its CPU device, eager and with ``TinyJit``.

The API used (it changes between versions, hence the pinned version): ``Tensor.linear``, ``.relu()``,
``.sparse_categorical_crossentropy`` and ``.backward()``, with ``tinygrad.nn.optim.SGD``'s ``schedule_step()``
realized together with the loss under ``Context(TRAINING=1)``, for the step; ``Tensor.gradient`` for the
per-op case; ``TinyJit`` replays a captured step from its third call. The CPU device compiles its kernels
with ``clang``.
"""

from __future__ import annotations

import shutil

import numpy as np

LABEL, PIP = "tinygrad", "pip install tinygrad==0.14.0"
VERSION = "0.14.0"
SLOW_MLP = ("tinygrad TinyJit", "tinygrad eager")  # seconds scheduling the first step: not in --quick



def missing() -> str | None:
    try:
        import tinygrad  # noqa: F401
    except ImportError:
        return f"not installed ({PIP})"
    if shutil.which("clang") is None:
        return "installed, but its CPU device needs clang (apt-get install clang)"
    if version() != VERSION:
        return f"version {version()} installed; these cases are written for {VERSION} ({PIP})"
    return None


def threads() -> str:
    from tinygrad.helpers import NUM_CPU_THREADS

    return f"NUM_CPU_THREADS={NUM_CPU_THREADS.value}"


def version() -> str:
    from importlib.metadata import version

    return version("tinygrad")


def _sync() -> None:
    from tinygrad import Device

    Device[Device.DEFAULT].synchronize()


def mlp_steps(state: dict, x: np.ndarray, y: np.ndarray, lr: float) -> list[tuple]:
    from tinygrad import Tensor, TinyJit
    from tinygrad.helpers import Context
    from tinygrad.nn.optim import SGD

    tx, ty = Tensor(x), Tensor(y.astype(np.int32))

    def maker(jit: bool):
        def factory():
            W1, b1, W2, b2 = (Tensor(state[k].copy()) for k in ("0.weight", "0.bias", "2.weight", "2.bias"))
            opt = SGD([W1, b1, W2, b2], lr=lr)

            def one_step():
                loss = tx.linear(W1.T, b1).relu().linear(W2.T, b2).sparse_categorical_crossentropy(ty)
                opt.zero_grad()
                loss.backward()
                return loss.realize(*opt.schedule_step())  # the loss with the update, before it lands

            run = TinyJit(one_step) if jit else one_step

            def step():
                with Context(TRAINING=1):
                    loss = run()
                _sync()
                return loss
            return step
        return factory

    return [("tinygrad TinyJit", maker(True), "the step captured once and replayed"),
            ("tinygrad eager", maker(False), "each step scheduled again (kernels cached)")]


def per_op(a: np.ndarray, b: np.ndarray) -> list[tuple]:
    from tinygrad import Tensor

    ta, tb = Tensor(a), Tensor(b)

    def run():
        out = (ta * tb + ta).exp().tanh().sum()
        ga, gb = out.gradient(ta, tb)
        Tensor.realize(out, ga, gb)
        _sync()
        return out.item(), ga.numpy()

    return [("tinygrad eager", run, "Tensor.gradient, each call scheduled again")]
