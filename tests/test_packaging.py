"""The package as users install it: the wheel's contents, one version, light imports, clear messages for extras.

.ci/check_wheel.sh goes further (sdist too, a fresh venv outside the tree, the demo and the README blocks).
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu
from tinygrad_edu import demo
from tinygrad_edu.cli import main as cli
from tinygrad_edu.errors import MissingDependencyError, TinygradEduError

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tinygrad_edu"


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_wheel_holds_every_subpackage_the_data_files_and_the_license(tmp_path) -> None:
    tree = tmp_path / "src"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(PACKAGE, tree / "tinygrad_edu", ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                           str(tree), "-w", str(tmp_path / "dist")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "dist").glob("tinygrad_edu-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")}
    assert shipped - names == set(), "files of the package missing from the wheel"
    assert {"tinygrad_edu/nn/__init__.py", "tinygrad_edu/testing/__init__.py", "tinygrad_edu/py.typed"} <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert wheel.name.startswith(f"tinygrad_edu-{tinygrad_edu.__version__}-")


def test_license_is_mit_as_pyproject_declares() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "the tinygrad_edu authors" in text
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_version_is_written_once_and_reported_by_the_command_line(capsys) -> None:
    assert importlib.metadata.version("tinygrad-edu") == tinygrad_edu.__version__
    assert "version =" not in (ROOT / "pyproject.toml").read_text(encoding="utf-8").split("[project]")[1] \
        .split("\n[")[0], "pyproject.toml must read the version from tinygrad_edu/_version.py, not repeat it"
    with pytest.raises(SystemExit) as stop:
        cli(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"tinygrad-edu {tinygrad_edu.__version__}\n"
    done = subprocess.run([sys.executable, "-m", "tinygrad_edu", "--version"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == f"tinygrad-edu {tinygrad_edu.__version__}"


def test_importing_the_package_loads_no_optional_or_peer_package() -> None:
    done = _python(
        "import sys, pkgutil, importlib, tinygrad_edu\n"
        "for m in pkgutil.walk_packages(tinygrad_edu.__path__, 'tinygrad_edu.'):\n"
        "    if m.name not in ('tinygrad_edu.__main__', 'tinygrad_edu.testing.strategies'):\n"
        "        importlib.import_module(m.name)\n"
        "heavy = ('matplotlib', 'torch', 'micrograd', 'jax', 'hypothesis', 'pytest')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_pictures_without_matplotlib_name_the_extra_to_install() -> None:
    done = _python(
        "import sys\n"
        "sys.modules['matplotlib'] = None  # as if it were not installed\n"
        "import numpy as np\n"
        "from tinygrad_edu.plots import save_weight_images\n"
        "from tinygrad_edu.errors import MissingDependencyError\n"
        "try:\n"
        "    save_weight_images(np.zeros((784, 10)), 'unused')\n"
        "except MissingDependencyError as e:\n"
        "    assert isinstance(e, ImportError) and e.name == 'matplotlib'\n"
        "    print(e)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "weight images" in done.stdout and 'pip install "tinygrad-edu[plots]"' in done.stdout


def test_strategies_without_hypothesis_name_the_extra_to_install() -> None:
    done = _python(
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "from tinygrad_edu.errors import MissingDependencyError\n"
        "try:\n"
        "    import tinygrad_edu.testing.strategies\n"
        "except MissingDependencyError as e:\n"
        "    print(e)\n"
        "import tinygrad_edu.testing  # gradcheck itself needs no Hypothesis\n"
    )
    assert done.returncode == 0, done.stderr
    assert 'pip install "tinygrad-edu[testing]"' in done.stdout


def test_missing_dependency_error_is_the_projects_and_an_import_error() -> None:
    assert issubclass(MissingDependencyError, TinygradEduError) and issubclass(MissingDependencyError, ImportError)


def test_demo_without_matplotlib_skips_the_weight_images_with_a_note(monkeypatch, tmp_path, capsys) -> None:
    rng = np.random.default_rng(0)

    def small_mnist(split: str, root: object = None) -> tuple[np.ndarray, np.ndarray]:
        return rng.random((200, 784), dtype=np.float32), rng.integers(0, 10, 200)

    monkeypatch.setattr(demo.datasets, "load_mnist", small_mnist)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    demo.mnist_softmax(tmp_path, epochs=1, data=None)
    out = capsys.readouterr().out
    assert 'weight images skipped: they need matplotlib, pip install "tinygrad-edu[plots]"' in out
    assert not (tmp_path / "mnist_weights").exists()
