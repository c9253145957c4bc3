"""Optimizers (SGD, Adam, AdamW) and learning-rate schedules, with PyTorch's update rules.

``step()`` changes ``p.data`` in place. For tensor parameters every buffer it
needs (momentum, Adam's moments, a small scratch block) is allocated on the
first step and reused after, so the steady state allocates nothing; scalar
parameters (micrograd-style Values) simply get new floats.

``state_dict()`` / ``load_state_dict()`` (optimizers and schedules) save and
restore everything a run needs to continue exactly, in PyTorch's layout.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .dataview import DataView
from .engine import Value
from .errors import ArgumentError, DataError, ShapeError, StateDictError, fmt_shape

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
    _state_names: dict[str, str] = {}  # per-parameter state kept by state_dict: our name -> PyTorch's

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

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and per-parameter state (copies), keyed by parameter index as in PyTorch.

        >>> from tinygrad_edu import Value, optim
        >>> opt = optim.SGD([Value([1.0, 2.0])], lr=0.1, momentum=0.9)
        >>> opt.state_dict()["param_groups"][0]["params"], opt.state_dict()["state"]
        ([0], {})
        """
        state = {}
        for i, kept in enumerate(self.state):
            entry = {public: _copied(kept[ours]) for ours, public in self._state_names.items() if ours in kept}
            if entry:
                state[i] = entry
        group: dict[str, Any] = {key: getattr(self, key) for key in self._hyperparameters}
        group["params"] = list(range(len(self.params)))
        return {"state": state, "param_groups": [group]}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``; one that does not fit these parameters is refused and nothing changes."""
        op = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            got = sorted(state_dict) if isinstance(state_dict, Mapping) else type(state_dict).__name__
            raise StateDictError(f"{op}: expected a dict with keys 'param_groups' and 'state', got {got}")
        groups = state_dict["param_groups"]
        if not isinstance(groups, list | tuple) or len(groups) != 1 or not isinstance(groups[0], Mapping):
            raise StateDictError(f"{op}: expected one parameter group, got {groups!r:.200}")
        group = groups[0]
        expected = set(self._hyperparameters) | {"params"}
        if set(group) != expected:
            raise StateDictError(f"{op}: the parameter group has keys {sorted(group)}, expected {sorted(expected)}")
        ids = group["params"]
        if not isinstance(ids, list | tuple) or len(ids) != len(self.params):
            count = len(ids) if isinstance(ids, list | tuple) else ids
            raise StateDictError(f"{op}: the state dict is for {count} parameters, "
                                 f"this optimizer has {len(self.params)}")
        position = {_index(op, i): n for n, i in enumerate(ids)}
        if len(position) != len(ids):
            raise StateDictError(f"{op}: parameter indices repeat: {list(ids)}")
        hyper = {key: group[key] for key in self._hyperparameters}
        try:  # the constructor's own checks, on a throwaway optimizer
            probe = type(self)(self.params, **hyper)
        except (ArgumentError, TypeError) as e:
            raise ArgumentError(f"{op}: {e}") from None
        new_state: list[dict[str, Any]] = [{} for _ in self.params]
        saved = state_dict["state"]
        if not isinstance(saved, Mapping):
            raise StateDictError(f"{op}: 'state' must be a dict of parameter index -> state, "
                                 f"got {type(saved).__name__}")
        ours = {public: name for name, public in self._state_names.items()}
        for key, entry in saved.items():
            n = position.get(_index(op, key))
            if n is None:
                raise StateDictError(f"{op}: state for parameter {key!r}, which is not in the parameter group")
            if not isinstance(entry, Mapping):
                raise StateDictError(f"{op}: the state of parameter {key} must be a dict, got {type(entry).__name__}")
            if entry and set(entry) != set(ours):
                raise StateDictError(f"{op}: the state of parameter {key} has keys {sorted(entry)}, "
                                     f"expected {sorted(ours)}")
            for public, value in entry.items():
                new_state[n][ours[public]] = _restored(op, f"state[{key}][{public!r}]", value, self.params[n],
                                                       whole=public == "step")
        for key in self._hyperparameters:  # everything checked: now change the optimizer
            setattr(self, key, getattr(probe, key))
        self.state = new_state

    def zero_grad(self) -> None:
        """Reset the gradients: None for tensors, 0.0 for scalar Values."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Update every parameter that has a gradient (all gradients are checked before any update)."""
        grads = [self._checked_grad(i, p) for i, p in enumerate(self.params)]
        for p, g, state in zip(self.params, grads, self.state):
            if g is None:
                continue
            if p.data.__class__ is float:
                p.data = self._update_scalar(p.data, float(g), state)
            else:
                self._update_array(p.numpy(), g, state)  # (the stored array itself, not the .data view)

    def _checked_grad(self, i: int, p: Value) -> Any:
        """Parameter i's gradient as raw data, or a clear error if it is not numbers of the parameter's shape."""
        g = p.grad
        if g.__class__ is DataView:  # what backward leaves: compute on the plain array (faster in NumPy)
            g = g.view(np.ndarray)
        elif isinstance(g, Value):  # left by backward(create_graph=True)
            g = g.numpy()
        x = p.data
        if g is None or (g.__class__ is np.ndarray and g.shape == x.shape and g.dtype.kind == "f"):
            return g  # (the common case, checked first)
        if x.__class__ is float and isinstance(g, float | int | np.floating | np.integer) and not isinstance(g, bool):
            return g
        arr = np.asarray(g) if not isinstance(g, str | bytes) else np.asarray(None)
        real = arr.dtype.kind in "biuf"
        if real and arr.shape == np.shape(x):
            return arr.astype(np.result_type(x), copy=False) if x.__class__ is not float else float(arr)
        where = f"{type(self).__name__}.step: parameter {i}{f' ({p.label})' if p.label else ''}"
        if not real:
            raise DataError(f"{where} has a .grad of {type(g).__name__} {g!r:.40}, not real numbers (nothing was "
                            "updated)")
        raise ShapeError(f"{where} has shape {fmt_shape(np.shape(x))} but its .grad has shape "
                         f"{fmt_shape(arr.shape)}; they must be equal (nothing was updated)")

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


