"""``save`` and ``load`` of state dicts in the safetensors format (no pickle).

Names and layouts are PyTorch's (``0.weight`` of shape (out, in) ...), so a
file written here loads into a ``torch.nn.Module`` of the same shape with
``safetensors.torch.load_file`` + ``load_state_dict``, and the other way round.
Writes are atomic: the data goes to a temporary file beside the target,
which is flushed to disk and then renamed over it, so a save interrupted at
any point (an exception, SIGKILL, a power cut) leaves the previous file or the
new one, complete, never a mix. Details a user may meet:

- The temporary file is ``.<target name>.tmp-<pid>-<16 hex digits>``. A save
  killed before its rename leaves one; the next save of the same target
  deletes those whose writer process is gone (or that are an hour old, for a
  pid reused since), and leaves those of saves still running. Other files are
  never touched. (The pid is looked up on this machine: two machines saving
  the same target in one shared folder at the same moment may remove each
  other's temporary file; that save then fails with SerializationError and the
  target stays whole.)
- A symlink is written through: the link stays, the file it points to (or
  will point to) is replaced, with its temporary file beside it.
- The new file gets the usual permissions (0666 minus the umask), or keeps
  the mode of the file it replaces (not its owner, nor its other hard links:
  a rename gives the name a new file, as ``os.replace`` always does).
- Only regular files are written or read: a directory, a FIFO or a device
  (``/dev/null`` too) is refused with SerializationError, before any open
  that could block; a header claiming more bytes than the file has is
  refused after reading its first 8 bytes.
- Paths may be ``str``, ``bytes`` or ``os.PathLike``; every failure of the
  file system is a SerializationError naming the path (the OSError as its
  ``__cause__``).

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

import contextlib
import json
import os
import re
import secrets
import stat
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from .engine import Value
from .errors import SerializationError

_MAGIC_LIMIT = 100 * 1024 * 1024  # a header larger than this is not a real safetensors file
_STALE_AFTER = 3600.0  # seconds: a temporary file this old is stale even if a process of its pid runs

PathArg = str | bytes | os.PathLike[str] | os.PathLike[bytes]


def _as_array(name: str, value: Any) -> np.ndarray:
    if isinstance(value, Value):
        value = value.data
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub" or arr.dtype == object:
        raise SerializationError(f"save: entry {name!r} is not a numeric array (got {type(value).__name__})")
    return arr if arr.flags.c_contiguous else arr.copy()  # (ascontiguousarray would make 0-d arrays 1-d)


def save(state_dict: Mapping[str, Any], path: PathArg) -> None:
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
    _write_atomic(path, to_bytes(tensors, metadata=metadata))


def _write_atomic(path: PathArg, blob: bytes) -> None:
    """Put ``blob`` at ``path`` atomically: a temporary file beside the (symlink-resolved) target, flushed to disk,
    renamed over it; the old file's mode is kept, stale temporary files of the same target are removed."""
    shown = os.fsdecode(path)
    real = os.path.realpath(shown)  # through symlinks: the link stays, its target gets the new data
    try:
        info: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        info = None
    except OSError as e:
        raise SerializationError(f"save: cannot write {shown!r}: {e.strerror}") from e
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise SerializationError(f"save: cannot write {shown!r}: it is a directory")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise SerializationError(
            f"save: cannot write {shown!r}: it is not a regular file (a {_kind(info.st_mode)}); "
            "save replaces regular files only"
        )
    folder, name = os.path.split(real)
    _remove_stale_temps(folder, name)
    tmp = os.path.join(folder, f"{_temp_prefix(name)}{os.getpid()}-{secrets.token_hex(8)}")
    created = False
    try:
        # mode 0o666: the kernel takes the umask off, as for any file opened for writing (no umask read or set)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        created = True
        with os.fdopen(fd, "wb") as f:
            if info is not None:
                os.chmod(tmp, stat.S_IMODE(info.st_mode))  # overwriting: the file keeps its permissions
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, real)
        created = False
    except OSError as e:
        raise SerializationError(f"save: cannot write {shown!r}: {e.strerror or e}") from e
    finally:
        if created:  # any failure, KeyboardInterrupt included: no temporary file is left behind
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _fsync_folder(folder)


def _temp_prefix(name: str) -> str:
    """``.<target name>.tmp-``: a temporary file names its target (cut short if the name is very long)."""
    while len(os.fsencode(name)) > 200:
        name = name[:-1]
    return f".{name}.tmp-"


def _remove_stale_temps(folder: str, name: str) -> None:
    """Delete the temporary files a killed save of ``name`` left: their writer is dead, or they are an hour old."""
    pattern = re.compile(re.escape(_temp_prefix(name)) + r"(\d+)-[0-9a-f]{16}")
    try:
        entries = os.listdir(folder)
    except OSError:
        return  # the save itself reports what is wrong with the folder
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match is None:
            continue
        full = os.path.join(folder, entry)
        try:
            stale = not _alive(int(match.group(1))) or time.time() - os.lstat(full).st_mtime > _STALE_AFTER
            if stale:
                os.unlink(full)
        except OSError:
            continue  # gone already (another save cleaned it), or not ours to remove


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (on Windows, where os.kill would end it, always True)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # alive but another user's (or an impossible pid: leave it to the age rule)
    return True


def _fsync_folder(folder: str) -> None:
    """Flush the rename to disk too (POSIX); where folders cannot be opened this is a no-op."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    kinds = [(stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"),
             (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket")]
    return next((kind for test, kind in kinds if test(mode)), "special file")


def load(path: PathArg) -> dict[str, Any]:
    """Read a safetensors file: ``{name: numpy array}`` (an OrderedDict), or the nested checkpoint it holds.

    A damaged or foreign file raises SerializationError.
    """
    from safetensors.numpy import load as from_bytes

    path = os.fsdecode(path)
    blob = _read_file(path)
    header_len = int.from_bytes(blob[:8], "little")
    try:
        tensors = from_bytes(blob)
    except Exception as e:  # safetensors raises its own error types, and ValueError/TypeError
        raise SerializationError(f"load: {path!r} is corrupted or not a safetensors file: {e}") from None
    return _unflatten(tensors, _header_metadata(blob, header_len), path)


def _read_file(path: PathArg) -> bytes:
    """The bytes of the safetensors file at ``path``: only a regular file, and only as many bytes as its header
    length and its size allow (a lying header is refused after reading 8 bytes)."""
    shown = os.fsdecode(path)
    try:
        # look before opening: opening a FIFO blocks until a writer comes, a device may act on open
        if not stat.S_ISREG(mode := os.stat(shown).st_mode):
            raise SerializationError(f"load: {shown!r} is not a regular file (a {_kind(mode)})")
        fd = os.open(shown, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise SerializationError(f"load: cannot read {shown!r}: {e.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):  # swapped for something else between the stat and the open
            raise SerializationError(f"load: {shown!r} is not a regular file (a {_kind(info.st_mode)})")
        size = info.st_size
        if size < 8:
            raise SerializationError(f"load: {shown!r} is not a safetensors file ({size} bytes, too short)")
        head = f.read(8)
        header_len = int.from_bytes(head, "little")
        if header_len > min(size - 8, _MAGIC_LIMIT):
            raise SerializationError(
                f"load: {shown!r} is not a safetensors file, or it is truncated (header says {header_len} bytes, "
                f"the file has {size})"
            )
        blob = head + f.read(size - 8)
    if len(blob) != size or blob[8:9] != b"{":
        raise SerializationError(
            f"load: {shown!r} is not a safetensors file, or it is truncated (header says {header_len} bytes, "
            f"the file has {len(blob)})"
        )
    return blob


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

