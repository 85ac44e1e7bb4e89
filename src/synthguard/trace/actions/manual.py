"""A step people do outside SynthGuard (revoke a SAS token, call the regulator): done only with evidence."""

from __future__ import annotations

from .interface import StepAction


class ManualAction(StepAction):
    name = "manual"
