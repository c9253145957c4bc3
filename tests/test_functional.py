"""nn.functional: losses and activations against closed forms, PyTorch, and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value
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
