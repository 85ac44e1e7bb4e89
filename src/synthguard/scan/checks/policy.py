"""Azure Policy checks: storage holding synthetic data with no policy assignment that enforces
public-access or encryption settings (built-in definitions or SynthGuard's exported ones)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..context import STORAGE, ScanContext
from ..model import CheckInfo, Severity
from ..resources import Resource
from .interface import AI_ACT_10, GDPR_25, GDPR_32, NIST_GOVERN_1_6, NIST_MANAGE_2_3, ResourceCheck

ASSIGNMENT = "Microsoft.Authorization/policyAssignments"
#: Built-in definitions (by GUID) that enforce each concern.
PUBLIC_ACCESS = {
    "4fa4b6c0-31ca-4c0d-b10d-24b96f62a751": "Storage account public access should be disallowed",
    "b2982f36-99f2-4db5-8eff-283140c09693": "Storage accounts should disable public network access",
    "34c877ad-507e-4c82-993e-3452a6e0ad3c": "Storage accounts should restrict network access",
}
ENCRYPTION = {
    "404c3081-a854-4457-ae30-26a93ef643f9": "Secure transfer to storage accounts should be enabled",
    "fe83a0eb-a853-422d-aac2-1bffd182c5d0": "Storage accounts should have the specified minimum TLS version",
    "6fac406b-40ca-413b-bf8e-0bf964659c25": "Storage accounts should use customer-managed key for encryption",
    "4733ea7b-a883-42fe-8cac-97454c2a9e4a": "Storage accounts should have infrastructure encryption",
}


def enforced(ctx: ScanContext, builtins: dict[str, str], words: tuple[str, ...]) -> bool:
    """Is any enforcing assignment of one of ``builtins``, or of a SynthGuard definition / initiative
    whose id mentions one of ``words`` (or is the SynthGuard initiative), in the scanned tree?"""
    for assignment in ctx.of_type(ASSIGNMENT):
        if str(assignment.prop("enforcementMode", default="Default")).lower() == "donotenforce":
            continue
        definition = str(assignment.prop("policyDefinitionId", default="")).lower()
        if any(guid in definition for guid in builtins):
            return True
        if "synthguard" in definition and ("policysetdefinitions" in definition or any(w in definition
                                                                                        for w in words)):
            return True
    return False


class NoPublicAccessPolicy(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-POL-001", severity=Severity.MEDIUM,
        title="No Azure Policy assignment keeps synthetic-data storage private",
        pattern="The scanned tree deploys storage holding synthetic data but assigns no policy that audits or "
                "denies public blob / network access (built-in 4fa4b6c0-…, b2982f36-…, 34c877ad-… or SynthGuard's "
                "exported definitions): one portal click can undo the template.",
        remediation="Assign 'Storage account public access should be disallowed' (Deny) at the subscription or "
                    "resource group, or the SynthGuard initiative from synthguard policy export.",
        references=(GDPR_25, GDPR_32, AI_ACT_10, NIST_GOVERN_1_6))
    types = (STORAGE,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        if ctx.is_synthetic(resource) and not enforced(ctx, PUBLIC_ACCESS, ("public",)):
            yield f"no policy assignment enforces private access for {resource.name}."


class NoEncryptionPolicy(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-POL-002", severity=Severity.MEDIUM,
        title="No Azure Policy assignment enforces encryption on synthetic-data storage",
        pattern="The scanned tree deploys storage holding synthetic data but assigns no policy enforcing secure "
                "transfer, minimum TLS, customer-managed keys or infrastructure encryption (built-in 404c3081-…, "
                "fe83a0eb-…, 6fac406b-…, 4733ea7b-… or SynthGuard's exported definitions).",
        remediation="Assign the built-in encryption policies (Audit or Deny), or the SynthGuard initiative.",
        references=(GDPR_32, AI_ACT_10, NIST_MANAGE_2_3))
    types = (STORAGE,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        if ctx.is_synthetic(resource) and not enforced(ctx, ENCRYPTION, ("encrypt", "tls", "https", "cmk")):
            yield f"no policy assignment enforces encryption for {resource.name}."
