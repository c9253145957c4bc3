"""nn: micrograd-compatible scalar layers, PyTorch-style tensor layers, state dicts, parameter counts."""

from __future__ import annotations

import copy
import random

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value, nn, optim
from tinygrad_edu.errors import ArgumentError
from tinygrad_edu.testing import gradcheck


def test_parameter_table_reproduces_the_lectures_81() -> None:
    for net in (nn.mlp([4, 5, 5, 3, 2], "sigmoid"), nn.MLP(4, [5, 5, 3, 2])):
        rows = nn.parameter_table(net)
        assert [r["total"] for r in rows] == [25, 30, 18, 8, 81]
        assert (rows[0]["weights"], rows[0]["biases"]) == (20, 5)
    last = nn.parameter_table(nn.Linear(3, 4))[-1]
    assert (last["weights"], last["biases"]) == (12, 4)
    assert "81" in nn.format_parameter_table(nn.mlp([4, 5, 5, 3, 2]))


def test_named_parameters_and_labels_follow_the_module_path() -> None:
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    names = [n for n, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [p.label for p in net.parameters()] == names
    random.seed(0)
    mlp = nn.MLP(2, [2, 1])
    assert mlp.parameters()[0].label == "layers.0.neurons.0.w.0"
    assert mlp.parameters()[-1].label == "layers.1.neurons.0.b"


def test_module_scopes_tag_the_nodes_made_in_forward() -> None:
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    out = net(np.ones((1, 2), np.float32))
    assert out.scope == (":Sequential", "1:ReLU")
    assert out.parents[0].scope == (":Sequential", "0:Linear")


def test_scalar_layers_match_micrograd_exactly() -> None:
    micrograd = pytest.importorskip("micrograd.nn")
    from micrograd.engine import Value as MicroValue

    random.seed(42)
    theirs = micrograd.MLP(3, [4, 4, 1])
    random.seed(42)
    ours = nn.MLP(3, [4, 4, 1])
    assert repr(ours) == repr(theirs)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    for step in range(5):  # micrograd's README training loop
        for model, V in ((ours, Value), (theirs, MicroValue)):
            preds = [model([V(x) for x in row]) for row in xs]
            loss = sum((p - y) ** 2 for p, y in zip(preds, ys))
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data += -0.05 * p.grad
            if model is ours:
                our_loss = loss.data
            else:
                assert our_loss == pytest.approx(loss.data, rel=1e-12), step
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert a.data == pytest.approx(b.data, rel=1e-12)


def test_linear_matches_x_w_transpose_plus_b_and_gradcheck() -> None:
    layer = nn.Linear(4, 3, dtype=np.float64, generator=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((5, 4))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-12)
    bound = 1 / np.sqrt(4)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    w, b = layer.weight.data, layer.bias.data
    assert gradcheck(lambda x, w, b: nn.functional.linear(x, w, b), x, w, b)
    assert gradcheck(lambda x, w: nn.functional.linear(x, w), x[0], w)


def test_fused_linear_agrees_with_the_composed_form() -> None:
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((6, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    grads = []
    for f in (lambda x, w, b: nn.functional.linear(x, w, b), lambda x, w, b: x @ w.T + b):
        vs = [Value(a) for a in (x, w, b)]
        (f(*vs) ** 2).sum().backward()
        grads.append([v.grad for v in vs])
    for fused, composed in zip(*grads):
        np.testing.assert_allclose(fused, composed, rtol=1e-12)


def test_linear_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    ours = nn.Linear(4, 3, generator=np.random.default_rng(4))
    theirs = torch.nn.Linear(4, 3)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)
    # float32 sums in a different order: equal to a few units in the last place (absolute, near zero)
    np.testing.assert_allclose(ours(x).data, theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-6, atol=1e-6)


def test_state_dict_round_trip_and_strict_errors() -> None:
    a, b = nn.mlp([3, 4, 2]), nn.mlp([3, 4, 2])
    b.load_state_dict(a.state_dict())
    for (n1, p1), (n2, p2) in zip(a.named_parameters(), b.named_parameters()):
        assert n1 == n2 and np.array_equal(p1.data, p2.data)
    state = a.state_dict()
    del state["0.bias"]
    with pytest.raises(tg.TinygradEduError, match="missing keys \\['0.bias'\\]"):
        b.load_state_dict(state)
    state = a.state_dict()
    state["extra"] = np.zeros(1)
    with pytest.raises(tg.TinygradEduError, match="unexpected keys \\['extra'\\]"):
        b.load_state_dict(state)
    state = a.state_dict()
    state["0.weight"] = np.zeros((5, 3))
    with pytest.raises(tg.ShapeError, match="'0.weight' has shape \\(4, 3\\) in the module but \\(5, 3\\)"):
        b.load_state_dict(state)


def test_zero_grad_train_eval_and_repr() -> None:
    net = nn.mlp([2, 3, 1])
    nn.functional.mse_loss(net(np.ones((1, 2))), np.zeros((1, 1))).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.eval() is net and not any(m.training for m in net.modules())
    assert "Linear(in_features=2, out_features=3, bias=True)" in repr(net.train())
    neuron = nn.Neuron(2)
    neuron([1.0, 2.0]).backward()
    neuron.zero_grad()
    assert [p.grad for p in neuron.parameters()] == [0.0, 0.0, 0.0]


def test_manual_seed_makes_initialisation_reproducible() -> None:
    tg.manual_seed(7)
    first = nn.Linear(5, 5).weight.data.copy()
    tg.manual_seed(7)
    assert np.array_equal(nn.Linear(5, 5).weight.data, first)
    w = Value(np.zeros((64, 32)))
    nn.init.xavier_uniform_(w, generator=np.random.default_rng(0))
    assert np.abs(w.data).max() <= np.sqrt(6 / 96)
    nn.init.kaiming_uniform_(w, nonlinearity="relu", generator=np.random.default_rng(0))
    assert np.abs(w.data).max() <= np.sqrt(2) * np.sqrt(3 / 32)


def test_parameter_is_a_type_modules_use_and_op_results_are_not_parameters() -> None:
    layer = nn.Linear(3, 2, dtype=np.float64, generator=np.random.default_rng(0))
    random.seed(0)
    scalar_net = nn.MLP(2, [2, 1])
    for p in layer.parameters() + scalar_net.parameters():
        assert isinstance(p, nn.Parameter) and isinstance(p, Value) and p.is_leaf and p.requires_grad
    x = Value(np.ones((4, 3)))
    out = layer(x)
    assert not isinstance(out, nn.Parameter) and not isinstance(x, nn.Parameter)
    W = layer.weight
    for result in (W @ np.ones(3), W * 2, W + W, -W, W.sum(), W.T, W[0], W.detach(), nn.functional.relu(W)):
        assert not isinstance(result, nn.Parameter), result.op
    assert type(W @ np.ones(3)) is Value  # (fails if ops start making results of their input's class)
    # ops on Parameters work and differentiate as on any Value, and optimizers update them
    loss = ((W @ np.ones(3)) ** 2).sum() + (W * layer.bias[:, None]).sum()
    loss.backward()
    expected = (2 * (W.data @ np.ones(3)) + layer.bias.data)[:, None] * np.ones(3)  # d/dW_ij = 2 (W 1)_i + b_i
    np.testing.assert_allclose(W.grad, expected, rtol=1e-12)
    before = W.data.copy()
    optim.SGD(layer.parameters(), lr=0.1).step()
    np.testing.assert_allclose(W.data, before - 0.1 * W.grad, rtol=1e-12)


def test_parameter_is_built_like_pytorchs() -> None:
    data = np.arange(3.0)
    p = nn.Parameter(data)
    assert p.requires_grad and p.dtype == np.float64 and p.data is not data  # a copy, as documented
    frozen = nn.Parameter(data, requires_grad=False)
    assert not frozen.requires_grad
    assert nn.Parameter(2).data == 2.0 and nn.Parameter(data, dtype=np.float32).dtype == np.float32
    assert repr(p).startswith("Parameter containing:")
    assert repr(nn.Parameter(0.5)) == "Value(data=0.5, grad=0.0)"  # micrograd's scalars print as micrograd's
    assert not hasattr(p, "__dict__")  # no new per-node fields
    twin = copy.deepcopy(nn.Linear(2, 3)).weight
    assert type(twin) is nn.Parameter and twin.requires_grad


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: nn.Neuron(2)([1.0]), ["Neuron", "2 inputs", "got 1"]),
        (lambda: nn.Neuron(2)([1.0, 2.0, 3.0]), ["Neuron", "2 inputs", "got 3"]),
        (lambda: nn.Layer(2, 3)([1.0]), ["Layer", "2 inputs", "got 1"]),
        (lambda: nn.MLP(2, [3, 1])([1.0, 2.0, 3.0]), ["MLP", "2 inputs", "got 3"]),
        (lambda: nn.MLP(2, [3, 1])(Value(np.ones(3))), ["MLP", "2 inputs", "got 3"]),
    ],
)
def test_scalar_layers_reject_a_wrong_number_of_inputs(call, words) -> None:
    with pytest.raises(tg.ShapeError) as info:
        call()
    for word in words:
        assert word in str(info.value)
    with pytest.raises(tg.DataError, match="Neuron: expected a list of 2 inputs, got float"):
        nn.Neuron(2)(1.0)


