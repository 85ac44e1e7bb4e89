"""Exported conditional-access policies: Microsoft Graph ``conditionalAccessPolicy`` JSON.

Shape (``GET /identity/conditionalAccess/policies``): ``displayName``, ``state``
(enabled / disabled / enabledForReportingButNotEnforced), ``conditions`` with ``users``,
``applications`` and ``clientApplications {includeServicePrincipals, excludeServicePrincipals}``,
``grantControls``; one object, a list, or a ``{"value": [...]}`` page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..resources import Resource
from .interface import DocumentParser, SourceFile, items_of


def _is_policy(item: Mapping[str, Any]) -> bool:
    odata = str(item.get("@odata.type", "")).lower()
    return odata.endswith("conditionalaccesspolicy") or (
        isinstance(item.get("conditions"), Mapping) and ("grantControls" in item or "sessionControls" in item))


class ConditionalAccessParser(DocumentParser):
    name: ClassVar[str] = "conditional-access"

    def accepts(self, document: Any) -> bool:
        items = list(items_of(document))
        return bool(items) and all(_is_policy(i) for i in items)

    def resources(self, document: Any, source: SourceFile, line: int | None = None) -> list[Resource]:
        out = []
        cursor = 0
        for item in items_of(document):
            found, cursor = source.locate("displayName", item.get("displayName"), cursor)
            out.append(Resource(type="microsoft.graph.conditionalAccessPolicy",
                                name=str(item.get("displayName") or item.get("id") or ""), file=source.display,
                                line=found or line, properties=dict(item), source_format="graph",
                                aliases=(str(item["id"]),) if item.get("id") else ()))
        return out
