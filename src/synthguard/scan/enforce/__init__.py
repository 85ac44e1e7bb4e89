"""Enforcement artefacts for the same misconfigurations the scan reports: Azure Policy definitions
and an initiative scoped to resources tagged synthetic, and a Sentinel analytics-rule pack (KQL) for
synthetic-data egress.

::

    from synthguard.scan.enforce import export
    written = export("policy-out/", scope="/subscriptions/<id>")
"""

from __future__ import annotations

from .azure_policy import DEFINITIONS, INITIATIVE_NAME, PolicySpec, definition, initiative
from .export import ExportOptions, export
from .sentinel import RULES, SentinelRule, rule_document

__all__ = ["DEFINITIONS", "INITIATIVE_NAME", "RULES", "ExportOptions", "PolicySpec", "SentinelRule", "definition",
           "export", "initiative", "rule_document"]
