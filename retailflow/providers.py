"""The provider bindings, through one door: every azurerm, databricks and time resource class the constructs use.

The prebuilt provider packages import all of their resource modules from their package `__init__` (1,529 for
azurerm, about half a minute and a gigabyte). Each resource module needs only the package's `_jsii` assembly, so
this module registers each provider package without running its `__init__` before importing the few resource
modules we use. Constructs import provider classes from here, never from the provider packages.
"""

# ruff: noqa: E402 (the registration must run before the provider imports)
from __future__ import annotations

import importlib.util
import sys

PROVIDER_PACKAGES = ("cdktf_cdktf_provider_azurerm", "cdktf_cdktf_provider_databricks", "cdktf_cdktf_provider_time")


def _register_without_init(name: str) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None:
        raise ModuleNotFoundError(f"the provider bindings {name!r} are not installed (the deploy dependency group)")
    sys.modules[name] = importlib.util.module_from_spec(spec)


for _package in PROVIDER_PACKAGES:
    _register_without_init(_package)

from cdktf_cdktf_provider_azurerm.consumption_budget_resource_group import (
    ConsumptionBudgetResourceGroup,
    ConsumptionBudgetResourceGroupNotification,
    ConsumptionBudgetResourceGroupTimePeriod,
)
from cdktf_cdktf_provider_azurerm.data_azurerm_databricks_workspace import (
    DataAzurermDatabricksWorkspace,
)
from cdktf_cdktf_provider_azurerm.databricks_access_connector import (
    DatabricksAccessConnector,
    DatabricksAccessConnectorIdentity,
)
from cdktf_cdktf_provider_azurerm.databricks_workspace import (
    DatabricksWorkspace,
    DatabricksWorkspaceCustomParameters,
    DatabricksWorkspaceEnhancedSecurityCompliance,
)
from cdktf_cdktf_provider_azurerm.key_vault import (
    KeyVault as AzureKeyVault,
)
from cdktf_cdktf_provider_azurerm.key_vault import (
    KeyVaultNetworkAcls,
)
from cdktf_cdktf_provider_azurerm.key_vault_key import (
    KeyVaultKey,
    KeyVaultKeyRotationPolicy,
    KeyVaultKeyRotationPolicyAutomatic,
)
from cdktf_cdktf_provider_azurerm.log_analytics_workspace import (
    LogAnalyticsWorkspace,
)
from cdktf_cdktf_provider_azurerm.monitor_action_group import (
    MonitorActionGroup,
    MonitorActionGroupEmailReceiver,
)
from cdktf_cdktf_provider_azurerm.monitor_diagnostic_setting import (
    MonitorDiagnosticSetting,
    MonitorDiagnosticSettingEnabledLog,
)
from cdktf_cdktf_provider_azurerm.monitor_scheduled_query_rules_alert_v2 import (
    MonitorScheduledQueryRulesAlertV2,
    MonitorScheduledQueryRulesAlertV2Action,
    MonitorScheduledQueryRulesAlertV2Criteria,
)
from cdktf_cdktf_provider_azurerm.nat_gateway import (
    NatGateway,
)
from cdktf_cdktf_provider_azurerm.nat_gateway_public_ip_association import (
    NatGatewayPublicIpAssociation,
)
from cdktf_cdktf_provider_azurerm.network_security_group import (
    NetworkSecurityGroup,
)
from cdktf_cdktf_provider_azurerm.private_dns_zone import (
    PrivateDnsZone,
)
from cdktf_cdktf_provider_azurerm.private_dns_zone_virtual_network_link import (
    PrivateDnsZoneVirtualNetworkLink,
)
from cdktf_cdktf_provider_azurerm.private_endpoint import (
    PrivateEndpoint,
    PrivateEndpointPrivateDnsZoneGroup,
    PrivateEndpointPrivateServiceConnection,
)
from cdktf_cdktf_provider_azurerm.provider import (
    AzurermProvider,
    AzurermProviderFeatures,
    AzurermProviderFeaturesKeyVault,
    AzurermProviderFeaturesResourceGroup,
    AzurermProviderFeaturesStorage,
)
from cdktf_cdktf_provider_azurerm.public_ip import (
    PublicIp,
)
from cdktf_cdktf_provider_azurerm.resource_group import (
    ResourceGroup,
)
from cdktf_cdktf_provider_azurerm.role_assignment import (
    RoleAssignment,
)
from cdktf_cdktf_provider_azurerm.route_table import (
    RouteTable,
    RouteTableRoute,
)
from cdktf_cdktf_provider_azurerm.storage_account import (
    StorageAccount,
    StorageAccountBlobProperties,
    StorageAccountBlobPropertiesContainerDeleteRetentionPolicy,
    StorageAccountBlobPropertiesDeleteRetentionPolicy,
    StorageAccountIdentity,
    StorageAccountNetworkRules,
    StorageAccountNetworkRulesPrivateLinkAccess,
    StorageAccountSasPolicy,
)
from cdktf_cdktf_provider_azurerm.storage_account_customer_managed_key import (
    StorageAccountCustomerManagedKeyA as StorageAccountCustomerManagedKey,
)
from cdktf_cdktf_provider_azurerm.storage_container import (
    StorageContainer,
)
from cdktf_cdktf_provider_azurerm.subnet import (
    Subnet,
    SubnetDelegation,
    SubnetDelegationServiceDelegation,
)
from cdktf_cdktf_provider_azurerm.subnet_nat_gateway_association import (
    SubnetNatGatewayAssociation,
)
from cdktf_cdktf_provider_azurerm.subnet_network_security_group_association import (
    SubnetNetworkSecurityGroupAssociation,
)
from cdktf_cdktf_provider_azurerm.subnet_route_table_association import (
    SubnetRouteTableAssociation,
)
from cdktf_cdktf_provider_azurerm.virtual_network import (
    VirtualNetwork,
)
from cdktf_cdktf_provider_databricks.access_control_rule_set import (
    AccessControlRuleSet,
    AccessControlRuleSetGrantRules,
)
from cdktf_cdktf_provider_databricks.catalog import (
    Catalog,
)
from cdktf_cdktf_provider_databricks.cluster_policy import (
    ClusterPolicy,
)
from cdktf_cdktf_provider_databricks.data_databricks_group import (
    DataDatabricksGroup,
)
from cdktf_cdktf_provider_databricks.data_databricks_service_principal import (
    DataDatabricksServicePrincipal,
)
from cdktf_cdktf_provider_databricks.default_namespace_setting import (
    DefaultNamespaceSetting,
    DefaultNamespaceSettingNamespace,
)
from cdktf_cdktf_provider_databricks.disable_legacy_access_setting import (
    DisableLegacyAccessSetting,
    DisableLegacyAccessSettingDisableLegacyAccess,
)
from cdktf_cdktf_provider_databricks.disable_legacy_dbfs_setting import (
    DisableLegacyDbfsSetting,
    DisableLegacyDbfsSettingDisableLegacyDbfs,
)
from cdktf_cdktf_provider_databricks.external_location import (
    ExternalLocation,
)
from cdktf_cdktf_provider_databricks.file import (
    File,
)
from cdktf_cdktf_provider_databricks.grant import (
    Grant,
)
from cdktf_cdktf_provider_databricks.grants import (
    Grants,
    GrantsGrant,
)
from cdktf_cdktf_provider_databricks.ip_access_list import (
    IpAccessList,
)
from cdktf_cdktf_provider_databricks.job import (
    Job,
    JobEmailNotifications,
    JobEnvironment,
    JobEnvironmentSpec,
    JobHealth,
    JobHealthRules,
    JobJobCluster,
    JobJobClusterNewCluster,
    JobQueue,
    JobRunAs,
    JobSchedule,
    JobTask,
    JobTaskDependsOn,
    JobTaskLibrary,
    JobTaskPythonWheelTask,
)
from cdktf_cdktf_provider_databricks.metastore_assignment import (
    MetastoreAssignment,
)
from cdktf_cdktf_provider_databricks.mws_ncc_binding import (
    MwsNccBinding,
)
from cdktf_cdktf_provider_databricks.mws_ncc_private_endpoint_rule import (
    MwsNccPrivateEndpointRule,
)
from cdktf_cdktf_provider_databricks.mws_network_connectivity_config import (
    MwsNetworkConnectivityConfig,
)
from cdktf_cdktf_provider_databricks.mws_permission_assignment import (
    MwsPermissionAssignment,
)
from cdktf_cdktf_provider_databricks.provider import (
    DatabricksProvider,
)
from cdktf_cdktf_provider_databricks.restrict_workspace_admins_setting import (
    RestrictWorkspaceAdminsSetting,
    RestrictWorkspaceAdminsSettingRestrictWorkspaceAdmins,
)
from cdktf_cdktf_provider_databricks.schema import (
    Schema,
)
from cdktf_cdktf_provider_databricks.secret_acl import (
    SecretAcl,
)
from cdktf_cdktf_provider_databricks.secret_scope import (
    SecretScope,
    SecretScopeKeyvaultMetadata,
)
from cdktf_cdktf_provider_databricks.service_principal import (
    ServicePrincipal,
)
from cdktf_cdktf_provider_databricks.storage_credential import (
    StorageCredential,
    StorageCredentialAzureManagedIdentity,
)
from cdktf_cdktf_provider_databricks.system_schema import (
    SystemSchema,
)
from cdktf_cdktf_provider_databricks.volume import (
    Volume,
)
from cdktf_cdktf_provider_databricks.workspace_binding import (
    WorkspaceBinding,
)
from cdktf_cdktf_provider_databricks.workspace_conf import (
    WorkspaceConf,
)
from cdktf_cdktf_provider_time.offset import (
    Offset,
)
from cdktf_cdktf_provider_time.provider import (
    TimeProvider,
)
from cdktf_cdktf_provider_time.sleep import (
    Sleep,
)

