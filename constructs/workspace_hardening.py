"""Workspace settings the Databricks Security Reference Architecture sets and a new workspace does not: verbose
audit logs, a token lifetime cap, no DBFS file browser, an IP access list for a public workspace, workspace admins
restricted (tokens, run-as), and the legacy access paths off (Hive metastore, DBFS root and mounts)."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct
from retailflow.cdk import (
    DisableLegacyAccessSetting,
    DisableLegacyAccessSettingDisableLegacyAccess,
    DisableLegacyDbfsSetting,
    DisableLegacyDbfsSettingDisableLegacyDbfs,
    IpAccessList,
    RestrictWorkspaceAdminsSetting,
    RestrictWorkspaceAdminsSettingRestrictWorkspaceAdmins,
    WorkspaceConf,
)


@dataclass(frozen=True)
class WorkspaceHardeningProps:
    token_lifetime_days: int
    ip_access_list: tuple[str, ...]  # CIDRs a public workspace may be reached from; empty for a private one


def workspace_conf(props: WorkspaceHardeningProps) -> dict[str, str]:
    """The `databricks_workspace_conf` keys we own, each set explicitly (the provider takes strings)."""
    return {
        "enableVerboseAuditLogs": "true",
        "enableDbfsFileBrowser": "false",
        "enableExportNotebook": "false",
        "enableResultsDownloading": "false",
        "enableIpAccessLists": "true" if props.ip_access_list else "false",
        "maxTokenLifetimeDays": str(props.token_lifetime_days),
    }


class WorkspaceHardening(Construct):
    """Outputs: `settings` (the resources, for what must wait for a hardened workspace)."""

    def __init__(self, scope: Construct, id_: str, props: WorkspaceHardeningProps) -> None:
        super().__init__(scope, id_)
        conf = WorkspaceConf(self, "workspace-conf", custom_config=workspace_conf(props))
        self.settings = [
            conf,
            RestrictWorkspaceAdminsSetting(
                self,
                "restrict-workspace-admins",
                restrict_workspace_admins=RestrictWorkspaceAdminsSettingRestrictWorkspaceAdmins(
                    status="RESTRICT_TOKENS_AND_JOB_RUN_AS"
                ),
            ),
            DisableLegacyAccessSetting(
                self,
                "disable-legacy-access",
                disable_legacy_access=DisableLegacyAccessSettingDisableLegacyAccess(value=True),
            ),
            DisableLegacyDbfsSetting(
                self, "disable-legacy-dbfs", disable_legacy_dbfs=DisableLegacyDbfsSettingDisableLegacyDbfs(value=True)
            ),
        ]
        if props.ip_access_list:
            self.settings.append(
                IpAccessList(
                    self,
                    "ip-access-list",
                    label="allowed",
                    list_type="ALLOW",
                    ip_addresses=list(props.ip_access_list),
                    enabled=True,
                    depends_on=[conf],  # the list applies once IP access lists are enabled
                )
            )
