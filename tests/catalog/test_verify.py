"""Verification online and offline: any flipped byte in a file or the envelope is caught."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasets import META, write_dataset
from synthguard.catalog import bundle
from synthguard.store.tables import VersionRow
from synthguard.workspace import Workspace


def test_verify_finds_the_version_by_content(ws: Workspace, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data")
    ws.register([data], name="customers", **META)
    result = ws.verify([data])
    assert result.ok and result.ref == "customers@1" and result.key_id == ws.signer.key_id


def test_unknown_content_is_reported_not_guessed(ws: Workspace, tmp_path: Path) -> None:
    ws.register([write_dataset(tmp_path / "data")], name="customers", **META)
    result = ws.verify([write_dataset(tmp_path / "other", seed=9)])
    assert not result.ok and "content unknown" in result.reason


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), bit=st.integers(0, 7))
def test_any_flipped_byte_in_any_file_is_named(ws: Workspace, tmp_path: Path, position: float, bit: int) -> None:
    data = tmp_path / "data"
    if not data.exists():
        write_dataset(data)
        ws.register([data], name="customers", **META)
    target = sorted(data.iterdir())[int(position * 3)]
    original = target.read_bytes()
    index = int(position * len(original))
    flipped = bytearray(original)
    flipped[index] ^= 1 << bit
    target.write_bytes(bytes(flipped))
    try:
        result = ws.verify([data], "customers@1")
        assert not result.ok and target.name in result.reason
    finally:
        target.write_bytes(original)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(field=st.sampled_from(["payload", "sig"]), position=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_any_change_to_the_stored_envelope_fails_verification(ws: Workspace, tmp_path: Path, field: str,
                                                              position: float, bit: int) -> None:
    data = tmp_path / "data"
    if not data.exists():
        write_dataset(data)
        ws.register([data], name="customers", **META)
    with ws.session() as session, session.begin():
        row = session.query(VersionRow).one()
        original = row.envelope
        envelope = json.loads(json.dumps(original))
        holder = envelope if field == "payload" else envelope["signatures"][0]
        raw = bytearray(base64.b64decode(holder[field]))
        raw[int(position * len(raw))] ^= 1 << bit
        holder[field] = base64.b64encode(bytes(raw)).decode()
        row.envelope = envelope
    try:
        result = ws.verify([data], "customers@1")
        assert not result.ok and "attestation" in result.reason
    finally:
        with ws.session() as session, session.begin():
            session.query(VersionRow).one().envelope = original


def test_offline_bundle_verifies_with_the_public_key_only(ws: Workspace, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data")
    v = ws.register([data], name="customers", **META).version
    bundle_path = tmp_path / "b.json"
    bundle_path.write_text(json.dumps(bundle.bundle_of(v)))
    key = next(ws.settings.keys_dir.glob("*.pub"))
    assert bundle.verify_offline([data], bundle_path, key).ok
    (data / "customers.csv").write_bytes((data / "customers.csv").read_bytes() + b"x")
    result = bundle.verify_offline([data], bundle_path, key)
    assert not result.ok and "customers.csv" in result.reason


def test_bundle_with_wrong_key_or_edited_manifest_fails(ws: Workspace, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data")
    v = ws.register([data], name="customers", **META).version
    bundle_path = tmp_path / "b.json"
    doc = bundle.bundle_of(v)
    bundle_path.write_text(json.dumps(doc))
    old_key = next(ws.settings.keys_dir.glob("*.pub"))
    ws.rotate_key()
    new_key = next(p for p in ws.settings.keys_dir.glob("*.pub") if p != old_key)
    assert not bundle.verify_offline([data], bundle_path, new_key).ok
    doc["manifest"]["files"][0]["shards"][0][2] = "0" * 64
    bundle_path.write_text(json.dumps(doc))
    assert not bundle.verify_offline([data], bundle_path, old_key).ok


def test_signatures_made_before_a_key_rotation_still_verify(ws: Workspace, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data")
    ws.register([data], name="customers", **META)
    old, new = ws.rotate_key()
    assert old != new and set(ws.keyring.keys) == {old, new}
    assert ws.verify([data]).ok
    assert ws.audit.verify().ok


def test_every_character_of_the_stored_envelope_matters(ws: Workspace, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data")
    ws.register([data], name="customers", **META)
    with ws.session() as session:
        original = session.query(VersionRow).one().envelope
    text = original["signatures"][0]["sig"]
    for i in range(len(text)):
        if text[i] == "=":
            continue
        changed = json.loads(json.dumps(original))
        changed["signatures"][0]["sig"] = text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1:]
        with ws.session() as session, session.begin():
            session.query(VersionRow).one().envelope = changed
        assert not ws.verify([data], "customers@1").ok, i
