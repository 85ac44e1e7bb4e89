"""ARM templates (JSON): every resource, nested child resources and nested deployments' templates.

Child resources declared inside a parent get the parent's type and name prefixed, as ARM itself
resolves them (``blobServices/containers`` under ``synthdata`` → ``…/blobServices/containers``
named ``synthdata/default/exports``). Symbolic-name templates (``languageVersion`` 2.0, resources
as an object) are read too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..resources import Resource, as_list, tag_map
from .interface import DocumentParser, SourceFile

_SCHEMA_MARK = "deploymenttemplate.json"


def expression_aliases(name: str) -> tuple[str, ...]:
    """``[parameters('x')]`` is referred to elsewhere as ``parameters('x')`` inside other expressions."""
    if name.startswith("[") and name.endswith("]"):
        return (name[1:-1].strip(),)
    return ()


class ArmParser(DocumentParser):
    name: ClassVar[str] = "arm"

    def accepts(self, document: Any) -> bool:
        if not isinstance(document, Mapping):
            return False
        schema = str(document.get("$schema", "")).lower()
        return _SCHEMA_MARK in schema or ("resources" in document and "contentVersion" in document)

    def resources(self, document: Any, source: SourceFile, line: int | None = None) -> list[Resource]:
        out: list[Resource] = []
        self._walk(document, source, out, parent_type="", parent_name="", cursor=0)
        return out

    def _walk(self, template: Mapping[str, Any], source: SourceFile, out: list[Resource], *, parent_type: str,
              parent_name: str, cursor: int) -> int:
        raw = template.get("resources", [])
        entries = list(raw.items()) if isinstance(raw, Mapping) else [("", r) for r in as_list(raw)]
        for symbol, entry in entries:
            if not isinstance(entry, Mapping):
                continue
            rtype = str(entry.get("type", ""))
            name = str(entry.get("name", ""))
            relative = bool(parent_type) and "." not in rtype.split("/")[0]
            full_type = f"{parent_type}/{rtype}" if relative else rtype
            full_name = f"{parent_name}/{name}" if relative else name
            line, cursor = source.locate("name", name, cursor)
            props = dict(entry.get("properties") or {}) if isinstance(entry.get("properties"), Mapping) else {}
            for key in ("scope", "dependsOn", "kind", "sku", "location", "identity"):
                if key in entry:
                    props[f"${key}"] = entry[key]
            parent = "/".join(full_name.split("/")[:-1]) if "/" in full_name else ""
            if parent:
                props["$parent"] = parent
            aliases = tuple(a for a in (symbol, *expression_aliases(name)) if a)
            out.append(Resource(type=full_type, name=full_name, file=source.display, line=line,
                                properties=props, tags=tag_map(entry.get("tags")), source_format="arm",
                                aliases=aliases))
            if entry.get("resources"):
                cursor = self._walk(entry, source, out, parent_type=full_type, parent_name=full_name, cursor=cursor)
            inner = props.get("template")
            if rtype.lower() == "microsoft.resources/deployments" and isinstance(inner, Mapping):
                cursor = self._walk(inner, source, out, parent_type="", parent_name="", cursor=cursor)
        return cursor
