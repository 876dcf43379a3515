"""What a real first `terraform apply` needs, encoded on the synthesized JSON (no Azure or Databricks is reachable
from here). Each test names the provider or Azure behaviour it guards; `test_apply_order` walks each resource's
dependency closure (references and `depends_on`), the only order Terraform knows."""

from __future__ import annotations

import re

import pytest
from conftest import FEATURE_STACK, only, resources

from retailflow.config import load_environment, standard_environments
from retailflow.config.models import ROLES
from retailflow.governance import SYSTEM_SCHEMA_READERS

STANDARD = tuple(c.stack_name for c in standard_environments())
REFERENCE = re.compile(r"\$\{(?:data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)")
FIRST_PARTY_APP = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"


def config_of(stack_name: str):
    return load_environment(stack_name.removeprefix("retailflow-"))


def addresses(stack: dict) -> dict[str, dict]:
    """`type.name` -> resource body, for resources and data sources."""
    found = {f"{t}.{n}": body for t, items in stack.get("resource", {}).items() for n, body in items.items()}
    found |= {f"{t}.{n}": body for t, items in stack.get("data", {}).items() for n, body in items.items()}
    return found


def direct_dependencies(body: dict) -> set[str]:
    text = repr({k: v for k, v in body.items() if k != "depends_on"})
    edges = {f"{t}.{n}" for t, n in REFERENCE.findall(text)}
    return edges | {d.removeprefix("data.") for d in body.get("depends_on", [])}


def closure(stack: dict, address: str) -> set[str]:
    bodies = addresses(stack)
    seen: set[str] = set()
    todo = list(direct_dependencies(bodies[address]))
    while todo:
        edge = todo.pop()
        if edge not in seen and edge in bodies:
            seen.add(edge)
            todo.extend(direct_dependencies(bodies[edge]))
    return seen


def path_of(body: dict) -> str:
    return body["//"]["metadata"]["path"]


def named(stack: dict, resource_type: str, path_end: str) -> tuple[str, dict]:
    """The one resource of a type whose construct path ends with `path_end`."""
    hits = [
        (f"{resource_type}.{n}", b) for n, b in resources(stack, resource_type).items() if path_of(b).endswith(path_end)
    ]
    assert len(hits) == 1, f"{resource_type} ending {path_end}: {[h[0] for h in hits]}"
    return hits[0]


def all_of(stack: dict, resource_type: str) -> list[str]:
    return [f"{resource_type}.{n}" for n in resources(stack, resource_type)]


@pytest.mark.parametrize("stack", STANDARD)
def test_lake_has_soft_delete_but_no_blob_versioning_or_change_feed(stacks, stack):
    # azurerm rejects versioning_enabled and change_feed_enabled on an is_hns_enabled account (terraform-provider-azurerm #19418).
    account = only(stacks[stack], "azurerm_storage_account")
    assert account["is_hns_enabled"] is True
    assert not {"versioning_enabled", "change_feed_enabled"} & set(account["blob_properties"])
    assert account["blob_properties"]["delete_retention_policy"]["days"] >= 1


@pytest.mark.parametrize("stack", STANDARD)
def test_azurerm_never_reads_the_storage_data_plane(stacks, stack):
    # A deny-by-default storage firewall answers azurerm's data-plane reads from outside the network with 403.
    (azurerm,) = stacks[stack]["provider"]["azurerm"]
    assert azurerm["features"][0]["storage"] == [{"data_plane_available": False}]
    for container in resources(stacks[stack], "azurerm_storage_container").values():
        assert "storage_account_id" in container and "storage_account_name" not in container  # management plane


@pytest.mark.parametrize("stack", STANDARD)
def test_a_private_environment_deploys_from_a_self_hosted_runner(stack):
    # Its workspace and storage answer only inside the network: GitHub-hosted runners cannot reach the data plane.
    config = config_of(stack)
    if config.network.private:
        assert config.deploy.runner == "self-hosted" and config.deploy.runner_labels


