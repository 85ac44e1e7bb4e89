"""What a playbook step action is: work done when an incident opens and when the step is marked done."""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy.orm import Session

from ...store.tables import IncidentRow, IncidentStepRow

if TYPE_CHECKING:
    from ...workspace import Workspace


@dataclass(frozen=True)
class ActionContext:
    """The open transaction an action works in; audit drafts go through ``ws.audit.append_in(session, …)``."""

    ws: Workspace
    session: Session
    incident: IncidentRow
    step: IncidentStepRow
    now: datetime


class StepAction(ABC):
    """One kind of step. Evidence items are JSON objects (see ``trace.evidence``)."""

    name: ClassVar[str]

    def gather(self, ws: Workspace, datasets: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
        """Evidence read from other stores before the incident's write transaction opens.

        (On SQLite every transaction takes the write lock, so reads through other packages' APIs,
        which open their own sessions, must not happen inside ours.)
        """
        return []

    def on_open(self, ctx: ActionContext) -> list[dict[str, Any]]:
        """Evidence gathered automatically, inside the transaction that opens the incident."""
        return []

    def on_done(self, ctx: ActionContext) -> list[dict[str, Any]]:
        """Do the step's work when it is marked done; raise InputError when it cannot be done."""
        return []

    def needs_evidence(self, ctx: ActionContext) -> bool:
        """Whether marking it done needs a file or note from a person (manual work must be shown)."""
        return True
