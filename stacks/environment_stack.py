"""One whole environment (`retailflow-dev|stg|prod`): Azure platform, Unity Catalog, job identity, workloads."""

from __future__ import annotations

from constructs import Construct
from retailflow.cdk import ResourceGroup, Sleep, TerraformOutput, TerraformStack
from retailflow.config import EnvironmentConfig
from retailflow.constructs.account_access import AccountAccess, AccountAccessProps
from retailflow.constructs.context import PlatformContext
from retailflow.constructs.job_identity import JobIdentity, JobIdentityProps, KeyVaultReference
from retailflow.constructs.key_vault import KeyVault, KeyVaultProps
from retailflow.constructs.lake_storage import CustomerManagedKey, LakeStorage, LakeStorageProps
from retailflow.constructs.monitoring import Monitoring, MonitoringProps
from retailflow.constructs.network import Network, NetworkProps
from retailflow.constructs.private_endpoint import PrivateAccess
from retailflow.constructs.unity_catalog import SharedStorageProps, UnityCatalog, UnityCatalogProps
from retailflow.constructs.workspace import AccessConnector, Workspace, WorkspaceProps
from retailflow.constructs.workspace_hardening import WorkspaceHardening, WorkspaceHardeningProps
from retailflow.governance import ADMIN_ROLE, role_principals
from retailflow.stacks.providers import (
    azure_provider,
    configure_backend,
    databricks_account_provider,
    databricks_provider,
    time_provider,
)
from retailflow.stacks.workloads import add_workloads
from retailflow.wheel import BuiltWheel

ROLE_PROPAGATION = "180s"  # Azure RBAC: a new role assignment can take minutes to apply


class EnvironmentStack(TerraformStack):
    """Azure platform, account access, workspace hardening, job identity, Unity Catalog and workloads, each resource
    ordered after what it names (references or `depends_on`: Terraform knows no other order)."""

    def __init__(
        self,
        scope: Construct,
        config: EnvironmentConfig,
        wheel: BuiltWheel,
        feature_principals: tuple[str, ...] = (),
    ) -> None:
        super().__init__(scope, config.stack_name)
        ctx = PlatformContext.of(config)
        configure_backend(self, config, config.stack_name)
        azure_provider(self, config)
        time_provider(self)

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
        vault_readable = key_vault.grant_secrets_user(
            "databricks-reads-secrets", config.azure.databricks_first_party_object_id
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
        connector_role = lake.grant_blob_data_contributor("access-connector-blob-data", connector.principal_id)
        # Role assignments take minutes to reach the storage data plane; the credential is validated through it.
        connector_access = Sleep(
            self, "connector-access-propagation", create_duration=ROLE_PROPAGATION, depends_on=[connector_role]
        )
        workspace = Workspace(
            self,
            "workspace",
            WorkspaceProps(
                ctx,
                rg.name,
                config.workspace,
                network,
                connector,
                private_access,
                browser_authentication_host=config.network.browser_authentication_host,
            ),
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
                resource_group_id=rg.id,
                budget=config.budget,
            ),
        )

        databricks_provider(self, host=workspace.workspace_url, workspace_resource_id=workspace.workspace_resource_id)
        job_principal = config.service_principal.application_id
        access = AccountAccess(
            self,
            "account-access",
            AccountAccessProps(
                account_provider=databricks_account_provider(self, config.databricks.account_id),
                account_id=config.databricks.account_id,
                environment=config.name,
                region=config.azure.location,
                workspace_id=workspace.workspace_id,
                metastore_id=config.unity_catalog.metastore_id,
                groups=config.groups.by_role(),
                admin_role=ADMIN_ROLE,
                job_principals=(job_principal, *feature_principals),
                deployer_application_id=config.deploy.identity_application_id,
                lake_account_id=lake.account_id,
            ),
        )
        WorkspaceHardening(
            self,
            "workspace-hardening",
            WorkspaceHardeningProps(
                token_lifetime_days=config.workspace.token_lifetime_days,
                ip_access_list=tuple(str(cidr) for cidr in config.workspace.ip_access_list),
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
                principal_admitted=access.job_principal_assignments[job_principal],
                admins_admitted=access.group_assignments[ADMIN_ROLE],
                vault_readable=vault_readable,
            ),
        )
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
                owner=config.groups.admin,
                principals_ready=(identity.principal, *access.group_assignments.values()),
                system_schemas=config.unity_catalog.enables_system_schemas,
                shared_storage=SharedStorageProps(
                    metastore_assignment=access.metastore_assignment,
                    access_connector_id=connector.connector_id,
                    connector_access=connector_access,
                    container_urls=lake.container_urls,
                    containers=dict(lake.containers),
                ),
            ),
        )
        add_workloads(
            self,
            config,
            catalog,
            ctx.tags,
            identity.cluster_policy_id,
            wheel,
            run_as_ready=(identity.principal, access.run_as_rights[job_principal], *network.egress),
        )

        TerraformOutput(self, "workspace_url", value=workspace.workspace_url)
        TerraformOutput(self, "storage_account_name", value=lake.account_name)
        TerraformOutput(self, "key_vault_uri", value=key_vault.vault_uri)
        TerraformOutput(self, "catalog_name", value=catalog.catalog_name)
