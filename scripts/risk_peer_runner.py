"""Run the re-identification peers (Anonymeter, SDMetrics) on CSV files; print their figures as JSON.

Runs inside the peers' own virtual environment (``scripts/risk-peers.sh``), called by the agreement
test (tests/risk/test_risk_agreement.py) and the benchmark (benchmarks/risk.py). One JSON document on argv:
{"real": csv, "synthetic": csv, "control": csv | null, "n_attacks": 500, "n_cols": 3, "seed": 0,
 "n_attacks_singling_out": 500, "max_attempts": 10000000,
 "aux_cols": [[...], [...]], "secrets": [...], "attacks": ["singling_out.univariate", ...],
 "sdmetrics_dcr": {"synthetic_rows": n} | null}
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd


def _risk(evaluator, seconds: float) -> dict:
    risk = evaluator.risk()
    results = evaluator.results()
    rate = lambda r: None if r is None else [float(r.value), float(r.error)]  # noqa: E731
    return {"risk": float(risk.value), "ci": [float(risk.ci[0]), float(risk.ci[1])], "seconds": seconds,
            "attack_rate": rate(results.attack_rate), "baseline_rate": rate(results.baseline_rate),
            "control_rate": rate(results.control_rate)}


def main() -> None:
    spec = json.loads(sys.argv[1])
    warnings.simplefilter("ignore")
    if spec.get("seed") is not None:  # linkability and inference sample with numpy's global generator
        np.random.seed(spec["seed"])
    real = pd.read_csv(spec["real"])
    syn = pd.read_csv(spec["synthetic"])
    control = pd.read_csv(spec["control"]) if spec.get("control") else None
    out: dict = {}
    attacks = spec.get("attacks", [])
    n_attacks = spec.get("n_attacks", 500)
    if any(a.startswith("singling_out") for a in attacks):
        from anonymeter.evaluators import SinglingOutEvaluator
        for mode in ("univariate", "multivariate"):
            if f"singling_out.{mode}" not in attacks:
                continue
            start = time.perf_counter()
            ev = SinglingOutEvaluator(ori=real, syn=syn, control=control,
                                      n_attacks=spec.get("n_attacks_singling_out", n_attacks),
                                      n_cols=spec.get("n_cols", 3), seed=spec.get("seed"),
                                      max_attempts=spec.get("max_attempts", 10_000_000))
            ev.evaluate(mode=mode)
            out[f"singling_out.{mode}"] = _risk(ev, time.perf_counter() - start)
            out[f"singling_out.{mode}"]["queries"] = len(ev.queries())
    if "linkability" in attacks:
        from anonymeter.evaluators import LinkabilityEvaluator
        aux = tuple(spec["aux_cols"])
        start = time.perf_counter()
        ev = LinkabilityEvaluator(ori=real, syn=syn, control=control, n_attacks=n_attacks, aux_cols=aux,
                                  n_neighbors=spec.get("n_neighbors", 1))
        ev.evaluate(n_jobs=spec.get("n_jobs", -1))
        out["linkability"] = _risk(ev, time.perf_counter() - start)
    if "inference" in attacks:
        from anonymeter.evaluators import InferenceEvaluator
        for secret in spec.get("secrets", []):
            start = time.perf_counter()
            aux = [c for c in real.columns if c != secret]
            ev = InferenceEvaluator(ori=real, syn=syn, control=control, aux_cols=aux, secret=secret,
                                    n_attacks=n_attacks)
            ev.evaluate(n_jobs=spec.get("n_jobs", -1))
            out[f"inference[{secret}]"] = _risk(ev, time.perf_counter() - start)
    dcr = spec.get("sdmetrics_dcr")
    if dcr:
        from sdmetrics.single_table.privacy.dcr_utils import calculate_dcr
        metadata = {"columns": {c: {"sdtype": "numerical" if pd.api.types.is_numeric_dtype(real[c])
                                    and not pd.api.types.is_bool_dtype(real[c]) else "categorical"}
                                for c in real.columns}}
        sample = syn.head(dcr["synthetic_rows"])
        start = time.perf_counter()
        values = calculate_dcr(dataset=sample, reference_dataset=real, metadata=metadata)
        seconds = time.perf_counter() - start
        out["sdmetrics_dcr"] = {"seconds": seconds, "pairs": len(sample) * len(real),
                                "values": [float(v) for v in values]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
