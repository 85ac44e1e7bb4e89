"""Re-identification risk of synthetic data: Anonymeter's attacks (singling out, linkability,
inference) and exact distance metrics (DCR, NNDR, identical matches), reported, signed and enforced.

    from synthguard.risk import RiskOptions, assess
    report = assess(Path("real.csv"), Path("synthetic.parquet"), Path("holdout.csv"), RiskOptions(seed=1))
"""

from __future__ import annotations

from .assess import RiskOptions, assess
from .attacks import AttackOptions
from .policy import PolicyDecision, RiskPolicy, RiskPolicyError, check_release_allowed
from .records import assess_and_store, latest_report
from .report import RiskReport

__all__ = ["AttackOptions", "PolicyDecision", "RiskOptions", "RiskPolicy", "RiskPolicyError", "RiskReport",
           "assess", "assess_and_store", "check_release_allowed", "latest_report"]
