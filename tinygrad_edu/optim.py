"""Optimizers (SGD, Adam) and learning-rate schedules, with PyTorch's update rules.

``step()`` changes ``p.data`` in place. For tensor parameters every buffer it
needs (momentum, Adam's moments, a small scratch block) is allocated on the
first step and reused after, so the steady state allocates nothing; scalar
parameters (micrograd-style Values) simply get new floats.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .engine import Value
from .errors import ArgumentError, DataError

_BLOCK = 1 << 15  # elements per block of _add_scaled: 128 KiB of float32 (64 KiB blocks measured slower here)


def _add_scaled(x: np.ndarray, g: np.ndarray, alpha: float, block: np.ndarray) -> None:
    """x += alpha * g in place, through a small scratch ``block`` instead of a temporary as large as x.

    A full-size temporary would double the memory a weight matrix needs during
    the update; block by block, the extra memory is at most _BLOCK elements.
    """
    if not x.flags.c_contiguous:  # (a view made by the user): plain NumPy, with its temporary
        x += alpha * g
        return
    n = x.size
    if n <= _BLOCK:  # (most parameters: one block)
        part = block[:n].reshape(x.shape)
        np.multiply(g, alpha, out=part)
        x += part
        return
    xf, gf = x.reshape(-1), g.reshape(-1)  # xf is a view of x
    for start in range(0, n, _BLOCK):
        xs = xf[start : start + _BLOCK]  # (the last block may be shorter)
        part = block[: len(xs)]
        np.multiply(gf[start : start + _BLOCK], alpha, out=part)
        np.add(xs, part, out=xs)


def _check(op: str, what: str, value: Any, ok: bool, rule: str) -> None:
    """An ArgumentError naming the optimizer, the hyper-parameter, its value and the rule it breaks."""
    if not ok:
        raise ArgumentError(f"{op}: {what} must be {rule}, got {value!r}")


class Optimizer:
    """Holds the parameters and the learning rate; subclasses define ``step``."""

    _hyperparameters: tuple[str, ...] = ("lr",)  # shown by repr, PyTorch style

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        name = type(self).__name__
        if isinstance(params, Value):  # list(v) would silently make one new Value per row
            raise DataError(f"{name}: params must be an iterable of Values (model.parameters(), [w, b]), "
                            "got a single Value; put it in a list")
        self.params = list(params)
        if not self.params:
            raise ArgumentError(f"{name}: got an empty list of parameters")
        for p in self.params:
            if not isinstance(p, Value):
                raise DataError(f"{name}: parameters must be Values, got {type(p).__name__}")
            if not p.is_leaf:
                raise ArgumentError(f"{name}: cannot optimize a Value computed by an op ({p.op!r}): "
                                    "parameters must be leaves")
        _check(name, "learning rate (lr)", lr, lr >= 0, ">= 0")
        self.lr = lr
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} (", "Parameter Group 0"]
        lines += [f"    {key}: {getattr(self, key)}" for key in sorted(self._hyperparameters)]
        return "\n".join(lines) + "\n)"

    def zero_grad(self) -> None:
        """Reset the gradients: None for tensors, 0.0 for scalar Values."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        for p, state in zip(self.params, self.state):
            g = p.grad
            if g is None:
                continue
            if isinstance(g, Value):  # left by backward(create_graph=True)
                g = g.data
            if p.data.__class__ is float:
                p.data = self._update_scalar(p.data, float(g), state)
            else:
                self._update_array(p.data, g, state)

    @staticmethod
    def _block(state: dict[str, Any], x: np.ndarray) -> np.ndarray:
        """A small scratch buffer (at most _BLOCK elements) of x's dtype, kept in ``state``."""
        block = state.get("block")
        if block is None:
            block = state["block"] = np.empty(min(x.size, _BLOCK), dtype=x.dtype)
        return block

    def _with_weight_decay(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        """g + weight_decay * x, in a buffer kept in ``state`` (g itself when there is no decay)."""
        decay = getattr(self, "weight_decay", 0.0)
        if not decay:
            return g
        d = state.get("decayed")
        if d is None:
            d = state["decayed"] = np.empty_like(x)
        np.multiply(x, decay, out=d)
        d += g
        return d

    def _update_scalar(self, x: float, g: float, state: dict[str, Any]) -> float:
        raise NotImplementedError

    def _update_array(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent: x <- x - lr * d, with optional momentum and weight decay.

    d = g + weight_decay * x; with momentum, buf <- momentum * buf + (1 - dampening) * d
    (buf = d on the first step) and d = buf, or d + momentum * buf for Nesterov.
    """

    _hyperparameters = ("lr", "momentum", "dampening", "weight_decay", "nesterov")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        _check("SGD", "momentum", momentum, momentum >= 0, ">= 0")
        _check("SGD", "weight_decay", weight_decay, weight_decay >= 0, ">= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ArgumentError(
                f"SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                f"dampening={dampening}"
            )
        self.momentum, self.dampening, self.weight_decay, self.nesterov = momentum, dampening, weight_decay, nesterov

    def _update_scalar(self, x: float, g: float, state: dict[str, Any]) -> float:
        d = g + self.weight_decay * x
        if self.momentum:
            buf = d if "buf" not in state else self.momentum * state["buf"] + (1 - self.dampening) * d
            state["buf"] = buf
            d = d + self.momentum * buf if self.nesterov else buf
        return x - self.lr * d

    def _update_array(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if not (self.momentum or self.weight_decay):  # plain SGD, the common case: straight to the update
            _add_scaled(x, g, -self.lr, self._block(state, x))  # x -= lr * g
            return
        d = self._with_weight_decay(x, g, state)
        if self.momentum:
            buf = state.get("buf")
            if buf is None:
                buf = state["buf"] = np.array(d, copy=True)
            else:
                buf *= self.momentum
                if self.dampening:
                    _add_scaled(buf, d, 1 - self.dampening, self._block(state, x))
                else:
                    buf += d  # buf = momentum * buf + (1 - dampening) * d
            if self.nesterov:
                tmp = state.get("nesterov")
                if tmp is None:
                    tmp = state["nesterov"] = np.empty_like(x)
                np.multiply(buf, self.momentum, out=tmp)
                tmp += d  # d + momentum * buf
                d = tmp
            else:
                d = buf
        _add_scaled(x, d, -self.lr, self._block(state, x))  # x -= lr * d


class Adam(Optimizer):
    """Adam: moment estimates m, v of the gradient, bias-corrected, x <- x - lr m^ / (sqrt(v^) + eps)."""

    _hyperparameters = ("lr", "betas", "eps", "weight_decay")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        _check("Adam", "eps", eps, eps >= 0, ">= 0")
        _check("Adam", "betas", betas, isinstance(betas, tuple | list) and len(betas) == 2, "a pair (beta1, beta2)")
        betas = (betas[0], betas[1])
        for i, beta in enumerate(betas):
            _check("Adam", f"betas[{i}]", beta, 0 <= beta < 1, "in [0, 1)")
        _check("Adam", "weight_decay", weight_decay, weight_decay >= 0, ">= 0")
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay

    def _update_scalar(self, x: float, g: float, state: dict[str, Any]) -> float:
        b1, b2 = self.betas
        g = g + self.weight_decay * x
        t = state["t"] = state.get("t", 0) + 1
        m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
        v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
        denom = math.sqrt(v) / math.sqrt(1 - b2**t) + self.eps
        return x - (self.lr / (1 - b1**t)) * m / denom

    def _update_array(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        b1, b2 = self.betas
        if "m" not in state:
            state["m"], state["v"], state["t"] = np.zeros_like(x), np.zeros_like(x), 0
            state["scratch"] = np.empty_like(x)
        tmp = state["scratch"]
        m, v = state["m"], state["v"]
        state["t"] += 1
        t = state["t"]
        g = self._with_weight_decay(x, g, state)  # L2 penalty folded into the gradient, as PyTorch's Adam does
        m *= b1
        np.multiply(g, 1 - b1, out=tmp)
        m += tmp  # m = b1 m + (1 - b1) g
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v += tmp  # v = b2 v + (1 - b2) g^2
        np.sqrt(v, out=tmp)
        tmp /= math.sqrt(1 - b2**t)
        tmp += self.eps  # tmp = sqrt(v^) + eps
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr / (1 - b1**t)
        x -= tmp


class LRScheduler:
    """Sets ``optimizer.lr`` from the epoch count each time ``step()`` is called."""

    _fields: tuple[str, ...] = ()  # shown by repr

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise DataError(f"{type(self).__name__}: expected an optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0

    def lr_at(self, epoch: int) -> float:
        """The learning rate after ``epoch`` calls of ``step``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and update the optimizer's learning rate."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> float:
        """The learning rate currently set."""
        return self.optimizer.lr

    def __repr__(self) -> str:
        fields = [f"{key}={getattr(self, key)}" for key in self._fields + ("base_lr", "last_epoch")]
        return f"{type(self).__name__}({', '.join(fields)})"


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size)."""

    _fields = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        whole = isinstance(step_size, int | np.integer)
        _check("StepLR", "step_size", step_size, whole and step_size >= 1, "an integer >= 1")
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch."""

    _fields = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2."""

    _fields = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        super().__init__(optimizer)
        _check("CosineAnnealingLR", "T_max", T_max, T_max > 0, "> 0")
        self.T_max, self.eta_min = T_max, eta_min

    def lr_at(self, epoch: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