@pytest.mark.parametrize("stack", STANDARD)
def test_account_level_resources_use_the_account_provider(stacks, stack):
    # The workspace-level provider cannot assign metastores, admit account principals, grant run-as rights or
    # manage network connectivity configs: they need host accounts.azuredatabricks.net and the account id.
    s, config = stacks[stack], config_of(stack)
    account = [p for p in s["provider"]["databricks"] if p.get("alias") == "account"]
    assert account == [
        {"account_id": config.databricks.account_id, "alias": "account", "host": "https://accounts.azuredatabricks.net"}
    ]
    for resource_type in (
        "databricks_metastore_assignment",
        "databricks_mws_permission_assignment",
        "databricks_access_control_rule_set",
        "databricks_mws_network_connectivity_config",
        "databricks_mws_ncc_binding",
        "databricks_mws_ncc_private_endpoint_rule",
    ):
        assert resources(s, resource_type), resource_type
        assert {b.get("provider") for b in resources(s, resource_type).values()} == {"databricks.account"}
    assert {b.get("provider") for b in s["data"]["databricks_group"].values()} == {"databricks.account"}


@pytest.mark.parametrize("stack", STANDARD)
def test_role_groups_and_job_principals_are_admitted_to_the_workspace(stacks, stack):
    # Grants and secret ACLs name account groups; Unity Catalog resolves them only once they are assigned.
    s, config = stacks[stack], config_of(stack)
    groups = {b["display_name"] for b in s["data"]["databricks_group"].values()}
    assert groups == set(config.groups.by_role().values())
    permissions = sorted(tuple(b["permissions"]) for b in resources(s, "databricks_mws_permission_assignment").values())
    job_principals = 1 + (stack == "retailflow-dev")  # dev also admits the feature environments' principal
    assert permissions == sorted([("ADMIN",)] + [("USER",)] * (len(ROLES) - 1 + job_principals))


@pytest.mark.parametrize("stack", STANDARD)
def test_the_deploy_identity_may_run_jobs_as_the_job_principal(stacks, stack):
    # Setting a job's run_as to a service principal needs servicePrincipal.user on it (else the job create fails).
    s, config = stacks[stack], config_of(stack)
    sp = config.service_principal.application_id
    _, rule_set = named(s, "databricks_access_control_rule_set", "run-as-job-principal-0")
    assert rule_set["name"] == f"accounts/{config.databricks.account_id}/servicePrincipals/{sp}/ruleSets/default"
    assert {
        "principals": [f"servicePrincipals/{config.deploy.identity_application_id}"],
        "role": "roles/servicePrincipal.user",
    } in rule_set["grant_rules"]


@pytest.mark.parametrize("stack", STANDARD)
def test_serverless_reaches_the_lake_through_private_endpoint_rules(stacks, stack):
    # Serverless compute leaves from Databricks' network: a deny-by-default lake admits it only through NCC
    # private endpoints (dfs and blob), bound to the workspace.
    s = stacks[stack]
    ncc_address, _ = named(s, "databricks_mws_network_connectivity_config", "serverless-network")
    _, binding = named(s, "databricks_mws_ncc_binding", "serverless-network-binding")
    assert ncc_address.split(".")[1] in binding["network_connectivity_config_id"]
    rules = resources(s, "databricks_mws_ncc_private_endpoint_rule").values()
    assert sorted(r["group_id"] for r in rules) == ["blob", "dfs"]
    assert all("azurerm_storage_account.lake_account" in r["resource_id"] for r in rules)


@pytest.mark.parametrize("stack", STANDARD)
def test_databricks_can_read_the_key_vault_behind_the_secret_scope(stacks, stack):
    # An RBAC-authorized vault answers the AzureDatabricks first-party app (2ff814a6-...) only with a role on it.
    s, config = stacks[stack], config_of(stack)
    role_address, role = named(s, "azurerm_role_assignment", "databricks-reads-secrets")
    assert role["role_definition_name"] == "Key Vault Secrets User"
    assert role["principal_id"] == config.azure.databricks_first_party_object_id
    assert role["scope"].startswith("${azurerm_key_vault.") and role["scope"].endswith(".id}")
    scope_address = all_of(s, "databricks_secret_scope")[0]
    assert role_address in closure(s, scope_address), f"the scope ({FIRST_PARTY_APP} reads it) waits for the role"


