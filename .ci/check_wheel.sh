#!/usr/bin/env bash
# The package as a new user gets it: build the sdist and, from it, the wheel; check what both hold; install the
# wheel into a fresh venv outside the source tree; import every module from there; run the demo and README.md's
# python blocks from another folder against the installed package. Called by .ci/run (TINYGRAD_EDU_DATA set).
#   usage: bash .ci/check_wheel.sh        (PYTHON=... picks the interpreter that has `build`; default .venv's)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tinygrad-edu-wheel.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
case "$WORK/" in "$ROOT"/*) echo "check_wheel: scratch folder $WORK is inside the source tree" >&2; exit 1 ;; esac
unset PYTHONPATH
began=$SECONDS
step() { echo "check_wheel [$((SECONDS - began)) s]: $*"; }

step "building the sdist, then the wheel from the sdist (python -m build, isolated)"
if ! "$PY" -m build --outdir "$WORK/dist" "$ROOT" >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log" >&2
    exit 1
fi
WHEEL="$(ls "$WORK"/dist/tinygrad_edu-*.whl)"
SDIST="$(ls "$WORK"/dist/tinygrad_edu-*.tar.gz)"
echo "  $(basename "$WHEEL"), $(basename "$SDIST")"

step "checking that both hold every file of the package, LICENSE and py.typed"
"$PY" - "$ROOT" "$WHEEL" "$SDIST" <<'EOF'
import subprocess, sys, tarfile, zipfile
from pathlib import Path

root, wheel, sdist = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
try:  # the files git tracks (a clean clone holds exactly these) ...
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "tinygrad_edu"], capture_output=True, text=True,
                            check=True).stdout.split()
except (OSError, subprocess.CalledProcessError):  # ... or, outside git, every file but the byte code
    listed = [p.relative_to(root).as_posix() for p in (root / "tinygrad_edu").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts]
package = set(listed)
packages = sorted({str(Path(f).parent) for f in package if f.endswith("/__init__.py")})
assert "tinygrad_edu/py.typed" in package and "tinygrad_edu/nn" in packages and "tinygrad_edu/testing" in packages
in_wheel = set(zipfile.ZipFile(wheel).namelist())
with tarfile.open(sdist) as tar:
    top = tar.getnames()[0].split("/")[0]
    in_sdist = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
problems = []
for label, names, extra in (("wheel", in_wheel, "tinygrad_edu-*.dist-info/licenses/LICENSE"),
                            ("sdist", in_sdist, "LICENSE")):
    missing = sorted(package - names)
    if missing:
        problems.append(f"{label} lacks {missing}")
    if not any(Path(n).match(extra) for n in names):
        problems.append(f"{label} lacks {extra}")
if problems:
    sys.exit("check_wheel: " + "; ".join(problems))
print(f"  {len(packages)} packages ({', '.join(packages)}), {len(package)} files, LICENSE and py.typed "
      f"in both; sdist folder {top}")
EOF

step "installing the wheel with its plots extra into a fresh venv in $WORK/venv"
python3 -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
pip_install() {
    "$VPY" -m pip install -q "$@" >"$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log" >&2; exit 1; }
}
pip_install "$WHEEL[plots]"
"$VPY" -c "import tinygrad_edu" || { echo "check_wheel: the installed wheel does not import" >&2; exit 1; }
mkdir "$WORK/elsewhere"
cd "$WORK/elsewhere"  # no source tree on sys.path from here on: the installed package or nothing

step "importing every module of the installed package"
check_imports() {
    "$VPY" -I - "$ROOT" "$1" <<'EOF'
import importlib, pkgutil, sys
from pathlib import Path

import tinygrad_edu
from tinygrad_edu.errors import MissingDependencyError

root, with_testing = Path(sys.argv[1]).resolve(), sys.argv[2] == "testing"
home = Path(tinygrad_edu.__file__).resolve().parent
assert root not in home.parents, f"tinygrad_edu was imported from the source tree ({home})"
names = [m.name for m in pkgutil.walk_packages(tinygrad_edu.__path__, "tinygrad_edu.")]
for name in names:
    if name == "tinygrad_edu.__main__":
        continue  # runs the command line: checked below
    if name == "tinygrad_edu.testing.strategies" and not with_testing:
        try:  # Hypothesis is the `testing` extra: its absence must be said clearly
            importlib.import_module(name)
        except MissingDependencyError as e:
            assert 'pip install "tinygrad-edu[testing]"' in str(e), e
            continue
        raise SystemExit("tinygrad_edu.testing.strategies imported without Hypothesis installed?")
    importlib.import_module(name)
print(f"  {len(names)} modules from {home}" + ("" if with_testing else " (strategies: clear MissingDependencyError)"))
EOF
}
check_imports plots
pip_install "$WHEEL[plots,testing]"
check_imports testing
version="$("$WORK/venv/bin/tinygrad-edu" --version)"
[[ "$version" == "tinygrad-edu $("$VPY" -I -c 'import tinygrad_edu; print(tinygrad_edu.__version__)')" ]] \
    || { echo "check_wheel: tinygrad-edu --version says '$version'" >&2; exit 1; }
echo "  $version"

step "running python -m tinygrad_edu demo from $WORK/elsewhere"
"$VPY" -I -m tinygrad_edu demo --out "$WORK/demo" | sed 's/^/  | /'
graphs="graph_neuron.dot graph_mlp.dot"
command -v dot >/dev/null 2>&1 && graphs="graph_neuron.svg graph_mlp.png"
for f in mnist_weights/W_digit_0.png mnist_weights/W_all_digits.png $graphs; do
    [[ -s "$WORK/demo/$f" ]] || { echo "check_wheel: the demo did not write $f" >&2; exit 1; }
done

step "running README.md's python blocks against the installed package"
"$VPY" -I "$ROOT/tests/readme_snippets.py" "$ROOT/README.md" --workdir "$WORK/elsewhere" --outside "$ROOT" \
    | sed 's/^/  | /'

step "done: the wheel installs, imports, runs the demo and the README's blocks outside the tree"
