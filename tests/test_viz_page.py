"""The explore page's contents without a browser: self-contained, small, numbers from the engine's own pass."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tinygrad_edu import Value, trace_backward, viz
from tinygrad_edu.cli import main as cli
from tinygrad_edu.errors import ArgumentError
from tinygrad_edu.explore_cli import used_twice
from tinygrad_edu.graph_examples import mnist_step, neuron, xor
from tinygrad_edu.viz_page import ExplorePage, forward_order, page_data, rule_text, show, to_html

pytestmark = pytest.mark.usefixtures("needs_dot")


@pytest.fixture
def needs_dot() -> None:
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")  # (tests/test_viz.py fails the run under CI without it)


def data_of(page: str) -> dict:
    return json.loads(re.search(r'<script id="explore-data" type="application/json">(.*?)</script>', page, re.S)[1])


def test_page_is_one_small_self_contained_file(tmp_path) -> None:
    path = tmp_path / "neuron.html"
    page = to_html(neuron(), path)
    assert path.read_text(encoding="utf-8") == page
    assert len(page.encode()) < 200 * 1024  # the budget for the neuron page
    assert "<svg" in page and "<style>" in page and "window.explore" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing loaded from a network
    assert "<script src" not in page and "<link" not in page and "@import" not in page


def test_backward_steps_are_the_engines_visiting_order_with_its_gradients() -> None:
    y = neuron()  # (backward already ran once: .grad holds the engine's gradients)
    before = {v: v.grad for v in forward_order(y)}
    with trace_backward() as trace:
        y.backward()  # the same pass again, recorded by the test itself
    for v, g in before.items():  # (undo the second accumulation)
        v.grad = g
    data, _ = page_data(y)
    nodes = forward_order(y)
    assert [s["n"] for s in data["steps"]] == [nodes.index(step.node) for step in trace.steps]
    for step in data["steps"]:
        assert step["g"] == pytest.approx(before[nodes[step["n"]]], rel=1e-5)
    assert all(v.grad is before[v] for v in nodes)  # making the page changed no .grad


def test_a_value_used_twice_receives_two_parts_that_sum_to_its_gradient() -> None:
    e = used_twice()
    before = [v.grad for v in forward_order(e)]
    data, _ = page_data(e)
    names = [n["name"] for n in data["nodes"]]
    a = names.index("a")
    (step,) = [s for s in data["steps"] if s["n"] == a]
    parts = sorted(part for s in data["steps"] for j, part, _, _ in s["sent"] if j == a)
    assert parts == [-3.0, 1.0] and step["g"] == -2.0  # from c = a*b (b = -3) and from e = c + a (1)
    rules = {names[j]: data["rules"][rule] for s in data["steps"] for j, _, _, rule in s["sent"]}
    assert rules["a"] in ("d(a+b)/db = 1", "d(a*b)/da = b") and rules["b"] == "d(a*b)/db = a"
    assert [v.grad for v in forward_order(e)] == before  # the page recorded its own pass, leaving .grad alone


def test_a_recorded_trace_can_be_given_and_a_squared_input_gets_both_rules() -> None:
    x = Value(3.0, label="x")
    y = x * x
    with trace_backward() as trace:
        y.backward()
    data, _ = page_data(y, trace=trace)
    first = data["steps"][0]
    assert [data["rules"][rule] for *_, rule in first["sent"]] == ["d(a*b)/da = b", "d(a*b)/db = a"]
    assert first["sent"][-1][2] == 6.0 == x.grad  # the running total ends at dy/dx = 2x
    with pytest.raises(ArgumentError, match="no backward pass from this Value"):
        page_data(x * 2, trace=trace)
    with pytest.raises(ArgumentError, match="expected a Value"):
        to_html(3.0)  # type: ignore[arg-type]


def test_tensor_nodes_carry_a_summary_and_small_ones_a_heat_map() -> None:
    data, _ = page_data(xor())
    w1 = next(n for n in data["nodes"] if n["name"] == "W1")
    assert w1["shape"] == [2, 2] and "dtype" not in w1  # (float64, the default)
    assert w1["data"]["heat"] == [[10.0, -10.0], [10.0, -10.0]] and w1["data"]["min"] == -10.0
    assert len(w1["grad"]["heat"]) == 2
    big, _ = page_data(mnist_step())
    x = next(n for n in big["nodes"] if n.get("shape") == [128, 784])
    assert x["dtype"] == "float32"
    assert "heat" not in x["data"] and set(x["data"]) == {"min", "mean", "max"}


def test_rules_in_words_with_a_fallback() -> None:
    a = Value(2.0)
    assert rule_text(a * 3, 0) == "d(a*c)/da = c"
    assert rule_text(a.tanh(), 0) == "d tanh(a)/da = 1 - tanh(a)^2"
    assert rule_text(Value(np.ones(3)).sum(), 0) == "each element gets the output's gradient"
    assert rule_text(a.sigmoid(), 0).startswith("d sigma(a)/da")


def test_large_graphs_are_capped_with_a_note_and_labels_cannot_break_the_script() -> None:
    x = Value(1.0, label="</script><b>x")
    y = x
    for _ in range(30):
        y = y * 1.01 + x
    page = to_html(y, max_values=20)
    data = data_of(page)
    assert data["capped"] and "exceed this page's cap of 20" in data["notes"][0]
    merged = data_of(to_html(y, max_nodes=20))  # the picture merges, the steps go on
    assert merged["steps"] and any(n.get("merged") for n in merged["nodes"])
    assert "</script><b>" not in page.split('type="application/json">')[1].split("</script>")[0]


def test_jupyter_shows_the_page_in_an_iframe_and_the_static_svg_otherwise() -> None:
    y = Value(2.0) * Value(3.0)
    shown = viz.draw_dot(y, interactive=True)
    assert isinstance(shown, ExplorePage)
    assert shown._repr_html_().startswith("<iframe srcdoc=\"&lt;!DOCTYPE html&gt;")
    assert isinstance(show(y), ExplorePage)
    assert not isinstance(viz.draw_dot(y), ExplorePage)  # (a graphviz.Digraph: Jupyter shows its SVG)
    assert viz.to_html(y).startswith("<!DOCTYPE html>")


def big_scalar_loss() -> Value:
    """A 2-16-16-1 scalar MLP's squared error on 6 points: 4,000 values, a page of 1.4 MB."""
    import random

    from tinygrad_edu import nn

    random.seed(0)
    model = nn.MLP(2, [16, 16, 1])
    points = np.random.default_rng(0).standard_normal((6, 2))
    loss = sum((model(list(map(Value, p))) - 1.0) ** 2 for p in points) * (1 / 6)
    loss.backward()
    return loss


