"""What jobs run as and read secrets through: the service principal, a Key Vault-backed secret scope that only it
(and admins) can read, and, for job-cluster compute, the cluster policy every job cluster must use."""

from __future__ import annotations

import json
from dataclasses import dataclass

from constructs import Construct
from retailflow.cdk import (
    ClusterPolicy,
    ITerraformDependable,
    SecretAcl,
    SecretScope,
    SecretScopeKeyvaultMetadata,
    ServicePrincipal,
)
from retailflow.config.models import JobCluster, ServicePrincipalSettings
from retailflow.naming import cluster_policy_name, secret_scope_name


@dataclass(frozen=True)
class KeyVaultReference:
    resource_id: str
    dns_name: str  # the vault URI


@dataclass(frozen=True)
class JobIdentityProps:
    environment: str
    service_principal: ServicePrincipalSettings
    key_vault: KeyVaultReference
    admin_group: str
    job_cluster: JobCluster | None
    tags: dict[str, str]
    # The account's admission of the job principal and of the admin group to the workspace: the principal and the
    # admins' secret ACL need them first.
    principal_admitted: ITerraformDependable
    admins_admitted: ITerraformDependable
    # What lets Databricks read the Key Vault behind the scope (its first-party app's role on the vault).
    vault_readable: ITerraformDependable


# Standard access mode: the jobs write tables that carry column masks and row filters (runtime.access), which
# standard compute enforces itself; dedicated compute reads them through serverless filtering and can only merge or
# append into them (docs/adr/0005-row-and-column-access.md). The runtime needs nothing dedicated compute alone allows.
JOB_ACCESS_MODE = "USER_ISOLATION"


def cluster_policy_definition(cluster: JobCluster, tags: dict[str, str]) -> dict[str, object]:
    """Unity Catalog standard access mode (JOB_ACCESS_MODE), allowed node types, fixed tags. No
    `autotermination_minutes`: job clusters reject it, even when a policy fixes it."""
    definition: dict[str, object] = {
        "data_security_mode": {"type": "fixed", "value": JOB_ACCESS_MODE},
        "spark_version": {"type": "fixed", "value": cluster.spark_version},
        "node_type_id": {
            "type": "allowlist",
            "values": cluster.allowed_node_types,
            "defaultValue": cluster.node_type_id,
        },
        "num_workers": {"type": "range", "maxValue": max(cluster.num_workers, 1) * 4},
        "enable_local_disk_encryption": {"type": "fixed", "value": True},
    }
    for key, value in sorted(tags.items()):
        definition[f"custom_tags.{key}"] = {"type": "fixed", "value": value}
    return definition


class JobIdentity(Construct):
    """Outputs: `principal` (what must wait for the job principal), `application_id`, `secret_scope`,
    `cluster_policy_id` (None for serverless)."""

    def __init__(self, scope: Construct, id_: str, props: JobIdentityProps) -> None:
        super().__init__(scope, id_)
        sp = ServicePrincipal(
            self,
            "service-principal",
            application_id=props.service_principal.application_id,
            display_name=props.service_principal.display_name,
            allow_cluster_create=False,
            allow_instance_pool_create=False,
            databricks_sql_access=False,
            workspace_access=True,
            active=True,
            depends_on=[props.principal_admitted],
        )
        self.principal = sp
        self.application_id = sp.application_id
        secret_scope = SecretScope(
            self,
            "secret-scope",
            name=secret_scope_name(props.environment),
            backend_type="AZURE_KEYVAULT",
            keyvault_metadata=SecretScopeKeyvaultMetadata(
                resource_id=props.key_vault.resource_id, dns_name=props.key_vault.dns_name
            ),
            depends_on=[props.vault_readable],
        )
        self.secret_scope = secret_scope.name
        SecretAcl(self, "secret-acl-jobs", scope=secret_scope.name, principal=sp.application_id, permission="READ")
        SecretAcl(
            self,
            "secret-acl-admins",
            scope=secret_scope.name,
            principal=props.admin_group,
            permission="MANAGE",
            depends_on=[props.admins_admitted],
        )
        self.cluster_policy_id: str | None = None
        if props.job_cluster is not None:
            policy = ClusterPolicy(
                self,
                "cluster-policy",
                name=cluster_policy_name(props.environment),
                description="Job clusters of RetailFlow workloads: Unity Catalog single-user mode, allowed nodes",
                definition=json.dumps(cluster_policy_definition(props.job_cluster, props.tags), sort_keys=True),
            )
            self.cluster_policy_id = policy.id
