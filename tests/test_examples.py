"""Every example runs and reproduces its result (small settings where the full run is long)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TINYGRAD_EDU_DATA", ROOT.parent / "shared" / "data"))
needs_mnist = pytest.mark.skipif(not (DATA / "mnist").is_dir(), reason=f"no MNIST files in {DATA}/mnist")
PNG = b"\x89PNG\r\n\x1a\n"


def example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_png(path: Path) -> bool:
    return Path(path).read_bytes()[:8] == PNG


def test_lecture_numbers_are_all_reproduced(capsys) -> None:
    result = example("lecture_numbers").main([])
    assert result["all_match"] and len(result["checks"]) == 16
    out = capsys.readouterr().out
    for number in ("81", "2.3032", "2.4032", "-4.61", "0 1 1 0", "0.4 0.5 0.5 0.6", "0.3 0.4 0.4 0.5"):
        assert number in out
    assert "DIFFERS" not in out


def test_gradient_descent_reaches_the_lectures_minimum(tmp_path) -> None:
    result = example("gradient_descent_2d").main(["--out", str(tmp_path)])
    x1, x2 = result["x"]
    assert (round(x1, 5), round(x2, 5), round(result["f"], 5)) == (2.11894, -2.0, -1.14312)
    assert np.all(result["path"][:, 0] >= -2) and np.all(result["path"][:, 0] <= 3)  # stayed in the box
    assert all(is_png(p) for p in result["pictures"])


def test_logic_gates_train_and_xor_has_a_good_and_a_bad_seed(tmp_path) -> None:
    result = example("logic_gates").main(["--epochs", "1500", "--out", str(tmp_path)])
    verdicts = result["verdicts"]
    assert verdicts["NOT"] and verdicts["NAND"]
    assert verdicts[f"XOR seed {result['good_seed']}"] and not verdicts[f"XOR seed {result['bad_seed']}"]
    assert is_png(result["picture"])


@needs_mnist
def test_mnist_softmax_reaches_090_on_the_real_test_set(tmp_path) -> None:
    result = example("mnist_softmax").main(["--epochs", "1", "--data", str(DATA / "mnist"), "--out", str(tmp_path)])
    assert result["test_accuracy"] >= 0.90
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([f"W_digit_{d}.png" for d in range(10)] + ["W_all_digits.png"])
    assert all(is_png(tmp_path / n) for n in names)


@needs_mnist
def test_mnist_mlp_learns_and_reloads_with_the_same_accuracy(tmp_path) -> None:
    result = example("mnist_mlp").main(["--data", str(DATA / "mnist"), "--out", str(tmp_path)])  # full run: ~5 s
    assert result["test_accuracy"] >= 0.97
    assert result["reloaded_accuracy"] == result["test_accuracy"]
    assert is_png(result["plot"]) and result["weights"].is_file()


def test_micrograd_moons_trains(tmp_path) -> None:
    result = example("micrograd_moons").main(["--steps", "25", "--points", "40", "--out", str(tmp_path)])
    losses = [loss for loss, _ in result["history"]]
    assert losses[-1] < losses[0] / 2 and result["final_accuracy"] >= 0.85
    assert is_png(result["picture"])


@pytest.mark.parametrize("name", ["lecture_numbers", "gradient_descent_2d", "logic_gates", "mnist_softmax",
                                  "mnist_mlp", "micrograd_moons"])
def test_every_example_has_help(name: str) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / f"{name}.py"), "--help"], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and "usage:" in done.stdout
