"""Tag detectors and the gate's combination of them."""

from __future__ import annotations

import pyarrow as pa
import pytest

from synthguard.errors import InputError
from synthguard.gate import Gate, GateConfig
from synthguard.gate.detectors import build_detectors
from synthguard.gate.detectors.metadata import stamp_metadata


def gate(**config: object) -> Gate:
    return Gate(build_detectors(GateConfig(**config)))  # type: ignore[arg-type]


@pytest.mark.parametrize(("email", "reserved"), [
    ("ana@example.com", True), ("Ana@EXAMPLE.org ", True), ("x@sub.example.net", True), ("x@shop.test", True),
    ("x@host.invalid", True), ("x@localhost", True), ("x@foo.example", True),
    ("ana@shop.com", False), ("ana@example.com.evil.io", False), ("example.com@shop.de", False), (None, False),
])
def test_reserved_test_email_domains(email: str | None, reserved: bool) -> None:
    result = gate().check(pa.table({"customer_email": [email]}))
    assert bool(result.mask[0]) is reserved


def test_email_rule_only_reads_email_columns_unless_configured() -> None:
    table = pa.table({"note": ["a@example.com"], "contact": ["b@example.com"]})
    assert gate().check(table).synthetic == 0
    assert gate(email_columns=("contact",)).check(table).synthetic == 1


def test_marker_columns_including_crm_fields() -> None:
    table = pa.table({"Synthetic__c": ["true", "FALSE", None, "1"], "is_synthetic": [False, True, None, False]})
    result = gate().check(table)
    assert result.mask.tolist() == [True, True, False, True]
    assert result.matches[1].detector == "marker-column"


def test_id_prefixes_are_off_until_configured() -> None:
    table = pa.table({"customer_id": ["SYN-001", "C-002"], "name": ["SYN-x", "y"]})
    assert gate().check(table).synthetic == 0
    result = gate(id_prefixes=("SYN-",)).check(table)
    assert result.mask.tolist() == [True, False] and "customer_id" in result.matches[0].reason


def test_file_metadata_marks_every_row_and_names_the_version() -> None:
    table = pa.table({"a": [1, 2, 3]}).replace_schema_metadata(stamp_metadata("customers@3", "sha256:00"))
    result = gate().check(table)
    assert result.synthetic == 3 and result.versions() == {"customers@3": 3}


def test_pandas_and_polars_frames() -> None:
    pandas = pytest.importorskip("pandas")
    polars = pytest.importorskip("polars")
    data = {"email": ["a@example.com", "b@shop.de"]}
    assert gate().check(pandas.DataFrame(data)).mask.tolist() == [True, False]
    assert gate().check(polars.DataFrame(data)).mask.tolist() == [True, False]


def test_unsupported_input_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="cannot check a list"):
        gate().check([1, 2])


def test_reasons_are_per_row() -> None:
    result = gate().check(pa.table({"email": ["a@example.com", "b@shop.de"]}))
    reasons = result.reasons()
    assert reasons[1] is None and reasons[0] is not None and "test-email-domain" in reasons[0]
