"""``save`` and ``load`` of state dicts in the safetensors format (no pickle).

Names and layouts are PyTorch's (``0.weight`` of shape (out, in) ...), so a
file written here loads into a ``torch.nn.Module`` of the same shape with
``safetensors.torch.load_file`` + ``load_state_dict``, and the other way round.
Writes are atomic: the data goes to a temporary file in the same folder,
which is flushed to disk and then renamed over the target, so an interrupted
save never leaves a half-written file in place of the previous one. The file
gets the usual permissions (0666 minus the umask), or keeps those of the file
it replaces.

A flat ``{name: array}`` (a model's state dict) is written as plain tensors and
loads back as an OrderedDict in the saved order. Anything else is a nested
checkpoint (dicts, lists and tuples of arrays, numbers, strings, booleans and
None, PyTorch style: ``{"model": ..., "optimizer": opt.state_dict(), "step": 3}``):
its arrays become tensors under dotted names (``optimizer.state.0.exp_avg``),
and the structure with everything else goes to the header's metadata as JSON
(entry ``checkpoint``), where ints of any size and floats are exact. ``load``
gives the same structure back: dicts (int keys kept), lists, tuples, numbers
and strings as saved, arrays as NumPy arrays (Values and NumPy scalars come back
as arrays).
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from .engine import Value
from .errors import SerializationError

_MAGIC_LIMIT = 100 * 1024 * 1024  # a header larger than this is not a real safetensors file


def _as_array(name: str, value: Any) -> np.ndarray:
    if isinstance(value, Value):
        value = value.data
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub" or arr.dtype == object:
        raise SerializationError(f"save: entry {name!r} is not a numeric array (got {type(value).__name__})")
    return arr if arr.flags.c_contiguous else arr.copy()  # (ascontiguousarray would make 0-d arrays 1-d)


def save(state_dict: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``{name: array or Value}``, or a nested checkpoint, to ``path`` as safetensors, atomically.

    >>> import numpy as np, tempfile, os
    >>> from tinygrad_edu import save, load
    >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    >>> save({"weight": np.eye(2, dtype=np.float32)}, path)
    >>> load(path)["weight"]
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    from safetensors.numpy import save as to_bytes

    tensors, metadata = _flatten(state_dict)
    blob = to_bytes(tensors, metadata=metadata)
    path = os.fspath(path)
    try:
        keep = stat.S_IMODE(os.stat(path).st_mode)  # overwriting: the file keeps its permissions
    except FileNotFoundError:
        keep = None
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), f".tmp-{secrets.token_hex(8)}.safetensors")
    # mode 0o666: the kernel takes the umask off, as for any file opened for writing (no umask is read or set here)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            if keep is not None:
                os.chmod(tmp, keep)
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a safetensors file: ``{name: numpy array}`` (an OrderedDict), or the nested checkpoint it holds.

    A damaged or foreign file raises SerializationError.
    """
    from safetensors.numpy import load as from_bytes

    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise SerializationError(f"load: cannot read {path!r}: {e.strerror}") from None
    if len(blob) < 8:
        raise SerializationError(f"load: {path!r} is not a safetensors file ({len(blob)} bytes, too short)")
    header_len = int.from_bytes(blob[:8], "little")
    if header_len > min(len(blob) - 8, _MAGIC_LIMIT) or blob[8:9] != b"{":
        raise SerializationError(
            f"load: {path!r} is not a safetensors file, or it is truncated (header says {header_len} bytes, "
            f"the file has {len(blob)})"
        )
    try:
        tensors = from_bytes(blob)
    except Exception as e:  # safetensors raises its own error types, and ValueError/TypeError
        raise SerializationError(f"load: {path!r} is corrupted or not a safetensors file: {e}") from None
    return _unflatten(tensors, _header_metadata(blob, header_len), path)


def _natural_key(name: str) -> list[Any]:
    # "layers.10.weight" after "layers.2.weight", as the module defines them
    return [int(part) if part.isdigit() else part for part in name.split(".")]


# ---- the encoding: a nested checkpoint <-> tensors + metadata ------------------------------
_DEPTH_LIMIT = 100  # deeper than this is a list or dict that contains itself
_TAGS = ("$tensor", "$tuple", "$dict")  # a JSON object with one of these as its only key is not a plain dict


def _is_array(value: Any) -> bool:
    return isinstance(value, np.ndarray | np.generic | Value)


