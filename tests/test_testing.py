"""gradcheck itself: passes on correct ops, fails loudly on wrong ones; the strategies give what they claim."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from tinygrad_edu import Value, make_op
from tinygrad_edu.testing import GradcheckError, gradcheck, gradgradcheck, jacobians
from tinygrad_edu.testing import strategies as st


def wrong_square(a: Value) -> Value:
    """a**2 with a wrong gradient rule (a instead of 2a)."""
    return make_op(a.data**2, (a,), "wrong_square", lambda g, out, ctx, x: (g * x,))


def test_gradcheck_passes_on_correct_ops() -> None:
    rng = np.random.default_rng(0)
    assert gradcheck(lambda a, b: (a @ b).tanh(), rng.random((3, 4)), rng.random((4, 2)))
    assert gradgradcheck(lambda a: (a * a).sin().sum(), rng.random(5))


def test_gradcheck_names_input_index_and_both_values() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: wrong_square(y) + x, np.array([1.0, 2.0]), np.array([3.0, -1.0]))
    message = str(info.value)
    assert "input 1" in message and "input index (0,)" in message and "output element 0" in message
    assert "analytic 3.0" in message and "numerical 6.0" in message  # d(y^2)/dy at 3: rule says 3, truth 6
    assert gradcheck(wrong_square, np.array([2.0]), raise_exception=False) is False


def test_gradgradcheck_catches_a_wrong_second_derivative() -> None:
    def rule(g, out, ctx, x):
        # d(a^3)/da = 3 a^2, right on raw arrays; on Values (create_graph) a^2 is wrongly taken as a
        # constant, so the second derivative built from it is lost
        if isinstance(x, Value):
            return (g * 3 * Value(x.data**2, requires_grad=False),)
        return (g * 3 * x**2,)

    def cube_with_bad_second_order(a: Value) -> Value:
        return make_op(a.data**3, (a,), "cube", rule)

    assert gradcheck(cube_with_bad_second_order, np.array([0.5, 1.5]))
    with pytest.raises(GradcheckError):
        gradgradcheck(cube_with_bad_second_order, np.array([0.5, 1.5]))


def test_jacobians_are_full_matrices_in_float64() -> None:
    (analytic, numerical), = jacobians(lambda a: a * 2.0, np.array([1.0, 2.0, 3.0], dtype=np.float32))
    assert analytic.shape == (3, 3) and analytic.dtype == np.float64
    np.testing.assert_allclose(analytic, 2 * np.eye(3))
    np.testing.assert_allclose(numerical, 2 * np.eye(3), atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(pair=st.broadcastable_shapes(), data=hs.data())
def test_strategies_produce_what_they_claim(pair, data) -> None:
    a, b = pair
    assert np.broadcast_shapes(a, b) is not None
    x = data.draw(st.arrays(a, "positive"))
    assert x.shape == a and x.dtype == np.float64 and np.all((x >= 0.1) & (x <= 4.0))
    kinked = data.draw(st.arrays((5,), away_from=0.0))
    assert np.all(np.abs(kinked) > 0.05)
    signed = data.draw(st.signed(st.arrays((6,), "nonzero")))
    assert np.all(np.abs(signed) >= 0.3)
    apart = data.draw(st.distinct(st.arrays((4,))))
    assert np.min(np.diff(np.sort(apart))) > 1e-3
    nd = len(a)
    axis = data.draw(st.axes(nd))
    if axis is not None:
        np.sum(np.ones(a), axis=axis)  # a valid reduction axis for that shape
