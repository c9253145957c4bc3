"""Optimizers follow PyTorch's update rules, in place and without allocating in the steady state."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value, optim
from tinygrad_edu.errors import ArgumentError

RNG = np.random.default_rng(0)
START = RNG.standard_normal((3, 4))
GRADS = [RNG.standard_normal((3, 4)) for _ in range(5)]

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.0}),
]


def _ours(name: str, kwargs: dict, scalar: bool = False) -> list:
    p = Value(float(START[0, 0])) if scalar else Value(START.copy())
    opt = getattr(optim, name)([p], **kwargs)
    out = []
    for g in GRADS:
        p.grad = float(g[0, 0]) if scalar else g
        opt.step()
        out.append(np.array(p.data))
    return out


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_updates_match_pytorch(name: str, kwargs: dict) -> None:
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.from_numpy(START.copy()))
    opt = getattr(torch.optim, name)([p], **kwargs)
    for g, mine in zip(GRADS, _ours(name, kwargs)):
        p.grad = torch.from_numpy(g.copy())
        opt.step()
        np.testing.assert_allclose(mine, p.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_scalar_parameters_follow_the_same_rule(name: str, kwargs: dict) -> None:
    for mine, tensor in zip(_ours(name, kwargs, scalar=True), _ours(name, kwargs)):
        assert float(mine) == pytest.approx(float(tensor[0, 0]), rel=1e-12)


def test_plain_sgd_formula() -> None:
    p = Value(np.array([1.0, 2.0]))
    p.grad = np.array([0.5, -1.0])
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, 2.1])


def test_steps_are_in_place_and_allocation_free() -> None:
    p = Value(np.zeros((256, 256), np.float32))
    buffer = p.numpy()  # the stored array (.data hands out a view of it)
    for opt in (optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=1e-4), optim.Adam([p], weight_decay=1e-4),
                optim.AdamW([p])):
        p.grad = np.ones_like(p.data)
        opt.step()  # the first step allocates the buffers
        tracemalloc.start()
        for _ in range(5):
            opt.step()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 10_000, f"{type(opt).__name__} allocated {peak} bytes in the steady state"
        assert p.numpy() is buffer


def test_zero_grad_skips_and_schedules() -> None:
    p, q = Value(np.ones(2)), Value(1.0)
    opt = optim.SGD([p, q], lr=1.0)
    p.grad, q.grad = np.ones(2), 2.0
    opt.zero_grad()
    assert p.grad is None and q.grad == 0.0
    opt.step()  # no gradient: nothing changes
    np.testing.assert_allclose(p.data, [1.0, 1.0])
    step = optim.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(4):
        step.step()
        lrs.append(step.get_last_lr())
    assert lrs == [1.0, 0.5, 0.5, 0.25]
    opt.lr = 1.0
    cosine = optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.0)
    cosine.step()
    assert opt.lr == pytest.approx((1 + math.cos(math.pi / 4)) / 2)
    opt.lr = 1.0
    exp = optim.ExponentialLR(opt, gamma=0.9)
    exp.step()
    exp.step()
    assert opt.lr == pytest.approx(0.81)


def test_bad_arguments() -> None:
    with pytest.raises(tg.TinygradEduError, match="empty list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(tg.TinygradEduError, match="must be Values"):
        optim.Adam([np.ones(2)])
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([Value(1.0)], lr=0.1, nesterov=True)
    with pytest.raises(tg.TinygradEduError, match="single Value"):
        optim.SGD(Value(np.ones(3)), lr=0.1)
    with pytest.raises(tg.TinygradEduError, match="leaves"):
        optim.SGD([Value(np.ones(3)) * 2], lr=0.1)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: optim.Adam(p, lr=-1), ["Adam", "lr", "-1"]),
        (lambda p: optim.SGD(p, lr=-0.1), ["SGD", "lr", "-0.1"]),
        (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), ["momentum", "-0.5"]),
        (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), ["weight_decay"]),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ["Nesterov", "momentum=0.0"]),
        (lambda p: optim.Adam(p, betas=(0.9, 1.0)), ["betas[1]", "[0, 1)"]),
        (lambda p: optim.Adam(p, betas=(0.9,)), ["betas", "pair"]),
        (lambda p: optim.Adam(p, eps=-1e-8), ["eps"]),
        (lambda p: optim.AdamW(p, weight_decay=-0.1), ["AdamW", "weight_decay"]),
        (lambda p: optim.StepLR(optim.SGD(p, lr=0.1), step_size=0), ["StepLR", "step_size"]),
        (lambda p: optim.CosineAnnealingLR(optim.SGD(p, lr=0.1), T_max=0), ["T_max"]),
    ],
)
def test_bad_hyperparameters_are_argument_errors(make, words) -> None:
    with pytest.raises(ArgumentError) as info:
        make([Value(np.ones(2))])
    for word in words:
        assert word in str(info.value)


def test_empty_or_non_value_parameters_keep_their_builtin_classes() -> None:
    with pytest.raises(ValueError, match="empty list"):  # as PyTorch raises
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="must be Values"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(tg.DataError, match="expected an optimizer"):
        optim.StepLR("sgd", step_size=1)


def test_optimizers_and_schedulers_print_their_hyperparameters_like_pytorch() -> None:
    torch = pytest.importorskip("torch")
    p, tp = [Value(np.ones(2))], [torch.nn.Parameter(torch.ones(2))]
    for name, kwargs in (("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}), ("Adam", {"betas": (0.8, 0.99)}),
                         ("AdamW", {"weight_decay": 0.05})):
        ours = repr(getattr(optim, name)(p, **kwargs)).splitlines()
        theirs = repr(getattr(torch.optim, name)(tp, **kwargs)).splitlines()
        assert ours[:2] == theirs[:2] == [f"{name} (", "Parameter Group 0"] and ours[-1] == theirs[-1] == ")"
        theirs_fields = {line.split(":")[0] for line in theirs[2:-1]}
        assert {line.split(":")[0] for line in ours[2:-1]} <= theirs_fields  # the ones we have, named as PyTorch's
        assert ours[2:-1] == sorted(ours[2:-1])  # sorted, as PyTorch prints them
        assert f"    lr: {kwargs.get('lr', 0.001)}" in ours
    sgd = optim.SGD(p, lr=0.1, momentum=0.9)
    assert "    momentum: 0.9" in repr(sgd) and "    nesterov: False" in repr(sgd)
    step = optim.StepLR(sgd, step_size=3, gamma=0.5)
    assert repr(step) == "StepLR(step_size=3, gamma=0.5, base_lr=0.1, last_epoch=0)"
    assert "T_max=4" in repr(optim.CosineAnnealingLR(sgd, T_max=4))


@pytest.mark.parametrize("make", [lambda: optim.SGD, lambda: optim.Adam])
@pytest.mark.parametrize(("bad", "error"), [(np.ones(2), "ShapeError"), (np.ones((3, 1)), "ShapeError"),
                                            ("abc", "DataError"), (np.ones(3, dtype=complex), "DataError")])
def test_a_step_with_a_gradient_that_does_not_fit_is_a_clear_error_and_updates_nothing(make, bad, error) -> None:
    import tinygrad_edu.errors as errors

    first, second = Value(np.ones(2)), Value(np.ones(3))
    first.grad = np.ones(2)
    second.grad = bad
    opt = make()([first, second], lr=0.1)
    with pytest.raises(getattr(errors, error), match=r"step: parameter 1"):
        opt.step()
    np.testing.assert_array_equal(first.data, np.ones(2))  # nothing was updated, not even the good one
    np.testing.assert_array_equal(second.data, np.ones(3))
