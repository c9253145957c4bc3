"""trace_backward records the engine's own backward pass: its visiting order, gradients and contributions."""

from __future__ import annotations

import numpy as np

from tinygrad_edu import Value, trace_backward


def test_trace_follows_the_pass_and_shows_a_reused_node_summing_up() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b  # a is used twice: here and in d
    d = c + a
    with trace_backward() as trace:
        d.backward()
    order = [step.node for step in trace.steps]
    assert order[0] is d and set(order) == {a, b, c, d}
    assert order.index(c) < order.index(a)  # Kahn's order: a only once all its consumers (c, d) are done
    by_node = {id(step.node): step for step in trace.steps}
    assert by_node[id(a)].grad == a.grad == b.data + 1.0  # d(ab + a)/da = b + 1
    sent_to_a = [(contribution, total) for step in trace.steps for (x, contribution, total) in step.sent if x is a]
    assert [c for c, _ in sent_to_a] in ([1.0, -3.0], [-3.0, 1.0])  # from d (+) and from c (* b)
    assert sent_to_a[-1][1] == -2.0  # the running total ends at the full gradient


def test_trace_copies_tensor_gradients_and_records_nothing_outside_the_block() -> None:
    x = Value(np.array([1.0, 2.0]))
    y = (x * x).sum()
    with trace_backward() as trace:
        y.backward()
    recorded = trace.steps[-1].grad
    np.testing.assert_array_equal(recorded, x.grad)
    x.grad *= 0  # later changes to .grad do not change the recording
    assert recorded.tolist() == [2.0, 4.0]
    steps = len(trace.steps)
    (x * 3).sum().backward()
    assert len(trace.steps) == steps
