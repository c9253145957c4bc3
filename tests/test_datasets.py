"""MNIST loading: real files, malformed files, checksums, download into the cache (no network), batching."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import os
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import TinygradEduError, datasets
from tinygrad_edu.datasets import DatasetError
from tinygrad_edu.errors import ArgumentError, ShapeError

DATA = Path(os.environ.get("TINYGRAD_EDU_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
needs_mnist = pytest.mark.skipif(not (DATA / "mnist").is_dir(), reason=f"no MNIST files in {DATA}/mnist")


def _idx(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    return header + payload


def _write_gz(path: Path, raw: bytes) -> None:
    with gzip.open(path, "wb") as f:
        f.write(raw)


@needs_mnist
def test_real_mnist_shapes_dtypes_and_label_counts() -> None:
    x, y = datasets.load_mnist("train", root=DATA / "mnist", download=False)
    assert x.shape == (60000, 784) and x.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() == 1.0
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    xt, yt = datasets.load_mnist("test", root=DATA / "mnist", download=False, flatten=False)
    assert xt.shape == (10000, 28, 28)
    assert np.bincount(yt).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@needs_mnist
def test_environment_variable_is_searched(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(DATA))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert datasets.find_mnist() == DATA / "mnist"


def test_malformed_files_name_the_file_and_the_problem() -> None:
    good = _idx(2049, (3,), bytes([1, 2, 3]))
    assert datasets.parse_idx(good, "labels", expect_images=False).tolist() == [1, 2, 3]
    with pytest.raises(DatasetError, match="labels.gz: bad magic number 2051, expected 2049"):
        datasets.parse_idx(_idx(2051, (3,), bytes(3)), "labels.gz", expect_images=False)
    with pytest.raises(DatasetError, match="images.gz: header promises 2 items .* truncated"):
        datasets.parse_idx(_idx(2051, (2, 2, 2), bytes(5)), "images.gz", expect_images=True)
    with pytest.raises(DatasetError, match="x: file is truncated"):
        datasets.parse_idx(b"\x00\x00", "x", expect_images=True)


def test_truncated_gzip_and_checksum_mismatch(tmp_path) -> None:
    folder = tmp_path / "mnist"
    folder.mkdir()
    for (_split, kind), name in datasets.FILES.items():
        dims = (2, 28, 28) if kind == "images" else (2,)
        _write_gz(folder / name, _idx(2051 if kind == "images" else 2049, dims, bytes(int(np.prod(dims)))))
    with pytest.raises(DatasetError, match="SHA-256 .* corrupted or not the MNIST file"):
        datasets.load_mnist("test", root=folder, download=False)
    x, y = datasets.load_mnist("test", root=folder, download=False, verify=False)  # a tiny synthetic set
    assert x.shape == (2, 784) and y.tolist() == [0, 0]
    name = datasets.FILES[("test", "labels")]
    (folder / name).write_bytes((folder / name).read_bytes()[:15])
    with pytest.raises(DatasetError, match=f"{name}: not a readable gzip file"):
        datasets.load_mnist("test", root=folder, download=False, verify=False)


def test_missing_files_without_download(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DatasetError, match="MNIST files not found"):
        datasets.load_mnist("train", download=False)
    with pytest.raises(DatasetError, match=f"root={tmp_path}: the folder does not hold"):  # an explicit root
        datasets.load_mnist("train", root=tmp_path, download=False)


def test_download_verifies_then_caches(monkeypatch, tmp_path) -> None:
    """The downloader, fed by a fake opener: a bad mirror is skipped, the good copy is checked and kept."""
    raw = {name: _idx(2049, (1,), bytes([7])) for name in datasets.FILES.values()}
    monkeypatch.setattr(datasets, "SHA256", {n: hashlib.sha256(r).hexdigest() for n, r in raw.items()})
    calls = []

    class Response(io.BytesIO):
        headers: dict = {}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(url, timeout=None):
        calls.append(url)
        name = url.rsplit("/", 1)[1]
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb") as f:
            f.write(raw[name] if url.startswith(datasets.MIRRORS[1]) else b"garbage")
        return Response(buf.getvalue())

    monkeypatch.setattr(datasets.urllib.request, "urlopen", fake_urlopen)
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(datasets, "parse_idx", lambda r, n, expect_images: np.frombuffer(r[8:], np.uint8).reshape(
        (1, 1, 1) if expect_images else (1,)))
    x, y = datasets.load_mnist("train")
    cache = tmp_path / "tinygrad_edu" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(datasets.FILES.values())
    assert len(calls) == 8  # each file: the first mirror fails the checksum, the second serves it
    calls.clear()
    datasets.load_mnist("test")
    assert calls == []  # served from the cache


def test_batches_cover_the_data_once_in_a_seeded_order() -> None:
    x, y = np.arange(10)[:, None], np.arange(10)
    first = [yb.tolist() for _, yb in datasets.batches(x, y, 4, generator=np.random.default_rng(0))]
    again = [yb.tolist() for _, yb in datasets.batches(x, y, 4, generator=np.random.default_rng(0))]
    assert first == again and [len(b) for b in first] == [4, 4, 2]
    assert sorted(sum(first, [])) == list(range(10)) and sum(first, []) != list(range(10))
    assert [len(b) for _, b in datasets.batches(x, y, 4, shuffle=False, drop_last=True)] == [4, 4]


@pytest.mark.parametrize("failure", [urllib.error.URLError("[Errno -3] Temporary failure in name resolution"),
                                     TimeoutError("timed out"), http.client.IncompleteRead(b"")])
def test_download_failure_says_how_to_use_local_files(monkeypatch, tmp_path, failure) -> None:
    """No network (a fake opener that fails): one short project error naming root= and TINYGRAD_EDU_DATA."""
    calls = []

    def offline(url, timeout=None):
        calls.append(url)
        raise failure

    monkeypatch.setattr(datasets.urllib.request, "urlopen", offline)
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(DatasetError) as info:
        datasets.load_mnist("test")
    message = str(info.value)
    for words in ("could not download train-images-idx3-ubyte.gz", "root=", "TINYGRAD_EDU_DATA", *datasets.MIRRORS):
        assert words in message
    assert isinstance(info.value, TinygradEduError) and info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__  # no chained traceback
    assert len(calls) == len(datasets.MIRRORS)  # each mirror tried once, then the error
    assert list((tmp_path / "tinygrad_edu" / "mnist").iterdir()) == []  # no partial downloads left behind
    with pytest.raises(DatasetError, match="TINYGRAD_EDU_DATA"):  # the same hint without download
        datasets.load_mnist("test", download=False)


def test_bad_arguments_get_the_projects_errors() -> None:
    with pytest.raises(ArgumentError, match="split must be 'train' or 'test', got 'valid'"):
        datasets.load_mnist("valid")
    x, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(ShapeError, match="x has 4 rows but y has 3"):
        next(datasets.batches(x, y[:3], 2))
    for size in (0, -1, 1.5):
        with pytest.raises(ArgumentError, match="batch_size must be an integer >= 1"):
            next(datasets.batches(x, y, size))


# ---- the makemore names (issue 16) ----------------------------------------------------------------------------
needs_names = pytest.mark.skipif(not (DATA / "names").is_dir(), reason=f"no names.txt in {DATA}/names")


def _no_network(url, timeout=None):
    raise AssertionError(f"the test tried the network: {url}")


@needs_names
def test_names_from_the_shared_copy_and_the_environment(monkeypatch, tmp_path) -> None:
    names = datasets.load_names(root=DATA / "names", download=False)
    assert len(names) == 32033 and names[:3] == ["emma", "olivia", "ava"] and names[-1] == "zzyzx"
    assert sorted(set("".join(names))) == [chr(c) for c in range(ord("a"), ord("z") + 1)]  # 26 letters + '.' = 27
    monkeypatch.setattr(datasets.urllib.request, "urlopen", _no_network)
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(DATA))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert datasets.load_names() == names


@needs_names
def test_names_download_verifies_then_caches(monkeypatch, tmp_path) -> None:
    good = (DATA / "names" / "names.txt").read_bytes()
    served = [good.replace(b"emma", b"emmy")]
    calls = []

    class Response(io.BytesIO):
        headers: dict = {}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(url, timeout=None):
        calls.append(url)
        return Response(served[0])

    monkeypatch.setattr(datasets.urllib.request, "urlopen", fake_urlopen)
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = tmp_path / "tinygrad_edu" / "names"
    with pytest.raises(DatasetError) as info:
        datasets.load_names()
    message = str(info.value)
    assert f"{datasets.NAMES_URL}: checksum mismatch" in message and f"first looked for in {cache}" in message
    assert "load_names(root=...)" in message and os.listdir(cache) == []
    served[0] = good
    assert len(datasets.load_names()) == 32033 and calls == [datasets.NAMES_URL] * 2
    assert os.listdir(cache) == ["names.txt"]
    monkeypatch.setattr(datasets.urllib.request, "urlopen", _no_network)
    assert datasets.load_names()[0] == "emma"  # from the cache
    with pytest.raises(DatasetError, match="names.txt not found in .* \\(and download=False\\)"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
        datasets.load_names(download=False)


def test_names_bad_files_and_roots(tmp_path) -> None:
    (tmp_path / "names.txt").write_bytes(b"ann\nbob\n\n")
    with pytest.raises(DatasetError, match=f"{tmp_path / 'names.txt'}: SHA-256 .* not the makemore names file"):
        datasets.load_names(root=tmp_path)
    assert datasets.load_names(root=tmp_path, verify=False) == ["ann", "bob"]  # a list of one's own
    (tmp_path / "names.txt").write_bytes(b"\xff\xfe")
    with pytest.raises(DatasetError, match="not a UTF-8 text file"):
        datasets.load_names(root=tmp_path, verify=False)
    (tmp_path / "names.txt").write_bytes(b"\n \n")
    with pytest.raises(DatasetError, match="holds no names"):
        datasets.load_names(root=tmp_path, verify=False)
    with pytest.raises(DatasetError, match=f"root={tmp_path / 'none'}: No such file"):
        datasets.load_names(root=tmp_path / "none")
    (tmp_path / "names.txt").unlink()
    with pytest.raises(DatasetError, match=f"root={tmp_path}: .*names.txt: missing"):
        datasets.load_names(root=tmp_path)
