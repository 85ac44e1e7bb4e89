"""Read one storage account with azure-storage-blob: containers with their public access level and
metadata, blobs with metadata and index tags, and the SHA-256 of the blobs worth hashing (streamed).

Index tags need the Blob Tags API; emulators and older accounts without it are read without tags
and the inventory says so in ``notes`` instead of failing.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from ...errors import InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BlobItem:
    name: str
    size: int
    url: str
    metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    #: Hex SHA-256 of the content, when it was worth computing (its size matches a registered file).
    sha256: str | None = None


@dataclass(frozen=True)
class ContainerItem:
    name: str
    #: "container", "blob" or "" (private).
    public_access: str
    url: str
    metadata: dict[str, str] = field(default_factory=dict)
    blobs: tuple[BlobItem, ...] = ()


@dataclass(frozen=True)
class Inventory:
    account: str
    account_url: str
    containers: tuple[ContainerItem, ...]
    notes: tuple[str, ...] = ()


_SECRET_PARAMS = re.compile(r"(AccountKey|SharedAccessSignature|sig)=[^;&]*", re.IGNORECASE)


def redact(target: str) -> str:
    """``target`` with account keys and SAS signatures blanked, for reports and the audit log."""
    if "://" in target and ";" not in target:
        parts = urlsplit(target)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", target)


def _client(target: str) -> object:
    try:
        from azure.storage.blob import BlobServiceClient
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise InputError("live storage scanning needs azure-storage-blob: pip install 'synthguard[azure]'",
                         field="storage") from None
    text = target.strip()
    try:
        if "://" in text and ";" not in text:  # an account URL, with a SAS query when it carries one
            return BlobServiceClient(account_url=text, retry_total=2)
        return BlobServiceClient.from_connection_string(text, retry_total=2)
    except ValueError as exc:
        raise InputError(f"not a storage connection string or account URL: {exc}", path=redact(text),
                         field="storage") from None


def read_inventory(target: str, *, worth_hashing: Callable[[int], bool] = lambda size: False,
                   timeout: float = 30.0) -> Inventory:
    """List everything in the account ``target`` (connection string or account URL, SAS allowed)."""
    from azure.core.exceptions import AzureError, HttpResponseError

    service = _client(target)
    notes: list[str] = []
    try:
        containers = [_read_container(service, props, worth_hashing, notes, timeout)
                      for props in service.list_containers(include_metadata=True,  # type: ignore[attr-defined]
                                                           timeout=timeout)]
    except HttpResponseError as exc:
        if exc.status_code is None:  # no HTTP answer at all
            raise InputError(f"cannot reach the storage account: {_first_line(exc)}", path=redact(target),
                             field="storage") from None
        raise InputError(f"storage service refused the listing: {exc.status_code} {exc.reason or ''}".strip(),
                         path=redact(target), field="storage") from None
    except AzureError as exc:
        raise InputError(f"cannot reach the storage account: {_first_line(exc)}", path=redact(target),
                         field="storage") from None
    return Inventory(account=str(service.account_name), account_url=str(service.url).split("?")[0],  # type: ignore[attr-defined]
                     containers=tuple(containers), notes=tuple(dict.fromkeys(notes)))


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "message", "") or exc).strip()
    return redact(text.splitlines()[0][:200]) if text else exc.__class__.__name__


def _read_container(service: object, props: object, worth_hashing: Callable[[int], bool], notes: list[str],
                    timeout: float) -> ContainerItem:
    from azure.core.exceptions import HttpResponseError

    name = str(props.name)  # type: ignore[attr-defined]
    client = service.get_container_client(name)  # type: ignore[attr-defined]
    try:
        listing = list(client.list_blobs(include=["metadata", "tags"], timeout=timeout))
    except HttpResponseError as exc:
        # No Blob Tags API (emulator, old account): list again without tags rather than fail.
        notes.append(f"blob index tags unavailable ({exc.reason or exc.status_code}); read metadata only")
        listing = list(client.list_blobs(include=["metadata"], timeout=timeout))
    blobs = []
    for blob in listing:
        size = int(blob.size or 0)
        blob_client = client.get_blob_client(blob.name)
        digest = _sha256(blob_client, timeout) if worth_hashing(size) else None
        blobs.append(BlobItem(name=str(blob.name), size=size, url=str(blob_client.url).split("?")[0],
                              metadata=dict(blob.metadata or {}), tags=dict(getattr(blob, "tags", None) or {}),
                              sha256=digest))
    access = props.public_access or ""  # type: ignore[attr-defined]
    return ContainerItem(name=name, public_access=str(access).lower(), url=str(client.url).split("?")[0],
                         metadata=dict(props.metadata or {}), blobs=tuple(blobs))  # type: ignore[attr-defined]


def _sha256(blob_client: object, timeout: float) -> str:
    """Stream the blob through SHA-256 chunk by chunk; nothing is held in memory or written to disk."""
    digest = hashlib.sha256()
    for chunk in blob_client.download_blob(timeout=timeout).chunks():  # type: ignore[attr-defined]
        digest.update(chunk)
    return digest.hexdigest()
