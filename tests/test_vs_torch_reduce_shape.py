"""The reductions, scans, sorting and shape ops against PyTorch in float64: values, indices and gradients.

Each case runs the same function on Values and on tensors, compares every output (the indices of
``(values, indices)`` results exactly), then back-propagates the same random cotangent through both and
compares the inputs' gradients. The cases cover dim=None, negative dims, keepdim, empty and size-1 axes,
0-d inputs, zeros (prod, cumprod), ties (sort, cummax, argmax, max-norm) and kinks (norm and std at 0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value
from tinygrad_edu.errors import ArgumentError, AxisError, DataError, ShapeError, TinygradEduError
from tinygrad_edu.nn import functional as F

torch = pytest.importorskip("torch")
# var with N - correction <= 0 is nan or inf on purpose (both engines); PyTorch and NumPy warn about it
pytestmark = [pytest.mark.filterwarnings("ignore:var\\(\\)"),
              pytest.mark.filterwarnings("ignore:invalid value encountered in multiply:RuntimeWarning")]
TF = torch.nn.functional

RNG = np.random.default_rng(12)
X34 = RNG.uniform(-2, 2, (3, 4))
X234 = RNG.uniform(-2, 2, (2, 3, 4))
EMPTY = np.zeros((2, 0, 3))
SCALAR = np.array(1.7)
ZEROS = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 3.0, 0.0, 1.0], [2.0, -1.0, 0.5, 0.0]])  # one, two, one zero
TIES = np.array([[1.0, 3.0, 3.0, -2.0], [2.0, 2.0, 2.0, 2.0], [-1.0, 0.5, -1.0, 0.5]])
LARGE = np.array([[-1000.0, 0.0, 1000.0, 999.0], [-800.0, -799.0, -1200.0, 5.0]])

inf = float("inf")


def case(name: str, ours: Callable[..., Any], theirs: Callable[..., Any], *inputs: np.ndarray) -> Any:
    return pytest.param(ours, theirs, inputs, id=name)


CASES = [
    # ---- reductions
    case("prod_all", lambda x: x.prod(), lambda t: t.prod(), X34),
    case("prod_dim_neg_keepdim", lambda x: x.prod(dim=-1, keepdim=True), lambda t: t.prod(-1, keepdim=True), X234),
    case("prod_zeros", lambda x: x.prod(1), lambda t: t.prod(1), ZEROS),
    case("prod_zeros_dim0", lambda x: x.prod(0), lambda t: t.prod(0), ZEROS),
    case("prod_empty", lambda x: x.prod(1), lambda t: t.prod(1), EMPTY),
    case("prod_0d", lambda x: x.prod(), lambda t: t.prod(), SCALAR),
    case("var_all", lambda x: x.var(), lambda t: t.var(), X34),
    case("var_dims_correction", lambda x: x.var(dim=(0, 2), correction=0), lambda t: t.var((0, 2), correction=0),
         X234),
    case("var_keepdim", lambda x: x.var(-1, keepdim=True), lambda t: t.var(-1, keepdim=True), X234),
    case("var_single_is_nan", lambda x: x.var(0), lambda t: t.var(0), X34[:1]),
    case("var_empty", lambda x: x.var(1), lambda t: t.var(1), EMPTY),
    case("std_all", lambda x: x.std(), lambda t: t.std(), X34),
    case("std_dim", lambda x: x.std(dim=1, correction=2), lambda t: t.std(1, correction=2), X34),
    case("std_constant_row", lambda x: x.std(1), lambda t: t.std(1), np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])),
    case("var_mean", lambda x: x.var_mean(1), lambda t: torch.var_mean(t, 1), X34),
    case("std_mean", lambda x: tg.std_mean(x, -1, keepdim=True), lambda t: torch.std_mean(t, -1, keepdim=True), X234),
    case("norm_default", lambda x: x.norm(), lambda t: t.norm(), X234),
    case("norm_fro_dim", lambda x: x.norm("fro", dim=(0, 1)), lambda t: t.norm("fro", dim=(0, 1)), X234),
    case("norm_p1", lambda x: x.norm(1, dim=-1), lambda t: t.norm(1, dim=-1), X34),
    case("norm_p3_keepdim", lambda x: tg.norm(x, 3, 0, True), lambda t: torch.norm(t, 3, 0, True), X34),
    case("norm_inf_ties", lambda x: x.norm(inf, dim=1), lambda t: t.norm(inf, dim=1), TIES),
    case("norm_minus_inf", lambda x: x.norm(-inf), lambda t: t.norm(-inf), X34),
    case("norm_p0", lambda x: x.norm(0, dim=1), lambda t: t.norm(0, dim=1), ZEROS),
    case("norm_zero_row", lambda x: x.norm(dim=1), lambda t: t.norm(dim=1), np.array([[0.0, 0.0], [3.0, 4.0]])),
    case("normalize", lambda x: F.normalize(x, dim=-1), lambda t: TF.normalize(t, dim=-1), X234),
    case("normalize_zero_row", lambda x: F.normalize(x, p=1), lambda t: TF.normalize(t, p=1),
         np.array([[0.0, 0.0], [3.0, -4.0]])),
    case("argmax_ties", lambda x: x.argmax(dim=1), lambda t: t.argmax(dim=1), TIES),
    case("argmax_flat_keepdim", lambda x: x.argmax(keepdim=True), lambda t: t.argmax(keepdim=True), TIES),
    case("argmin_neg", lambda x: tg.argmin(x, -1), lambda t: torch.argmin(t, -1), TIES),
    case("any", lambda x: x.any(1), lambda t: t.any(1), ZEROS * (np.arange(3) != 1)[:, None]),
    case("all_keepdim", lambda x: x.all(0, keepdim=True), lambda t: t.all(0, keepdim=True), ZEROS),
    case("all_empty", lambda x: tg.all(x), lambda t: torch.all(t), EMPTY),
    # ---- scans
    case("cumsum_0", lambda x: x.cumsum(0), lambda t: t.cumsum(0), X34),
    case("cumsum_neg", lambda x: tg.cumsum(x, -2), lambda t: torch.cumsum(t, -2), X234),
    case("cumsum_empty", lambda x: x.cumsum(1), lambda t: t.cumsum(1), EMPTY),
    case("cumsum_0d", lambda x: x.cumsum(0), lambda t: t.cumsum(0), SCALAR),
    case("cumprod", lambda x: x.cumprod(-1), lambda t: t.cumprod(-1), X34),
    case("cumprod_zeros", lambda x: x.cumprod(1), lambda t: t.cumprod(1), ZEROS),
    case("cumprod_zeros_dim0", lambda x: x.cumprod(0), lambda t: t.cumprod(0), ZEROS),
    case("logcumsumexp", lambda x: x.logcumsumexp(-1), lambda t: t.logcumsumexp(-1), X234),
    case("logcumsumexp_large", lambda x: x.logcumsumexp(1), lambda t: t.logcumsumexp(1), LARGE),
    case("logcumsumexp_dim0", lambda x: x.logcumsumexp(0), lambda t: t.logcumsumexp(0), LARGE),
    case("cummax_ties", lambda x: x.cummax(1), lambda t: t.cummax(1), TIES),
    case("cummin_ties_dim0", lambda x: x.cummin(0), lambda t: t.cummin(0), TIES),
    case("cummax_neg", lambda x: tg.cummax(x, -1), lambda t: torch.cummax(t, -1), X234),
    # ---- sorting (PyTorch with stable=True: ours is always stable)
    case("sort", lambda x: x.sort(), lambda t: t.sort(stable=True), X234),
    case("sort_ties", lambda x: x.sort(1), lambda t: t.sort(dim=1, stable=True), TIES),
    case("sort_ties_descending", lambda x: x.sort(1, descending=True),
         lambda t: t.sort(dim=1, descending=True, stable=True), TIES),
    case("sort_dim0", lambda x: tg.sort(x, 0), lambda t: torch.sort(t, dim=0, stable=True), X34),
    case("sort_empty", lambda x: x.sort(1), lambda t: t.sort(dim=1, stable=True), EMPTY),
    case("argsort_ties", lambda x: x.argsort(1, descending=True),
         lambda t: t.argsort(dim=1, descending=True, stable=True), TIES),
    case("topk", lambda x: x.topk(2), lambda t: t.topk(2), X234),
    case("topk_smallest_dim0", lambda x: x.topk(2, dim=0, largest=False), lambda t: t.topk(2, 0, largest=False), X34),
    case("topk_zero", lambda x: x.topk(0), lambda t: t.topk(0), X34),
    # ---- movement
    case("view", lambda x: x.view(4, 3), lambda t: t.view(4, 3), X34),
    case("flatten_range", lambda x: x.flatten(1), lambda t: t.flatten(1), X234),
    case("flatten_mid", lambda x: tg.flatten(x, 0, -2), lambda t: torch.flatten(t, 0, -2), X234),
    case("flatten_0d", lambda x: x.flatten(), lambda t: t.flatten(), SCALAR),
    case("unflatten", lambda x: x.unflatten(-1, (2, -1)), lambda t: t.unflatten(-1, (2, -1)), X234),
    case("squeeze_all", lambda x: x.squeeze(), lambda t: t.squeeze(), X34.reshape(3, 1, 4, 1)),
    case("squeeze_dims", lambda x: x.squeeze((0, -1)), lambda t: t.squeeze((0, -1)), X34.reshape(3, 1, 4, 1)),
    case("squeeze_not_one", lambda x: x.squeeze(0), lambda t: t.squeeze(0), X34),
    case("unsqueeze_neg", lambda x: x.unsqueeze(-1), lambda t: t.unsqueeze(-1), X34),
    case("unsqueeze_0d", lambda x: tg.unsqueeze(x, 0), lambda t: torch.unsqueeze(t, 0), SCALAR),
    case("permute", lambda x: x.permute(2, 0, 1), lambda t: t.permute(2, 0, 1), X234),
    case("permute_neg", lambda x: tg.permute(x, (-1, 0, -2)), lambda t: torch.permute(t, (-1, 0, -2)), X234),
    case("movedim", lambda x: x.movedim(0, -1), lambda t: t.movedim(0, -1), X234),
    case("movedim_many", lambda x: x.movedim((0, 1), (2, 0)), lambda t: t.movedim((0, 1), (2, 0)), X234),
    case("expand", lambda x: x.expand(2, -1, 4), lambda t: t.expand(2, -1, 4), X34[:, :1]),
    case("flip", lambda x: x.flip(0, -1), lambda t: t.flip(0, -1), X234),
    case("roll", lambda x: x.roll(1, 0), lambda t: t.roll(1, 0), X34),
    case("roll_many", lambda x: x.roll((2, -1), (-1, 0)), lambda t: t.roll((2, -1), (-1, 0)), X234),
    case("roll_flat", lambda x: tg.roll(x, 5), lambda t: torch.roll(t, 5), X34),
    # ---- shape
    case("pad_constant", lambda x: F.pad(x, (1, 2, 0, 1), value=-1.0), lambda t: TF.pad(t, (1, 2, 0, 1), value=-1.0),
         X234),
    case("pad_crop", lambda x: F.pad(x, (-1, 2)), lambda t: TF.pad(t, (-1, 2)), X34),
    case("pad_reflect", lambda x: F.pad(x, (3, 1), mode="reflect"), lambda t: TF.pad(t, (3, 1), mode="reflect"), X34),
    case("pad_reflect_2d", lambda x: F.pad(x, (1, 2, 2, 1), mode="reflect"),
         lambda t: TF.pad(t, (1, 2, 2, 1), mode="reflect"), X234),
    case("pad_replicate", lambda x: F.pad(x, (2, 0, 1, 3), mode="replicate"),
         lambda t: TF.pad(t, (2, 0, 1, 3), mode="replicate"), X234),
    case("pad_circular", lambda x: F.pad(x, (2, 1), mode="circular"), lambda t: TF.pad(t, (2, 1), mode="circular"),
         X34),
    case("repeat", lambda x: x.repeat(2, 1, 3), lambda t: t.repeat(2, 1, 3), X34),
    case("repeat_interleave", lambda x: x.repeat_interleave(np.array([2, 0, 1]), dim=0),
         lambda t: t.repeat_interleave(torch.tensor([2, 0, 1]), dim=0), X34),
    case("repeat_interleave_flat", lambda x: tg.repeat_interleave(x, 2), lambda t: torch.repeat_interleave(t, 2),
         X34),
    case("tril", lambda x: x.tril(), lambda t: t.tril(), X34),
    case("tril_batched", lambda x: x.tril(-1), lambda t: t.tril(-1), X234),
    case("triu", lambda x: tg.triu(x, 2), lambda t: torch.triu(t, 2), X234),
    case("diagonal", lambda x: x.diagonal(), lambda t: t.diagonal(), X34),
    case("diagonal_dims", lambda x: x.diagonal(-1, 2, 0), lambda t: t.diagonal(-1, 2, 0), X234),
    case("diagonal_past_the_end", lambda x: x.diagonal(5), lambda t: t.diagonal(5), X34),
    case("diag_vector", lambda x: x.diag(1), lambda t: t.diag(1), X34[0]),
    case("diag_matrix", lambda x: tg.diag(x, -1), lambda t: torch.diag(t, -1), X34),
    case("unfold", lambda x: x.unfold(1, 2, 1), lambda t: t.unfold(1, 2, 1), X34),
    case("unfold_step", lambda x: x.unfold(-1, 2, 3), lambda t: t.unfold(-1, 2, 3), X234),
    case("meshgrid_ij", lambda a, b: tg.meshgrid(a, b, indexing="ij"),
         lambda a, b: torch.meshgrid(a, b, indexing="ij"), X34[0], X34[1, :3]),
    case("meshgrid_xy", lambda a, b, c: tg.meshgrid([a, b, c], indexing="xy"),
         lambda a, b, c: torch.meshgrid([a, b, c], indexing="xy"), X34[0], X34[1, :3], X34[2, :2]),
    case("chunk", lambda x: x.chunk(3, 1), lambda t: t.chunk(3, 1), X34),
    case("chunk_fewer", lambda x: tg.chunk(x, 4, -1), lambda t: torch.chunk(t, 4, -1), np.arange(6.0)),
    case("split_size", lambda x: x.split(2, -1), lambda t: t.split(2, -1), X234),
    case("split_sections", lambda x: tg.split(x, [1, 0, 2], 0), lambda t: torch.split(t, [1, 0, 2], 0), X34),
]


def _parts(out: Any) -> tuple[list[Any], list[np.ndarray]]:
    """An op's differentiable outputs and its index outputs, in order."""
    if isinstance(out, tuple) and hasattr(out, "indices"):  # (values, indices); a tensor has .indices too
        indices = out.indices
        return [out.values], [indices if isinstance(indices, np.ndarray) else indices.numpy()]
    if isinstance(out, tuple | list):
        return list(out), []
    return [out], []


