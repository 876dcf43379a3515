"""Provider and backend configuration shared by every stack."""

from __future__ import annotations

import os

from retailflow.cdk import (
    AzurermBackend,
    AzurermProvider,
    AzurermProviderFeatures,
    AzurermProviderFeaturesKeyVault,
    AzurermProviderFeaturesResourceGroup,
    AzurermProviderFeaturesStorage,
    DatabricksProvider,
    LocalBackend,
    TerraformStack,
    TimeProvider,
)
from retailflow.config import EnvironmentConfig

LOCAL_BACKEND_VARIABLE = "RETAILFLOW_LOCAL_BACKEND"
ACCOUNT_HOST = "https://accounts.azuredatabricks.net"


def use_local_backend(config: EnvironmentConfig) -> bool:
    """Offline synth and tests: `RETAILFLOW_LOCAL_BACKEND=1` (or `state.backend: local`) keeps state on disk."""
    return config.state.backend == "local" or os.environ.get(LOCAL_BACKEND_VARIABLE, "") not in (
        "",
        "0",
        "false",
    )


def configure_backend(stack: TerraformStack, config: EnvironmentConfig, stack_name: str) -> None:
    """One state per stack: `<stack>.tfstate` in the config's state container (feature stacks included)."""
    if use_local_backend(config):
        LocalBackend(stack, path=f"terraform.{stack_name}.tfstate")
        return
    state = config.state
    AzurermBackend(
        stack,
        resource_group_name=state.resource_group_name,
        storage_account_name=state.storage_account_name or "",
        container_name=state.container_name or "",
        key=f"{stack_name}.tfstate",
        subscription_id=config.azure.subscription_id,
        tenant_id=config.azure.tenant_id,
        use_azuread_auth=True,
        use_oidc=True,
    )


def azure_provider(stack: TerraformStack, config: EnvironmentConfig) -> AzurermProvider:
    return AzurermProvider(
        stack,
        "azurerm",
        subscription_id=config.azure.subscription_id,
        tenant_id=config.azure.tenant_id,
        use_oidc=True,
        storage_use_azuread=True,
        features=[
            AzurermProviderFeatures(
                key_vault=[
                    AzurermProviderFeaturesKeyVault(
                        purge_soft_delete_on_destroy=False, recover_soft_deleted_key_vaults=True
                    )
                ],
                resource_group=[AzurermProviderFeaturesResourceGroup(prevent_deletion_if_contains_resources=True)],
                # The lake and the workspace storage deny by default: azurerm must not read their data plane (a
                # 403 from outside the network); it manages containers through the management plane.
                storage=[AzurermProviderFeaturesStorage(data_plane_available=False)],
            )
        ],
    )


def _auth_type() -> str | None:
    """The deploy's Azure identity (OIDC in CI); `RETAILFLOW_DATABRICKS_AUTH=cli` uses a developer's `az login`."""
    return "azure-cli" if os.environ.get("RETAILFLOW_DATABRICKS_AUTH") == "cli" else None


def databricks_provider(stack: TerraformStack, *, host: str, workspace_resource_id: str) -> DatabricksProvider:
    """Configured from the workspace of the same apply (or the data source of the base workspace)."""
    return DatabricksProvider(
        stack,
        "databricks",
        host=host,
        azure_workspace_resource_id=workspace_resource_id,
        auth_type=_auth_type(),
    )


def databricks_account_provider(stack: TerraformStack, account_id: str) -> DatabricksProvider:
    """The account-level provider (alias `account`), same Azure identity: what the workspace cannot grant itself."""
    return DatabricksProvider(
        stack,
        "databricks-account",
        alias="account",
        host=ACCOUNT_HOST,
        account_id=account_id,
        auth_type=_auth_type(),
    )


def time_provider(stack: TerraformStack) -> TimeProvider:
    return TimeProvider(stack, "time")
