"""Monitoring checks: key vaults and storage holding synthetic data without diagnostic settings,
so reads, SAS use and egress leave no log to alert on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..context import STORAGE, ScanContext
from ..model import CheckInfo, Severity
from ..resources import Resource
from .interface import AI_ACT_12, GDPR_32, NIST_MANAGE_4_1, NIST_MEASURE_2_7, ResourceCheck
from .keyvault import VAULT


def diagnostic_settings(ctx: ScanContext) -> list[Resource]:
    return [r for r in ctx.resources if r.type.lower().endswith("diagnosticsettings")]


class MissingDiagnostics(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-MON-001", severity=Severity.MEDIUM, title="No diagnostic settings on a key vault or synthetic-data "
                                                         "storage",
        pattern="No Microsoft.Insights/diagnosticSettings (Terraform: azurerm_monitor_diagnostic_setting) in the "
                "scanned tree targets the key vault, or the storage account holding synthetic data (or its blob "
                "service).",
        remediation="Send StorageRead / StorageWrite / AuditEvent logs to Log Analytics and alert on egress "
                    "(synthguard policy export writes a KQL rule pack).",
        references=(AI_ACT_12, GDPR_32, NIST_MEASURE_2_7, NIST_MANAGE_4_1))
    types = (STORAGE, VAULT)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        if resource.type.lower() == STORAGE.lower() and not ctx.is_synthetic(resource):
            return
        for setting in diagnostic_settings(ctx):
            if ctx.refers(setting, resource, "$scope", "$parent") or ctx.mentions(setting.name, resource):
                return
        yield f"{resource.name} has no diagnostic settings: access to it is not logged."
