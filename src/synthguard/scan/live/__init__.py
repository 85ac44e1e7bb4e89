"""Live storage scanning: read an Azure Storage account (containers, access levels, blobs with their
metadata and index tags), hash the blobs the catalogue could know, and report registered or tagged
synthetic data sitting in public or production containers or without a data-classification tag.

::

    from synthguard.scan.live import scan_storage
    result = scan_storage("DefaultEndpointsProtocol=https;AccountName=…", workspace=ws)
"""

from __future__ import annotations

from .checks import LIVE_CHECKS, evaluate
from .digests import DigestIndex
from .inventory import BlobItem, ContainerItem, Inventory, read_inventory, redact
from .scan import scan_storage

__all__ = ["LIVE_CHECKS", "BlobItem", "ContainerItem", "DigestIndex", "Inventory", "evaluate", "read_inventory",
           "redact", "scan_storage"]
