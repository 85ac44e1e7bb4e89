"""Microsoft Sentinel scheduled analytics rules (KQL over ``StorageBlobLogs``) for synthetic-data
egress, in the YAML layout of the Azure-Sentinel repository's Detections, so they import with the
Sentinel repositories feature or ``az sentinel alert-rule create``.

The synthetic containers are a KQL ``let`` list filled at export time (from ``--container`` or the
default name patterns); known networks likewise.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_NAMESPACE = uuid.UUID("5b0c2b9e-3f43-4c57-9b1e-7f6a52d2f1a0")


@dataclass(frozen=True)
class SentinelRule:
    slug: str
    name: str
    description: str
    severity: str
    tactics: tuple[str, ...]
    techniques: tuple[str, ...]
    #: KQL after the shared ``let`` lines.
    body: str
    frequency: str = "1h"
    period: str = "1h"


_CONTAINER = ('extend Container = tostring(split(ObjectKey, "/")[2]), '
              'CallerIp = tostring(split(CallerIpAddress, ":")[0])')
_SYNTHETIC = "where Container in~ (SyntheticContainers) or Container matches regex SyntheticPattern"

RULES: tuple[SentinelRule, ...] = (
    SentinelRule(
        "synthetic-egress", "SynthGuard - large egress from a synthetic-data container",
        "More bytes were read from a container holding synthetic data by one caller within an hour than the "
        "threshold: a bulk copy of a synthetic dataset out of its storage.", "Medium",
        ("Exfiltration",), ("T1537", "T1530"),
        f"StorageBlobLogs\n| where OperationName in (\"GetBlob\", \"CopyBlob\") and StatusCode between (200 .. 299)\n"
        f"| {_CONTAINER}\n| {_SYNTHETIC}\n"
        "| summarize Bytes = sum(ResponseBodySize), Blobs = dcount(ObjectKey), StartTime = min(TimeGenerated), "
        "EndTime = max(TimeGenerated) by _ResourceId, AccountName, Container, CallerIp, AuthenticationType, "
        "RequesterObjectId\n| where Bytes > EgressBytesThreshold"),
    SentinelRule(
        "synthetic-anonymous-read", "SynthGuard - anonymous read of synthetic data",
        "A blob in a container holding synthetic data was read without authentication: the container is "
        "publicly readable (SG-STO-002 / SG-LIVE-001) and someone used it.", "High",
        ("Collection", "Exfiltration"), ("T1530",),
        f"StorageBlobLogs\n| where AuthenticationType =~ \"Anonymous\" and StatusCode between (200 .. 299)\n"
        f"| {_CONTAINER}\n| {_SYNTHETIC}\n"
        "| summarize Requests = count(), Bytes = sum(ResponseBodySize), StartTime = min(TimeGenerated), "
        "EndTime = max(TimeGenerated) by _ResourceId, AccountName, Container, CallerIp, UserAgentHeader"),
    SentinelRule(
        "synthetic-sas-unknown-ip", "SynthGuard - SAS access to synthetic data from an unknown network",
        "A SAS token was used on a container holding synthetic data from an address outside the known "
        "networks: a leaked or over-shared token (SG-SAS-005 / SG-SAS-007).", "Medium",
        ("InitialAccess", "Exfiltration"), ("T1078", "T1530"),
        f"StorageBlobLogs\n| where AuthenticationType =~ \"SAS\" and StatusCode between (200 .. 299)\n"
        f"| {_CONTAINER}\n| {_SYNTHETIC}\n"
        "| where not(ipv4_is_in_any_range(CallerIp, KnownNetworks))\n"
        "| summarize Requests = count(), Operations = make_set(OperationName, 20), StartTime = min(TimeGenerated), "
        "EndTime = max(TimeGenerated) by _ResourceId, AccountName, Container, CallerIp"),
)


def _kql_list(values: Sequence[str]) -> str:
    return "dynamic([" + ", ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "])"


def rule_document(rule: SentinelRule, *, containers: Sequence[str], known_networks: Sequence[str],
                  egress_bytes: int) -> dict[str, Any]:
    """One rule as the Azure-Sentinel Detections YAML layout has it (a stable id per rule slug)."""
    lets = [f"let SyntheticContainers = {_kql_list(containers)};",
            'let SyntheticPattern = @"(^|-)synth(etic)?(-|$)";',
            f"let KnownNetworks = {_kql_list(known_networks)};",
            f"let EgressBytesThreshold = {egress_bytes};"]
    query = "\n".join(lets) + "\n" + rule.body + "\n"
    entities = [{"entityType": "IP", "fieldMappings": [{"identifier": "Address", "columnName": "CallerIp"}]},
                {"entityType": "AzureResource",
                 "fieldMappings": [{"identifier": "ResourceId", "columnName": "_ResourceId"}]}]
    return {
        "id": str(uuid.uuid5(_NAMESPACE, rule.slug)), "name": rule.name, "description": rule.description,
        "severity": rule.severity, "status": "Available",
        "requiredDataConnectors": [{"connectorId": "AzureStorageAccount", "dataTypes": ["StorageBlobLogs"]}],
        "queryFrequency": rule.frequency, "queryPeriod": rule.period, "triggerOperator": "gt",
        "triggerThreshold": 0, "tactics": list(rule.tactics), "relevantTechniques": list(rule.techniques),
        "query": query, "entityMappings": entities, "version": "1.0.0", "kind": "Scheduled",
    }
