"""``synthguard policy export``: every Azure Policy rule validates against Microsoft's policy-rule
schema (vendored in tests/scan/schemas), the initiative references every definition, the rules
actually scope to resources tagged synthetic, and the Sentinel rules are well-formed YAML."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from clirunner import run_cli
from synthguard.scan import CHECKS
from synthguard.scan.enforce import DEFINITIONS, INITIATIVE_NAME, RULES, ExportOptions, export
from synthguard.scan.live import LIVE_CHECKS

SCHEMAS = Path(__file__).parent / "schemas"


def _validator() -> Draft4Validator:
    rule = json.loads((SCHEMAS / "azure-policy-definition-2020-10-01.json").read_text(encoding="utf-8"))
    common = json.loads((SCHEMAS / "azure-common-definitions.json").read_text(encoding="utf-8"))
    registry = Registry().with_resources([
        (rule["id"].rstrip("#"), DRAFT4.create_resource(rule)),
        (common["id"].rstrip("#"), Resource.from_contents(common, default_specification=DRAFT4)),
    ])
    return Draft4Validator(rule, registry=registry)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("policy")
    export(out, ExportOptions(scope="/subscriptions/1b2c3d4e-0000-4000-8000-000000000001",
                              containers=("customers-synth",)))
    return out


def _definitions(root: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((root / "policy/definitions").glob("*.json"))]


def test_every_policy_rule_validates_against_the_azure_schema(exported: Path) -> None:
    validator = _validator()
    docs = _definitions(exported)
    assert len(docs) == len(DEFINITIONS) >= 6
    for doc in docs:
        errors = [e.message for e in validator.iter_errors(doc["properties"]["policyRule"])]
        assert errors == [], (doc["name"], errors)


def test_the_schema_rejects_a_broken_rule() -> None:
    validator = _validator()
    assert not validator.is_valid({"if": {"field": "type", "equals": True}, "then": {"effect": "deny"}})
    assert not validator.is_valid({"if": {"field": "type", "equals": "x"}, "then": {"effect": "explode"}})
    assert validator.is_valid({"if": {"field": "type", "equals": "x"}, "then": {"effect": "[parameters('e')]"}})


def test_definitions_are_parameterised_and_scoped_to_synthetic(exported: Path) -> None:
    known = {c.info.id for c in CHECKS} | {c.id for c in LIVE_CHECKS}
    for doc in _definitions(exported):
        props = doc["properties"]
        assert doc["type"] == "Microsoft.Authorization/policyDefinitions" and doc["name"].startswith("synthguard-")
        assert props["policyType"] == "Custom" and props["mode"] == "Indexed" and props["displayName"]
        assert props["parameters"]["effect"]["allowedValues"] == ["Audit", "Deny", "Disabled"]
        assert props["policyRule"]["then"] == {"effect": "[parameters('effect')]"}
        conditions = json.dumps(props["policyRule"]["if"])
        assert "tags['synthetic']" in conditions  # only resources marked synthetic are in scope
        assert set(props["metadata"]["synthguardChecks"]) <= known
        for name in props["policyRule"]["if"]["allOf"][2:]:
            assert name  # the violation condition is present
    covered = {c for d in _definitions(exported) for c in d["properties"]["metadata"]["synthguardChecks"]}
    for check in ("SG-STO-001", "SG-STO-003", "SG-STO-004", "SG-KV-001", "SG-SAS-007", "SG-STO-007"):
        assert check in covered


def test_initiative_references_every_definition_at_the_scope(exported: Path) -> None:
    doc = json.loads((exported / "policy/initiative.json").read_text(encoding="utf-8"))
    assert doc["name"] == INITIATIVE_NAME and doc["type"] == "Microsoft.Authorization/policySetDefinitions"
    refs = doc["properties"]["policyDefinitions"]
    assert sorted(r["policyDefinitionReferenceId"] for r in refs) == sorted(s.name for s in DEFINITIONS)
    for ref in refs:
        assert ref["policyDefinitionId"] == ("/subscriptions/1b2c3d4e-0000-4000-8000-000000000001/providers/"
                                             f"Microsoft.Authorization/policyDefinitions/{ref['policyDefinitionReferenceId']}")
        assert ref["parameters"]["effect"]["value"] == "[parameters('effect')]"
    assert doc["properties"]["parameters"]["effect"]["defaultValue"] == "Audit"


def test_sentinel_rules_are_well_formed(exported: Path) -> None:
    files = sorted((exported / "sentinel").glob("*.yaml"))
    assert len(files) == len(RULES) == 3
    ids = set()
    for path in files:
        rule = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key in ("id", "name", "description", "severity", "requiredDataConnectors", "queryFrequency",
                    "queryPeriod", "triggerOperator", "triggerThreshold", "tactics", "relevantTechniques", "query",
                    "entityMappings", "version", "kind"):
            assert key in rule, (path.name, key)
        ids.add(str(uuid.UUID(rule["id"])))
        assert rule["kind"] == "Scheduled" and rule["severity"] in ("Informational", "Low", "Medium", "High")
        query = rule["query"]
        assert "StorageBlobLogs" in query and '"customers-synth"' in query
        assert query.count("(") == query.count(")") and query.count("[") == query.count("]")
        for column in {m["columnName"] for e in rule["entityMappings"] for m in e["fieldMappings"]}:
            assert column in query.split("| summarize")[-1]  # mapped columns survive the summarize
    assert len(ids) == 3
    texts = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))["query"] for p in files}
    assert 'AuthenticationType =~ "Anonymous"' in texts["synthetic-anonymous-read"]
    assert "ipv4_is_in_any_range" in texts["synthetic-sas-unknown-ip"]


def test_exported_initiative_satisfies_the_scan_policy_checks(exported: Path, tmp_path: Path) -> None:
    """Assigning the exported initiative is what SG-POL-001 / SG-POL-002 ask for."""
    from synthguard.scan import scan

    storage = {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "stsynth",
               "location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
               "tags": {"data-classification": "synthetic"}, "properties": {}}
    assignment = {"type": "Microsoft.Authorization/policyAssignments", "apiVersion": "2022-06-01",
                  "name": "synthguard", "properties": {"policyDefinitionId": "/subscriptions/1b2c3d4e-0000-4000-"
                  f"8000-000000000001/providers/Microsoft.Authorization/policySetDefinitions/{INITIATIVE_NAME}"}}
    template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0", "resources": [storage]}
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(template), encoding="utf-8")
    assert {"SG-POL-001", "SG-POL-002"} <= {f.check_id for f in scan([bare]).findings}
    enforced = tmp_path / "enforced.json"
    enforced.write_text(json.dumps({**template, "resources": [storage, assignment]}), encoding="utf-8")
    assert not {"SG-POL-001", "SG-POL-002"} & {f.check_id for f in scan([enforced]).findings}


def test_cli_export_json_and_bad_input(tmp_path: Path) -> None:
    out = run_cli("policy", "export", "--out", str(tmp_path / "p"), "--format", "json")
    assert out.code == 0, out.err
    files = json.loads(out.out)["files"]
    assert len(files) == len(DEFINITIONS) + 1 + len(RULES) and all(Path(f).exists() for f in files)
    bad = run_cli("policy", "export", "--out", str(tmp_path / "q"), "--scope", "subscriptions/x y")
    assert bad.code == 2 and "scope" in bad.err and not (tmp_path / "q").exists()
    bad = run_cli("policy", "export", "--out", str(tmp_path / "r"), "--known-network", "10.0.0.0/33")
    assert bad.code == 2 and "10.0.0.0/33" in bad.err and not (tmp_path / "r").exists()
    afile = tmp_path / "file"
    afile.write_text("x", encoding="utf-8")
    bad = run_cli("policy", "export", "--out", str(afile))
    assert bad.code == 2 and str(afile) in bad.err
