"""Baselines: accepted findings are suppressed until their expiry, then reported again with a note;
malformed baseline files are bad input naming the entry and field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from synthguard.errors import InputError
from synthguard.scan import Baseline, ScanOptions, scan, write_baseline

FIXTURE = Path(__file__).parent / "fixtures" / "SG-STO-002" / "positive.json"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_write_then_apply_suppresses_until_expiry(tmp_path: Path, suffix: str) -> None:
    first = scan([FIXTURE], ScanOptions(now=NOW))
    assert first.findings
    path = tmp_path / f"baseline{suffix}"
    assert write_baseline(first.findings, path, reason="public demo data", expires=date(2026, 6, 30)) == \
        len(first.findings)
    baseline = Baseline.load(path)
    quiet = scan([FIXTURE], ScanOptions(now=NOW), baseline=baseline)
    assert quiet.findings == () and len(quiet.suppressed) == len(first.findings)
    assert quiet.suppressed[0].reason == "public demo data"
    on_expiry_day = scan([FIXTURE], ScanOptions(now=datetime(2026, 6, 30, 23, tzinfo=UTC)), baseline=baseline)
    assert on_expiry_day.findings == ()
    later = scan([FIXTURE], ScanOptions(now=datetime(2026, 7, 1, tzinfo=UTC)), baseline=baseline)
    assert {f.fingerprint for f in later.findings} == {f.fingerprint for f in first.findings}
    assert sum(n.kind == "baseline-expired" for n in later.notes) == len(first.findings)


def test_unused_entries_are_noted(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(f"accepted:\n  - fingerprint: sha256:{'a' * 64}\n    reason: gone\n    expires: 2030-01-01\n")
    result = scan([FIXTURE], ScanOptions(now=NOW), baseline=Baseline.load(path))
    assert [n.kind for n in result.notes] == ["baseline-unused"]


@pytest.mark.parametrize("body,field", [
    ("accepted:\n  - fingerprint: nope\n    reason: r\n    expires: 2030-01-01\n", "fingerprint"),
    (f"accepted:\n  - fingerprint: sha256:{'a' * 64}\n    expires: 2030-01-01\n", "reason"),
    (f"accepted:\n  - fingerprint: sha256:{'a' * 64}\n    reason: r\n    expires: someday\n", "expires"),
    (f"accepted:\n  - fingerprint: sha256:{'a' * 64}\n    reason: r\n", "expires"),
    ("accepted: 3\n", "accepted"),
])
def test_malformed_baseline_is_bad_input(tmp_path: Path, body: str, field: str) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(body)
    with pytest.raises(InputError) as caught:
        Baseline.load(path)
    assert caught.value.field == field and caught.value.path == str(path)
    assert caught.value.exit_code == 2


def test_unparseable_baseline_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text("{nope")
    with pytest.raises(InputError, match="not valid JSON"):
        Baseline.load(path)
