"""The gate: recognise synthetic rows in data on its way to production and keep them out.

Library use (Data Factory custom activity, Databricks, Airflow — see docs/gate.md)::

    result = ws.gate.check(df)      # pyarrow Table / RecordBatch, pandas or polars DataFrame
    clean = df[~result.mask]
"""

from .check import Gate, GateResult
from .config import GateConfig
from .run import GateOptions, GateRun, run_gate

__all__ = ["Gate", "GateConfig", "GateOptions", "GateResult", "GateRun", "run_gate"]
