"""Registering versions: numbering, idempotence, parents, tags, signatures, browsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from datasets import META, write_dataset
from synthguard.catalog.browse import Filters
from synthguard.errors import NotFoundError
from synthguard.provenance import dsse, intoto
from synthguard.workspace import Workspace


def test_register_records_schema_rows_digests_and_signature(ws: Workspace, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data", n=40)
    result = ws.register([data], name="customers", tags={"env": "test"}, **META)
    v = result.version
    assert result.created and v.ref == "customers@1" and v.parent is None
    assert v.rows == 120  # 40 rows in each of three files
    assert {t.path: t.rows for t in v.tables} == {"customers.csv": 40, "customers.jsonl": 40,
                                                  "customers.parquet": 40}
    assert all([c.name for c in t.columns] == ["customer_id", "email", "country", "lifetime_value"]
               for t in v.tables)
    assert sorted(f.path for f in v.files) == ["customers.csv", "customers.jsonl", "customers.parquet"]
    assert v.digest.startswith("sha256:") and v.tags == {"env": "test"}
    stmt = intoto.decode(dsse.verify(v.envelope, ws.keyring))
    assert {s["name"] for s in stmt["subject"]} == {f.path for f in v.files}
    assert stmt["predicate"]["generator"] == META["generator"]
    assert stmt["predicate"]["manifest"]["root"] == v.digest


def test_same_content_is_the_same_version_and_changed_content_the_next(ws: Workspace, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data")
    first = ws.register([data], name="customers", **META).version
    again = ws.register([data], name="customers", **META)
    assert not again.created and again.version.id == first.id
    write_dataset(data, seed=1)
    second = ws.register([data], name="customers", **META).version
    assert second.ref == "customers@2" and second.parent == "customers@1"
    assert [v.ref for v in ws.lineage("customers@2")] == ["customers@2", "customers@1"]


def test_list_filters_by_tag_generator_and_owner(ws: Workspace, tmp_path: Path) -> None:
    ws.register([write_dataset(tmp_path / "a")], name="customers", tags={"env": "test"}, **META)
    ws.register([write_dataset(tmp_path / "b", seed=2)], name="orders",
                **(META | {"generator": "sdv 1.2", "owner": "bo@shop.example"}))
    assert [v.ref for v in ws.versions(Filters({"env": "test"}))] == ["customers@1"]
    assert [v.ref for v in ws.versions(Filters({}, generator="sdv"))] == ["orders@1"]
    assert [v.ref for v in ws.versions(Filters({}, owner="ana@shop.example"))] == ["customers@1"]
    assert len(ws.versions()) == 2


def test_unknown_version_is_a_clear_error(ws: Workspace, tmp_path: Path) -> None:
    ws.register([write_dataset(tmp_path / "a")], name="customers", **META)
    with pytest.raises(NotFoundError, match="latest is customers@1"):
        ws.lineage("customers@7")
    with pytest.raises(NotFoundError, match="unknown dataset"):
        ws.lineage("nope")


def test_registering_is_audited_with_the_version_digest(ws: Workspace, tmp_path: Path) -> None:
    v = ws.register([write_dataset(tmp_path / "a")], name="customers", **META).version
    events = [e for e in ws.audit.events() if e.action == "dataset.register"]
    assert [(e.object, e.digest, e.outcome) for e in events] == [("customers@1", v.digest, "success")]
