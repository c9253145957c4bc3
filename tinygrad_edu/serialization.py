"""``save`` and ``load`` of state dicts in the safetensors format (no pickle).

Names and layouts are PyTorch's (``0.weight`` of shape (out, in) ...), so a
file written here loads into a ``torch.nn.Module`` of the same shape with
``safetensors.torch.load_file`` + ``load_state_dict``, and the other way round.
Writes are atomic: the data goes to a temporary file in the same folder,
which is flushed to disk and then renamed over the target, so an interrupted
save never leaves a half-written file in place of the previous one. The file
gets the usual permissions (0666 minus the umask), or keeps those of the file
it replaces.
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
    """Write ``{name: array or Value}`` to ``path`` as safetensors, atomically.

    >>> import numpy as np, tempfile, os
    >>> from tinygrad_edu import save, load
    >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    >>> save({"weight": np.eye(2, dtype=np.float32)}, path)
    >>> load(path)["weight"]
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    from safetensors.numpy import save as to_bytes

    if not isinstance(state_dict, Mapping):
        raise SerializationError(f"save: expected a mapping of names to arrays, got {type(state_dict).__name__}")
    tensors = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise SerializationError(f"save: names must be strings, got {name!r}")
        tensors[name] = _as_array(name, value)
    # safetensors sorts names; the module's own order is kept in the metadata for load()
    metadata = {"format": "pt", "writer": "tinygrad_edu", "order": json.dumps(list(tensors))}
    _write_atomic(path, to_bytes(tensors, metadata=metadata))


def _write_atomic(path: str | os.PathLike[str], blob: bytes) -> None:
    """Put ``blob`` at ``path`` atomically: a temporary file beside it, flushed to disk, renamed over it."""
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


def load(path: str | os.PathLike[str]) -> OrderedDict[str, np.ndarray]:
    """Read a safetensors file into ``{name: numpy array}``; a damaged or foreign file raises SerializationError."""
    from safetensors.numpy import load as from_bytes

    path = os.fspath(path)
    blob = _read_file(path)
    header_len = int.from_bytes(blob[:8], "little")
    try:
        tensors = from_bytes(blob)
    except Exception as e:  # safetensors raises its own error types, and ValueError/TypeError
        raise SerializationError(f"load: {path!r} is corrupted or not a safetensors file: {e}") from None
    order = _saved_order(blob, header_len)
    if sorted(order) != sorted(tensors):
        order = sorted(tensors, key=_natural_key)
    return OrderedDict((name, tensors[name]) for name in order)


def _read_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the safetensors file at ``path``, after checking its 8-byte header length against its size."""
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
    return blob


def _saved_order(blob: bytes, header_len: int) -> list[str]:
    """The names in the order ``save`` was given them (from the header's metadata), or []."""
    try:
        metadata = json.loads(blob[8 : 8 + header_len]).get("__metadata__") or {}
        order = json.loads(metadata.get("order", "[]"))
    except (ValueError, AttributeError):
        return []
    return order if isinstance(order, list) and all(isinstance(n, str) for n in order) else []


def _natural_key(name: str) -> list[Any]:
    # "layers.10.weight" after "layers.2.weight", as the module defines them
    return [int(part) if part.isdigit() else part for part in name.split(".")]
