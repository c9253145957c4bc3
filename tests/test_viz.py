"""Drawings: DOT structure, valid SVG/PNG through Graphviz, escaping of any label, big graphs, the CLI."""

from __future__ import annotations

import os
import random
import re
import shutil
import struct
import subprocess
import time
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from tinygrad_edu import Value, make_op, name_scope, nn
from tinygrad_edu.cli import main as cli
from tinygrad_edu.errors import ArgumentError, DataError
from tinygrad_edu.graph_examples import mnist_step, neuron, xor
from tinygrad_edu.viz import GraphvizNotFoundError, draw_dot, draw_graph, render

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


# Texts that Graphviz's HTML-like label parser misreads unless escaped, found by experiment on dot 2.43 (Debian's and
# Ubuntu's): a text of only "]" is a syntax error; a backslash escape is substituted (\N: the node's name, \G: the
# graph's, \\: one backslash) even in HTML labels; tab-only or empty elements are syntax errors and other tabs vanish;
# U+FFFE/U+FFFF are not XML; a plain (non-HTML) label ending in a backslash breaks the DOT quoting.
MISREAD = ["]", "]]", "\t", "\t\t", "", "\\", "\\\\", "\\N", "\\G", "\\E", "\\T", "\\H", "\\L", "\\n", "\\l", "\\r",
           "\ufffe", "\uffff", 'a"b{c|d}e<f>g\\h']
HOSTILE = MISREAD + ["]]>", "x]", "]x", "[", "[]", "<![CDATA[", "<!--", "-->", "--", " ", '"', "'", "{", "}", "<", ">",
                     "|", "&", "&amp;", "&#93;", "&#x5D;", "&lt;B&gt;", "\n", "\r\n", "\x00", "\x1b[0m", "\x85",
                     "\u2028", "\ufeff", "<B>x</B>", "ünïcödé ✓", "\U0001f600"]
label_text = (hs.text(hs.characters(blacklist_categories=("Cs",)), max_size=30)
              | hs.lists(hs.sampled_from(HOSTILE), min_size=1, max_size=4).map("".join).map(lambda s: s[:30]))


SVG_TEXT = "{http://www.w3.org/2000/svg}text"


def shown(text: str) -> str:
    """What the picture should read for ``text``: non-XML characters as U+FFFD, runs of white space as one space."""
    text = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]", "\N{REPLACEMENT CHARACTER}", text)
    return " ".join(text.split())


def svg_texts(dot) -> list[str]:
    """The text lines of the SVG that the system's dot makes of ``dot`` (it fails on any syntax error)."""
    return text_lines(dot.pipe(format="svg", encoding="utf-8"))


def text_lines(svg: str) -> list[str]:
    """The text of each ``<text>`` element of ``svg``, white space collapsed."""
    return [" ".join("".join(t.itertext()).split()) for t in ET.fromstring(svg).iter(SVG_TEXT)]


def hostile_graph(labels: list[str], op_name: str, scope_name: str, shape, seed: int) -> Value:
    """A random graph whose values, custom op and module scope are named by ``labels``, ``op_name``, ``scope_name``."""
    rng = np.random.default_rng(seed)
    leaves = [Value(float(rng.standard_normal()) if shape is None else rng.standard_normal(shape), label=t)
              for t in labels]
    nodes = list(leaves)
    with name_scope(scope_name):
        for i in range(int(rng.integers(2, 8))):
            a, b = (nodes[int(j)] for j in rng.integers(0, len(nodes), 2))
            op = int(rng.integers(0, 4))
            out = [a + b, a * b, (a * 0.5).tanh(), (a - b).relu()][op]
            out.label = labels[i % len(labels)]
            nodes.append(out)
        # the custom op adds up every value, so every label is in the drawing
        out = make_op(sum(v.data for v in nodes), tuple(nodes), op_name, lambda g, out, ctx, *xs: (g,) * len(xs))
    return out if shape is None else out.sum()


@needs_dot
@settings(max_examples=25, deadline=None)
@given(labels=hs.lists(label_text, min_size=3, max_size=6), op_name=label_text, scope_name=label_text,
       shape=hs.sampled_from([None, (2,), (2, 3)]), seed=hs.integers(0, 1000))
def test_any_labels_and_random_graphs_give_dot_that_graphviz_accepts(labels, op_name, scope_name, shape,
                                                                     seed) -> None:
    scope_name = scope_name.replace(":", ";")  # (a colon separates a module's name from its class)
    root = hostile_graph(labels, op_name, scope_name, shape, seed)
    root.backward()
    texts = svg_texts(draw_graph(root, title=labels[0]))  # the system's dot parsed it and wrote well-formed SVG
    for text in [*labels, op_name or "?", scope_name]:
        assert not shown(text) or any(shown(text) in line for line in texts), (text, texts)
    collapsed = svg_texts(draw_graph(root, collapse_modules=True, title=op_name))
    assert not shown(scope_name) or shown(scope_name) in collapsed, (scope_name, collapsed)
    svg_texts(draw_graph(root, max_nodes=4))  # merged ops, with the note