@pytest.mark.parametrize(("ours", "theirs", "inputs"), CASES)
def test_matches_pytorch(ours: Callable[..., Any], theirs: Callable[..., Any], inputs: tuple[np.ndarray, ...]) -> None:
    values = [Value(x.copy()) for x in inputs]
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    mine, mine_index = _parts(ours(*values))
    their, their_index = _parts(theirs(*tensors))
    assert len(mine) == len(their)
    for a, b in zip(mine_index, their_index):
        np.testing.assert_array_equal(a, b)
    if isinstance(mine[0], np.ndarray):  # argmax, any, ...: data, no graph
        for a, b in zip(mine, their):
            assert a.dtype.kind == b.numpy().dtype.kind
            np.testing.assert_array_equal(a, b.numpy())
        return
    for a, b in zip(mine, their):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-12)
    rng = np.random.default_rng(0)
    cotangents = [rng.standard_normal(a.shape) for a in mine]
    loss = sum(((a * c).sum() for a, c in zip(mine, cotangents)), Value(0.0, requires_grad=False))
    tloss = sum((b * torch.tensor(c)).sum() for b, c in zip(their, cotangents))
    if not loss.requires_grad:
        return
    loss.backward()
    if tloss.requires_grad:
        tloss.backward()
    for v, t in zip(values, tensors):
        theirs_grad = np.zeros(v.shape) if t.grad is None else t.grad.numpy()
        mine_grad = np.zeros(v.shape) if v.grad is None else np.asarray(v.grad)
        np.testing.assert_allclose(mine_grad, theirs_grad, rtol=1e-10, atol=1e-12)


