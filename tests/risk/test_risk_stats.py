"""Wilson intervals and the residual risk: known values and properties."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from synthguard.risk.stats import Rate, bounded, residual, wilson


def test_wilson_known_value() -> None:
    # 40 successes of 100 at 95 %: centre (40 + 1.92) / 103.84, half-width 1.96/103.84 * sqrt(24 + 0.96)
    rate = wilson(100, 40)
    assert math.isclose(rate.value, 41.9207 / 103.8415, rel_tol=1e-4)
    assert math.isclose(rate.error, 1.959964 / 103.8415 * math.sqrt(24 + 0.960365), rel_tol=1e-4)


@given(st.integers(1, 10_000), st.data())
def test_wilson_interval_is_sane(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    rate = wilson(n, k)
    value, low, high = bounded(rate)
    assert 0.0 <= low <= value <= high <= 1.0
    assert low - 1e-12 <= k / n <= high + 1e-12
    if k < n:
        assert wilson(n, k + 1).value > rate.value


def test_residual_is_zero_without_excess_and_one_at_full_success() -> None:
    control = Rate(0.3, 0.02)
    assert math.isclose(residual(Rate(0.3, 0.02), control).value, 0.0, abs_tol=1e-12)
    assert math.isclose(residual(Rate(1.0, 0.0), control).value, 1.0)
    assert residual(Rate(0.2, 0.02), control).value < 0  # clipped to 0 by ``bounded``
    assert bounded(residual(Rate(0.2, 0.02), control))[0] == 0.0
