"""The incident playbook: step templates (phase, owner, due time, action) and the TOML file that overrides them.

    [[step]]
    key = "contain.revoke-sas"          # unique; used by `synthguard incident step ID KEY`
    phase = "contain"                   # contain | assess | notify | review
    title = "Revoke SAS tokens and rotate the storage keys {recipient} could use"
    owner = "security-oncall"           # {dataset_owner} = owner of the first affected version
    due_hours = 4                       # from detection; or take the due time of the clocks in `meets`
    action = "manual"                   # manual | retire-releases | linked-sources | risk-report
    meets = []                          # clocks this step satisfies, e.g. ["gdpr-art33"], ["contract:*"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..errors import InputError
from .clocks import ClockSpec, as_utc

PHASES = ("contain", "assess", "notify", "review")


@dataclass(frozen=True)
class StepTemplate:
    key: str
    phase: str
    title: str
    owner: str
    action: str = "manual"
    due_hours: float | None = None
    meets: tuple[str, ...] = ()

    def met_clocks(self, clocks: list[ClockSpec]) -> list[ClockSpec]:
        """The clocks this step satisfies; ``contract:*`` stands for every contractual clock."""
        wanted = set(self.meets)
        return [c for c in clocks
                if c.name in wanted or ("contract:*" in wanted and c.name.startswith("contract:"))]

    def due(self, detected_at: datetime, clocks: list[ClockSpec]) -> datetime:
        """The earliest deadline among the clocks it meets, else ``due_hours`` after detection."""
        met = self.met_clocks(clocks)
        if met:
            return min(c.due(detected_at) for c in met)
        return as_utc(detected_at) + timedelta(hours=self.due_hours or 0)


@dataclass(frozen=True)
class Playbook:
    steps: tuple[StepTemplate, ...]
    source: str = "default"


DEFAULT = Playbook((
    StepTemplate("contain.revoke-sas", "contain",
                 "Revoke the SAS tokens and rotate the storage account keys {recipient} could use",
                 "security-oncall", due_hours=4),
    StepTemplate("contain.retire-releases", "contain", "Retire the affected releases so they are not re-issued",
                 "{dataset_owner}", action="retire-releases", due_hours=8),
    StepTemplate("assess.linked-sources", "assess", "Identify the real data sources the affected versions derive from",
                 "{dataset_owner}", action="linked-sources", due_hours=24),
    StepTemplate("assess.reidentification", "assess", "Assess the re-identification risk of the leaked data",
                 "dpo", action="risk-report", due_hours=48),
    StepTemplate("assess.data-subjects", "assess",
                 "Decide whether the data subjects must be informed (GDPR Art. 34) and record why",
                 "dpo", meets=("gdpr-art34-assessment",), due_hours=72),
    StepTemplate("notify.supervisory-authority", "notify",
                 "Notify the supervisory authority (GDPR Art. 33), or record why the breach is unlikely to "
                 "result in a risk", "dpo", meets=("gdpr-art33",), due_hours=72),
    StepTemplate("notify.data-subjects", "notify", "Inform the data subjects if the Art. 34 assessment requires it",
                 "dpo", due_hours=96),
    StepTemplate("notify.contracts", "notify",
                 "Notify {recipient}'s contract contact and the counterparties whose contracts require it",
                 "privacy-counsel", meets=("contract:*",), due_hours=72),
    StepTemplate("review.post-incident", "review", "Post-incident review: root cause, lessons, control changes",
                 "security-oncall", due_hours=14 * 24),
))


def load_playbook(path: Path, known_actions: frozenset[str]) -> Playbook:
    """A playbook from a TOML file of ``[[step]]`` tables; errors name the file and the step."""
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("playbook file not found", path=where) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"playbook is not valid TOML: {exc}", path=where) from exc
    steps = data.get("step")
    if not isinstance(steps, list) or not steps:
        raise InputError("playbook needs at least one [[step]] table", path=where, field="step")
    templates, seen = [], set()
    for index, raw in enumerate(steps):
        templates.append(_template(raw, index, where, known_actions))
        if templates[-1].key in seen:
            raise InputError(f"duplicate step key {templates[-1].key!r}", path=where, field=f"step[{index}].key")
        seen.add(templates[-1].key)
    return Playbook(tuple(templates), source=where)


def _template(raw: object, index: int, where: str, known_actions: frozenset[str]) -> StepTemplate:
    at = f"step[{index}]"
    if not isinstance(raw, dict):
        raise InputError("must be a table", path=where, field=at)
    unknown = set(raw) - {"key", "phase", "title", "owner", "action", "due_hours", "meets"}
    if unknown:
        raise InputError(f"unknown keys {', '.join(sorted(unknown))}", path=where, field=at)
    for name in ("key", "phase", "title", "owner"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise InputError("must be a non-empty string", path=where, field=f"{at}.{name}")
    if raw["phase"] not in PHASES:
        raise InputError(f"must be one of {', '.join(PHASES)}", path=where, field=f"{at}.phase")
    action = raw.get("action", "manual")
    if action not in known_actions:
        raise InputError(f"unknown action {action!r} (known: {', '.join(sorted(known_actions))})",
                         path=where, field=f"{at}.action")
    meets = raw.get("meets", [])
    if not isinstance(meets, list) or not all(isinstance(m, str) for m in meets):
        raise InputError("must be a list of clock names", path=where, field=f"{at}.meets")
    due = raw.get("due_hours")
    if due is not None and (isinstance(due, bool) or not isinstance(due, int | float) or due < 0):
        raise InputError("must be a number of hours ≥ 0", path=where, field=f"{at}.due_hours")
    if due is None and not meets:
        raise InputError("needs due_hours or meets", path=where, field=at)
    return StepTemplate(raw["key"].strip(), raw["phase"], raw["title"], raw["owner"], action,
                        float(due) if due is not None else None, tuple(meets))
