"""Checkpoints: state dicts of optimizers, schedules, the random state and batches; nested save/load; and the promise.

The promise: a run killed with SIGKILL at random moments and resumed each time from its last checkpoint
ends with the same parameters, optimizer state and random state, bit for bit, as the run never interrupted.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import ArgumentError, ShapeError, Value, datasets, nn, optim
from tinygrad_edu.errors import StateDictError
from tinygrad_edu.random import default_generator

ROOT = Path(__file__).resolve().parents[1]
JOB = Path(__file__).with_name("resume_job.py")


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_same(a, b, where: str = "") -> None:
    """Equal structure, equal numbers, and arrays equal bit for bit (same dtype, shape and bytes)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), where
        assert (a.dtype, a.shape) == (b.dtype, b.shape) and a.tobytes() == b.tobytes(), f"{where} differs"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}.{i}")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), where
    else:
        assert type(a) is type(b) and a == b and repr(a) == repr(b), f"{where}: {a!r} != {b!r}"


@pytest.fixture(autouse=True)
def _keep_the_random_state():
    """These tests seed the library: the tests after them see the random state they would have seen."""
    state = tg.get_rng_state()
    yield
    tg.set_rng_state(state)


# ---- the promise: killed at random moments, resumed, bitwise equal ---------------------------
def run_job(kind: str, out: Path, *options: str) -> None:
    """The job uninterrupted, in this process (the same code as the subprocesses run)."""
    load_module(JOB, "resume_job").main([kind, "--out", str(out), *options])


