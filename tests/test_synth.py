"""Assertions on the synthesized cdk.tf.json of every stack (not on Python objects)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import FEATURE_STACK, only, resources

from retailflow.config import load_environment, standard_environments
from retailflow.constructs.context import REQUIRED_TAGS
from retailflow.governance import (
    JOB_PRINCIPAL,
    VALID_PRIVILEGES,
    WRITE_PRIVILEGE_PREFIXES,
    grants_matrix,
    principal_grants,
)
from retailflow.workloads.retail.graph import PIPELINE as GRAPH

STANDARD = tuple(c.stack_name for c in standard_environments())  # every standard environment file
NOT_TAGGABLE = {
    "azurerm_subnet",
    "azurerm_subnet_network_security_group_association",
    "azurerm_storage_container",
    "azurerm_role_assignment",
    "azurerm_monitor_diagnostic_setting",
    "azurerm_storage_account_customer_managed_key",
    "azurerm_consumption_budget_resource_group",
    "azurerm_nat_gateway_public_ip_association",
    "azurerm_subnet_nat_gateway_association",
    "azurerm_subnet_route_table_association",
}


def test_every_environment_and_the_feature_stack_synthesize(stacks):
    assert set(stacks) == {*STANDARD, FEATURE_STACK}


def test_prod_is_private_everywhere(stacks):
    prod = stacks["retailflow-prod"]
    account = only(prod, "azurerm_storage_account")
    assert account["public_network_access_enabled"] is False
    assert account["network_rules"]["default_action"] == "Deny"
    vault = only(prod, "azurerm_key_vault")
    assert vault["public_network_access_enabled"] is False and vault["network_acls"]["default_action"] == "Deny"
    workspace = only(prod, "azurerm_databricks_workspace")
    assert workspace["public_network_access_enabled"] is False
    assert workspace["network_security_group_rules_required"] == "NoAzureDatabricksRules"
    endpoints = {
        e["private_service_connection"]["subresource_names"][0]
        for e in resources(prod, "azurerm_private_endpoint").values()
    }
    assert endpoints == {"dfs", "blob", "vault", "databricks_ui_api"}
    zones = {z["name"] for z in resources(prod, "azurerm_private_dns_zone").values()}
    assert zones == {
        "privatelink.dfs.core.windows.net",
        "privatelink.blob.core.windows.net",
        "privatelink.vaultcore.azure.net",
        "privatelink.azuredatabricks.net",
    }
    assert len(resources(prod, "azurerm_private_dns_zone_virtual_network_link")) == 4
    assert account["account_replication_type"] == "RAGZRS" and vault["sku_name"] == "premium"


def test_dev_differs_exactly_as_its_config_says(stacks):
    dev, config = stacks["retailflow-dev"], load_environment("dev")
    assert (
        only(dev, "azurerm_databricks_workspace")["public_network_access_enabled"]
        is config.workspace.public_network_access
    )
    assert only(dev, "azurerm_storage_account")["public_network_access_enabled"] is True
    assert resources(dev, "azurerm_private_endpoint") == {} and resources(dev, "azurerm_private_dns_zone") == {}
    assert only(dev, "azurerm_storage_account")["account_replication_type"] == config.storage.replication
    assert only(dev, "azurerm_storage_account")["network_rules"]["default_action"] == "Deny"


@pytest.mark.parametrize("stack", STANDARD)
def test_secure_storage_key_vault_and_workspace_attributes_are_explicit(stacks, stack):
    s = stacks[stack]
    account = only(s, "azurerm_storage_account")
    expected = {
        "is_hns_enabled": True,
        "min_tls_version": "TLS1_2",
        "https_traffic_only_enabled": True,
        "allow_nested_items_to_be_public": False,
        "shared_access_key_enabled": False,
        "local_user_enabled": False,
        "infrastructure_encryption_enabled": True,
        "cross_tenant_replication_enabled": False,
    }
    assert {k: account[k] for k in expected} == expected
    blob = account["blob_properties"]
    # azurerm rejects versioning and change feed on a hierarchical-namespace account; soft delete stays.
    assert "versioning_enabled" not in blob and "change_feed_enabled" not in blob
    assert blob["delete_retention_policy"]["days"] >= 1
    assert blob["container_delete_retention_policy"]["days"] >= 1
    connector = only(s, "azurerm_databricks_access_connector")
    assert account["network_rules"]["private_link_access"][0]["endpoint_resource_id"].startswith(
        "${azurerm_databricks_access_connector."
    )
    containers = {c["name"]: c["container_access_type"] for c in resources(s, "azurerm_storage_container").values()}
    assert containers == dict.fromkeys(("raw", "bronze", "silver", "gold", "unity"), "private")
    vault = only(s, "azurerm_key_vault")
    assert vault["rbac_authorization_enabled"] is True and vault["purge_protection_enabled"] is True
    assert vault["soft_delete_retention_days"] == 90
    workspace = only(s, "azurerm_databricks_workspace")
    assert workspace["sku"] == "premium" and workspace["custom_parameters"]["no_public_ip"] is True
    params = workspace["custom_parameters"]
    assert (
        params["public_subnet_network_security_group_association_id"]
        and params["private_subnet_network_security_group_association_id"]
    )
    subnets = [x for x in resources(s, "azurerm_subnet").values() if x.get("delegation")]
    assert len(subnets) == 2
    assert all(x["delegation"][0]["service_delegation"]["name"] == "Microsoft.Databricks/workspaces" for x in subnets)
    assert len(resources(s, "azurerm_subnet_network_security_group_association")) == 3
    roles = sorted(r["role_definition_name"] for r in resources(s, "azurerm_role_assignment").values())
    assert roles == ["Key Vault Secrets User", "Storage Blob Data Contributor"]
    assert connector["identity"]["type"] == "SystemAssigned"
    diag = {d["name"].split("-")[-1] for d in resources(s, "azurerm_monitor_diagnostic_setting").values()}
    assert diag == {"dbw", "blob", "kv"}
    alert = only(s, "azurerm_monitor_scheduled_query_rules_alert_v2")
    assert "runFailed" in alert["criteria"][0]["query"]
    assert set(s["output"]) >= {"workspace_url", "storage_account_name", "key_vault_uri", "catalog_name"}


@pytest.mark.parametrize("stack", [*STANDARD, FEATURE_STACK])
def test_every_taggable_azure_resource_carries_the_required_tags(stacks, stack):
    for resource_type, items in stacks[stack].get("resource", {}).items():
        if not resource_type.startswith("azurerm_") or resource_type in NOT_TAGGABLE:
            continue
        for name, resource in items.items():
            tags = resource.get("tags", {})
            missing = [t for t in REQUIRED_TAGS if t not in tags]
            assert not missing, f"{stack} {resource_type}.{name} lacks tags {missing}"


def test_feature_stack_owns_only_its_catalog_and_jobs(stacks):
    feature = stacks[FEATURE_STACK]
    assert not [t for t in feature["resource"] if t.startswith("azurerm_")]
    assert "databricks_metastore_assignment" not in feature["resource"]
    assert "databricks_storage_credential" not in feature["resource"]
    assert "databricks_external_location" not in feature["resource"]
    assert only(feature, "databricks_catalog")["name"] == "retailflow_feat_abc_123_new_thing_91e125"
    assert set(feature["data"]) == {"azurerm_databricks_workspace", "databricks_service_principal"}
    for job in resources(feature, "databricks_job").values():
        assert job["schedule"]["pause_status"] == "PAUSED" and "expires_on" in job["tags"]


def _expected_grants(stack_name: str) -> dict[str, dict[str, list[str]]]:
    env = stack_name.removeprefix("retailflow-")
    config = load_environment("feature" if env.startswith("feature-") else env)
    principals = {**config.groups.by_role(), JOB_PRINCIPAL: config.service_principal.application_id}
    matrix = grants_matrix(config.unity_catalog.analytics_reads_silver, shared_storage=not env.startswith("feature-"))
    return {s.key: {p: sorted(v) for p, v in g.items()} for s, g in principal_grants(matrix, principals).items()}


def _securable_key(resource: dict) -> str:
    for kind in ("catalog", "schema", "volume", "external_location", "storage_credential"):
        if kind in resource:
            value = resource[kind]
            if kind == "catalog":
                return "catalog"
            if kind in ("schema", "volume"):
                return f"{kind}:{value.split('.', 1)[1]}"
            if kind == "storage_credential":
                return "storage_credential:lake"
            return "external_location:" + re.search(r"location-([a-z]+)_", value).group(1)
    raise AssertionError(resource)


@pytest.mark.parametrize("stack", [*STANDARD, FEATURE_STACK])
def test_grants_equal_the_matrix_one_resource_per_securable(stacks, stack):
    grants = list(resources(stacks[stack], "databricks_grants").values())
    rendered: dict[str, dict[str, list[str]]] = {}
    for g in grants:
        key = _securable_key(g)
        assert key not in rendered, f"two databricks_grants for {key}"
        rendered[key] = {x["principal"]: sorted(x["privileges"]) for x in g["grant"]}
    assert rendered == _expected_grants(stack)
    for key, principals in rendered.items():
        kind = key.split(":")[0]
        for principal, privileges in principals.items():
            assert set(privileges) <= VALID_PRIVILEGES[kind], (key, principal, privileges)
            if "ALL_PRIVILEGES" in privileges:
                assert key == "catalog" and principal.endswith("-admins")
    config = load_environment("prod")
    for role in ("bronze_reader", "silver_reader", "gold_reader", "analytics"):
        group = config.groups.by_role()[role]
        for key, principals in _expected_grants("retailflow-prod").items():
            for privilege in principals.get(group, []):
                assert not privilege.startswith(WRITE_PRIVILEGE_PREFIXES), (role, key, privilege)


def test_absent_role_layer_pairs_have_no_privilege(stacks):
    config = load_environment("prod")
    groups = config.groups.by_role()
    rendered = {
        _securable_key(g): {x["principal"] for x in g["grant"]}
        for g in resources(stacks["retailflow-prod"], "databricks_grants").values()
    }
    assert groups["bronze_reader"] not in rendered["schema:silver"] | rendered["schema:gold"] | rendered["schema:raw"]
    assert groups["silver_reader"] not in rendered["schema:bronze"] | rendered["schema:gold"]
    assert groups["gold_reader"] not in rendered["schema:bronze"] | rendered["schema:silver"]
    assert groups["analytics"] not in rendered["schema:silver"]  # analytics_reads_silver is false in prod
    assert (
        groups["raw_ingestion"] not in rendered["schema:bronze"] | rendered["schema:silver"] | rendered["schema:gold"]
    )


SECRET_PATTERNS = [
    re.compile(p)
    for p in (
        r"AccountKey=",
        r"(?i)password\s*[:=]",
        r"dapi[0-9a-f]{32}",
        r"-----BEGIN [A-Z ]*PRIVATE KEY",
        r"(?i)client_secret",
        r"AKIA[0-9A-Z]{16}",
        r"(?i)sig=[A-Za-z0-9%]{20,}",
        r"eyJ[A-Za-z0-9_-]{20,}\.",
        r"SharedAccessKey=",
    )
]


@pytest.mark.parametrize("stack", [*STANDARD, FEATURE_STACK])
def test_no_secret_looking_string_in_synthesized_json(stacks, stack):
    text = json.dumps(stacks[stack])
    for pattern in SECRET_PATTERNS:
        assert not pattern.search(text), f"{stack}: {pattern.pattern}"


@pytest.mark.parametrize("stack", [*STANDARD, FEATURE_STACK])
def test_jobs_are_generated_from_the_pipeline_graph(stacks, stack):
    jobs = {
        j["name"].split("-", 2)[2]
        if stack in STANDARD
        else j["name"].rsplit("-", 2)[-2] + "-" + j["name"].rsplit("-", 1)[-1]: j
        for j in resources(stacks[stack], "databricks_job").values()
    }
    assert len(jobs) == len(GRAPH.workloads)
    by_tasks = {frozenset(t["task_key"] for t in j["task"]): j for j in jobs.values()}
    for workload in GRAPH.workloads:
        job = by_tasks[frozenset(t.key for t in workload.tasks)]
        for task in job["task"]:
            expected = GRAPH.dependencies(task["task_key"])
            assert [d["task_key"] for d in task.get("depends_on", [])] == expected
            if GRAPH.tasks[task["task_key"]].kind == "dbt":  # the marts: dbt on the warehouse, the project uploaded
                dbt = task["dbt_task"]
                assert dbt["commands"] == ["dbt build"] and dbt["source"] == "WORKSPACE" and dbt["schema"] == "marts"
                assert dbt["warehouse_id"].startswith("${databricks_sql_endpoint.") and "python_wheel_task" not in task
            else:
                wheel = task["python_wheel_task"]
                assert (
                    wheel["entry_point"] == "retailflow-task" and wheel["named_parameters"]["task"] == task["task_key"]
                )
            assert task["timeout_seconds"] > 0 and task["max_retries"] >= 1
        assert job["max_concurrent_runs"] == 1 and job["queue"]["enabled"] is True
        assert job["email_notifications"]["on_failure"]
        assert job["health"]["rules"][0]["metric"] == "RUN_DURATION_SECONDS"
        assert re.fullmatch(r"[0-9a-f-]{36}", job["run_as"]["service_principal_name"])


def test_compute_follows_config(stacks):
    dev_job = next(iter(resources(stacks["retailflow-dev"], "databricks_job").values()))
    assert dev_job["environment"][0]["spec"]["dependencies"][0].startswith("/Volumes/retailflow_dev/ops/artifacts/")
    assert all(t["environment_key"] == "retailflow" for t in dev_job["task"])
    prod_job = next(iter(resources(stacks["retailflow-prod"], "databricks_job").values()))
    cluster = prod_job["job_cluster"][0]["new_cluster"]
    assert (
        cluster["policy_id"].startswith("${databricks_cluster_policy.")
        and cluster["data_security_mode"] == "USER_ISOLATION"
        and "single_user_name" not in cluster
    )
    assert prod_job["schedule"]["pause_status"] == "UNPAUSED"
    stg_job = next(iter(resources(stacks["retailflow-stg"], "databricks_job").values()))
    assert stg_job["schedule"]["pause_status"] == "PAUSED"


def test_one_artifact_path_everywhere(stacks):
    paths = {only(s, "databricks_file")["path"].rsplit("/", 2)[-2] for s in stacks.values()}
    assert len(paths) == 1


def test_secret_scope_is_key_vault_backed(stacks):
    for name in STANDARD:
        scope = only(stacks[name], "databricks_secret_scope")
        assert scope["backend_type"] == "AZURE_KEYVAULT"
        assert scope["keyvault_metadata"]["resource_id"].startswith("${azurerm_key_vault.")


def test_unity_catalog_objects(stacks):
    prod = stacks["retailflow-prod"]
    catalog = only(prod, "databricks_catalog")
    assert catalog["isolation_mode"] == "ISOLATED" and catalog["name"] == "retailflow_prod"
    assert {s["name"] for s in resources(prod, "databricks_schema").values()} == {
        "raw",
        "bronze",
        "silver",
        "gold",
        "ops",
        "governance",
        "marts",
    }
    assert only(prod, "databricks_storage_credential")["isolation_mode"] == "ISOLATION_MODE_ISOLATED"
    locations = resources(prod, "databricks_external_location").values()
    assert len(locations) == 5 and all(x["isolation_mode"] == "ISOLATION_MODE_ISOLATED" for x in locations)
    volumes = {v["name"]: v["volume_type"] for v in resources(prod, "databricks_volume").values()}
    assert volumes == {"landing": "EXTERNAL", "artifacts": "MANAGED"}
    assert (
        only(prod, "databricks_metastore_assignment")["metastore_id"]
        == load_environment("prod").unity_catalog.metastore_id
    )


def test_workload_tables_live_in_schemas_governed_by_the_matrix():
    governed = {s.name for s in grants_matrix(False, False) if s.kind == "schema"}
    assert {t.schema for t in GRAPH.tables()} <= governed


@pytest.mark.parametrize("stack", ["retailflow-dev", "retailflow-prod", "feature"])
def test_the_marts_run_on_a_serverless_warehouse_the_job_principal_may_use_from_the_uploaded_project(stacks, stack):
    import base64

    from retailflow.constructs.marts import dbt_project_files

    synthesized = stacks[FEATURE_STACK if stack == "feature" else stack]
    (warehouse,) = resources(synthesized, "databricks_sql_endpoint").values()
    assert warehouse["enable_serverless_compute"] is True and warehouse["warehouse_type"] == "PRO"
    assert warehouse["auto_stop_mins"] == 10 and warehouse["max_num_clusters"] == 1
    (job,) = [j for j in resources(synthesized, "databricks_job").values() if j["name"].endswith("medallion")]
    use = [p for p in resources(synthesized, "databricks_permissions").values() if "sql_endpoint_id" in p]
    assert use == [
        {
            **use[0],
            "access_control": [
                {"permission_level": "CAN_USE", "service_principal_name": job["run_as"]["service_principal_name"]}
            ],
        }
    ]
    files = {
        f["path"]: base64.b64decode(f["content_base64"])
        for f in resources(synthesized, "databricks_workspace_file").values()
    }
    (dbt,) = [t["dbt_task"] for t in job["task"] if "dbt_task" in t]
    assert files == {f"{dbt['project_directory']}/{name}": data for name, data in dbt_project_files().items()}
    assert "profiles.yml" not in " ".join(files)
    waits = [d for d in job["depends_on"] if d.startswith("databricks_workspace_file.")]
    assert len(waits) == len(files)  # the project path is a string: the job waits for the files explicitly
