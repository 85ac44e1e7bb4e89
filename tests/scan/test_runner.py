"""The runner: malformed JSON / HCL / YAML / Bicep become SG-PARSE-001 findings with file and line and
the scan goes on; binary, oversized and non-UTF-8 files are skipped with a note; one misconfiguration
is found alike in ARM, Bicep, Terraform HCL and a Terraform plan; registered datasets count as synthetic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datasets import META, write_dataset
from synthguard.errors import InputError
from synthguard.scan import ScanOptions, scan, scan_paths
from synthguard.scan.synthetic import Catalogue
from synthguard.workspace import Workspace

PUBLIC_TF = """resource "azurerm_storage_account" "public" {
  name                            = "stpublic"
  resource_group_name             = "rg"
  location                        = "westeurope"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  allow_nested_items_to_be_public = true
}
"""

MALFORMED = {
    "broken.json": ('{\n  "resources": [\n    {"type": "x",}\n  ]\n}\n', 3),
    "broken.tf": ('resource "azurerm_storage_account" "a" {\n  name = "a"\n  tags = {\n    x = \n}\n', 4),
    "broken.yaml": ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\nspec: {}\n", 5),
    "broken.bicep": ("resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: 'x'\n  properties: {\n",
                     None),
}


def test_malformed_files_become_parse_findings_and_the_scan_goes_on(tmp_path: Path) -> None:
    for name, (text, _) in MALFORMED.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "good.tf").write_text(PUBLIC_TF)
    result = scan([tmp_path])
    parse = {Path(f.file).name: f for f in result.findings if f.check_id == "SG-PARSE-001"}
    assert set(parse) == set(MALFORMED)
    for name, (_, line) in MALFORMED.items():
        if line is not None:
            assert parse[name].line == line, (name, parse[name])
        assert parse[name].message.startswith("invalid ")
    assert any(f.check_id == "SG-STO-001" and f.file.endswith("good.tf") for f in result.findings)


def test_binary_oversized_and_non_utf8_files_are_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"\x00\x01\x02sv=2022-11-02&sig=abc" * 10)
    (tmp_path / "big.json").write_text("[" + "1," * 600 + "1]")
    (tmp_path / "latin1.tf").write_bytes(b'# caf\xe9\nresource "x" "y" {}\n')
    (tmp_path / "good.tf").write_text(PUBLIC_TF)
    result = scan([tmp_path], ScanOptions(max_file_bytes=1000))
    notes = {Path(n.file).name: n.message for n in result.notes}
    assert notes["model.bin"] == "skipped: binary file"
    assert "larger than" in notes["big.json"]
    assert "not UTF-8" in notes["latin1.tf"]
    assert result.files_scanned == 1
    assert [f.check_id for f in result.findings] == ["SG-STO-001"]


def test_helm_templates_are_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "deployment.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                                              "  name: {{ .Values.name }}\n  labels: {{- include \"x\" . }}\n")
    result = scan([tmp_path])
    assert "Helm" in result.notes[0].message and not result.findings


def test_missing_path_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        scan([tmp_path / "nope"])
    assert caught.value.exit_code == 2 and "nope" in caught.value.diagnostics()


def test_excluded_directories_are_not_walked(tmp_path: Path) -> None:
    (tmp_path / ".terraform" / "modules").mkdir(parents=True)
    (tmp_path / ".terraform" / "modules" / "x.tf").write_text(PUBLIC_TF)
    assert scan([tmp_path]).files_scanned == 0


ARM = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
       "contentVersion": "1.0.0.0", "resources": [{
           "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "stpublic",
           "properties": {"allowBlobPublicAccess": True, "minimumTlsVersion": "TLS1_2"}}]}
BICEP = """resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {
  name: 'stpublic'
  properties: {
    allowBlobPublicAccess: true
    minimumTlsVersion: 'TLS1_2'
  }
}
"""
PLAN = {"format_version": "1.2", "planned_values": {"root_module": {"resources": [{
    "address": "azurerm_storage_account.public", "mode": "managed", "type": "azurerm_storage_account",
    "name": "public", "values": {"name": "stpublic", "allow_nested_items_to_be_public": True}}]}}}


@pytest.mark.parametrize("name,text", [
    ("main.tf", PUBLIC_TF), ("azuredeploy.json", json.dumps(ARM, indent=2)), ("main.bicep", BICEP),
    ("plan.json", json.dumps(PLAN, indent=2)),
])
def test_one_check_serves_every_iac_format(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    result = scan([tmp_path])
    hits = [f for f in result.findings if f.check_id == "SG-STO-001"]
    assert len(hits) == 1 and hits[0].line is not None
    assert result.resources == 1


def test_catalogue_names_make_storage_synthetic(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(PUBLIC_TF.replace('"stpublic"', '"customers-exports"'))
    plain = scan([tmp_path])
    known = scan([tmp_path], ScanOptions(catalogue=Catalogue(names=frozenset({"customers"}))))
    assert not [f for f in plain.findings if f.check_id == "SG-STO-007"]
    hit = [f for f in known.findings if f.check_id == "SG-STO-007"]
    assert hit and "registered dataset 'customers'" in hit[0].message


def test_scan_paths_reads_the_workspace_catalogue(ws: Workspace, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "exports")
    ws.register([data / "customers.csv"], name="customers", **META)
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(PUBLIC_TF.replace('"stpublic"', '"customers"'))
    result = scan_paths([tmp_path / "infra"], workspace=ws)
    assert any(f.check_id == "SG-STO-007" for f in result.findings)
    assert next(f for f in result.findings if f.check_id == "SG-STO-001").severity.value == "critical"