@pytest.mark.parametrize("stack", STANDARD)
def test_the_databricks_subnets_have_explicit_egress(stacks, stack):
    # Subnets without default outbound access (and without a NAT gateway or route) leave clusters unable to start.
    s, config = stacks[stack], config_of(stack)
    subnets = {a for a in all_of(s, "azurerm_subnet") if "snet-host" in a or "snet-container" in a}
    if config.network.egress.kind == "nat_gateway":
        associations = resources(s, "azurerm_subnet_nat_gateway_association").values()
        assert only(s, "azurerm_public_ip")["sku"] == "Standard"
    else:
        associations = resources(s, "azurerm_subnet_route_table_association").values()
        (route,) = only(s, "azurerm_route_table")["route"]
        assert route["address_prefix"] == "0.0.0.0/0" and route["next_hop_type"] == "VirtualAppliance"
        assert route["next_hop_in_ip_address"] == str(config.network.egress.firewall_private_ip)
    assert {next(iter(direct_dependencies(a) & subnets)) for a in associations} == subnets


@pytest.mark.parametrize("stack", STANDARD)
def test_the_workspace_storage_firewall_has_its_private_endpoints(stacks, stack):
    # default_storage_firewall_enabled denies the workspace's own (DBFS) storage but for its private endpoints.
    s, config = stacks[stack], config_of(stack)
    workspace = only(s, "azurerm_databricks_workspace")
    name = workspace["custom_parameters"]["storage_account_name"]
    assert workspace["default_storage_firewall_enabled"] is True and re.fullmatch(r"[a-z0-9]{3,24}", name)
    endpoints = [
        e
        for e in resources(s, "azurerm_private_endpoint").values()
        if e["private_service_connection"]["private_connection_resource_id"].endswith(f"/storageAccounts/{name}")
    ]
    expected = ["blob", "dfs"] if config.network.private else []
    assert sorted(e["private_service_connection"]["subresource_names"][0] for e in endpoints) == expected


@pytest.mark.parametrize("stack", STANDARD)
def test_browser_authentication_endpoint_only_where_the_config_hosts_it(stacks, stack):
    # Private workspaces of a region share one browser_authentication endpoint for single sign-on.
    s, config = stacks[stack], config_of(stack)
    kinds = [
        e["private_service_connection"]["subresource_names"][0]
        for e in resources(s, "azurerm_private_endpoint").values()
    ]
    assert kinds.count("browser_authentication") == int(config.network.browser_authentication_host)


@pytest.mark.parametrize("stack", STANDARD)
def test_the_job_cluster_policy_does_not_set_autotermination(stacks, stack):
    # Job clusters reject autotermination_minutes, also when a cluster policy fixes it.
    import json

    for policy in resources(stacks[stack], "databricks_cluster_policy").values():
        assert "autotermination_minutes" not in json.loads(policy["definition"])


@pytest.mark.parametrize("stack", STANDARD)
def test_the_workspace_is_hardened_as_the_security_reference_architecture_does(stacks, stack):
    # A new workspace keeps short audit logs, lifelong tokens, the DBFS browser and legacy access paths open.
    s, config = stacks[stack], config_of(stack)
    conf = only(s, "databricks_workspace_conf")["custom_config"]
    assert conf["enableVerboseAuditLogs"] == "true" and conf["enableDbfsFileBrowser"] == "false"
    assert conf["maxTokenLifetimeDays"] == str(config.workspace.token_lifetime_days)
    assert conf["enableIpAccessLists"] == ("true" if config.workspace.public_network_access else "false")
    lists = list(resources(s, "databricks_ip_access_list").values())
    assert [sorted(x["ip_addresses"]) for x in lists] == (
        [sorted(str(c) for c in config.workspace.ip_access_list)] if config.workspace.public_network_access else []
    )
    restricted = only(s, "databricks_restrict_workspace_admins_setting")["restrict_workspace_admins"]
    assert restricted == {"status": "RESTRICT_TOKENS_AND_JOB_RUN_AS"}
    assert only(s, "databricks_disable_legacy_access_setting")["disable_legacy_access"] == {"value": True}
    assert only(s, "databricks_disable_legacy_dbfs_setting")["disable_legacy_dbfs"] == {"value": True}
    compliance = only(s, "azurerm_databricks_workspace").get("enhanced_security_compliance")
    assert bool(compliance) == config.workspace.enhanced_security_compliance


@pytest.mark.parametrize("stack", STANDARD)
def test_system_schemas_are_enabled_once_per_metastore_and_granted(stacks, stack):
    # Enabling a system schema is the metastore's: one environment does it, readers get SELECT on what they audit.
    s, config = stacks[stack], config_of(stack)
    enabled = sorted(b["schema"] for b in resources(s, "databricks_system_schema").values())
    assert enabled == (sorted(SYSTEM_SCHEMA_READERS) if config.unity_catalog.enables_system_schemas else [])
    if config.unity_catalog.enables_system_schemas:
        grants = {
            (b.get("schema", b.get("catalog")), b["principal"]) for b in resources(s, "databricks_grant").values()
        }
        assert ("system.access", config.groups.admin) in grants and (
            "system.billing",
            config.groups.analytics,
        ) in grants
        assert ("system", config.groups.analytics) in grants


