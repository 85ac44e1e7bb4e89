"""Live storage scanning against a real Azurite: a registered synthetic file in a public container
is found (container, blob and dataset@version named); a private, classified copy is not."""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path

import pytest

from clirunner import run_cli
from synthguard.scan.live import DigestIndex, redact, scan_storage
from synthguard.workspace import Workspace

pytest.importorskip("azure.storage.blob")
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobServiceClient

CSV = b"customer_id,email,lifetime_value\n1,ana@shop.example,120.5\n2,bo@shop.example,80.0\n"


def _register(ws: Workspace, tmp_path: Path, content: bytes = CSV) -> str:
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    result = ws.register([path], name="customers", generator="ctgan 0.10.1", source="orders_2025 (real, EU)",
                         purpose="fraud-model training", owner="ana@shop.example")
    return result.version.ref


def _container(service: BlobServiceClient, prefix: str, **kwargs: object) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    service.create_container(name, **kwargs)  # type: ignore[arg-type]
    return name


@pytest.fixture
def service(azurite: str) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(azurite)


def test_public_container_with_registered_file_is_found(ws: Workspace, tmp_path: Path, azurite: str,
                                                        service: BlobServiceClient) -> None:
    ref = _register(ws, tmp_path)
    public = _container(service, "exports", public_access="blob")
    service.get_blob_client(public, "drop/customers.csv").upload_blob(CSV)
    # Same size, different bytes: hashed, but must not match.
    decoy = _container(service, "decoy", public_access="container")
    service.get_blob_client(decoy, "other.csv").upload_blob(CSV.replace(b"ana", b"eva"))

    result = scan_storage(azurite, workspace=ws)

    hits = [f for f in result.findings if f.check_id == "SG-LIVE-001"]
    assert len(hits) == 1
    hit = hits[0]
    assert public in hit.message and "drop/customers.csv" in hit.message and ref in hit.message
    assert hit.file.startswith("http://127.0.0.1:") and hit.file.endswith(f"/{public}/drop/customers.csv")
    assert hit.resource == f"devstoreaccount1/{public}/drop/customers.csv"
    assert not [f for f in result.findings if decoy in f.resource]
    unclassified = [f for f in result.findings if f.check_id == "SG-LIVE-003" and public in f.resource]
    assert len(unclassified) == 1


def test_private_classified_container_is_clean(ws: Workspace, tmp_path: Path, azurite: str,
                                               service: BlobServiceClient) -> None:
    _register(ws, tmp_path)
    private = _container(service, "private", metadata={"data_classification": "synthetic"})
    blob = service.get_blob_client(private, "customers.csv")
    blob.upload_blob(CSV)
    # An emulator without the tags API still has the container metadata.
    with contextlib.suppress(HttpResponseError):
        blob.set_blob_tags({"data-classification": "synthetic"})
    result = scan_storage(azurite, workspace=ws)
    assert [f for f in result.findings if private in f.resource] == []
    # A tagged-only copy (no registration needed) in a production-named container is flagged.
    prod = _container(service, "synth-prod")
    service.get_blob_client(prod, "x.parquet").upload_blob(b"PAR1", metadata={"synthetic": "true"})
    flagged = scan_storage(azurite, digests=DigestIndex())
    assert [f.check_id for f in flagged.findings if prod in f.resource] == ["SG-LIVE-002"]


def test_cli_storage_scan_json_and_audit(ws: Workspace, cli_env: object, tmp_path: Path, azurite: str,
                                         service: BlobServiceClient) -> None:
    ref = _register(ws, tmp_path)
    public = _container(service, "cli", public_access="container")
    service.get_blob_client(public, "customers.csv").upload_blob(CSV)
    out = run_cli("scan", "--storage", azurite, "--format", "json")
    assert out.code == 1, out.err
    report = json.loads(out.out)
    mine = [f for f in report["findings"] if public in f["resource"] and f["check_id"] == "SG-LIVE-001"]
    assert mine and ref in mine[0]["message"]
    assert "AccountKey=***" in report["targets"][0] and "Eby8" not in out.out
    # the scan was audited without the account key
    events = [e for e in ws.audit.events() if e.action == "scan.run"]
    assert events and events[-1].outcome == "success"
    assert all("Eby8" not in e.object and "AccountKey=***" in e.object for e in events)


def test_storage_findings_in_sarif_validate(ws: Workspace, cli_env: object, tmp_path: Path, azurite: str,
                                            service: BlobServiceClient) -> None:
    from jsonschema import Draft4Validator, FormatChecker

    _register(ws, tmp_path)
    public = _container(service, "sarif", public_access="blob")
    service.get_blob_client(public, "customers.csv").upload_blob(CSV)
    out = run_cli("scan", "--storage", azurite, "--format", "sarif")
    assert out.code == 1, out.err
    doc = json.loads(out.out)
    schema = json.loads((Path(__file__).parent / "schemas/sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    assert [e.message for e in Draft4Validator(schema, format_checker=FormatChecker()).iter_errors(doc)] == []
    rules = {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert {"SG-LIVE-001", "SG-LIVE-002", "SG-LIVE-003"} <= rules
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]
    assert any(u.startswith("http://127.0.0.1:") and u.endswith(f"/{public}/customers.csv") for u in uris)


def test_unreachable_storage_is_bad_input(cli_env: object) -> None:
    out = run_cli("scan", "--storage", "not a connection string")
    assert out.code == 2
    assert out.err.startswith("error: ") and "storage" in out.err and len(out.err.strip().splitlines()) == 1


def test_redact_hides_keys_and_signatures() -> None:
    text = "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net"
    assert "c2VjcmV0" not in redact(text) and "AccountName=a" in redact(text)
    url = "https://a.blob.core.windows.net/?sv=2022-11-02&ss=b&sig=abc%3D"
    assert redact(url) == "https://a.blob.core.windows.net/"
    assert "abc" not in redact("BlobEndpoint=https://a/;SharedAccessSignature=sv=1&sig=abc")
