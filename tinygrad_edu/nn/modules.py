"""Modules: micrograd's scalar Neuron/Layer/MLP and PyTorch-style tensor layers.

A ``Module`` finds its parameters by looking at its attributes: Values that
are leaves requiring a gradient, other Modules, and lists or tuples of either
(micrograd's ``self.w = [...]``, ``self.layers = [...]``). Names are dotted
paths like PyTorch's (``layers.0.weight``, ``layers.1.neurons.3.w.0``), and
each parameter's ``label`` is kept equal to its name so drawings show it.
"""

from __future__ import annotations

import math
import os
import random
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ..autograd import name_scope
from ..engine import Operand, Value
from ..errors import DataError, ShapeError, StateDictError, fmt_shape
from . import functional as F
from . import init


class Parameter(Value):
    """A trainable Value, as PyTorch's ``nn.Parameter``: a leaf (holding a copy of ``data``) that requires grad.

    Every layer here makes its weights Parameters; the results of ops on them
    are plain Values, as in PyTorch.

    >>> w = Parameter(np.ones(3))
    >>> isinstance(w, Parameter), isinstance(w * 2, Parameter), isinstance(w, Value)
    (True, False, True)
    """

    __slots__ = ()  # no new fields: a Parameter is a Value node of the same size

    def __init__(self, data: Any, requires_grad: bool = True, *, dtype: Any = None, copy: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, copy=copy)

    def __repr__(self) -> str:
        if self.data.__class__ is float:  # micrograd's scalar weights print as micrograd prints them
            return super().__repr__()
        return "Parameter containing:\n" + super().__repr__()


def _empty_parameter(shape: tuple[int, ...], dtype: Any) -> Parameter:
    """A parameter of ``shape`` to be filled by an initialiser (no copy, no float64 detour)."""
    return Parameter(np.empty(shape, dtype=dtype), copy=False)


def _check_inputs(module: str, x: Any, nin: int) -> None:
    """A scalar layer's input must be a sequence of exactly ``nin`` numbers or Values."""
    try:
        n = len(x)
    except (TypeError, ShapeError):  # a number, or a 0-d Value
        raise DataError(f"{module}: expected a list of {nin} inputs, got {type(x).__name__}") from None
    if n != nin:
        raise ShapeError(f"{module}: expected {nin} inputs, got {n}")


def _members(value: Any, name: str) -> Iterator[tuple[str, Any]]:
    """(name, item) for an attribute that is a Value, a Module or a list/tuple of them."""
    if isinstance(value, Value | Module):
        yield name, value
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if isinstance(item, Value | Module):
                yield f"{name}.{i}", item


