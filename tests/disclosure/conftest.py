"""Fixtures for the disclosure tests: a storefront on a loopback port, shared by a test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from disclosure.storefront import Storefront, serving


@pytest.fixture(scope="module")
def storefront() -> Iterator[Storefront]:
    site = Storefront()
    with serving(site) as base:
        site.base = base
        yield site
