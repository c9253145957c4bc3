"""MNIST from the standard IDX files, and a shuffling mini-batch iterator.

Where the files are looked for, in order:

1. the ``root`` argument;
2. ``$TINYGRAD_EDU_DATA/mnist``;
3. the user cache, ``$XDG_CACHE_HOME/tinygrad_edu/mnist`` (default ``~/.cache/...``).

If none holds them and ``download=True``, they are downloaded into the cache
from public mirrors, with a progress bar, to a temporary file that is renamed
only after its decompressed contents match the published SHA-256.

IDX format (big-endian): a magic number (2051 for images, 2049 for labels),
the item count, then rows and columns for images; then one unsigned byte per
pixel or label.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.request
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

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

_COUNTS = {"train": 60000, "test": 10000}


def cache_dir() -> Path:
    """The user cache folder for MNIST."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tinygrad_edu" / "mnist"


def _candidates(root: str | os.PathLike[str] | None) -> list[Path]:
    places = []
    if root is not None:
        places.append(Path(root))
    if os.environ.get("TINYGRAD_EDU_DATA"):
        places.append(Path(os.environ["TINYGRAD_EDU_DATA"]) / "mnist")
    places.append(cache_dir())
    return places


def find_mnist(root: str | os.PathLike[str] | None = None) -> Path | None:
    """The first folder that holds all four MNIST files, or None."""
    for place in _candidates(root):
        if all((place / name).is_file() for name in FILES.values()):
            return place
    return None


def _decompress(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DatasetError(f"{path}: not a readable gzip file ({e})") from None


def parse_idx(raw: bytes, name: str, expect_images: bool) -> np.ndarray:
    """Decode an IDX byte string: uint8 images (N, rows, cols) or labels (N,)."""
    magic = 2051 if expect_images else 2049
    header = 16 if expect_images else 8
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
    need = int(np.prod(shape))
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


def _download(name: str, folder: Path) -> None:
    from tqdm import tqdm

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DatasetError(f"cannot create the cache folder {folder} ({e}).\n{_local_files_hint()}") from None
    errors = []
    for mirror in MIRRORS:
        url = mirror + name
        fd, tmp = tempfile.mkstemp(prefix=".download-", dir=folder)
        try:
            with urllib.request.urlopen(url, timeout=60) as response, os.fdopen(fd, "wb") as out:
                total = int(response.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, desc=name) as bar:
                    while chunk := response.read(1 << 16):
                        out.write(chunk)
                        bar.update(len(chunk))
            digest = hashlib.sha256(_decompress(Path(tmp))).hexdigest()
            if digest != SHA256[name]:
                raise DatasetError(f"{url}: checksum mismatch (got {digest}, expected {SHA256[name]})")
            os.replace(tmp, folder / name)
            return
        except (OSError, http.client.HTTPException, DatasetError) as e:  # (URLError is an OSError)
            errors.append(f"{url}: {e}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise DatasetError(
        f"could not download {name} (no network?):\n  " + "\n  ".join(errors) + f"\n{_local_files_hint()}"
    )


def _verified(path: Path, raw: bytes) -> bytes:
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256[path.name]:
        raise DatasetError(
            f"{path}: SHA-256 of the decompressed file is {digest}, expected {SHA256[path.name]}: the file is "
            "corrupted or not the MNIST file; delete it to download it again"
        )
    return raw


def load_mnist(
    split: str = "train",
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    flatten: bool = True,
    verify: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images as float32 in [0, 1], shaped (N, 784) (or (N, 28, 28)), and int64 labels.

    >>> x, y = load_mnist("test")                      # doctest: +SKIP
    >>> x.shape, x.dtype, y[:5]                        # doctest: +SKIP
    ((10000, 784), dtype('float32'), array([7, 2, 1, 0, 4]))
    """
    if split not in _COUNTS:
        raise ArgumentError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    folder = find_mnist(root)
    if folder is None:
        if not download:
            places = ", ".join(str(p) for p in _candidates(root))
            raise DatasetError(f"MNIST files not found in {places} (and download=False).\n{_local_files_hint()}")
        folder = cache_dir()
        for name in FILES.values():
            if not (folder / name).is_file():
                _download(name, folder)
    arrays = []
    for kind in ("images", "labels"):
        path = folder / FILES[(split, kind)]
        raw = _decompress(path)
        if verify:
            raw = _verified(path, raw)
        arrays.append(parse_idx(raw, str(path), expect_images=kind == "images"))
    images, labels = arrays
    if len(images) != len(labels):
        raise DatasetError(f"{folder}: {len(images)} images but {len(labels)} labels in the {split} split")
    x = images.astype(np.float32) / np.float32(255.0)
    return (x.reshape(len(x), -1) if flatten else x), labels.astype(np.int64)


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
