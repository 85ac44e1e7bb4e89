"""SIEM exporters: registry, JSON Lines, CEF escaping (property-tested) and OCSF schema validity."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from synthguard.audit.entry import canonical_bytes
from synthguard.audit.exporters import EXPORTERS, CefExporter, Exporter, OcsfExporter, get_exporter
from synthguard.audit.exporters.cef import escape_extension, escape_header
from synthguard.audit.exporters.interface import epoch_ms, product_version
from synthguard.audit.exporters.ocsf import activity_id, to_ocsf
from synthguard.errors import InputError
from synthguard.models import AuditEvent

OCSF_SCHEMA_PATH = Path(__file__).parent / "schemas" / "ocsf-1.8.0-api_activity.schema.json"
DIGEST = "sha256:" + "0f" * 32


def make_event(seq: int = 7, **overrides: Any) -> AuditEvent:
    fields: dict[str, Any] = dict(
        seq=seq, time=datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=UTC), actor="alice",
        tenant="default", action="dataset.register", object="orders_synth@2", outcome="success",
        digest=DIGEST, details={"rows": 1000, "note": "first cut"})
    fields.update(overrides)
    return AuditEvent(**fields)


def sample_events() -> list[AuditEvent]:
    return [
        make_event(1),
        make_event(2, action="dataset.verify", outcome="failure", digest=""),
        make_event(3, action="key.revoke", outcome="denied", details={}),
        make_event(4, action="workspace.init", object="", details={"path": "/tmp/ws"}),
        make_event(5, action="release.approve", actor="bob|ops", object="a=b\\c\nd"),
        make_event(6, action="frobnicate", outcome="weird"),
    ]


# -- strategies ----------------------------------------------------------------------------------

_any_text = st.text(st.characters(codec="utf-8"), max_size=30)
_json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), _any_text)
events = st.builds(
    AuditEvent,
    seq=st.integers(0, 2**62),
    time=st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)),
    actor=_any_text, tenant=_any_text, action=_any_text, object=_any_text,
    outcome=st.one_of(st.sampled_from(["success", "failure", "denied"]), _any_text),
    digest=st.one_of(st.just(""), _any_text),
    details=st.dictionaries(_any_text, _json_scalar, max_size=4),
)


# -- registry and interface ----------------------------------------------------------------------


def test_registry_names_every_exporter() -> None:
    assert set(EXPORTERS) == {"jsonl", "cef", "ocsf"}
    for name, exporter_class in EXPORTERS.items():
        exporter = get_exporter(name)
        assert isinstance(exporter, exporter_class) and isinstance(exporter, Exporter)
        assert exporter.name == name
        assert exporter.media_type


def test_get_exporter_ignores_case_and_spaces() -> None:
    assert isinstance(get_exporter(" OCSF "), OcsfExporter)


def test_unknown_exporter_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        get_exporter("splunk")
    assert caught.value.exit_code == 2
    assert "cef, jsonl, ocsf" in caught.value.message


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_render_is_lazy_and_yields_one_line_per_event(name: str) -> None:
    exporter = get_exporter(name)
    pulled: list[int] = []

    def stream() -> Iterator[AuditEvent]:
        for event in sample_events():
            pulled.append(event.seq)
            yield event

    lines = exporter.render(stream())
    assert pulled == []  # nothing is read before the first line is asked for
    first = next(lines)
    assert pulled == [1]
    rest = list(lines)
    assert len([first, *rest]) == len(sample_events())
    for line in [first, *rest]:
        assert "\n" not in line and "\r" not in line


def test_epoch_ms_treats_naive_times_as_utc() -> None:
    aware = datetime(2025, 6, 1, 12, 0, 0, 123999, tzinfo=UTC)
    assert epoch_ms(aware) == 1748779200123
    assert epoch_ms(aware.replace(tzinfo=None)) == 1748779200123


# -- JSON Lines ----------------------------------------------------------------------------------


def test_jsonl_lines_are_the_canonical_entries() -> None:
    lines = list(get_exporter("jsonl").render(sample_events()))
    for event, line in zip(sample_events(), lines, strict=True):
        assert line.encode("utf-8") == canonical_bytes(event)
        document = json.loads(line)
        assert (document["seq"], document["actor"], document["action"], document["object"]) == (
            event.seq, event.actor, event.action, event.object)
        assert document["details"] == event.details


@settings(max_examples=150, deadline=None)
@given(event=events)
def test_jsonl_is_one_parseable_line_for_any_event(event: AuditEvent) -> None:
    (line,) = get_exporter("jsonl").render([event])
    assert "\n" not in line and "\r" not in line
    assert json.loads(line)["object"] == event.object


# -- CEF -----------------------------------------------------------------------------------------


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Characters of CEF text with whether each was backslash-escaped."""
    tokens, index = [], 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            tokens.append((text[index + 1], True))
            index += 2
        else:
            tokens.append((text[index], False))
            index += 1
    return tokens


