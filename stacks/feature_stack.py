"""A short-lived feature environment (`retailflow-feature-<slug>`).

It references the base (dev) environment's workspace, metastore, storage credential, external locations and network
(names come from the same naming rules), runs as the feature environments' own job principal, and owns only its
catalog, schemas, volumes (landing included, so destroying it removes its files), grants, artifacts and jobs. Its
jobs are always paused and everything carries an `expires_on` tag, fixed at creation.
"""

from __future__ import annotations

from dataclasses import replace

from constructs import Construct
from retailflow.cdk import (
    DataAzurermDatabricksWorkspace,
    DataDatabricksServicePrincipal,
    Fn,
    Offset,
    TerraformOutput,
    TerraformStack,
)
from retailflow.config import EnvironmentConfig
from retailflow.constructs.context import PlatformContext
from retailflow.constructs.unity_catalog import UnityCatalog, UnityCatalogProps
from retailflow.governance import role_principals
from retailflow.stacks.providers import azure_provider, configure_backend, databricks_provider, time_provider
from retailflow.stacks.workloads import add_workloads
from retailflow.wheel import BuiltWheel


class FeatureStack(TerraformStack):
    def __init__(
        self,
        scope: Construct,
        config: EnvironmentConfig,
        base: EnvironmentConfig,
        wheel: BuiltWheel,
    ) -> None:
        super().__init__(scope, config.stack_name)
        assert config.feature is not None
        configure_backend(self, config, config.stack_name)
        azure_provider(self, base)
        time_provider(self)
        # The expiry is fixed when the environment is created and kept in its state: later deploys do not move it.
        expiry = Offset(self, "expiry", offset_days=config.feature.ttl_days)
        expires_on = Fn.substr(expiry.rfc3339, 0, 10)
        ctx = replace(PlatformContext.of(config), extra_tags={"expires_on": expires_on})
        base_ctx = PlatformContext.of(base)
        base_workspace = DataAzurermDatabricksWorkspace(
            self,
            "base-workspace",
            name=base_ctx.name("databricks_workspace"),
            resource_group_name=base_ctx.name("resource_group"),
        )
        databricks_provider(self, host=base_workspace.workspace_url, workspace_resource_id=base_workspace.id)
        lake = base_ctx.name("storage_account")
        # The feature environments' own job principal (never the base's), admitted to the base workspace by the
        # base environment's stack; privileged on this catalog only.
        principal = DataDatabricksServicePrincipal(
            self, "job-principal", application_id=config.service_principal.application_id
        )
        catalog = UnityCatalog(
            self,
            "unity-catalog",
            UnityCatalogProps(
                environment=config.name,
                catalog_name=config.catalog,
                workspace_id=base_workspace.workspace_id,
                principals=role_principals(config),
                analytics_reads_silver=config.unity_catalog.analytics_reads_silver,
                managed_storage_root=f"abfss://unity@{lake}.dfs.core.windows.net/features/{config.name}",
                landing_location=None,  # a managed volume: its files go with the catalog on destroy
                shared_storage=None,
                force_destroy=config.ephemeral,
                owner=config.groups.admin,
                principals_ready=(principal,),
            ),
        )
        add_workloads(self, config, catalog, ctx.tags, cluster_policy_id=None, wheel=wheel, run_as_ready=(principal,))
        TerraformOutput(self, "workspace_url", value=base_workspace.workspace_url)
        TerraformOutput(self, "catalog_name", value=catalog.catalog_name)
        TerraformOutput(self, "expires_on", value=expires_on)
