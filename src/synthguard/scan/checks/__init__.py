"""Every check a scan runs, in one place; adding a check is adding a class to an area module and
one line here. ``PARSE_ERROR`` documents the finding a malformed file becomes."""

from __future__ import annotations

from ..model import CheckInfo, Severity
from . import datafactory, devops, entra, keyvault, kubernetes, ml, monitoring, network, policy, sas, storage, transport
from .interface import GDPR_32, NIST_MEASURE_2_7, Check, Hit, ResourceCheck

PARSE_ERROR = CheckInfo(
    id="SG-PARSE-001", severity=Severity.MEDIUM, title="File could not be parsed",
    pattern="A JSON, YAML, HCL or Bicep file is malformed, so none of its resources were checked.",
    remediation="Fix the syntax at the reported line (terraform validate, az bicep build, a YAML linter) and "
                "scan again.",
    references=(GDPR_32, NIST_MEASURE_2_7))

CHECKS: tuple[Check, ...] = (
    storage.PublicBlobAccess(), storage.PublicContainer(), storage.MinimumTls(), storage.HttpsOnly(),
    storage.InfrastructureEncryption(), storage.CustomerManagedKey(), storage.ClassificationTag(),
    sas.SasExpirationPolicy(), sas.SasLongExpiry(), sas.SasWritePermissions(), sas.SasHttpAllowed(),
    sas.SasNoIpRange(), sas.SasAccountLevel(), sas.SasCredentialInFile(),
    keyvault.PurgeProtection(), keyvault.SoftDelete(), keyvault.NetworkDefaultAllow(), keyvault.BroadAccessPolicy(),
    entra.HighPrivilegeGraph(), entra.StorageImpersonation(), entra.ExcludesServicePrincipals(),
    network.OpenToAnyPort(), network.OpenToDataPorts(),
    monitoring.MissingDiagnostics(),
    policy.NoPublicAccessPolicy(), policy.NoEncryptionPolicy(),
    kubernetes.PodSecurityContext(), kubernetes.ContainerInstanceSecurityContext(),
    datafactory.UntracedSyntheticCopy(),
    devops.LongLivedSecret(),
    ml.PublicMlWorkspace(), ml.UngovernedMlResource(),
    transport.PlainHttpTrainingPath(),
)


def all_check_infos() -> tuple[CheckInfo, ...]:
    """Every check's documentation, the parse-error pseudo-check included (for SARIF rules, docs)."""
    return (*(c.info for c in CHECKS), PARSE_ERROR)


__all__ = ["CHECKS", "PARSE_ERROR", "Check", "Hit", "ResourceCheck", "all_check_infos"]
