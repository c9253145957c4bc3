"""MNIST from the standard IDX files, the makemore names, and a shuffling mini-batch iterator.

Where the files are looked for, in order (``<set>`` is ``mnist`` or ``names``):

1. the ``root`` argument: when given, it must hold the files, or the error names it and what is missing;
2. ``$TINYGRAD_EDU_DATA/<set>``;
3. the user cache, ``$XDG_CACHE_HOME/tinygrad_edu/<set>`` (default ``~/.cache/...``).

If neither 2 nor 3 holds them and ``download=True``, they are downloaded into the cache
from public mirrors, with a progress bar, to a temporary file that is renamed
only after its contents match the published SHA-256. One file from one mirror
must arrive within ``DOWNLOAD_DEADLINE`` seconds (a mirror silent for
``READ_TIMEOUT`` seconds is given up at once), and may not be larger than the file can be.

IDX format (big-endian): a magic number (2051 for images, 2049 for labels),
the item count, then rows and columns for images; then one unsigned byte per
pixel or label. A file is inflated no further than its header announces, and
never past the size of the real MNIST file: a gzip bomb costs nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import stat
import tempfile
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .errors import ArgumentError, DatasetError, ShapeError
from .random import resolve

FILES = {
    ("train", "images"): "train-images-idx3-ubyte.gz",
    ("train", "labels"): "train-labels-idx1-ubyte.gz",
    ("test", "images"): "t10k-images-idx3-ubyte.gz",
    ("test", "labels"): "t10k-labels-idx1-ubyte.gz",
}

#: SHA-256 of the decompressed IDX files (the published MNIST contents).
SHA256 = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: The makemore names (Karpathy's lectures): one lower-case name a line, its public copy and its SHA-256.
NAMES_FILE = "names.txt"
NAMES_URL = "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt"
NAMES_SHA256 = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"
_NAMES_SIZE = 228145  # bytes of the published file
_NAMES_LIMIT = 64 << 20  # the largest names file read when verify=False

DOWNLOAD_DEADLINE = 600.0  # seconds for one file from one mirror, from the request to the last byte
READ_TIMEOUT = 30.0  # seconds a mirror may stay silent (never more than the deadline)

_COUNTS = {"train": 60000, "test": 10000}
_CLASSES = 10
_HEADER = {True: 16, False: 8}  # IDX header bytes of images / labels
_MAGIC = {True: 2051, False: 2049}
#: decompressed size of each MNIST file: the hard bound of the inflation
_SIZES = {name: _HEADER[kind == "images"] + _COUNTS[split] * (784 if kind == "images" else 1)
          for (split, kind), name in FILES.items()}


def cache_dir(dataset: str = "mnist") -> Path:
    """The user cache folder of a data set (``mnist`` or ``names``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tinygrad_edu" / dataset


def _implicit_places(dataset: str) -> list[Path]:
    places = []
    if os.environ.get("TINYGRAD_EDU_DATA"):
        places.append(Path(os.environ["TINYGRAD_EDU_DATA"]) / dataset)
    places.append(cache_dir(dataset))
    return places


def _problem(path: Path, want_dir: bool) -> str | None:
    """Why ``path`` is not a usable folder (or regular file), or None."""
    try:
        mode = path.stat().st_mode  # follows links: a loop or a dangling link fails here
    except OSError as e:
        return "missing" if isinstance(e, FileNotFoundError) and not want_dir else (e.strerror or str(e))
    if want_dir and not stat.S_ISDIR(mode):
        return "not a folder"
    if not want_dir and not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def _checked_root(root: str | os.PathLike[str], names: Sequence[str], dataset: str) -> Path:
    """The explicit ``root``, if it holds every file of ``names``; otherwise an error naming it."""
    place = Path(root)
    problem = _problem(place, want_dir=True)
    if problem is None:
        bad = [(name, _problem(place / name, want_dir=False)) for name in names]
        problems = [f"{name}: {why}" for name, why in bad if why is not None]
        if not problems:
            return place
        problem = "the folder does not hold the data set (" + "; ".join(problems) + ")"
    raise DatasetError(
        f"root={place}: {problem}. Expected the files {', '.join(names)} there (or leave root=None to search "
        f"$TINYGRAD_EDU_DATA/{dataset} and the cache {cache_dir(dataset)}, downloading what is missing)"
    )


def _find(root: str | os.PathLike[str] | None, dataset: str, names: Sequence[str]) -> Path | None:
    if root is not None:
        return _checked_root(root, names, dataset)
    for place in _implicit_places(dataset):
        if all((place / name).is_file() for name in names):
            return place
    return None


def find_mnist(root: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder holding the four MNIST files: ``root`` (or an error naming it), else the first found, or None."""
    return _find(root, "mnist", list(FILES.values()))


def _read_limited(f: gzip.GzipFile, buf: bytearray, start: int) -> int:
    n = start
    while n < len(buf) and (chunk := f.read(min(1 << 20, len(buf) - n))):
        buf[n : n + len(chunk)] = chunk
        n += len(chunk)
    return n


def _inflate(path: Path, name: str, label: str | None = None) -> bytearray:
    """The decompressed contents of the MNIST file ``name`` stored at ``path``, inflated no further than
    the size its IDX header announces, itself no more than the real MNIST file's size."""
    label = label or str(path)
    images = "images" in name
    header, limit = _HEADER[images], _SIZES[name]
    try:
        with gzip.open(path, "rb") as f:
            head = f.read(header)
            bound = limit  # with a bad magic or a short header, parse_idx says what is wrong
            announced = len(head) == header and int.from_bytes(head[:4], "big") == _MAGIC[images]
            if announced:
                dims = [int.from_bytes(head[i : i + 4], "big") for i in range(4, header, 4)]
                bound = header + int(np.prod(dims, dtype=object))
                if bound > limit:
                    shape = f"{dims[0]} images of {dims[1]}x{dims[2]}" if images else f"{dims[0]} labels"
                    raise DatasetError(
                        f"{label}: the IDX header announces {shape} ({bound} bytes), more than the {limit} bytes "
                        f"of the MNIST file {name}: the file is corrupted or not MNIST"
                    )
            buf = bytearray(bound)
            buf[: len(head)] = head
            n = _read_limited(f, buf, len(head))
            extra = f.read(1) if n == bound else b""
    except (OSError, EOFError, zlib.error) as e:
        raise DatasetError(f"{label}: not a readable gzip file ({e})") from None
    if extra:
        what = "its IDX header announces" if announced else "the MNIST file holds"
        raise DatasetError(
            f"{label}: inflates to more than the {bound} bytes {what}: the file is corrupted "
            "(or a decompression bomb); reading stopped there"
        )
    del buf[n:]
    return buf


def parse_idx(raw: bytes | bytearray, name: str, expect_images: bool) -> np.ndarray:
    """Decode an IDX byte string: uint8 images (N, rows, cols) or labels (N,)."""
    magic = _MAGIC[expect_images]
    header = _HEADER[expect_images]
    if len(raw) < header:
        raise DatasetError(f"{name}: file is truncated ({len(raw)} bytes, the header alone needs {header})")
    got = int.from_bytes(raw[:4], "big")
    if got != magic:
        what = "images" if expect_images else "labels"
        raise DatasetError(f"{name}: bad magic number {got}, expected {magic} ({what})")
    count = int.from_bytes(raw[4:8], "big")
    shape: tuple[int, ...] = (count,)
    if expect_images:
        shape = (count, int.from_bytes(raw[8:12], "big"), int.from_bytes(raw[12:16], "big"))
    need = int(np.prod(shape, dtype=object))
    if len(raw) - header != need:
        raise DatasetError(
            f"{name}: header promises {count} items ({need} bytes of data) but the file holds {len(raw) - header}"
            " bytes: it is truncated or corrupted"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _local_files_hint() -> str:
    return (
        "To use MNIST files you already have, pass their folder as load_mnist(root=...), or set the "
        "environment variable TINYGRAD_EDU_DATA to a folder whose mnist/ subfolder holds them: "
        + ", ".join(FILES.values())
    )


def _names_hint() -> str:
    return (
        f"To use a {NAMES_FILE} you already have, pass its folder as load_names(root=...), or set the "
        f"environment variable TINYGRAD_EDU_DATA to a folder whose names/ subfolder holds it"
    )


def _content_length(value: str | None) -> int | None:
    """The Content-Length header as a byte count, or None when absent or not a count."""
    try:
        length = int(value or "")
    except ValueError:
        return None
    return length if length >= 0 else None


class _DeadlinePassed(Exception):
    pass


def _fetch(url: str, out: BinaryIO, limit: int, desc: str) -> tuple[int, int | None]:
    """Copy ``url`` into ``out`` within DOWNLOAD_DEADLINE seconds and ``limit`` bytes; (received, announced)."""
    from tqdm import tqdm

    deadline = float(DOWNLOAD_DEADLINE)
    silence = min(float(READ_TIMEOUT), deadline)  # the socket's timeout for any one read
    start = time.monotonic()
    received, announced = 0, None
    try:
        with urllib.request.urlopen(url, timeout=silence) as response:
            announced = _content_length(response.headers.get("Content-Length"))
            if announced is not None and announced > limit:
                raise DatasetError(f"{url}: Content-Length {announced} is more than the {limit} bytes the file can be")
            read = getattr(response, "read1", response.read)  # one socket read at a time, so the clock is seen
            with tqdm(total=announced, unit="B", unit_scale=True, desc=desc) as bar:
                while chunk := read(1 << 16):
                    received += len(chunk)
                    if received > limit:
                        raise DatasetError(f"{url}: sent more than {limit} bytes, more than the file can be; stopped")
                    out.write(chunk)
                    bar.update(len(chunk))
                    if time.monotonic() - start > deadline:
                        raise _DeadlinePassed
    except (_DeadlinePassed, TimeoutError) as e:
        if isinstance(e, TimeoutError) and time.monotonic() - start < deadline:
            raise DatasetError(f"{url}: the mirror sent nothing for {silence:g} s (timed out)") from None
        of = f" of {announced}" if announced is not None else ""
        raise DatasetError(
            f"{url}: the download did not finish within the deadline of {deadline:g} s ({received}{of} bytes "
            "received): the mirror is stalled or too slow (datasets.DOWNLOAD_DEADLINE sets the deadline)"
        ) from None
    return received, announced


def _download(name: str, folder: Path, urls: Sequence[str], check: Callable[[Path, str], None], limit: int,
              hint: str, looked: str = "") -> None:
    """Download ``name`` into ``folder`` from the first of ``urls`` whose copy passes ``check``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DatasetError(f"cannot create the cache folder {folder} ({e}).\n{hint}") from None
    errors = []
    for url in urls:
        fd, tmp = tempfile.mkstemp(prefix=".download-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                received, announced = _fetch(url, out, limit, name)
            try:
                check(Path(tmp), url)
            except DatasetError as e:
                if announced is not None and received != announced:
                    raise DatasetError(f"{e} (received {received} bytes, but its Content-Length announced "
                                       f"{announced})") from None
                raise
            os.replace(tmp, folder / name)
            return
        except (OSError, http.client.HTTPException, DatasetError) as e:  # (URLError is an OSError)
            errors.append(f"{e}" if isinstance(e, DatasetError) else f"{url}: {e}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise DatasetError(
        f"could not download {name} (no network?){looked}:\n  " + "\n  ".join(errors) + f"\n{hint}"
    )


def _check_mnist(name: str) -> Callable[[Path, str], None]:
    def check(path: Path, url: str) -> None:
        digest = hashlib.sha256(_inflate(path, name, label=url)).hexdigest()
        if digest != SHA256[name]:
            raise DatasetError(f"{url}: checksum mismatch (got {digest}, expected {SHA256[name]})")

    return check


def _verified(path: Path, raw: bytes | bytearray, expected: str, what: str, whose: str) -> None:
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected:
        raise DatasetError(
            f"{path}: SHA-256 of the {what} is {digest}, expected {expected}: the file is corrupted or not "
            f"{whose}; delete it to download it again (or pass verify=False to use it unchecked)"
        )


def _not_found(what: str, dataset: str, download: bool) -> str:
    places = ", ".join(str(p) for p in _implicit_places(dataset))
    return f"{what} not found in {places}" + ("" if download else " (and download=False)")


def _looked(dataset: str) -> str:
    return "; first looked for in " + ", ".join(str(p) for p in _implicit_places(dataset))


def load_mnist(
    split: str = "train",
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    flatten: bool = True,
    verify: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images as float32 in [0, 1], shaped (N, 784) (or (N, 28, 28)), and int64 labels in 0..9.

    An explicit ``root`` must hold the four files (nothing is downloaded into it); without it,
    ``$TINYGRAD_EDU_DATA/mnist`` and the cache are searched, then the files are downloaded.

    >>> x, y = load_mnist("test")                      # doctest: +SKIP
    >>> x.shape, x.dtype, y[:5]                        # doctest: +SKIP
    ((10000, 784), dtype('float32'), array([7, 2, 1, 0, 4]))
    """
    if split not in _COUNTS:
        raise ArgumentError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    folder = find_mnist(root)
    if folder is None:
        if not download:
            raise DatasetError(_not_found("MNIST files", "mnist", download) + f".\n{_local_files_hint()}")
        folder = cache_dir()
        looked = _looked("mnist")
        for name in FILES.values():
            if not (folder / name).is_file():
                urls = [mirror + name for mirror in MIRRORS]
                limit = _SIZES[name] + _SIZES[name] // 100 + 1024  # stored deflate blocks grow by 5 bytes in 64 kB
                _download(name, folder, urls, _check_mnist(name), limit, _local_files_hint(), looked)
    arrays = []
    for kind in ("images", "labels"):
        path = folder / FILES[(split, kind)]
        raw = _inflate(path, path.name)
        if verify:
            _verified(path, raw, SHA256[path.name], "decompressed file", "the MNIST file")
        arrays.append(parse_idx(raw, str(path), expect_images=kind == "images"))
    images, labels = arrays
    if len(images) != len(labels):
        raise DatasetError(f"{folder}: {len(images)} images but {len(labels)} labels in the {split} split")
    if len(labels) and int(labels.max()) >= _CLASSES:
        i = int(np.argmax(labels >= _CLASSES))
        raise DatasetError(f"{folder / FILES[(split, 'labels')]}: label {labels[i]} at index {i} is outside "
                           f"0..{_CLASSES - 1} (MNIST has {_CLASSES} classes): the file is corrupted")
    x = images.astype(np.float32) / np.float32(255.0)
    return (x.reshape(len(x), -1) if flatten else x), labels.astype(np.int64)


def _read_file(path: Path, limit: int, label: str | None = None) -> bytes:
    with open(path, "rb") as f:
        raw = f.read(limit + 1)
    if len(raw) > limit:
        raise DatasetError(f"{label or path}: more than {limit} bytes, more than the file can be")
    return raw


def _check_names(path: Path, url: str) -> None:
    digest = hashlib.sha256(_read_file(path, _NAMES_SIZE, url)).hexdigest()
    if digest != NAMES_SHA256:
        raise DatasetError(f"{url}: checksum mismatch (got {digest}, expected {NAMES_SHA256})")


def load_names(root: str | os.PathLike[str] | None = None, download: bool = True, verify: bool = True) -> list[str]:
    """The 32,033 lower-case first names of Karpathy's makemore lectures, in the file's order.

    Found like MNIST (``root``, ``$TINYGRAD_EDU_DATA/names``, the cache), else downloaded from NAMES_URL.

    >>> names = load_names()                           # doctest: +SKIP
    >>> len(names), names[:3]                          # doctest: +SKIP
    (32033, ['emma', 'olivia', 'ava'])
    """
    folder = _find(root, "names", [NAMES_FILE])
    if folder is None:
        if not download:
            raise DatasetError(_not_found(NAMES_FILE, "names", download) + f".\n{_names_hint()}")
        folder = cache_dir("names")
        looked = _looked("names")
        _download(NAMES_FILE, folder, [NAMES_URL], _check_names, _NAMES_SIZE, _names_hint(), looked)
    path = folder / NAMES_FILE
    raw = _read_file(path, _NAMES_SIZE if verify else _NAMES_LIMIT)
    if verify:
        _verified(path, raw, NAMES_SHA256, "file", "the makemore names file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DatasetError(f"{path}: not a UTF-8 text file of names ({e})") from None
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if not names:
        raise DatasetError(f"{path}: holds no names (expected one name a line)")
    return names


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    shuffle: bool = True,
    generator: np.random.Generator | None = None,
    drop_last: bool = False,
) -> Batches:
    """Mini-batches (x[i], y[i]) covering the data once, in an order shuffled by ``generator``.

    The order is drawn at the first batch; ``state_dict()`` reports it and the position
    reached, so a run checkpointed during an epoch resumes with the batch that follows.
    """
    return Batches(x, y, batch_size, shuffle, generator, drop_last)


class Batches(Iterator[tuple[np.ndarray, np.ndarray]]):
    """One pass over (x, y) in mini-batches, which can report and restore its position (see ``batches``).

    >>> import numpy as np
    >>> x, y = np.arange(10.0), np.arange(10)
    >>> it = batches(x, y, 4, generator=np.random.default_rng(0))
    >>> _ = next(it)
    >>> again = batches(x, y, 4)
    >>> again.load_state_dict(it.state_dict())
    >>> [b.tolist() for _, b in again] == [b.tolist() for _, b in it]
    True
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = True,
                 generator: np.random.Generator | None = None, drop_last: bool = False) -> None:
        if len(x) != len(y):
            raise ShapeError(f"batches: x has {len(x)} rows but y has {len(y)}")
        if not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ArgumentError(f"batches: batch_size must be an integer >= 1, got {batch_size!r}")
        self.x, self.y, self.batch_size = x, y, int(batch_size)
        self.shuffle, self.generator = shuffle, generator
        self._stop = len(x) - (len(x) % batch_size if drop_last else 0)  # (rows past it are dropped)
        self._order: np.ndarray | None = None  # drawn at the first batch (as the generator function did)
        self._position = 0  # batches given so far

    def __len__(self) -> int:
        """The number of batches in the pass."""
        return -(-self._stop // self.batch_size)

    def __next__(self) -> tuple[np.ndarray, np.ndarray]:
        if self._order is None:
            self._order = resolve(self.generator).permutation(len(self.x)) if self.shuffle else np.arange(len(self.x))
        start = self._position * self.batch_size
        if start >= self._stop:
            raise StopIteration
        self._position += 1
        idx = self._order[start : min(start + self.batch_size, self._stop)]
        return self.x[idx], self.y[idx]

    def state_dict(self) -> dict[str, Any]:
        """The order of the pass (None before the first batch: it is not drawn yet) and the batches given."""
        order = None if self._order is None else self._order.copy()
        return {"order": order, "position": self._position, "batch_size": self.batch_size, "rows": len(self.x)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue a pass from its ``state_dict()``; one made for other data or batches is refused, nothing changed."""
        expected = {"order", "position", "batch_size", "rows"}
        if not isinstance(state, Mapping) or set(state) != expected:
            got = sorted(state) if isinstance(state, Mapping) else type(state).__name__
            raise ArgumentError(f"batches.load_state_dict: expected keys {sorted(expected)}, got {got}")
        if state["rows"] != len(self.x) or state["batch_size"] != self.batch_size:
            raise ArgumentError(
                f"batches.load_state_dict: the state is for {state['rows']} rows in batches of {state['batch_size']}, "
                f"this iterator has {len(self.x)} rows in batches of {self.batch_size}"
            )
        position, order = state["position"], state["order"]
        whole = isinstance(position, int | np.integer) and not isinstance(position, bool)
        if not whole or not 0 <= position <= len(self):
            raise ArgumentError(f"batches.load_state_dict: position must be an integer in [0, {len(self)}], "
                                f"got {position!r}")
        if order is not None:
            order = np.asarray(order)
            n = len(self.x)
            if order.shape != (n,) or order.dtype.kind not in "iu" or not np.array_equal(np.sort(order), np.arange(n)):
                raise ArgumentError(f"batches.load_state_dict: order must be a permutation of range({n})")
            order = order.astype(np.intp)
        elif position:
            raise ArgumentError("batches.load_state_dict: a state past the first batch must have its order")
        self._order, self._position = order, int(position)