class Module:
    """Base class of every layer and network: parameters, state dicts, train/eval.

    Subclasses define ``forward`` (or, micrograd style, only keep parameters);
    calling a module runs ``forward`` inside a name scope, so drawings can
    group the nodes it creates.
    """

    training = True
    _scope_tag = ":Module"  # name_scope entered by __call__: "<name in parent>:<class>"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._scope_tag = f":{cls.__name__}"  # a root module's tag; a parent sets its children's

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name.startswith("_"):
            return
        # name children and label parameters by their path from here (a parent
        # that later adopts this module re-labels them with its own prefix)
        for path, item in _members(value, name):
            if isinstance(item, Module):
                object.__setattr__(item, "_scope_tag", f"{path}:{type(item).__name__}")
                for sub, p in item.named_parameters(prefix=path):
                    p.label = sub
            elif item.requires_grad and item.is_leaf:
                item.label = path

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with name_scope(self._scope_tag):
            return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    # ---- traversal (iterative: modules can nest deeply) -----------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct sub-modules."""
        for name, value in vars(self).items():
            if not name.startswith("_"):
                for path, item in _members(value, name):
                    if isinstance(item, Module):
                        yield path, item

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and all below it, parents first."""
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            kids = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """This module and all below it."""
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """(dotted name, parameter) in definition order, each parameter once."""
        seen: set[Value] = set()
        for mod_name, module in self.named_modules(prefix):
            for name, value in vars(module).items():
                if name.startswith("_"):
                    continue
                for path, item in _members(value, name):
                    if isinstance(item, Value) and item.requires_grad and item.is_leaf and item not in seen:
                        seen.add(item)
                        yield (f"{mod_name}.{path}" if mod_name else path), item

    # ---- buffers: state that is saved but not trained (batch norm's running statistics) ----
    def register_buffer(self, name: str, tensor: np.ndarray | None) -> None:
        """Keep ``tensor`` (a NumPy array, or None) as attribute ``name``, saved in ``state_dict`` but not trained."""
        if tensor is not None and not isinstance(tensor, np.ndarray):
            raise DataError(f"register_buffer: {name!r} must be a NumPy array or None, got {type(tensor).__name__}")
        object.__setattr__(self, name, tensor)
        names = vars(self).setdefault("_buffer_names", [])
        if name not in names:
            names.append(name)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """(dotted name, array) for the buffers of this module and all below it (None buffers skipped)."""
        for mod_name, module in self.named_modules(prefix):
            for name in vars(module).get("_buffer_names", ()):
                buf = getattr(module, name)
                if buf is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), buf

    def buffers(self) -> list[np.ndarray]:
        """All buffers, in the order of ``named_buffers``."""
        return [b for _, b in self.named_buffers()]

    def parameters(self) -> list[Value]:
        """All parameters, in the order of ``named_parameters``."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (0.0 for scalars, None for tensors)."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and all below it."""
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (``train(False)``)."""
        return self.train(False)

    def num_parameters(self) -> int:
        """Total number of scalar parameters."""
        return sum(p.size for p in self.parameters())

    # ---- state -------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Parameter and buffer name -> a copy of its data as a NumPy array (0-d for scalar Values)."""
        state = OrderedDict((name, np.array(p.data)) for name, p in self.named_parameters())
        state.update((name, np.array(b)) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters and buffers; with ``strict`` every name must match both ways.

        All or nothing: every entry is checked (names, shapes, real numbers that convert to the parameter's
        dtype) before any parameter is written, so on an error the module is exactly as it was.
        """
        where = f"load_state_dict into {type(self).__name__}"
        if not isinstance(state_dict, Mapping):
            raise DataError(f"{where}: expected a mapping of names to arrays, got {type(state_dict).__name__}")
        params = dict(self.named_parameters())
        params.update((name, Value(b, copy=False)) for name, b in self.named_buffers())  # views: written in place
        missing = [k for k in params if k not in state_dict]
        unexpected = [k for k in state_dict if k not in params]
        if strict and (missing or unexpected):
            raise StateDictError(f"{where}: missing keys {missing}, unexpected keys {unexpected}")
        staged = [(p, _converted(where, name, p, state_dict[name])) for name, p in params.items() if name in state_dict]
        for p, new in staged:  # nothing below can fail: same shapes, same dtypes, private copies
            if p.data.__class__ is float:
                p.data = new
            else:
                p.data[...] = new

    def save(self, path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> None:
        """Write the state dict to ``path`` (safetensors, atomically)."""
        from ..serialization import save

        save(self.state_dict(), path)

    def load(self, path: str | bytes | os.PathLike[str] | os.PathLike[bytes], strict: bool = True) -> Module:
        """Read a state dict written by ``save`` (or PyTorch's safetensors) into this module (all or nothing)."""
        from ..serialization import load

        self.load_state_dict(load(path), strict=strict)
        return self

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        kids = list(self.named_children())
        for name, child in kids:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + ("\n)" if kids else ")")

    def extra_repr(self) -> str:
        """Arguments shown inside ``ClassName(...)``; subclasses override it."""
        return ""


def _converted(where: str, name: str, p: Value, value: Any) -> Any:
    """``value`` as ``p`` holds it (a float, or an array of p's dtype, copied), or the error that says why not."""
    source = value.data if isinstance(value, Value) else value
    try:
        new = np.asarray(source)
    except Exception as e:  # a ragged list, a tensor that requires grad ...: NumPy cannot make an array of it
        new, why = np.asarray(None), f" ({e})"
    else:
        why = ""
    if new.dtype.kind not in "biuf":
        what = "None" if source is None else f"a {type(source).__name__}{why}" if new.dtype == object else \
            f"an array of {new.dtype}"
        raise DataError(
            f"{where}: {name!r} is {what}, not real numbers; expected an array of shape {fmt_shape(p.shape)} "
            f"that converts to {'float' if p.data.__class__ is float else p.data.dtype}"
        )
    if new.shape != p.shape:
        raise ShapeError(
            f"load_state_dict: {name!r} has shape {fmt_shape(p.shape)} in the module but "
            f"{fmt_shape(new.shape)} in the state dict"
        )
    if p.data.__class__ is float:
        return float(new)
    if not p.data.flags.writeable:
        raise DataError(f"{where}: the parameter {name!r} holds a read-only array; it cannot be loaded into")
    return np.array(new, dtype=p.data.dtype, copy=True)  # a copy: sources aliasing other parameters stay intact


def parameter_table(model: Module) -> list[dict[str, Any]]:
    """Weights, biases and total per layer (the model's direct sub-modules), then a total row.

    Reproduces the lectures' count for a 4-5-5-3-2 network: 25 + 30 + 18 + 8 = 81.
    """
    rows: list[dict[str, Any]] = []
    layers = [(n, m) for n, m in model.named_children() if m.parameters()] or [("", model)]
    for name, layer in layers:
        weights = biases = 0
        for pname, p in layer.named_parameters():
            kind = pname.split(".")[-1] if not pname.split(".")[-1].isdigit() else pname.split(".")[-2]
            if kind in ("bias", "b"):
                biases += p.size
            else:
                weights += p.size
        rows.append({"layer": name or type(layer).__name__, "weights": weights, "biases": biases,
                     "total": weights + biases})
    rows.append({"layer": "total", "weights": sum(r["weights"] for r in rows),
                 "biases": sum(r["biases"] for r in rows), "total": sum(r["total"] for r in rows)})
    return rows


def format_parameter_table(model: Module) -> str:
    """``parameter_table`` as aligned text."""
    rows = parameter_table(model)
    out = [f"{'layer':<12}{'weights':>9}{'biases':>8}{'total':>8}"]
    for r in rows:
        out.append(f"{r['layer']:<12}{r['weights']:>9}{r['biases']:>8}{r['total']:>8}")
    return "\n".join(out)


# ---- micrograd's scalar layers: every weight its own Value ------------------------------
class Neuron(Module):
    """One neuron, sum_i w_i x_i + b, then ReLU unless ``nonlin=False`` (micrograd's API and numbers)."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        self.w = [Parameter(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Parameter(0)
        self.nonlin = nonlin

    def forward(self, x: list[Any]) -> Value:
        _check_inputs("Neuron", x, len(self.w))
        act = self.b  # b + w1 x1 + w2 x2 + ..., added in micrograd's order
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        return act.relu() if self.nonlin else act

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs (micrograd's API)."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
        self._nin = nin  # (private: not a parameter, and not in micrograd's repr)

    def forward(self, x: list[Any]) -> Value | list[Value]:
        _check_inputs("Layer", x, self._nin)
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Scalar layers of sizes ``nin -> nouts[0] -> ... -> nouts[-1]``, ReLU between (micrograd's API)."""

    def __init__(self, nin: int, nouts: list[int]) -> None:
        sz = [nin] + list(nouts)
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]
        self._nin = nin

    def forward(self, x: list[Any]) -> Any:
        _check_inputs("MLP", x, self._nin)
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


# ---- tensor layers, PyTorch's names and layouts ------------------------------------------
class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features), as in PyTorch.

    Initialised like PyTorch: W ~ U(-1/sqrt(in), 1/sqrt(in)) (Kaiming uniform
    with a = sqrt(5)), and the same range for b.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = np.float32,
        generator: np.random.Generator | None = None,
    ) -> None:
        self.in_features, self.out_features = in_features, out_features
        self.weight = init.kaiming_uniform_(
            _empty_parameter((out_features, in_features), dtype), a=math.sqrt(5), generator=generator
        )
        bound = 1.0 / math.sqrt(in_features) if in_features else 0.0
        self.bias = init.uniform_(_empty_parameter((out_features,), dtype), -bound, bound, generator) if bias else None

    def forward(self, x: Operand) -> Value:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Sequential(Module):
    """Modules applied one after the other; children are named "0", "1", ..."""

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def _layers(self) -> list[Module]:
        return [m for _, m in self.named_children()]

    def forward(self, x: Any) -> Any:
        for m in vars(self).values():  # the children, in order (attributes "0", "1", ...)
            if isinstance(m, Module):
                x = m(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self._layers()[i]

    def __len__(self) -> int:
        return len(self._layers())

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers())


class Identity(Module):
    """Returns its input."""

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Flattens all axes after the first (the batch axis)."""

    def forward(self, x: Operand) -> Value:
        x = F._value(x, "flatten")
        return x.reshape(x.shape[0], -1)
