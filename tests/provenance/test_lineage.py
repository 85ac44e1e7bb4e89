"""Lineage exports: PROV-JSON against the W3C PROV-JSON schema, OpenLineage against the spec.

The schemas are vendored under ``schemas/`` (see its README.md for their sources), so these tests
run offline and fail if an export drifts from the published formats.
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import prov
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from prov.model import ProvDocument
from referencing import Registry, Resource

from synthguard.models import Column, DatasetVersion, FileDigest, ShardDigest, TableInfo
from synthguard.provenance.openlineage import (
    SYNTHETIC_FACET_SCHEMA_URL,
    SyntheticDatasetFacet,
    run_id,
    synthetic_facet_schema,
    to_openlineage_events,
)
from synthguard.provenance.prov_json import (
    dataset_id,
    source_id,
    to_prov_document,
    to_prov_json,
)

SCHEMAS = Path(__file__).parent / "schemas"
OPENLINEAGE_SPEC_ID = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


def make_version(name: str = "orders_synth", number: int = 1, *, parent: str | None = None,
                 **overrides: Any) -> DatasetVersion:
    sha = "cd" * 32
    fields: dict[str, Any] = dict(
        id=f"dv-{name}-{number}", name=name, version=number, digest="sha256:" + "ab" * 32,
        generator="sdv-ctgan 1.12", source="orders_2025 (real, EU)", purpose="model testing",
        owner="alice@example.com", classification="internal", tags={"team": "risk", "pii": "none"},
        parent=parent, created_at=datetime(2025, 3, number, 9, 30, tzinfo=UTC), created_by="alice",
        rows=1000, tables=(TableInfo("parquet", (Column("order_id", "int64"), Column("amount", "double")), 1000,
                                   "part 0.parquet"),),
        files=(FileDigest("part 0.parquet", 2048, sha, (ShardDigest(0, 2048, sha),)),),
    )
    fields.update(overrides)
    return DatasetVersion(**fields)


def lineage() -> list[DatasetVersion]:
    """A version and its ancestors, newest first, as the catalogue hands them over."""
    return [make_version(number=2, parent="orders_synth@1"), make_version(number=1)]


# --------------------------------------------------------------------------------------------
# PROV-JSON


@pytest.fixture(scope="module")
def prov_json_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / "prov-json.schema.json").read_text("utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def assert_valid_prov_json(validator: jsonschema.protocols.Validator, text: str) -> None:
    errors = sorted(validator.iter_errors(json.loads(text)), key=str)
    assert not errors, "\n".join(str(error) for error in errors)


def test_prov_json_validates_against_w3c_schema(prov_json_validator: jsonschema.protocols.Validator) -> None:
    assert_valid_prov_json(prov_json_validator, to_prov_json(lineage()))


def test_prov_json_round_trips_through_prov() -> None:
    document = to_prov_document(lineage())
    text = to_prov_json(lineage())

    assert ProvDocument.deserialize(content=text, format="json") == document
    assert prov.read(io.StringIO(text), format="json") == document


def test_prov_document_records_generation_usage_agents_and_derivation() -> None:
    data = json.loads(to_prov_json(lineage()))
    v2, v1 = "synthguard:dataset/orders_synth@2", "synthguard:dataset/orders_synth@1"
    activity = "synthguard:generation/orders_synth@2"

    assert data["prefix"]["synthguard"] == "https://synthguard.dev/ns#"
    entity = data["entity"][v2]
    assert entity["synthguard:digest"] == "sha256:" + "ab" * 32
    assert entity["synthguard:rows"] == {"$": "1000", "type": "xsd:int"}
    assert entity["synthguard:classification"] == "internal"
    assert entity["synthguard:purpose"] == "model testing"
    assert json.loads(entity["synthguard:tags"]) == {"team": "risk", "pii": "none"}
    assert data["activity"][activity]["prov:endTime"] == "2025-03-02T09:30:00+00:00"

    def relations(kind: str) -> list[dict[str, Any]]:
        return list(data.get(kind, {}).values())

    assert {"prov:entity": v2, "prov:activity": activity,
            "prov:time": "2025-03-02T09:30:00+00:00"} in relations("wasGeneratedBy")
    used = [r["prov:entity"] for r in relations("used") if r["prov:activity"] == activity]
    assert used == [str(source_id("orders_2025 (real, EU)"))]
    roles = {r["prov:role"]["$"]: r["prov:agent"] for r in relations("wasAssociatedWith")
             if r["prov:activity"] == activity}
    assert roles == {"synthguard:owner": "synthguard:person/alice@example.com",
                     "synthguard:generator": "synthguard:software/sdv-ctgan%201.12"}
    assert data["agent"]["synthguard:person/alice@example.com"]["prov:type"]["$"] == "prov:Person"
    assert data["agent"]["synthguard:software/sdv-ctgan%201.12"]["prov:type"]["$"] == "prov:SoftwareAgent"
    assert {"prov:entity": v2, "prov:agent": "synthguard:person/alice@example.com"} \
        in relations("wasAttributedTo")
    derivations = [(r["prov:generatedEntity"], r["prov:usedEntity"]) for r in relations("wasDerivedFrom")]
    assert derivations == [(v2, v1)]
    members = {(r["prov:collection"], r["prov:entity"]) for r in relations("hadMember")}
    assert (v2, "synthguard:file/orders_synth@2/part%200.parquet") in members


def test_shared_source_and_agents_are_declared_once() -> None:
    data = json.loads(to_prov_json(lineage()))
    sources = [key for key in data["entity"] if key.startswith("synthguard:source/")]
    assert len(sources) == 1
    assert len(data["agent"]) == 2


def test_source_id_is_stable_and_distinguishes_similar_text() -> None:
    assert source_id("orders_2025 (real, EU)") == source_id("orders_2025 (real, EU)")
    assert source_id("a b") != source_id("a-b")
    assert str(source_id("orders_2025 (real, EU)")).startswith("synthguard:source/orders-2025-real-eu-")


def test_files_can_be_left_out() -> None:
    data = json.loads(to_prov_json(lineage(), include_files=False))
    assert "hadMember" not in data
    types = data["entity"]["synthguard:dataset/orders_synth@1"]["prov:type"]
    assert types == {"$": "synthguard:SyntheticDataset", "type": "xsd:QName"}


def test_parent_outside_the_list_is_still_referenced(
        prov_json_validator: jsonschema.protocols.Validator) -> None:
    text = to_prov_json([make_version(number=3, parent="orders_base@7")])
    assert_valid_prov_json(prov_json_validator, text)
    derivation = next(iter(json.loads(text)["wasDerivedFrom"].values()))
    assert derivation["prov:usedEntity"] == str(dataset_id("orders_base", 7))


_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(name=_text, source=_text, owner=_text, generator=_text, path=_text,
       tags=st.dictionaries(_text, _text, max_size=3))
def test_any_text_yields_valid_round_tripping_prov(
        prov_json_validator: jsonschema.protocols.Validator, name: str, source: str, owner: str,
        generator: str, path: str, tags: dict[str, str]) -> None:
    sha = "ef" * 32
    version = make_version(name=name, source=source, owner=owner, generator=generator, tags=tags,
                           files=(FileDigest(path, 1, sha, (ShardDigest(0, 1, sha),)),))
    text = to_prov_json([version])
    assert_valid_prov_json(prov_json_validator, text)
    assert ProvDocument.deserialize(content=text, format="json") == to_prov_document([version])


# --------------------------------------------------------------------------------------------
# OpenLineage


@pytest.fixture(scope="module")
def openlineage_registry() -> Registry[Any]:
    """The vendored OpenLineage spec and facet schemas plus SynthGuard's own facet schema."""
    documents = [json.loads(path.read_text("utf-8")) for path in (SCHEMAS / "openlineage").glob("*.json")]
    documents.append(synthetic_facet_schema())
    return Registry().with_resources(
        (document["$id"], Resource.from_contents(document)) for document in documents)