def test_logcumsumexp_large_magnitudes_stay_finite() -> None:
    x = Value(LARGE)
    out = x.logcumsumexp(1)
    assert np.all(np.isfinite(out.data))
    (out * np.array([[1.0, -2.0, 0.5, 3.0], [-1.0, 1.0, 2.0, -0.5]])).sum().backward()
    assert np.all(np.isfinite(x.grad))


def test_logcumsumexp_second_order_rule_matches_the_first_order_one() -> None:
    """create_graph uses the (n, n) form of the rule, plain backward the O(n) one: both give PyTorch's numbers."""
    x = Value(LARGE / 500)
    g = tg.grad(lambda v: (v.logcumsumexp(-1) * np.arange(8.0).reshape(2, 4)).sum())(x)
    x.logcumsumexp(-1).backward(np.arange(8.0).reshape(2, 4))
    np.testing.assert_allclose(g.data, x.grad, rtol=1e-12)


def test_cumprod_rule_is_exact_where_running_products_underflow() -> None:
    """out / a fails when the running product underflows to 0 (PyTorch's own rule has this gap, ours not)."""
    x = Value(np.array([1e-200, 1e-200, 0.5]))
    x.cumprod(0).sum().backward()
    np.testing.assert_allclose(x.grad, [1 + 1e-200 + 0.5e-200, 1e-200 + 0.5e-200, 1e-400], rtol=1e-12)
    y = Value(np.array([0.5, 5e-324]))
    y.prod().backward()
    assert y.grad[1] == 0.5  # out / a would give 0 / 5e-324 = 0


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda x: x.prod(dim=3), AxisError, ("prod", "(3, 4)")),
        (lambda x: x.var(dim=(0, 0)), AxisError, ("var", "twice")),
        (lambda x: x.norm(p="nuc"), ArgumentError, ("norm", "'nuc'")),
        (lambda x: x.argmax(dim=(0, 1)), AxisError, ("argmax", "one int")),
        (lambda x: Value(np.zeros((0, 2))).argmin(0), ShapeError, ("argmin", "(0, 2)", "empty")),
        (lambda x: x.cumsum(), ArgumentError, ("cumsum", "dim is required")),
        (lambda x: x.cumprod(2), AxisError, ("cumprod", "(3, 4)")),
        (lambda x: x.logcumsumexp(1.0), AxisError, ("logcumsumexp", "one int")),
        (lambda x: x.cummax(-3), AxisError, ("cummax", "(3, 4)")),
        (lambda x: x.sort(dim=2), AxisError, ("sort", "(3, 4)")),
        (lambda x: x.topk(5), ArgumentError, ("topk", "k", "(3, 4)")),
        (lambda x: F.pad(x, (1,)), ShapeError, ("pad", "even", "(3, 4)")),
        (lambda x: F.pad(x, (1, 1, 1, 1, 1, 1)), ShapeError, ("pad", "(3, 4)")),
        (lambda x: F.pad(x, (4, 0), mode="reflect"), ShapeError, ("pad", "reflect", "(3, 4)")),
        (lambda x: F.pad(x, (1, 1), mode="wrap"), ArgumentError, ("pad", "'wrap'")),
        (lambda x: F.pad(x, (-1, 1), mode="replicate"), ShapeError, ("pad", "negative")),
        (lambda x: x.roll((1, 2), 0), ArgumentError, ("roll", "same length")),
        (lambda x: x.squeeze(2), AxisError, ("squeeze", "(3, 4)")),
        (lambda x: x.unsqueeze(3), AxisError, ("unsqueeze", "(3, 4)")),
        (lambda x: x.permute(0, 0), ShapeError, ("transpose", "permutation")),
        (lambda x: x.permute(0), ShapeError, ("permute", "(3, 4)")),
        (lambda x: x.movedim(0, 2), AxisError, ("movedim", "(3, 4)")),
        (lambda x: x.expand(5, 4), ShapeError, ("broadcast_to", "(3, 4)")),
        (lambda x: x.expand(4), ShapeError, ("expand", "(3, 4)")),
        (lambda x: x.repeat(2), ShapeError, ("repeat", "(3, 4)")),
        (lambda x: x.repeat_interleave(np.array([1.5])), DataError, ("repeat_interleave", "integer")),
        (lambda x: x.repeat_interleave(np.array([1, 2]), dim=1), ShapeError, ("repeat_interleave", "(3, 4)")),
        (lambda x: x.repeat_interleave(-1, dim=0), ShapeError, ("repeat_interleave", "non-negative")),
        (lambda x: x[0].tril(), ShapeError, ("tril", "(4,)")),
        (lambda x: x.diagonal(0, 1, -1), ShapeError, ("diagonal", "same axis")),
        (lambda x: x.reshape(2, 2, 3).diag(), ShapeError, ("diag", "(2, 2, 3)")),
        (lambda x: x.unfold(1, 5, 1), ShapeError, ("unfold", "(3, 4)")),
        (lambda x: x.unfold(1, 2, 0), ShapeError, ("unfold", "step")),
        (lambda x: x.split([1, 1]), ShapeError, ("split", "(3, 4)")),
        (lambda x: x.chunk(0), ArgumentError, ("chunk", "positive")),
        (lambda x: x.unflatten(1, (3, 3)), ShapeError, ("unflatten", "(3, 4)")),
        (lambda x: x.flatten(1, 0), AxisError, ("flatten", "(3, 4)")),
        (lambda x: tg.meshgrid(x), ShapeError, ("meshgrid", "(3, 4)")),
        (lambda x: tg.meshgrid(x[0], indexing="yx"), ArgumentError, ("meshgrid", "'yx'")),
    ],
)
def test_bad_input_names_the_op_and_the_shape(call: Callable[[Value], Any], error: type,
                                              words: tuple[str, ...]) -> None:
    with pytest.raises(error) as info:
        call(Value(X34))
    assert isinstance(info.value, TinygradEduError)
    for word in words:
        assert word in str(info.value), f"{word!r} not in {info.value}"
