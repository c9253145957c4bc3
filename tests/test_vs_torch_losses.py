"""The loss variants against PyTorch in float64: values and gradients (input and, where PyTorch has one, target)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value
from tinygrad_edu.nn import functional as F
from tinygrad_edu.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(12)
LOGITS = RNG.standard_normal((6, 4)) * 2
LABELS = np.array([0, 3, 1, -100, 2, 1])  # one ignored
LABELS_3D = np.array([[0, 2, 1], [1, -100, 3]])
LOGITS_3D = RNG.standard_normal((2, 4, 3))
WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])
PROBS = RNG.dirichlet(np.ones(4), size=6)
REDUCTIONS = ["mean", "sum", "none"]


def _compare(mine_fn, torch_fn, *arrays, rtol=1e-10):
    """Same value and same gradient for every array input (seeded with a non-uniform upstream gradient)."""
    values = [Value(a) for a in arrays]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    mine, ref = mine_fn(*values), torch_fn(*tensors)
    np.testing.assert_allclose(mine.data, ref.detach().numpy(), rtol=rtol, atol=1e-12)
    seed = np.linspace(0.5, 1.5, ref.numel()).reshape(ref.shape)
    mine.backward(seed)
    ref.backward(torch.tensor(seed))
    for v, t in zip(values, tensors):
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT])
@pytest.mark.parametrize(("logits", "labels"), [(LOGITS, LABELS), (LOGITS_3D, LABELS_3D), (LOGITS[0], np.int64(2))])
def test_nll_loss_matches_torch(reduction, weight, logits, labels) -> None:
    logp = np.log(np.exp(logits) / np.exp(logits).sum(axis=1 if logits.ndim > 1 else 0, keepdims=True))
    tw = None if weight is None else torch.tensor(weight)
    _compare(lambda x: F.nll_loss(x, np.asarray(labels), weight, reduction=reduction),
             lambda x: TF.nll_loss(x, torch.tensor(labels), tw, reduction=reduction), logp)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize(("logits", "labels"), [(LOGITS, LABELS), (LOGITS_3D, LABELS_3D), (LOGITS, np.abs(LABELS) % 4)])
def test_cross_entropy_variants_match_torch(reduction, weight, smoothing, logits, labels) -> None:
    tw = None if weight is None else torch.tensor(weight)
    _compare(lambda x: F.cross_entropy(x, labels, reduction, weight=weight, label_smoothing=smoothing),
             lambda x: TF.cross_entropy(x, torch.tensor(labels), tw, reduction=reduction, label_smoothing=smoothing),
             logits)


def test_cross_entropy_ignore_index_other_than_the_default() -> None:
    labels = np.array([0, 3, 1, 3, 2, 1])
    _compare(lambda x: F.cross_entropy(x, labels, ignore_index=3),
             lambda x: TF.cross_entropy(x, torch.tensor(labels), ignore_index=3), LOGITS)


@pytest.mark.parametrize("weight", [None, WEIGHT])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_with_probabilities_smoothing_and_weight(weight, smoothing) -> None:
    tw = None if weight is None else torch.tensor(weight)
    _compare(lambda x, t: F.cross_entropy(x, t, weight=weight, label_smoothing=smoothing),
             lambda x, t: TF.cross_entropy(x, t, tw, label_smoothing=smoothing), LOGITS, PROBS)


def test_cross_entropy_composed_gradients_are_checked_to_second_order() -> None:
    f = lambda x: F.cross_entropy(x, LABELS, weight=WEIGHT, label_smoothing=0.1)  # noqa: E731
    assert gradcheck(f, LOGITS) and gradgradcheck(f, LOGITS, atol=1e-4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weight", [None, np.array([1.0, 3.0, 0.5, 2.0]), np.array(2.5)])
@pytest.mark.parametrize("weight", [None, np.array([0.2, 1.0, 2.0, 1.0])])
def test_bce_with_logits_pos_weight_and_weight_match_torch(reduction, pos_weight, weight) -> None:
    x = np.concatenate([LOGITS, [[0.0, 40.0, -40.0, 1e-3]]])
    t = np.concatenate([(PROBS > 0.25) * 1.0, [[0.0, 1.0, 0.3, 1.0]]])
    pw = None if pos_weight is None else torch.tensor(pos_weight)
    tw = None if weight is None else torch.tensor(weight)
    _compare(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction, weight=weight, pos_weight=pos_weight),
             lambda a, b: TF.binary_cross_entropy_with_logits(a, b, tw, reduction=reduction, pos_weight=pw), x, t)
    f = lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction, weight=weight, pos_weight=pos_weight)  # noqa: E731
    assert gradcheck(f, LOGITS, PROBS) and gradgradcheck(f, LOGITS, PROBS, atol=1e-4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("mine", "theirs"), [
    (F.l1_loss, TF.l1_loss),
    (lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction, beta=0.7),
     lambda a, b, reduction: TF.smooth_l1_loss(a, b, reduction=reduction, beta=0.7)),
    (lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction, beta=0.0),
     lambda a, b, reduction: TF.smooth_l1_loss(a, b, reduction=reduction, beta=0.0)),
    (lambda a, b, reduction: F.huber_loss(a, b, reduction, delta=1.3),
     lambda a, b, reduction: TF.huber_loss(a, b, reduction=reduction, delta=1.3)),
], ids=["l1", "smooth_l1", "smooth_l1_beta0", "huber"])
def test_regression_losses_match_torch(mine, theirs, reduction) -> None:
    a, b = LOGITS, LOGITS[::-1] * 0.5
    _compare(lambda x, y: mine(x, y, reduction=reduction), lambda x, y: theirs(x, y, reduction=reduction), a, b)
    assert gradgradcheck(lambda x, y: mine(x, y, reduction=reduction), a, b, atol=1e-4)


@pytest.mark.filterwarnings("ignore:reduction. .mean. divides")  # PyTorch's note on its own "mean"
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target) -> None:
    logp = np.log(PROBS[::-1])
    target = np.log(PROBS) if log_target else np.where(PROBS < 0.05, 0.0, PROBS)  # zeros: 0 log 0 = 0
    _compare(lambda x, t: F.kl_div(x, t, reduction, log_target=log_target),
             lambda x, t: TF.kl_div(x, t, reduction=reduction, log_target=log_target), logp,
             target if log_target else PROBS)
    const = F.kl_div(Value(logp), target, reduction, log_target=log_target)
    ref = TF.kl_div(torch.tensor(logp), torch.tensor(target), reduction=reduction, log_target=log_target)
    np.testing.assert_allclose(const.data, ref.numpy(), rtol=1e-10)


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: F.nll_loss(LOGITS, LABELS.astype(float)), tg.DataError, ["nll_loss", "integer", "float64"]),
    (lambda: F.nll_loss(LOGITS, LABELS[:3]), tg.ShapeError, ["nll_loss", "(6, 4)", "(6,)", "(3,)"]),
    (lambda: F.nll_loss(LOGITS, np.array([0, 4, 1, 1, 1, 1])), tg.DataError, ["nll_loss", "label 4"]),
    (lambda: F.nll_loss(LOGITS, LABELS, np.ones(3)), tg.ShapeError, ["nll_loss", "weight", "(4,)", "(3,)"]),
    (lambda: F.cross_entropy(LOGITS, LABELS, label_smoothing=1.5), tg.ArgumentError, ["label_smoothing"]),
    (lambda: F.cross_entropy(LOGITS, LABELS, weight=np.ones(2)), tg.ShapeError, ["weight", "(4,)"]),
    (lambda: F.binary_cross_entropy_with_logits(LOGITS, PROBS, pos_weight=np.ones(3)), tg.ShapeError,
     ["pos_weight", "(3,)", "(6, 4)"]),
    (lambda: F.smooth_l1_loss(LOGITS, PROBS, beta=-1.0), tg.ArgumentError, ["beta"]),
    (lambda: F.huber_loss(LOGITS, PROBS, delta=0.0), tg.ArgumentError, ["delta"]),
    (lambda: F.l1_loss(LOGITS, PROBS[:2]), tg.ShapeError, ["l1_loss", "(6, 4)", "(2, 4)"]),
    (lambda: F.kl_div(LOGITS, PROBS, "avg"), tg.ArgumentError, ["kl_div", "batchmean"]),
])
def test_bad_input_to_the_loss_variants_gets_the_projects_errors(call, error, words) -> None:
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)
