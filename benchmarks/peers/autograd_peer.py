"""HIPS autograd: reverse mode over plain NumPy code (``autograd.numpy``), the peer closest in kind."""

from __future__ import annotations

import numpy as np

LABEL, PIP = "HIPS autograd", "pip install autograd==1.9.1"


def missing() -> str | None:
    try:
        import autograd  # noqa: F401
    except ImportError:
        return f"not installed ({PIP})"
    return None


def threads() -> str:
    return "NumPy's BLAS, as tinygrad_edu"


def version() -> str:
    from importlib.metadata import version

    return version("autograd")


def mlp_steps(state: dict, x: np.ndarray, y: np.ndarray, lr: float) -> list[tuple]:
    import autograd
    import autograd.numpy as anp

    rows = np.arange(len(y))

    def loss(params):
        W1, b1, W2, b2 = params
        logits = anp.maximum(anp.dot(x, W1.T) + b1, 0) @ W2.T + b2
        shifted = logits - anp.max(logits, axis=1, keepdims=True)
        logp = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
        return -anp.mean(logp[rows, y])

    value_and_grad = autograd.value_and_grad(loss)

    def factory():
        params = [state[k].copy() for k in ("0.weight", "0.bias", "2.weight", "2.bias")]

        def step():
            value, grads = value_and_grad(params)
            for p, g in zip(params, grads):
                p -= lr * g
            return value
        return step

    return [("HIPS autograd", factory, "autograd.value_and_grad over autograd.numpy")]


def per_op(a: np.ndarray, b: np.ndarray) -> list[tuple]:
    import autograd
    import autograd.numpy as anp

    def f(ab):
        a, b = ab
        return anp.sum(anp.tanh(anp.exp(a * b + a)))

    value_and_grad = autograd.value_and_grad(f)

    def run():
        value, (ga, _) = value_and_grad((a, b))
        return value, ga

    return [("HIPS autograd", run, "")]
