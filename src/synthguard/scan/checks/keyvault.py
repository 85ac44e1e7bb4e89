"""Key Vault checks: purge protection, soft delete, network default action, broad access policies."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from ..context import ScanContext
from ..model import CheckInfo, Severity
from ..resources import Resource, as_bool, as_list
from .interface import AI_ACT_15, GDPR_32, NIST_GOVERN_1_6, NIST_MANAGE_2_3, NIST_MANAGE_4_1, Hit, ResourceCheck

VAULT = "Microsoft.KeyVault/vaults"
POLICIES = "Microsoft.KeyVault/vaults/accessPolicies"
_BROAD = ("all", "*", "purge")
_MANY = 10


class PurgeProtection(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-KV-001", severity=Severity.MEDIUM, title="Key Vault without purge protection",
        pattern="enablePurgeProtection is not true (Terraform: purge_protection_enabled defaults to false): a "
                "compromised identity can delete and purge the keys that encrypt (or sign) synthetic datasets.",
        remediation="Set enablePurgeProtection: true (it cannot be turned off again).",
        references=(GDPR_32, AI_ACT_15, NIST_MANAGE_4_1))
    types = (VAULT,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        if as_bool(resource.prop("enablePurgeProtection"), False) is not True:
            yield f"{resource.name} has purge protection off."


class SoftDelete(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-KV-002", severity=Severity.MEDIUM, title="Key Vault with soft delete disabled",
        pattern="enableSoftDelete is false: deleted keys and secrets are gone at once.",
        remediation="Remove enableSoftDelete: false (soft delete is on by default) and keep 90 days retention.",
        references=(GDPR_32, NIST_MANAGE_4_1))
    types = (VAULT,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        if as_bool(resource.prop("enableSoftDelete")) is False:
            yield f"{resource.name} has soft delete disabled."


class NetworkDefaultAllow(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-KV-003", severity=Severity.MEDIUM, title="Key Vault reachable from any network",
        pattern="networkAcls.defaultAction is Allow or unset (Terraform: no network_acls block) and public network "
                "access is not disabled.",
        remediation="Set networkAcls.defaultAction: Deny with bypass AzureServices, or publicNetworkAccess: "
                    "Disabled and a private endpoint.",
        references=(GDPR_32, AI_ACT_15, NIST_MANAGE_2_3))
    types = (VAULT,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        if str(resource.prop("publicNetworkAccess", default="")).lower() == "disabled":
            return
        action = resource.prop("networkAcls", "defaultAction")
        if action is None or str(action).lower() == "allow":
            yield f"{resource.name} accepts connections from any network (default action {action or 'unset'})."


def broad_grants(policy: Mapping[str, object]) -> list[str]:
    """``keys: all`` / ``secrets: purge`` … for permission sets that reach far beyond one task."""
    permissions = policy.get("permissions")
    if not isinstance(permissions, Mapping):
        return []
    out = []
    for kind in ("keys", "secrets", "certificates", "storage"):
        granted = [str(p).lower() for p in as_list(permissions.get(kind))]
        broad = [p for p in granted if p in _BROAD]
        if broad or len(set(granted)) >= _MANY:
            out.append(f"{kind}: {', '.join(broad) if broad else f'{len(set(granted))} permissions'}")
    return out


class BroadAccessPolicy(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-KV-004", severity=Severity.HIGH, title="Key Vault access policy grants broad key / secret rights",
        pattern="An access policy grants all / * or purge on keys, secrets or certificates, or ten or more "
                "permissions of one kind, to a single identity.",
        remediation="Grant each identity only what its task needs (get / unwrapKey for a service); move to "
                    "Azure RBAC (enableRbacAuthorization) with Key Vault Crypto / Secrets User roles.",
        references=(GDPR_32, NIST_GOVERN_1_6, NIST_MANAGE_2_3))
    types = (VAULT, POLICIES)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[Hit]:
        for index, policy in enumerate(as_list(resource.prop("accessPolicies"))):
            if not isinstance(policy, Mapping):
                continue
            grants = broad_grants(policy)
            if grants:
                who = policy.get("objectId") or f"policy #{index + 1}"
                yield Hit(f"{resource.name} grants {who} {'; '.join(grants)}.", key=f"{index}:{who}")
