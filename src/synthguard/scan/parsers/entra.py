"""Exported Entra ID (Azure AD) app registrations: Microsoft Graph ``application`` JSON.

The shape is Graph's (``GET /applications``, ``az ad app show``): ``appId``, ``displayName``,
``requiredResourceAccess[] {resourceAppId, resourceAccess[] {id, type: Role|Scope}}``; one object,
a list, or a ``{"value": [...]}`` page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..resources import Resource, tag_map
from .interface import DocumentParser, SourceFile, items_of


def _is_application(item: Mapping[str, Any]) -> bool:
    odata = str(item.get("@odata.type", "")).lower()
    return odata.endswith("microsoft.graph.application") or "requiredResourceAccess" in item or (
        "appId" in item and "signInAudience" in item)


class EntraApplicationParser(DocumentParser):
    name: ClassVar[str] = "entra-application"

    def accepts(self, document: Any) -> bool:
        items = list(items_of(document))
        return bool(items) and all(_is_application(i) for i in items)

    def resources(self, document: Any, source: SourceFile, line: int | None = None) -> list[Resource]:
        out = []
        cursor = 0
        for item in items_of(document):
            name = str(item.get("displayName") or item.get("appId") or "")
            found, cursor = source.locate("displayName", item.get("displayName"), cursor)
            tags = {str(t): "true" for t in item.get("tags") or [] if isinstance(t, str)}
            out.append(Resource(type="microsoft.graph.application", name=name, file=source.display,
                                line=found or line, properties=dict(item), tags=tag_map(tags),
                                source_format="graph", aliases=tuple(str(item[k]) for k in ("appId", "id")
                                                                     if item.get(k))))
        return out
