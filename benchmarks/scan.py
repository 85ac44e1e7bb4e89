"""Benchmark of the IaC scan: SynthGuard (in-process and CLI) vs Checkov on the same generated tree.

What it measures, in one run on this machine:

* **the tree**: ``--variants`` copies (default 8) of every positive and negative fixture in
  ``tests/scan/fixtures`` (ARM, Bicep, Terraform HCL and plan JSON, Kubernetes YAML, Entra / ADF /
  DevOps exports, scripts with SAS URLs) — 66 files per copy, so 528 templates by default — written to
  ``--workdir`` (default ``/tmp/synthguard-bench-scan``). Each copy is its own directory (Terraform
  references stay within one module, as in a real repository) and differs from the others in its
  region (rotated through six Azure regions) and in resource names (``-v<N>`` suffixes on names
  quoted after ``name``), so no tool can answer from a cache.
* **SynthGuard in-process**: ``synthguard.scan.scan([tree])`` — best of ``--repeat`` runs after one warm-up;
* **SynthGuard CLI**: ``synthguard scan TREE --format json --fail-on none`` in a fresh subprocess
  (interpreter start-up and imports included), best of ``--repeat``;
* **Checkov**: ``checkov -d TREE -o json --quiet --skip-download`` for the frameworks both tools read
  (arm, bicep, terraform, terraform_plan, kubernetes), offline (``BC_SKIP_MAPPING``), best of
  ``--repeat``. Found as ``--checkov``, ``$SYNTHGUARD_CHECKOV`` or ``checkov`` on PATH; it is not a
  project dependency (its pins clash with ours: install it into its own venv, e.g. ``/tmp/checkov-venv``).

Finding counts are printed for both; they are not the same thing (each tool has its own checks, and
only ours know which data is synthetic), so the counts are context, the times are the comparison.

    .venv/bin/python benchmarks/scan.py [--variants 8] [--repeat 3] [--checkov /tmp/checkov-venv/bin/checkov]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from synthguard.scan import scan

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests/scan/fixtures"
REGIONS = ("westeurope", "northeurope", "germanywestcentral", "francecentral", "swedencentral", "uksouth")
_NAME = re.compile(r'((?:"name"|\bname)\s*[:=]\s*")([a-z][a-z0-9-]{2,40})(")')


def generate(workdir: Path, variants: int) -> int:
    if workdir.exists():
        shutil.rmtree(workdir)
    count = 0
    for v in range(variants):
        for src in sorted(FIXTURES.rglob("*")):
            if not src.is_file():
                continue
            text = src.read_text(encoding="utf-8").replace("westeurope", REGIONS[v % len(REGIONS)])
            if v:  # names stay valid (lower-case, hyphens) and differ per copy
                text = _NAME.sub(rf"\g<1>\g<2>-v{v}\g<3>", text)
            dest = workdir / f"v{v:03d}" / src.relative_to(FIXTURES)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
            count += 1
    return count


def best(fn: object, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times), out


def checkov_count(binary: str, tree: Path) -> int:
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_SKIP_VERSION_CHECK": "TRUE", "LOG_LEVEL": "ERROR"}
    proc = subprocess.run([binary, "-d", str(tree), "-o", "json", "--quiet", "--skip-download", "--framework",
                           "arm", "bicep", "terraform", "terraform_plan", "kubernetes"],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"checkov failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    reports = json.loads(proc.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return sum(len(r.get("results", {}).get("failed_checks", [])) for r in reports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/synthguard-bench-scan"))
    parser.add_argument("--checkov", default=os.environ.get("SYNTHGUARD_CHECKOV") or shutil.which("checkov")
                        or ("/tmp/checkov-venv/bin/checkov" if Path("/tmp/checkov-venv/bin/checkov").exists()
                            else None))
    args = parser.parse_args()
    files = generate(args.workdir, args.variants)
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}")
    print(f"tree: {files} templates in {args.workdir} ({args.variants} variants of {FIXTURES.relative_to(ROOT)})")

    scan([args.workdir])  # warm-up: imports, parser tables
    ours_s, result = best(lambda: scan([args.workdir]), args.repeat)
    print(f"synthguard in-process: {ours_s:8.2f} s  {len(result.findings):6d} findings "  # type: ignore[attr-defined]
          f"({result.files_scanned} files, {result.resources} resources)")  # type: ignore[attr-defined]

    cli = [sys.executable, "-m", "synthguard", "scan", str(args.workdir), "--format", "json", "--fail-on", "none"]
    env = {**os.environ, "SYNTHGUARD_HOME": str(args.workdir.parent / "synthguard-bench-nohome")}
    cli_s, proc = best(lambda: subprocess.run(cli, capture_output=True, text=True, env=env, check=True), args.repeat)
    cli_findings = len(json.loads(proc.stdout)["findings"])  # type: ignore[attr-defined]
    print(f"synthguard CLI:        {cli_s:8.2f} s  {cli_findings:6d} findings")

    if not args.checkov:
        print("checkov:               not installed (pip install checkov into /tmp/checkov-venv) — no peer figure")
        return
    ck_s, ck_count = best(lambda: checkov_count(args.checkov, args.workdir), args.repeat)
    print(f"checkov:               {ck_s:8.2f} s  {ck_count:6d} findings (failed checks)")
    print(f"ratio: checkov / synthguard in-process = {ck_s / ours_s:.1f}x, checkov / synthguard CLI = "
          f"{ck_s / cli_s:.1f}x")


if __name__ == "__main__":
    main()
