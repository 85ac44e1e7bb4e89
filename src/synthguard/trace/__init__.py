"""Leak response: incidents opened from a trace report (or by hand), notification clocks, playbooks.

    from synthguard.trace import IncidentRequest, open_incident, show_incident
    incident = open_incident(ws, IncidentRequest(trace_file=Path("trace.json")))
    view = show_incident(ws, incident.id)          # clocks with time remaining, steps, evidence
"""

from __future__ import annotations

from .incident import (
    IncidentRequest,
    StepUpdate,
    close_incident,
    list_incidents,
    open_incident,
    show_incident,
    update_step,
)
from .records import Clock, Incident, Step
from .report import export_json, export_markdown

__all__ = [
    "Clock",
    "Incident",
    "IncidentRequest",
    "Step",
    "StepUpdate",
    "close_incident",
    "export_json",
    "export_markdown",
    "list_incidents",
    "open_incident",
    "show_incident",
    "update_step",
]
