"""Azure Machine Learning checks: workspaces and datastores that reach storage holding synthetic
data with public network access, or without governance tags."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..context import CONTAINER, STORAGE, ScanContext
from ..model import CheckInfo, Severity
from ..resources import Resource, as_map
from ..synthetic import classified, tagged_synthetic
from .interface import AI_ACT_10, AI_ACT_15, GDPR_32, NIST_GOVERN_1_6, NIST_MANAGE_2_3, NIST_MAP_4_1, ResourceCheck

WORKSPACE = "Microsoft.MachineLearningServices/workspaces"
DATASTORE = "Microsoft.MachineLearningServices/workspaces/datastores"
GOVERNANCE_TAGS = ("data-classification", "owner")


def reaches_synthetic(resource: Resource, ctx: ScanContext) -> str | None:
    """The synthetic storage the ML resource points at (or "tagged synthetic"), or None."""
    if tagged_synthetic(resource.tags):
        return "it is tagged synthetic"
    keys = [k for k in resource.properties if k != "$parent"]
    target = ctx.resolve([resource.properties[k] for k in keys], STORAGE, CONTAINER, near=resource)
    if target is not None and ctx.is_synthetic(target):
        return f"it uses {target.name}, which holds synthetic data"
    return None


class PublicMlWorkspace(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-ML-001", severity=Severity.HIGH,
        title="ML workspace on synthetic-data storage is reachable from public networks",
        pattern="An Azure Machine Learning workspace whose storage account holds synthetic data (or that is tagged "
                "synthetic) has publicNetworkAccess Enabled (the default; Terraform: "
                "public_network_access_enabled defaults to true).",
        remediation="Set publicNetworkAccess: Disabled and use a managed virtual network with private endpoints.",
        references=(GDPR_32, AI_ACT_15, NIST_MANAGE_2_3))
    types = (WORKSPACE,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        why = reaches_synthetic(resource, ctx)
        access = str(resource.prop("publicNetworkAccess", default="Enabled"))
        if why and access.lower() != "disabled":
            yield f"workspace {resource.name} allows public network access ({why})."


class UngovernedMlResource(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-ML-002", severity=Severity.MEDIUM,
        title="ML workspace or datastore on synthetic data lacks governance tags",
        pattern="An Azure Machine Learning workspace or datastore that reaches synthetic-data storage has no "
                "data-classification or no owner tag, so training data provenance cannot be traced.",
        remediation="Tag it data-classification: synthetic and owner: <team mailbox>; register the dataset "
                    "in SynthGuard and reference NAME@N in the datastore description.",
        references=(AI_ACT_10, NIST_MAP_4_1, NIST_GOVERN_1_6))
    types = (WORKSPACE, DATASTORE)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        why = reaches_synthetic(resource, ctx)
        if not why:
            return
        tags = {**resource.tags, **{str(k): str(v) for k, v in as_map(resource.prop("tags")).items()}}
        missing = [t for t in GOVERNANCE_TAGS
                   if not (classified(tags) if t == "data-classification" else tags.get(t))]
        if missing:
            yield f"{resource.name} reaches synthetic data ({why}) but has no {' / '.join(missing)} tag."
