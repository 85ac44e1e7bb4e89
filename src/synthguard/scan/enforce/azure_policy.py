"""Azure Policy definitions (and one initiative) that audit or deny, for resources tagged synthetic,
the misconfigurations the scan reports: public blob access, TLS < 1.2, plain HTTP, shared-key / SAS
access, Key Vault without purge protection, synthetic storage without a data-classification tag.

Hand-assembled dicts: no maintained PyPI library models Azure Policy JSON; the tests validate every
rule against Microsoft's policy-rule schema. Names start with ``synthguard-`` and carry the words the
scan's SG-POL checks look for (public, tls, https, encrypt), so assigning them satisfies those checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INITIATIVE_NAME = "synthguard-synthetic-data-initiative"
STORAGE = "Microsoft.Storage/storageAccounts"
KEY_VAULT = "Microsoft.KeyVault/vaults"

#: "Tagged synthetic", as the scan reads it: data-classification = synthetic, or synthetic = true.
#: Azure Policy's equals is case-insensitive, so Synthetic / TRUE match too.
TAGGED_SYNTHETIC: dict[str, Any] = {"anyOf": [
    {"field": "tags['data-classification']", "equals": "synthetic"},
    {"field": "tags['synthetic']", "equals": "true"},
]}
#: The classification policy cannot scope on data-classification itself: it scopes on the flag tag.
FLAGGED_SYNTHETIC: dict[str, Any] = {"field": "tags['synthetic']", "equals": "true"}


@dataclass(frozen=True)
class PolicySpec:
    name: str
    display_name: str
    description: str
    category: str
    resource_type: str
    #: The condition that makes a resource non-compliant (combined with the type and tag scope).
    violation: dict[str, Any]
    #: The SynthGuard checks this policy enforces.
    checks: tuple[str, ...]
    scope: dict[str, Any]
    default_effect: str = "Audit"


DEFINITIONS: tuple[PolicySpec, ...] = (
    PolicySpec(
        "synthguard-storage-deny-public-blob-access", "Synthetic-data storage must not allow public blob access",
        "Storage accounts tagged synthetic must set allowBlobPublicAccess to false, so no container can be "
        "switched to anonymous read.", "Storage", STORAGE,
        {"field": f"{STORAGE}/allowBlobPublicAccess", "notEquals": "false"}, ("SG-STO-001", "SG-STO-002"),
        TAGGED_SYNTHETIC),
    PolicySpec(
        "synthguard-storage-minimum-tls-1-2", "Synthetic-data storage must require TLS 1.2 or later",
        "Storage accounts tagged synthetic must set minimumTlsVersion to TLS1_2 (or the version given).",
        "Storage", STORAGE,
        {"field": f"{STORAGE}/minimumTlsVersion", "notEquals": "[parameters('minimumTlsVersion')]"}, ("SG-STO-003",),
        TAGGED_SYNTHETIC),
    PolicySpec(
        "synthguard-storage-https-only", "Synthetic-data storage must accept HTTPS only",
        "Storage accounts tagged synthetic must set supportsHttpsTrafficOnly to true (secure transfer).",
        "Storage", STORAGE,
        {"field": f"{STORAGE}/supportsHttpsTrafficOnly", "equals": "false"}, ("SG-STO-004", "SG-SAS-004"),
        TAGGED_SYNTHETIC),
    PolicySpec(
        "synthguard-storage-disable-shared-key-sas", "Synthetic-data storage must disable shared key (and SAS) access",
        "Storage accounts tagged synthetic must set allowSharedKeyAccess to false: no account keys and no "
        "account / service SAS signed with them; access goes through Entra ID and user-delegation SAS.",
        "Storage", STORAGE,
        {"field": f"{STORAGE}/allowSharedKeyAccess", "notEquals": "false"},
        ("SG-SAS-001", "SG-SAS-002", "SG-SAS-003", "SG-SAS-006", "SG-SAS-007"), TAGGED_SYNTHETIC),
    PolicySpec(
        "synthguard-storage-encrypt-infrastructure", "Synthetic-data storage must use infrastructure encryption",
        "Storage accounts tagged synthetic must set encryption.requireInfrastructureEncryption to true.",
        "Storage", STORAGE,
        {"field": f"{STORAGE}/encryption.requireInfrastructureEncryption", "notEquals": "true"}, ("SG-STO-005",),
        TAGGED_SYNTHETIC),
    PolicySpec(
        "synthguard-keyvault-purge-protection", "Key vaults for synthetic data must enable purge protection",
        "Key vaults tagged synthetic (holding the keys that encrypt or sign synthetic datasets) must set "
        "enablePurgeProtection to true.", "Key Vault", KEY_VAULT,
        {"field": f"{KEY_VAULT}/enablePurgeProtection", "notEquals": "true"}, ("SG-KV-001",), TAGGED_SYNTHETIC),
    PolicySpec(
        "synthguard-require-data-classification-tag", "Synthetic-data storage must carry a data-classification tag",
        "Storage accounts flagged synthetic=true must also carry a data-classification tag, so DLP, egress "
        "rules and policies keyed on classification see them.", "Tags", STORAGE,
        {"field": "tags['data-classification']", "exists": "false"}, ("SG-STO-007", "SG-LIVE-003"),
        FLAGGED_SYNTHETIC),
)


def _effect_parameter(default: str) -> dict[str, Any]:
    return {"type": "String", "defaultValue": default, "allowedValues": ["Audit", "Deny", "Disabled"],
            "metadata": {"displayName": "Effect",
                         "description": "Audit reports non-compliant resources, Deny blocks them, Disabled turns "
                                        "the policy off."}}


def definition(spec: PolicySpec) -> dict[str, Any]:
    """One policy definition in the shape ``az policy definition create`` / the REST API take."""
    parameters: dict[str, Any] = {"effect": _effect_parameter(spec.default_effect)}
    if "minimumTlsVersion" in str(spec.violation):
        parameters["minimumTlsVersion"] = {
            "type": "String", "defaultValue": "TLS1_2", "allowedValues": ["TLS1_2", "TLS1_3"],
            "metadata": {"displayName": "Minimum TLS version", "description": "The oldest TLS version allowed."}}
    rule = {"if": {"allOf": [{"field": "type", "equals": spec.resource_type}, spec.scope, spec.violation]},
            "then": {"effect": "[parameters('effect')]"}}
    return {"name": spec.name, "type": "Microsoft.Authorization/policyDefinitions", "properties": {
        "displayName": spec.display_name, "policyType": "Custom", "mode": "Indexed", "description": spec.description,
        "metadata": {"category": spec.category, "version": "1.0.0", "source": "synthguard policy export",
                     "synthguardChecks": list(spec.checks)},
        "parameters": parameters, "policyRule": rule}}


def initiative(scope: str) -> dict[str, Any]:
    """The initiative (policy set) referencing every definition as saved at ``scope``."""
    refs = []
    for spec in DEFINITIONS:
        values: dict[str, Any] = {"effect": {"value": "[parameters('effect')]"}}
        refs.append({"policyDefinitionReferenceId": spec.name,
                     "policyDefinitionId": f"{scope}/providers/Microsoft.Authorization/policyDefinitions/{spec.name}",
                     "parameters": values})
    return {"name": INITIATIVE_NAME, "type": "Microsoft.Authorization/policySetDefinitions", "properties": {
        "displayName": "SynthGuard: keep synthetic data private, encrypted and classified",
        "policyType": "Custom", "description": "Audits or denies, for resources tagged synthetic, the Azure "
        "misconfigurations behind synthetic-data leaks (synthguard scan finds them in templates).",
        "metadata": {"category": "Security", "version": "1.0.0", "source": "synthguard policy export"},
        "parameters": {"effect": _effect_parameter("Audit")}, "policyDefinitions": refs}}
