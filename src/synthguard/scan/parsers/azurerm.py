"""Translate Terraform ``azurerm`` / ``azuread`` / ``azuredevops`` resources into ARM-shaped resources.

Both the HCL parser and the plan parser hand their ``(type, attributes)`` pairs here, so a check
written against ARM property names serves all three. Where a provider default differs from ARM's,
the provider's default is applied (``allow_nested_items_to_be_public`` defaults to true,
``https_only`` on web apps to false), because that is what Terraform deploys. Types not listed
keep their attributes under ``terraform/<type>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..resources import as_bool, as_list, as_map

Props = dict[str, Any]


def _block(attrs: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The first nested block ``name`` (HCL gives a list of dicts, plans too), or {}."""
    for item in as_list(attrs.get(name)):
        if isinstance(item, Mapping):
            return item
    return {}


def _enabled(value: Any, default: bool) -> str:
    return "Enabled" if as_bool(value, default) else "Disabled"


def _storage_account(a: Mapping[str, Any]) -> Props:
    public = a.get("allow_nested_items_to_be_public", a.get("allow_blob_public_access", True))
    https = a.get("https_traffic_only_enabled", a.get("enable_https_traffic_only", True))
    props: Props = {
        "allowBlobPublicAccess": as_bool(public, True),
        "minimumTlsVersion": a.get("min_tls_version", "TLS1_2"),
        "supportsHttpsTrafficOnly": as_bool(https, True),
        "publicNetworkAccess": _enabled(a.get("public_network_access_enabled"), True),
        "encryption": {
            "requireInfrastructureEncryption": as_bool(a.get("infrastructure_encryption_enabled"), False),
            "keySource": "Microsoft.Keyvault" if _block(a, "customer_managed_key") else "Microsoft.Storage",
        },
    }
    rules = _block(a, "network_rules")
    if rules:
        props["networkAcls"] = {"defaultAction": rules.get("default_action")}
    sas = _block(a, "sas_policy")
    if sas:
        props["sasPolicy"] = {"sasExpirationPeriod": sas.get("expiration_period"),
                              "expirationAction": sas.get("expiration_action", "Log")}
    return props


def _container(a: Mapping[str, Any]) -> Props:
    access = str(a.get("container_access_type", "private")).lower()
    return {"publicAccess": {"blob": "Blob", "container": "Container"}.get(access, "None"),
            "metadata": dict(as_map(a.get("metadata"))),
            "$parent": a.get("storage_account_id") or a.get("storage_account_name")}


def _access_policy(p: Mapping[str, Any]) -> Props:
    return {"objectId": p.get("object_id"), "permissions": {
        "keys": as_list(p.get("key_permissions")), "secrets": as_list(p.get("secret_permissions")),
        "certificates": as_list(p.get("certificate_permissions")),
        "storage": as_list(p.get("storage_permissions"))}}


def _key_vault(a: Mapping[str, Any]) -> Props:
    acls = _block(a, "network_acls")
    return {
        "enablePurgeProtection": as_bool(a.get("purge_protection_enabled"), False),
        "enableSoftDelete": as_bool(a.get("soft_delete_enabled"), True),
        "enableRbacAuthorization": as_bool(a.get("enable_rbac_authorization", a.get("rbac_authorization_enabled")),
                                           False),
        "networkAcls": {"defaultAction": acls.get("default_action")} if acls else None,
        "accessPolicies": [_access_policy(p) for p in as_list(a.get("access_policy")) if isinstance(p, Mapping)],
    }


def _rule(r: Mapping[str, Any]) -> Props:
    return {"name": r.get("name"), "properties": {
        "direction": r.get("direction"), "access": r.get("access"), "protocol": r.get("protocol"),
        "sourceAddressPrefix": r.get("source_address_prefix"),
        "sourceAddressPrefixes": as_list(r.get("source_address_prefixes")),
        "destinationPortRange": r.get("destination_port_range"),
        "destinationPortRanges": as_list(r.get("destination_port_ranges"))}}


def _nsg(a: Mapping[str, Any]) -> Props:
    return {"securityRules": [_rule(r) for r in as_list(a.get("security_rule")) if isinstance(r, Mapping)]}


