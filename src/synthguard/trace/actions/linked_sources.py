"""Which real data sources the affected versions (and their ancestors) were made from, from the catalogue."""

from __future__ import annotations

from typing import Any

from .. import evidence
from .interface import ActionContext, StepAction


class LinkedSourcesAction(StepAction):
    name = "linked-sources"

    def on_open(self, ctx: ActionContext) -> list[dict[str, Any]]:
        linked = []
        for dataset in ctx.incident.datasets:
            for entry in dataset.get("lineage", []):
                if entry.get("source") and entry not in linked:
                    linked.append({"ref": entry["ref"], "source": entry["source"]})
        return [evidence.fact(self.name, {"linked": linked}, ctx.now)] if linked else []

    def needs_evidence(self, ctx: ActionContext) -> bool:
        # The catalogue answered at opening; with no affected version, a person must find the sources.
        return not self.on_open(ctx)
