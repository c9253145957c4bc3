"""The lecture notebooks of notebooks/: stored without outputs, the same as notebooks/build.py writes, and each
runs top to bottom in a fresh kernel (nbclient) within a time limit per cell, so a notebook that breaks fails."""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")  # the dev extra installs nbformat, nbclient and ipykernel
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
spec = importlib.util.spec_from_file_location("notebook_build", NOTEBOOKS / "build.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)
CELL_SECONDS = 60  # per cell; each whole notebook runs in a few seconds


def test_every_notebook_is_built_by_the_script() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(build.NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(build.NOTEBOOKS))
def test_notebook_is_stored_without_outputs_and_up_to_date(name) -> None:
    stored = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in stored.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: outputs are stored"
    assert stored == build.build(name), f"{name} differs from notebooks/build.py: run python notebooks/build.py"


@pytest.mark.parametrize("name", sorted(build.NOTEBOOKS))
def test_notebook_runs_and_shows_the_static_and_the_interactive_graph(name, tmp_path) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=CELL_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    seconds = time.perf_counter() - start
    print(f"{name}: {seconds:.1f} s")
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in shown if o.output_type == "error"]
    assert any("image/svg+xml" in o.get("data", {}) for o in shown), "no static graph shown"
    assert any("data-ready" in o.get("data", {}).get("text/html", "") or "srcdoc" in
               o.get("data", {}).get("text/html", "") for o in shown), "no interactive view shown"
    text = "".join(o.get("text", "") for o in shown)
    if name == "course_lecture_exercises.ipynb" and os.environ.get("TINYGRAD_EDU_DATA"):  # as in CI: MNIST is there
        assert "test accuracy 0.9" in text, text[-500:]
    assert seconds < 40, f"{name} took {seconds:.1f} s"
