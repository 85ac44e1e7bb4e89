"""Network security group checks: inbound rules open to any source on any port or on data ports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from ..context import ScanContext
from ..model import CheckInfo, Severity
from ..resources import Resource, as_list
from .interface import AI_ACT_15, GDPR_32, NIST_MANAGE_2_3, Hit, ResourceCheck

NSG = "Microsoft.Network/networkSecurityGroups"
RULE = "Microsoft.Network/networkSecurityGroups/securityRules"
_ANY_SOURCE = ("*", "internet", "any", "0.0.0.0/0", "::/0", "0.0.0.0")
#: Ports of the data repositories synthetic data lives in: SMB / NFS (Azure Files), SQL Server, MySQL,
#: PostgreSQL, Redis, Elasticsearch, MongoDB / Cosmos DB Mongo API, HDFS / Spark.
DATA_PORTS = {445: "SMB", 2049: "NFS", 1433: "SQL Server", 3306: "MySQL", 5432: "PostgreSQL", 6379: "Redis",
              6380: "Redis TLS", 9200: "Elasticsearch", 27017: "MongoDB", 10255: "Cosmos DB (Mongo)",
              8020: "HDFS", 9000: "HDFS"}


def rules_of(resource: Resource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(rule name, rule properties)`` of an NSG (inline rules) or of a standalone rule resource."""
    if resource.type.lower() == RULE.lower():
        yield resource.name, resource.properties
        return
    for index, rule in enumerate(as_list(resource.prop("securityRules"))):
        if isinstance(rule, Mapping):
            props = rule.get("properties") if isinstance(rule.get("properties"), Mapping) else rule
            assert isinstance(props, Mapping)
            yield str(rule.get("name") or f"rule {index + 1}"), props


def open_inbound(props: Mapping[str, Any]) -> bool:
    if str(props.get("direction", "")).lower() != "inbound" or str(props.get("access", "")).lower() != "allow":
        return False
    sources = [props.get("sourceAddressPrefix"), *as_list(props.get("sourceAddressPrefixes"))]
    return any(str(s).strip().lower() in _ANY_SOURCE for s in sources if s is not None)


def port_ranges(props: Mapping[str, Any]) -> list[tuple[int, int]]:
    out = []
    for value in [props.get("destinationPortRange"), *as_list(props.get("destinationPortRanges"))]:
        if value is None:
            continue
        text = str(value).strip()
        if text in ("*", "any", "Any"):
            out.append((0, 65535))
            continue
        low, _, high = text.partition("-")
        try:
            out.append((int(low), int(high or low)))
        except ValueError:
            continue
    return out


class OpenToAnyPort(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-NET-001", severity=Severity.CRITICAL, title="NSG allows inbound traffic from anywhere on any port",
        pattern="An inbound Allow rule has source * / Internet / 0.0.0.0/0 and destination port * (or 0-65535).",
        remediation="Restrict the source to known ranges or service tags and the ports to what the service "
                    "needs; reach data stores through private endpoints.",
        references=(GDPR_32, AI_ACT_15, NIST_MANAGE_2_3))
    types = (NSG, RULE)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[Hit]:
        for name, props in rules_of(resource):
            if open_inbound(props) and (0, 65535) in port_ranges(props):
                yield Hit(f"rule {name} allows any source on every port.", key=name)


class OpenToDataPorts(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-NET-002", severity=Severity.HIGH, title="NSG exposes data-store ports to any source",
        pattern="An inbound Allow rule from any source covers a storage or database port (SMB 445, NFS 2049, "
                "SQL 1433, MySQL 3306, PostgreSQL 5432, Redis, Elasticsearch, MongoDB, HDFS).",
        remediation="Remove the rule or restrict its source; keep data repositories on private endpoints.",
        references=(GDPR_32, NIST_MANAGE_2_3))
    types = (NSG, RULE)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[Hit]:
        for name, props in rules_of(resource):
            ranges = port_ranges(props)
            if not open_inbound(props) or (0, 65535) in ranges:
                continue  # SG-NET-001 reports the all-ports case
            hits = sorted({f"{port} ({label})" for port, label in DATA_PORTS.items()
                           for low, high in ranges if low <= port <= high})
            if hits:
                yield Hit(f"rule {name} allows any source to {', '.join(hits)}.", key=name)
