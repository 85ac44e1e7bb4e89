"""Retire the incident's releases in the ``releases`` table, or, without that table, a manual step."""

from __future__ import annotations

from typing import Any

from .. import evidence
from ..releases import releases_table, retire_releases
from .interface import ActionContext, StepAction


class RetireReleasesAction(StepAction):
    name = "retire-releases"

    def needs_evidence(self, ctx: ActionContext) -> bool:
        # Nothing to retire here (no table, or no release named): a person must say what they did.
        return releases_table(ctx.session) is None or not ctx.incident.releases

    def on_done(self, ctx: ActionContext) -> list[dict[str, Any]]:
        ids = [str(r) for r in ctx.incident.releases]
        if not ids:
            return []
        result = retire_releases(ctx.session, ctx.incident.tenant, ids, ctx.now)
        if result is None:
            return []
        ctx.ws.audit.append_in(ctx.session, [
            ctx.ws.draft("release.retire", rid, details={"incident": ctx.incident.id, "step": ctx.step.key})
            for rid in result["retired"]])
        return [evidence.fact(self.name, result, ctx.now)]

