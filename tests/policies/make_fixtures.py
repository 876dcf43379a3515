"""Writes tests/policies/fixtures/<check>-{pass,fail}/cdk.tf.json: the smallest stacks that pass and fail each
custom check. Run `python tests/policies/make_fixtures.py` after changing a check's fixture here."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "fixtures"
SP = "6a1e2d3c-4b5a-4697-8887-a1b2c3d4e503"
TAGS = {"env": "prod", "owner": "data-platform", "cost_center": "CC-1042", "managed_by": "retailflow-cdktf"}


def meta(stack: str, name: str) -> dict[str, Any]:
    return {"metadata": {"path": f"{stack}/{name}", "uniqueId": name}}


def stack(resource_type: str, name: str, body: dict[str, Any], stack_name: str = "retailflow-prod") -> dict[str, Any]:
    return {"resource": {resource_type: {name: {"//": meta(stack_name, name), **body}}}}


JOB = {
    "name": "retailflow-prod-x",
    "timeout_seconds": 3600,
    "email_notifications": {"on_failure": ["oncall@retailflow.example"]},
    "health": {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 600}]},
    "run_as": {"service_principal_name": SP},
    "job_cluster": [
        {
            "job_cluster_key": "main",
            "new_cluster": {
                "spark_version": "16.4.x-scala2.12",
                "policy_id": "${databricks_cluster_policy.p.id}",
                "data_security_mode": "SINGLE_USER",
            },
        }
    ],
    "task": [
        {
            "task_key": "t",
            "timeout_seconds": 600,
            "python_wheel_task": {
                "package_name": "retailflow_runtime",
                "entry_point": "retailflow-task",
                "named_parameters": {"task": "t"},
            },
        }
    ],
}


def job(change) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = copy.deepcopy(JOB)
    change(body)
    return stack("databricks_job", "job", body)


def rules(mask: str) -> str:
    """Access rules for one PII column, masked with `mask` ("" for none)."""
    column = {"name": "last_name", "classification": "pii", "mask": mask}
    table = {"table": "gold.dim_customer", "columns": [column], "row_filter": ""}
    return json.dumps(
        {"catalog": "c", "groups": {}, "job_principal": SP, "countries": {}, "tables": [table]}, sort_keys=True
    )


def grants(principal: str, privileges: list[str], securable: dict[str, str] | None = None) -> dict[str, Any]:
    return stack(
        "databricks_grants",
        "grants",
        {
            **(securable or {"schema": "retailflow_prod.gold"}),
            "grant": [{"principal": principal, "privileges": privileges}],
        },
    )


WORKSPACE = {
    "name": "dbw",
    "location": "westeurope",
    "resource_group_name": "rg",
    "sku": "premium",
    "public_network_access_enabled": False,
    "custom_parameters": {"no_public_ip": True},
    "tags": TAGS,
}
STORAGE = {
    "name": "st",
    "location": "westeurope",
    "resource_group_name": "rg",
    "account_tier": "Standard",
    "account_replication_type": "GRS",
    "infrastructure_encryption_enabled": True,
    "public_network_access_enabled": False,
    "tags": TAGS,
}

FIXTURES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "RF_UC_001": (
        stack("databricks_catalog", "catalog", {"name": "retailflow_prod", "isolation_mode": "ISOLATED"}),
        stack("databricks_catalog", "catalog", {"name": "retailflow_prod", "isolation_mode": "OPEN"}),
    ),
    "RF_UC_002": (
        grants("retailflow-prod-gold-readers", ["USE_SCHEMA", "SELECT"]),
        grants("some-user@retailflow.example", ["SELECT"]),
    ),
    "RF_UC_003": (
        grants("retailflow-prod-admins", ["ALL_PRIVILEGES"], {"catalog": "retailflow_prod"}),
        grants("retailflow-prod-analytics", ["ALL_PRIVILEGES"], {"catalog": "retailflow_prod"}),
    ),
    "RF_UC_004": (
        grants("retailflow-prod-gold-readers", ["SELECT"]),
        grants("retailflow-prod-gold-readers", ["SELECT", "MODIFY"]),
    ),
    "RF_UC_005": (
        stack(
            "databricks_secret_scope",
            "scope",
            {
                "name": "s",
                "backend_type": "AZURE_KEYVAULT",
                "keyvault_metadata": {
                    "resource_id": "${azurerm_key_vault.kv.id}",
                    "dns_name": "${azurerm_key_vault.kv.vault_uri}",
                },
            },
        ),
        stack("databricks_secret_scope", "scope", {"name": "s", "backend_type": "DATABRICKS"}),
    ),
    "RF_JOB_001": (job(lambda j: None), job(lambda j: j.pop("email_notifications"))),
    "RF_JOB_002": (job(lambda j: None), job(lambda j: j.pop("health"))),
    "RF_JOB_003": (job(lambda j: None), job(lambda j: j["task"][0].pop("timeout_seconds"))),
    "RF_JOB_004": (job(lambda j: None), job(lambda j: j.update(run_as={"user_name": "jane@retailflow.example"}))),
    "RF_JOB_005": (
        job(lambda j: None),
        job(
            lambda j: j["task"][0]["python_wheel_task"]["named_parameters"].update(
                token="token=dapi0123456789abcdef0123456789abcdef"
            )
        ),
    ),
    "RF_JOB_007": (
        job(lambda j: j["task"][0]["python_wheel_task"]["named_parameters"].update({"access-rules": rules("initial")})),
        job(lambda j: j["task"][0]["python_wheel_task"]["named_parameters"].update({"access-rules": rules("")})),
    ),
    "RF_JOB_006": (job(lambda j: None), job(lambda j: j["job_cluster"][0]["new_cluster"].pop("policy_id"))),
    "RF_AZ_001": (
        stack("azurerm_databricks_workspace", "workspace", WORKSPACE),
        stack("azurerm_databricks_workspace", "workspace", {**WORKSPACE, "custom_parameters": {"no_public_ip": False}}),
    ),
    "RF_AZ_002": (
        stack("azurerm_storage_account", "lake", STORAGE),
        stack("azurerm_storage_account", "lake", {**STORAGE, "infrastructure_encryption_enabled": False}),
    ),
    "RF_AZ_003": (
        stack("azurerm_resource_group", "rg", {"name": "rg", "location": "westeurope", "tags": TAGS}),
        stack("azurerm_resource_group", "rg", {"name": "rg", "location": "westeurope", "tags": {"env": "prod"}}),
    ),
    "RF_AZ_004": (
        stack("azurerm_storage_account", "lake", STORAGE),
        stack("azurerm_storage_account", "lake", {**STORAGE, "public_network_access_enabled": True}),
    ),
}


def main() -> None:
    for check_id, (passing, failing) in FIXTURES.items():
        for outcome, content in (("pass", passing), ("fail", failing)):
            folder = HERE / f"{check_id}-{outcome}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "cdk.tf.json").write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
