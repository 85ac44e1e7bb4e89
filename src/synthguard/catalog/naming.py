"""Dataset names, ``NAME@N`` references and ``k=v`` tags: parsing and validation."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import InputError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
CLASSIFICATIONS = ("synthetic", "mixed")


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InputError(f"invalid dataset name {name!r}: use letters, digits, '.', '_' and '-' "
                         "(at most 128, starting with a letter or digit)", field="name")
    return name


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``name`` or ``name@N`` → ``(name, N or None)``."""
    name, sep, version = ref.partition("@")
    check_name(name)
    if not sep:
        return name, None
    if not version.isdigit() or int(version) < 1:
        raise InputError(f"invalid version in {ref!r}: expected NAME@N with N ≥ 1", field="version")
    return name, int(version)


def parse_tags(pairs: Iterable[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"invalid tag {pair!r}: expected k=v", field="tag")
        tags[key.strip()] = value.strip()
    return tags


def check_classification(value: str) -> str:
    if value not in CLASSIFICATIONS:
        raise InputError(f"invalid classification {value!r}: one of {', '.join(CLASSIFICATIONS)}",
                         field="classification")
    return value
