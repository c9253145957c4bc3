"""ModuleList and ModuleDict: sub-modules held in a list or by name, their parameters registered (PyTorch's API).

Like ``Sequential``, each child is an attribute of the container ("0", "1", ... or the key), so
``named_parameters`` and ``state_dict`` name its weights ``"0.weight"`` or ``"key.weight"`` as PyTorch does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..errors import ArgumentError, DataError, GraphIndexError
from .modules import Module


def _module(m: Any, where: str) -> Module:
    if not isinstance(m, Module):
        raise DataError(f"{where}: expected a Module, got {type(m).__name__}")
    return m


class ModuleList(Module):
    """A list of modules (no ``forward`` of its own: the owner decides how to call them)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        self._items: list[Module] = []
        if modules is not None:
            self.extend(modules)

    def _renumber(self) -> None:
        for name in [k for k in vars(self) if not k.startswith("_")]:
            object.__delattr__(self, name)
        for i, m in enumerate(self._items):
            setattr(self, str(i), m)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end."""
        self._items.append(_module(module, "ModuleList.append"))
        setattr(self, str(len(self._items) - 1), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add every module of ``modules`` at the end."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index``."""
        self._items.insert(index, _module(module, "ModuleList.insert"))
        self._renumber()

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return ModuleList(self._items[i])
        try:
            return self._items[i]
        except IndexError:
            raise GraphIndexError(f"ModuleList: index {i} is out of range for {len(self._items)} modules") from None

    def __setitem__(self, i: int, module: Module) -> None:
        try:
            self._items[i] = _module(module, "ModuleList")
        except IndexError:
            raise GraphIndexError(f"ModuleList: index {i} is out of range for {len(self._items)} modules") from None
        self._renumber()

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items)


class ModuleDict(Module):
    """Modules by name (in insertion order); ``d["key"]`` gets one."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        self._items: dict[str, Module] = {}
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key or key.startswith("_") or "." in key or hasattr(type(self), key):
            raise ArgumentError(f"ModuleDict: {key!r} cannot name a module (a non-empty string, no '.', not "
                                "starting with '_', not a method name such as 'train' or 'keys')")
        self._items[key] = _module(module, "ModuleDict")
        setattr(self, key, module)

    def __getitem__(self, key: str) -> Module:
        try:
            return self._items[key]
        except KeyError:
            raise KeyError(f"ModuleDict: no module named {key!r}; it holds {list(self._items)}") from None

    def __delitem__(self, key: str) -> None:
        del self._items[key]
        object.__delattr__(self, key)

    def update(self, modules: Mapping[str, Module]) -> None:
        """Add (or replace) the modules of ``modules``."""
        for k, m in modules.items():
            self[k] = m

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def keys(self) -> Iterable[str]:
        """The names, in insertion order."""
        return self._items.keys()

    def values(self) -> Iterable[Module]:
        """The modules, in insertion order."""
        return self._items.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        """(name, module) pairs, in insertion order."""
        return self._items.items()
