"""README.md and .ci/run must agree: CI runs exactly the test command README gives."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import readme_snippets  # tests/readme_snippets.py

ROOT = Path(__file__).resolve().parent.parent


def _bash_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command() -> None:
    blocks = _bash_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    test_commands = [b for b in blocks if "pytest" in b]
    assert len(test_commands) == 1, "README must give exactly one test command"
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_commands[0] in ci_lines


def test_readme_gives_the_demo_command() -> None:
    blocks = _bash_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert any(b.endswith("-m tinygrad_edu demo") for b in blocks)


# ---- README's python blocks run, and show what their comments say (tests/readme_snippets.py) ----
DATA = Path(os.environ.get("TINYGRAD_EDU_DATA", ROOT.parent / "shared" / "data"))


@pytest.mark.skipif(not (DATA / "mnist").is_dir(), reason=f"no MNIST files in {DATA}/mnist")
def test_readme_python_blocks_run_and_match_their_comments(monkeypatch, tmp_path, capsys) -> None:
    # The MNIST block's epoch is cut to 20 batches here (of its first rows: the result stays a Batches, with
    # its state_dict); .ci/check_wheel.sh runs it whole on the installed wheel.
    import tinygrad_edu.datasets

    full = tinygrad_edu.datasets.batches

    def first_20_batches(x, y, size, *args, **kwargs):
        return full(x[: 20 * size], y[: 20 * size], size, *args, **kwargs)

    monkeypatch.setattr(tinygrad_edu.datasets, "batches", first_20_batches)
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(DATA))
    result = readme_snippets.run(ROOT / "README.md", workdir=tmp_path)
    assert result["blocks"] >= 6 and result["checked"] >= 2
    assert (tmp_path / "mnist.safetensors").exists()


def test_snippet_runner_catches_a_wrong_comment_and_names_the_line(tmp_path) -> None:
    fake = tmp_path / "README.md"
    fake.write_text("# t\n\n```python\nx = 2\nprint(x * 0.5)   # 1.0\n```\n\ntext\n\n"
                    "```python\n(x, x + 1)  # (2, 4)\n```\n")
    with pytest.raises(readme_snippets.SnippetError, match=r"README.md:11: the line evaluates to \(2, 3\)"):
        readme_snippets.run(fake, workdir=tmp_path, verbose=False)
    fake.write_text("```python\nprint(1 / 3)  # 0.3334\n```\n")
    with pytest.raises(readme_snippets.SnippetError, match="printed 0.333"):
        readme_snippets.run(fake, workdir=tmp_path, verbose=False)
    fake.write_text("```python\nimport math\nmath.sqrt(2)  # 1.41421\nundefined_name + 1\n```\n")
    with pytest.raises(readme_snippets.SnippetError, match="README.md:4: .* raised NameError"):
        readme_snippets.run(fake, workdir=tmp_path, verbose=False)


def test_the_add_an_op_example_is_the_real_source() -> None:
    """README's worked example of a primitive (log1p) is the code in ops/elementwise.py, to the letter."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Adding an op"):]
    start = section.index("```python\n") + len("```python\n")
    block = section[start:section.index("```\n", start)]
    code = "".join(line for line in block.splitlines(keepends=True) if not line.startswith("# class "))
    source = (ROOT / "tinygrad_edu" / "ops" / "elementwise.py").read_text(encoding="utf-8")
    indented = "".join(("    " + line) if line.strip() else line for line in code.splitlines(keepends=True))
    assert indented in source
    assert 'Op("log1p", lambda a: a.log1p(), np.log1p, kinds=("positive",), scalar=True)' in (
        ROOT / "tests" / "op_registry.py").read_text(encoding="utf-8")
