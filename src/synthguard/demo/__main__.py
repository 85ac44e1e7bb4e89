"""``python -m synthguard.demo`` (``make demo``): the foundation end to end, narrated.

Runs the real CLI in a scratch workspace under ``./demo-output``: init → register → verify →
tamper one byte → verify fails → register the new content as version 2 → lineage export →
auditor's offline check → the gate catching synthetic rows in a production export → audit log
verification. Exits non-zero if any step misbehaves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .sample import write_production_export, write_sample

OUT = Path("demo-output")
META = ["--generator", "ctgan 0.10.1 (demo sample)", "--source", "orders_2025 (real, EU)",
        "--purpose", "fraud-model training", "--owner", "ana@shop.example"]


def step(title: str, explanation: str, args: list[str], *, expect: int = 0, show_lines: int = 40) -> str:
    print(f"\n\033[1m== {title}\033[0m\n{explanation}\n$ synthguard {' '.join(args)}", flush=True)
    env = os.environ | {"SYNTHGUARD_HOME": str(OUT / ".synthguard"), "SYNTHGUARD_ACTOR": "demo@shop.example"}
    env.pop("SYNTHGUARD_DATABASE_URL", None)
    proc = subprocess.run([sys.executable, "-m", "synthguard", *args], env=env, capture_output=True, text=True)
    lines = (proc.stdout + proc.stderr).rstrip().splitlines()
    more = f"\n… ({len(lines) - show_lines} more lines)" if len(lines) > show_lines else ""
    print("\n".join(lines[:show_lines]) + more)
    if proc.returncode != expect:
        sys.exit(f"demo failed: expected exit {expect}, got {proc.returncode}")
    print(f"(exit code {proc.returncode}, as expected)")
    return proc.stdout


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    data = write_sample(OUT / "exports")
    print(f"Wrote a deterministic synthetic sample to {data}/: customers.csv (500 rows), orders.parquet (2000 rows)")
    step("1. init", "Create the workspace: database, Ed25519 signing key (mode 0600), config.", ["init"])
    step("2. register", "Record generator, source, purpose and owner; digest every file; sign an in-toto "
         "statement in a DSSE envelope.", ["register", str(data), "--name", "customers", *META,
                                          "--tag", "env=test", "--tag", "region=eu"])
    step("3. verify", "Recompute the digests, find the version by content, check its signature.",
         ["verify", str(data)])
    target = data / "customers.csv"
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    target.write_bytes(bytes(raw))
    print(f"\n(tampering: flipped one bit of byte {len(raw) // 2} in {target})")
    step("4. verify again", "One flipped bit: verification fails and names the file and shard.",
         ["verify", str(data), "--name", "customers"], expect=1)
    step("5. new version", "Changed content registers as the next version, with version 1 as parent.",
         ["register", str(data), "--name", "customers", *META])
    prov = step("6. lineage", "W3C PROV-JSON: source, versions, generation activity, owner and generator.",
                ["lineage", "customers@2", "--format", "prov-json"], show_lines=12)
    (OUT / "customers.prov.json").write_text(prov)
    print(f"(the whole document is in {OUT / 'customers.prov.json'})")
    bundle = OUT / "customers@2.bundle.json"
    step("7. bundle", "Export what an auditor needs to verify without our database.",
         ["export-bundle", "customers@2", "--out", str(bundle)])
    key = sorted((OUT / ".synthguard" / "keys").glob("*.pub"))[0]
    step("8. offline verify", "The auditor's view: files + bundle + public key, no database.",
         ["verify", str(data), "--bundle", str(bundle), "--key", str(key)])
    export = write_production_export(data / "orders.parquet", OUT / "production-export.parquet")
    print(f"\n(a nightly export to production: 300 new orders with 20 synthetic ones hidden among them: {export})")
    step("9. gate", "The gate finds the registered synthetic rows by fingerprint and keeps them out; "
         "rows in = clean + quarantined, always.",
         ["gate", "check", str(export), "--policy", "block", "--out", str(OUT / "production-clean.parquet"),
          "--quarantine", str(OUT / "quarantine")], expect=1)
    step("10. audit verify", "Every step above is in the Merkle audit log; recompute it and check every "
         "signed checkpoint.", ["audit", "verify"])
    print(f"\nDone. Workspace and outputs are in {OUT}/ — try: SYNTHGUARD_HOME={OUT}/.synthguard "
          ".venv/bin/synthguard show customers")


if __name__ == "__main__":
    main()
