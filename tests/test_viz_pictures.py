"""The static pictures where a newcomer stumbled: what tensor numbers mean, the --grad-colors legend, where inputs
and clusters go, sizes that read on a laptop screen, and --format against the --out suffix."""

from __future__ import annotations

import re

import pytest

from tinygrad_edu import graph_examples
from tinygrad_edu.cli import main as cli
from tinygrad_edu.viz import GRAD_SCALE, KIND_NAMES, _scale_color, draw_graph, render


def _outside_clusters(source: str) -> set[str]:
    """The node ids that the DOT source declares outside every cluster (at brace depth 1)."""
    found, depth = set(), 0
    for line in source.splitlines():
        m = re.match(r"\s*(\w+) \[label=", line)
        if m and depth == 1:
            found.add(m.group(1))
        depth += line.count("{") - line.count("}")
    return found


def test_tensor_nodes_say_their_three_numbers_are_min_mean_max() -> None:
    source = draw_graph(graph_examples.xor()).source
    assert "min / mean / max" in source
    assert "min / mean / max" not in draw_graph(graph_examples.neuron()).source  # scalars only: nothing to explain


def test_grad_colors_legend_shows_the_scale_not_the_kinds() -> None:
    source = draw_graph(graph_examples.mlp(), grad_colors=True).source
    legend = source[source.index("legend [label="):]
    for m in GRAD_SCALE:
        assert f'BGCOLOR="{_scale_color(m)}"' in legend
    assert "vanishing" in legend and "exploding" in legend and "nan or inf" in legend
    assert KIND_NAMES["intermediate"] not in legend
    assert KIND_NAMES["intermediate"] in draw_graph(graph_examples.mlp()).source  # without: the kinds


def test_inputs_and_data_batches_are_drawn_outside_every_module() -> None:
    ids: dict = {}
    root = graph_examples.scalar_mlp()
    outside = _outside_clusters(draw_graph(root, node_ids=ids).source)
    inputs = {ids[v] for v in ids if v.label in ("x1", "x2", "x3")}
    assert len(inputs) == 3 and inputs <= outside
    params = {ids[v] for v in ids if v.label.startswith("layers.")}
    assert params and not params & outside  # parameters stay in their neuron
    ids = {}
    root = graph_examples.mnist_step()
    outside = _outside_clusters(draw_graph(root, node_ids=ids).source)
    batch = [ids[v] for v in ids if getattr(v.data, "shape", ()) == (128, 784) and not v.requires_grad]
    assert len(batch) == 1 and batch[0] in outside


def test_clusters_appear_in_module_order(tmp_path) -> None:
    source = draw_graph(graph_examples.scalar_mlp()).source
    labels = re.findall(r"label=<<I>([^<]*)</I>>", source)
    assert labels[:6] == ["MLP", "layers.0 (Layer)"] + [f"neurons.{i} (Neuron)" for i in range(4)]
    svg = render(draw_graph(graph_examples.scalar_mlp()), tmp_path / "s.svg")
    found = re.findall(r'class="cluster">\s*<title>[^<]*</title>\s*<path[^>]*d="M([\d.-]+),[^>]*>\s*<text[^>]*>'
                       r"([^<]*)</text>", open(svg).read())
    xs = [float(x) for x, name in found if name.startswith("neurons.")][:4]  # the first layer's, drawn left to right
    assert xs == sorted(xs)


@pytest.mark.parametrize("example", ["neuron", "xor", "mlp", "scalar-mlp", "mnist-step", "cnn-step",
                                     "transformer-step"])
def test_pictures_of_whole_networks_fit_a_laptop_screen(example, tmp_path) -> None:
    out = tmp_path / f"{example}.svg"
    assert cli(["graph", example, "--out", str(out)]) == 0
    head = out.read_text()[:2000]
    width, height = (float(x) for x in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', head).groups())
    assert width <= 1080 and height <= 5760, (width, height)  # 15 inches wide: a laptop screen; scrolls down
    # measured before: mlp 3015 x 446 pt, scalar-mlp 5819 x 2011 pt (left to right, no cap)
    scale = float(re.search(r'transform="scale\(([\d.]+)', head).group(1))
    assert scale >= 0.85, scale  # and still legible: 10 pt text drawn at 8.5 pt or more
    # measured before: scalar-mlp fitted to 15 x 40 inches at scale 0.17 (its 10 pt text at 1.7 pt)


def test_small_graphs_stay_left_to_right_and_deep_ones_go_top_to_bottom() -> None:
    from tinygrad_edu import Value

    assert "rankdir=LR" in draw_graph(Value(2.0) * Value(3.0)).source
    assert "rankdir=TB" in draw_graph(graph_examples.neuron()).source
    assert "rankdir=LR" in draw_graph(graph_examples.neuron(), rankdir="LR").source


def test_graph_format_and_out_suffix_must_agree(tmp_path, capsys) -> None:
    out = tmp_path / "n.svg"
    with pytest.raises(SystemExit, match="--format png disagrees with --out .*n.svg.*n.png"):
        cli(["graph", "neuron", "--out", str(out), "--format", "png"])
    assert not out.exists()
    assert cli(["graph", "neuron", "--out", str(tmp_path / "n.png"), "--format", "png"]) == 0
    assert (tmp_path / "n.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli(["graph", "neuron", "--out", str(out)]) == 0 and out.read_text().lstrip().startswith("<?xml")


def test_max_size_must_be_two_positive_numbers() -> None:
    from tinygrad_edu import ArgumentError, Value

    for bad in [(0, 5), (5,), ("a", 3), (True, 2)]:
        with pytest.raises(ArgumentError, match="draw_graph: max_size must be"):
            draw_graph(Value(1.0) * 2, max_size=bad)
