"""The engine's contract: micrograd's numbers, PyTorch's conventions, deep graphs, clear errors."""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value, grad, no_grad


def micrograd_sanity(V):
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return y, x


def micrograd_more_ops(V):
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g, a, b


def test_micrograd_sanity_check() -> None:
    y, x = micrograd_sanity(Value)
    assert (y.data, x.grad) == (-20.0, 46.0)


def test_micrograd_more_ops() -> None:
    g, a, b = micrograd_more_ops(Value)
    assert g.data == pytest.approx(24.70408163265306, abs=1e-12)
    assert a.grad == pytest.approx(138.83381924198252, abs=1e-10)
    assert b.grad == pytest.approx(645.5772594752186, abs=1e-10)


def test_micrograd_expressions_match_pytorch() -> None:
    torch = pytest.importorskip("torch")

    def T(v):  # noqa: N802
        return torch.tensor([v], dtype=torch.double, requires_grad=True)

    ty, tx = micrograd_sanity(T)
    y, x = micrograd_sanity(Value)
    assert y.data == pytest.approx(ty.item()) and x.grad == pytest.approx(tx.grad.item())
    tg_, ta, tb = micrograd_more_ops(T)
    g, a, b = micrograd_more_ops(Value)
    assert g.data == pytest.approx(tg_.item(), rel=1e-12)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-12)


def test_scalar_values_keep_micrograd_semantics() -> None:
    v = Value(3.0)
    assert v.grad == 0.0 and isinstance(v.data, float)
    total = sum([v, v * 2, 1 - v, 2 / v, 2**v])
    total.backward()
    assert v.grad == pytest.approx(1 + 2 - 1 - 2 / 9 + math.log(2) * 8)
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"


def test_diamond_graph_is_exact() -> None:
    a = Value(3.0)
    b = a * a  # used twice below
    c = b + b * a
    c.backward()
    assert a.grad == pytest.approx(2 * 3 + 3 * 9)  # d(a^2 + a^3)/da


def test_gradients_accumulate_across_backward_calls() -> None:
    w = Value(np.array([1.0, 2.0]))
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad, [6.0, 6.0])
    w.zero_grad()
    assert w.grad is None


@pytest.mark.parametrize("failure", [ValueError, KeyboardInterrupt])
def test_a_backward_that_raises_leaves_the_graph_ready_for_the_next(failure) -> None:
    def broken_rule(g, out, ctx, a):
        raise failure("rule failed")

    a = Value(2.0)
    b = a * a  # shared by both graphs below
    c = b * 3 + b  # b has two consumers; the pass stops before reaching it
    bad = tg.make_op(c.data, (c,), "broken", broken_rule)
    with pytest.raises(failure):
        bad.backward()
    assert b.grad == 0.0 and a.grad == 0.0  # nothing reached them
    c.backward()  # counts start from scratch: exact gradients
    assert b.grad == 4.0 and a.grad == 16.0


def test_repeated_indices_accumulate() -> None:
    x = Value(np.arange(4.0))
    x[np.array([1, 1, 1, 3])].sum().backward()
    np.testing.assert_allclose(x.grad, [0, 3, 0, 1])


def test_million_node_chain_backprops_without_recursion() -> None:
    x = Value(1.0)
    y = x
    for _ in range(500_000):  # two ops per step: a million nodes
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0
    del y  # freeing the chain must not overflow the C stack either
    gc.collect()


def test_finished_graph_holds_no_reference_cycles() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(np.ones(3))
        loss = ((x * 2).exp() @ np.ones(3)).tanh()
        loss.backward()
        del loss
        assert gc.collect() == 0  # everything was already freed by reference counting
    finally:
        gc.enable()


def test_float32_stays_float32_and_numbers_default_to_float64() -> None:
    x = Value(np.ones((2, 3), dtype=np.float32))
    w = Value(np.ones((3, 2), dtype=np.float32))
    y = ((x @ w) * 0.5 + 1.0).sigmoid().log_softmax(axis=1).mean()
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    assert Value([1, 2]).dtype == np.float64 and Value(2).dtype == np.float64


def test_no_grad_detach_and_constants_record_nothing() -> None:
    x = Value(2.0)
    with no_grad():
        y = x * 3
    assert y.parents == () and not y.requires_grad
    assert (x.detach() * 3).parents == ()
    c = Value(np.ones(2), requires_grad=False)
    assert (c * 2 + np.ones(2)).parents == ()
    d = Value(np.ones(2))
    (d * c).sum().backward()
    assert c.grad is None and d.grad is not None