def test_bad_arguments_are_argument_errors() -> None:
    for call in (lambda: nn.mlp([3]), lambda: nn.mlp([3, 2], "gelu"), lambda: nn.mlp([3, 2], final_activation="x"),
                 lambda: nn.init.calculate_gain("swish")):
        with pytest.raises(ArgumentError):
            call()
    with pytest.raises(ArgumentError, match="negative slope"):
        nn.init.calculate_gain("leaky_relu", "0.1")


def test_calculate_gain_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    for name in ("linear", "conv1d", "conv_transpose3d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"):
        assert nn.init.calculate_gain(name) == torch.nn.init.calculate_gain(name), name
    for slope in (0, 0.2, 3, np.sqrt(5)):
        assert nn.init.calculate_gain("leaky_relu", slope) == torch.nn.init.calculate_gain("leaky_relu", slope)


def test_initialisers_fill_scalars_and_leave_empty_weights_alone() -> None:
    v = Value(3.0)
    nn.init.uniform_(v, -1.0, 1.0, generator=np.random.default_rng(0))
    assert v.data.__class__ is float and -1.0 <= v.data <= 1.0
    nn.init.normal_(v, generator=np.random.default_rng(0))
    assert v.data.__class__ is float
    assert nn.init.ones_(v).data == 1.0 and nn.init.zeros_(v).data == 0.0
    empty = nn.Linear(0, 3)  # PyTorch allows it (a no-op initialisation)
    assert empty.weight.shape == (3, 0) and empty(np.ones((2, 0))).shape == (2, 3)
