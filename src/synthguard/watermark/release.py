"""Release a registered version to one recipient: a watermarked copy, registered, signed and audited.

``release(ws, "customers@3", recipient="acme-analytics", purpose="churn model", out=Path("acme.parquet"),
data=Path("exports/customers.parquet"))``:

1. checks the request, the re-identification risk policy (``synthguard.risk``), and that ``data`` is a
   file of the version (by SHA-256 — the catalogue keeps digests, not data). Without ``data``, the
   version's table is read from where it was registered, if it is still there and unchanged;
2. derives the scheme from the policy and the table, and writes the copy carrying the release's
   codeword (atomically; Parquet copies are also stamped synthetic in their metadata);
3. in one transaction, registers the copy as a new version of the same dataset tagged ``release`` /
   ``recipient`` (signed in-toto statement, ``dataset.register`` audit entry; no fp-v1 fingerprints —
   the gate knows a copy by its marks) and stores the release and its ``release.create`` audit entry.

A failure at any step leaves no output file, no version and no release row, and is audited
(``release.create``, outcome failure). The copy is staged under its final name in a hidden directory next
to ``out`` and moved into place only after the transaction commits, so even a killed process never leaves
a watermarked copy under ``out`` that no release records (at worst a recorded release whose copy is still
in the hidden staging directory).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlalchemy.exc import IntegrityError

from ..atomicfile import fsync_directory
from ..catalog import register as catalog_register
from ..catalog.digest import digest_paths
from ..catalog.records import find_version, version_of
from ..catalog.register import RegisterRequest
from ..errors import InputError, NotFoundError, SynthGuardError
from ..gate.detectors.metadata import stamp_metadata
from ..models import DatasetVersion
from ..store.tables import ReleaseRow
from ..tabular import reader_for
from ..tabular.writers import TableWriter, format_of
from . import keys
from .embed import embed, plan
from .policy import Policy
from .profile import profile_table
from .records import ACTIVE, Release, release_of, scheme_ref
from .scheme import Scheme, codeword
from .utility import utility_cost

if TYPE_CHECKING:
    from ..workspace import Workspace

_RECIPIENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
RELEASE_TAG = "release"
RECIPIENT_TAG = "recipient"
FROM_TAG = "released_from"


def parse_expiry(value: str | date | datetime | None, now: datetime | None = None) -> datetime | None:
    """``YYYY-MM-DD`` (valid through that day, UTC) or an ISO date-time (UTC when it has no offset)."""
    if value is None or value == "":
        return None
    now = now or datetime.now(UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed: date | datetime = (date.fromisoformat(text) if len(text) == 10
                                       else datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError as exc:
            raise InputError(f"invalid date {value!r}: use YYYY-MM-DD or an ISO 8601 date-time",
                             field="expires") from exc
    else:
        parsed = value
    if isinstance(parsed, datetime):
        expires = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    else:
        expires = datetime.combine(parsed + timedelta(days=1), time(0), tzinfo=UTC)
    if expires <= now:
        raise InputError(f"expiry {expires.isoformat()} is in the past", field="expires")
    return expires


@dataclass(frozen=True)
class ReleaseRequest:
    ref: str
    recipient: str
    purpose: str
    out: Path
    data: Path | None
    expires: datetime | None = None
    policy: Policy = field(default_factory=Policy)
    override_risk: str | None = None

    @classmethod
    def build(cls, ref: str, *, recipient: str, purpose: str, out: Path | str, data: Path | str | None = None,
              expires: str | date | datetime | None = None,
              policy: Policy | Mapping[str, Any] | Path | str | None = None,
              override_risk: str | None = None) -> ReleaseRequest:
        """Validate every argument before anything is read or written."""
        if not _RECIPIENT.match(recipient or ""):
            raise InputError(f"invalid recipient id {recipient!r}: letters, digits and . _ @ + - "
                             "(at most 128, starting with a letter or digit)", field="recipient")
        if not purpose or not purpose.strip():
            raise InputError("--purpose must not be empty", field="purpose")
        out, data = Path(out), Path(data) if data is not None else None
        format_of(out)
        if out.exists():
            raise InputError("already exists; choose a new name (a release never overwrites a file)", path=str(out))
        if data is not None and not data.is_file():
            raise InputError("not a file: --data names the registered table file to release", path=str(data))
        if isinstance(policy, str | Path):
            policy = Policy.load(Path(policy))
        elif isinstance(policy, Mapping):
            policy = Policy.from_mapping(dict(policy))
        return cls(ref, recipient, purpose.strip(), out, data, parse_expiry(expires), policy or Policy(),
                   override_risk)


@dataclass(frozen=True)
class ReleaseResult:
    release: Release
    scheme: Scheme
    marks: int
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return self.release.to_json() | {"marks": self.marks, "notes": list(self.notes), "scheme_id": self.scheme.id}


def release(ws: Workspace, ref: str, *, recipient: str, purpose: str, out: Path | str,
            data: Path | str | None = None,
            expires: str | date | datetime | None = None,
            policy: Policy | Mapping[str, Any] | Path | str | None = None,
            override_risk: str | None = None) -> ReleaseResult:
    """Release version ``ref`` (``NAME@N``, or ``NAME`` for its newest original) of which ``data`` (default:
    where it was registered from) is the registered table file, to ``recipient``, as ``out``. Every
    failure, bad arguments included, is audited."""
    try:
        request = ReleaseRequest.build(ref, recipient=recipient, purpose=purpose, out=out, data=data,
                                       expires=expires, policy=policy, override_risk=override_risk)
    except SynthGuardError as exc:
        ws.record("release.create", ref, outcome="failure", details={"recipient": recipient,
                                                                     "error": exc.diagnostics()})
        raise
    return release_request(ws, request)


def release_request(ws: Workspace, request: ReleaseRequest) -> ReleaseResult:
    """Write, register and record one release (see the module docstring); failures are audited."""
    staged: Path | None = None
    try:
        source = _source_version(ws, request.ref)
        _check_risk(ws, source, request.override_risk)
        table = _read(request.data or _registered_file(source), source, given=request.data is not None)
        key = keys.active_key(ws.settings.keys_dir, create=True)
        assert key is not None
        scheme, notes = request.policy.scheme_for(table, key.key_id)
        release_id = str(uuid.uuid4())
        marked_plan = plan(table, scheme, key.secret)
        marked = embed(marked_plan, codeword(key.secret, release_id, scheme.code_length))
        cost = utility_cost(table, marked, [t.column for t in scheme.targets])
        staged = _write(marked, _staging_path(request.out), source)
        try:
            stored = _store(ws, request, source, staged, release_id, scheme, table, cost, marked_plan.marks)
        except IntegrityError as exc:  # a concurrent register took the version number (as catalog.register)
            raise InputError(f"dataset {source.name!r} changed concurrently; retry") from exc
        _publish(staged, request.out)
        return ReleaseResult(stored, scheme, marked_plan.marks, tuple(notes))
    except BaseException as exc:
        if staged is not None:
            _discard(staged)
        if isinstance(exc, SynthGuardError):
            ws.record("release.create", request.ref, outcome="failure",
                      details={"recipient": request.recipient, "error": exc.diagnostics()})
        raise


def _source_version(ws: Workspace, ref: str) -> DatasetVersion:
    """``NAME@N``, or for a bare ``NAME`` its newest version that is not itself a released copy."""
    with ws.session() as session:
        row = find_version(session, ws.settings.tenant, ref)
        if "@" not in ref:
            originals = [v for v in row.dataset.versions if not any(t.key == RELEASE_TAG for t in v.tags)]
            if not originals:
                raise NotFoundError(f"dataset {ref!r} has only released copies", field="name")
            row = originals[-1]
        version = version_of(row)
    if RELEASE_TAG in version.tags:
        raise InputError(f"{version.ref} is a released copy (release {version.tags[RELEASE_TAG]}); release "
                         f"from {version.tags.get(FROM_TAG, 'the original version')}", field="name")
    return version


def _check_risk(ws: Workspace, source: DatasetVersion, override: str | None) -> None:
    # Imported here: the risk package loads its attack code, which nothing else in a release needs.
    from ..risk.policy import check_release_allowed

    check_release_allowed(ws, source.ref, override)


def _registered_file(source: DatasetVersion) -> Path:
    """The version's one table file, where it was registered from (``--data`` not given)."""
    names = [t.path for t in source.tables]
    if len(names) != 1:
        raise InputError(f"{source.ref} holds {len(names)} tables ({', '.join(names)}); name the one to release "
                         "with --data", field="data")
    location = source.locations.get(names[0])
    if location is None:
        raise InputError(f"the catalogue does not record where {source.ref}'s {names[0]} was registered from; "
                         "pass the file with --data", field="data")
    if not Path(location).is_file():
        raise InputError(f"{source.ref}'s {names[0]} is no longer where it was registered from; pass the file "
                         "with --data", path=location, field="data")
    return Path(location)


