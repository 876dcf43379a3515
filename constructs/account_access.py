"""What only the Databricks account can grant a workspace, through the account-level provider: the metastore
assignment, the workspace access of the role groups and job principals, the deploy identity's right to run jobs as
the job principal, and serverless compute's private path to the lake (a network connectivity config)."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct
from retailflow.cdk import (
    AccessControlRuleSet,
    AccessControlRuleSetGrantRules,
    DataDatabricksGroup,
    DataDatabricksServicePrincipal,
    MetastoreAssignment,
    MwsNccBinding,
    MwsNccPrivateEndpointRule,
    MwsNetworkConnectivityConfig,
    MwsPermissionAssignment,
    TerraformProvider,
    Token,
)
from retailflow.naming import network_connectivity_config_name

SERVICE_PRINCIPAL_USER = "roles/servicePrincipal.user"
SERVICE_PRINCIPAL_MANAGER = "roles/servicePrincipal.manager"
LAKE_SUBRESOURCES = ("dfs", "blob")


@dataclass(frozen=True)
class AccountAccessProps:
    account_provider: TerraformProvider
    account_id: str
    environment: str
    region: str
    workspace_id: str  # numeric, from the workspace resource
    metastore_id: str
    groups: dict[str, str]  # role -> account group display name
    admin_role: str
    # Job service principals (application ids) admitted to the workspace: the environment's, and the feature
    # environments' when this is their base.
    job_principals: tuple[str, ...]
    deployer_application_id: str
    lake_account_id: str  # the lake storage account: serverless compute reaches it through private endpoints


class AccountAccess(Construct):
    """Outputs: `metastore_assignment`, `group_assignments` (role -> assignment), `job_principal_assignments`
    (application id -> assignment), `run_as_rights` (application id -> rule set), `ncc_binding`."""

    def __init__(self, scope: Construct, id_: str, props: AccountAccessProps) -> None:
        super().__init__(scope, id_)
        account = props.account_provider
        workspace_id = Token.as_number(props.workspace_id)
        self.metastore_assignment = MetastoreAssignment(
            self, "metastore-assignment", provider=account, workspace_id=workspace_id, metastore_id=props.metastore_id
        )

        def admit(id_: str, principal_id: str, permission: str) -> MwsPermissionAssignment:
            return MwsPermissionAssignment(
                self,
                id_,
                provider=account,
                workspace_id=workspace_id,
                principal_id=Token.as_number(principal_id),
                permissions=[permission],
            )

        self.group_assignments: dict[str, MwsPermissionAssignment] = {}
        for role, group_name in props.groups.items():
            group = DataDatabricksGroup(self, f"group-{role}", provider=account, display_name=group_name)
            permission = "ADMIN" if role == props.admin_role else "USER"
            self.group_assignments[role] = admit(f"workspace-access-{role}", group.id, permission)
        self.job_principal_assignments: dict[str, MwsPermissionAssignment] = {}
        self.run_as_rights: dict[str, AccessControlRuleSet] = {}
        for number, application_id in enumerate(props.job_principals):
            principal = DataDatabricksServicePrincipal(
                self, f"job-principal-{number}", provider=account, application_id=application_id
            )
            self.job_principal_assignments[application_id] = admit(
                f"workspace-access-job-principal-{number}", principal.id, "USER"
            )
            # Authoritative for the principal: the deploy identity may set jobs to run as it; admins manage it.
            self.run_as_rights[application_id] = AccessControlRuleSet(
                self,
                f"run-as-job-principal-{number}",
                provider=account,
                name=f"accounts/{props.account_id}/servicePrincipals/{application_id}/ruleSets/default",
                grant_rules=[
                    AccessControlRuleSetGrantRules(
                        principals=[f"servicePrincipals/{props.deployer_application_id}"],
                        role=SERVICE_PRINCIPAL_USER,
                    ),
                    AccessControlRuleSetGrantRules(
                        principals=[f"groups/{props.groups[props.admin_role]}"], role=SERVICE_PRINCIPAL_MANAGER
                    ),
                ],
            )
        ncc = MwsNetworkConnectivityConfig(
            self,
            "serverless-network",
            provider=account,
            name=network_connectivity_config_name(props.environment),
            region=props.region,
        )
        self.ncc_binding = MwsNccBinding(
            self,
            "serverless-network-binding",
            provider=account,
            network_connectivity_config_id=ncc.network_connectivity_config_id,
            workspace_id=workspace_id,
        )
        for subresource in LAKE_SUBRESOURCES:
            MwsNccPrivateEndpointRule(
                self,
                f"serverless-to-lake-{subresource}",
                provider=account,
                network_connectivity_config_id=ncc.network_connectivity_config_id,
                resource_id=props.lake_account_id,
                group_id=subresource,
            )
