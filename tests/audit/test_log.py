"""The audit log in the store: group commit, tamper detection, proofs, crash safety."""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from synthguard.audit import merkle, proofs
from synthguard.audit.checkpoint import open_note
from synthguard.audit.verify import verifiers
from synthguard.config import Settings
from synthguard.store.tables import AuditEntryRow, CheckpointRow
from synthguard.workspace import Workspace


def _fill(ws: Workspace, n: int) -> None:
    for i in range(n):
        ws.record("test.append", f"object-{i}", details={"i": i})


def test_concurrent_appends_get_distinct_sequence_numbers_and_verify(ws: Workspace) -> None:
    seqs: list[int] = []
    lock = threading.Lock()

    def writer(k: int) -> None:
        for i in range(25):
            event = ws.audit.append(ws.draft("test.append", f"w{k}-{i}"))
            with lock:
                seqs.append(event.seq)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    start = min(seqs)
    assert sorted(seqs) == list(range(start, start + 400))
    result = ws.audit.verify()
    assert result.ok, result.reason
    assert result.checkpoints < result.entries  # group commit: fewer checkpoints than entries


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_changed_entry_field_is_named(ws: Workspace, data: st.DataObject) -> None:
    if ws.audit.verify().entries < 10:
        _fill(ws, 12)
    n = ws.audit.verify().entries
    seq = data.draw(st.integers(0, n - 1))
    column = data.draw(st.sampled_from(["actor", "action", "object", "outcome", "digest"]))
    with ws.session() as session, session.begin():
        original = getattr(session.get(AuditEntryRow, seq), column)
        session.execute(update(AuditEntryRow).where(AuditEntryRow.seq == seq).values({column: original + "x"}))
    try:
        result = ws.audit.verify()
        assert not result.ok and result.first_bad_entry == seq
    finally:
        with ws.session() as session, session.begin():
            session.execute(update(AuditEntryRow).where(AuditEntryRow.seq == seq).values({column: original}))
    assert ws.audit.verify().ok


def test_rewriting_an_entry_and_its_leaf_hash_is_caught_by_the_checkpoint(ws: Workspace) -> None:
    _fill(ws, 5)
    with ws.session() as session, session.begin():
        row = session.get(AuditEntryRow, 3)
        assert row is not None
        row.object = "forged"
        from synthguard.audit.entry import canonical_bytes, event_from_row
        row.leaf_hash = merkle.leaf_hash(canonical_bytes(event_from_row(row))).hex()
    result = ws.audit.verify()
    assert not result.ok and result.bad_checkpoint is not None and "do not match" in result.reason


def test_a_deleted_entry_is_named(ws: Workspace) -> None:
    _fill(ws, 5)
    with ws.session() as session, session.begin():
        session.delete(session.get(AuditEntryRow, 2))
    result = ws.audit.verify()
    assert not result.ok and result.first_bad_entry == 2


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(position=st.floats(0, 1, exclude_max=True))
def test_any_flipped_byte_in_a_checkpoint_is_caught(ws: Workspace, position: float) -> None:
    if ws.audit.verify().entries < 3:
        _fill(ws, 3)
    with ws.session() as session, session.begin():
        cp = session.query(CheckpointRow).order_by(CheckpointRow.id.desc()).first()
        assert cp is not None
        original = cp.note
        raw = bytearray(original.encode())
        i = int(position * len(raw))
        raw[i] = ord("A") if raw[i] != ord("A") else ord("B")
        cp.note = raw.decode("utf-8", errors="replace")
    try:
        assert not ws.audit.verify().ok
    finally:
        with ws.session() as session, session.begin():
            session.query(CheckpointRow).order_by(CheckpointRow.id.desc()).first().note = original  # type: ignore[union-attr]


def test_inclusion_and_consistency_proofs_check_with_the_rfc_algorithm(ws: Workspace) -> None:
    _fill(ws, 20)
    trusted = verifiers(ws.keyring, ws.origin)
    for seq in (0, 7, 19):
        p = proofs.inclusion(ws.engine, seq)
        cp = open_note(p["checkpoint"].encode(), trusted, origin=ws.origin)
        leaf = merkle.leaf_hash(p["entry"].encode())
        assert base64.b64encode(leaf).decode() == p["leaf_hash"]
        path = [base64.b64decode(h) for h in p["proof"]]
        assert merkle.verify_inclusion(leaf, seq, cp.size, path, cp.root_hash)
    c = proofs.consistency(ws.engine, 3)
    old = open_note(c["old_checkpoint"].encode(), trusted)
    new = open_note(c["new_checkpoint"].encode(), trusted)
    assert merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash,
                                     [base64.b64decode(h) for h in c["proof"]])


_WRITER = """
import sys, threading
import synthguard as sg
from synthguard import config
ws = sg.open(config.resolve(home=sys.argv[1], database_url=sys.argv[2]))
run = sys.argv[3]
lock = threading.Lock()
def go(k):
    i = 0
    while True:
        e = ws.audit.append(ws.draft("burst.append", f"{run}-{k}-{i}"))
        with lock:
            sys.stdout.write(f"{e.seq} {e.object}\\n"); sys.stdout.flush()
        i += 1
for k in range(8):
    threading.Thread(target=go, args=(k,), daemon=True).start()
threading.Event().wait()
"""


def test_sigkill_mid_burst_loses_no_acknowledged_entry(ws: Workspace, settings: Settings, tmp_path: Path) -> None:
    rng = random.Random(7)
    acknowledged: dict[int, str] = {}
    for run in range(10):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(settings.home), settings.database_url,
                                 f"run{run}"], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        assert proc.stdout is not None
        lines: list[str] = []
        reader = threading.Thread(target=lines.extend, args=(iter(proc.stdout.readline, ""),))
        reader.start()
        deadline = time.monotonic() + 30
        while len(lines) < 20 and time.monotonic() < deadline:  # wait until the burst is under way
            time.sleep(0.05)
        time.sleep(rng.uniform(0.05, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        reader.join()
        for line in lines:
            seq, obj = line.split()
            acknowledged[int(seq)] = obj
        assert lines, "the writer acknowledged nothing before it was killed"
    result = ws.audit.verify()
    assert result.ok, result.reason
    stored = {e.seq: e.object for e in ws.audit.events()}
    missing = {s: o for s, o in acknowledged.items() if stored.get(s) != o}
    assert not missing, f"acknowledged entries lost: {list(missing)[:5]}"
    assert json.dumps(result.to_json())


def test_every_character_of_a_checkpoint_matters(ws: Workspace) -> None:
    _fill(ws, 3)
    with ws.session() as session:
        cp = session.query(CheckpointRow).order_by(CheckpointRow.id.desc()).first()
        assert cp is not None
        cp_id, original = cp.id, cp.note
    for i, char in enumerate(original):
        replacement = "A" if char != "A" else "B"
        with ws.session() as session, session.begin():
            session.get(CheckpointRow, cp_id).note = original[:i] + replacement + original[i + 1:]  # type: ignore[union-attr]
        assert not ws.audit.verify().ok, (i, char)
    with ws.session() as session, session.begin():
        session.get(CheckpointRow, cp_id).note = original  # type: ignore[union-attr]
    assert ws.audit.verify().ok