def _copied(value: Any) -> Any:
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def _index(op: str, key: Any) -> int:
    """A parameter index: an int, or its digits as a string (JSON object keys)."""
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        return int(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    raise StateDictError(f"{op}: parameter indices must be integers, got {key!r}")


def _restored(op: str, what: str, value: Any, p: Value, whole: bool) -> Any:
    """A saved state entry as the optimizer keeps it: an int step, a float (scalar p) or an array like p."""
    arr = np.asarray(value.data if isinstance(value, Value) else value)
    if arr.dtype.kind not in "fiub" or arr.dtype == object:
        raise DataError(f"{op}: {what} must be numeric, got {type(value).__name__}")
    if whole:
        if arr.shape != () or arr != np.floor(arr) or arr < 0:
            raise DataError(f"{op}: {what} must be a whole number >= 0, got {value!r}")
        return int(arr)
    if p.data.__class__ is float:
        if arr.shape != ():
            raise ShapeError(f"{op}: {what} has shape {fmt_shape(arr.shape)}, but the parameter is a scalar")
        return float(arr)
    if arr.shape != p.data.shape:
        raise ShapeError(f"{op}: {what} has shape {fmt_shape(arr.shape)}, the parameter {fmt_shape(p.data.shape)}")
    return np.array(arr, dtype=p.data.dtype, copy=True)  # (PyTorch also casts the state to the parameter's dtype)


class SGD(Optimizer):
    """Stochastic gradient descent: x <- x - lr * d, with optional momentum and weight decay.

    d = g + weight_decay * x; with momentum, buf <- momentum * buf + (1 - dampening) * d
    (buf = d on the first step) and d = buf, or d + momentum * buf for Nesterov.
    """

    _hyperparameters = ("lr", "momentum", "dampening", "weight_decay", "nesterov")
    _state_names = {"buf": "momentum_buffer"}

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
    _state_names = {"t": "step", "m": "exp_avg", "v": "exp_avg_sq"}
    _decay_in_gradient = True  # Adam: weight decay is an L2 term in the gradient; AdamW: see there

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        name = type(self).__name__  # Adam or AdamW
        _check(name, "eps", eps, eps >= 0, ">= 0")
        _check(name, "betas", betas, isinstance(betas, tuple | list) and len(betas) == 2, "a pair (beta1, beta2)")
        betas = (betas[0], betas[1])
        for i, beta in enumerate(betas):
            _check(name, f"betas[{i}]", beta, 0 <= beta < 1, "in [0, 1)")
        _check(name, "weight_decay", weight_decay, weight_decay >= 0, ">= 0")
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay

    def _update_scalar(self, x: float, g: float, state: dict[str, Any]) -> float:
        b1, b2 = self.betas
        if self._decay_in_gradient:
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
        tmp = state.get("scratch")
        if tmp is None:  # (first step, or the first after load_state_dict)
            tmp = state["scratch"] = np.empty_like(x)
        m, v = state["m"], state["v"]
        state["t"] += 1
        t = state["t"]
        if self._decay_in_gradient:
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


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): x <- x (1 - lr wd), then Adam's step.

    The decay shrinks the weights directly instead of entering the moments, so it is not scaled down by
    Adam's 1/sqrt(v); ``weight_decay`` defaults to 0.01, as in ``torch.optim.AdamW``.
    """

    _decay_in_gradient = False

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

    def _update_scalar(self, x: float, g: float, state: dict[str, Any]) -> float:
        return super()._update_scalar(x * (1.0 - self.lr * self.weight_decay), g, state)

    def _update_array(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.weight_decay:
            x *= 1.0 - self.lr * self.weight_decay  # x <- x (1 - lr wd), in place
        super()._update_array(x, g, state)


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

    def state_dict(self) -> dict[str, Any]:
        """The schedule's settings, ``base_lr`` and ``last_epoch`` (the optimizer keeps its own lr)."""
        return {key: getattr(self, key) for key in self._fields + ("base_lr", "last_epoch")}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``; a wrong one is refused and nothing changes."""
        op = f"{type(self).__name__}.load_state_dict"
        expected = set(self._fields) | {"base_lr", "last_epoch"}
        if not isinstance(state_dict, Mapping) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, Mapping) else type(state_dict).__name__
            raise StateDictError(f"{op}: expected keys {sorted(expected)}, got {got}")
        base_lr, last_epoch = state_dict["base_lr"], state_dict["last_epoch"]
        number = isinstance(base_lr, int | float) and not isinstance(base_lr, bool)
        _check(op, "base_lr", base_lr, number and base_lr >= 0, "a number >= 0")
        whole = isinstance(last_epoch, int | np.integer) and not isinstance(last_epoch, bool)
        _check(op, "last_epoch", last_epoch, whole and last_epoch >= 0, "an integer >= 0")
        try:  # the constructor's own checks, on a throwaway schedule
            probe = type(self)(self.optimizer, **{key: state_dict[key] for key in self._fields})
        except (ArgumentError, TypeError) as e:
            raise ArgumentError(f"{op}: {e}") from None
        for key in self._fields:
            setattr(self, key, getattr(probe, key))
        self.base_lr, self.last_epoch = base_lr, int(last_epoch)

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