__all__ = [
    "AccessControlRuleSet",
    "AccessControlRuleSetGrantRules",
    "AzureKeyVault",
    "AzurermProvider",
    "AzurermProviderFeatures",
    "AzurermProviderFeaturesKeyVault",
    "AzurermProviderFeaturesResourceGroup",
    "AzurermProviderFeaturesStorage",
    "Catalog",
    "ClusterPolicy",
    "ConsumptionBudgetResourceGroup",
    "ConsumptionBudgetResourceGroupNotification",
    "ConsumptionBudgetResourceGroupTimePeriod",
    "DataAzurermDatabricksWorkspace",
    "DataDatabricksGroup",
    "DataDatabricksServicePrincipal",
    "DatabricksAccessConnector",
    "DatabricksAccessConnectorIdentity",
    "DatabricksProvider",
    "DatabricksWorkspace",
    "DatabricksWorkspaceCustomParameters",
    "DatabricksWorkspaceEnhancedSecurityCompliance",
    "DefaultNamespaceSetting",
    "DefaultNamespaceSettingNamespace",
    "DisableLegacyAccessSetting",
    "DisableLegacyAccessSettingDisableLegacyAccess",
    "DisableLegacyDbfsSetting",
    "DisableLegacyDbfsSettingDisableLegacyDbfs",
    "ExternalLocation",
    "File",
    "Grant",
    "Grants",
    "GrantsGrant",
    "IpAccessList",
    "Job",
    "JobEmailNotifications",
    "JobEnvironment",
    "JobEnvironmentSpec",
    "JobHealth",
    "JobHealthRules",
    "JobJobCluster",
    "JobJobClusterNewCluster",
    "JobQueue",
    "JobRunAs",
    "JobSchedule",
    "JobTask",
    "JobTaskDependsOn",
    "JobTaskLibrary",
    "JobTaskPythonWheelTask",
    "KeyVaultKey",
    "KeyVaultKeyRotationPolicy",
    "KeyVaultKeyRotationPolicyAutomatic",
    "KeyVaultNetworkAcls",
    "LogAnalyticsWorkspace",
    "MetastoreAssignment",
    "MonitorActionGroup",
    "MonitorActionGroupEmailReceiver",
    "MonitorDiagnosticSetting",
    "MonitorDiagnosticSettingEnabledLog",
    "MonitorScheduledQueryRulesAlertV2",
    "MonitorScheduledQueryRulesAlertV2Action",
    "MonitorScheduledQueryRulesAlertV2Criteria",
    "MwsNccBinding",
    "MwsNccPrivateEndpointRule",
    "MwsNetworkConnectivityConfig",
    "MwsPermissionAssignment",
    "NatGateway",
    "NatGatewayPublicIpAssociation",
    "NetworkSecurityGroup",
    "Offset",
    "PrivateDnsZone",
    "PrivateDnsZoneVirtualNetworkLink",
    "PrivateEndpoint",
    "PrivateEndpointPrivateDnsZoneGroup",
    "PrivateEndpointPrivateServiceConnection",
    "PublicIp",
    "ResourceGroup",
    "RestrictWorkspaceAdminsSetting",
    "RestrictWorkspaceAdminsSettingRestrictWorkspaceAdmins",
    "RoleAssignment",
    "RouteTable",
    "RouteTableRoute",
    "Schema",
    "SecretAcl",
    "SecretScope",
    "SecretScopeKeyvaultMetadata",
    "ServicePrincipal",
    "Sleep",
    "StorageAccount",
    "StorageAccountBlobProperties",
    "StorageAccountBlobPropertiesContainerDeleteRetentionPolicy",
    "StorageAccountBlobPropertiesDeleteRetentionPolicy",
    "StorageAccountCustomerManagedKey",
    "StorageAccountIdentity",
    "StorageAccountNetworkRules",
    "StorageAccountNetworkRulesPrivateLinkAccess",
    "StorageAccountSasPolicy",
    "StorageContainer",
    "StorageCredential",
    "StorageCredentialAzureManagedIdentity",
    "Subnet",
    "SubnetDelegation",
    "SubnetDelegationServiceDelegation",
    "SubnetNatGatewayAssociation",
    "SubnetNetworkSecurityGroupAssociation",
    "SubnetRouteTableAssociation",
    "SystemSchema",
    "TimeProvider",
    "VirtualNetwork",
    "Volume",
    "WorkspaceBinding",
    "WorkspaceConf",
]