def test_higher_order_gradients() -> None:
    x = Value(3.0)
    y = x * x * x
    y.backward(create_graph=True)
    g = x.grad
    assert g.data == 27.0
    x.grad = 0.0
    g.backward()
    assert x.grad == 18.0
    assert grad(grad(lambda t: t**3))(2.0) == pytest.approx(12.0)
    # Hessian-vector product of f(t) = sum(t^2 * reversed(t)) in two lines
    v = np.array([1.0, 0.0])
    hvp = grad(lambda t: (grad(lambda s: (s**2 * s[::-1]).sum())(t) * v).sum())(np.array([1.0, 2.0]))
    np.testing.assert_allclose(hvp, [4.0, 6.0])


def test_numerics_stay_finite_at_extremes() -> None:
    s = Value(np.array([1000.0, -1000.0]))
    out = s.sigmoid()
    out.sum().backward()
    np.testing.assert_allclose(out.data, [1.0, 0.0])
    assert np.isfinite(s.grad).all()
    z = Value(np.array([1000.0, 0.0, -1000.0]))
    ls = z.log_softmax()
    np.testing.assert_allclose(ls.data, [0.0, -1000.0, -2000.0])
    ls.sum().backward()
    np.testing.assert_allclose(z.grad, [-2.0, 1.0, 1.0])
    t = Value(1000.0)
    t.tanh().backward()
    assert t.tanh().data == 1.0 and t.grad == 0.0
    assert Value(np.array([1e308, 1e308])).logsumexp().data == pytest.approx(1e308 + math.log(2))
    zero_d = Value(np.array(2.0))
    zero_d.logsumexp().backward()
    assert zero_d.grad == 1.0  # a 0-d input: logsumexp is the identity


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: Value(np.ones(3)) + Value(np.ones(4)), tg.ShapeError, ["add", "(3,)", "(4,)"]),
        (lambda: Value(np.ones((2, 3))) @ Value(np.ones((2, 3))), tg.ShapeError, ["matmul", "(2, 3)", "must equal"]),
        (lambda: Value(np.ones(3)).backward(), tg.BackwardError, ["backward", "(3,)", "scalar"]),
        (lambda: Value("abc"), tg.DataError, ["Value", "numeric"]),
        (lambda: Value(np.array([object()])), tg.DataError, ["Value", "numeric"]),
        (lambda: Value(np.ones(3)).sum(axis=2), tg.ShapeError, ["sum", "axis 2", "(3,)"]),
        (lambda: Value(np.ones(3)).reshape(2, 2), tg.ShapeError, ["reshape", "(3,)", "(2, 2)"]),
        (lambda: Value(np.ones(3))[5], tg.GraphIndexError, ["getitem", "(3,)"]),
        (lambda: tg.concatenate([np.ones((2, 2)), np.ones((3, 3))]), tg.ShapeError, ["concatenate", "(2, 2)"]),
        (lambda: Value(np.ones(2)).backward(np.ones(3)), tg.BackwardError, ["gradient", "(3,)", "(2,)"]),
        (lambda: Value(np.ones(3)).swapaxes(0, 5), tg.ShapeError, ["swapaxes", "axis 5", "(3,)"]),
        (lambda: Value(np.ones(3)).sum(axis=1.5), tg.ShapeError, ["sum", "1.5"]),
        (lambda: Value(np.ones((2, 3))).max(axis=(0, 0)), tg.ShapeError, ["max", "twice"]),
        (lambda: Value(np.ones(3)).clip("a", 2), tg.DataError, ["clip", "'a'"]),
        (lambda: Value(np.ones(3)) + "a", tg.DataError, ["add", "numeric"]),
        (lambda: Value([[1, 2], [3]]), tg.DataError, ["Value"]),
    ],
)
def test_misuse_gets_a_clear_error(make, error, words) -> None:
    with pytest.raises(error) as info:
        make()
    for word in words:
        assert word in str(info.value)
    assert isinstance(info.value, tg.TinygradEduError)


def test_detect_anomaly_names_the_op_and_the_line() -> None:
    with tg.detect_anomaly():
        with pytest.raises(tg.AnomalyError, match=r"forward of 'log' produced nan.*test_engine.py"):
            Value(np.array([-1.0, 1.0])).log()
        x = Value(np.array([0.0, 4.0]))
        y = x.sqrt().sum()  # sqrt'(0) = inf
        with pytest.raises(tg.AnomalyError, match=r"backward of 'sqrt' produced inf.*test_engine.py"):
            y.backward()


def test_walk_lists_every_node_after_its_inputs_even_one_used_at_two_depths() -> None:
    from tinygrad_edu.autograd import walk

    x = Value(1.0)
    y = x
    for _ in range(5):
        y = y * 1.01 + x  # x feeds every level
    order = walk(y)
    position = {id(v): i for i, v in enumerate(order)}
    assert len(position) == len(order)
    for v in order:
        assert all(position[id(p)] < position[id(v)] for p in v.parents)
    assert order[0] is x and order[-1] is y
