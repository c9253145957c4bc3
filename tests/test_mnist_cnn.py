"""examples/mnist_cnn.py on a small slice: it learns, writes its three pictures, and its weights load into PyTorch."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from test_examples import DATA, ROOT, example, is_png, needs_mnist


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """Two epochs over 1,024 training images, scored on the first 1,000 test images (a few seconds)."""
    out = tmp_path_factory.mktemp("mnist_cnn")
    return example("mnist_cnn").main(["--epochs", "2", "--limit", "1024", "--test-limit", "1000",
                                      "--batch-size", "32", "--data", str(DATA / "mnist"), "--out", str(out)])


@needs_mnist
def test_mnist_cnn_learns_on_a_slice_and_writes_its_pictures(short_run) -> None:
    assert short_run["test_accuracy"] >= 0.6  # chance is 0.1; the full run reaches 0.99
    assert short_run["reloaded_accuracy"] == short_run["test_accuracy"]
    history = short_run["history"]
    assert len(history["loss"]) == 2 * 32 and np.mean(history["loss"][-10:]) < np.mean(history["loss"][:10]) / 2
    assert len(history["epoch_seconds"]) == 2 and short_run["elapsed"] > 0
    assert set(short_run["pictures"]) == {"training", "filters", "feature_maps"}
    for path in short_run["pictures"].values():
        assert is_png(path) and path.stat().st_size > 5000  # a real picture, not an empty canvas


@needs_mnist
def test_mnist_cnn_weights_load_into_the_same_network_in_torch(short_run) -> None:
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    T = torch.nn
    ref = T.Sequential(T.Conv2d(1, 16, 5, padding=2), T.ReLU(), T.MaxPool2d(2), T.Conv2d(16, 32, 5), T.ReLU(),
                       T.MaxPool2d(2), T.Flatten(), T.Linear(800, 128), T.ReLU(), T.Linear(128, 10))
    ref.load_state_dict(safetensors_torch.load_file(str(short_run["weights"])))  # strict: the same keys and shapes
    x = np.random.default_rng(0).standard_normal((6, 1, 28, 28)).astype(np.float32)
    mine = short_run["model"](x).data
    assert mine.dtype == np.float32
    np.testing.assert_allclose(mine, ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_mnist_cnn_has_help() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "mnist_cnn.py"), "--help"], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and "usage:" in done.stdout and "--limit" in done.stdout
