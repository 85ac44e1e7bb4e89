"""Azure Data Factory JSON as exported from the studio or Git integration: pipelines, datasets and
linked services (``{"name", "properties": {...}}``, one per file, as ADF's Git layout stores them).

They are ARM resources without the ``type``; this parser adds it, so the Data Factory checks read
an ADF export and an ARM ``ARMTemplateForFactory.json`` alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..resources import Resource, tag_map
from .interface import DocumentParser, SourceFile, items_of


def adf_type(item: Mapping[str, Any]) -> str | None:
    props = item.get("properties")
    if not isinstance(props, Mapping) or "name" not in item:
        return None
    if "activities" in props:
        return "Microsoft.DataFactory/factories/pipelines"
    if "linkedServiceName" in props and "type" in props:
        return "Microsoft.DataFactory/factories/datasets"
    if "typeProperties" in props and "type" in props:
        return "Microsoft.DataFactory/factories/linkedservices"
    return None


class DataFactoryParser(DocumentParser):
    name: ClassVar[str] = "adf"

    def accepts(self, document: Any) -> bool:
        items = list(items_of(document))
        return bool(items) and all(adf_type(i) for i in items)

    def resources(self, document: Any, source: SourceFile, line: int | None = None) -> list[Resource]:
        out = []
        cursor = 0
        for item in items_of(document):
            rtype = adf_type(item)
            assert rtype is not None
            found, cursor = source.locate("name", item.get("name"), cursor)
            props = dict(item["properties"])
            out.append(Resource(type=rtype, name=str(item["name"]), file=source.display, line=found or line,
                                properties=props, tags=tag_map(props.get("tags")), source_format="adf"))
        return out
