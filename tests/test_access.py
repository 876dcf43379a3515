"""Row and column access as data (workloads/runtime/access.py, workloads/retail/access.py): the exact Unity Catalog
statements for the customer dimension, their idempotence, the removal of a dropped rule, and the rules' place in
the graph, the contracts and the stacks."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from retailflow.workloads.retail.access import CUSTOMER_PII, TABLE_RULES
from retailflow.workloads.retail.graph import PIPELINE
from retailflow.workloads.runtime.access import (
    AccessRules,
    AccessState,
    TableRule,
    desired_state,
    plan,
    unmasked_pii,
)

GROUPS = {"admin": "rf-admins", "pii_reader": "rf-pii", "analytics": "rf-analytics", "gold_reader": "rf-gold"}
SP = "6a1e2d3c-4b5a-4697-8887-a1b2c3d4e501"
DIM = TableRule("gold.dim_customer", CUSTOMER_PII, "entitled_countries")
RULES = AccessRules("retailflow_dev", GROUPS, SP, {"analytics": ("DE", "NL"), "gold_reader": ("*",)}, (DIM,))
CLEAR = f"is_account_group_member('rf-admins') OR is_account_group_member('rf-pii') OR current_user() = '{SP}'"


def test_the_statements_for_the_customer_dimension_are_exactly_these():
    assert plan(RULES, AccessState()) == [
        "CREATE OR REPLACE FUNCTION retailflow_dev.governance.filter_entitled_countries(value STRING) RETURNS BOOLEAN "
        f"RETURN {CLEAR} OR (is_account_group_member('rf-analytics') AND value IN ('DE', 'NL')) "
        "OR is_account_group_member('rf-gold')",
        "ALTER FUNCTION retailflow_dev.governance.filter_entitled_countries OWNER TO `rf-admins`",
        "CREATE OR REPLACE FUNCTION retailflow_dev.governance.mask_email_domain(value STRING) RETURNS STRING "
        f"RETURN CASE WHEN {CLEAR} THEN value ELSE regexp_replace(value, '^[^@]*', '***') END",
        "ALTER FUNCTION retailflow_dev.governance.mask_email_domain OWNER TO `rf-admins`",
        "CREATE OR REPLACE FUNCTION retailflow_dev.governance.mask_initial(value STRING) RETURNS STRING "
        f"RETURN CASE WHEN {CLEAR} THEN value ELSE concat(substring(value, 1, 1), '.') END",
        "ALTER FUNCTION retailflow_dev.governance.mask_initial OWNER TO `rf-admins`",
        "ALTER TABLE retailflow_dev.gold.dim_customer ALTER COLUMN email SET MASK "
        "retailflow_dev.governance.mask_email_domain",
        "ALTER TABLE retailflow_dev.gold.dim_customer ALTER COLUMN first_name SET MASK "
        "retailflow_dev.governance.mask_initial",
        "ALTER TABLE retailflow_dev.gold.dim_customer ALTER COLUMN last_name SET MASK "
        "retailflow_dev.governance.mask_initial",
        "ALTER TABLE retailflow_dev.gold.dim_customer SET ROW FILTER "
        "retailflow_dev.governance.filter_entitled_countries ON (country)",
        "ALTER TABLE retailflow_dev.gold.dim_customer ALTER COLUMN email SET TAGS ('classification' = 'pii')",
        "ALTER TABLE retailflow_dev.gold.dim_customer ALTER COLUMN first_name SET TAGS ('classification' = 'pii')",
        "ALTER TABLE retailflow_dev.gold.dim_customer ALTER COLUMN last_name SET TAGS ('classification' = 'pii')",
    ]


def test_applying_twice_changes_nothing():
    assert plan(RULES, desired_state(RULES)) == []


def test_a_changed_entitlement_replaces_only_the_filter_function():
    changed = replace(RULES, countries={"analytics": ("NL",), "gold_reader": ("*",)})
    statements = plan(changed, desired_state(RULES))
    assert [s.split(" RETURNS")[0] for s in statements] == [
        "CREATE OR REPLACE FUNCTION retailflow_dev.governance.filter_entitled_countries(value STRING)",
        "ALTER FUNCTION retailflow_dev.governance.filter_entitled_countries OWNER TO `rf-admins`",
    ]
    assert "value IN ('NL')" in statements[0]


def test_a_dropped_rule_is_removed_and_its_unused_function_dropped():
    without = replace(RULES, tables=(TableRule(DIM.table, CUSTOMER_PII[:1]),))  # names unmasked, no row filter
    assert plan(without, desired_state(RULES)) == [
        "ALTER TABLE retailflow_dev.gold.dim_customer ALTER COLUMN first_name DROP MASK",
        "ALTER TABLE retailflow_dev.gold.dim_customer ALTER COLUMN last_name DROP MASK",
        "ALTER TABLE retailflow_dev.gold.dim_customer DROP ROW FILTER",
        "ALTER TABLE retailflow_dev.gold.dim_customer ALTER COLUMN first_name UNSET TAGS ('classification')",
        "ALTER TABLE retailflow_dev.gold.dim_customer ALTER COLUMN last_name UNSET TAGS ('classification')",
        "DROP FUNCTION IF EXISTS retailflow_dev.governance.filter_entitled_countries",
        "DROP FUNCTION IF EXISTS retailflow_dev.governance.mask_initial",
    ]


def test_a_role_without_entitlements_sees_no_row_and_a_quote_in_a_group_name_stays_in_its_literal():
    rules = replace(RULES, groups={**GROUPS, "analytics": "o'brien"}, countries={"analytics": ()})
    body = desired_state(rules).functions["filter_entitled_countries"]
    assert body.endswith("(is_account_group_member('o\\'brien') AND FALSE)")


def test_the_rules_survive_their_json_form():
    assert AccessRules.from_json(RULES.to_json()) == RULES
    assert json.loads(RULES.to_json())["tables"][0]["table"] == "gold.dim_customer"


def test_the_governance_task_runs_after_every_table_it_governs_and_every_rule_names_real_columns():
    from retailflow.workloads.retail.contracts import registry

    task = PIPELINE.tasks["governance_access"]
    assert sorted(str(ref) for ref in task.inputs) == sorted(rule.table for rule in TABLE_RULES)
    contracts = {str(c.ref): c for c in registry()}
    for rule in TABLE_RULES:
        names = contracts[rule.table].column_names
        assert all(column.name in names for column in rule.columns), rule.table
        assert not rule.row_filter or "country" in names
    assert unmasked_pii(TABLE_RULES) == []


def test_rules_other_than_the_wheels_are_refused():
    from retailflow.workloads.runtime.access_task import AccessRulesDiffer, apply_access

    class Context:
        task = "governance_access"
        access_rules = replace(RULES, tables=()).to_json()

    with pytest.raises(AccessRulesDiffer, match="the access rules given are not this wheel's"):
        apply_access(TABLE_RULES)(Context())  # type: ignore[arg-type]


def test_the_stacks_render_the_environments_rules_for_the_governance_task(stacks):
    for name in ("retailflow-dev", "retailflow-prod"):
        jobs = stacks[name]["resource"]["databricks_job"].values()
        tasks = [t for job in jobs for t in job["task"] if t["task_key"] == "governance_access"]
        (task,) = tasks
        rules = AccessRules.from_json(task["python_wheel_task"]["named_parameters"]["access-rules"])
        assert rules.tables == TABLE_RULES and rules.countries["analytics"] == ("DE", "NL")
        assert rules.groups["pii_reader"].endswith("-pii-readers")
        depends = {d["task_key"] for d in task["depends_on"]}
        assert depends == {"gold_dim_customer", "silver_customers", "silver_customer_changes"}
