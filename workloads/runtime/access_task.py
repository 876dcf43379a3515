"""The governance task: puts the access rules (`runtime.access`) on the catalog's tables and logs what it ran.

The rules come rendered by the stack (`--access-rules`), so an access change shows in the Terraform plan; their tables
must be those this wheel declares (`retail.access`), else the task fails rather than apply rules of another version. On an
engine without Unity Catalog masks and filters (the local one) the statements are logged, not run: the local
`retailflow query --as ROLE` emulates the rules with views instead."""

from __future__ import annotations

from collections.abc import Callable

from retailflow.workloads.runtime.access import (
    CLASSIFICATION_TAG,
    GOVERNANCE_SCHEMA,
    AccessRules,
    AccessState,
    TableRule,
    plan,
)
from retailflow.workloads.runtime.context import TaskContext, TaskOutcome
from retailflow.workloads.runtime.ops import ACCESS_LOG, utcnow
from retailflow.workloads.runtime.refs import sql_string
from retailflow.workloads.runtime.tables import Lakehouse


class AccessRulesDiffer(ValueError):
    """The rules the task was given are not those the wheel it runs from declares."""


def current_access(lake: Lakehouse, catalog: str) -> AccessState:
    """What the catalog holds: the governance schema's functions, and the masks, row filters and classification
    tags of every table, from its information schema."""
    schema = f"{catalog}.information_schema"
    governance = sql_string(GOVERNANCE_SCHEMA)

    def rows(query: str) -> list[tuple[str, ...]]:
        return [tuple(row) for row in lake.sql(query).collect()]

    functions = rows(
        f"SELECT routine_name, routine_definition FROM {schema}.routines WHERE routine_schema = {governance}"
    )
    masks = rows(
        f"SELECT schema_name, table_name, column_name, mask_name FROM {schema}.column_masks "
        f"WHERE mask_schema = {governance}"
    )
    filters = rows(
        f"SELECT schema_name, table_name, filter_name, filter_col_usage FROM {schema}.row_filters "
        f"WHERE filter_schema = {governance}"
    )
    tags = rows(
        f"SELECT schema_name, table_name, column_name, tag_value FROM {schema}.column_tags "
        f"WHERE tag_name = {sql_string(CLASSIFICATION_TAG)}"
    )
    return AccessState(
        functions={name: definition for name, definition in functions},
        masks={(f"{s}.{t}", c): m for s, t, c, m in masks},
        row_filters={f"{s}.{t}": (f, columns) for s, t, f, columns in filters},
        tags={(f"{s}.{t}", c): v for s, t, c, v in tags},
    )


def apply_access(
    declared: tuple[TableRule, ...], read_state: Callable[[Lakehouse, str], AccessState] = current_access
) -> Callable[[TaskContext], TaskOutcome]:
    """The governance task's run for the tables `declared` (the wheel's rules)."""

    def run(ctx: TaskContext) -> TaskOutcome:
        if ctx.access_rules is None:
            raise AccessRulesDiffer(f"task {ctx.task}: no --access-rules given (the stack renders them for this task)")
        rules = AccessRules.from_json(ctx.access_rules)
        if rules.tables != declared:
            raise AccessRulesDiffer(
                f"task {ctx.task}: the access rules given are not this wheel's (given for "
                f"{[t.table for t in rules.tables]}, declared for {[t.table for t in declared]}); deploy both together"
            )
        applies = ctx.capabilities.access_policies
        statements = plan(rules, read_state(ctx.lake, rules.catalog) if applies else AccessState())
        for statement in statements if applies else ():
            ctx.lake.sql(statement)
        now = utcnow()
        log = [{"run_id": ctx.run_id, "statement": s, "applied": applies, "logged_at": now} for s in statements]
        if log:
            ctx.lake.append_rows(ACCESS_LOG, log)
        return TaskOutcome(len(statements), len(log), 0)

    return run
