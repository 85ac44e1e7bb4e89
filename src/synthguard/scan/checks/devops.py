"""Azure DevOps checks: service connections that authenticate with long-lived secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..context import ScanContext
from ..model import CheckInfo, Severity
from ..resources import Resource
from .interface import GDPR_32, NIST_GOVERN_1_6, NIST_MANAGE_4_1, ResourceCheck

ENDPOINT = "microsoft.devops.serviceEndpoint"
_SECRET_SCHEMES = ("usernamepassword", "token", "basic", "personalaccesstoken", "apitoken")


class LongLivedSecret(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-DEVOPS-001", severity=Severity.HIGH, title="Service connection uses a long-lived secret",
        pattern="authorization.scheme is ServicePrincipal with a client secret (authenticationType spnKey, the "
                "default), or a username / password / token scheme: the credential outlives the training run it "
                "was made for and keeps access to synthetic data stores.",
        remediation="Convert the connection to workload identity federation (scheme WorkloadIdentityFederation) "
                    "or a managed identity, then delete the secret from the app registration.",
        references=(GDPR_32, NIST_GOVERN_1_6, NIST_MANAGE_4_1))
    types = (ENDPOINT,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        scheme = str(resource.prop("authorization", "scheme", default="")).lower()
        auth_type = str(resource.prop("authorization", "parameters", "authenticationType", default="spnKey"))
        if scheme == "serviceprincipal" and auth_type.lower() != "spncertificate":
            yield f"service connection {resource.name} authenticates with a service-principal client secret."
        elif scheme in _SECRET_SCHEMES:
            yield f"service connection {resource.name} authenticates with a stored {scheme} credential."
