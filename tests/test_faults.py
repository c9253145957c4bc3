"""Fault injection for save/load: loads that fail leave the module as it was, saves killed at any point leave
the old or the new file (never a mix), symlinks, non-regular files, read-only folders, bytes paths."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.errors import DataError, SerializationError, ShapeError, StateDictError


def _snapshot(model: nn.Module) -> dict[str, bytes]:
    """Every parameter's bytes (a float's too), to compare bit for bit."""
    return {name: np.asarray(p.data, dtype=np.float64 if p.data.__class__ is float else None).tobytes()
            for name, p in model.named_parameters()}


# ---- transactional load_state_dict / load -----------------------------------------------
_BAD_TENSOR_ENTRIES = {
    "str": ("hello", DataError),
    "None": (None, DataError),
    "complex": (np.ones(3, dtype=np.complex64), DataError),
    "object": (np.array([1.0, "x", None], dtype=object), DataError),
    "strings": (np.array(["1", "2", "3"]), DataError),
    "wrong-shape": (np.zeros(4, dtype=np.float32), ShapeError),
}


@pytest.mark.parametrize("kind", list(_BAD_TENSOR_ENTRIES))
def test_a_bad_last_entry_leaves_the_tensor_model_unchanged(kind: str) -> None:
    model = nn.mlp([2, 3, 3])
    before = _snapshot(model)
    state = {name: np.full(a.shape, 7.0, dtype=a.dtype) for name, a in model.state_dict().items()}
    last = list(state)[-1]  # "2.bias", of shape (3,): every other entry would be written first
    state[last], error = _BAD_TENSOR_ENTRIES[kind]
    with pytest.raises(error) as info:
        model.load_state_dict(state)
    assert repr(last) in str(info.value)
    assert _snapshot(model) == before


def test_a_transposed_weight_is_refused_and_nothing_is_written() -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2))
    before = _snapshot(model)
    state = {name: np.ones_like(a) for name, a in model.state_dict().items()}
    state["2.weight"] = np.ones((3, 2), dtype=np.float32)  # the transpose of the (2, 3) weight
    with pytest.raises(ShapeError, match=r"'2.weight' has shape \(2, 3\) in the module but \(3, 2\)"):
        model.load_state_dict(state)
    assert _snapshot(model) == before


def test_unknown_or_missing_keys_under_strict_write_nothing() -> None:
    model = nn.mlp([2, 3, 1])
    before = _snapshot(model)
    state = {name: np.ones_like(a) for name, a in model.state_dict().items()}
    with pytest.raises(StateDictError, match="unexpected keys \\['extra'\\]"):
        model.load_state_dict({**state, "extra": np.zeros(1)})
    del state["2.bias"]
    with pytest.raises(StateDictError, match="missing keys \\['2.bias'\\]"):
        model.load_state_dict(state)
    assert _snapshot(model) == before
    model.load_state_dict(state, strict=False)  # not strict: the entries present are loaded
    assert all((p.data == 1).all() for name, p in model.named_parameters() if name != "2.bias")


@pytest.mark.parametrize("bad", ["abc", None, 1 + 2j, np.zeros(1), np.array("1.0")], ids=repr)
def test_a_bad_last_entry_leaves_the_scalar_mlp_unchanged(bad: object) -> None:
    model = nn.MLP(2, [3, 1])
    before = _snapshot(model)
    state = {name: 0.5 for name in model.state_dict()}
    last = list(state)[-1]
    state[last] = bad
    with pytest.raises((DataError, ShapeError)) as info:
        model.load_state_dict(state)
    assert repr(last) in str(info.value)
    assert _snapshot(model) == before


def test_loads_that_fit_are_converted_to_the_parameters_dtype() -> None:
    model = nn.mlp([2, 2])
    model.load_state_dict({"0.weight": np.array([[1, 2], [3, 4]]), "0.bias": np.array([True, False])})
    assert model[0].weight.data.dtype == np.float32 and model[0].weight.data.tolist() == [[1, 2], [3, 4]]
    assert model[0].bias.data.tolist() == [1.0, 0.0]
    scalar = nn.MLP(1, [1])
    scalar.load_state_dict({"layers.0.neurons.0.w.0": np.float32(0.25), "layers.0.neurons.0.b": 3})
    assert [p.data for p in scalar.parameters()] == [0.25, 3.0]
    assert all(p.data.__class__ is float for p in scalar.parameters())


def test_module_load_of_a_mismatched_file_leaves_the_module_unchanged(tmp_path) -> None:
    model = nn.mlp([2, 3, 3])
    before = _snapshot(model)
    state = {name: np.ones_like(a) for name, a in model.state_dict().items()}
    state["2.bias"] = np.ones(4, dtype=np.float32)
    tg.save(state, tmp_path / "bad.safetensors")
    with pytest.raises(ShapeError, match="'2.bias'"):
        model.load(tmp_path / "bad.safetensors")
    assert _snapshot(model) == before
    scalar = nn.MLP(2, [1])
    before = _snapshot(scalar)
    tg.save({**scalar.state_dict(), "layers.0.neurons.0.b": np.zeros(2)}, tmp_path / "bad-scalar.safetensors")
    with pytest.raises(ShapeError):
        scalar.load(tmp_path / "bad-scalar.safetensors")
    assert _snapshot(scalar) == before


# ---- save: symlinks, temporary files, permissions, paths ---------------------------------
def test_save_through_a_symlink_writes_the_target(tmp_path) -> None:
    real = tmp_path / "store" / "w.safetensors"
    real.parent.mkdir()
    tg.save({"w": np.zeros(2)}, real)
    link = tmp_path / "latest.safetensors"
    link.symlink_to(real)
    tg.save({"w": np.ones(3)}, link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert tg.load(real)["w"].tolist() == [1.0, 1.0, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.safetensors", "store"]
    assert [p.name for p in real.parent.iterdir()] == ["w.safetensors"]  # the temp file was beside the target
    dangling = tmp_path / "next.safetensors"
    dangling.symlink_to(tmp_path / "store" / "new.safetensors")
    tg.save({"w": np.ones(1)}, dangling)  # a link to a file not yet there creates the file, as open() would
    assert dangling.is_symlink() and tg.load(tmp_path / "store" / "new.safetensors")["w"].tolist() == [1.0]


def test_save_refuses_to_replace_what_is_not_a_regular_file(tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SerializationError, match="not a regular file"):
        tg.save({"w": np.zeros(2)}, fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    (tmp_path / "folder").mkdir()
    with pytest.raises(SerializationError, match="is a directory"):
        tg.save({"w": np.zeros(2)}, tmp_path / "folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "pipe"]


def test_save_and_load_accept_bytes_paths(tmp_path) -> None:
    path = os.fsencode(tmp_path / "w.safetensors")
    tg.save({"w": np.arange(3.0)}, path)
    assert tg.load(path)["w"].tolist() == [0.0, 1.0, 2.0]
    model = nn.mlp([2, 2])
    model.save(path)
    assert nn.mlp([2, 2]).load(path).state_dict()["0.weight"].tobytes() == model.state_dict()["0.weight"].tobytes()


def test_overwriting_a_0664_file_keeps_its_mode_under_a_022_umask(tmp_path) -> None:
    path = tmp_path / "w.safetensors"
    tg.save({"w": np.arange(3.0)}, path)
    path.chmod(0o664)
    previous = os.umask(0o022)
    try:
        tg.save({"w": np.zeros(4)}, path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o664 and tg.load(path)["w"].shape == (4,)


def test_saving_into_a_read_only_folder_fails_clearly_and_keeps_the_old_file(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "w.safetensors"
    tg.save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()
    folder.chmod(0o555)
    try:
        if os.geteuid() == 0:  # root writes into 0555 folders anyway: the kernel's refusal is played by os.open
            real_open = os.open

            def refuse(file, flags, *args, **kwargs):
                if os.path.dirname(os.fsdecode(file)) == str(folder) and flags & os.O_CREAT:
                    raise PermissionError(13, "Permission denied", file)
                return real_open(file, flags, *args, **kwargs)

            monkeypatch.setattr(os, "open", refuse)
        with pytest.raises(SerializationError, match="cannot write .*w.safetensors.*Permission denied") as info:
            tg.save({"w": np.zeros(5)}, path)
        assert isinstance(info.value.__cause__, PermissionError)
        monkeypatch.undo()
        assert path.read_bytes() == before
        assert [p.name for p in folder.iterdir()] == ["w.safetensors"]
    finally:
        folder.chmod(0o755)


def test_save_errors_name_the_path(tmp_path) -> None:
    with pytest.raises(SerializationError, match="cannot write .*nowhere.*No such file or directory"):
        tg.save({"w": np.zeros(1)}, tmp_path / "nowhere" / "w.safetensors")


# ---- load: non-regular files, lying headers -----------------------------------------------
def _run(code: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with a 2 GiB address-space cap (a runaway read fails, not the machine)."""
    prelude = "import resource\nresource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # no per-core BLAS buffers
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_load_of_a_fifo_refuses_at_once(tmp_path) -> None:
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    try:  # the old load blocked forever in open(): a timeout turns that into a failure
        done = _run(f"""
            import tinygrad_edu as tg
            try:
                tg.load({str(fifo)!r})
            except tg.SerializationError as e:
                print("refused:", e)
        """, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("load() of a FIFO hung")
    assert "refused:" in done.stdout and "not a regular file" in done.stdout and "FIFO" in done.stdout, done.stderr


@pytest.mark.parametrize("path", ["/dev/zero", "directory"])
def test_load_of_a_device_or_directory_refuses_at_once(tmp_path, path: str) -> None:
    path = str(tmp_path) if path == "directory" else path
    start = time.perf_counter()
    done = _run(f"""
        import tinygrad_edu as tg
        try:
            tg.load({path!r})
        except tg.SerializationError as e:
            print("refused:", e)
    """)
    assert "refused:" in done.stdout and "not a regular file" in done.stdout, done.stderr[-2000:]
    assert time.perf_counter() - start < 20


def test_a_header_claiming_more_than_the_file_is_refused_before_reading_it(tmp_path) -> None:
    path = tmp_path / "sparse.safetensors"
    with open(path, "wb") as f:  # 3 GiB on paper, nothing on disk; the header claims 64 TiB
        f.write((1 << 46).to_bytes(8, "little") + b"{")
        f.truncate(3 << 30)  # (more than the reader's 2 GiB cap: reading it whole fails)
    done = _run(f"""
        import tinygrad_edu as tg
        try:
            tg.load({str(path)!r})
        except tg.SerializationError as e:
            print("refused:", e)
    """)
    assert "refused:" in done.stdout and "header says" in done.stdout, done.stderr[-2000:]


# ---- saves killed at random points --------------------------------------------------------
_WRITER = """
    import sys
    import numpy as np
    import tinygrad_edu as tg
    path, start = sys.argv[1], int(sys.argv[2])
    print("ready", flush=True)
    i = start
    while True:  # each file holds one i throughout: w = i everywhere, and i itself
        tg.save({"w": np.full(1 << 20, float(i)), "b": np.full(1000, float(i)), "i": np.array(i)}, path)
        i += 1
"""


def _check_whole(path) -> int:
    state = tg.load(path)
    i = int(state["i"])
    assert (state["w"] == i).all() and (state["b"] == i).all() and state["w"].shape == (1 << 20,)
    return i


def _temps(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "w.safetensors")


def test_saves_killed_at_random_points_leave_a_whole_file_and_no_temps(tmp_path) -> None:
    path = tmp_path / "w.safetensors"
    tg.save({"w": np.full(1 << 20, -1.0), "b": np.full(1000, -1.0), "i": np.array(-1)}, path)
    rng = random.Random(11)
    last = -1
    for round_ in range(6):
        child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(_WRITER), str(path), str(1000 * round_)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.0, 0.3))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        i = _check_whole(path)  # the old or a new file, complete
        assert i == last or 1000 * round_ <= i < 1000 * (round_ + 1)
        last = i
    tg.save({"w": np.full(1 << 20, 5.0), "b": np.full(1000, 5.0), "i": np.array(5)}, path)
    assert _check_whole(path) == 5 and _temps(tmp_path) == []  # the killed writers' temps are gone


def test_a_save_killed_while_writing_leaves_a_temp_that_the_next_save_removes(tmp_path) -> None:
    path = tmp_path / "w.safetensors"
    tg.save({"w": np.zeros(3)}, path)
    (tmp_path / "other.safetensors").write_bytes(b"unrelated")
    killed = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import os, signal
        import numpy as np
        import tinygrad_edu as tg
        os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # the power goes off before the data is on disk
        tg.save({{"w": np.ones(3)}}, {str(path)!r})
    """)], timeout=60)
    assert killed.returncode == -signal.SIGKILL
    temps = _temps(tmp_path)
    assert len(temps) == 2 and temps[0].startswith(".w.safetensors.tmp-"), temps  # recognisable: it names its target
    assert tg.load(path)["w"].tolist() == [0.0, 0.0, 0.0]
    live = tmp_path / f".w.safetensors.tmp-{os.getpid()}-{'0' * 16}"  # a save in progress in a live process
    live.write_bytes(b"partial")
    tg.save({"w": np.ones(3)}, path)
    assert tg.load(path)["w"].tolist() == [1.0, 1.0, 1.0]
    assert _temps(tmp_path) == [live.name, "other.safetensors"]