def _read(path: Path, source: DatasetVersion, *, given: bool) -> pa.Table:
    sha256 = digest_paths([path], whole_file=True).files[0].sha256
    if not any(f.sha256 == sha256 for f in source.files):
        problem = ("this file is not part of" if given else "this file changed since it was registered as part of")
        raise InputError(f"{problem} {source.ref} (its SHA-256 matches none of the version's files); pass the "
                         "registered file with --data", path=str(path), field="data")
    batches = list(reader_for(path).batches(path))
    table = pa.Table.from_batches(batches) if batches else None
    if table is None or table.num_rows == 0:
        raise InputError("no rows to release", path=str(path))
    return table


def _write(table: pa.Table, out: Path, source: DatasetVersion) -> Path:
    if format_of(out) == "parquet":
        metadata = {**(table.schema.metadata or {}), **stamp_metadata(source.ref, source.digest)}
        table = table.replace_schema_metadata(metadata)
    writer = TableWriter(out, table.schema)
    try:
        for batch in table.to_batches(max_chunksize=1 << 16):
            writer.write(batch)
        return writer.commit()
    except BaseException:
        writer.abort()
        raise


def _staging_path(out: Path) -> Path:
    """``out``'s name inside a fresh hidden directory next to it (the manifest path is the file's name)."""
    return out.parent / f".{out.name}.{uuid.uuid4().hex[:12]}.synthguard-release" / out.name


