"""Terraform: HCL files (``python-hcl2``) and ``terraform show -json`` plans / state.

Both give ``(type, name, attributes)`` triples that ``azurerm.translate`` maps onto ARM-shaped
resources. ``python-hcl2`` keeps no line numbers in its output, so a resource's line is found
again from its ``resource "type" "name"`` header. Variables, locals and modules are not evaluated:
an attribute set from ``var.x`` is unknown (``${var.x}``) and checks treat it as unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from ..resources import Resource, as_map, tag_map
from .azurerm import translate
from .interface import DocumentParser, ParseFailure, Parser, SourceFile


def _clean(value: Any) -> Any:
    """Drop python-hcl2's ``__is_block__`` / ``__comments__`` markers."""
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith("__"))}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _resource(tf_type: str, name: str, attrs: Mapping[str, Any], source: SourceFile, line: int | None,
              fmt: str, address: str | None = None) -> Resource:
    arm_type, props = translate(tf_type, attrs)
    address = address or f"{tf_type}.{name}"
    literal = attrs.get("name")
    aliases = (literal,) if isinstance(literal, str) and "${" not in literal else ()
    return Resource(type=arm_type, name=address, file=source.display, line=line, properties=props,
                    tags=tag_map(attrs.get("tags")), source_format=fmt, aliases=aliases)


class TerraformHclParser(Parser):
    name: ClassVar[str] = "terraform"

    def accepts(self, source: SourceFile) -> bool:
        return source.suffix == ".tf"

    def parse(self, source: SourceFile) -> list[Resource]:
        import hcl2
        import lark

        options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
        try:
            document = hcl2.loads(source.text, serialization_options=options)
        except lark.exceptions.UnexpectedInput as exc:
            raise ParseFailure(f"invalid HCL: {str(exc).splitlines()[0]}", line=exc.line) from None
        except Exception as exc:  # python-hcl2 raises assorted types on malformed input
            raise ParseFailure(f"invalid HCL: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                               ) from None
        out = []
        for tf_type, name, attrs in self._blocks(document):
            header = re.search(rf'^[ \t]*resource\s+"?{re.escape(tf_type)}"?\s+"?{re.escape(name)}"?\s*\{{',
                               source.text, re.MULTILINE)
            line = source.line_at(header.start()) if header else None
            out.append(_resource(tf_type, name, attrs, source, line, "terraform"))
        return out

    @staticmethod
    def _blocks(document: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
        for group in document.get("resource", []) or []:
            if not isinstance(group, Mapping):
                continue
            for tf_type, named in group.items():
                if not isinstance(named, Mapping):
                    continue
                for name, attrs in named.items():
                    if isinstance(attrs, Mapping):
                        yield str(tf_type), str(name), _clean(attrs)


class TerraformPlanParser(DocumentParser):
    """``terraform show -json`` output: ``planned_values`` of a plan, or ``values`` of a state."""

    name: ClassVar[str] = "terraform-plan"

    def accepts(self, document: Any) -> bool:
        return isinstance(document, Mapping) and "format_version" in document and (
            "planned_values" in document or "values" in document or "terraform_version" in document)

    def resources(self, document: Any, source: SourceFile, line: int | None = None) -> list[Resource]:
        root = as_map(as_map(document.get("planned_values") or document.get("values")).get("root_module"))
        out: list[Resource] = []
        cursor = 0
        for entry in self._walk(root):
            if entry.get("mode", "managed") != "managed":
                continue
            address = str(entry.get("address", f"{entry.get('type')}.{entry.get('name')}"))
            found, cursor = source.locate("address", address, cursor)
            out.append(_resource(str(entry.get("type", "")), str(entry.get("name", "")),
                                 as_map(entry.get("values")), source, found, "terraform-plan", address))
        return out

    def _walk(self, module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        for entry in module.get("resources", []) or []:
            if isinstance(entry, Mapping):
                yield entry
        for child in module.get("child_modules", []) or []:
            if isinstance(child, Mapping):
                yield from self._walk(child)
