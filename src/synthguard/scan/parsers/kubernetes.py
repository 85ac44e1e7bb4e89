"""Kubernetes manifests (YAML, multi-document, or JSON; ``kind: List`` too) as resources.

Workloads expose their pod template as ``podSpec`` and the template's labels and annotations as
tags (with the workload's own), so one check reads a Pod, a Deployment or a CronJob alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..resources import Resource, as_map, tag_map
from .interface import DocumentParser, SourceFile


def pod_template(kind: str, spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod template (``{"metadata", "spec"}``) of a workload, or the Pod itself."""
    if kind == "CronJob":
        spec = as_map(as_map(spec.get("jobTemplate")).get("spec"))
    template = spec.get("template")
    return template if isinstance(template, Mapping) else None


class KubernetesParser(DocumentParser):
    name: ClassVar[str] = "kubernetes"

    def accepts(self, document: Any) -> bool:
        return isinstance(document, Mapping) and "apiVersion" in document and "kind" in document

    def resources(self, document: Any, source: SourceFile, line: int | None = None) -> list[Resource]:
        if document.get("kind") == "List":
            return [r for item in document.get("items") or [] if self.accepts(item)
                    for r in self.resources(item, source, line)]
        kind = str(document.get("kind"))
        meta = document.get("metadata") if isinstance(document.get("metadata"), Mapping) else {}
        spec = document.get("spec") if isinstance(document.get("spec"), Mapping) else {}
        assert isinstance(meta, Mapping) and isinstance(spec, Mapping)
        tags = {**tag_map(meta.get("annotations")), **tag_map(meta.get("labels"))}
        props: dict[str, Any] = {"spec": spec}
        if kind == "Pod":
            props["podSpec"] = spec
        else:
            template = pod_template(kind, spec)
            if template is not None:
                tmeta = as_map(template.get("metadata"))
                tags.update({**tag_map(tmeta.get("annotations")), **tag_map(tmeta.get("labels"))})
                props["podSpec"] = as_map(template.get("spec"))
        namespace = meta.get("namespace") or "default"
        name = str(meta.get("name", ""))
        return [Resource(type=f"kubernetes/{kind}", name=f"{namespace}/{name}", file=source.display, line=line,
                         properties=props, tags=tags, source_format="kubernetes", aliases=(name,))]
