"""The CDK, through one door: its core (App, TerraformStack, Token, ...) and every provider class the constructs
use, from cdktf (the default) or its maintained fork CDK Terrain (`RETAILFLOW_CDK=cdktn`), which renames the Python
modules only (docs/adr/0004-cdk-flavours.md). Nothing else imports cdktf, cdktn or a provider package.

The prebuilt provider packages import all of their resource modules from their package `__init__` (1,529 for
azurerm: about half a minute and a gigabyte). Each resource module needs only the package's `_jsii` assembly, so a
provider package is registered without running its `__init__`, and only the resource modules used are imported,
when a construct first names one of their classes.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from typing import Any

FLAVOUR_VARIABLE = "RETAILFLOW_CDK"


@dataclass(frozen=True)
class Flavour:
    core: str  # the CDK's Python module
    providers: dict[str, str]  # provider -> its prebuilt bindings' Python package


FLAVOURS = {
    "cdktf": Flavour(
        "cdktf",
        {
            "azurerm": "cdktf_cdktf_provider_azurerm",
            "databricks": "cdktf_cdktf_provider_databricks",
            "time": "cdktf_cdktf_provider_time",
        },
    ),
    "cdktn": Flavour(
        "cdktn",
        {"azurerm": "cdktn_provider_azurerm", "databricks": "cdktn_provider_databricks", "time": "cdktn_provider_time"},
    ),
}
CORE = (
    "App",
    "AssetType",
    "AzurermBackend",
    "Fn",
    "ITerraformDependable",
    "LocalBackend",
    "TerraformAsset",
    "TerraformOutput",
    "TerraformProvider",
    "TerraformResource",
    "TerraformStack",
    "Token",
)
# Class name -> (provider, resource module[, class name in the bindings when it differs]).
PROVIDER_CLASSES: dict[str, tuple[str, ...]] = {
    "AccessControlRuleSet": ("databricks", "access_control_rule_set"),
    "Permissions": ("databricks", "permissions"),
    "PermissionsAccessControl": ("databricks", "permissions"),
    "SqlEndpoint": ("databricks", "sql_endpoint"),
    "SqlEndpointTags": ("databricks", "sql_endpoint"),
    "SqlEndpointTagsCustomTags": ("databricks", "sql_endpoint"),
    "WorkspaceFile": ("databricks", "workspace_file"),
    "AccessControlRuleSetGrantRules": ("databricks", "access_control_rule_set"),
    "AzureKeyVault": ("azurerm", "key_vault", "KeyVault"),
    "AzurermProvider": ("azurerm", "provider"),
    "AzurermProviderFeatures": ("azurerm", "provider"),
    "AzurermProviderFeaturesKeyVault": ("azurerm", "provider"),
    "AzurermProviderFeaturesResourceGroup": ("azurerm", "provider"),
    "AzurermProviderFeaturesStorage": ("azurerm", "provider"),
    "Catalog": ("databricks", "catalog"),
    "ClusterPolicy": ("databricks", "cluster_policy"),
    "ConsumptionBudgetResourceGroup": ("azurerm", "consumption_budget_resource_group"),
    "ConsumptionBudgetResourceGroupNotification": ("azurerm", "consumption_budget_resource_group"),
    "ConsumptionBudgetResourceGroupTimePeriod": ("azurerm", "consumption_budget_resource_group"),
    "DataAzurermDatabricksWorkspace": ("azurerm", "data_azurerm_databricks_workspace"),
    "DataDatabricksGroup": ("databricks", "data_databricks_group"),
    "DataDatabricksServicePrincipal": ("databricks", "data_databricks_service_principal"),
    "DatabricksAccessConnector": ("azurerm", "databricks_access_connector"),
    "DatabricksAccessConnectorIdentity": ("azurerm", "databricks_access_connector"),
    "DatabricksProvider": ("databricks", "provider"),
    "DatabricksWorkspace": ("azurerm", "databricks_workspace"),
    "DatabricksWorkspaceCustomParameters": ("azurerm", "databricks_workspace"),
    "DatabricksWorkspaceEnhancedSecurityCompliance": ("azurerm", "databricks_workspace"),
    "DefaultNamespaceSetting": ("databricks", "default_namespace_setting"),
    "DefaultNamespaceSettingNamespace": ("databricks", "default_namespace_setting"),
    "DisableLegacyAccessSetting": ("databricks", "disable_legacy_access_setting"),
    "DisableLegacyAccessSettingDisableLegacyAccess": ("databricks", "disable_legacy_access_setting"),
    "DisableLegacyDbfsSetting": ("databricks", "disable_legacy_dbfs_setting"),
    "DisableLegacyDbfsSettingDisableLegacyDbfs": ("databricks", "disable_legacy_dbfs_setting"),
    "ExternalLocation": ("databricks", "external_location"),
    "File": ("databricks", "file"),
    "Grant": ("databricks", "grant"),
    "Grants": ("databricks", "grants"),
    "GrantsGrant": ("databricks", "grants"),
    "IpAccessList": ("databricks", "ip_access_list"),
    "Job": ("databricks", "job"),
    "JobEmailNotifications": ("databricks", "job"),
    "JobEnvironment": ("databricks", "job"),
    "JobEnvironmentSpec": ("databricks", "job"),
    "JobHealth": ("databricks", "job"),
    "JobHealthRules": ("databricks", "job"),
    "JobJobCluster": ("databricks", "job"),
    "JobJobClusterNewCluster": ("databricks", "job"),
    "JobQueue": ("databricks", "job"),
    "JobRunAs": ("databricks", "job"),
    "JobSchedule": ("databricks", "job"),
    "JobTask": ("databricks", "job"),
    "JobTaskDependsOn": ("databricks", "job"),
    "JobTaskDbtTask": ("databricks", "job"),
    "JobTaskLibrary": ("databricks", "job"),
    "JobTaskLibraryPypi": ("databricks", "job"),
    "JobTaskPythonWheelTask": ("databricks", "job"),
    "KeyVaultKey": ("azurerm", "key_vault_key"),
    "KeyVaultKeyRotationPolicy": ("azurerm", "key_vault_key"),
    "KeyVaultKeyRotationPolicyAutomatic": ("azurerm", "key_vault_key"),
    "KeyVaultNetworkAcls": ("azurerm", "key_vault"),
    "LogAnalyticsWorkspace": ("azurerm", "log_analytics_workspace"),
    "MetastoreAssignment": ("databricks", "metastore_assignment"),
    "MonitorActionGroup": ("azurerm", "monitor_action_group"),
    "MonitorActionGroupEmailReceiver": ("azurerm", "monitor_action_group"),
    "MonitorDiagnosticSetting": ("azurerm", "monitor_diagnostic_setting"),
    "MonitorDiagnosticSettingEnabledLog": ("azurerm", "monitor_diagnostic_setting"),
    "MonitorScheduledQueryRulesAlertV2": ("azurerm", "monitor_scheduled_query_rules_alert_v2"),
    "MonitorScheduledQueryRulesAlertV2Action": ("azurerm", "monitor_scheduled_query_rules_alert_v2"),
    "MonitorScheduledQueryRulesAlertV2Criteria": ("azurerm", "monitor_scheduled_query_rules_alert_v2"),
    "MwsNccBinding": ("databricks", "mws_ncc_binding"),
    "MwsNccPrivateEndpointRule": ("databricks", "mws_ncc_private_endpoint_rule"),
    "MwsNetworkConnectivityConfig": ("databricks", "mws_network_connectivity_config"),
    "MwsPermissionAssignment": ("databricks", "mws_permission_assignment"),
    "NatGateway": ("azurerm", "nat_gateway"),
    "NatGatewayPublicIpAssociation": ("azurerm", "nat_gateway_public_ip_association"),
    "NetworkSecurityGroup": ("azurerm", "network_security_group"),
    "Offset": ("time", "offset"),
    "PrivateDnsZone": ("azurerm", "private_dns_zone"),
    "PrivateDnsZoneVirtualNetworkLink": ("azurerm", "private_dns_zone_virtual_network_link"),
    "PrivateEndpoint": ("azurerm", "private_endpoint"),
    "PrivateEndpointPrivateDnsZoneGroup": ("azurerm", "private_endpoint"),
    "PrivateEndpointPrivateServiceConnection": ("azurerm", "private_endpoint"),
    "PublicIp": ("azurerm", "public_ip"),
    "ResourceGroup": ("azurerm", "resource_group"),
    "RestrictWorkspaceAdminsSetting": ("databricks", "restrict_workspace_admins_setting"),
    "RestrictWorkspaceAdminsSettingRestrictWorkspaceAdmins": ("databricks", "restrict_workspace_admins_setting"),
    "RoleAssignment": ("azurerm", "role_assignment"),
    "RouteTable": ("azurerm", "route_table"),
    "RouteTableRoute": ("azurerm", "route_table"),
    "Schema": ("databricks", "schema"),
    "SecretAcl": ("databricks", "secret_acl"),
    "SecretScope": ("databricks", "secret_scope"),
    "SecretScopeKeyvaultMetadata": ("databricks", "secret_scope"),
    "ServicePrincipal": ("databricks", "service_principal"),
    "Sleep": ("time", "sleep"),
    "StorageAccount": ("azurerm", "storage_account"),
    "StorageAccountBlobProperties": ("azurerm", "storage_account"),
    "StorageAccountBlobPropertiesContainerDeleteRetentionPolicy": ("azurerm", "storage_account"),
    "StorageAccountBlobPropertiesDeleteRetentionPolicy": ("azurerm", "storage_account"),
    "StorageAccountCustomerManagedKey": (
        "azurerm",
        "storage_account_customer_managed_key",
        "StorageAccountCustomerManagedKeyA",
    ),
    "StorageAccountIdentity": ("azurerm", "storage_account"),
    "StorageAccountNetworkRules": ("azurerm", "storage_account"),
    "StorageAccountNetworkRulesPrivateLinkAccess": ("azurerm", "storage_account"),
    "StorageAccountSasPolicy": ("azurerm", "storage_account"),
    "StorageContainer": ("azurerm", "storage_container"),
    "StorageCredential": ("databricks", "storage_credential"),
    "StorageCredentialAzureManagedIdentity": ("databricks", "storage_credential"),
    "Subnet": ("azurerm", "subnet"),
    "SubnetDelegation": ("azurerm", "subnet"),
    "SubnetDelegationServiceDelegation": ("azurerm", "subnet"),
    "SubnetNatGatewayAssociation": ("azurerm", "subnet_nat_gateway_association"),
    "SubnetNetworkSecurityGroupAssociation": ("azurerm", "subnet_network_security_group_association"),
    "SubnetRouteTableAssociation": ("azurerm", "subnet_route_table_association"),
    "SystemSchema": ("databricks", "system_schema"),
    "TimeProvider": ("time", "provider"),
    "VirtualNetwork": ("azurerm", "virtual_network"),
    "Volume": ("databricks", "volume"),
    "WorkspaceBinding": ("databricks", "workspace_binding"),
    "WorkspaceConf": ("databricks", "workspace_conf"),
}


class UnknownFlavour(ValueError):
    """RETAILFLOW_CDK names no CDK this project knows."""


def flavour() -> Flavour:
    name = os.environ.get(FLAVOUR_VARIABLE, "cdktf")
    if name not in FLAVOURS:
        raise UnknownFlavour(f"{FLAVOUR_VARIABLE}={name!r}: unknown CDK (known: {', '.join(FLAVOURS)})")
    return FLAVOURS[name]


def _provider_package(package: str) -> None:
    """Register a provider package without running its `__init__` (see the module docstring)."""
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or spec.submodule_search_locations is None:
        raise ModuleNotFoundError(f"the provider bindings {package!r} are not installed (make install)")
    sys.modules[package] = importlib.util.module_from_spec(spec)


def __getattr__(name: str) -> Any:
    """`from retailflow.cdk import StorageAccount`: the class from the selected flavour's bindings."""
    if name in CORE:
        value = getattr(importlib.import_module(flavour().core), name)
    elif name in PROVIDER_CLASSES:
        provider, module, *renamed = PROVIDER_CLASSES[name]
        package = flavour().providers[provider]
        _provider_package(package)
        value = getattr(importlib.import_module(f"{package}.{module}"), renamed[0] if renamed else name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # once resolved, a plain module attribute
    return value
