"""Data Factory checks: copy activities moving synthetic datasets into production or lower-security
sinks without recorded lineage."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from ..context import ScanContext, strings_in
from ..model import CheckInfo, Severity
from ..resources import Resource, as_list
from ..synthetic import annotations_to_tags, sink_risk, tagged_synthetic
from .interface import AI_ACT_10, AI_ACT_12, GDPR_5F, NIST_MAP_3_4, NIST_MAP_4_1, Hit, ResourceCheck

PIPELINE = "Microsoft.DataFactory/factories/pipelines"
DATASET = "Microsoft.DataFactory/factories/datasets"
LINKED = "Microsoft.DataFactory/factories/linkedservices"
LINEAGE_PROPERTIES = ("lineage", "synthguard.ref", "synthguard-ref", "provenance", "source-dataset", "openlineage")


def short_name(name: str) -> str:
    """``factory/CopySynth`` or ``[concat(parameters('factoryName'), '/CopySynth')]`` → ``CopySynth``."""
    if name.startswith("["):
        literals: list[str] = re.findall(r"'([^']*)'", name)
        if literals:
            return literals[-1].strip("/").rsplit("/", 1)[-1]
    return name.rsplit("/", 1)[-1]


def _labels(resource: Resource | None, ctx: ScanContext) -> dict[str, str]:
    """A dataset's annotations and tags, with those of its linked service."""
    if resource is None:
        return {}
    labels = {**annotations_to_tags(as_list(resource.prop("annotations"))), **resource.tags}
    linked_name = resource.prop("linkedServiceName", "referenceName")
    for linked in ctx.of_type(LINKED):
        if linked_name and short_name(linked.name) == linked_name:
            labels = {**annotations_to_tags(as_list(linked.prop("annotations"))), **linked.tags, **labels}
    return labels


def _dataset(ctx: ScanContext, reference: Any) -> Resource | None:
    name = reference.get("referenceName") if isinstance(reference, Mapping) else None
    return next((d for d in ctx.of_type(DATASET) if name and short_name(d.name) == name), None)


def _has_lineage(activity: Mapping[str, Any], pipeline: Resource) -> bool:
    for prop in as_list(activity.get("userProperties")):
        if isinstance(prop, Mapping) and str(prop.get("name", "")).lower() in LINEAGE_PROPERTIES and prop.get("value"):
            return True
    notes = annotations_to_tags(as_list(pipeline.prop("annotations")))
    return any(key.lower() in LINEAGE_PROPERTIES for key in notes)


class UntracedSyntheticCopy(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-ADF-001", severity=Severity.HIGH,
        title="Data Factory copies synthetic data to production or a lower-security sink without lineage",
        pattern="A Copy activity reads a dataset annotated synthetic (or named after a registered dataset) and "
                "writes one annotated production / prod or lower-security, and neither the activity's "
                "userProperties nor the pipeline's annotations record lineage (lineage, synthguard.ref, provenance).",
        remediation="Do not copy synthetic data into production stores; where a copy is intended, record the "
                    "SynthGuard reference (userProperties synthguard.ref = NAME@N) and gate the sink with "
                    "synthguard gate check.",
        references=(AI_ACT_10, AI_ACT_12, GDPR_5F, NIST_MAP_4_1, NIST_MAP_3_4))
    types = (PIPELINE,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[Hit]:
        for activity in as_list(resource.prop("activities")):
            if not isinstance(activity, Mapping) or str(activity.get("type", "")).lower() != "copy":
                continue
            sources = [(ref, _dataset(ctx, ref)) for ref in as_list(activity.get("inputs"))]
            sinks = [(ref, _dataset(ctx, ref)) for ref in as_list(activity.get("outputs"))]
            synthetic = None
            for ref, dataset in sources:
                if tagged_synthetic(_labels(dataset, ctx)):
                    synthetic = f"{short_name(dataset.name) if dataset else ref} is annotated synthetic"
                else:
                    texts = " ".join(strings_in([ref, dataset.properties if dataset else {}]))
                    hit = ctx.options.catalogue.mentions(texts)
                    if hit:
                        synthetic = f"it reads registered dataset {hit!r}"
                if synthetic:
                    break
            risk = next(((short_name(d.name), r) for _, d in sinks if d is not None
                         for r in [sink_risk(_labels(d, ctx))] if r), None)
            if synthetic and risk and not _has_lineage(activity, resource):
                yield Hit(f"activity {activity.get('name')} copies synthetic data ({synthetic}) to {risk[0]} "
                          f"({risk[1]}) with no lineage recorded.", key=str(activity.get("name")))
