"""Drawings: DOT structure, valid SVG/PNG through Graphviz, escaping of any label, big graphs, the CLI."""

from __future__ import annotations

import os
import random
import shutil
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from tinygrad_edu import Value, nn
from tinygrad_edu.cli import main as cli
from tinygrad_edu.viz import GraphvizNotFoundError, draw_dot, draw_graph, render
from tinygrad_edu.viz_cli import mnist_step, neuron, xor

HAVE_DOT = shutil.which("dot") is not None
if not HAVE_DOT and os.environ.get("TINYGRAD_EDU_REQUIRE_DOT"):
    raise RuntimeError("TINYGRAD_EDU_REQUIRE_DOT is set but Graphviz's dot is not installed")
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot is not installed")


def count(dot) -> tuple[int, int, int]:
    """(value boxes, op ellipses, edges) in a drawing's DOT source."""
    lines = dot.source.splitlines()
    values = sum(1 for line in lines if line.strip().startswith("v") and "->" not in line and "op " not in line
                 and "[label=<<TABLE" in line)
    ops = sum(1 for line in lines if "shape=ellipse" in line)
    edges = sum(1 for line in lines if "->" in line)
    return values, ops, edges


def test_neuron_drawing_structure() -> None:
    dot = draw_graph(neuron())
    values, ops, edges = count(dot)
    # 7 leaves (a1..a3, w1..w3, b), 3 products, 3 sums, the sigmoid: 14 values, 7 ops
    assert (values, ops) == (14, 7)
    assert edges == 7 + 14 - 1  # op -> result for each op, and each non-output value into one op
    for label in ("w1", "a3", "<B>b</B>", "sigmoid", "grad 1"):
        assert label in dot.source
    assert "cluster" not in dot.source  # no modules: no clusters


def test_xor_network_drawing_structure() -> None:
    dot = draw_graph(xor())
    source = dot.source
    for label in ("W1", "b1", "W2", "b2", "(4, 2) float64", "sigmoid", "@"):
        assert label in source
    values, ops, _ = count(dot)
    assert ops == values - 6  # every value but the 4 parameters, the input and the target comes from an op


def test_tensor_mlp_is_drawn_as_clusters_per_layer() -> None:
    dot = draw_graph(mnist_step())
    source = dot.source
    assert source.count("subgraph cluster") == 4  # Sequential, 0 (Linear), 1 (ReLU), 2 (Linear)
    for label in ("0 (Linear)", "1 (ReLU)", "2 (Linear)", "0.weight", "(128, 784) float32", "cross_entropy (mean)"):
        assert label in source
    values, ops, _ = count(dot)
    assert values <= 12 and ops == 4  # a handful of clearly labelled nodes
    collapsed = draw_graph(mnist_step(), collapse_modules=True).source
    assert "values merged" in collapsed and collapsed.count("shape=ellipse") < ops + 1


def test_big_scalar_graph_is_merged_with_a_note() -> None:
    random.seed(0)
    model = nn.MLP(2, [16, 16, 1])
    points = np.random.default_rng(0).standard_normal((6, 2))
    loss = sum((model(list(map(Value, p))) - 1.0) ** 2 for p in points) * (1 / 6)
    loss.backward()
    dot = draw_graph(loss, max_nodes=300)
    assert "exceed the cap of 300 nodes" in dot.source
    assert dot.source.count("->") < 600
    if HAVE_DOT:
        ET.fromstring(dot.pipe(format="svg"))


@needs_dot
def test_svg_is_valid_xml_and_png_a_valid_image(tmp_path) -> None:
    dot = draw_graph(neuron(), grad_colors=True)
    svg = render(dot, tmp_path / "n.svg")
    assert ET.parse(svg).getroot().tag.endswith("svg")
    png = (tmp_path / "n.png")
    render(dot, png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 100 and height > 50
    assert render(dot, tmp_path / "n.dot").endswith("n.dot") and "digraph" in (tmp_path / "n.dot").read_text()


def test_missing_dot_gives_install_instructions(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on this PATH
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        render(draw_graph(Value(1.0) * 2), tmp_path / "x.png")


label_text = hs.text(hs.characters(blacklist_categories=("Cs",)), max_size=30) | hs.sampled_from(
    ['"', "{", "}", "<", ">", "|", "\\", "\\\\", "<B>x</B>", "&amp;", "\n", "a\"b{c|d}e<f>g\\h", "ünïcödé ✓"]
)


@needs_dot
@settings(max_examples=25, deadline=None)
@given(labels=hs.lists(label_text, min_size=3, max_size=6), shape=hs.sampled_from([None, (2,), (2, 3)]),
       seed=hs.integers(0, 1000))
def test_any_labels_and_random_graphs_give_dot_that_graphviz_accepts(labels, shape, seed) -> None:
    rng = np.random.default_rng(seed)
    leaves = [Value(float(rng.standard_normal()) if shape is None else rng.standard_normal(shape), label=t)
              for t in labels]
    nodes = list(leaves)
    for i in range(int(rng.integers(2, 8))):
        a, b = (nodes[int(j)] for j in rng.integers(0, len(nodes), 2))
        op = int(rng.integers(0, 4))
        out = [a + b, a * b, (a * 0.5).tanh(), (a - b).relu()][op]
        out.label = labels[i % len(labels)]
        nodes.append(out)
    root = nodes[-1] if shape is None else nodes[-1].sum()
    root.backward()
    dot = draw_graph(root, title=labels[0])
    ET.fromstring(dot.pipe(format="svg"))  # dot parsed it and wrote well-formed SVG


def test_draw_dot_alias_and_repr_svg() -> None:
    dot = draw_dot(Value(2.0) * Value(3.0), format="png", rankdir="TB")
    assert dot.format == "png" and "rankdir=TB" in dot.source
    if HAVE_DOT:
        assert (Value(2.0) * 3)._repr_svg_().lstrip().startswith("<?xml")


@pytest.mark.parametrize("example", ["neuron", "xor", "mlp", "scalar-mlp", "mnist-step"])
def test_graph_cli_writes_each_example(tmp_path, example, capsys) -> None:
    fmt = "svg" if HAVE_DOT else "dot"
    out = tmp_path / f"g.{fmt}"
    assert cli(["graph", example, "--out", str(out)]) == 0
    assert out.stat().st_size > 500 and f"wrote {out}" in capsys.readouterr().out
