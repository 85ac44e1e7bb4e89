"""How a scan knows which data is synthetic and which environment is production or lower-security.

Two sources: **markers** written on the resources themselves (tags, labels, annotations such as
``data-classification: synthetic`` or ``synthetic: true``), and, when a workspace is at hand, the
**catalogue** — registered dataset names and file names, matched in resource names and paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CLASSIFICATION_KEYS = ("data-classification", "data_classification", "dataclassification", "classification")
_SYNTHETIC_FLAG_KEYS = ("synthetic", "synthetic-data", "synthetic_data", "contains-synthetic",
                        "synthguard.io/synthetic", "synthguard/synthetic")
_TYPE_KEYS = (*CLASSIFICATION_KEYS, "data-type", "datatype", "data_type", "dataset-type", "synthguard.io/data")
_TRUE = ("true", "yes", "1", "y")
_ENV_KEYS = ("environment", "env", "stage", "tier")
_PRODUCTION = ("prod", "production", "prd", "live")
_SECURITY_KEYS = ("security", "security-level", "security_level", "trust", "trust-level", "zone")
_LOWER = ("low", "lower", "untrusted", "public", "external", "dmz", "sandbox")
_ROLE_WORDS = ("storefront", "crm", "magento", "shopify", "salesforce", "commerce", "checkout")


def _norm(tags: Mapping[str, str]) -> dict[str, str]:
    return {k.strip().lower(): str(v).strip().lower() for k, v in tags.items()}


def tagged_synthetic(tags: Mapping[str, str]) -> bool:
    """True when tags / labels / annotations mark the resource as holding synthetic data."""
    norm = _norm(tags)
    if any(norm.get(key) in _TRUE for key in _SYNTHETIC_FLAG_KEYS):
        return True
    return any(norm.get(key) == "synthetic" for key in _TYPE_KEYS)


def classified(tags: Mapping[str, str]) -> bool:
    """True when a ``data-classification`` tag (any value) is present."""
    norm = _norm(tags)
    return any(norm.get(key) for key in CLASSIFICATION_KEYS)


def annotations_to_tags(annotations: Iterable[object]) -> dict[str, str]:
    """Data Factory annotations are plain strings; read ``key=value`` / ``key:value`` / bare words."""
    tags: dict[str, str] = {}
    for item in annotations:
        text = str(item).strip()
        match = re.match(r"^([^=:]+)[=:](.*)$", text)
        if match:
            tags[match.group(1).strip()] = match.group(2).strip()
        elif text:
            tags[text] = "true"
    return tags


def sink_risk(tags: Mapping[str, str]) -> str | None:
    """"production" or "lower-security" when the tags say so, else None."""
    norm = _norm(tags)
    if any(norm.get(key) in _PRODUCTION for key in _ENV_KEYS) or any(word in norm for word in _PRODUCTION):
        return "production"
    if any(norm.get(key) in _LOWER for key in _SECURITY_KEYS) or "lower-security" in norm:
        return "lower-security"
    return None


def business_role(tags: Mapping[str, str], name: str = "") -> str | None:
    """"storefront" / "crm" / … when a resource is part of the shop or CRM side (tags, labels or name)."""
    norm = _norm(tags)
    haystack = " ".join([*norm.keys(), *norm.values(), name.lower()])
    for word in _ROLE_WORDS:
        if re.search(rf"(?<![a-z]){word}(?![a-z])", haystack):
            return word
    return None


@dataclass(frozen=True)
class Catalogue:
    """What the workspace's catalogue says is synthetic: registered dataset names and file names."""

    names: frozenset[str] = frozenset()
    files: frozenset[str] = frozenset()

    def mentions(self, text: str) -> str | None:
        """The registered name or file that ``text`` (a path, a container, a claim name) refers to."""
        lowered = text.lower()
        for name in sorted(self.names | self.files):
            if len(name) >= 3 and re.search(rf"(?<![a-z0-9]){re.escape(name.lower())}(?![a-z0-9])", lowered):
                return name
        return None

    @classmethod
    def from_workspace(cls, ws: object) -> Catalogue:
        """Read the names of every registered version (``ws`` is a ``Workspace``)."""
        versions = ws.versions()  # type: ignore[attr-defined]
        names = frozenset(v.name for v in versions)
        files = frozenset(f.path.rsplit("/", 1)[-1] for v in versions for f in v.files)
        return cls(names=names, files=files)
