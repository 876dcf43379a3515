"""One whole environment (`retailflow-dev|stg|prod`): Azure platform, Unity Catalog, job identity, workloads."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack

from constructs import Construct
from retailflow.config import EnvironmentConfig
from retailflow.constructs.context import PlatformContext
from retailflow.constructs.job_identity import JobIdentity, JobIdentityProps, KeyVaultReference
from retailflow.constructs.key_vault import KeyVault, KeyVaultProps
from retailflow.constructs.lake_storage import CustomerManagedKey, LakeStorage, LakeStorageProps
from retailflow.constructs.monitoring import Monitoring, MonitoringProps
from retailflow.constructs.network import Network, NetworkProps
from retailflow.constructs.private_endpoint import PrivateAccess
from retailflow.constructs.unity_catalog import SharedStorageProps, UnityCatalog, UnityCatalogProps
from retailflow.constructs.workspace import AccessConnector, Workspace, WorkspaceProps
from retailflow.governance import role_principals
from retailflow.providers import ResourceGroup
from retailflow.stacks.providers import azure_provider, configure_backend, databricks_provider
from retailflow.stacks.workloads import add_workloads
from retailflow.wheel import BuiltWheel


class EnvironmentStack(TerraformStack):
    def __init__(self, scope: Construct, config: EnvironmentConfig, wheel: BuiltWheel) -> None:
        super().__init__(scope, config.stack_name)
        ctx = PlatformContext.of(config)
        configure_backend(self, config, config.stack_name)
        azure_provider(self, config)

        rg = ResourceGroup(
            self, "resource-group", name=ctx.name("resource_group"), location=ctx.location, tags=ctx.tags
        )
        network = Network(self, "network", NetworkProps(ctx, rg.name, config.network))
        private_access = (
            PrivateAccess(rg.name, network.private_endpoint_subnet_id, network.private_dns_zone_ids)
            if config.network.private
            else None
        )
        connector = AccessConnector(self, "access-connector", context=ctx, resource_group_name=rg.name)
        key_vault = KeyVault(
            self,
            "key-vault",
            KeyVaultProps(ctx, rg.name, config.azure.tenant_id, config.key_vault, private_access),
        )
        storage_key = None
        if config.storage.customer_managed_key:
            key = key_vault.add_encryption_key("storage-cmk", "storage")
            storage_key = CustomerManagedKey(key_vault.vault_id, key.name)
        lake = LakeStorage(
            self,
            "lake",
            LakeStorageProps(ctx, rg.name, config.storage, connector.connector_id, private_access, storage_key),
        )
        lake.grant_blob_data_contributor("access-connector-blob-data", connector.principal_id)
        workspace = Workspace(
            self,
            "workspace",
            WorkspaceProps(ctx, rg.name, config.workspace, network, connector, private_access),
        )
        Monitoring(
            self,
            "monitoring",
            MonitoringProps(
                context=ctx,
                resource_group_name=rg.name,
                retention_days=config.monitoring.log_retention_days,
                alert_emails=list(config.alerts.emails),
                log_sources={
                    "dbw": workspace.workspace_resource_id,
                    "blob": f"{lake.account_id}/blobServices/default",
                    "kv": key_vault.vault_id,
                },
            ),
        )

        databricks_provider(self, host=workspace.workspace_url, workspace_resource_id=workspace.workspace_resource_id)
        catalog = UnityCatalog(
            self,
            "unity-catalog",
            UnityCatalogProps(
                environment=config.name,
                catalog_name=config.catalog,
                workspace_id=workspace.workspace_id,
                principals=role_principals(config),
                analytics_reads_silver=config.unity_catalog.analytics_reads_silver,
                managed_storage_root=lake.container_urls["unity"] + "catalogs/" + config.catalog,
                landing_location=lake.container_urls["raw"] + "landing",
                force_destroy=config.ephemeral,
                shared_storage=SharedStorageProps(
                    metastore_id=config.unity_catalog.metastore_id,
                    access_connector_id=connector.connector_id,
                    container_urls=lake.container_urls,
                ),
            ),
        )
        identity = JobIdentity(
            self,
            "job-identity",
            JobIdentityProps(
                environment=config.name,
                service_principal=config.service_principal,
                key_vault=KeyVaultReference(resource_id=key_vault.vault_id, dns_name=key_vault.vault_uri),
                admin_group=config.groups.admin,
                job_cluster=config.compute.job_cluster if config.compute.mode == "job_cluster" else None,
                tags=ctx.tags,
            ),
        )
        add_workloads(self, config, catalog, ctx.tags, identity.cluster_policy_id, wheel)

        TerraformOutput(self, "workspace_url", value=workspace.workspace_url)
        TerraformOutput(self, "storage_account_name", value=lake.account_name)
        TerraformOutput(self, "key_vault_uri", value=key_vault.vault_uri)
        TerraformOutput(self, "catalog_name", value=catalog.catalog_name)