def test_jupyter_caps_a_large_graphs_cell_and_says_so() -> None:
    big = viz.draw_dot(big_scalar_loss(), interactive=True)
    cell = big._repr_html_()
    assert len(cell.encode()) < 1_000_000  # before: the whole page escaped into the cell, 2.2 MB
    assert big.too_large and "<iframe" not in cell and "<svg" in cell  # the static picture instead
    assert "above its cap of 1.0 MB (max_bytes)" in cell and ".save(" in cell
    assert "larger than the picture&#x27;s cap (max_nodes)" in cell  # the picture is merged, and it says so
    width = float(re.search(r'<svg width="([\d.]+)pt"', cell)[1])
    assert width <= 1080  # scaled down like the pictures of `tinygrad-edu graph` (11,596 pt before)
    assert data_of(big.html)["steps"]  # the page itself is whole: .save() writes it
    small = show(big_scalar_loss(), max_bytes=10_000_000)
    assert "<iframe" in small._repr_html_() and not small.too_large  # a raised cap shows the page
    capped = show(neuron(), max_values=5)  # the page's own cap: the note is in the cell, not only in the page
    assert "exceed this page&#x27;s cap of 5 (max_values)" in capped._repr_html_().split("<iframe")[0]
    plain = show(neuron())._repr_html_()
    assert plain.startswith("<iframe")  # nothing capped: no note


def test_cli_explore_writes_pages(tmp_path, capsys) -> None:
    out = tmp_path / "n.html"
    assert cli(["explore", "neuron", "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert data_of(out.read_text(encoding="utf-8"))["steps"]
    assert cli(["explore", "used-twice", "-o", str(tmp_path / "u.html"), "--rankdir", "TB"]) == 0
    with pytest.raises(SystemExit):
        cli(["explore", "resnet-step"])  # not an example


def test_cli_explore_cnn_step_writes_one_small_self_contained_page(tmp_path, capsys) -> None:
    out = tmp_path / "cnn.html"
    assert cli(["explore", "cnn-step", "-o", str(out)]) == 0  # before: "invalid choice: 'cnn-step'"
    page = out.read_text(encoding="utf-8")
    assert f"wrote {out}" in capsys.readouterr().out
    assert len(page.encode()) < 150 * 1024  # 87 KB measured
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing loaded from a network
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    data = data_of(page)
    assert not data["capped"] and len(data["nodes"]) == 25 and len(data["steps"]) == 24  # 16 ops, 8 parameters
    scopes = {n.get("scope", "") for n in data["nodes"]}
    assert {":LeNet/conv1:Conv2d", ":LeNet/conv2:Conv2d", ":LeNet/fc1:Linear", ":LeNet/fc2:Linear"} <= scopes
    assert "conv1 (Conv2d)" in page and "max_pool2d" in page


def test_forward_plays_every_node_after_its_inputs_even_one_used_at_two_depths() -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(3):
        y = y * 1.01 + x  # x feeds the first product and every sum
    data, _ = page_data(y)
    for k, node in enumerate(data["nodes"]):
        assert all(j < k for j in node.get("inputs", [])), f"node {k} is played before one of its inputs"
    assert data["nodes"][0]["name"] == "x" and len(data["nodes"]) == 7


def test_without_graphviz_the_page_names_what_to_install(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on the PATH
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz"):
        to_html(Value(1.0) * 2)
