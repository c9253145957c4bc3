"""The main job: `tinygrad-edu demo` trains, renders and says where its outputs are."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tinygrad_edu.cli import main as cli

DATA = Path(os.environ.get("TINYGRAD_EDU_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.mark.skipif(not (DATA / "mnist").is_dir(), reason=f"no MNIST files in {DATA}/mnist")
def test_demo_runs_and_writes_its_outputs(tmp_path, capsys) -> None:
    assert cli(["demo", "--out", str(tmp_path), "--data", str(DATA / "mnist")]) == 0
    out = capsys.readouterr().out
    assert "parameters of a 4-5-5-3-2 network: 81" in out and "2.3032" in out
    accuracy = float(out.split("test accuracy ")[1].split()[0])
    assert accuracy >= 0.90
    assert len(list((tmp_path / "mnist_weights").glob("W_digit_*.png"))) == 10
    kinds = ("png", "svg") if shutil.which("dot") else ("dot",)
    for name in ("neuron", "mlp"):
        for kind in kinds:
            assert (tmp_path / f"graph_{name}.{kind}").stat().st_size > 1000
    assert str(tmp_path.resolve()) in out


def test_console_script_is_installed(tmp_path) -> None:
    import subprocess
    import sys

    script = Path(sys.executable).parent / "tinygrad-edu"
    if not script.exists():
        pytest.skip("package not installed in this environment (run from a source tree)")
    done = subprocess.run([str(script), "graph", "neuron", "--format", "dot", "--out", str(tmp_path / "n.dot")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "digraph" in (tmp_path / "n.dot").read_text()
