"""Azure: workspace without public IPs, storage infrastructure encryption, required tags on every taggable
resource, and in prod no public network access on storage, Key Vault or workspace."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult

from retailflow.constructs.context import REQUIRED_TAGS
from retailflow.policies.checks.common import RetailFlowCheck, environment_config, value

# Every azurerm resource type the platform creates that takes `tags`.
TAGGABLE = [
    "azurerm_resource_group",
    "azurerm_virtual_network",
    "azurerm_network_security_group",
    "azurerm_private_dns_zone",
    "azurerm_private_dns_zone_virtual_network_link",
    "azurerm_private_endpoint",
    "azurerm_storage_account",
    "azurerm_key_vault",
    "azurerm_key_vault_key",
    "azurerm_databricks_workspace",
    "azurerm_databricks_access_connector",
    "azurerm_log_analytics_workspace",
    "azurerm_monitor_action_group",
    "azurerm_monitor_scheduled_query_rules_alert_v2",
    "azurerm_public_ip",
    "azurerm_nat_gateway",
    "azurerm_route_table",
]


class WorkspaceNoPublicIp(RetailFlowCheck):
    def __init__(self) -> None:
        super().__init__(
            "RF_AZ_001",
            "Databricks workspace clusters have no public IP (secure cluster connectivity)",
            CheckCategories.NETWORKING,
            ["azurerm_databricks_workspace"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        params = value(conf, "custom_parameters") or {}
        return (
            CheckResult.PASSED
            if isinstance(params, dict) and value(params, "no_public_ip") is True
            else CheckResult.FAILED
        )


class StorageInfrastructureEncryption(RetailFlowCheck):
    def __init__(self) -> None:
        super().__init__(
            "RF_AZ_002",
            "Storage accounts use infrastructure (double) encryption",
            CheckCategories.ENCRYPTION,
            ["azurerm_storage_account"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        return CheckResult.PASSED if value(conf, "infrastructure_encryption_enabled") is True else CheckResult.FAILED


class RequiredTags(RetailFlowCheck):
    def __init__(self) -> None:
        super().__init__(
            "RF_AZ_003",
            f"Taggable Azure resources carry the required tags ({', '.join(REQUIRED_TAGS)})",
            CheckCategories.CONVENTION,
            TAGGABLE,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        tags = value(conf, "tags") or {}
        missing = [t for t in REQUIRED_TAGS if not (isinstance(tags, dict) and tags.get(t))]
        config = environment_config(conf)
        if config is not None and config.ephemeral and not (isinstance(tags, dict) and tags.get("expires_on")):
            missing.append("expires_on")
        return CheckResult.FAILED if missing else CheckResult.PASSED


class ProdNoPublicNetworkAccess(RetailFlowCheck):
    def __init__(self) -> None:
        super().__init__(
            "RF_AZ_004",
            "In prod, storage, Key Vault and workspace have public network access disabled",
            CheckCategories.NETWORKING,
            ["azurerm_storage_account", "azurerm_key_vault", "azurerm_databricks_workspace"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        config = environment_config(conf)
        if config is None or not config.production:
            return CheckResult.PASSED
        return CheckResult.PASSED if value(conf, "public_network_access_enabled") is False else CheckResult.FAILED


checks = [WorkspaceNoPublicIp(), StorageInfrastructureEncryption(), RequiredTags(), ProdNoPublicNetworkAccess()]
