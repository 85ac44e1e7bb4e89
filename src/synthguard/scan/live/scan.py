"""``scan_storage``: inventory an account, match it against the catalogue and run the live checks."""

from __future__ import annotations

import time

from ..model import Finding, Note, ScanResult
from .checks import LIVE_CHECKS, evaluate
from .digests import DigestIndex
from .inventory import read_inventory, redact


def scan_storage(target: str, *, workspace: object = None, digests: DigestIndex | None = None,
                 timeout: float = 30.0) -> ScanResult:
    """Scan the storage account ``target`` (connection string, or account URL with or without a SAS).

    The catalogue comes from ``workspace`` (or ``digests``); without either, only blobs tagged
    synthetic are recognised. Only blobs of a registered file's size are downloaded and hashed.
    """
    started = time.perf_counter()
    index = digests or (DigestIndex.from_workspace(workspace) if workspace is not None else DigestIndex())
    inventory = read_inventory(target, worth_hashing=index.worth_hashing, timeout=timeout)
    findings = sorted(evaluate(inventory, index), key=Finding.sort_key)
    notes = [Note(text, inventory.account_url, kind="storage") for text in inventory.notes]
    blobs = sum(len(c.blobs) for c in inventory.containers)
    return ScanResult(findings=tuple(findings), notes=tuple(notes), files_scanned=0,
                      resources=len(inventory.containers) + blobs, seconds=time.perf_counter() - started,
                      checks=LIVE_CHECKS, targets=(redact(target),))
