"""W3C PROV export of dataset lineage: versions, their sources, generation runs and agents.

``to_prov_document`` turns a dataset version and its ancestors into a ``prov.model.ProvDocument``;
``to_prov_json`` serialises that as PROV-JSON (https://www.w3.org/submissions/prov-json/). Pure
functions: the caller loads the versions, nothing here touches the store.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote

from prov.model import PROV, Namespace, ProvDocument, ProvEntity, QualifiedName

from ..models import DatasetVersion, FileDigest

NAMESPACE = Namespace("synthguard", "https://synthguard.dev/ns#")
SG = NAMESPACE  # short alias for attribute names below

# Characters kept verbatim in identifiers (PROV-N local names allow them); everything else is
# percent-encoded so that an id stays a valid local name and IRI whatever a name or path holds.
_ID_SAFE = "/-._~@"

_Attributes = list[tuple[QualifiedName, object]]


def to_prov_document(versions: Sequence[DatasetVersion], *, include_files: bool = True) -> ProvDocument:
    """The PROV document describing ``versions`` (typically one version and its ancestors).

    Each record is emitted once even when versions share a source, owner or generator, so the
    document can be built from any overlapping set of versions.
    """
    document = ProvDocument()
    document.add_namespace(NAMESPACE)
    seen: set[QualifiedName] = set()
    for version in versions:
        if dataset_id(version.name, version.version) in seen:
            continue
        _add_version(document, version, seen, include_files=include_files)
    return document


def to_prov_json(versions: Sequence[DatasetVersion], *, include_files: bool = True,
                 indent: int | None = 2) -> str:
    """PROV-JSON text for ``versions``; see :func:`to_prov_document`."""
    text = to_prov_document(versions, include_files=include_files).serialize(format="json", indent=indent)
    assert text is not None  # serialize() only returns None when given a destination
    return text


def dataset_id(name: str, version: int) -> QualifiedName:
    """``synthguard:dataset/<name>@<n>``: the entity of one dataset version."""
    return NAMESPACE[f"dataset/{_local(name)}@{version}"]


def dataset_id_of_ref(ref: str) -> QualifiedName:
    """The entity id of a ``name@n`` reference, as stored in ``DatasetVersion.parent``."""
    name, sep, number = ref.rpartition("@")
    if not sep or not number.isdigit():
        # A malformed parent ref still deserves a stable node rather than a crash in an export.
        return NAMESPACE[f"dataset/{_local(ref)}"]
    return dataset_id(name, int(number))


def generation_id(name: str, version: int) -> QualifiedName:
    """``synthguard:generation/<name>@<n>``: the activity that produced one version."""
    return NAMESPACE[f"generation/{_local(name)}@{version}"]


def source_id(source: str) -> QualifiedName:
    """A stable id for a free-text source such as ``orders_2025 (real, EU)``.

    A readable slug alone could collide ("a b" vs "a-b"), so a short hash of the exact text
    disambiguates while the slug keeps the id legible.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", source.lower()).strip("-") or "source"
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]
    return NAMESPACE[f"source/{slug[:64]}-{digest}"]


def person_id(owner: str) -> QualifiedName:
    return NAMESPACE[f"person/{_local(owner)}"]


def software_id(generator: str) -> QualifiedName:
    return NAMESPACE[f"software/{_local(generator)}"]


def file_id(version: DatasetVersion, file: FileDigest) -> QualifiedName:
    return NAMESPACE[f"file/{_local(version.name)}@{version.version}/{_local(file.path)}"]


def _local(text: str) -> str:
    return quote(text, safe=_ID_SAFE)


def _utc(moment: datetime) -> datetime:
    # Naive timestamps come back from SQLite; they were written as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _add_version(document: ProvDocument, version: DatasetVersion, seen: set[QualifiedName], *,
                 include_files: bool) -> None:
    files = version.files if include_files else ()
    entity = _version_entity(document, version, with_members=bool(files))
    seen.add(dataset_id(version.name, version.version))
    activity = document.activity(generation_id(version.name, version.version),
                                 endTime=_utc(version.created_at),
                                 other_attributes={PROV["type"]: SG["Generation"],
                                                   SG["createdBy"]: version.created_by})
    source = _declare_once(document, seen, "entity", source_id(version.source),
                           [(PROV["type"], SG["Source"]), (PROV["label"], version.source)])
    owner = _declare_once(document, seen, "agent", person_id(version.owner),
                          [(PROV["type"], PROV["Person"]), (PROV["label"], version.owner)])
    generator = _declare_once(document, seen, "agent", software_id(version.generator),
                              [(PROV["type"], PROV["SoftwareAgent"]), (PROV["label"], version.generator)])

    document.wasGeneratedBy(entity, activity, _utc(version.created_at))
    document.used(activity, source)
    document.wasAssociatedWith(activity, owner, other_attributes={PROV["role"]: SG["owner"]})
    document.wasAssociatedWith(activity, generator, other_attributes={PROV["role"]: SG["generator"]})
    document.wasAttributedTo(entity, owner)
    if version.parent:
        document.wasDerivedFrom(entity, dataset_id_of_ref(version.parent), activity)
    for file in files:
        document.hadMember(entity, _file_entity(document, version, file))


def _version_entity(document: ProvDocument, version: DatasetVersion, *, with_members: bool) -> ProvEntity:
    attributes: _Attributes = [
        (PROV["type"], SG["SyntheticDataset"]),
        (PROV["label"], version.ref),
        (SG["name"], version.name),
        (SG["version"], version.version),
        (SG["digest"], version.digest),
        (SG["rows"], version.rows),
        (SG["classification"], version.classification),
        # PROV attribute values are literals, not maps: the tags travel as canonical JSON.
        (SG["tags"], json.dumps(version.tags, sort_keys=True, separators=(",", ":"))),
        (SG["purpose"], version.purpose),
        (SG["tenant"], version.tenant),
    ]
    if with_members:
        # hadMember (PROV-DM 5.6) is only meaningful on an entity typed prov:Collection.
        attributes.append((PROV["type"], PROV["Collection"]))
    return document.entity(dataset_id(version.name, version.version), attributes)


def _file_entity(document: ProvDocument, version: DatasetVersion, file: FileDigest) -> ProvEntity:
    return document.entity(file_id(version, file), [
        (PROV["type"], SG["File"]),
        (PROV["label"], file.path),
        (SG["path"], file.path),
        (SG["size"], file.size),
        (SG["sha256"], file.sha256),
    ])


def _declare_once(document: ProvDocument, seen: set[QualifiedName], kind: Literal["entity", "agent"],
                  identifier: QualifiedName, attributes: _Attributes) -> QualifiedName:
    """Declare a shared source or agent the first time it is met; later versions only refer to it."""
    if identifier not in seen:
        seen.add(identifier)
        if kind == "entity":
            document.entity(identifier, attributes)
        else:
            document.agent(identifier, attributes)
    return identifier