def _nsg_rule(a: Mapping[str, Any]) -> Props:
    return {**_rule(a)["properties"], "$parent": a.get("network_security_group_name")}


def _assignment(a: Mapping[str, Any]) -> Props:
    enforce = as_bool(a.get("enforce", a.get("enforcement_mode")), True)
    return {"policyDefinitionId": a.get("policy_definition_id"), "displayName": a.get("display_name"),
            "enforcementMode": "Default" if enforce is not False else "DoNotEnforce"}


def _ml_workspace(a: Mapping[str, Any]) -> Props:
    return {"storageAccount": a.get("storage_account_id"),
            "publicNetworkAccess": _enabled(a.get("public_network_access_enabled"), True)}


def _ml_datastore(a: Mapping[str, Any]) -> Props:
    return {"storageContainerId": a.get("storage_container_id"), "accountName": a.get("storage_account_name"),
            "$parent": a.get("workspace_id")}


def _pipeline(a: Mapping[str, Any]) -> Props:
    activities = a.get("activities_json")
    if isinstance(activities, str):
        try:
            activities = json.loads(activities)
        except ValueError:
            activities = []
    return {"activities": as_list(activities), "annotations": as_list(a.get("annotations")),
            "$parent": a.get("data_factory_id")}


def _adf_dataset(a: Mapping[str, Any]) -> Props:
    linked = a.get("linked_service_name") or _block(a, "linked_service").get("name")
    return {"annotations": as_list(a.get("annotations")), "linkedServiceName": {"referenceName": linked},
            "folder": a.get("folder"), "$parent": a.get("data_factory_id")}


def _adf_linked(a: Mapping[str, Any]) -> Props:
    return {"annotations": as_list(a.get("annotations")), "$parent": a.get("data_factory_id")}


def _container_group(a: Mapping[str, Any]) -> Props:
    containers = []
    volumes = []
    for c in as_list(a.get("container")):
        if not isinstance(c, Mapping):
            continue
        security = _block(c, "security")
        ctx = {"privileged": as_bool(security.get("privilege_enabled"), False)} if security else None
        mounts = []
        for v in as_list(c.get("volume")):
            if isinstance(v, Mapping):
                mounts.append({"name": v.get("name"), "mountPath": v.get("mount_path")})
                volumes.append({"name": v.get("name"), "azureFile": {
                    "storageAccountName": v.get("storage_account_name"), "shareName": v.get("share_name")}})
        env = [{"name": k, "value": v} for k, v in as_map(c.get("environment_variables")).items()]
        containers.append({"name": c.get("name"), "properties": {
            "image": c.get("image"), "securityContext": ctx, "volumeMounts": mounts, "environmentVariables": env}})
    return {"containers": containers, "volumes": volumes}


def _web_app(a: Mapping[str, Any]) -> Props:
    settings = a.get("app_settings") or {}
    return {"httpsOnly": as_bool(a.get("https_only"), False), "siteConfig": {
        "appSettings": [{"name": k, "value": v} for k, v in dict(settings).items()]
        if isinstance(settings, Mapping) else []}}


def _application(a: Mapping[str, Any]) -> Props:
    access = []
    for block in as_list(a.get("required_resource_access")):
        if isinstance(block, Mapping):
            access.append({"resourceAppId": block.get("resource_app_id"), "resourceAccess": [
                {"id": r.get("id"), "type": r.get("type")} for r in as_list(block.get("resource_access"))
                if isinstance(r, Mapping)]})
    return {"displayName": a.get("display_name"), "requiredResourceAccess": access}


def _ca_policy(a: Mapping[str, Any]) -> Props:
    conditions = _block(a, "conditions")
    clients = _block(conditions, "client_applications")
    return {"displayName": a.get("display_name"), "state": a.get("state", "enabled"), "conditions": {
        "clientApplications": {"excludeServicePrincipals": as_list(clients.get("excluded_service_principals")),
                               "includeServicePrincipals": as_list(clients.get("included_service_principals"))}}}


