"""ADLS Gen2 lake storage: one account, one private container per medallion layer and one for Unity Catalog."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct
from retailflow.cdk import (
    RoleAssignment,
    StorageAccount,
    StorageAccountBlobProperties,
    StorageAccountBlobPropertiesContainerDeleteRetentionPolicy,
    StorageAccountBlobPropertiesDeleteRetentionPolicy,
    StorageAccountCustomerManagedKey,
    StorageAccountIdentity,
    StorageAccountNetworkRules,
    StorageAccountNetworkRulesPrivateLinkAccess,
    StorageAccountSasPolicy,
    StorageContainer,
)
from retailflow.config.models import StorageSettings
from retailflow.constructs.context import PlatformContext
from retailflow.constructs.private_endpoint import PrivateAccess, add_storage_private_endpoints
from retailflow.governance import LAKE_CONTAINERS

BLOB_DATA_CONTRIBUTOR = "Storage Blob Data Contributor"


@dataclass(frozen=True)
class CustomerManagedKey:
    key_vault_id: str
    key_name: str


@dataclass(frozen=True)
class LakeStorageProps:
    context: PlatformContext
    resource_group_name: str
    settings: StorageSettings
    trusted_access_connector_id: str
    private_access: PrivateAccess | None
    customer_managed_key: CustomerManagedKey | None = None


class LakeStorage(Construct):
    """Outputs: `account_id`, `account_name`, `dfs_endpoint`, `container_urls` (abfss:// per container) and
    `containers` (the container resources, for what must wait for them)."""

    def __init__(self, scope: Construct, id_: str, props: LakeStorageProps) -> None:
        super().__init__(scope, id_)
        ctx, settings = props.context, props.settings
        private = props.private_access is not None
        account = StorageAccount(
            self,
            "account",
            name=ctx.name("storage_account"),
            resource_group_name=props.resource_group_name,
            location=ctx.location,
            account_kind="StorageV2",
            account_tier="Standard",
            account_replication_type=settings.replication,
            is_hns_enabled=True,
            min_tls_version="TLS1_2",
            https_traffic_only_enabled=True,
            allow_nested_items_to_be_public=False,
            shared_access_key_enabled=False,
            default_to_oauth_authentication=True,
            local_user_enabled=False,
            sftp_enabled=False,
            nfsv3_enabled=False,
            infrastructure_encryption_enabled=True,
            cross_tenant_replication_enabled=False,
            public_network_access_enabled=not private,
            allowed_copy_scope="AAD",
            identity=StorageAccountIdentity(type="SystemAssigned"),
            sas_policy=StorageAccountSasPolicy(expiration_period="00.01:00:00", expiration_action="Block"),
            # No blob versioning or change feed: azurerm rejects both on a hierarchical-namespace account. Delta
            # time travel (table versions) and soft delete (deleted files and containers) recover data instead.
            blob_properties=StorageAccountBlobProperties(
                delete_retention_policy=StorageAccountBlobPropertiesDeleteRetentionPolicy(
                    days=settings.soft_delete_days
                ),
                container_delete_retention_policy=StorageAccountBlobPropertiesContainerDeleteRetentionPolicy(
                    days=settings.soft_delete_days
                ),
            ),
            network_rules=StorageAccountNetworkRules(
                default_action="Deny",
                bypass=["AzureServices", "Logging", "Metrics"],
                ip_rules=[],
                virtual_network_subnet_ids=[],
                private_link_access=[
                    StorageAccountNetworkRulesPrivateLinkAccess(endpoint_resource_id=props.trusted_access_connector_id)
                ],
            ),
            tags=ctx.tags,
        )
        self.account_id = account.id
        self.account_name = account.name
        self.principal_id = account.identity.principal_id
        self.dfs_endpoint = account.primary_dfs_endpoint
        self.container_urls: dict[str, str] = {}
        self.containers: dict[str, StorageContainer] = {}
        for container in LAKE_CONTAINERS:
            self.containers[container] = StorageContainer(
                self,
                f"container-{container}",
                name=container,
                storage_account_id=account.id,
                container_access_type="private",
            )
            self.container_urls[container] = f"abfss://{container}@{account.name}.dfs.core.windows.net/"
        if props.private_access is not None:
            add_storage_private_endpoints(self, ctx, props.private_access, target_id=account.id, target_kind="st")
        if props.customer_managed_key is not None:
            key_access = RoleAssignment(
                self,
                "cmk-access",
                scope=props.customer_managed_key.key_vault_id,
                role_definition_name="Key Vault Crypto Service Encryption User",
                principal_id=account.identity.principal_id,
                principal_type="ServicePrincipal",
            )
            StorageAccountCustomerManagedKey(
                self,
                "cmk",
                storage_account_id=account.id,
                key_vault_id=props.customer_managed_key.key_vault_id,
                key_name=props.customer_managed_key.key_name,
                depends_on=[key_access],
            )

    def grant_blob_data_contributor(self, id_: str, principal_id: str) -> RoleAssignment:
        return RoleAssignment(
            self,
            id_,
            scope=self.account_id,
            role_definition_name=BLOB_DATA_CONTRIBUTOR,
            principal_id=principal_id,
            principal_type="ServicePrincipal",
        )