def validator_for(registry: Registry[Any], schema_url: str) -> Draft202012Validator:
    # A $ref wrapper keeps the target's relative refs ("#/$defs/...") resolving in its own file.
    return Draft202012Validator({"$ref": schema_url}, registry=registry)


def facets_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Every facet in a run event, wherever the spec lets one appear."""
    found = [*event["run"].get("facets", {}).values(), *event["job"].get("facets", {}).values()]
    for dataset in [*event.get("inputs", []), *event.get("outputs", [])]:
        for group in ("facets", "inputFacets", "outputFacets"):
            found.extend(dataset.get(group, {}).values())
    return found


def test_vendored_openlineage_schemas_are_valid_2020_12() -> None:
    for path in (SCHEMAS / "openlineage").glob("*.json"):
        Draft202012Validator.check_schema(json.loads(path.read_text("utf-8")))
    Draft202012Validator.check_schema(synthetic_facet_schema())


def test_events_validate_against_the_openlineage_spec(openlineage_registry: Registry[Any]) -> None:
    events = to_openlineage_events(lineage())
    spec = validator_for(openlineage_registry, OPENLINEAGE_SPEC_ID)
    for event in events:
        errors = sorted(spec.iter_errors(event), key=str)
        assert not errors, "\n".join(str(error) for error in errors)
        assert event["schemaURL"].startswith(OPENLINEAGE_SPEC_ID)


def test_every_facet_validates_against_the_schema_its_url_names(
        openlineage_registry: Registry[Any]) -> None:
    for event in to_openlineage_events(lineage()):
        facets = facets_of(event)
        assert len(facets) >= 6
        for facet in facets:
            validator = validator_for(openlineage_registry, facet["_schemaURL"])
            errors = sorted(validator.iter_errors(facet), key=str)
            assert not errors, f"{facet['_schemaURL']}: " + "\n".join(str(error) for error in errors)


def test_formats_the_validator_does_not_check() -> None:
    # jsonschema skips "date-time" and "uri" without optional packages: check them here.
    for event in to_openlineage_events(lineage(), producer="https://example.org/synthguard/1.0"):
        assert datetime.fromisoformat(event["eventTime"]).tzinfo is not None
        for url in [event["producer"], event["schemaURL"], *(f["_producer"] for f in facets_of(event)),
                    *(f["_schemaURL"] for f in facets_of(event))]:
            assert urlparse(url).scheme == "https" and urlparse(url).netloc


def test_event_content_per_version() -> None:
    newest, oldest = lineage()
    event, _ = to_openlineage_events([newest, oldest], namespace="acme")
    assert event["eventType"] == "COMPLETE"
    assert event["run"]["runId"] == str(run_id(newest))
    assert uuid.UUID(event["run"]["runId"]).version == 5
    assert event["job"] == {**event["job"], "namespace": "acme", "name": "orders_synth.generate"}
    assert [d["name"] for d in event["inputs"]] == ["source:orders_2025 (real, EU)"]
    (output,) = event["outputs"]
    assert (output["namespace"], output["name"]) == ("acme", "orders_synth")
    facets = output["facets"]
    assert facets["version"]["datasetVersion"] == "2"
    assert [(f["name"], f["type"]) for f in facets["schema"]["fields"]] == [
        ("order_id", "int64"), ("amount", "double")]
    assert {(t["key"], t["value"]) for t in facets["tags"]["tags"]} == {("team", "risk"), ("pii", "none")}
    assert output["outputFacets"]["outputStatistics"] == {
        **output["outputFacets"]["outputStatistics"], "rowCount": 1000, "size": 2048, "fileCount": 1}
    synthetic = facets["synthetic"]
    assert synthetic["_schemaURL"] == f"{SYNTHETIC_FACET_SCHEMA_URL}#/$defs/SyntheticDatasetFacet"
    assert {k: synthetic[k] for k in ("generator", "source", "purpose", "owner", "classification",
                                      "digest", "version", "parent")} == {
        "generator": "sdv-ctgan 1.12", "source": "orders_2025 (real, EU)", "purpose": "model testing",
        "owner": "alice@example.com", "classification": "internal", "digest": "sha256:" + "ab" * 32,
        "version": 2, "parent": "orders_synth@1"}


def test_run_ids_are_deterministic_and_distinct() -> None:
    first = [e["run"]["runId"] for e in to_openlineage_events(lineage())]
    again = [e["run"]["runId"] for e in to_openlineage_events(lineage())]
    assert first == again
    assert len(set(first)) == 2


def test_root_version_has_no_parent_and_no_tags_facet_when_untagged(
        openlineage_registry: Registry[Any]) -> None:
    (event,) = to_openlineage_events([make_version(tags={})])
    facets = event["outputs"][0]["facets"]
    assert "parent" not in facets["synthetic"]
    assert "tags" not in facets
    assert not list(validator_for(openlineage_registry, OPENLINEAGE_SPEC_ID).iter_errors(event))


def test_events_serialise_to_json() -> None:
    events = to_openlineage_events(lineage())
    assert json.loads(json.dumps(events)) == events


def test_synthetic_facet_schema_rejects_bad_facets(openlineage_registry: Registry[Any]) -> None:
    good = to_openlineage_events([make_version()])[0]["outputs"][0]["facets"]["synthetic"]
    validator = validator_for(openlineage_registry, good["_schemaURL"])
    assert not list(validator.iter_errors(good))
    missing = {k: v for k, v in good.items() if k != "digest"}
    typo = {**good, "clasification": "internal"}
    wrong_type = {**good, "version": "2"}
    bad_parent = {**good, "parent": "no-version"}
    no_producer = {k: v for k, v in good.items() if k != "_producer"}
    for bad in (missing, typo, wrong_type, bad_parent, no_producer):
        assert list(validator.iter_errors(bad)), bad


def test_synthetic_facet_schema_ships_with_the_package() -> None:
    schema = synthetic_facet_schema()
    assert schema["$id"] == SYNTHETIC_FACET_SCHEMA_URL
    declared = set(schema["$defs"]["SyntheticDatasetFacet"]["allOf"][1]["properties"])
    model_fields = {a.name for a in SyntheticDatasetFacet.__attrs_attrs__} - {"_producer", "_schemaURL",
                                                                             "_deleted"}
    assert declared == model_fields


def test_a_multi_table_version_nests_one_field_per_table(openlineage_registry: Registry[Any]) -> None:
    tables = (TableInfo("csv", (Column("customer_id", "string"),), 10, "customers.csv"),
              TableInfo("parquet", (Column("order_id", "string"), Column("amount", "double")), 20,
                        "orders.parquet"))
    event = to_openlineage_events([make_version(tables=tables)])[0]
    validator_for(openlineage_registry, OPENLINEAGE_SPEC_ID).validate(event)
    for facet in facets_of(event):
        validator_for(openlineage_registry, facet["_schemaURL"]).validate(facet)
    fields = event["outputs"][0]["facets"]["schema"]["fields"]
    assert [(f["name"], [c["name"] for c in f["fields"]]) for f in fields] == [
        ("customers.csv", ["customer_id"]), ("orders.parquet", ["order_id", "amount"])]
