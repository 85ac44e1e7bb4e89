"""Playbook step actions, registered by name (a playbook's ``action = "…"``); adding one is adding a module."""

from __future__ import annotations

from ...errors import InputError
from .interface import ActionContext, StepAction
from .linked_sources import LinkedSourcesAction
from .manual import ManualAction
from .retire_releases import RetireReleasesAction
from .risk_report import RiskReportAction

ACTIONS: dict[str, StepAction] = {a.name: a for a in (
    ManualAction(), RetireReleasesAction(), LinkedSourcesAction(), RiskReportAction())}


def get_action(name: str) -> StepAction:
    try:
        return ACTIONS[name]
    except KeyError:
        raise InputError(f"unknown step action {name!r}", field="action") from None


def known_actions() -> frozenset[str]:
    return frozenset(ACTIONS)


__all__ = ["ACTIONS", "ActionContext", "StepAction", "get_action", "known_actions"]
