"""Incidents: clocks across DST and time zones, playbook evidence, tenant isolation, exports, bad input."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import synthguard as sg
from clirunner import run_cli
from datasets import META, customers, write_dataset
from synthguard.config import Settings
from synthguard.errors import InputError, NotFoundError
from synthguard.trace import (
    IncidentRequest,
    StepUpdate,
    close_incident,
    export_json,
    export_markdown,
    list_incidents,
    open_incident,
    show_incident,
    update_step,
)
from synthguard.trace.clocks import parse_moment
from synthguard.trace.markdown import cell
from synthguard.trace.report import incident_json
from synthguard.trace.tracefile import read_trace_report
from synthguard.workspace import Workspace

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # after every detection time used below


def _configure(ws: Workspace, text: str) -> None:
    with ws.settings.config_path.open("a", encoding="utf-8") as fh:
        fh.write("\n" + text)


def _register(ws: Workspace, tmp_path: Path, name: str = "customers") -> str:
    data = write_dataset(tmp_path / f"data-{name}")
    return ws.register([data / "customers.parquet"], name=name, **META).version.ref


@pytest.fixture
def berlin_ws(ws: Workspace, tmp_path: Path) -> Workspace:
    _configure(ws, '[incidents]\ntimezone = "Europe/Berlin"\n\n[incidents.clocks]\n"acme-dpa" = 24\n'
                   '"globex-msa" = { hours = 48, recipients = ["globex"], basis = "Globex MSA §9.2" }\n')
    _register(ws, tmp_path)
    return ws


def _open(ws: Workspace, **kwargs: Any) -> Any:
    kwargs.setdefault("datasets", ("customers@1",))
    return open_incident(ws, IncidentRequest(**kwargs), now=NOW)


def _clock(view: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in view["clocks"] if c["name"] == name)


# -- clocks across DST and time zones -----------------------------------------------------------

@pytest.mark.parametrize(("detected", "due_utc", "due_local"), [
    # DST starts 29 March 2026: 72 h after 10:00 CET is 11:00 CEST on the wall clock.
    ("2026-03-28T10:00", "2026-03-31T09:00:00Z", "2026-03-31 11:00 CEST"),
    # DST ends 25 October 2026: 72 h after 10:00 CEST is 09:00 CET.
    ("2026-10-24T10:00", "2026-10-27T08:00:00Z", "2026-10-27 09:00 CET"),
    # No change in between: the wall time is kept.
    ("2026-06-10T10:00", "2026-06-13T08:00:00Z", "2026-06-13 10:00 CEST"),
    # An explicit offset from another zone (New York, already on EDT) names the same instant as the first case.
    ("2026-03-28T05:00-04:00", "2026-03-31T09:00:00Z", "2026-03-31 11:00 CEST"),
    ("2026-03-28T09:00:00Z", "2026-03-31T09:00:00Z", "2026-03-31 11:00 CEST"),
])
def test_art33_deadline_is_72_hours_in_utc_shown_in_local_time(berlin_ws: Workspace, detected: str, due_utc: str,
                                                               due_local: str) -> None:
    incident = _open(berlin_ws, detected_at=detected, recipient="acme")
    view = incident_json(incident, BERLIN, NOW)
    art33 = _clock(view, "gdpr-art33")
    assert art33["due"]["utc"] == due_utc and art33["due"]["display"] == due_local
    assert incident.clocks[0].due_at - incident.detected_at in (timedelta(hours=24), timedelta(hours=72))
    # The contractual clock configured for every recipient runs too; the Globex one only for Globex.
    names = {c.name for c in incident.clocks}
    assert names == {"gdpr-art33", "gdpr-art34-assessment", "contract:acme-dpa"}
    dpa = next(c for c in incident.clocks if c.name == "contract:acme-dpa")
    assert dpa.due_at - incident.detected_at == timedelta(hours=24)


def test_same_incident_shown_in_another_zone(ws: Workspace, tmp_path: Path) -> None:
    _configure(ws, '[incidents]\ntimezone = "America/New_York"\nart34_assessment_hours = 24\n')
    _register(ws, tmp_path)
    # US DST started 8 March 2026 and Europe's starts 29 March: New York sees no change in these 72 h.
    incident = _open(ws, detected_at="2026-03-28T10:00+01:00")
    view = incident_json(incident, ZoneInfo("America/New_York"), NOW)
    assert view["detected"]["display"] == "2026-03-28 05:00 EDT"
    assert _clock(view, "gdpr-art33")["due"]["display"] == "2026-03-31 05:00 EDT"
    assert _clock(view, "gdpr-art34-assessment")["due"]["utc"] == "2026-03-29T09:00:00Z"
    assert view["timezone"] == "America/New_York"


@pytest.mark.parametrize(("text", "problem"), [("2026-03-29T02:30", "does not exist"),
                                               ("2026-10-25T02:30", "is ambiguous")])
def test_wall_times_that_dst_skips_or_repeats_are_refused(berlin_ws: Workspace, text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem) as info:
        _open(berlin_ws, detected_at=text)
    assert info.value.field == "detected-at"
    assert list_incidents(berlin_ws) == []


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)),
       st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]))
def test_wall_times_read_back_as_written_or_are_refused(wall: datetime, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    try:
        moment = parse_moment(wall.isoformat(), zone, "detected-at")
    except InputError as exc:
        assert "does not exist" in exc.message or "ambiguous" in exc.message
        return
    assert moment.tzinfo is UTC
    assert moment.astimezone(zone).replace(tzinfo=None) == wall


def test_time_remaining_against_an_injected_clock(berlin_ws: Workspace) -> None:
    incident = _open(berlin_ws, detected_at="2026-03-28T10:00")
    before = _clock(incident_json(incident, BERLIN, datetime(2026, 3, 30, 9, 0, tzinfo=UTC)), "gdpr-art33")
    assert before["state"] == "running" and before["remaining_seconds"] == 24 * 3600
    assert before["remaining"] == "1d 00h 00m left"
    after = _clock(incident_json(incident, BERLIN, datetime(2026, 3, 31, 11, 30, tzinfo=UTC)), "gdpr-art33")
    assert after["state"] == "overdue" and after["remaining"] == "overdue by 2h 30m"


def test_cli_show_marks_overdue_clocks_and_takes_as_of(cli_env: Settings, tmp_path: Path) -> None:
    assert run_cli("init").code == 0
    ws = sg.open(cli_env)
    _configure(ws, '[incidents]\ntimezone = "Europe/Berlin"\n')
    _register(ws, tmp_path)
    ws.close()
    opened = run_cli("incident", "open", "--dataset", "customers@1", "--detected-at", "2026-03-28T10:00",
                     "--format", "json")
    assert opened.code == 0, opened.err
    incident_id = json.loads(opened.out)["id"]
    shown = run_cli("incident", "show", incident_id, "--as-of", "2026-03-31T12:00", "--format", "json")
    view = json.loads(shown.out)
    assert shown.code == 0 and _clock(view, "gdpr-art33")["state"] == "overdue"
    assert view["as_of"]["display"] == "2026-03-31 12:00 CEST"
    text = run_cli("incident", "show", incident_id, "--as-of", "2026-03-31T12:00")
    assert "overdue by 1h 00m" in text.out
    listed = json.loads(run_cli("incident", "list", "--as-of", "2026-03-28T12:00", "--format", "json").out)
    assert [row["id"] for row in listed] == [incident_id]
    assert listed[0]["next_deadline"]["state"] == "running" and listed[0]["open_steps"] == 9


# -- playbook, evidence, clocks met ---------------------------------------------------------------

def test_manual_step_needs_evidence_and_files_are_hashed_and_kept(berlin_ws: Workspace, tmp_path: Path) -> None:
    incident = _open(berlin_ws, recipient="acme")
    with pytest.raises(InputError, match="needs evidence"):
        update_step(berlin_ws, incident.id, "contain.revoke-sas", StepUpdate(done=True), now=NOW)
    proof = tmp_path / "az-storage-revoke.log"
    proof.write_bytes(b"az storage account keys renew ... ok\n" * 1000)
    step = update_step(berlin_ws, incident.id, "contain.revoke-sas",
                       StepUpdate(done=True, evidence_files=(proof,), notes=("keys rotated at 11:40",)), now=NOW)
    assert step.done_at == NOW and step.done_by == "tester@shop.example"
    item = next(i for i in step.evidence if i["kind"] == "file")
    assert item["sha256"] == hashlib.sha256(proof.read_bytes()).hexdigest() and item["size"] == 37000
    assert Path(item["stored"]).read_bytes() == proof.read_bytes()
    assert not list(Path(item["stored"]).parent.glob(".staged-*"))
    assert any(i["kind"] == "note" and i["text"] == "keys rotated at 11:40" for i in step.evidence)
    with pytest.raises(InputError, match="already done"):
        update_step(berlin_ws, incident.id, "1", StepUpdate(done=True, notes=("again",)), now=NOW)


def test_missing_evidence_file_records_nothing(berlin_ws: Workspace, tmp_path: Path) -> None:
    incident = _open(berlin_ws)
    good = tmp_path / "ok.txt"
    good.write_text("ok")
    with pytest.raises(InputError) as info:
        update_step(berlin_ws, incident.id, "contain.revoke-sas",
                    StepUpdate(done=True, evidence_files=(good, tmp_path / "missing.pdf")), now=NOW)
    assert info.value.path == str(tmp_path / "missing.pdf") and info.value.field == "evidence"
    step = show_incident(berlin_ws, incident.id).steps[0]
    assert step.done_at is None and step.evidence == ()
    store = berlin_ws.settings.home / "incidents" / incident.id / "evidence"
    assert not store.exists() or not any(store.iterdir())
    failures = [e for e in berlin_ws.audit.events() if e.action == "incident.step"]
    assert [e.outcome for e in failures] == ["failure"] and "missing.pdf" in failures[0].details["error"]


def test_steps_meet_their_clocks(berlin_ws: Workspace) -> None:
    incident = _open(berlin_ws, detected_at="2026-03-28T10:00", recipient="acme")
    done_at = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    update_step(berlin_ws, incident.id, "notify.supervisory-authority",
                StepUpdate(done=True, notes=("BfDI notified, reference 2026-0042",)), now=done_at)
    update_step(berlin_ws, incident.id, "notify.contracts", StepUpdate(done=True, notes=("acme DPO mailed",)),
                now=done_at)
    view = incident_json(show_incident(berlin_ws, incident.id), BERLIN, datetime(2026, 4, 5, tzinfo=UTC))
    assert _clock(view, "gdpr-art33")["state"] == "met"
    assert _clock(view, "gdpr-art33")["evidence"][0]["step"] == "notify.supervisory-authority"
    assert _clock(view, "contract:acme-dpa")["state"] == "met late"  # due 29 March 10:00 CEST
    assert _clock(view, "gdpr-art34-assessment")["state"] == "overdue"
    # Seen as of a moment before the notification, the clock was still running.
    early = incident_json(show_incident(berlin_ws, incident.id), BERLIN, datetime(2026, 3, 29, tzinfo=UTC))
    assert _clock(early, "gdpr-art33")["state"] == "running"


def test_linked_sources_come_from_the_catalogue(berlin_ws: Workspace) -> None:
    incident = _open(berlin_ws)
    step = next(s for s in incident.steps if s.key == "assess.linked-sources")
    assert step.evidence[0]["result"] == {"linked": [{"ref": "customers@1", "source": META["source"]}]}
    assert incident.datasets[0]["owner"] == META["owner"]
    assert next(s for s in incident.steps if s.key == "contain.retire-releases").owner == META["owner"]
    done = update_step(berlin_ws, incident.id, "assess.linked-sources", StepUpdate(done=True), now=NOW)
    assert done.done_at == NOW


def test_close_needs_every_step_or_a_reason(berlin_ws: Workspace) -> None:
    incident = _open(berlin_ws)
    with pytest.raises(InputError, match="9 step"):
        close_incident(berlin_ws, incident.id, now=NOW)
    with pytest.raises(InputError, match="--note"):
        close_incident(berlin_ws, incident.id, force=True, now=NOW)
    closed = close_incident(berlin_ws, incident.id, force=True, note="duplicate of an earlier incident", now=NOW)
    assert closed.status == "closed" and closed.closed_at == NOW
    with pytest.raises(InputError, match="closed"):
        update_step(berlin_ws, incident.id, "1", StepUpdate(notes=("late",)), now=NOW)
    event = next(e for e in berlin_ws.audit.events() if e.action == "incident.close" and e.outcome == "success")
    assert len(event.details["open_steps"]) == 9 and event.details["note"] == "duplicate of an earlier incident"


def test_playbook_file_replaces_the_default(berlin_ws: Workspace, tmp_path: Path) -> None:
    book = tmp_path / "playbook.toml"
    book.write_text('[[step]]\nkey = "contain.call-vendor"\nphase = "contain"\ntitle = "Call {recipient}"\n'
                    'owner = "{dataset_owner}"\ndue_hours = 1\n\n'
                    '[[step]]\nkey = "notify.dpa"\nphase = "notify"\ntitle = "Tell the DPA"\nowner = "dpo"\n'
                    'meets = ["gdpr-art33"]\n')
    incident = _open(berlin_ws, recipient="acme", playbook=book, detected_at="2026-03-28T10:00")
    assert [(s.key, s.title, s.owner) for s in incident.steps] == [
        ("contain.call-vendor", "Call acme", META["owner"]), ("notify.dpa", "Tell the DPA", "dpo")]
    assert incident.steps[1].due_at == datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
    book.write_text('[[step]]\nkey = "x"\nphase = "contain"\ntitle = "t"\nowner = "o"\naction = "teleport"\n')
    with pytest.raises(InputError, match="unknown action") as info:
        _open(berlin_ws, playbook=book)
    assert info.value.path == str(book) and info.value.field == "step[0].action"


# -- releases ---------------------------------------------------------------------------------------

@pytest.fixture
def released(berlin_ws: Workspace, tmp_path: Path) -> dict[str, Any]:
    """Two real releases of a registered table (``synthguard.watermark``) and the trace of one leaked copy."""
    watermark = pytest.importorskip("synthguard.watermark")
    data = tmp_path / "orders.parquet"
    pq.write_table(customers(2000, seed=7), data)
    berlin_ws.register([data], name="orders", **META)
    acme = watermark.release(berlin_ws, "orders@1", recipient="acme-analytics", purpose="churn model",
                             out=tmp_path / "acme.parquet", data=data).release
    globex = watermark.release(berlin_ws, "orders@1", recipient="globex", purpose="pricing",
                               out=tmp_path / "globex.parquet", data=data).release
    leaked = pq.read_table(tmp_path / "acme.parquet").slice(0, 1200).drop_columns(["country"])
    pacsv.write_csv(leaked, tmp_path / "found-online.csv")
    report = tmp_path / "trace.json"
    report.write_text(json.dumps(watermark.trace(berlin_ws, tmp_path / "found-online.csv").to_json()))
    return {"acme": acme.id, "globex": globex.id, "report": report}


def test_trace_report_opens_incident_and_retire_step_retires_releases(berlin_ws: Workspace,
                                                                      released: dict[str, Any]) -> None:
    report = released["report"]
    incident = open_incident(berlin_ws, IncidentRequest(trace_file=report, detected_at="2026-03-28T10:00"), now=NOW)
    assert incident.suspected_recipient == "acme-analytics" and incident.releases == (released["acme"],)
    assert [d["ref"] for d in incident.datasets] == ["orders@1"]
    assert incident.trace is not None and incident.trace["attributed"] is True
    assert incident.trace["sha256"] == hashlib.sha256(report.read_bytes()).hexdigest()
    assert incident.trace["candidates"][0]["bound"] <= 1e-9
    step = update_step(berlin_ws, incident.id, "contain.retire-releases", StepUpdate(done=True), now=NOW)
    assert step.evidence[-1]["result"] == {"retired": [released["acme"]], "already_retired": []}
    from synthguard.watermark import list_releases

    assert {r.recipient: r.status for r in list_releases(berlin_ws)} == {"acme-analytics": "retired",
                                                                          "globex": "active"}
    retire_events = [e for e in berlin_ws.audit.events() if e.action == "release.retire"]
    assert [(e.object, e.details["incident"]) for e in retire_events] == [(released["acme"], incident.id)]


def test_incident_by_release_id_finds_dataset_and_recipient(berlin_ws: Workspace, released: dict[str, Any]) -> None:
    incident = open_incident(berlin_ws, IncidentRequest(releases=(released["globex"],)), now=NOW)
    assert incident.suspected_recipient == "globex" and [d["ref"] for d in incident.datasets] == ["orders@1"]
    other = sg.open(dataclasses.replace(berlin_ws.settings, tenant="tenant-b"))
    try:  # another tenant cannot name this tenant's release
        with pytest.raises(NotFoundError, match=f"unknown release '{released['globex']}'"):
            open_incident(other, IncidentRequest(releases=(released["globex"],)), now=NOW)
    finally:
        other.close()


def test_colluders_named_by_the_trace_are_all_suspects(berlin_ws: Workspace, tmp_path: Path) -> None:
    report = tmp_path / "trace.json"
    report.write_text(json.dumps({"verdict": "attributed", "attributed": True, "candidates": [
        {"release_id": "r1", "recipient": "acme", "dataset": "customers@1", "bound": 1e-20, "named": True},
        {"release_id": "r2", "recipient": "globex", "dataset": "customers@1", "bound": 1e-12, "named": True},
        {"release_id": "r3", "recipient": "initech", "dataset": "customers@1", "bound": 1.0, "named": False}]}))
    summary = read_trace_report(report)
    assert [c.recipient for c in summary.suspects] == ["acme", "globex"]


# -- tenants -----------------------------------------------------------------------------------------

def test_tenants_never_see_each_others_incidents(berlin_ws: Workspace, tmp_path: Path) -> None:
    mine = _open(berlin_ws, title="tenant A leak")
    other = sg.open(dataclasses.replace(berlin_ws.settings, tenant="tenant-b"))
    try:
        assert list_incidents(other) == []
        for attempt in (lambda: show_incident(other, mine.id),
                        lambda: update_step(other, mine.id, "1", StepUpdate(notes=("x",)), now=NOW),
                        lambda: close_incident(other, mine.id, force=True, note="x", now=NOW),
                        lambda: export_json(other, mine.id, now=NOW)):
            with pytest.raises(NotFoundError, match="unknown incident"):
                attempt()
        with pytest.raises(NotFoundError):  # tenant B cannot even name tenant A's dataset
            _open(other)
        _register(other, tmp_path, "orders")
        theirs = _open(other, datasets=("orders@1",))
        assert [i.id for i in list_incidents(other)] == [theirs.id]
        assert [i.id for i in list_incidents(berlin_ws)] == [mine.id]
        assert {e["action"] for e in export_json(other, theirs.id, now=NOW)["audit"]} == {
            "incident.open", "incident.export"}
    finally:
        other.close()


# -- export --------------------------------------------------------------------------------------------

def test_export_json_timeline_and_markdown(berlin_ws: Workspace, tmp_path: Path) -> None:
    incident = _open(berlin_ws, detected_at="2026-03-28T10:00", recipient="acme", title="Leak | with pipe")
    proof = tmp_path / "ticket.pdf"
    proof.write_bytes(b"%PDF-1.7 ticket")
    update_step(berlin_ws, incident.id, "contain.revoke-sas", StepUpdate(done=True, evidence_files=(proof,)),
                now=datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    doc = export_json(berlin_ws, incident.id, now=datetime(2026, 3, 29, tzinfo=UTC))
    assert doc["schema"] == "synthguard.incident/v1" and doc["timezone"] == "Europe/Berlin"
    moments = [entry["at"]["utc"] for entry in doc["timeline"]]
    assert moments == sorted(moments)
    events = [entry["event"] for entry in doc["timeline"]]
    assert events[0] == "detected" and "step.done" in events and events.count("clock.due") == 3
    assert next(e for e in doc["timeline"] if e["event"] == "evidence")["sha256"] == hashlib.sha256(
        proof.read_bytes()).hexdigest()
    assert [a["action"] for a in doc["audit"]] == ["incident.open", "incident.step", "incident.export"]
    markdown = export_markdown(berlin_ws, incident.id, now=datetime(2026, 3, 29, tzinfo=UTC))
    assert markdown.startswith(f"# Incident {incident.id}: Leak \\| with pipe\n")
    assert "| gdpr-art33 | 2026-03-31 11:00 CEST (2026-03-31T09:00:00Z) | 2d 09h 00m left |" in markdown
    assert "- [x] **contain.revoke-sas**" in markdown and "- [ ] **notify.supervisory-authority**" in markdown
    assert hashlib.sha256(proof.read_bytes()).hexdigest() in markdown
    for section in ("## Clocks", "## Playbook", "### Contain", "## Timeline", "## Audit log"):
        assert section in markdown


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_markdown_cells_never_break_a_table_row(text: str) -> None:
    row = f"| {cell(text)} | x |"
    assert "\n" not in row and "\r" not in row
    assert len(re.findall(r"(?<!\\)(?:\\\\)*\|", row)) == 3  # only the three structural pipes are unescaped


def test_cli_export_writes_markdown_or_json(cli_env: Settings, tmp_path: Path) -> None:
    assert run_cli("init").code == 0
    with sg.open(cli_env) as ws:
        _register(ws, tmp_path)
    incident_id = json.loads(run_cli("incident", "open", "--dataset", "customers@1", "-f", "json").out)["id"]
    out = tmp_path / "incident.md"
    assert run_cli("incident", "export", incident_id, "--out", str(out)).code == 0
    assert out.read_text().startswith(f"# Incident {incident_id}")
    exported = run_cli("incident", "export", incident_id, "--format", "json")
    assert exported.code == 0 and json.loads(exported.out)["id"] == incident_id
    assert run_cli("audit", "verify").code == 0


# -- bad input --------------------------------------------------------------------------------------------

def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def cli_ws(cli_env: Settings, tmp_path: Path) -> Settings:
    assert run_cli("init").code == 0
    with sg.open(cli_env) as ws:
        _register(ws, tmp_path)
    return cli_env


def test_bad_input_exits_2_with_one_clear_line(cli_ws: Settings, tmp_path: Path) -> None:
    not_json = tmp_path / "trace.json"
    not_json.write_text('{"candidates": [\n  {"release_id": "r1",}\n]}')
    cases = [
        (("incident", "show", "INC-nope"), "unknown incident 'INC-nope'"),
        (("incident", "step", "INC-nope", "1", "--done", "--note", "x"), "unknown incident"),
        (("incident", "export", "INC-nope"), "unknown incident"),
        (("incident", "open", "--dataset", "customers@1", "--detected-at", "yesterday"), "not an ISO 8601 time"),
        (("incident", "open", "--dataset", "customers@1", "--detected-at", "2999-01-01T00:00Z"), "in the future"),
        (("incident", "open", "--from-trace", str(not_json)), f"{not_json}, row 2: trace report is not JSON"),
        (("incident", "open", "--from-trace", str(tmp_path / "absent.json")), "trace report not found"),
        (("incident", "open", "--dataset", "nosuch@1"), "unknown dataset 'nosuch'"),
        (("incident", "open"), "an incident needs --from-trace"),
        (("incident", "open", "--dataset", "customers@1", "--severity", "apocalyptic"), "severity must be"),
        (("incident", "show", "x", "--as-of", "soon"), "not an ISO 8601 time"),
    ]
    for args, expected in cases:
        result = run_cli(*args)
        assert result.code == 2, (args, result.err)
        assert expected in _one_line(result.err), (args, result.err)
    assert json.loads(run_cli("incident", "list", "--format", "json").out) == []
    (tmp_path / "array.json").write_text("[1, 2]")
    (tmp_path / "nocand.json").write_text('{"verdict": "attributed"}')
    (tmp_path / "badbound.json").write_text('{"candidates": [{"release_id": "r", "bound": "tiny"}]}')
    for name, expected in (("array.json", "must be a JSON object"), ("nocand.json", "field 'candidates'"),
                           ("badbound.json", "field 'candidates[0].bound'")):
        result = run_cli("incident", "open", "--from-trace", str(tmp_path / name))
        assert result.code == 2 and expected in _one_line(result.err), result.err
    incident_id = json.loads(run_cli("incident", "open", "--dataset", "customers@1", "-f", "json").out)["id"]
    missing_step = run_cli("incident", "step", incident_id, "contain.teleport", "--done")
    assert missing_step.code == 2 and "no step 'contain.teleport'" in _one_line(missing_step.err)
    nothing = run_cli("incident", "step", incident_id, "1")
    assert nothing.code == 2 and "nothing to record" in _one_line(nothing.err)
    with sg.open(cli_ws) as ws:
        failed = [e for e in ws.audit.events() if e.outcome == "failure"]
        assert {e.action for e in failed} == {"incident.open", "incident.step"}
    assert run_cli("audit", "verify").code == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["candidates", "release_id", "recipient", "bound", "dataset", "attributed",
                                         "verdict", "p_value", "release", "id"]), inner, max_size=5),
                    max_leaves=20))
def test_any_json_is_a_trace_summary_or_a_clear_input_error(tmp_path: Path, document: object) -> None:
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(document))
    try:
        summary = read_trace_report(path)
    except InputError as exc:
        assert exc.path == str(path)
        return
    assert all(s.bound is None or s.bound <= 1e-9 for s in summary.suspects)
    assert summary.attributed or not summary.suspects


def test_risk_step_links_the_stored_risk_report(berlin_ws: Workspace) -> None:
    risk = pytest.importorskip("synthguard.risk")
    from synthguard.store.tables import RiskReportRow

    first = _open(berlin_ws)
    step = next(s for s in first.steps if s.key == "assess.reidentification")
    assert "no stored re-identification risk report for customers@1" in step.evidence[0]["text"]
    with pytest.raises(InputError, match="needs evidence"):
        update_step(berlin_ws, first.id, step.key, StepUpdate(done=True), now=NOW)
    attack = {"attack": "linkability", "label": "linkability", "risk": 0.02, "ci": [0.0, 0.05],
              "attack_rate": [0.1, 0.01], "baseline_rate": [0.09, 0.01], "control_rate": None}
    report = risk.RiskReport(created_at="2026-11-01T10:00:00Z", inputs={}, options={}, attacks=(attack,),
                             distances=None, seconds=1.0, version="customers@1")
    with berlin_ws.session() as session, session.begin():
        session.add(RiskReportRow(tenant="default", version_id=berlin_ws.lineage("customers@1")[0].id, created_at=NOW,
                                  created_by="t", digest="sha256:0", report=report.to_json(), envelope={}))
    second = _open(berlin_ws)
    linked = next(s for s in second.steps if s.key == "assess.reidentification").evidence[0]
    assert linked["target"] == "risk-report:customers@1"
    assert linked["summary"]["linkability"] == {"attack": "linkability", "risk": 0.02, "ci": [0.0, 0.05]}
    assert update_step(berlin_ws, second.id, "assess.reidentification", StepUpdate(done=True), now=NOW).done_at == NOW