def kill_and_resume(tmp_path: Path, kind: str, steps: int, every: int, kills: int) -> tuple[list[int], list[str]]:
    """Start the job, SIGKILL it just after a random step (always past its first checkpoint), start it again...

    Returns the steps at which each run was killed (the step it had reported; it may have gone on a
    little, into its next step or the middle of a save) and the lines where the runs said they resumed.
    """
    seed = int(os.environ.get("TINYGRAD_EDU_KILL_SEED", random.randrange(1 << 30)))
    rnd = random.Random(seed)
    # every target past the first checkpoint, and far enough from the end that the run is still going
    targets = sorted(rnd.sample(range(every + 1, steps * 2 // 3), kills))
    command = [sys.executable, str(JOB), kind, "--steps", str(steps), "--checkpoint", str(tmp_path / "ck.safetensors"),
               "--every", str(every), "--out", str(tmp_path / "resumed.safetensors"), "--delay", "0.001"]
    killed_at, resumed = [], []
    for target in targets:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("resumed"):
                resumed.append(line.strip())
            elif line.startswith("step ") and int(line.split()[1]) >= target:
                time.sleep(rnd.uniform(0, 0.002))  # (a moment anywhere in a step, or in a save)
                proc.send_signal(signal.SIGKILL)
                killed_at.append(int(line.split()[1]))
                break
        proc.wait(timeout=60)
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL, f"the run was not killed (seed {seed}, target {target})"
    finished = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    resumed += [line for line in finished.stdout.splitlines() if line.startswith("resumed")]
    return killed_at, resumed


def test_a_killed_adam_run_resumes_bitwise_equal(tmp_path) -> None:
    # MLP 20-16-3 with dropout, Adam, cosine schedule per step, shuffled batches of 16 of 100 rows (7 an epoch):
    # a checkpoint every 5 steps falls mostly during an epoch, sometimes at its end
    killed_at, resumed = kill_and_resume(tmp_path, "tensor", steps=300, every=5, kills=5)
    assert len(killed_at) == 5 and len(resumed) == 5, resumed
    run_job("tensor", tmp_path / "straight.safetensors", "--steps", "300")
    straight, again = tg.load(tmp_path / "straight.safetensors"), tg.load(tmp_path / "resumed.safetensors")
    assert_same(straight, again)  # parameters, Adam's moments and steps, the random state: all bit for bit
    assert straight["optimizer"]["state"][0]["step"] == 300


def test_a_killed_scalar_mlp_with_sgd_resumes_bitwise_equal(tmp_path) -> None:
    # micrograd's MLP 2-4-4-1, SGD with momentum, mini-batches sampled with Python's random
    killed_at, resumed = kill_and_resume(tmp_path, "scalar", steps=150, every=7, kills=3)
    assert len(killed_at) == 3 and len(resumed) == 3, resumed
    run_job("scalar", tmp_path / "straight.safetensors", "--steps", "150")
    straight, again = tg.load(tmp_path / "straight.safetensors"), tg.load(tmp_path / "resumed.safetensors")
    assert_same(straight, again)
    assert len(straight["model"]) == 2 * 4 + 4 + 4 * 4 + 4 + 4 + 1


@pytest.mark.parametrize("stop_at", [33, 35, 2])  # during an epoch, at an epoch's last batch, before a checkpoint
def test_a_checkpoint_written_during_an_epoch_resumes_exactly(tmp_path, stop_at: int) -> None:
    job = load_module(JOB, "resume_job")
    job.main(["tensor", "--steps", "60", "--out", str(tmp_path / "straight.safetensors")])
    common = ["tensor", "--steps", "60", "--checkpoint", str(tmp_path / "ck.safetensors"), "--every", "5"]
    job.main([*common, "--stop-at", str(stop_at), "--out", str(tmp_path / "resumed.safetensors")])
    assert not (tmp_path / "resumed.safetensors").exists()
    if stop_at >= 5:
        position = tg.load(tmp_path / "ck.safetensors")["batches"]["position"]
        assert position == {33: 2, 35: 7}[stop_at]  # (checkpoints at steps 30 and 35: batch 2 of 7, and 7 of 7)
    job.main([*common, "--out", str(tmp_path / "resumed.safetensors")])
    assert_same(tg.load(tmp_path / "straight.safetensors"), tg.load(tmp_path / "resumed.safetensors"))


def test_the_mnist_example_resumes_from_its_checkpoint(tmp_path, monkeypatch, capsys) -> None:
    example = load_module(ROOT / "examples" / "mnist_mlp.py", "example_mnist_mlp_resume")
    data = np.random.default_rng(5)

    def small_mnist(split: str = "train", root=None, **kwargs):  # (synthetic: the test is about resuming)
        n = 300 if split == "train" else 50
        x = data.random((n, 784), dtype=np.float32) if split == "train" else np.ones((n, 784), np.float32)
        return x, np.arange(n) % 10

    monkeypatch.setattr(example.datasets, "load_mnist", small_mnist)
    base = ["--epochs", "2", "--hidden", "16", "--batch-size", "64"]  # 5 batches an epoch
    straight = example.main([*base, "--out", str(tmp_path / "straight")])
    data = np.random.default_rng(5)
    checkpoint = tmp_path / "run" / "ck.safetensors"
    options = [*base, "--out", str(tmp_path / "resumed"), "--checkpoint", str(checkpoint), "--every", "3"]
    calls = {"n": 0}
    real_step = optim.Adam.step

    def step_then_die(self) -> None:
        calls["n"] += 1
        if calls["n"] == 8:  # in the second epoch, after the checkpoint of step 6
            raise KeyboardInterrupt
        real_step(self)

    monkeypatch.setattr(optim.Adam, "step", step_then_die)
    with pytest.raises(KeyboardInterrupt):
        example.main(options)
    monkeypatch.setattr(optim.Adam, "step", real_step)
    data = np.random.default_rng(5)
    capsys.readouterr()
    resumed = example.main(options)
    assert f"resuming from {checkpoint}: step 6, epoch 2" in capsys.readouterr().out
    assert_same(tg.load(straight["weights"]), tg.load(resumed["weights"]))
    assert resumed["test_accuracy"] == straight["test_accuracy"]


# ---- optimizers and schedules -------------------------------------------------------------
def train(opt: optim.Optimizer, params: list[Value], steps: int, seed: int) -> None:
    g = np.random.default_rng(seed)
    for _ in range(steps):
        opt.zero_grad()
        for p in params:
            p.grad = g.standard_normal(np.shape(p.data)).astype(np.float32) if np.ndim(p.data) else float(g.random())
        opt.step()


def tensors(shapes, seed: int = 0) -> list[Value]:
    g = np.random.default_rng(seed)
    return [Value(g.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes]


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.5, dampening=0.3),
], ids=["adam", "sgd-nesterov", "sgd-dampening"])
def test_an_optimizer_restored_from_its_state_dict_continues_bitwise(make, tmp_path) -> None:
    a = tensors([(3, 4), (4,)])
    first = make(a)
    train(first, a, 5, seed=1)
    tg.save({"params": [p.data for p in a], "optimizer": first.state_dict()}, tmp_path / "ck.safetensors")
    train(first, a, 5, seed=2)
    ck = tg.load(tmp_path / "ck.safetensors")
    b = [Value(np.array(arr), requires_grad=True) for arr in ck["params"]]
    second = type(first)(b, lr=123.0)  # the hyper-parameters come back from the state dict
    second.load_state_dict(ck["optimizer"])
    train(second, b, 5, seed=2)
    for p, q in zip(a, b):
        assert p.data.tobytes() == q.data.tobytes()
    assert_same(first.state_dict(), second.state_dict())


def test_scalar_parameters_round_trip_with_adam() -> None:
    model = nn.MLP(2, [3, 1])
    opt = optim.Adam(model.parameters(), lr=0.05)
    train(opt, model.parameters(), 3, seed=0)
    state = opt.state_dict()
    assert state["state"][0]["step"] == 3 and isinstance(state["state"][0]["exp_avg"], float)
    other = optim.Adam(model.parameters())
    other.load_state_dict(json.loads(json.dumps(state)))  # (the indices as strings, the betas as a list: accepted)
    assert_same(other.state_dict(), state)


def test_the_state_dict_has_pytorchs_layout() -> None:
    torch = pytest.importorskip("torch")
    ours = optim.Adam(tensors([(2,)]), lr=0.1)
    train(ours, ours.params, 1, seed=0)
    w = torch.zeros(2, requires_grad=True)
    theirs = torch.optim.Adam([w], lr=0.1)
    w.grad = torch.ones(2)
    theirs.step()
    assert set(ours.state_dict()) == set(theirs.state_dict())
    assert set(ours.state_dict()["state"][0]) == set(theirs.state_dict()["state"][0])
    assert set(ours.state_dict()["param_groups"][0]) <= set(theirs.state_dict()["param_groups"][0])
    sgd, tsgd = optim.SGD(tensors([(2,)]), momentum=0.9), torch.optim.SGD([w], lr=0.1, momentum=0.9)
    train(sgd, sgd.params, 1, seed=0)
    tsgd.step()
    assert set(sgd.state_dict()["state"][0]) == set(tsgd.state_dict()["state"][0]) == {"momentum_buffer"}


def test_a_state_dict_that_does_not_fit_is_refused_and_nothing_changes() -> None:
    params = tensors([(3, 4), (4,)])
    opt = optim.Adam(params, lr=0.01)
    train(opt, params, 2, seed=0)
    before = opt.state_dict()
    two = optim.Adam(tensors([(3, 4), (4,)]), lr=0.5)
    train(two, two.params, 1, seed=0)
    good = two.state_dict()
    fewer = optim.Adam(tensors([(3, 4)]))
    train(fewer, fewer.params, 1, seed=0)
    other_shapes = optim.Adam(tensors([(3, 4), (5,)]))
    train(other_shapes, other_shapes.params, 1, seed=0)
    bad_eps = {**good, "param_groups": [{**good["param_groups"][0], "eps": -1.0}]}
    bad_step = {"state": {**good["state"], 1: {**good["state"][1], "step": 1.5}}, "param_groups": good["param_groups"]}
    cases = [
        (fewer.state_dict(), StateDictError, "is for 1 parameters, this optimizer has 2"),
        (other_shapes.state_dict(), ShapeError, r"state\[1\]\['exp_avg'\] has shape \(5,\), the parameter \(4,\)"),
        (optim.SGD(params).state_dict(), StateDictError, "the parameter group has keys"),
        (bad_eps, ArgumentError, "Adam.load_state_dict: Adam: eps must be >= 0"),
        (bad_step, tg.DataError, "step'] must be a whole number"),
        ({"state": {}}, StateDictError, "expected a dict with keys 'param_groups' and 'state'"),
    ]
    for state, error, words in cases:
        with pytest.raises(error, match=words):
            opt.load_state_dict(state)
        assert_same(opt.state_dict(), before)
        assert opt.lr == 0.01
    opt.load_state_dict(good)
    assert opt.lr == 0.5 and opt.state_dict()["state"][0]["step"] == 1


def test_schedules_round_trip_and_refuse_a_wrong_state() -> None:
    opt = optim.SGD(tensors([(2,)]), lr=0.1)
    for schedule in (optim.CosineAnnealingLR(opt, T_max=10, eta_min=0.01), optim.StepLR(opt, 3, gamma=0.5),
                     optim.ExponentialLR(opt, gamma=0.9)):
        for _ in range(4):
            schedule.step()
        state = json.loads(json.dumps(schedule.state_dict()))
        fresh = type(schedule)(optim.SGD(tensors([(2,)]), lr=7.0), **{k: 1 for k in schedule._fields})
        fresh.load_state_dict(state)
        assert fresh.state_dict() == schedule.state_dict()
        fresh.step()
        schedule.step()
        assert fresh.get_last_lr() == schedule.get_last_lr()
    cosine = optim.CosineAnnealingLR(opt, T_max=10)
    with pytest.raises(ArgumentError, match="T_max must be > 0"):
        cosine.load_state_dict({"T_max": 0, "eta_min": 0.0, "base_lr": 0.1, "last_epoch": 3})
    with pytest.raises(StateDictError, match="expected keys"):
        cosine.load_state_dict({"last_epoch": 3})
    with pytest.raises(ArgumentError, match="last_epoch must be an integer >= 0"):
        cosine.load_state_dict({"T_max": 5, "eta_min": 0.0, "base_lr": 0.1, "last_epoch": -1})
    assert (cosine.T_max, cosine.last_epoch) == (10, 0)


# ---- the random state and the batches ------------------------------------------------------
def test_the_rng_state_covers_the_library_generator_and_pythons_random() -> None:
    tg.manual_seed(3)
    state = json.loads(json.dumps(tg.get_rng_state()))  # plain data: it goes into a checkpoint's metadata
    held = default_generator()
    expected = (held.random(3).tolist(), random.random(), nn.Linear(2, 2).weight.data.tobytes())
    tg.manual_seed(99)  # (a new generator object)
    current = default_generator()
    tg.set_rng_state(state)
    assert default_generator() is current  # restored in place: whoever holds the generator follows
    assert (current.random(3).tolist(), random.random(), nn.Linear(2, 2).weight.data.tobytes()) == expected


def test_a_malformed_rng_state_is_refused_and_nothing_changes() -> None:
    tg.manual_seed(4)
    before = tg.get_rng_state()
    bad_numpy = {**before, "numpy": {**before["numpy"], "bit_generator": "Nope"}}
    bad_python = {**before, "python": [3, [1, 2], None]}
    for state, words in [({"numpy": {}}, "expected a dict"), (bad_numpy, "bit_generator 'Nope'"),
                         (bad_python, "does not fit")]:
        with pytest.raises(ArgumentError, match=words):
            tg.set_rng_state(state)
        assert tg.get_rng_state() == before


def test_batches_report_and_restore_their_position() -> None:
    x, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    it = datasets.batches(x, y, 3, generator=np.random.default_rng(0))
    assert len(it) == 4 and it.state_dict()["order"] is None  # (drawn at the first batch)
    first = [next(it)[1].tolist() for _ in range(2)]
    state = json.loads(json.dumps({**it.state_dict(), "order": it.state_dict()["order"].tolist()}))
    rest = [b.tolist() for _, b in it]
    again = datasets.batches(x, y, 3, generator=np.random.default_rng(1))
    again.load_state_dict(state)
    assert [b.tolist() for _, b in again] == rest and sorted(sum(first + rest, [])) == list(range(10))
    dropped = datasets.batches(x, y, 3, shuffle=False, drop_last=True)
    assert len(dropped) == 3 and [b.tolist() for _, b in dropped][-1] == [6, 7, 8]


def test_batches_refuse_a_state_for_other_data() -> None:
    x, y = np.zeros((10, 1)), np.zeros(10)
    it = datasets.batches(x, y, 3)
    next(it)
    state = it.state_dict()
    other = datasets.batches(x[:9], y[:9], 3)
    with pytest.raises(ArgumentError, match="the state is for 10 rows in batches of 3, this iterator has 9 rows"):
        other.load_state_dict(state)
    fresh = datasets.batches(x, y, 3)
    for bad, words in [({**state, "position": 5}, r"position must be an integer in \[0, 4\]"),
                       ({**state, "order": np.zeros(10, int)}, "order must be a permutation of range"),
                       ({**state, "order": None}, "must have its order")]:
        with pytest.raises(ArgumentError, match=words):
            fresh.load_state_dict(bad)
    assert fresh.state_dict()["position"] == 0 and fresh.state_dict()["order"] is None


# ---- save and load of nested checkpoints -------------------------------------------------
def test_a_nested_checkpoint_round_trips_exactly(tmp_path) -> None:
    checkpoint = {
        "model": nn.mlp([3, 4, 2]).state_dict(),
        "step": 2**100 + 1, "lr": 0.1, "tiny": 5e-324, "neg_zero": -0.0, "inf": math.inf, "nan": math.nan,
        "name": "run 1: é", "done": False, "nothing": None, "betas": (0.9, 0.999),
        "state": {0: {"exp_avg": np.arange(3, dtype=np.float16)}, 1: {}},
        "looks_tagged": {"$tensor": "model.0.weight"}, "mixed": [np.int64(7), [1, "a"], np.zeros((0, 2))],
        "scalar": Value(2.5),
    }
    path = tmp_path / "ck.safetensors"
    tg.save(checkpoint, path)
    back = tg.load(path)
    expected = {**checkpoint, "model": dict(checkpoint["model"]), "mixed": [np.array(7), [1, "a"], np.zeros((0, 2))],
                "scalar": np.array(2.5)}
    assert_same(back, expected)
    assert type(back["state"]) is dict and list(back["state"]) == [0, 1]


def test_a_checkpoint_is_a_safetensors_file_with_dotted_names_and_json_metadata(tmp_path) -> None:
    from safetensors import safe_open
    from safetensors.numpy import load_file

    params = tensors([(2, 3)])
    opt = optim.Adam(params)
    train(opt, params, 1, seed=0)
    path = tmp_path / "ck.safetensors"
    tg.save({"model": {"0.weight": params[0].data}, "optimizer": opt.state_dict(), "epoch": 3}, path)
    assert sorted(load_file(path)) == ["model.0.weight", "optimizer.state.0.exp_avg", "optimizer.state.0.exp_avg_sq"]
    with safe_open(path, "np") as f:
        metadata = f.metadata()
    assert all(isinstance(v, str) for v in metadata.values())
    assert json.loads(metadata["checkpoint"])["epoch"] == 3
    assert b"pickle" not in path.read_bytes() and path.read_bytes()[8:9] == b"{"


def test_model_files_load_as_before(tmp_path) -> None:
    from safetensors.numpy import save_file

    net = nn.mlp([2, 12, 3, 1])  # (0.weight ... 4.bias: saved order is not sorted order)
    tg.save(net.state_dict(), tmp_path / "now.safetensors")
    loaded = tg.load(tmp_path / "now.safetensors")
    assert type(loaded) is OrderedDict and list(loaded) == list(net.state_dict())
    names = list(net.state_dict())  # a file as the save before checkpoints wrote it
    save_file(dict(net.state_dict()), tmp_path / "before.safetensors",
              metadata={"format": "pt", "writer": "tinygrad_edu", "order": json.dumps(names)})
    assert_same(dict(tg.load(tmp_path / "before.safetensors")), dict(loaded))
    assert list(tg.load(tmp_path / "before.safetensors")) == names
    save_file({"b": np.ones(2), "a": np.zeros(1)}, tmp_path / "foreign.safetensors")  # no metadata at all
    assert list(tg.load(tmp_path / "foreign.safetensors")) == ["a", "b"]


def test_what_a_checkpoint_cannot_hold_is_refused(tmp_path) -> None:
    path = tmp_path / "ck.safetensors"
    loop: list = []
    loop.append(loop)
    for bad, words in [({"step": 1, "f": print}, "'f' is not a numeric array .got builtin_function_or_method"),
                       ({"step": 1, "s": {1.5: 2}}, "keys must be strings or ints, got 1.5 in 's'"),
                       ({"step": 1, "loop": loop}, "nested deeper than 100 levels"),
                       ({1: np.zeros(1)}, "names must be strings")]:
        with pytest.raises(tg.SerializationError, match=words):
            tg.save(bad, path)
    assert not path.exists()


def test_a_damaged_checkpoint_structure_fails_cleanly(tmp_path) -> None:
    from safetensors.numpy import save_file

    path = tmp_path / "ck.safetensors"
    for skeleton in ["{not json", json.dumps({"w": {"$tensor": "missing"}}), json.dumps([1, 2])]:
        save_file({"w": np.zeros(1)}, path, metadata={"writer": "tinygrad_edu", "checkpoint": skeleton})
        with pytest.raises(tg.SerializationError, match="checkpoint structure"):
            tg.load(path)
