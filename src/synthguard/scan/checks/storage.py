"""Storage account and container checks: public blob access, transport and at-rest encryption,
and classification of accounts that hold synthetic data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..context import CONTAINER, STORAGE, ScanContext
from ..model import CheckInfo, Severity
from ..resources import Resource, as_bool, is_expression
from ..synthetic import classified
from .interface import (
    AI_ACT_10,
    AI_ACT_15,
    GDPR_5F,
    GDPR_25,
    GDPR_32,
    NIST_GOVERN_1_6,
    NIST_MANAGE_2_3,
    NIST_MAP_4_1,
    Hit,
    ResourceCheck,
)


def _why(ctx: ScanContext, resource: Resource) -> str:
    reason = ctx.synthetic_reason(resource)
    return f" It holds synthetic data ({reason})." if reason else ""


def _escalate(ctx: ScanContext, resource: Resource, base: Severity) -> Severity:
    """Exposure of registered / tagged synthetic data is one step worse than the same setting elsewhere."""
    if not ctx.is_synthetic(resource):
        return base
    order = list(Severity)
    return order[min(order.index(base) + 1, len(order) - 1)]


class PublicBlobAccess(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-STO-001", severity=Severity.HIGH, title="Storage account allows anonymous public blob access",
        pattern="allowBlobPublicAccess is true (Terraform: allow_nested_items_to_be_public, which defaults to "
                "true), so any container can be switched to anonymous read — the 'development convenience' "
                "behind most synthetic-data leaks.",
        remediation="Set allowBlobPublicAccess: false (Terraform: allow_nested_items_to_be_public = false) and "
                    "share data through private endpoints or short-lived user-delegation SAS.",
        references=(GDPR_32, GDPR_5F, GDPR_25, AI_ACT_10, NIST_MANAGE_2_3))
    types = (STORAGE,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[Hit]:
        if as_bool(resource.prop("allowBlobPublicAccess")) is True:
            yield Hit(f"{resource.name} allows anonymous public read access to blobs.{_why(ctx, resource)}",
                      severity=_escalate(ctx, resource, self.info.severity))


class PublicContainer(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-STO-002", severity=Severity.HIGH, title="Blob container is publicly readable",
        pattern="A container's publicAccess is Blob or Container (Terraform: container_access_type blob / "
                "container): anyone with the URL reads (and for Container, lists) its blobs.",
        remediation="Set publicAccess: None (Terraform: container_access_type = \"private\"); disallow public "
                    "access on the account as well.",
        references=(GDPR_32, GDPR_5F, AI_ACT_10, NIST_MANAGE_2_3))
    types = (CONTAINER,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[Hit]:
        access = str(resource.prop("publicAccess", default="None"))
        if access.lower() in ("blob", "container"):
            yield Hit(f"container {resource.name} has public access level {access}.{_why(ctx, resource)}",
                      severity=_escalate(ctx, resource, self.info.severity))


class MinimumTls(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-STO-003", severity=Severity.MEDIUM, title="Storage account accepts TLS older than 1.2",
        pattern="minimumTlsVersion is TLS1_0 / TLS1_1, or unset in an ARM / Bicep template (older API versions "
                "then accept TLS 1.0).",
        remediation="Set minimumTlsVersion: TLS1_2 (Terraform: min_tls_version = \"TLS1_2\").",
        references=(GDPR_32, AI_ACT_15, NIST_MANAGE_2_3))
    types = (STORAGE,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        value = resource.prop("minimumTlsVersion")
        if is_expression(value):
            return
        if value is None and resource.source_format in ("arm", "bicep"):
            yield f"{resource.name} does not set minimumTlsVersion."
        elif value is not None and str(value).upper() in ("TLS1_0", "TLS1_1"):
            yield f"{resource.name} accepts {value}."


class HttpsOnly(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-STO-004", severity=Severity.HIGH, title="Storage account accepts plain HTTP",
        pattern="supportsHttpsTrafficOnly is false (Terraform: https_traffic_only_enabled / "
                "enable_https_traffic_only = false): data and SAS tokens travel unencrypted.",
        remediation="Set supportsHttpsTrafficOnly: true (Terraform: https_traffic_only_enabled = true).",
        references=(GDPR_32, GDPR_5F, AI_ACT_15, NIST_MANAGE_2_3))
    types = (STORAGE,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        if as_bool(resource.prop("supportsHttpsTrafficOnly")) is False:
            yield f"{resource.name} accepts unencrypted HTTP requests."


class InfrastructureEncryption(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-STO-005", severity=Severity.MEDIUM,
        title="Storage holding synthetic data lacks infrastructure (double) encryption",
        pattern="A storage account that holds synthetic data (tags, container metadata or a registered dataset) "
                "does not set encryption.requireInfrastructureEncryption (Terraform: "
                "infrastructure_encryption_enabled).",
        remediation="Create the account with requireInfrastructureEncryption: true (it cannot be changed later; "
                    "migrate the data to a new account).",
        references=(GDPR_32, AI_ACT_15, NIST_MANAGE_2_3))
    types = (STORAGE,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        if ctx.is_synthetic(resource) and as_bool(
                resource.prop("encryption", "requireInfrastructureEncryption")) is not True:
            yield f"{resource.name} has no infrastructure encryption.{_why(ctx, resource)}"


class CustomerManagedKey(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-STO-006", severity=Severity.MEDIUM,
        title="Storage holding synthetic data is not encrypted with a customer-managed key",
        pattern="A storage account that holds synthetic data uses Microsoft-managed keys (encryption.keySource "
                "is not Microsoft.Keyvault and no customer-managed key resource targets it).",
        remediation="Encrypt with a Key Vault key (encryption.keySource: Microsoft.Keyvault; Terraform: a "
                    "customer_managed_key block or azurerm_storage_account_customer_managed_key), so access can be "
                    "revoked by disabling the key.",
        references=(GDPR_32, AI_ACT_10, NIST_GOVERN_1_6))
    types = (STORAGE,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        if not ctx.is_synthetic(resource):
            return
        source = str(resource.prop("encryption", "keySource", default="Microsoft.Storage"))
        if source.lower() == "microsoft.keyvault" or is_expression(source):
            return
        if any(ctx.refers(cmk, resource, "$parent")
               for cmk in ctx.of_type("Microsoft.Storage/storageAccounts/customerManagedKey")):
            return
        yield f"{resource.name} uses Microsoft-managed keys.{_why(ctx, resource)}"


class ClassificationTag(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-STO-007", severity=Severity.MEDIUM,
        title="Storage holding synthetic data has no data-classification tag",
        pattern="A storage account is known to hold synthetic data (a synthetic tag, container metadata or a "
                "registered dataset) but carries no data-classification tag, so policies, DLP and egress rules "
                "keyed on classification miss it.",
        remediation="Tag the account data-classification: synthetic (and keep synthetic: true on containers).",
        references=(AI_ACT_10, GDPR_5F, NIST_MAP_4_1, NIST_GOVERN_1_6))
    types = (STORAGE,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        if ctx.is_synthetic(resource) and not classified(resource.tags):
            yield f"{resource.name} has no data-classification tag.{_why(ctx, resource)}"
