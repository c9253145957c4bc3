"""Modes hold per thread (as PyTorch's grad mode does), and backward passes through shared nodes take turns."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from tinygrad_edu import Value, detect_anomaly, is_grad_enabled, name_scope, no_grad


def _in_thread_while(context_factory, work):
    """Run ``work()`` in this thread while another thread sits inside ``context_factory()``."""
    entered, done = threading.Event(), threading.Event()

    def hold() -> None:
        with context_factory():
            entered.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(10)
    try:
        return work()
    finally:
        done.set()
        holder.join(10)


def test_no_grad_in_one_thread_does_not_stop_another_from_training() -> None:
    w = Value(np.array([1.0, -2.0, 3.0]))
    x = np.array([0.5, 0.25, -1.0])

    def train_step():
        assert is_grad_enabled()
        w.zero_grad()
        loss = ((w * x).sum() - 1.0) ** 2
        loss.backward()
        return w.grad.copy()

    expected = train_step()
    got = _in_thread_while(no_grad, train_step)
    np.testing.assert_array_equal(got, expected)


def test_a_thread_inside_no_grad_records_nothing_while_another_records() -> None:
    results = {}
    started = threading.Event()

    def evaluate() -> None:
        with no_grad():
            started.set()
            results["eval"] = (Value(2.0) * 3).parents

    t = threading.Thread(target=evaluate)
    t.start()
    t.join(10)
    assert started.is_set() and results["eval"] == ()
    assert (Value(2.0) * 3).parents  # this thread still records


def test_name_scope_does_not_leak_into_another_threads_nodes() -> None:
    y = _in_thread_while(lambda: name_scope("evaluation"), lambda: Value(1.0) * 2)
    assert y.scope == ()


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")  # NumPy's own warning for log(-1)
def test_detect_anomaly_holds_for_its_own_thread_only() -> None:
    out = _in_thread_while(detect_anomaly, lambda: Value(np.array([-1.0])).log())
    assert np.isnan(out.data).all()  # no AnomalyError here: the other thread asked for it, not this one


def test_no_grad_works_as_a_decorator() -> None:
    @no_grad()
    def evaluate(v: Value) -> Value:
        return v * 2

    assert evaluate(Value(1.0)).parents == ()
    assert evaluate(Value(1.0)).parents == ()  # (the decorator is reusable)
    assert is_grad_enabled()


def test_two_threads_back_propagating_through_shared_nodes_get_exact_gradients() -> None:
    w = Value(np.array([0.5, -1.5]))
    shared = w
    for _ in range(200):  # a shared chain: both threads' graphs run through these nodes
        shared = (shared * 1.01).tanh() + 0.1
    roots = [(shared * k).sum() for k in (1.0, 2.0)]
    reference = []
    for r in roots:
        w.zero_grad()
        r.backward()
        reference.append(w.grad.copy())
    passes = 40
    w.zero_grad()
    errors: list[BaseException] = []

    def run(root: Value) -> None:
        try:
            for _ in range(passes):
                root.backward()
        except BaseException as e:  # collected: the test reports it
            errors.append(e)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to make passes interleave
    try:
        threads = [threading.Thread(target=run, args=(r,)) for r in roots]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sys.setswitchinterval(old)
    assert not errors, errors
    np.testing.assert_allclose(w.grad, passes * (reference[0] + reference[1]), rtol=1e-12)
