"""Entra ID checks: app registrations asking for high-privilege Graph or Storage permissions, and
conditional-access policies that exclude service principals."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from ..context import ScanContext
from ..model import CheckInfo, Severity
from ..resources import Resource, as_list
from .interface import AI_ACT_15, GDPR_25, GDPR_32, NIST_GOVERN_1_6, NIST_MANAGE_2_3, ResourceCheck

APPLICATION = "microsoft.graph.application"
CA_POLICY = "microsoft.graph.conditionalAccessPolicy"
GRAPH = "00000003-0000-0000-c000-000000000000"
AZURE_STORAGE = "e406a681-f3d4-42a8-90b6-c2b029497af1"
#: Microsoft Graph permissions that reach the whole tenant's data or let an app grant itself more.
HIGH_PRIVILEGE_GRAPH = {
    "19dbc75e-c2e2-444c-a770-ec69d8559fc7": "Directory.ReadWrite.All",
    "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": "Application.ReadWrite.All",
    "06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
    "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
    "741f803b-c850-494e-b5df-cde7c675a1ca": "User.ReadWrite.All",
    "75359482-378d-4052-8f01-80520e7db3cd": "Files.ReadWrite.All",
    "01d4889c-1287-42c6-ac1f-5d1e02578ef6": "Files.Read.All",
    "9492366f-7969-46a4-8d15-ed1a20078fff": "Sites.ReadWrite.All",
    "a82116e5-55eb-4c41-a434-62fe8a61c773": "Sites.FullControl.All",
    "62a82d76-70ea-41e2-9197-370581804d09": "Group.ReadWrite.All",
    "0e263e50-5827-48a4-b97c-d940288653c7": "Directory.AccessAsUser.All",
}
STORAGE_IMPERSONATION = {"03e0da56-190b-40ad-a80c-ea378c433f7f": "user_impersonation"}


def requested(resource: Resource, api: str, catalogue: Mapping[str, str]) -> list[str]:
    out = []
    for block in as_list(resource.prop("requiredResourceAccess")):
        if not isinstance(block, Mapping) or str(block.get("resourceAppId", "")).lower() != api:
            continue
        for access in as_list(block.get("resourceAccess")):
            if isinstance(access, Mapping) and str(access.get("id", "")).lower() in catalogue:
                kind = "application" if str(access.get("type")) == "Role" else "delegated"
                out.append(f"{catalogue[str(access['id']).lower()]} ({kind})")
    return out


class HighPrivilegeGraph(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-ENT-001", severity=Severity.HIGH, title="App registration requests high-privilege Microsoft Graph "
                                                       "permissions",
        pattern="requiredResourceAccess asks Microsoft Graph for tenant-wide write or file / site access "
                "(Directory.ReadWrite.All, Application.ReadWrite.All, Files.ReadWrite.All, Sites.FullControl.All …).",
        remediation="Request the narrowest permission (Sites.Selected, Files.SelectedOperations.Selected, "
                     "User.Read) and remove unused grants; review admin consent.",
        references=(GDPR_25, GDPR_32, NIST_GOVERN_1_6, NIST_MANAGE_2_3))
    types = (APPLICATION,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        found = requested(resource, GRAPH, HIGH_PRIVILEGE_GRAPH)
        if found:
            yield f"app {resource.name} requests {', '.join(found)}."


class StorageImpersonation(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-ENT-002", severity=Severity.MEDIUM, title="App registration can act on Azure Storage as its users",
        pattern="requiredResourceAccess asks Azure Storage (e406a681-…) for user_impersonation: the app reaches "
                "every blob its signed-in users can, synthetic datasets included.",
        remediation="Give the app its own identity with a data-plane role scoped to the one container it needs.",
        references=(GDPR_25, GDPR_32, NIST_GOVERN_1_6))
    types = (APPLICATION,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        found = requested(resource, AZURE_STORAGE, STORAGE_IMPERSONATION)
        if found:
            yield f"app {resource.name} requests Azure Storage {', '.join(found)}."


class ExcludesServicePrincipals(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-CA-001", severity=Severity.HIGH, title="Conditional-access policy excludes service principals",
        pattern="An enabled (or report-only) policy lists identities in "
                "conditions.clientApplications.excludeServicePrincipals: the pipelines and apps that move "
                "synthetic data escape location and risk conditions.",
        remediation="Remove the exclusions; cover workload identities with a policy of their own (named "
                    "locations, service-principal risk).",
        references=(GDPR_32, AI_ACT_15, NIST_MANAGE_2_3))
    types = (CA_POLICY,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        if str(resource.prop("state", default="enabled")).lower() == "disabled":
            return
        excluded = as_list(resource.prop("conditions", "clientApplications", "excludeServicePrincipals"))
        if excluded:
            yield f"policy {resource.name} excludes {len(excluded)} service principal(s): " \
                  f"{', '.join(str(e) for e in excluded[:5])}."
