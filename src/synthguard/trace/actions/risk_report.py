"""Re-identification risk: link each affected version's stored ``synthguard.risk`` report, when there is one.

``synthguard.risk`` is optional here (imported on use): without it, or without a stored report for a
version, the step stays a manual one that needs the assessment attached as evidence.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from ...errors import SynthGuardError
from .. import evidence
from .interface import ActionContext, StepAction

if TYPE_CHECKING:
    from ...workspace import Workspace


class RiskReportAction(StepAction):
    name = "risk-report"

    def gather(self, ws: Workspace, datasets: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
        try:
            latest_report = importlib.import_module("synthguard.risk").latest_report
        except (ImportError, AttributeError):
            return [evidence.note("synthguard.risk is not installed: assess the re-identification risk of "
                                  f"{_refs(datasets)} by hand and attach the assessment", "synthguard", now)]
        items = []
        for dataset in datasets:
            ref = str(dataset["ref"])
            try:
                found = latest_report(ws, str(dataset["id"]))
            except (SynthGuardError, SQLAlchemyError) as exc:  # an emergency must not wait on a broken report
                items.append(evidence.note(f"could not read the risk report of {ref}: {exc}", "synthguard", now))
                continue
            if found is None:
                items.append(evidence.note(f"no stored re-identification risk report for {ref}: run synthguard risk "
                                           "for it and attach the result", "synthguard", now))
                continue
            report = found[0]
            items.append({**evidence.link(f"risk-report:{ref}", f"re-identification risk report of {ref} "
                                          f"({report.created_at})", now),
                          "summary": {family: _risk(report.family_risk(family))
                                      for family in ("singling_out", "linkability", "inference")}})
        return items

    def needs_evidence(self, ctx: ActionContext) -> bool:
        # Done without a person's evidence only when every affected version has a stored report linked.
        linked = {i.get("target") for i in ctx.step.evidence if i.get("kind") == "link"}
        return not ctx.incident.datasets or any(f"risk-report:{d['ref']}" not in linked
                                                for d in ctx.incident.datasets)


def _refs(datasets: list[dict[str, Any]]) -> str:
    return ", ".join(str(d["ref"]) for d in datasets) or "the leaked data"


def _risk(attack: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if attack is None else {"attack": attack.get("attack"), "risk": attack.get("risk"),
                                        "ci": attack.get("ci")}
