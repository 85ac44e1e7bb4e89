"""The normalised resource every parser produces, so one check serves ARM, Bicep and Terraform alike.

``type`` is the Azure resource type as ARM spells it (``Microsoft.Storage/storageAccounts``) or, for
things outside ARM, a namespaced name (``microsoft.graph.application``, ``kubernetes/Deployment``,
``microsoft.devops.serviceEndpoint``). ``properties`` follow the ARM / Graph / REST property names
(camelCase); Terraform parsers translate ``azurerm`` attributes into them, applying the provider's
defaults where ARM's differ (see ``parsers/azurerm.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Resource:
    type: str
    #: The name a person recognises: ARM ``name``, Terraform ``azurerm_x.y`` address, Kubernetes ``ns/name``.
    name: str
    file: str
    line: int | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    #: arm | bicep | terraform | terraform-plan | kubernetes | graph | adf | devops
    source_format: str = ""
    #: Other names this resource is referred to by (Terraform address, Bicep symbol, ARM name).
    aliases: tuple[str, ...] = ()

    def prop(self, *path: str, default: Any = None) -> Any:
        """The nested property at ``path`` (``prop("encryption", "keySource")``), or ``default``."""
        node: Any = self.properties
        for part in path:
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return default if node is None else node

    def names(self) -> tuple[str, ...]:
        """Every name this resource answers to, for resolving references from other resources."""
        return (self.name, *self.aliases)

    @property
    def display(self) -> str:
        short = self.type.rsplit("/", 1)[-1]
        return f"{short} {self.name}" if self.name else short


def as_bool(value: Any, default: bool | None = None) -> bool | None:
    """Booleans as templates write them: true / "true" / "True" / "Enabled"; expressions are unknown."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "1", "enabled", "on"):
            return True
        if lowered in ("false", "no", "0", "disabled", "off"):
            return False
    return default


def is_expression(value: Any) -> bool:
    """An unresolved template expression (ARM ``[...]``, Terraform ``${...}``): its value is unknown."""
    return isinstance(value, str) and ((value.startswith("[") and value.endswith("]")) or "${" in value)


def as_map(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one (exports and templates hold surprises)."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def tag_map(value: Any) -> dict[str, str]:
    """Tags (or labels) as a flat ``str -> str`` map; anything else (an expression) gives no tags."""
    if not isinstance(value, Mapping):
        return {}
    return {str(k).strip("'\""): "" if v is None else str(v) for k, v in value.items()}