def _publish(staged: Path, out: Path) -> None:
    os.replace(staged, out)
    staged.parent.rmdir()
    fsync_directory(out.parent)


def _discard(staged: Path) -> None:
    staged.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        staged.parent.rmdir()


def _copy_request(request: ReleaseRequest, source: DatasetVersion, written: Path, release_id: str) -> RegisterRequest:
    # No fp-v1 fingerprints: the marks changed the values, and the gate knows a copy by its marks (the
    # watermark detector) and its Parquet stamp; fingerprints would add every copy's rows to the index
    # (10⁹ entries for 1,000 recipients of a 1 M-row table) for nothing.
    return RegisterRequest.build([written], name=source.name, generator=source.generator,
                                 source=f"{source.ref}, watermarked for {request.recipient}",
                                 purpose=request.purpose, owner=source.owner, classification=source.classification,
                                 tags={RELEASE_TAG: release_id, RECIPIENT_TAG: request.recipient,
                                       FROM_TAG: source.ref}, fingerprint=False)


def _store(ws: Workspace, request: ReleaseRequest, source: DatasetVersion, written: Path, release_id: str,
           scheme: Scheme, table: pa.Table, cost: dict[str, Any], marks: int) -> Release:
    """Register the copy as a version (signed statement, ``dataset.register`` entry) and store the release
    and its ``release.create`` entry, all in one transaction: a failure leaves neither."""
    copy = _copy_request(request, source, written, release_id)
    prepared = catalog_register.prepare(copy)
    # Read from the staging directory; the version records where the copy will live.
    prepared = dataclasses.replace(prepared, locations={rel: str(request.out.resolve()) for rel in prepared.locations})
    sha256 = "sha256:" + prepared.manifest.files[0].sha256
    now = datetime.now(UTC)
    watermark = {"scheme_id": scheme.id, "key_id": scheme.key_id, "fraction": scheme.fraction,
                 "code_length": scheme.code_length, "marks": marks,
                 "columns": {t.column: {"method": t.method, **dict(t.params)} for t in scheme.targets},
                 "anchors": [f"{s.column} ({s.via})" for s in scheme.sources]}
    with ws.session() as session, session.begin():
        registered = catalog_register.store_in(ws, session, copy, prepared, []).version
        ref = scheme_ref(session, ws.settings.tenant, source.id, scheme, lambda: profile_table(table), now)
        row = ReleaseRow(id=release_id, tenant=ws.settings.tenant, version_id=source.id,
                         released_version_id=registered.id, recipient=request.recipient, purpose=request.purpose,
                         expires=request.expires, created_at=now, created_by=ws.settings.actor,
                         out_path=str(request.out.absolute()), digest=sha256, scheme_ref=ref, watermark=watermark,
                         utility=cost, status=ACTIVE)
        session.add(row)
        session.flush()
        stored = release_of(session, row)
        ws.audit.append_in(session, [ws.draft("release.create", source.ref, digest=sha256, details={
            "release": release_id, "recipient": request.recipient, "purpose": request.purpose,
            "expires": stored.expires.isoformat() if stored.expires else None, "released_as": registered.ref,
            "out": stored.out_path, "scheme": scheme.id, "key": scheme.key_id, "marks": marks})])
    return stored
