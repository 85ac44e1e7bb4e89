"""``synthguard disclose scan | rewrite | apim`` from the shell: exit codes, report formats (SARIF checked
against the OASIS schema), audit events with a workspace, and bad input that writes nothing."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from clirunner import run_cli
from synthguard import config
from synthguard.disclosure import Declaration, apim_policy, validate_policy
from synthguard.disclosure.apim import glob_to_regex
from synthguard.errors import InputError
from synthguard.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"
MANIFEST = str(FIXTURES / "declarations.csv")
SARIF_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture
def site(tmp_path: Path) -> Path:
    target = tmp_path / "site"
    shutil.copytree(FIXTURES, target, ignore=shutil.ignore_patterns("*.py", "*.json", "*.csv"))
    return target


@pytest.fixture
def no_workspace(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SYNTHGUARD_HOME", str(tmp_path / "none"))


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_scan_formats_and_exit_codes(site: Path, tmp_path: Path, no_workspace: None) -> None:
    text = run_cli("disclose", "scan", str(site), "-m", MANIFEST)
    assert text.code == 1 and "SGD003 visible-label" in text.out and "/luma/joust-duffle-bag.html" in text.out
    as_json = run_cli("disclose", "scan", str(site), "-m", MANIFEST, "--format", "json")
    report = json.loads(as_json.out)
    assert as_json.code == 1 and report["summary"]["pages"] == 33 and report["summary"]["gaps"] > 100
    sarif = run_cli("disclose", "scan", str(site), "-m", MANIFEST, "--format", "sarif",
                    "--out", str(tmp_path / "r.sarif"))
    log = json.loads((tmp_path / "r.sarif").read_text())
    jsonschema.validate(log, SARIF_SCHEMA)
    results = log["runs"][0]["results"]
    assert sarif.code == 1 and len(results) == report["summary"]["gaps"]
    first = results[0]
    assert first["ruleId"].startswith("SGD") and first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    html = run_cli("disclose", "scan", str(site), "-m", MANIFEST, "--format", "html", "--out", str(tmp_path / "r.html"))
    page = (tmp_path / "r.html").read_text()
    assert html.code == 1 and "<script" not in page and "visible-label" in page and "/dawn/cart.html" in page
    summary = report["summary"]
    assert f"<strong class=\"gap\">{summary['gaps']} gap(s)</strong> on 33 page(s)" in page
    assert f"<td>{summary['items']} ({summary['disclosed']} fully disclosed)</td>" in page


def test_rewrite_then_scan_is_clean(site: Path, tmp_path: Path, no_workspace: None) -> None:
    out = tmp_path / "fixed"
    result = run_cli("disclose", "rewrite", str(site), "-m", MANIFEST, "--out", str(out), "--format", "json")
    assert result.code == 0, result.err
    files = json.loads(result.out)
    assert len(files) == 33 and all(f["remaining"] in (0, None) for f in files)
    assert run_cli("disclose", "scan", str(out), "-m", MANIFEST).code == 0
    again = run_cli("disclose", "rewrite", str(out), "-m", MANIFEST, "--in-place")
    assert again.code == 0 and "0 gap(s) fixed" in again.out
    single = run_cli("disclose", "rewrite", str(site / "luma" / "bags.html"), "-m", MANIFEST, "--base-path", "/luma")
    assert single.code == 0 and single.out == (out / "luma" / "bags.html").read_text()  # stdout is the page
    assert run_cli("disclose", "scan", str(site / "luma"), "-m", MANIFEST, "--base-path", "luma/").code == 1


def test_rewrite_and_scan_are_audited_with_a_workspace(ws: Workspace, cli_env: config.Settings, site: Path,
                                                      tmp_path: Path) -> None:
    page = site / "dawn" / "cart.html"
    manifest = tmp_path / "ai.csv"  # with a workspace, named datasets must exist in its catalogue
    manifest.write_text("url_pattern,selector,generator\n*,product-recommendations,recsys-synth 2.1\n")
    assert run_cli("disclose", "rewrite", str(page), "-m", str(manifest), "--in-place").code == 0
    assert run_cli("disclose", "scan", str(page), "-m", str(manifest)).code == 0
    unknown = run_cli("disclose", "scan", str(page), "-m", MANIFEST)
    assert unknown.code == 2 and "row 2, field 'dataset': unknown dataset 'luma-descriptions'" in unknown.err
    bad = tmp_path / "bad.csv"
    bad.write_text("url_pattern,selector,generator\n*,div[,g\n")
    assert run_cli("disclose", "rewrite", str(page), "-m", str(bad), "--in-place").code == 2
    exported = run_cli("audit", "export", "--format", "jsonl")
    events = [json.loads(line) for line in exported.out.splitlines() if "disclosure." in line]
    actions = [(e.get("action"), e.get("outcome")) for e in events]
    assert ("disclosure.rewrite", "success") in actions and ("disclosure.scan", "success") in actions
    assert ("disclosure.rewrite", "failure") in actions
    rewrite = next(e for e in events if e.get("action") == "disclosure.rewrite" and e.get("outcome") == "success")
    assert rewrite["digest"].startswith("sha256:") and rewrite["details"]["fixed"]
    assert run_cli("audit", "verify").code == 0


def test_bad_manifest_is_one_line_and_writes_nothing(site: Path, tmp_path: Path, no_workspace: None) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("url_pattern,selector,generator\n/luma/*,.ok,g\n/dawn/*,div:nope(1),g\n")
    before = {p: p.read_bytes() for p in site.rglob("*.html")}
    for args in (("scan", str(site)), ("rewrite", str(site), "--in-place"), ("apim",)):
        result = run_cli("disclose", *args, "-m", str(bad))
        line = _one_line(result.err)
        assert result.code == 2 and "bad.csv, row 3, field 'selector': invalid CSS selector" in line, line
    assert {p: p.read_bytes() for p in site.rglob("*.html")} == before
    missing = run_cli("disclose", "scan", str(tmp_path / "nowhere"), "-m", MANIFEST)
    assert missing.code == 2 and "no such file" in _one_line(missing.err)
    several = run_cli("disclose", "rewrite", str(site), "-m", MANIFEST)
    assert several.code == 2 and "--out DIR or --in-place" in _one_line(several.err)
    catalog = run_cli("disclose", "scan", str(site), "--catalog")
    assert catalog.code == 2 and "needs a workspace" in _one_line(catalog.err)


def test_apim_policy(tmp_path: Path, no_workspace: None) -> None:
    out = tmp_path / "policy.xml"
    result = run_cli("disclose", "apim", "-m", MANIFEST, "--out", str(out))
    assert result.code == 0
    root = ET.parse(out).getroot()
    assert [child.tag for child in root] == ["inbound", "backend", "outbound", "on-error"]
    whens = root.findall("./outbound/choose/when")
    assert len(whens) == 4  # one per URL pattern; SKU-only rules have no path to match
    first = whens[0]
    assert first.get("condition") == '@(Regex.IsMatch(context.Request.Url.Path, "^/luma/.*$"))'
    header = first.find("set-header")
    assert header is not None and header.get("name") == "AI-Disclosure"
    assert header.findtext("value", "").startswith('mode=ai-modified, model="gpt-4o-mini 2024-07-18; recsys')
    body = first.findtext("choose/when/set-body", "")
    assert "As<JToken>(preserveContent: true)" in body and '"_aiDisclosure"' in body and "luma-renders@1" in body
    replace = first.find("choose/when/find-and-replace")
    assert replace is not None and replace.get("from") == "</head>"
    assert json.loads(run_cli("disclose", "apim", "-m", MANIFEST, "--format", "json").out)["declarations"] == 15


def test_apim_validation_rejects_what_apim_would() -> None:
    policy = apim_policy([Declaration(".x", 'say "hi"', url_pattern="/api/checkout/*")])
    validate_policy(policy)
    assert glob_to_regex("/api/v?/items*") == "^/api/v./items.*$" and glob_to_regex("re:^/x$") == "^/x$"
    for broken, words in ((policy.replace("<backend>", "<backend><retry />", 1), "<retry> is not"),
                          (policy.replace("<base />", "", 1), "must keep <base />"),
                          (policy.replace("exists-action=\"override\"", "exists-action=\"replace\""), "exists-action"),
                          (policy.replace("</policies>", ""), "not well-formed"),
                          (policy.replace("Path, &quot;", "Path, (&quot;", 1), "unbalanced")):
        with pytest.raises(InputError, match=words):
            validate_policy(broken)
    with pytest.raises(InputError, match="url_pattern"):
        apim_policy([Declaration(".x", "g", sku="S1")])
