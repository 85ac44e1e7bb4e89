"""What every check sees: all resources and SAS tokens of the scan, how they refer to each other,
and which of them hold synthetic data.

References are resolved by name: a Terraform ``${azurerm_storage_account.synth.id}``, an ARM
``[resourceId('Microsoft.Storage/storageAccounts', 'synthdata')]`` or a Bicep ``parent: sa``
all mention one of the target's names. That heuristic works across files (a diagnostic setting in
``monitoring.tf`` finds the account in ``storage.tf``) without evaluating templates.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from .options import ScanOptions
from .resources import Resource
from .sas import SasToken
from .synthetic import tagged_synthetic

STORAGE = "Microsoft.Storage/storageAccounts"
CONTAINER = "Microsoft.Storage/storageAccounts/blobServices/containers"


@cache
def _name_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a nested value (keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


class ScanContext:
    def __init__(self, resources: Iterable[Resource], tokens: Iterable[SasToken], options: ScanOptions) -> None:
        self.resources = list(resources)
        self.tokens = list(tokens)
        self.options = options
        self.now = options.now or datetime.now(UTC)
        self._by_type: dict[str, list[Resource]] = defaultdict(list)
        for resource in self.resources:
            self._by_type[resource.type.lower()].append(resource)
        self._synthetic: dict[int, str | None] = {}
        self._accounts: dict[int, Resource | None] = {}

    def of_type(self, *types: str) -> list[Resource]:
        return [r for t in types for r in self._by_type.get(t.lower(), [])]

    @staticmethod
    def mentions(text: str, target: Resource) -> bool:
        return any(name and len(name) >= 2 and _name_pattern(name).search(text) for name in target.names())

    @staticmethod
    def reachable(source: Resource, target: Resource) -> bool:
        """Can ``source`` refer to ``target`` at all? Terraform addresses are unique only within one
        module, i.e. one directory, so a Terraform reference never crosses directories."""
        if source.source_format == "terraform" and target.source_format == "terraform":
            return posixpath.dirname(source.file) == posixpath.dirname(target.file)
        return True

    def refers(self, resource: Resource, target: Resource, *keys: str) -> bool:
        """Does ``resource`` (its properties, or only ``keys`` of them) mention ``target``?"""
        if not self.reachable(resource, target):
            return False
        values = [resource.properties.get(k) for k in keys] if keys else [resource.properties]
        return any(self.mentions(text, target) for text in strings_in(values))

    def resolve(self, reference: Any, *types: str, near: Resource | None = None) -> Resource | None:
        """The resource of one of ``types`` that ``reference`` (a string or structure) names; with
        ``near`` (the referring resource), the closest one: same file, then same directory."""
        texts = list(strings_in(reference))
        if not texts:
            return None
        matches = [t for t in self.of_type(*types) if (near is None or self.reachable(near, t))
                   and any(self.mentions(text, t) for text in texts)]
        if near is None or len(matches) < 2:
            return matches[0] if matches else None
        here = posixpath.dirname(near.file)
        return min(matches, key=lambda t: (t.file != near.file, posixpath.dirname(t.file) != here))

    def account_of(self, container: Resource) -> Resource | None:
        key = id(container)
        if key not in self._accounts:
            self._accounts[key] = self.resolve(container.properties.get("$parent"), STORAGE, near=container)
        return self._accounts[key]

    def synthetic_reason(self, resource: Resource) -> str | None:
        """Why ``resource`` is taken to hold synthetic data ("tagged synthetic", "named after registered
        dataset …", or the same said of its containers / its account), or None."""
        key = id(resource)
        if key not in self._synthetic:
            self._synthetic[key] = self._reason(resource)
        return self._synthetic[key]

    def _own_reason(self, resource: Resource) -> str | None:
        if tagged_synthetic(resource.tags):
            return "tagged synthetic"
        metadata = resource.prop("metadata")
        if isinstance(metadata, Mapping) and tagged_synthetic({str(k): str(v) for k, v in metadata.items()}):
            return "metadata marks it synthetic"
        hit = self.options.catalogue.mentions(" ".join((resource.name, *resource.aliases)))
        return f"named after registered dataset {hit!r}" if hit else None

    def _reason(self, resource: Resource) -> str | None:
        own = self._own_reason(resource)
        if own:
            return own
        if resource.type.lower() == STORAGE.lower():
            for container in self.of_type(CONTAINER):
                inner = self._own_reason(container)
                if inner and self.account_of(container) is resource:
                    return f"container {container.name}: {inner}"
        if resource.type.lower() == CONTAINER.lower():
            account = self.account_of(resource)
            outer = self._own_reason(account) if account is not None else None
            if account is not None and outer:
                return f"storage account {account.name}: {outer}"
        return None

    def is_synthetic(self, resource: Resource) -> bool:
        return self.synthetic_reason(resource) is not None