def _service_endpoint(a: Mapping[str, Any]) -> Props:
    scheme = a.get("service_endpoint_authentication_scheme", "ServicePrincipal")
    credentials = _block(a, "credentials")
    params = {"authenticationType": "spnKey"} if credentials.get("serviceprincipalkey") else {}
    if credentials.get("serviceprincipalcertificate"):
        params = {"authenticationType": "spnCertificate"}
    return {"name": a.get("service_endpoint_name"), "type": "azurerm",
            "authorization": {"scheme": scheme, "parameters": params}}


Translator = Callable[[Mapping[str, Any]], Props]

TRANSLATIONS: dict[str, tuple[str, Translator]] = {
    "azurerm_storage_account": ("Microsoft.Storage/storageAccounts", _storage_account),
    "azurerm_storage_container": ("Microsoft.Storage/storageAccounts/blobServices/containers", _container),
    "azurerm_storage_account_customer_managed_key": (
        "Microsoft.Storage/storageAccounts/customerManagedKey",
        lambda a: {"$parent": a.get("storage_account_id"), "keyVaultId": a.get("key_vault_id")}),
    "azurerm_key_vault": ("Microsoft.KeyVault/vaults", _key_vault),
    "azurerm_key_vault_access_policy": (
        "Microsoft.KeyVault/vaults/accessPolicies",
        lambda a: {"accessPolicies": [_access_policy(a)], "$parent": a.get("key_vault_id")}),
    "azurerm_network_security_group": ("Microsoft.Network/networkSecurityGroups", _nsg),
    "azurerm_network_security_rule": ("Microsoft.Network/networkSecurityGroups/securityRules", _nsg_rule),
    "azurerm_monitor_diagnostic_setting": (
        "Microsoft.Insights/diagnosticSettings", lambda a: {"$scope": a.get("target_resource_id")}),
    "azurerm_policy_assignment": ("Microsoft.Authorization/policyAssignments", _assignment),
    "azurerm_resource_group_policy_assignment": ("Microsoft.Authorization/policyAssignments", _assignment),
    "azurerm_subscription_policy_assignment": ("Microsoft.Authorization/policyAssignments", _assignment),
    "azurerm_management_group_policy_assignment": ("Microsoft.Authorization/policyAssignments", _assignment),
    "azurerm_resource_policy_assignment": ("Microsoft.Authorization/policyAssignments", _assignment),
    "azurerm_machine_learning_workspace": ("Microsoft.MachineLearningServices/workspaces", _ml_workspace),
    "azurerm_machine_learning_datastore_blobstorage": (
        "Microsoft.MachineLearningServices/workspaces/datastores", _ml_datastore),
    "azurerm_data_factory_pipeline": ("Microsoft.DataFactory/factories/pipelines", _pipeline),
    "azurerm_container_group": ("Microsoft.ContainerInstance/containerGroups", _container_group),
    "azurerm_linux_web_app": ("Microsoft.Web/sites", _web_app),
    "azurerm_windows_web_app": ("Microsoft.Web/sites", _web_app),
    "azurerm_app_service": ("Microsoft.Web/sites", _web_app),
    "azurerm_linux_function_app": ("Microsoft.Web/sites", _web_app),
    "azurerm_windows_function_app": ("Microsoft.Web/sites", _web_app),
    "azuread_application": ("microsoft.graph.application", _application),
    "azuread_conditional_access_policy": ("microsoft.graph.conditionalAccessPolicy", _ca_policy),
    "azuredevops_serviceendpoint_azurerm": ("microsoft.devops.serviceEndpoint", _service_endpoint),
}


def translate(tf_type: str, attrs: Mapping[str, Any]) -> tuple[str, Props]:
    """The ARM type and ARM-shaped properties of a Terraform resource (unknown types pass through)."""
    if tf_type in TRANSLATIONS:
        arm_type, translator = TRANSLATIONS[tf_type]
        return arm_type, translator(attrs)
    if tf_type.startswith("azurerm_data_factory_dataset_") or tf_type == "azurerm_data_factory_custom_dataset":
        return "Microsoft.DataFactory/factories/datasets", _adf_dataset(attrs)
    if tf_type.startswith("azurerm_data_factory_linked_service_"):
        return "Microsoft.DataFactory/factories/linkedservices", _adf_linked(attrs)
    return f"terraform/{tf_type}", dict(attrs)
