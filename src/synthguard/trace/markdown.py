"""Markdown rendering of an exported incident (the JSON document from ``report``), for people and regulators."""

from __future__ import annotations

import json
from typing import Any

_PHASES = ("contain", "assess", "notify", "review")


def cell(value: object) -> str:
    """Table-safe text: pipes escaped, line breaks folded (a title must not break the table)."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _when(stamp: dict[str, str] | None) -> str:
    return f"{stamp['display']} ({stamp['utc']})" if stamp else "—"


def render(doc: dict[str, Any]) -> str:
    lines = [f"# Incident {doc['id']}: {cell(doc['title'])}", ""]
    trace = doc.get("trace")
    facts = [
        ("Status", f"{doc['status']} (severity {doc['severity']})"),
        ("Detected", _when(doc["detected"])),
        ("Opened", f"{_when(doc['opened'])} by {cell(doc['opened_by'])}"),
        ("Closed", f"{_when(doc['closed'])} by {cell(doc['closed_by'])}" if doc["closed"] else "—"),
        ("Suspected recipient", doc["suspected_recipient"] or "not attributed"),
        ("Datasets", ", ".join(f"{d['ref']} (source: {d['source']})" for d in doc["datasets"]) or "—"),
        ("Releases", ", ".join(doc["releases"]) or "—"),
        ("Trace report", _trace_line(trace) if trace else "—"),
        ("Report as of", f"{_when(doc['as_of'])}, times in {doc['timezone']}"),
    ]
    lines += ["| | |", "|---|---|", *(f"| {k} | {cell(v)} |" for k, v in facts), ""]
    lines += ["## Clocks", "", "| Clock | Due | State | Basis |", "|---|---|---|---|"]
    lines += [f"| {cell(c['name'])} | {cell(_when(c['due']))} | {cell(c['remaining'])} | {cell(c['basis'])} |"
              for c in doc["clocks"]]
    lines.append("")
    lines += ["## Playbook", ""]
    for phase in _PHASES:
        steps = [s for s in doc["steps"] if s["phase"] == phase]
        if not steps:
            continue
        lines += [f"### {phase.capitalize()}", ""]
        for step in steps:
            done = step["state"] in ("met", "met late")  # done as of the report's time
            status = f"done {step['done']['display']}" if done else step["remaining"]
            lines.append(f"- [{'x' if done else ' '}] **{cell(step['key'])}** — {cell(step['title'])}; "
                         f"owner {cell(step['owner'])}, due {step['due']['display']} ({cell(status)})")
            lines += [f"  - {_evidence_line(item)}" for item in step["evidence"]]
        lines.append("")
    lines += ["## Timeline", "", "| When | Event | Detail |", "|---|---|---|"]
    for entry in doc["timeline"]:
        detail = {k: v for k, v in entry.items() if k not in ("at", "event")}
        lines.append(f"| {cell(entry['at']['display'])} | {cell(entry['event'])} | "
                     f"{cell(', '.join(f'{k}: {v}' for k, v in detail.items()))} |")
    lines += ["", "## Audit log", "", "| Seq | Time (UTC) | Actor | Action | Outcome |", "|---|---|---|---|---|"]
    lines += [f"| {a['seq']} | {cell(a['time'])} | {cell(a['actor'])} | {cell(a['action'])} | {cell(a['outcome'])} |"
              for a in doc["audit"]]
    return "\n".join(lines) + "\n"


def _trace_line(trace: dict[str, Any]) -> str:
    top = trace["candidates"][0] if trace.get("candidates") else None
    verdict = "attributed" if trace.get("attributed") else "no attribution"
    best = (f"; top candidate release {top['release_id']} → {top['recipient']} (bound {top['bound']})"
            if top else "")
    return f"{trace['file']} (sha256 {trace['sha256']}): {verdict}{best}"


def _evidence_line(item: dict[str, Any]) -> str:
    who = f" — {cell(item.get('added_by'))}, {cell(item.get('added_at'))}"
    kind = item.get("kind")
    if kind == "file":
        return f"file `{cell(item['name'])}` sha256 `{item['sha256']}` ({item['size']} bytes){who}"
    if kind == "action":
        return f"{cell(item['action'])}: `{cell(json.dumps(item['result'], sort_keys=True))}`{who}"
    if kind == "link":
        return f"link {cell(item['target'])}: {cell(item['text'])}"
    if kind == "step":
        return f"met by step {cell(item['step'])}{who}"
    return f"note: {cell(item.get('text'))}{who}"
