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


def load(path: PathArg) -> OrderedDict[str, np.ndarray]:
    """Read a safetensors file into ``{name: numpy array}``; a damaged or foreign file raises SerializationError."""
    from safetensors.numpy import load as from_bytes

    path = os.fsdecode(path)
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
