"""The live-storage checks: synthetic data (a blob whose SHA-256 is a registered file, or one tagged
synthetic) in a publicly readable container, in a production container or account, or without a
data-classification tag. One pass over the inventory; findings carry the blob's URL as their location."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..checks.interface import AI_ACT_10, GDPR_5F, GDPR_25, GDPR_32, NIST_GOVERN_1_6, NIST_MANAGE_2_3, NIST_MAP_4_1
from ..model import CheckInfo, Finding, Severity
from ..synthetic import classified, sink_risk, tagged_synthetic
from .digests import DigestIndex
from .inventory import BlobItem, ContainerItem, Inventory

PUBLIC = CheckInfo(
    id="SG-LIVE-001", severity=Severity.CRITICAL, title="Synthetic data in a publicly readable container",
    pattern="A blob whose SHA-256 equals a registered synthetic file (or that is tagged synthetic) lies in a "
            "container with public access level Blob or Container: anyone with the URL downloads it.",
    remediation="Set the container's public access level to private (az storage container set-permission "
                "--public-access off), disallow blob public access on the account, and share through "
                "short-lived user-delegation SAS or synthguard release.",
    references=(GDPR_32, GDPR_5F, GDPR_25, AI_ACT_10, NIST_MANAGE_2_3))
PRODUCTION = CheckInfo(
    id="SG-LIVE-002", severity=Severity.HIGH, title="Synthetic data in a production container or account",
    pattern="A registered or tagged synthetic blob lies in a container or account named or tagged production "
            "(prod, production, prd, live): synthetic rows can be read as real ones by production systems.",
    remediation="Move the blob to a non-production account, or gate production ingest with synthguard gate; "
                "record the copy's lineage if it is intended.",
    references=(GDPR_5F, AI_ACT_10, NIST_MAP_4_1, NIST_MANAGE_2_3))
UNCLASSIFIED = CheckInfo(
    id="SG-LIVE-003", severity=Severity.MEDIUM, title="Synthetic blob without a data-classification tag",
    pattern="A registered synthetic blob has no data-classification index tag or metadata, and neither has "
            "its container, so DLP, egress rules and Azure Policy keyed on classification miss it.",
    remediation="Set an index tag data-classification=synthetic on the blob (az storage blob tag set) or "
                "metadata data_classification=synthetic on the container.",
    references=(GDPR_32, AI_ACT_10, NIST_GOVERN_1_6))

LIVE_CHECKS: tuple[CheckInfo, ...] = (PUBLIC, PRODUCTION, UNCLASSIFIED)
_PROD_TOKENS = ("prod", "production", "prd", "live")


def _named_production(name: str) -> bool:
    """Account names have no separators (stshopprod), container names do (exports-prod)."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", name.lower()) if t]
    return any(t in _PROD_TOKENS or t.endswith("prod") or t.startswith("prod") for t in tokens)


def _production(inventory: Inventory, container: ContainerItem, labels: Mapping[str, str]) -> str | None:
    if _named_production(inventory.account):
        return f"account {inventory.account} is named production"
    if _named_production(container.name):
        return f"container {container.name} is named production"
    if sink_risk(labels) == "production":
        return "it is tagged production"
    return None


def _labels(container: ContainerItem, blob: BlobItem) -> dict[str, str]:
    """Container metadata, then blob metadata, then index tags: the most specific wins."""
    return {**container.metadata, **blob.metadata, **blob.tags}


def evaluate(inventory: Inventory, index: DigestIndex) -> Iterator[Finding]:
    for container in inventory.containers:
        for blob in container.blobs:
            refs = index.lookup(blob.sha256) if blob.sha256 else ()
            labels = _labels(container, blob)
            if not refs and not tagged_synthetic(labels):
                continue
            what = f"registered synthetic data {', '.join(refs)}" if refs else "data tagged synthetic"
            where = f"blob {blob.name} in container {container.name} of account {inventory.account}"
            at: dict[str, Any] = {"file": blob.url, "resource": f"{inventory.account}/{container.name}/{blob.name}",
                                  "key": ",".join(refs)}
            if container.public_access in ("blob", "container"):
                yield Finding.of(PUBLIC, f"{where} holds {what} and the container's public access level is "
                                         f"{container.public_access}.", **at)
            reason = _production(inventory, container, labels)
            if reason:
                yield Finding.of(PRODUCTION, f"{where} holds {what} and {reason}.", **at)
            if refs and not classified(labels):
                yield Finding.of(UNCLASSIFIED, f"{where} holds {what} but carries no data-classification tag "
                                               "(index tag or metadata, on the blob or its container).", **at)
