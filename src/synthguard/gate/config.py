"""Gate settings from the ``[gate]`` table of the workspace config file.

    [gate]
    marker_columns = ["is_synthetic", "Synthetic__c"]   # a true value marks the row synthetic
    email_columns = ["email"]                           # default: every column whose name mentions e-mail
    test_email_domains = ["qa.shop.example"]            # besides the RFC 2606 / 6761 reserved names
    id_prefixes = ["SYN-", "TEST-"]                     # off unless set
    id_columns = ["customer_id"]                        # default: every column whose name ends in "id"
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import read_known_table
from ..errors import WorkspaceError

DEFAULT_MARKERS = ("is_synthetic", "Synthetic__c", "_synthetic", "synthetic")


@dataclass(frozen=True)
class GateConfig:
    marker_columns: tuple[str, ...] = DEFAULT_MARKERS
    email_columns: tuple[str, ...] | None = None
    test_email_domains: tuple[str, ...] = ()
    id_prefixes: tuple[str, ...] = ()
    id_columns: tuple[str, ...] | None = None

    @classmethod
    def load(cls, config_path: Path) -> GateConfig:
        table = read_known_table(config_path, "gate", cls.__dataclass_fields__)

        def strings(key: str) -> tuple[str, ...] | None:
            value = table.get(key)
            if value is None:
                return None
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise WorkspaceError(f"[gate] {key} must be a list of strings", path=str(config_path))
            return tuple(value)

        return cls(marker_columns=strings("marker_columns") or DEFAULT_MARKERS,
                   email_columns=strings("email_columns"),
                   test_email_domains=strings("test_email_domains") or (),
                   id_prefixes=strings("id_prefixes") or (),
                   id_columns=strings("id_columns"))
