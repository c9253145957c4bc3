"""Pictures of whole networks: one CNN step and one transformer step in clusters per module, repeated blocks
drawn once, and the options behind them (``repeats``, ``collapse``, ``stacked``)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_edu import ArgumentError, Value, nn
from tinygrad_edu.cli import main as cli
from tinygrad_edu.graph_examples import DRAWING, cnn_step, scalar_mlp, transformer_step
from tinygrad_edu.viz import draw_graph


def clusters(source: str) -> list[str]:
    """The module boxes of a drawing, in the order the DOT source declares them."""
    return re.findall(r"label=<<I>([^<]*)</I>>", source)


def nodes(source: str) -> int:
    """How many nodes the DOT source declares (the legend included)."""
    return len(re.findall(r"^\s*\w+ \[label=", source, re.M))


def merged(source: str) -> list[str]:
    """The bold names of the merged (3-D) nodes."""
    return re.findall(r"<B>([^<]*)</B><BR/>[^>]*?(?:values merged|×)", source)


def test_cnn_step_is_drawn_in_full_one_cluster_per_layer_in_module_order() -> None:
    source = draw_graph(cnn_step()).source
    assert clusters(source) == ["LeNet", "conv1 (Conv2d)", "conv2 (Conv2d)", "fc1 (Linear)", "fc2 (Linear)"]
    for text in ("conv1.weight", "(4, 1, 5, 5) float32", "max_pool2d", "(8, 8, 5, 5) float32", "cross_entropy"):
        assert text in source, text
    assert "exceed" not in source and "box3d" not in source  # nothing merged
    assert nodes(source) <= 60  # 42 measured: one screen of labelled boxes


def test_transformer_step_draws_block_0_in_full_and_blocks_1_to_3_as_one_node() -> None:
    source = draw_graph(transformer_step(), **DRAWING["transformer-step"]).source
    assert clusters(source) == ["TinyTransformer", "tok (Embedding)", "pos (Embedding)", "0 (Block)",
                                "attn (CausalSelfAttention)", "qkv (Linear)", "proj (Linear)", "mlp (Sequential)",
                                "0 (Linear)", "1 (ReLU)", "2 (Linear)", "head (Linear)"]
    assert "<B>1 … 3</B><BR/>3 × Block" in source
    assert "modules 1 to 3 of TinyTransformer (3 × Block) are drawn as one node" in source
    assert "modules of class LayerNorm are drawn as one node each" in source
    assert sorted(n for n in merged(source) if "LayerNorm" in n) == ["ln1 (LayerNorm)", "ln2 (LayerNorm)",
                                                                    "ln_f (LayerNorm)"]
    assert "softmax" in source or "logsumexp" in source  # the attention itself is drawn op by op
    assert "exceed" not in source  # what was merged was asked for, not forced by the cap
    assert nodes(source) <= 100  # 74 measured; 624 in full
    full = draw_graph(transformer_step()).source
    assert "exceed the cap of 400 nodes" in full  # without the options the cap merges the blocks' insides


def test_repeats_keeps_the_first_modules_of_a_repeated_run() -> None:
    rng = np.random.default_rng(0)
    net = nn.Sequential(*[nn.Linear(3, 3, generator=rng) for _ in range(5)])
    loss = net(Value(rng.random((2, 3)), label="x", requires_grad=False)).sum()  # data: drawn outside
    loss.backward()
    source = draw_graph(loss, repeats=2).source
    assert clusters(source) == ["Sequential", "0 (Linear)", "1 (Linear)"]
    assert "<B>2 … 4</B><BR/>3 × Linear" in source and "0.weight" in source and "2.weight" not in source
    assert clusters(draw_graph(loss).source)[1:] == [f"{i} (Linear)" for i in range(5)]  # default: all in full
    assert "box3d" not in draw_graph(loss, repeats=4).source  # one module left over is no run


def test_repeats_merges_only_siblings_that_repeat_each_other() -> None:
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(3, 4, generator=rng), nn.Linear(4, 5, generator=rng),
                        nn.Linear(5, 6, generator=rng))  # one class, different shapes: not repeats
    loss = net(Value(rng.random((2, 3)))).sum()
    loss.backward()
    assert "box3d" not in draw_graph(loss, repeats=1).source
    source = draw_graph(scalar_mlp(), **DRAWING["scalar-mlp"]).source  # a layer's neurons repeat, layers do not
    assert clusters(source) == ["MLP", "layers.0 (Layer)", "neurons.0 (Neuron)", "layers.1 (Layer)",
                                "neurons.0 (Neuron)", "layers.2 (Layer)", "neurons.0 (Neuron)"]
    assert merged(source) == ["neurons.1 … neurons.3"] * 2


def test_collapse_draws_modules_of_a_class_as_one_node_each() -> None:
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(3, 3, generator=rng), nn.LayerNorm(3), nn.Linear(3, 2, generator=rng))
    loss = net(Value(rng.random((2, 3)))).sum()
    loss.backward()
    for collapse in ("LayerNorm", ["LayerNorm"]):  # a single name is a name, not its letters
        source = draw_graph(loss, collapse=collapse).source
        assert clusters(source) == ["Sequential", "0 (Linear)", "2 (Linear)"]
        assert merged(source) == ["1 (LayerNorm)"]
    assert "box3d" not in draw_graph(loss, collapse=("Conv2d",)).source  # no such module: nothing merged


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1"])
def test_repeats_must_be_a_positive_whole_number(bad) -> None:
    with pytest.raises(ArgumentError, match="draw_graph: repeats must be a positive whole number or None"):
        draw_graph(Value(1.0) * 2, repeats=bad)


def test_stacked_puts_a_numbers_label_data_and_grad_one_under_another() -> None:
    x = Value(2.0, label="x")
    y = x * 3
    y.backward()
    assert "<TR><TD><B>x</B></TD><TD>data 2</TD>" in draw_graph(y).source
    assert "<TR><TD><B>x</B></TD></TR><TR><TD>data 2</TD></TR>" in draw_graph(y, stacked=True).source


def test_graph_command_options_override_the_examples_defaults(tmp_path) -> None:
    out = tmp_path / "t.dot"
    assert cli(["graph", "scalar-mlp", "--out", str(out), "--repeats", "0"]) == 0
    assert "box3d" not in out.read_text()  # every neuron in full
    assert cli(["graph", "transformer-step", "--out", str(out), "--collapse-class", "--repeats", "2"]) == 0
    source = out.read_text()
    assert "LayerNorm are drawn" not in source and "<B>2 … 3</B>" in source
    with pytest.raises(SystemExit, match="--repeats must be 0 or more"):
        cli(["graph", "neuron", "--out", str(out), "--repeats", "-1"])


def test_constants_made_inside_a_modules_forward_stay_in_that_module() -> None:
    ids: dict = {}
    root = transformer_step()
    source = draw_graph(root, node_ids=ids, **DRAWING["transformer-step"]).source
    fills = {ids[v] for v in ids if not v.parents and not v.requires_grad}  # the -inf of each causal mask
    assert len(fills) == 2  # block 0's own box, and blocks 1-3's merged node (before: 4 boxes outside)
    body = source[source.index("label=<<I>attn (CausalSelfAttention)</I>>"):]
    assert any(re.search(rf"^\s*{i} \[label=", body[:body.index("label=<<I>mlp")], re.M) for i in fills)
    ids = {}
    outside = draw_graph(cnn_step(), node_ids=ids).source.split("subgraph cluster")[0]
    unfolded = next(i for v, i in ids.items() if np.shape(v.data) == (8, 1, 28, 28, 5, 5))  # conv1's unfolded images
    assert re.search(rf"^\s*{unfolded} \[label=", outside, re.M)  # a batch of data: outside, as the MNIST batch
