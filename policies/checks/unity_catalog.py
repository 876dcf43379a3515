"""Unity Catalog: isolated catalogs, grants only to the configured principals, ALL_PRIVILEGES only for admin,
reader roles never holding a write privilege."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult

from retailflow.governance import READER_ROLES, WRITE_PRIVILEGE_PREFIXES, role_principals
from retailflow.policies.checks.common import (
    RetailFlowCheck,
    blocks,
    environment_config,
    privileges,
    value,
)


class CatalogIsolated(RetailFlowCheck):
    def __init__(self) -> None:
        super().__init__(
            "RF_UC_001",
            "Unity Catalog catalogs are isolated (bound to their workspace)",
            CheckCategories.IAM,
            ["databricks_catalog"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        return CheckResult.PASSED if value(conf, "isolation_mode") == "ISOLATED" else CheckResult.FAILED


class GrantsToConfiguredPrincipals(RetailFlowCheck):
    def __init__(self) -> None:
        super().__init__(
            "RF_UC_002",
            "Grants go only to the environment's configured role groups and job service principal",
            CheckCategories.IAM,
            ["databricks_grants"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        config = environment_config(conf)
        if config is None:
            return CheckResult.FAILED
        allowed = set(role_principals(config).values())
        principals = {value(g, "principal") for g in blocks(conf, "grant")}
        return CheckResult.PASSED if principals <= allowed else CheckResult.FAILED


class AllPrivilegesOnlyForAdmin(RetailFlowCheck):
    def __init__(self) -> None:
        super().__init__(
            "RF_UC_003",
            "ALL_PRIVILEGES is granted only to the admin group, and only on the catalog",
            CheckCategories.IAM,
            ["databricks_grants"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        config = environment_config(conf)
        admin = config.groups.admin if config else None
        for grant in blocks(conf, "grant"):
            if "ALL_PRIVILEGES" in privileges(grant) and (value(grant, "principal") != admin or "catalog" not in conf):
                return CheckResult.FAILED
        return CheckResult.PASSED


class ReadersNeverWrite(RetailFlowCheck):
    def __init__(self) -> None:
        super().__init__(
            "RF_UC_004",
            "Reader roles never hold MODIFY, CREATE_*, WRITE_*, MANAGE or ALL_PRIVILEGES",
            CheckCategories.IAM,
            ["databricks_grants"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        config = environment_config(conf)
        if config is None:
            return CheckResult.FAILED
        readers = {config.groups.by_role()[role] for role in READER_ROLES}
        for grant in blocks(conf, "grant"):
            if value(grant, "principal") not in readers:
                continue
            if any(p.startswith(WRITE_PRIVILEGE_PREFIXES) for p in privileges(grant)):
                return CheckResult.FAILED
        return CheckResult.PASSED


class SecretScopeBackedByKeyVault(RetailFlowCheck):
    def __init__(self) -> None:
        super().__init__(
            "RF_UC_005",
            "Secret scopes are backed by Azure Key Vault",
            CheckCategories.SECRETS,
            ["databricks_secret_scope"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        metadata = value(conf, "keyvault_metadata") or {}
        backed = value(conf, "backend_type") == "AZURE_KEYVAULT" and bool(value(metadata, "resource_id"))
        return CheckResult.PASSED if backed else CheckResult.FAILED


checks = [
    CatalogIsolated(),
    GrantsToConfiguredPrincipals(),
    AllPrivilegesOnlyForAdmin(),
    ReadersNeverWrite(),
    SecretScopeBackedByKeyVault(),
]
