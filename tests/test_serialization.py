"""save/load: safetensors, bit-exact round trips, PyTorch compatibility, atomic writes, clear errors."""

from __future__ import annotations

import os
import pickle
import stat

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn


def test_round_trip_is_bit_exact(tmp_path) -> None:
    net = nn.mlp([5, 7, 3])
    path = tmp_path / "net.safetensors"
    tg.save(net.state_dict(), path)
    loaded = tg.load(path)
    assert list(loaded) == list(net.state_dict())
    for name, array in net.state_dict().items():
        assert loaded[name].dtype == array.dtype and loaded[name].tobytes() == array.tobytes()
    other = nn.mlp([5, 7, 3]).load(path)
    x = np.random.default_rng(0).random((4, 5), dtype=np.float32)
    assert np.array_equal(other(x).data, net(x).data)


def test_scalar_models_round_trip(tmp_path) -> None:
    model = nn.MLP(2, [3, 1])
    model.save(tmp_path / "m.safetensors")
    again = nn.MLP(2, [3, 1]).load(tmp_path / "m.safetensors")
    assert [p.data for p in again.parameters()] == [p.data for p in model.parameters()]


def test_pytorch_loads_our_file_and_we_load_theirs(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file, save_file

    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    path = tmp_path / "ours.safetensors"
    ours.save(path)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    theirs.load_state_dict(load_file(path))
    x = np.random.default_rng(1).random((2, 4), dtype=np.float32)
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(), ours(x).data, rtol=1e-5, atol=1e-6)
    save_file(theirs.state_dict(), tmp_path / "theirs.safetensors")
    again = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).load(tmp_path / "theirs.safetensors")
    np.testing.assert_allclose(again(x).data, ours(x).data, rtol=1e-6)


def test_an_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "w.safetensors"
    tg.save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        tg.save({"w": np.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", ["too short"]),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), ["not a safetensors file"]),
        (pickle.dumps({"w": [1, 2, 3]}), ["not a safetensors file"]),
        (bytes(range(256)) * 4, ["not a safetensors file"]),
    ],
)
def test_foreign_files_fail_cleanly(tmp_path, content: bytes, words: list[str]) -> None:
    path = tmp_path / "x.safetensors"
    path.write_bytes(content)
    with pytest.raises(tg.SerializationError) as info:
        tg.load(path)
    assert all(w in str(info.value) for w in words) and "x.safetensors" in str(info.value)


def test_truncated_and_corrupted_files_fail_cleanly(tmp_path) -> None:
    path = tmp_path / "w.safetensors"
    tg.save({"w": np.arange(100.0)}, path)
    blob = path.read_bytes()
    path.write_bytes(blob[:-17])
    with pytest.raises(tg.SerializationError, match="corrupted|truncated"):
        tg.load(path)
    path.write_bytes(blob[:8] + blob[8:40].replace(b'"', b"'") + blob[40:])
    with pytest.raises(tg.SerializationError):
        tg.load(path)
    with pytest.raises(tg.SerializationError, match="cannot read"):
        tg.load(tmp_path / "missing.safetensors")


def test_saving_non_arrays_is_refused(tmp_path) -> None:
    # (strings, numbers and lists are checkpoint metadata now: see test_checkpoint.py)
    with pytest.raises(tg.SerializationError, match="'w' is not a numeric array"):
        tg.save({"w": np.array(["hello"])}, tmp_path / "x.safetensors")
    with pytest.raises(tg.SerializationError, match="'w' is not a numeric array"):
        tg.save({"w": object()}, tmp_path / "x.safetensors")
    with pytest.raises(tg.SerializationError, match="mapping"):
        tg.save([1, 2], tmp_path / "x.safetensors")


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077, 0o027], ids=oct)
def test_a_saved_file_gets_0666_minus_the_umask(tmp_path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        tg.save({"w": np.arange(3.0)}, tmp_path / "w.safetensors")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "w.safetensors").stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o666, 0o755], ids=oct)
def test_overwriting_a_file_keeps_its_mode(tmp_path, mode: int) -> None:
    path = tmp_path / "w.safetensors"
    tg.save({"w": np.arange(3.0)}, path)
    path.chmod(mode)
    tg.save({"w": np.zeros(5)}, path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert tg.load(path)["w"].shape == (5,)
