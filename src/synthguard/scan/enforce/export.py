"""Write the enforcement artefacts to a directory: ``policy/definitions/*.json``,
``policy/initiative.json`` and ``sentinel/*.yaml``. Everything is rendered in memory first and each
file is written atomically, so bad options leave nothing behind."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path

import yaml

from ...atomicfile import write_atomic
from ...errors import InputError
from .azure_policy import DEFINITIONS, definition, initiative
from .sentinel import RULES, rule_document

_SCOPE = re.compile(r"^/(subscriptions/[0-9A-Za-z-]+|providers/Microsoft\.Management/managementGroups/[\w().-]+)$")
_CONTAINER = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class ExportOptions:
    #: Where the definitions will be saved: a subscription or a management group.
    scope: str = "/subscriptions/00000000-0000-0000-0000-000000000000"
    #: Containers that hold synthetic data (also matched: names with a synth / synthetic segment).
    containers: tuple[str, ...] = ()
    #: Networks (CIDR) SAS use is expected from.
    known_networks: tuple[str, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    #: Bytes one caller may read from synthetic containers per hour before the egress rule fires.
    egress_bytes: int = 100 * 1024 * 1024

    def validate(self) -> None:
        if not _SCOPE.match(self.scope):
            raise InputError("not a subscription or management-group id (/subscriptions/<id> or "
                             "/providers/Microsoft.Management/managementGroups/<name>)", field="scope")
        for name in self.containers:
            if not _CONTAINER.match(name):
                raise InputError(f"not a valid blob container name: {name!r}", field="container")
        for cidr in self.known_networks:
            try:
                ip_network(cidr, strict=False)
            except ValueError:
                raise InputError(f"not a network (CIDR): {cidr!r}", field="known-network") from None
        if self.egress_bytes <= 0:
            raise InputError("must be positive", field="egress-bytes")


class _BlockDumper(yaml.SafeDumper):  # type: ignore[misc]
    """Multi-line strings (the KQL queries) as literal blocks, as Sentinel's own rule files have them."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def render(options: ExportOptions) -> dict[str, str]:
    """Relative path -> file text, for every artefact."""
    options.validate()
    files = {f"policy/definitions/{spec.name}.json": json.dumps(definition(spec), indent=2) + "\n"
             for spec in DEFINITIONS}
    files["policy/initiative.json"] = json.dumps(initiative(options.scope), indent=2) + "\n"
    for rule in RULES:
        doc = rule_document(rule, containers=options.containers, known_networks=options.known_networks,
                            egress_bytes=options.egress_bytes)
        files[f"sentinel/{rule.slug}.yaml"] = yaml.dump(doc, Dumper=_BlockDumper, sort_keys=False, width=120,
                                                         allow_unicode=True)
    return files


def export(out: str | Path, options: ExportOptions | None = None) -> list[Path]:
    """Write every artefact under ``out``; returns the paths written."""
    files = render(options or ExportOptions())
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise InputError("exists and is not a directory", path=str(root), field="out")
    written = []
    for rel, text in files.items():
        target = root / rel
        write_atomic(target, text)
        written.append(target)
    return written
