"""nn.functional: losses and activations against closed forms, PyTorch, and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value
from tinygrad_edu.errors import ArgumentError
from tinygrad_edu.nn import functional as F
from tinygrad_edu.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((5, 4)) * 3
LABELS = np.array([0, 3, 1, 1, 2])
PROBS = RNG.dirichlet(np.ones(4), size=5)
BINARY = RNG.integers(0, 2, (5, 4)).astype(float)


def _log_softmax(x):
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_their_closed_forms(reduction: str) -> None:
    reduce = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction]
    ce = -_log_softmax(LOGITS)[np.arange(5), LABELS]
    np.testing.assert_allclose(F.cross_entropy(LOGITS, LABELS, reduction).data, reduce(ce), rtol=1e-12)
    soft = -(PROBS * _log_softmax(LOGITS)).sum(axis=1)
    np.testing.assert_allclose(F.cross_entropy(LOGITS, PROBS, reduction).data, reduce(soft), rtol=1e-12)
    s = 1 / (1 + np.exp(-LOGITS))
    bce = -(BINARY * np.log(s) + (1 - BINARY) * np.log(1 - s))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(LOGITS, BINARY, reduction).data, reduce(bce),
                               rtol=1e-10)
    np.testing.assert_allclose(F.binary_cross_entropy(s, BINARY, reduction).data, reduce(bce), rtol=1e-10)
    np.testing.assert_allclose(F.mse_loss(LOGITS, PROBS, reduction).data, reduce((LOGITS - PROBS) ** 2), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_pytorch(reduction: str) -> None:
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    t = torch.from_numpy
    pairs = [
        (F.cross_entropy(LOGITS, LABELS, reduction), tF.cross_entropy(t(LOGITS), t(LABELS), reduction=reduction)),
        (F.cross_entropy(LOGITS, PROBS, reduction), tF.cross_entropy(t(LOGITS), t(PROBS), reduction=reduction)),
        (F.binary_cross_entropy_with_logits(LOGITS, BINARY, reduction),
         tF.binary_cross_entropy_with_logits(t(LOGITS), t(BINARY), reduction=reduction)),
        (F.binary_cross_entropy(1 / (1 + np.exp(-LOGITS)), BINARY, reduction),
         tF.binary_cross_entropy(torch.sigmoid(t(LOGITS)), t(BINARY), reduction=reduction)),
        (F.mse_loss(LOGITS, PROBS, reduction), tF.mse_loss(t(LOGITS), t(PROBS), reduction=reduction)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_gradients_first_and_second_order(reduction: str) -> None:
    for loss in (
        lambda x: F.cross_entropy(x, LABELS, reduction),
        lambda x: F.cross_entropy(x, PROBS, reduction),
        lambda x: F.binary_cross_entropy_with_logits(x, BINARY, reduction),
        lambda x: F.mse_loss(x, PROBS, reduction),
    ):
        assert gradcheck(loss, LOGITS)
        assert gradgradcheck(loss, LOGITS, atol=1e-4)
    assert gradcheck(lambda p: F.binary_cross_entropy(p, BINARY, reduction), 1 / (1 + np.exp(-LOGITS)))


def test_fused_cross_entropy_agrees_with_the_composed_formula() -> None:
    a, b = Value(LOGITS), Value(LOGITS)
    fused = F.cross_entropy(a, LABELS)
    composed = -(b.log_softmax(axis=1)[np.arange(5), LABELS]).mean()
    assert fused.item() == pytest.approx(composed.item(), rel=1e-12)
    fused.backward()
    composed.backward()
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-10, atol=1e-15)


def test_bce_with_logits_gradient_is_exact_at_zero() -> None:
    x = Value(np.zeros(3))
    F.binary_cross_entropy_with_logits(x, np.array([0.0, 1.0, 0.5]), reduction="sum").backward()
    np.testing.assert_allclose(x.grad, [0.5, -0.5, 0.0])  # sigmoid(0) - t


def test_losses_stay_finite_at_logits_of_1000() -> None:
    big = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]])
    for loss in (F.cross_entropy(Value(big), np.array([2, 0])),
                 F.binary_cross_entropy_with_logits(Value(big), np.ones_like(big))):
        assert np.isfinite(loss.item())
    x = Value(big)
    loss = F.cross_entropy(x, np.array([2, 0]))
    loss.backward()
    assert loss.item() == pytest.approx(2000.0) and np.isfinite(x.grad).all()  # both rows: 1000 - (-1000)


def test_activations_and_one_hot() -> None:
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(F.relu(x).data, [0, 0, 3])
    np.testing.assert_allclose(F.sigmoid(x).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(F.tanh(x).data, np.tanh(x))
    np.testing.assert_allclose(F.softmax(x).data.sum(), 1.0)
    np.testing.assert_allclose(np.exp(F.log_softmax(x).data), F.softmax(x).data)
    np.testing.assert_array_equal(F.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: F.cross_entropy(LOGITS, np.array([0, 1, 2, 3, 4])), ["label 4", "4 classes"]),
        (lambda: F.cross_entropy(LOGITS, np.array([0, -1, 2, 3, 1])), ["label -1"]),
        (lambda: F.cross_entropy(LOGITS, np.array([0, 1, 2])), ["(5, 4)", "(3,)"]),
        (lambda: F.cross_entropy(LOGITS, np.array([0.5, 1, 2, 3, 1])), ["integers"]),
        (lambda: F.mse_loss(LOGITS, np.zeros((4, 5))), ["mse_loss", "(5, 4)", "(4, 5)"]),
        (lambda: F.binary_cross_entropy(LOGITS, BINARY), ["probabilities"]),
        (lambda: F.linear(np.ones((2, 3)), Value(np.ones((4, 5)))), ["linear", "(2, 3)", "(4, 5)"]),
    ],
)
def test_bad_inputs_get_clear_errors(call, words) -> None:
    with pytest.raises(tg.TinygradEduError) as info:
        call()
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_target_values_get_their_gradient_as_in_pytorch(reduction: str) -> None:
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    probs = 1 / (1 + np.exp(-LOGITS))
    soft = RNG.uniform(0.05, 0.95, LOGITS.shape)  # targets strictly inside (0, 1), where BCE is smooth in t
    cases = [  # (ours, theirs, input, target)
        (F.binary_cross_entropy_with_logits, tF.binary_cross_entropy_with_logits, LOGITS, soft),
        (F.binary_cross_entropy, tF.binary_cross_entropy, probs, soft),
        (F.cross_entropy, tF.cross_entropy, LOGITS, PROBS),
        (F.mse_loss, tF.mse_loss, LOGITS, PROBS),
    ]
    weights = 0.7  # a non-trivial upstream gradient
    for ours, theirs, x, t in cases:
        xv, tv = Value(x), Value(t)
        xt, tt = (torch.tensor(a, requires_grad=True) for a in (x, t))
        mine, ref = ours(xv, tv, reduction) * weights, theirs(xt, tt, reduction=reduction) * float(weights)
        mine.sum().backward()
        ref.sum().backward()
        assert tv.grad is not None, ours.__name__
        np.testing.assert_allclose(tv.grad, tt.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=ours.__name__)
        np.testing.assert_allclose(xv.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=ours.__name__)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_target_gradients_first_and_second_order(reduction: str) -> None:
    soft = RNG.uniform(0.05, 0.95, LOGITS.shape)
    probs = 1 / (1 + np.exp(-LOGITS))
    for loss, x, t in (
        (F.binary_cross_entropy_with_logits, LOGITS, soft),
        (F.cross_entropy, LOGITS, PROBS),
    ):
        assert gradcheck(lambda x, t, loss=loss: loss(x, t, reduction), x, t)
        assert gradgradcheck(lambda x, t, loss=loss: loss(x, t, reduction), x, t, atol=1e-4)
    assert gradcheck(lambda p, t: F.binary_cross_entropy(p, t, reduction), probs, soft)


def test_constant_value_target_adds_no_graph_input() -> None:
    x = Value(LOGITS)
    loss = F.binary_cross_entropy_with_logits(x, Value(BINARY, requires_grad=False), reduction="none")
    assert loss.parents == (x,)  # the target is kept in the op, as an array would be


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_k_dimensional_matches_pytorch(reduction: str) -> None:
    """Logits (N, C, d1, d2) against indices (N, d1, d2) or probabilities (N, C, d1, d2), and (C,) alone."""
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 4, 5))
    cases = [
        (x, RNG.integers(0, 3, (2, 4, 5))),
        (x, np.moveaxis(RNG.dirichlet(np.ones(3), size=(2, 4, 5)), -1, 1)),
        (x[:, :, 0, 0], RNG.integers(0, 3, 2)),
        (x[0, :, 0, 0], np.int64(2)),
    ]
    for logits, target in cases:
        xv, xt = Value(logits), torch.tensor(logits, requires_grad=True)
        mine = F.cross_entropy(xv, target, reduction)
        ref = torch.nn.functional.cross_entropy(xt, torch.tensor(target), reduction=reduction)
        np.testing.assert_allclose(mine.data, ref.detach().numpy(), rtol=1e-12)
        seed = np.linspace(0.5, 1.5, ref.numel()).reshape(ref.shape)
        mine.backward(seed)
        ref.backward(torch.tensor(seed))
        np.testing.assert_allclose(xv.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-15)
        assert gradcheck(lambda v, t=target: F.cross_entropy(v, t, reduction), logits)
        assert gradgradcheck(lambda v, t=target: F.cross_entropy(v, t, reduction), logits, atol=1e-4)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: F.cross_entropy(LOGITS, LABELS.astype(float)), tg.DataError, ["integers", "(5,)"]),
        (lambda: F.cross_entropy(LOGITS, Value(LABELS.astype(float))), tg.DataError, ["integers", "a Value"]),
        (lambda: F.cross_entropy(LOGITS, np.zeros((5, 3))), tg.DataError, ["probabilities", "(5, 4)", "(5, 3)"]),
        (lambda: F.cross_entropy(LOGITS, F.one_hot(LABELS, 4)), tg.DataError, ["probabilities", "floats", "int64"]),
        (lambda: F.cross_entropy(np.zeros((2, 3, 4)), np.zeros((2, 3), int)), tg.ShapeError, ["(2, 4)", "(2, 3)"]),
        (lambda: F.cross_entropy(np.float64(1.0), np.int64(0)), tg.ShapeError, ["0-d"]),
        (lambda: F.cross_entropy(LOGITS, LABELS, "avg"), ArgumentError, ["cross_entropy", "'avg'"]),
        (lambda: F.mse_loss(LOGITS, PROBS, "avg"), ArgumentError, ["mse_loss", "'avg'"]),
        (lambda: F.binary_cross_entropy(PROBS, PROBS, "avg"), ArgumentError, ["binary_cross_entropy"]),
        (lambda: F.binary_cross_entropy_with_logits(LOGITS, BINARY, None), ArgumentError, ["None"]),
    ],
)
def test_bad_targets_and_reductions_get_the_projects_errors(call, error, words) -> None:
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)
