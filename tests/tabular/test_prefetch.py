"""Read-ahead keeps order, hands reader errors to the caller, and stops the reader early."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthguard.tabular.prefetch import prefetch


@given(st.lists(st.integers()), st.integers(1, 4))
def test_order_and_content_are_kept(items: list[int], depth: int) -> None:
    assert list(prefetch(iter(items), depth)) == items


def test_a_reader_error_reaches_the_caller_after_the_good_items() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("truncated")

    seen = []
    with pytest.raises(ValueError, match="truncated"):
        for item in prefetch(failing()):
            seen.append(item)
    assert seen == [1, 2]


def test_stopping_early_stops_the_reader() -> None:
    produced = []
    done = threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                produced.append(n)
                yield n
                n += 1
        finally:
            done.set()

    for item in prefetch(endless(), depth=2):
        if item == 3:
            break
    assert len(produced) <= 3 + 2 + 2