def drawings_naming_one_thing(text: str) -> dict[str, object]:
    """Drawings where ``text`` names exactly one thing: a scalar, a tensor, an op, a module, a title, merged ops."""
    x = Value(np.ones(2), label="x")
    with name_scope(text.replace(":", ";")):
        in_scope = x * 2.0
    twice = make_op(x.data * 2.0, (x,), text, lambda g, out, ctx, a: (g * 2.0,))
    many = Value(1.0, label="a")
    for _ in range(6):
        many = make_op(many.data * 2.0, (many,), text, lambda g, out, ctx, a: (g * 2.0,))
    siblings = []
    for name in ["s0", text.replace(":", ";"), "s2", "s3", "s4"]:  # a run of siblings: the middle three merged
        with name_scope(name):
            siblings.append(x * 2.0)
    gathered = make_op(sum(v.data for v in siblings), tuple(siblings), "gather", lambda g, out, ctx, *xs: (g,) * 5)
    return {
        "merged run": draw_graph(gathered, max_nodes=7),
        "scalar": draw_graph(Value(1.0, label=text) * 2.0),
        "tensor": draw_graph(Value(np.ones(3), label=text) * 2.0),
        "op": draw_graph(twice),
        "module": draw_graph(in_scope),
        "merged module": draw_graph(in_scope.sum(), collapse_modules=True),
        "title": draw_graph(x * 2.0, title=text),
        "merged ops": draw_graph(many, max_nodes=4),
    }


@needs_dot
@pytest.mark.parametrize("text", [*MISREAD, "]]>", "<![CDATA[", "<!--", "&amp;", "&#93;", "\x00", "x\\", "]\\"])
def test_each_misread_text_is_drawn_as_written(text) -> None:
    drawings = drawings_naming_one_thing(text)
    done = subprocess.run(["dot", "-Tsvg"], input="\n".join(d.source for d in drawings.values()), capture_output=True,
                          text=True, encoding="utf-8", timeout=60)  # one dot for all the drawings: the test stays fast
    assert done.returncode == 0 and not done.stderr, done.stderr
    svgs = ["<?xml" + part for part in done.stdout.split("<?xml")[1:]]
    assert len(svgs) == len(drawings)
    for where, svg in zip(drawings, svgs):
        texts = text_lines(svg)
        in_scope = "module" in where or where == "merged run"
        expected = shown(text.replace(":", ";") if in_scope else text or ("?" if where == "op" else ""))
        assert not expected or any(expected in line for line in texts), (where, text, texts)


@needs_dot
def test_very_long_labels_are_clipped_well_below_dots_limit() -> None:
    # dot refuses an HTML label longer than 16384 characters as written, escapes included (4000 "&#93;" fail)
    x = Value(1.0, label="]" * 20_000)
    texts = svg_texts(draw_graph(make_op(2.0, (x,), "&" * 20_000, lambda g, out, ctx, a: (g,)), title="\\" * 20_000))
    for line in ("]" * 59 + "…", "&" * 39 + "…", "\\" * 119 + "…"):
        assert line in texts, (line, texts)


@needs_dot
def test_index_labels_are_escaped_once() -> None:
    picked = Value(np.arange(4.0), label="x")[np.array([0, 2])]
    texts = svg_texts(draw_graph(picked))
    assert any(line.startswith("[") and "0" in line and "2" in line for line in texts), texts  # the index op
    assert not any("&" in line or "#93" in line for line in texts), texts  # no escape shown as text


def test_bad_arguments_raise_the_projects_argument_error(tmp_path) -> None:
    with pytest.raises(ArgumentError, match="draw_graph: rankdir must be LR, TB, RL, BT or auto, got 'XY'"):
        draw_graph(Value(1.0) * 2, rankdir="XY")
    with pytest.raises(ArgumentError, match="render: unknown format 'foo'.*svg, png, pdf or dot"):
        render(draw_graph(Value(1.0) * 2), tmp_path / "sub" / "x.foo")
    assert list(tmp_path.iterdir()) == []  # nothing written, not even the folder


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
    out = tmp_path / "g.dot"
    assert cli(["graph", example, "--out", str(out), "--max-clusters", "1", "--format", "dot"]) == 0
    assert out.read_text().count("subgraph cluster") <= 1


def test_demo_and_graph_command_draw_the_same_example_graphs() -> None:
    from tinygrad_edu import demo, graph_examples, viz_cli

    assert viz_cli.EXAMPLES is graph_examples.EXAMPLES
    assert demo.neuron is graph_examples.neuron and demo.mlp is graph_examples.mlp
    assert not hasattr(viz_cli, "neuron")  # the CLI module holds the command only