def split_cef(line: str) -> tuple[list[str], str]:
    """The seven unescaped header fields and the raw extension text after the seventh pipe."""
    header: list[str] = []
    field: list[str] = []
    index = 0
    while len(header) < 7:
        char = line[index]
        if char == "\\":
            field.append(line[index + 1])  # header escapes are \\ and \| only
            index += 2
            continue
        if char == "|":
            header.append("".join(field))
            field = []
        else:
            field.append(char)
        index += 1
    return header, line[index:]


def parse_cef(line: str) -> tuple[list[str], dict[str, str]]:
    """A small, independent CEF reader: the seven header fields and the extension pairs."""
    header, extension = split_cef(line)
    return header, parse_extension(extension)


def parse_extension(text: str) -> dict[str, str]:
    tokens = _tokens(text)
    equals = [i for i, (char, escaped) in enumerate(tokens) if char == "=" and not escaped]
    starts = []
    for position in equals:  # a key runs back from its "=" to the previous unescaped space
        start = position
        while start > 0 and tokens[start - 1] != (" ", False):
            start -= 1
        starts.append(start)
    pairs: dict[str, str] = {}
    for n, (start, position) in enumerate(zip(starts, equals, strict=True)):
        end = starts[n + 1] - 1 if n + 1 < len(starts) else len(tokens)
        key = "".join(char for char, _ in tokens[start:position])
        value = "".join({"n": "\n", "r": "\r"}.get(char, char) if escaped else char
                        for char, escaped in tokens[position + 1:end])
        assert key not in pairs, f"duplicate key {key}"
        pairs[key] = value
    return pairs


def _single_line(text: str) -> str:
    return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def expected_extension(event: AuditEvent) -> dict[str, str]:
    expected = {
        "rt": str(epoch_ms(event.time)), "suser": event.actor, "act": event.action,
        "outcome": event.outcome, "cs1Label": "object", "cs1": event.object, "cn1Label": "seq",
        "cn1": str(event.seq), "externalId": str(event.seq), "cs3Label": "tenant", "cs3": event.tenant,
    }
    if event.digest:
        expected |= {"cs2Label": "digest", "cs2": event.digest}
    if event.details:
        expected |= {"cs4Label": "details",
                     "cs4": json.dumps(event.details, sort_keys=True, separators=(",", ":"), default=str)}
    return expected


def test_cef_line_layout() -> None:
    (line,) = CefExporter(version="1.2.3").render([make_event()])
    assert line.startswith("CEF:0|SynthGuard|SynthGuard|1.2.3|dataset.register|dataset.register|1|rt=")
    header, extension = parse_cef(line)
    assert header == ["CEF:0", "SynthGuard", "SynthGuard", "1.2.3", "dataset.register",
                      "dataset.register", "1"]
    assert extension == expected_extension(make_event())
    assert extension["rt"] == "1748779200123"


def test_cef_default_version_is_the_package_version() -> None:
    (line,) = get_exporter("cef").render([make_event()])
    assert parse_cef(line)[0][3] == product_version()


def test_cef_escaping_examples_from_the_guide() -> None:
    assert escape_header("detected a | in message") == "detected a \\| in message"
    assert escape_header("detected a \\ in packet") == "detected a \\\\ in packet"
    assert escape_extension("This is a=b") == "This is a\\=b"
    assert escape_extension("C:\\dir") == "C:\\\\dir"
    assert escape_extension("line1\nline2\r") == "line1\\nline2\\r"
    assert escape_extension("a|b") == "a|b"  # pipes need no escaping in the extension


@pytest.mark.parametrize(("outcome", "severity"),
                         [("success", "1"), ("failure", "5"), ("denied", "7"), ("other", "3")])
def test_cef_severity_follows_outcome(outcome: str, severity: str) -> None:
    (line,) = get_exporter("cef").render([make_event(outcome=outcome)])
    assert parse_cef(line)[0][6] == severity


