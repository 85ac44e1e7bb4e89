"""Per-recipient watermarks: release a marked copy of a version, trace a leaked fragment back to it.

    from synthguard.watermark import release, trace, list_releases
    result = release(ws, "customers@3", recipient="acme-analytics", purpose="churn model",
                     out="acme.parquet", data="exports/customers.parquet")
    report = trace(ws, "found-online.csv")          # -> TraceReport: .verdict, .named, .to_json()

The scheme (``scheme.py``), the mark methods (``methods/``), embedding and detection work on Arrow
tables without a workspace; ``release`` and ``trace`` add the catalogue, the store and the audit log.
"""

from .policy import ColumnRule, Policy
from .records import Release, list_releases
from .release import ReleaseRequest, ReleaseResult, release
from .trace import ATTRIBUTION_BOUND, Candidate, TraceReport, trace

__all__ = ["ATTRIBUTION_BOUND", "Candidate", "ColumnRule", "Policy", "Release", "ReleaseRequest", "ReleaseResult",
           "TraceReport", "list_releases", "release", "trace"]
