"""Bicep files, read with ``pycep-parser`` (the maintained Bicep parser Checkov uses) into ARM-shaped resources.

Each ``resource`` becomes what ARM would deploy: its type without the API version, its
``properties``, its tags, and a name that includes its ``parent:`` chain
(``synthdata/default/exports``). Modules and loops are not expanded.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar

from ..resources import Resource, tag_map
from .interface import ParseFailure, Parser, SourceFile


@cache
def _pycep() -> Any:
    """One parser for the whole process: building pycep's Lark grammar costs ~0.15 s each time."""
    from pycep import BicepParser as Pycep

    return Pycep(add_line_numbers=True)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


class BicepParser(Parser):
    name: ClassVar[str] = "bicep"

    def accepts(self, source: SourceFile) -> bool:
        return source.suffix == ".bicep"

    def parse(self, source: SourceFile) -> list[Resource]:
        import lark

        if not source.text.strip():
            return []
        try:
            document = _pycep().parse(text=source.text)
        except lark.exceptions.UnexpectedInput as exc:
            raise ParseFailure(f"invalid Bicep: {str(exc).splitlines()[0]}", line=exc.line) from None
        except (ValueError, lark.exceptions.LarkError) as exc:
            raise ParseFailure(f"invalid Bicep: {str(exc).splitlines()[0]}") from None
        found = document.get("resources") or {}
        if not isinstance(found, Mapping):
            return []
        declared: Mapping[str, Any] = found

        def full_name(symbol: str, depth: int = 0) -> str:
            config = declared.get(symbol, {}).get("config", {})
            own = _text(config.get("name", symbol))
            parent = config.get("parent")
            if isinstance(parent, str) and parent in declared and depth < 16:
                return f"{full_name(parent, depth + 1)}/{own}"
            return own

        out = []
        for symbol, entry in declared.items():
            if not isinstance(entry, Mapping):
                continue
            config = entry.get("config") if isinstance(entry.get("config"), Mapping) else {}
            assert isinstance(config, Mapping)
            raw_props = config.get("properties")
            props: dict[str, Any] = dict(raw_props) if isinstance(raw_props, Mapping) else {}
            for key in ("scope", "parent", "dependsOn", "kind", "sku", "location", "identity"):
                if key in config:
                    props[f"${key}"] = config[key]
            name = full_name(symbol)
            if "/" in name:
                props["$parent"] = name.rsplit("/", 1)[0]
            line = entry.get("__start_line__")
            out.append(Resource(type=str(entry.get("type", "")), name=name, file=source.display,
                                line=line if isinstance(line, int) else None, properties=props,
                                tags=tag_map(config.get("tags")), source_format="bicep", aliases=(symbol,)))
        return out