@settings(max_examples=300, deadline=None)
@given(event=events)
def test_cef_round_trips_any_text(event: AuditEvent) -> None:
    (line,) = CefExporter(version="1.0|beta\\x").render([event])
    assert "\n" not in line and "\r" not in line
    header, extension = parse_cef(line)
    # Exactly seven unescaped pipes end the header; the extension may hold more, unescaped.
    header_text = line[: len(line) - len(split_cef(line)[1])]
    assert header_text.endswith("|")
    assert sum(1 for char, escaped in _tokens(header_text) if char == "|" and not escaped) == 7
    assert header == ["CEF:0", "SynthGuard", "SynthGuard", "1.0|beta\\x", _single_line(event.action),
                      _single_line(event.action), header[6]]
    assert 0 <= int(header[6]) <= 10
    assert extension == expected_extension(event)


# -- OCSF ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ocsf_validator() -> Draft202012Validator:
    schema = json.loads(OCSF_SCHEMA_PATH.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def assert_valid_ocsf(validator: Draft202012Validator, document: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(error.absolute_path)}: {error.message}" for error in errors)


def test_vendored_ocsf_schema_matches_the_generator() -> None:
    generator = pytest.importorskip("ocsf_json_schema")
    ocsf = generator.OcsfJsonSchemaEmbedded(generator.get_ocsf_schema(version="1.8.0"))
    assert ocsf.lookup_class_name_from_uid(6003) == "api_activity"
    assert ocsf.get_class_schema("api_activity") == json.loads(OCSF_SCHEMA_PATH.read_text("utf-8"))


def test_ocsf_lines_validate_against_the_api_activity_schema(ocsf_validator: Draft202012Validator) -> None:
    for line in get_exporter("ocsf").render(sample_events()):
        assert_valid_ocsf(ocsf_validator, json.loads(line))


@settings(max_examples=150, deadline=None)
@given(event=events)
def test_ocsf_is_valid_for_any_event(ocsf_validator: Draft202012Validator, event: AuditEvent) -> None:
    (line,) = get_exporter("ocsf").render([event])
    assert "\n" not in line and "\r" not in line
    document = json.loads(line)
    assert_valid_ocsf(ocsf_validator, document)
    assert document["type_uid"] == document["class_uid"] * 100 + document["activity_id"]


def test_ocsf_field_mapping() -> None:
    document = to_ocsf(make_event(), synthguard_version="1.2.3")
    assert document | {
        "class_uid": 6003, "category_uid": 6, "activity_id": 1, "activity_name": "Create",
        "type_uid": 600301, "time": 1748779200123, "severity_id": 1, "status_id": 1, "status": "Success",
        "actor": {"user": {"name": "alice"}}, "resources": [{"uid": "orders_synth@2"}],
        "unmapped": {"rows": 1000, "note": "first cut"},
    } == document
    assert document["api"]["operation"] == "dataset.register"
    assert document["metadata"] == {
        "version": "1.8.0",
        "product": {"name": "SynthGuard", "vendor_name": "SynthGuard", "version": "1.2.3"},
        "uid": DIGEST, "sequence": 7, "log_name": "synthguard-audit", "tenant_uid": "default"}


def test_ocsf_metadata_uid_falls_back_to_seq_and_optional_parts_are_left_out() -> None:
    document = to_ocsf(make_event(42, digest="", object="", details={}))
    assert document["metadata"]["uid"] == "42"
    assert "resources" not in document and "unmapped" not in document


@pytest.mark.parametrize(("outcome", "status_id", "severity_id", "detail"), [
    ("success", 1, 1, None), ("failure", 2, 3, None), ("denied", 2, 4, "denied"), ("timeout", 99, 2, None)])
def test_ocsf_status_and_severity_follow_outcome(outcome: str, status_id: int, severity_id: int,
                                                 detail: str | None) -> None:
    document = to_ocsf(make_event(outcome=outcome))
    assert (document["status_id"], document["severity_id"]) == (status_id, severity_id)
    assert document.get("status_detail") == detail
    if status_id == 99:
        assert document["status"] == outcome


@pytest.mark.parametrize(("action", "expected"), [
    ("dataset.register", 1), ("workspace.init", 1), ("dataset.verify", 2), ("audit.verify", 2),
    ("dataset.export_bundle", 2), ("key.rotate", 3), ("release.approve", 3), ("key.revoke", 4),
    ("dataset.delete", 4), ("frobnicate", 99), ("", 99)])
def test_ocsf_activity_from_action_verb(action: str, expected: int) -> None:
    assert activity_id(action) == expected


def test_ocsf_other_activity_is_labelled_with_the_action() -> None:
    document = to_ocsf(make_event(action="gate.frobnicate"))
    assert (document["activity_id"], document["activity_name"], document["type_uid"]) == (
        99, "gate.frobnicate", 600399)
