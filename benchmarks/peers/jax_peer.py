"""JAX on the CPU, in the two ways its users run it: the whole step under ``jax.jit``, and op by op."""

from __future__ import annotations

import numpy as np

LABEL, PIP = "JAX", "pip install jax==0.10.2 jaxlib==0.10.2"
SLOW_MLP = ("JAX op by op",)  # seconds compiling each primitive for the MLP's shapes: not in --quick



def missing() -> str | None:
    try:
        import jax  # noqa: F401
    except ImportError:
        return f"not installed ({PIP})"
    return None


def threads() -> str:
    import os

    flags = os.environ.get("XLA_FLAGS")
    return f"XLA's own pool, one thread per core{f' (XLA_FLAGS={flags})' if flags else ''}"


def version() -> str:
    import jax
    import jaxlib

    return f"{jax.__version__} (jaxlib {jaxlib.__version__}, CPU)"


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)  # case 3 is float64; float32 arrays stay float32
    return jax


def mlp_steps(state: dict, x: np.ndarray, y: np.ndarray, lr: float) -> list[tuple]:
    jax = _jax()
    jnp = jax.numpy
    names = ("0.weight", "0.bias", "2.weight", "2.bias")
    xj, yj = jnp.asarray(x), jnp.asarray(y)

    def loss(params, x, y):
        W1, b1, W2, b2 = params
        logits = jnp.maximum(x @ W1.T + b1, 0) @ W2.T + b2
        logp = jax.nn.log_softmax(logits, axis=1)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    def update(params, x, y):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        return [p - lr * g for p, g in zip(params, grads)], value

    def maker(fn):
        def factory():
            params = [jnp.asarray(state[k].copy()) for k in names]

            def step():
                nonlocal params
                params, value = fn(params, xj, yj)
                return value.block_until_ready()  # JAX dispatches asynchronously: wait for the step
            return step
        return factory

    return [("JAX jit", maker(jax.jit(update)), "the whole step under jax.jit"),
            ("JAX op by op", maker(update), "jax.value_and_grad, not jitted")]


def per_op(a: np.ndarray, b: np.ndarray) -> list[tuple]:
    jax = _jax()
    jnp = jax.numpy
    ja, jb = jnp.asarray(a), jnp.asarray(b)

    def f(a, b):
        return jnp.sum(jnp.tanh(jnp.exp(a * b + a)))

    grad = jax.value_and_grad(f, argnums=(0, 1))

    def maker(fn):
        def run():
            value, (ga, gb) = fn(ja, jb)
            jax.block_until_ready((value, ga, gb))
            return value, ga
        return run

    return [("JAX op by op", maker(grad), "jax.value_and_grad, not jitted"),
            ("reference: JAX jit of the whole function", maker(jax.jit(grad)),
             "one compiled call, not per-op dispatch")]
