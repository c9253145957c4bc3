"""Faults in data loading (issue 11, items 11-14): gzip bombs, stalled mirrors, bad Content-Length, unusable
``root=`` folders, out-of-range labels. No network: a local HTTP server on 127.0.0.1 plays the mirrors."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import threading
import time
import tracemalloc
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import datasets
from tinygrad_edu.datasets import DatasetError

ZEROS_MB = 200  # what the bombs inflate to
ONE_MB_OF_ZEROS = gzip.compress(bytes(1 << 20), compresslevel=9)  # a gzip member of about 1 kB


def _idx(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    return magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims) + payload


def _tiny_mnist(labels: bytes = bytes([3, 1])) -> dict[str, bytes]:
    """The decompressed contents of four small IDX files with the MNIST names (len(labels) images each)."""
    n = len(labels)
    raw = {}
    for (_split, kind), name in datasets.FILES.items():
        raw[name] = _idx(2051, (n, 28, 28), bytes(n * 784)) if kind == "images" else _idx(2049, (n,), labels)
    return raw


def _write(folder: Path, raw: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, contents in raw.items():
        (folder / name).write_bytes(gzip.compress(contents))
    return folder


def _bomb(path: Path, header: bytes) -> None:
    """A .gz file whose IDX ``header`` is followed by 200 MB of zeros: written as concatenated gzip members
    (a reader inflates them as one stream), so the file is built in a few milliseconds and never held inflated."""
    with open(path, "wb") as f:
        f.write(gzip.compress(header))
        for _ in range(ZEROS_MB):
            f.write(ONE_MB_OF_ZEROS)


def _peak_bytes(fn) -> tuple[BaseException | None, int]:
    tracemalloc.start()
    try:
        fn()
        error = None
    except BaseException as e:  # noqa: BLE001 (returned to the test, which checks its type)
        error = e
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return error, peak


# ---- 11. gzip bombs: the IDX header (and the known MNIST size) bound the inflation ---------------------------
@pytest.mark.parametrize("verify", [False, True])
def test_gzip_bomb_stops_at_the_size_the_header_announces(monkeypatch, tmp_path, verify) -> None:
    raw = _tiny_mnist()
    monkeypatch.setattr(datasets, "SHA256", {n: hashlib.sha256(r).hexdigest() for n, r in raw.items()})
    folder = _write(tmp_path / "mnist", raw)
    name = datasets.FILES[("test", "labels")]
    _bomb(folder / name, _idx(2049, (2,), b""))  # two labels announced, 200 MB follow
    start = time.monotonic()
    error, peak = _peak_bytes(lambda: datasets.load_mnist("test", root=folder, download=False, verify=verify))
    assert isinstance(error, DatasetError), error
    assert f"{folder / name}" in str(error) and "more than the 10 bytes its IDX header announces" in str(error)
    assert peak < 8 << 20, f"inflating the bomb allocated {peak >> 20} MB"
    assert time.monotonic() - start < 5


def test_gzip_bomb_with_mnist_sized_header_stops_after_the_mnist_size(tmp_path) -> None:
    folder = _write(tmp_path / "mnist", _tiny_mnist())
    name = datasets.FILES[("test", "images")]
    _bomb(folder / name, _idx(2051, (10000, 28, 28), b""))  # the real test-set header, then 200 MB
    error, peak = _peak_bytes(lambda: datasets.load_mnist("test", root=folder, download=False, verify=False))
    assert isinstance(error, DatasetError) and "more than the 7840016 bytes" in str(error), error
    assert peak < 7840016 + (8 << 20), f"inflating the bomb allocated {peak >> 20} MB"


def test_header_announcing_more_than_mnist_is_refused_before_reading(tmp_path) -> None:
    folder = _write(tmp_path / "mnist", _tiny_mnist())
    name = datasets.FILES[("test", "images")]
    _bomb(folder / name, _idx(2051, (2**32 - 1, 28, 28), b""))
    start = time.monotonic()
    error, peak = _peak_bytes(lambda: datasets.load_mnist("test", root=folder, download=False, verify=False))
    assert isinstance(error, DatasetError), error
    message = str(error)
    assert name in message and "4294967295 images of 28x28" in message and "7840016 bytes" in message
    assert peak < 8 << 20 and time.monotonic() - start < 1


# ---- 12. downloads: an overall deadline, a bound on the size, Content-Length checked -----------------------
class _Mirror(http.server.BaseHTTPRequestHandler):
    """GET /<behaviour>/<file name>: serve the file (from ``server.files``) well or in one of several bad ways."""

    def do_GET(self) -> None:
        behaviour, name = self.path.strip("/").split("/")
        body = self.server.files[name]  # type: ignore[attr-defined]
        stop: threading.Event = self.server.stop  # type: ignore[attr-defined]
        if behaviour == "mute":  # accepts the connection, never answers
            stop.wait(10)
            return
        length = {"short": len(body) - 10, "cut": len(body) + 10, "long": len(body) + 100, "text": "12abc",
                  "huge": 10**12, "stall": 1000, "silent": 1000}.get(behaviour, len(body))
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        try:
            if behaviour == "stall":  # alive, but one byte at a time (at most 10 s, then it hangs up)
                for _ in range(100):
                    self.wfile.write(b"\x1f")
                    self.wfile.flush()
                    if stop.wait(0.1):
                        break
            elif behaviour == "silent":  # the headers, then nothing
                stop.wait(10)
            else:
                self.wfile.write(body[:-10] if behaviour == "cut" else body)
        except OSError:  # the client gave up
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def mirror(monkeypatch, tmp_path) -> Iterator[tuple[str, dict[str, bytes]]]:
    """A local mirror serving a tiny MNIST look-alike; the checksums are patched to match it."""
    raw = _tiny_mnist()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Mirror)
    server.daemon_threads = True
    server.files = {name: gzip.compress(r) for name, r in raw.items()}  # type: ignore[attr-defined]
    server.stop = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setattr(datasets, "SHA256", {n: hashlib.sha256(r).hexdigest() for n, r in raw.items()})
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", raw
    finally:
        server.stop.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize("behaviour", ["stall", "silent", "mute"])
def test_stalled_mirror_hits_the_deadline(monkeypatch, mirror, tmp_path, behaviour) -> None:
    base, _ = mirror
    monkeypatch.setattr(datasets, "MIRRORS", (f"{base}/{behaviour}/",))
    monkeypatch.setattr(datasets, "DOWNLOAD_DEADLINE", 1.0, raising=False)
    start = time.monotonic()
    with pytest.raises(DatasetError) as info:
        datasets.load_mnist("test")
    elapsed = time.monotonic() - start
    assert elapsed < 1.0 + 1.5, f"the download took {elapsed:.1f} s with a deadline of 1 s"
    message = str(info.value)
    for words in (f"{base}/{behaviour}/train-images-idx3-ubyte.gz", "deadline of 1 s", "root=", "TINYGRAD_EDU_DATA"):
        assert words in message
    assert list((tmp_path / "tinygrad_edu" / "mnist").iterdir()) == []  # no partial file left


def test_stalled_mirror_falls_through_to_the_next(monkeypatch, mirror) -> None:
    base, raw = mirror
    monkeypatch.setattr(datasets, "MIRRORS", (f"{base}/stall/", f"{base}/good/"))
    monkeypatch.setattr(datasets, "DOWNLOAD_DEADLINE", 0.3, raising=False)
    start = time.monotonic()
    x, y = datasets.load_mnist("test")
    assert y.tolist() == [3, 1] and x.shape == (2, 784)
    assert time.monotonic() - start < 4 * 0.3 + 3


def test_bad_content_length_is_handled_and_the_checksum_decides(monkeypatch, mirror, tmp_path) -> None:
    base, raw = mirror
    size = len(gzip.compress(raw["train-images-idx3-ubyte.gz"]))
    monkeypatch.setattr(datasets, "MIRRORS", tuple(f"{base}/{b}/" for b in ("short", "cut", "huge")))
    with pytest.raises(DatasetError) as info:
        datasets.load_mnist("test")
    message = str(info.value)
    url = "/{}/train-images-idx3-ubyte.gz: "
    assert base + url.format("short") + "not a readable gzip file" in message  # cut at the announced length
    assert base + url.format("cut") in message
    assert f"received {size - 10} bytes, but its Content-Length announced {size + 10}" in message
    assert base + url.format("huge") + "Content-Length 1000000000000 is more than" in message
    assert os.listdir(tmp_path / "tinygrad_edu" / "mnist") == []  # no partial files left behind
    for behaviour in ("long", "text"):  # the whole body, then a lying or non-numeric length: the checksum passes
        monkeypatch.setattr(datasets, "MIRRORS", (f"{base}/{behaviour}/",))
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / behaviour))
        assert datasets.load_mnist("test")[1].tolist() == [3, 1]


def test_mirror_sending_more_than_the_file_can_be_is_cut_off(mirror) -> None:
    base, _ = mirror
    name = datasets.FILES[("train", "labels")]
    with pytest.raises(DatasetError, match=f"text/{name}: sent more than 10 bytes"):
        datasets._download(name, datasets.cache_dir(), [f"{base}/text/{name}"], lambda path: None, 10, "")


# ---- 13. an explicit root= that fails is an error naming it ------------------------------------------------
@pytest.fixture
def elsewhere(monkeypatch, tmp_path) -> Path:
    """A good tiny MNIST in $TINYGRAD_EDU_DATA, where a failing root= must not silently take the data from."""
    _write(tmp_path / "env" / "mnist", _tiny_mnist(bytes([9, 9])))
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_explicit_root_that_is_a_symlink_loop_is_an_error(elsewhere) -> None:
    loop = elsewhere / "loop"
    loop.symlink_to(loop)
    for download in (False, True):
        with pytest.raises(DatasetError, match=f"root={loop}: .*symbolic links"):
            datasets.load_mnist("test", root=loop, download=download, verify=False)
    with pytest.raises(DatasetError, match="symbolic links"):
        datasets.find_mnist(loop)


def test_explicit_root_with_missing_or_bad_files_is_an_error(elsewhere) -> None:
    partial = _write(elsewhere / "partial", _tiny_mnist())
    (partial / "t10k-labels-idx1-ubyte.gz").unlink()
    (partial / "train-labels-idx1-ubyte.gz").unlink()
    (partial / "train-labels-idx1-ubyte.gz").symlink_to(partial / "train-labels-idx1-ubyte.gz")
    with pytest.raises(DatasetError) as info:
        datasets.load_mnist("test", root=partial, verify=False)
    message = str(info.value)
    assert f"root={partial}" in message and "t10k-labels-idx1-ubyte.gz: missing" in message
    assert "train-labels-idx1-ubyte.gz: Too many levels of symbolic links" in message
    with pytest.raises(DatasetError, match=f"root={elsewhere / 'nowhere'}: .*No such file"):
        datasets.load_mnist("test", root=elsewhere / "nowhere", verify=False)
    (elsewhere / "file").write_text("x")
    with pytest.raises(DatasetError, match=f"root={elsewhere / 'file'}: not a folder"):
        datasets.load_mnist("test", root=elsewhere / "file", verify=False)


def test_implicit_search_falls_through_and_says_where_it_looked(elsewhere, monkeypatch) -> None:
    assert datasets.load_mnist("test", verify=False)[1].tolist() == [9, 9]  # from $TINYGRAD_EDU_DATA/mnist
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(elsewhere / "empty"))  # no mnist/ there: on to the cache
    _write(elsewhere / "cache" / "tinygrad_edu" / "mnist", _tiny_mnist(bytes([4, 4])))
    assert datasets.load_mnist("test", verify=False)[1].tolist() == [4, 4]
    for name in datasets.FILES.values():
        (elsewhere / "cache" / "tinygrad_edu" / "mnist" / name).unlink()

    def offline(url, timeout=None):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(datasets.urllib.request, "urlopen", offline)
    with pytest.raises(DatasetError) as info:
        datasets.load_mnist("test")
    message = str(info.value)
    assert f"first looked for in {elsewhere / 'empty' / 'mnist'}, {elsewhere / 'cache' / 'tinygrad_edu' / 'mnist'}" \
        in message


# ---- 14. labels are range-checked, with or without the checksum -----------------------------------------------
def test_label_out_of_range_is_refused_without_verification(tmp_path) -> None:
    folder = _write(tmp_path / "mnist", _tiny_mnist(bytes([3, 200, 7])))
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte.gz: label 200 at index 1 is outside 0\.\.9"):
        datasets.load_mnist("test", root=folder, download=False, verify=False)
    good = datasets.load_mnist("test", root=_write(tmp_path / "ok", _tiny_mnist(bytes([0, 9]))), verify=False)
    assert good[1].tolist() == [0, 9] and np.all(good[0] == 0)
