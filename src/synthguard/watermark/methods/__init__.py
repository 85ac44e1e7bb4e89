"""Mark methods, one module each; ``method_from`` is the one place that builds them from stored params."""

from __future__ import annotations

from typing import Any

from ...errors import InputError
from .categorical import CategoricalMark
from .interface import MarkMethod, Prepared
from .numeric import NumericMark
from .text import TextMark

METHODS: dict[str, type[MarkMethod]] = {m.name: m for m in (NumericMark, CategoricalMark, TextMark)}


def method_from(name: str, params: dict[str, Any]) -> MarkMethod:
    """The method ``name`` with its stored ``params`` (as ``MarkMethod.params`` wrote them)."""
    if name == "numeric":
        return NumericMark(float(params["q"]), params.get("decimals"))
    if name == "categorical":
        return CategoricalMark(params["classes"])
    if name == "text":
        return TextMark(str(params.get("style", "whitespace")))
    raise InputError(f"unknown mark method {name!r}: one of {', '.join(METHODS)}", field="method")


__all__ = ["METHODS", "CategoricalMark", "MarkMethod", "NumericMark", "Prepared", "TextMark", "method_from"]