@pytest.mark.parametrize("stack", [*STANDARD, FEATURE_STACK])
def test_every_securable_is_owned_by_the_admin_group(stacks, stack):
    # Without an owner the deploy identity owns them, a principal outside the grants matrix.
    admin = load_environment("feature" if stack == FEATURE_STACK else stack.removeprefix("retailflow-")).groups.admin
    for resource_type in (
        "databricks_catalog",
        "databricks_schema",
        "databricks_volume",
        "databricks_external_location",
        "databricks_storage_credential",
    ):
        for body in resources(stacks[stack], resource_type).values():
            assert body["owner"] == admin, (resource_type, path_of(body))


@pytest.mark.parametrize("stack", STANDARD)
def test_a_budget_alerts_the_monitoring_action_group(stacks, stack):
    s, config = stacks[stack], config_of(stack)
    budget = only(s, "azurerm_consumption_budget_resource_group")
    assert budget["amount"] == config.budget.monthly_amount and budget["time_grain"] == "Monthly"
    assert [n["threshold"] for n in budget["notification"]] == config.budget.thresholds_percent
    assert all(
        "azurerm_monitor_action_group.monitoring_action-group" in n["contact_groups"][0] for n in budget["notification"]
    )


def test_a_feature_environment_runs_as_its_own_principal_and_keeps_its_files_in_its_catalog(stacks):
    # Never dev's job principal: a feature branch's code must not get dev's grants.
    feature, template, dev = stacks[FEATURE_STACK], load_environment("feature"), load_environment("dev")
    own = template.service_principal.application_id
    assert own != dev.service_principal.application_id
    for job in resources(feature, "databricks_job").values():
        assert job["run_as"] == {"service_principal_name": own}
    assert dev.service_principal.application_id not in repr(feature)
    assert [v["volume_type"] for v in resources(feature, "databricks_volume").values()] == ["MANAGED", "MANAGED"]


@pytest.mark.parametrize("stack", STANDARD)
def test_apply_order(stacks, stack):
    """Every resource waits for what it names: a path string or an id copied from config creates no edge."""
    s = stacks[stack]
    artifacts, _ = named(s, "databricks_volume", "volume-artifacts")
    for upload in all_of(s, "databricks_file"):
        assert artifacts in closure(s, upload), "the wheel upload waits for its volume"
    connector_role, _ = named(s, "azurerm_role_assignment", "access-connector-blob-data")
    wait, sleep = named(s, "time_sleep", "connector-access-propagation")
    assert connector_role in closure(s, wait) and sleep["create_duration"]
    for location, body in resources(s, "databricks_external_location").items():
        container = path_of(body).rsplit("location-", 1)[1]
        container_address, _ = named(s, "azurerm_storage_container", f"container-{container}")
        assert {container_address, wait} <= closure(s, f"databricks_external_location.{location}")
    credential = all_of(s, "databricks_storage_credential")[0]
    metastore = all_of(s, "databricks_metastore_assignment")[0]
    assert {wait, metastore} <= closure(s, credential)
    assert metastore in closure(s, all_of(s, "databricks_catalog")[0])
    principal, _ = named(s, "databricks_service_principal", "job-identity/service-principal")
    rights, _ = named(s, "databricks_access_control_rule_set", "run-as-job-principal-0")
    for job in all_of(s, "databricks_job"):
        assert {principal, rights} <= closure(s, job), "jobs run as the principal the deployer may use"
    for grants in all_of(s, "databricks_grants"):
        assert principal in closure(s, grants)
    jobs_acl, _ = named(s, "databricks_secret_acl", "secret-acl-jobs")
    admins_acl, _ = named(s, "databricks_secret_acl", "secret-acl-admins")
    admin_assignment, _ = named(s, "databricks_mws_permission_assignment", "workspace-access-admin")
    assert principal in closure(s, jobs_acl) and admin_assignment in closure(s, admins_acl)
    vault_role, _ = named(s, "azurerm_role_assignment", "databricks-reads-secrets")
    assert vault_role in closure(s, all_of(s, "databricks_secret_scope")[0])
