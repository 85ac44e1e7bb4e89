"""Table definitions (SQLAlchemy 2 declarative). Migrations in ``migrations/`` must match them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class DatasetRow(Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("tenant", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    versions: Mapped[list[VersionRow]] = relationship(back_populates="dataset", order_by="VersionRow.version")


class VersionRow(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"), UniqueConstraint("dataset_id", "digest"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(80), index=True)
    generator: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(256), index=True)
    classification: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("dataset_versions.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(256))
    rows: Mapped[int] = mapped_column(BigInteger)
    tables: Mapped[list[Any]] = mapped_column(JSON)
    files: Mapped[list[Any]] = mapped_column(JSON)
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)
    # manifest path -> absolute path it was registered from (a hint: the digests decide what is the version)
    locations: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)

    dataset: Mapped[DatasetRow] = relationship(back_populates="versions")
    tags: Mapped[list[TagRow]] = relationship(back_populates="version", cascade="all, delete-orphan")


class TagRow(Base):
    __tablename__ = "dataset_tags"

    version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(256), primary_key=True)
    value: Mapped[str] = mapped_column(Text, index=True)

    version: Mapped[VersionRow] = relationship(back_populates="tags")


class AuditEntryRow(Base):
    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(256))
    tenant: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(128), index=True)
    object: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    leaf_hash: Mapped[str] = mapped_column(String(64))


class AuditTreeRow(Base):
    """One row: the current size and right-edge frontier of the Merkle tree (the append lock)."""

    __tablename__ = "audit_tree"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[list[Any]] = mapped_column(JSON)


class CheckpointRow(Base):
    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FingerprintSetRow(Base):
    """A column set whose fp-v1 fingerprints are indexed (e.g. the full row, or ``email`` alone)."""

    __tablename__ = "fingerprint_sets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(128), index=True)
    columns: Mapped[list[Any]] = mapped_column(JSON)
    normalisers: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FingerprintSegmentRow(Base):
    """One version's fingerprints for one column set: a segment file of the on-disk index."""

    __tablename__ = "fingerprint_segments"

    set_id: Mapped[str] = mapped_column(ForeignKey("fingerprint_sets.id"), primary_key=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id"), primary_key=True)
    rows: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ApiTokenRow(Base):
    """A bearer token for the HTTP server; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    tenant: Mapped[str] = mapped_column(String(128))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(256))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class IncidentRow(Base):
    """A data incident (e.g. a leaked release): who, what, when detected; clocks and steps hang off it."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(128), index=True)
    title: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    suspected_recipient: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # Release ids are plain strings: the releases table lives on a parallel migration branch.
    datasets: Mapped[list[Any]] = mapped_column(JSON)
    releases: Mapped[list[Any]] = mapped_column(JSON)
    trace_report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(256), nullable=True)


class IncidentClockRow(Base):
    """One notification deadline of an incident (GDPR Art. 33, Art. 34 assessment, a contract)."""

    __tablename__ = "incident_clocks"
    __table_args__ = (UniqueConstraint("incident_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    basis: Mapped[str] = mapped_column(Text)
    met_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    evidence: Mapped[list[Any]] = mapped_column(JSON)


class IncidentStepRow(Base):
    """One playbook step of an incident: phase, owner, due time, completion and evidence."""

    __tablename__ = "incident_steps"
    __table_args__ = (UniqueConstraint("incident_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(128))
    phase: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64))
    meets: Mapped[list[Any]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    evidence: Mapped[list[Any]] = mapped_column(JSON)


class RiskReportRow(Base):
    """A re-identification risk report (``synthguard risk``), signed; attached to a version when known."""

    __tablename__ = "risk_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(128), index=True)
    version_id: Mapped[str | None] = mapped_column(ForeignKey("dataset_versions.id"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(256))
    digest: Mapped[str] = mapped_column(String(80))
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)


class WatermarkSchemeRow(Base):
    """A watermark scheme applied to one version (cells, methods, anchors; never the secret) and the
    released columns' profiles, shared by every release of that version under that scheme."""

    __tablename__ = "watermark_schemes"
    __table_args__ = (UniqueConstraint("tenant", "version_id", "scheme_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(128), index=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id"), index=True)
    scheme_id: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    profile: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReleaseRow(Base):
    """One watermarked copy of a version given to one recipient (``synthguard release``)."""

    __tablename__ = "releases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(128), index=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id"), index=True)
    released_version_id: Mapped[str | None] = mapped_column(ForeignKey("dataset_versions.id"), nullable=True)
    recipient: Mapped[str] = mapped_column(String(256), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(256))
    out_path: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(80))
    scheme_ref: Mapped[int] = mapped_column(ForeignKey("watermark_schemes.id"), index=True)
    watermark: Mapped[dict[str, Any]] = mapped_column(JSON)
    utility: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
