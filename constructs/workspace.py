"""Databricks workspace (premium, VNet-injected, no public IPs) and its Unity Catalog access connector."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct
from retailflow.cdk import (
    DatabricksAccessConnector,
    DatabricksAccessConnectorIdentity,
    DatabricksWorkspace,
    DatabricksWorkspaceCustomParameters,
    DatabricksWorkspaceEnhancedSecurityCompliance,
)
from retailflow.config.models import WorkspaceSettings
from retailflow.constructs.context import PlatformContext
from retailflow.constructs.network import Network
from retailflow.constructs.private_endpoint import PrivateAccess, add_private_endpoint, add_storage_private_endpoints


class AccessConnector(Construct):
    """The managed identity Unity Catalog uses to reach the lake. Outputs: `connector_id`, `principal_id`."""

    def __init__(self, scope: Construct, id_: str, *, context: PlatformContext, resource_group_name: str) -> None:
        super().__init__(scope, id_)
        connector = DatabricksAccessConnector(
            self,
            "connector",
            name=context.name("access_connector"),
            resource_group_name=resource_group_name,
            location=context.location,
            identity=DatabricksAccessConnectorIdentity(type="SystemAssigned"),
            tags=context.tags,
        )
        self.connector_id = connector.id
        self.principal_id = connector.identity.principal_id


@dataclass(frozen=True)
class WorkspaceProps:
    context: PlatformContext
    resource_group_name: str
    settings: WorkspaceSettings
    network: Network
    access_connector: AccessConnector
    private_access: PrivateAccess | None
    # Private environments of a region share one browser_authentication endpoint, in the environment that hosts it.
    browser_authentication_host: bool = False


class Workspace(Construct):
    """Outputs: `workspace_resource_id`, `workspace_url`, `workspace_id` (numeric, for Unity Catalog),
    `dbfs_storage_id` (the workspace's own storage account, behind its firewall)."""

    def __init__(self, scope: Construct, id_: str, props: WorkspaceProps) -> None:
        super().__init__(scope, id_)
        ctx, net, settings = props.context, props.network, props.settings
        private = props.private_access is not None
        dbfs_name = ctx.name("databricks_storage")
        workspace = DatabricksWorkspace(
            self,
            "workspace",
            name=ctx.name("databricks_workspace"),
            resource_group_name=props.resource_group_name,
            location=ctx.location,
            sku=settings.sku,
            managed_resource_group_name=ctx.name("databricks_managed_rg"),
            public_network_access_enabled=settings.public_network_access,
            network_security_group_rules_required="NoAzureDatabricksRules" if private else "AllRules",
            infrastructure_encryption_enabled=True,
            customer_managed_key_enabled=settings.customer_managed_keys,
            access_connector_id=props.access_connector.connector_id,
            default_storage_firewall_enabled=True,
            enhanced_security_compliance=DatabricksWorkspaceEnhancedSecurityCompliance(
                compliance_security_profile_enabled=True,
                compliance_security_profile_standards=["NONE"],
                enhanced_security_monitoring_enabled=True,
                automatic_cluster_update_enabled=True,
            )
            if settings.enhanced_security_compliance
            else None,
            custom_parameters=DatabricksWorkspaceCustomParameters(
                storage_account_name=dbfs_name,  # named, so its private endpoints can address it
                no_public_ip=True,
                virtual_network_id=net.vnet_id,
                public_subnet_name=net.host_subnet_name,
                private_subnet_name=net.container_subnet_name,
                public_subnet_network_security_group_association_id=net.host_nsg_association.id,
                private_subnet_network_security_group_association_id=net.container_nsg_association.id,
            ),
            tags=ctx.tags,
        )
        self.workspace_resource_id = workspace.id
        self.workspace_url = workspace.workspace_url
        self.workspace_id = workspace.workspace_id
        self.dbfs_storage_id = (
            f"{workspace.managed_resource_group_id}/providers/Microsoft.Storage/storageAccounts/{dbfs_name}"
        )
        if props.private_access is None:
            return
        front_end = ["databricks_ui_api"] + ["browser_authentication"] * props.browser_authentication_host
        for subresource in front_end:
            add_private_endpoint(
                self,
                ctx,
                props.private_access,
                target_id=workspace.id,
                target_kind="dbw",
                subresource=subresource,
                dns_zone_key="databricks",
            )
        # The workspace's storage firewall admits only its private endpoints (and the access connector).
        add_storage_private_endpoints(
            self, ctx, props.private_access, target_id=self.dbfs_storage_id, target_kind="dbst"
        )