def _flatten(checkpoint: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The tensors of ``checkpoint`` under dotted names, and the header metadata (str -> str) for the rest."""
    if not isinstance(checkpoint, Mapping):
        raise SerializationError(f"save: expected a mapping of names to arrays, got {type(checkpoint).__name__}")
    for name in checkpoint:
        if not isinstance(name, str):
            raise SerializationError(f"save: names must be strings, got {name!r}")
    tensors: dict[str, np.ndarray] = {}
    # safetensors sorts names; the module's own order is kept in the metadata for load()
    metadata = {"format": "pt", "writer": "tinygrad_edu"}
    if all(_is_array(value) for value in checkpoint.values()):  # a model's state dict: plain tensors, as always
        for name, value in checkpoint.items():
            tensors[name] = _as_array(name, value)
    else:
        skeleton = _encode(checkpoint, "", tensors, 0)
        metadata["checkpoint"] = json.dumps(skeleton)  # (floats are written by repr: exact)
    metadata["order"] = json.dumps(list(tensors))
    return tensors, metadata


def _encode(value: Any, where: str, tensors: dict[str, np.ndarray], depth: int) -> Any:
    """``value`` as JSON-ready data, its arrays moved to ``tensors`` and replaced by {"$tensor": name}."""
    if depth > _DEPTH_LIMIT:
        raise SerializationError(f"save: entry {where!r} is nested deeper than {_DEPTH_LIMIT} levels "
                                 "(does a list or dict contain itself?)")
    if _is_array(value):
        name, n = where, 1
        while name in tensors:  # {"a.b": x, "a": {"b": y}} would give both the name a.b
            name, n = f"{where}#{n}", n + 1
        tensors[name] = _as_array(where, value)
        return {"$tensor": name}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        items = [_encode(v, f"{where}.{i}", tensors, depth + 1) for i, v in enumerate(value)]
        return items if isinstance(value, list) else {"$tuple": items}
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise SerializationError(f"save: keys must be strings or ints, got {key!r} in {where or 'the top'!r}")
        pairs = [(key, _encode(v, f"{where}.{key}" if where else str(key), tensors, depth + 1))
                 for key, v in value.items()]
        if all(isinstance(key, str) and not key.startswith("$") for key, _ in pairs):
            return dict(pairs)
        return {"$dict": [list(pair) for pair in pairs]}  # int keys (and keys that look like tags) kept as they are
    raise SerializationError(
        f"save: entry {where!r} is not a numeric array (got {type(value).__name__}); a checkpoint holds arrays, "
        "numbers, strings, booleans, None, and lists, tuples and dicts of them"
    )


def _header_metadata(blob: bytes, header_len: int) -> dict[str, str]:
    """The header's ``__metadata__`` (str -> str), or {}."""
    try:
        metadata = json.loads(blob[8 : 8 + header_len]).get("__metadata__") or {}
    except (ValueError, AttributeError):
        return {}
    return metadata if isinstance(metadata, dict) else {}


def _unflatten(tensors: dict[str, np.ndarray], metadata: dict[str, str], path: str) -> dict[str, Any]:
    """The checkpoint ``save`` was given: the nested structure, or the flat OrderedDict in the saved order."""
    skeleton = metadata.get("checkpoint") if metadata.get("writer") == "tinygrad_edu" else None
    if skeleton is None:
        try:
            order = json.loads(metadata.get("order", "[]"))
        except ValueError:
            order = []
        names_ok = isinstance(order, list) and all(isinstance(n, str) for n in order)
        if not names_ok or sorted(order) != sorted(tensors):
            order = sorted(tensors, key=_natural_key)
        return OrderedDict((name, tensors[name]) for name in order)
    used: set[str] = set()
    try:
        checkpoint = _decode(json.loads(skeleton), tensors, used)
    except (ValueError, TypeError, KeyError) as e:
        raise SerializationError(f"load: {path!r} has a corrupted checkpoint structure in its metadata: {e}") from None
    if not isinstance(checkpoint, dict) or used != set(tensors):
        raise SerializationError(f"load: {path!r} has a checkpoint structure that does not match its tensors "
                                 f"(tensors not in it: {sorted(set(tensors) - used)})")
    return checkpoint


def _decode(data: Any, tensors: dict[str, np.ndarray], used: set[str]) -> Any:
    """The inverse of ``_encode``."""
    if isinstance(data, list):
        return [_decode(v, tensors, used) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1 and next(iter(data)) in _TAGS:
        tag, body = next(iter(data.items()))
        if tag == "$tensor":
            if body not in tensors:
                raise KeyError(f"no tensor named {body!r}")
            used.add(body)
            return tensors[body]
        if tag == "$tuple":
            return tuple(_decode(v, tensors, used) for v in body)
        return {key: _decode(v, tensors, used) for key, v in body}  # "$dict": [[key, value], ...]
    return {key: _decode(v, tensors, used) for key, v in data.items()}

