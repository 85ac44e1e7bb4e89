"""Risk reports in the workspace: signed (DSSE), stored with the dataset version, audited.

``assess_and_store`` is the workspace verb behind ``synthguard risk``; ``latest_report`` feeds
``synthguard show`` and the release policy (``risk.policy``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..catalog.records import find_version
from ..errors import InputError, SynthGuardError
from ..provenance import dsse
from ..store.tables import RiskReportRow
from .assess import RiskOptions, assess, file_sha256
from .report import RiskReport

if TYPE_CHECKING:
    from ..workspace import Workspace

PAYLOAD_TYPE = "application/vnd.synthguard.risk+json"


def canonical(report: RiskReport) -> bytes:
    """The signed bytes: the report's JSON with sorted keys and no insignificant whitespace."""
    return json.dumps(_finite(report).to_json(), sort_keys=True, separators=(",", ":"), allow_nan=False,
                      default=_plain).encode("utf-8")


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def assess_and_store(ws: Workspace, real: Path, synthetic: Path, control: Path | None = None,
                     options: RiskOptions | None = None, *, dataset: str | None = None) -> tuple[RiskReport, int]:
    """Run ``assess`` and store the signed report (attached to ``dataset`` = NAME@N when given, whose
    files must include ``synthetic``); every attempt, failed ones too, is audited. Returns the report
    and its stored id."""
    obj = dataset or str(synthetic)
    try:
        version_id = _version_for(ws, dataset, synthetic) if dataset else None
        report = assess(real, synthetic, control, options, version=dataset)
        payload = canonical(report)
        envelope = dsse.sign(payload, ws.signer, payload_type=PAYLOAD_TYPE)
        digest = "sha256:" + _sha256(payload)
        with ws.session() as session, session.begin():
            row = RiskReportRow(tenant=ws.settings.tenant, version_id=version_id, created_at=datetime.now(UTC),
                                created_by=ws.settings.actor, digest=digest, report=json.loads(payload),
                                envelope=envelope)
            session.add(row)
            session.flush()
            ws.audit.append_in(session, [ws.draft("risk.assess", obj, digest=digest, details={
                "report": row.id, "risks": {a["label"]: round(a["risk"], 6) for a in report.attacks},
                "identical_share": (report.distances or {}).get("identical_share"), "key": ws.signer.key_id})])
            report_id = row.id
        return report, report_id
    except SynthGuardError as exc:
        ws.record("risk.assess", obj, outcome="failure", details={"error": exc.diagnostics()})
        raise


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _finite(report: RiskReport) -> RiskReport:
    """JSON has no NaN: statistics of empty sets become null."""
    def clean(value: Any) -> Any:
        if isinstance(value, float) and value != value:
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value
    return RiskReport.from_json(clean(report.to_json()))


def _version_for(ws: Workspace, ref: str, synthetic: Path) -> str:
    with ws.session() as session:
        row = find_version(session, ws.settings.tenant, ref)
        hashes = {f["sha256"] for f in row.files}
        version_id, name = row.id, f"{row.dataset.name}@{row.version}"
    if not synthetic.is_file():
        raise InputError("no such file", path=str(synthetic))
    if file_sha256(synthetic) not in hashes:
        raise InputError(f"this file is not part of {name} (its SHA-256 matches none of the version's files)",
                         path=str(synthetic))
    return version_id


def latest_report(ws: Workspace, version_id: str) -> tuple[RiskReport, dict[str, Any]] | None:
    """The newest stored report of a version and its DSSE envelope, or None."""
    with ws.session() as session:
        row = session.scalars(select(RiskReportRow).where(
            RiskReportRow.tenant == ws.settings.tenant, RiskReportRow.version_id == version_id)
            .order_by(RiskReportRow.id.desc()).limit(1)).one_or_none()
        if row is None:
            return None
        return RiskReport.from_json(row.report), dict(row.envelope)


def verified_report(ws: Workspace, version_id: str) -> RiskReport | None:
    """Like ``latest_report``, but the report returned is the signed payload, checked against the
    workspace keyring (``SignatureError`` when the stored envelope does not verify)."""
    found = latest_report(ws, version_id)
    if found is None:
        return None
    payload = dsse.verify(found[1], ws.keyring)
    return RiskReport.from_json(json.loads(payload))


def show_lines(ws: Workspace, version_id: str) -> tuple[list[str], dict[str, Any] | None]:
    """For ``synthguard show``: the newest report's summary lines and its JSON (or nothing)."""
    found = latest_report(ws, version_id)
    if found is None:
        return [], None
    report = found[0]
    return [f"risk      report of {report.created_at[:19]} UTC"] + \
        [f"          {line}" for line in report.summary()], report.to_json()
