"""The benchmarks keep working (quick mode), and the hand-written NumPy reference computes the same math."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from benchmarks import cases, peers, picture, quiet_threads, run
from benchmarks.numpy_mlp import NumpyMLP
from tinygrad_edu.nn import functional as F


def test_numpy_reference_matches_the_engine_and_pytorch() -> None:
    x, y, net = cases._mlp_data()
    state = net.state_dict()
    ref = NumpyMLP(state["0.weight"], state["0.bias"], state["2.weight"], state["2.bias"], len(y))
    ref_loss = ref.loss_and_grads(x, y)
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    assert loss.item() == pytest.approx(ref_loss, rel=1e-5)
    for (_, p), g in zip(net.named_parameters(), (ref.gW1, ref.gb1, ref.gW2, ref.gb2)):
        np.testing.assert_allclose(p.grad, g, rtol=1e-4, atol=1e-7)
    torch = pytest.importorskip("torch")
    tnet = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    tnet.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    tloss = torch.nn.functional.cross_entropy(tnet(torch.from_numpy(x)), torch.from_numpy(y))
    tloss.backward()
    assert tloss.item() == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(tnet[0].weight.grad.numpy(), ref.gW1, rtol=1e-4, atol=1e-7)


def test_quick_mode_produces_a_number_for_every_case(capsys) -> None:
    rows = run.main(["--quick"])
    names = {r["case"].split(".")[0] for r in rows}
    assert {"1", "2", "3", "4", "5", "6", "7", "8", "9a", "9b", "10a", "10b", "12a", "12b"} <= names
    assert "11" in names  # issue 13: the transformer step (benchmarks/transformer_case.py)
    ours = [r for r in rows if r["engine"].startswith("tinygrad_edu")]
    assert ours and all(r["value"] is not None and r["value"] > 0 for r in ours if "MNIST" not in r["case"]
                        or "not found" not in r["note"])
    assert "| case | engine |" in capsys.readouterr().out
    assert not [r for r in rows if "disagree" in r["note"]], "a peer computed something else"
    for module, why in peers.load():  # every installed peer has a time in case 3 (per op)
        timed = [r for r in rows if r["case"].startswith("3.") and r["engine"].startswith(module.LABEL)]
        assert timed and (why is not None or all(r["value"] for r in timed)), (module.LABEL, why, timed)


def test_help_says_the_table_is_written_only_with_write(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one option per line
    with pytest.raises(SystemExit):
        run.main(["--help"])
    for line in capsys.readouterr().out.splitlines():
        if "README.md" in line:
            assert "--write" in line, f"help promises a written table without --write: {line.strip()!r}"


def test_a_run_of_one_case_replaces_only_its_own_rows(tmp_path, monkeypatch) -> None:
    readme = tmp_path / "README.md"
    monkeypatch.setattr(run, "README", readme)
    old = ["| case | engine | median | IQR | tinygrad_edu / this | note |", "|---|---|---|---|---|---|",
           "| 2. step | tinygrad_edu | 1 ms |  |  |  |", "| 7. busy | tinygrad_edu | 9 ms |  |  | old |",
           "| 8. later | tinygrad_edu | 3 ms |  |  |  |"]
    readme.write_text("# B\n\n" + "\n".join([run.BEGIN, "Made by `x`:", "", "- machine: m", "", *old, run.END])
                      + "\n\ntext after\n", encoding="utf-8")
    rows = [cases.row("7. busy", "tinygrad_edu", 0.005), cases.row("7. busy", "hand-written NumPy", 0.004)]
    for _ in range(2):  # a second run replaces the first one's rows and note, it does not add to them
        run.merge_readme(rows, "python -m benchmarks --only busy --write")
    text = readme.read_text(encoding="utf-8")
    lines = text.splitlines()
    body = [line for line in lines if line.startswith("| ")]
    assert [line.split("|")[1].strip() for line in body] == ["case", "2. step", "7. busy", "7. busy", "8. later"]
    assert "old" not in text and "| 5 ms |" in text and "**1.25x**" in text
    assert sum(line.startswith("- case 7: re-run alone with `python -m benchmarks --only busy --write`")
               for line in lines) == 1
    assert "- machine: m" in lines and text.endswith("text after\n")


def test_the_quiet_threads_script_compares_the_three_settings(capsys) -> None:
    quiet_threads.main(rounds=1, steps=1, settle=0.15)
    out = capsys.readouterr().out
    assert out.count("use_free_cores chose: [") == 2 and out.count("1 / ") == 2


def test_without_the_peers_installed_quick_mode_runs_and_says_so(monkeypatch) -> None:
    for name in ("jax", "jaxlib", "autograd", "tinygrad"):
        monkeypatch.setitem(sys.modules, name, None)  # `import name` now raises ImportError
    rows = run.main(["--quick", "--only", "per_op"])
    notes = {r["engine"]: r["note"] for r in rows}
    for label in ("JAX", "HIPS autograd", "tinygrad"):
        assert notes[label].startswith("not installed (pip install "), notes
    assert [r for r in rows if r["engine"] == "tinygrad_edu" and r["value"]]
    assert "JAX not installed" in run.machine()[1] and "peers: none installed" in run.machine()[2]


def test_tinygrad_without_clang_is_skipped_with_a_note(monkeypatch) -> None:
    from benchmarks.peers import tinygrad_peer

    monkeypatch.setattr(tinygrad_peer.shutil, "which", lambda name: None)
    why = tinygrad_peer.missing()
    assert why is not None and ("needs clang" in why or why.startswith("not installed"))


class _WrongPeer:
    """A peer whose step computes something else: twice the true loss."""

    LABEL = "wrong"

    @staticmethod
    def mlp_steps(state, x, y, lr):
        def factory():
            ref = NumpyMLP(state["0.weight"], state["0.bias"], state["2.weight"], state["2.bias"], len(y))
            return lambda: 2 * ref.step(x, y, lr)
        return [("wrong engine", factory, "")]


def test_a_peer_whose_losses_disagree_gets_no_time(monkeypatch) -> None:
    monkeypatch.setattr(peers, "load", lambda: [(_WrongPeer, None)])
    x, y, net = cases._mlp_data(16)
    state = net.state_dict()
    ref = NumpyMLP(state["0.weight"], state["0.bias"], state["2.weight"], state["2.bias"], len(y))
    expected = [ref.step(x, y, 0.01) for _ in range(2)]
    [r] = peers.mlp_rows("2. step", state, x, y, 0.01, expected, lambda: None, quick=True)
    assert r["value"] is None and "disagree with" in r["note"] and "not timed" in r["note"]
    def same_losses():
        it = iter(expected)
        return lambda: next(it)

    assert peers.check_mlp(same_losses, expected) is None


def test_the_busy_core_rows_time_each_peer_busy_and_quiet(monkeypatch) -> None:
    class Plain(_WrongPeer):  # the right loss this time
        LABEL = "plain"

        @staticmethod
        def mlp_steps(state, x, y, lr):
            def factory():
                ref = NumpyMLP(state["0.weight"], state["0.bias"], state["2.weight"], state["2.bias"], len(y))
                return lambda: ref.step(x, y, lr)
            return [("plain NumPy", factory, "a test peer")]

    monkeypatch.setattr(peers, "load", lambda: [(Plain, None)])
    monkeypatch.setattr(peers, "calibrate", lambda fn, target, warmup=1: 1)
    x, y, net = cases._mlp_data(16)
    spinner = subprocess.Popen([sys.executable, "-c", cases.SPINNER])
    try:
        rows = peers.busy_rows("7. busy", net.state_dict(), x, y, 0.01, lambda: None, spinner.pid, 2, quick=False)
    finally:
        spinner.kill()
        spinner.wait()
    mine = [r for r in rows if r["engine"] == "plain NumPy, neighbour busy"]
    assert mine and mine[0]["value"] > 0 and "busy / quiet: " in mine[0]["note"]
    assert {r["engine"] for r in rows} >= {"PyTorch CPU, neighbour busy"}


def test_the_picture_draws_each_engine_over_tinygrad_edu(tmp_path) -> None:
    table = ["| case | engine | median | IQR | tinygrad_edu / this | note |", "|---|---|---|---|---|---|",
             "| 2. step | tinygrad_edu | 1 ms |  |  |  |", "| 2. step | JAX jit | 2 ms |  | **0.50x** |  |",
             "| 2. step | reference: x | 9 ms |  |  |  |", "| 2. step | tinygrad eager | — |  |  | failed |",
             "| 3. op | tinygrad_edu | 4 us |  |  |  |", "| 3. op | HIPS autograd | 1e+03 us |  |  |  |",
             "| 5. alone | tinygrad_edu | 1 s |  |  |  |"]
    assert picture.relative(table) == [("2. step", [("tinygrad_edu", 1.0), ("JAX jit", 2.0)]),
                                       ("3. op", [("tinygrad_edu", 1.0), ("HIPS autograd", 250.0)])]
    svg = picture.write(table, tmp_path / "b.svg").read_text(encoding="utf-8")
    assert "JAX jit" in svg and "HIPS autograd" in svg and "5. alone" not in svg


# ---- cases 10b and 12 (issues 13 and 16), and re-runs of lettered cases -------------------------------------
def test_a_run_of_a_lettered_case_replaces_its_rows_in_number_order(tmp_path, monkeypatch) -> None:
    readme = tmp_path / "README.md"
    monkeypatch.setattr(run, "README", readme)
    old = ["| case | engine | median | IQR | tinygrad_edu / this | note |", "|---|---|---|---|---|---|",
           "| 9a. einsum | tinygrad_edu | 1 ms |  |  |  |", "| 10a. lenet | tinygrad_edu | 9 ms |  |  | old |",
           "| 10b. memory | tinygrad_edu | 3 MiB |  |  |  |", "| 12a. mlp | tinygrad_edu | 3 ms |  |  |  |"]
    readme.write_text("\n".join([run.BEGIN, "Made by `x`:", "", "- machine: m", "", *old, run.END]) + "\n",
                      encoding="utf-8")
    run.merge_readme([cases.row("10a. lenet", "tinygrad_edu", 0.005)], "python -m benchmarks --only lenet_step --write")
    body = [line.split("|")[1].strip() for line in readme.read_text(encoding="utf-8").splitlines()
            if line.startswith("| ")]
    assert body == ["case", "9a. einsum", "10a. lenet", "10b. memory", "12a. mlp"]
    assert "old" not in readme.read_text(encoding="utf-8")


def test_the_makemore_steps_are_the_same_program_on_both_engines() -> None:
    import tinygrad_edu as tg
    from benchmarks import makemore

    torch = pytest.importorskip("torch")
    for block in (3, 8):  # part 2's MLP, part 5's WaveNet
        ours = makemore.setups(tg, F, block)()
        theirs = makemore.setups(torch, torch.nn.functional, block)()
        losses = [(ours(), theirs()) for _ in range(3)]  # the first checks the forward, the next the updates
        np.testing.assert_allclose(*zip(*losses), rtol=1e-5)
        assert losses[2][0] < losses[0][0]  # the same fixed batch: SGD lowers its loss


def test_the_targets_are_judged_from_the_table_and_written_into_the_prose() -> None:
    from benchmarks import targets

    table = ["| 1. moons | tinygrad_edu (GC on) | 150 ms | 3 |  |  |",
             "| 1. moons | micrograd (GC on) | 1000 ms |  |  |  |",
             "| 4. chain of 1,000 scalar ops | tinygrad_edu | 1 us |  |  |  |",
             "| 4. chain of 1,000,000 scalar ops | tinygrad_edu | 1.8 us |  |  |  |",
             "| 10b. memory | tinygrad_edu | 28 MiB |  |  |  |",
             "| 10b. memory | hand-written NumPy | 21 MiB |  |  |  |"]
    said = targets.verdicts(table)
    assert said["moons"] == "**not met**: 0.15x (150 ms vs 1000 ms)"
    assert said["chain_node"].startswith("**met**: 1.8 us") and said["chain_growth"].startswith("**not met**: 1.80x")
    assert said["lenet_memory"].startswith("**met**: 1.33x") and "did not run" in said["wavenet"]
    text = ("Target: at most 0.1x (<!-- target:moons -->old words<!-- /target -->).\n"
            f"{targets.BEGIN}\nold table\n{targets.END}\n")
    filled = targets.fill(text, table)
    assert "old" not in filled and "(<!-- target:moons -->**not met**: 0.15x" in filled
    assert "| 10b. LeNet training-loop memory ≤ 1.5x NumPy | **met**: 1.33x (28 MiB vs 21 MiB) |" in filled
    assert targets.fill(filled, table) == filled  # filling again changes nothing


def test_the_scalar_profile_reports_gc_time_and_the_phases_of_a_chain(capsys) -> None:
    from benchmarks import scalar_profile

    results = scalar_profile.main(["--small"])
    chain = results[("chain", "tinygrad_edu", False)]
    assert chain["gc_build_us"] == 0 and chain["build_us"] > 0 and chain["backward_us"] > 0
    assert results[("moons", "tinygrad_edu", False)]["gc_ms"] == 0 < results[("moons", "tinygrad_edu", True)]["step_ms"]
    assert "full collections" in capsys.readouterr().out