def dot_seconds(dot, limit: float = 20.0) -> float:
    """Seconds the system's dot takes to lay ``dot`` out as SVG; fails past ``limit`` instead of waiting for it."""
    start = time.perf_counter()
    done = subprocess.run(["dot", "-Tsvg", "-o", os.devnull], input=dot.source, capture_output=True, text=True,
                          encoding="utf-8", timeout=limit)
    assert done.returncode == 0, done.stderr
    return time.perf_counter() - start


@needs_dot
def test_sequential_of_2000_linear_layers_renders_in_seconds(tmp_path) -> None:
    # before: every parameter pooled in one node feeding 2,000 clusters, which dot did not lay out in 300 s
    rng = np.random.default_rng(0)
    net = nn.Sequential(*[nn.Linear(2, 2, generator=rng) for _ in range(2000)])
    loss = net(rng.random((1, 2))).sum()
    loss.backward()
    dot = draw_graph(loss)
    assert dot.source.count("subgraph cluster") <= 100 and dot.source.count("->") <= 400
    assert dot_seconds(dot) < 20
    start = time.perf_counter()
    texts = text_lines(open(render(dot, tmp_path / "big.svg"), encoding="utf-8").read())
    assert time.perf_counter() - start < 20
    note = "modules 1 to 1998 of Sequential (1998 × Linear) are drawn as one node"
    assert any(note in line for line in texts), texts
    for shown_text in ("0 (Linear)", "1999 (Linear)", "0.weight", "1999.bias", "1 … 1998", "1998 × Linear"):
        assert any(shown_text in line for line in texts), (shown_text, texts)


@needs_dot
def test_a_value_used_by_every_step_of_a_loop_renders_in_seconds() -> None:
    # under the node cap, but x feeds each of 95 chained steps: dot's network simplex alone took over 100 s
    x, y = Value(0.5, label="x"), Value(1.0, label="y0")
    for _ in range(95):
        y = (y * x).tanh()
    y.backward()
    dot = draw_graph(y)
    assert "exceed" not in dot.source  # drawn in full
    assert dot_seconds(dot) < 20


def test_module_boxes_are_capped_like_nodes() -> None:
    x = Value(np.ones(2), label="x")
    outs = []
    for i in range(150):  # 150 modules of one op each: 300 nodes, under the node cap, but 150 clusters
        with name_scope(f"block{i}:Block"):
            outs.append(x * float(i))
    root = make_op(sum(v.data for v in outs), tuple(outs), "gather", lambda g, out, ctx, *xs: (g,) * len(xs))
    source = draw_graph(root).source  # max_clusters=100
    assert source.count("subgraph cluster") <= 100
    assert "or 100 module boxes" in source and "(148 × Block) are drawn as one node" in source
    assert draw_graph(root, max_clusters=200).source.count("subgraph cluster") == 150  # under the cap: all drawn


@needs_dot
def test_empty_tensor_is_drawn_without_min_and_max_of_nothing() -> None:
    x = Value(np.zeros((0, 3)), label="empty", requires_grad=True)
    root = (x * 2.0).sum()
    root.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "mean of empty slice"
        texts = svg_texts(draw_graph(root, grad_colors=True))
    assert any("(0, 3) float64" in line for line in texts), texts
    assert any("data (empty)" in line for line in texts) and any("grad (empty)" in line for line in texts), texts


@pytest.mark.parametrize("thing", [3, np.ones(3), None, [Value(1.0)], "x"], ids=["int", "ndarray", "None", "list",
                                                                               "str"])
def test_drawing_something_that_is_not_a_value_is_a_data_error(thing) -> None:
    with pytest.raises(DataError, match="draw_graph: expected the Value whose graph to draw"):
        draw_graph(thing)
    with pytest.raises(DataError, match="draw_graph: expected the Value"):
        draw_dot(thing)


def test_render_of_something_that_is_not_a_drawing_is_a_data_error(tmp_path) -> None:
    with pytest.raises(DataError, match=r"render: expected the drawing that draw_graph returns .*got Value"):
        render(Value(1.0) * 2, tmp_path / "x.svg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("cap", [0, -1, True, 2.5, "10", None])
def test_caps_must_be_positive_whole_numbers(cap) -> None:
    with pytest.raises(ArgumentError, match="draw_graph: max_nodes must be a positive whole number"):
        draw_graph(Value(1.0) * 2, max_nodes=cap)
    with pytest.raises(ArgumentError, match="draw_graph: max_clusters must be a positive whole number"):
        draw_graph(Value(1.0) * 2, max_clusters=cap)


@needs_dot
def test_a_format_graphviz_knows_but_this_dot_lacks_is_an_argument_error(tmp_path) -> None:
    with pytest.raises(ArgumentError, match="render: this system's dot cannot write 'gtk'.*use svg, png, pdf or dot"):
        render(draw_graph(Value(1.0) * 2), tmp_path / "x.gtk")
    assert not (tmp_path / "x.gtk").exists()
