"""Row and column access as data: which columns are PII and how they are masked, which tables are filtered by a
reader's entitlements, and the SQL that puts those rules on Unity Catalog tables.

The rules are declared per table (`TableRule`, e.g. `retail.access`) beside the contracts, and per environment in
its config (groups, the job principal, country entitlements). They are rendered once into `AccessRules`,
which the stack passes to the governance task as a parameter (so a change of access shows in the Terraform plan)
and which the local `retailflow query --as ROLE` emulates with views. No pyspark here.

On Databricks a mask or filter is a SQL function in the catalog's `governance` schema; `plan` compares the rules
with what the catalog holds (its information schema) and returns only the statements that make them equal: applying
twice changes nothing, a changed rule replaces its function, a removed rule is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from retailflow.workloads.runtime.refs import sql_string

GOVERNANCE_SCHEMA = "governance"
PII = "pii"
CLASSIFICATION_TAG = "classification"
ALL_COUNTRIES = "*"
# Roles that always see clear values and every row (with the job principal, which rebuilds the tables).
ADMIN_ROLE = "admin"
CLEAR_ROLES = (ADMIN_ROLE, "pii_reader")


@dataclass(frozen=True)
class Mask:
    """What a reader without clear access sees of a STRING column: `expression`, SQL over `value`."""

    name: str
    expression: str
    description: str

    @property
    def function(self) -> str:
        return f"mask_{self.name}"


@dataclass(frozen=True)
class RowFilter:
    """Rows a reader sees: those whose `column` is one of the countries its role is entitled to."""

    name: str
    column: str
    description: str

    @property
    def function(self) -> str:
        return f"filter_{self.name}"


MASKS = {
    mask.name: mask
    for mask in (
        Mask("email_domain", "regexp_replace(value, '^[^@]*', '***')", "An email keeps only its domain"),
        Mask("initial", "concat(substring(value, 1, 1), '.')", "A name keeps its initial"),
    )
}
ENTITLED_COUNTRIES = RowFilter(
    "entitled_countries", "country", "Rows of the countries the reader's role is entitled to"
)
ROW_FILTERS = {ENTITLED_COUNTRIES.name: ENTITLED_COUNTRIES}


@dataclass(frozen=True)
class ColumnRule:
    name: str
    classification: str
    mask: str  # a key of MASKS, or "" for none


@dataclass(frozen=True)
class TableRule:
    table: str  # schema.table
    columns: tuple[ColumnRule, ...] = ()
    row_filter: str = ""  # a key of ROW_FILTERS, or ""


@dataclass(frozen=True)
class AccessRules:
    """Everything the governance task applies, rendered from the contracts and an environment's config."""

    catalog: str
    groups: Mapping[str, str]  # role -> group name
    job_principal: str  # the job service principal's application id
    countries: Mapping[str, tuple[str, ...]]  # role -> entitled countries ("*": all)
    tables: tuple[TableRule, ...] = field(default=())

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> AccessRules:
        data = json.loads(text)
        tables = tuple(
            TableRule(t["table"], tuple(ColumnRule(**c) for c in t["columns"]), t["row_filter"]) for t in data["tables"]
        )
        countries = {role: tuple(values) for role, values in data["countries"].items()}
        return cls(data["catalog"], data["groups"], data["job_principal"], countries, tables)

    def qualified(self, name: str) -> str:
        return f"{self.catalog}.{GOVERNANCE_SCHEMA}.{name}"

    def masks_in_use(self) -> list[Mask]:
        return [MASKS[n] for n in sorted({c.mask for t in self.tables for c in t.columns if c.mask})]

    def filters_in_use(self) -> list[RowFilter]:
        return [ROW_FILTERS[n] for n in sorted({t.row_filter for t in self.tables if t.row_filter})]


def sees_clear(role: str) -> bool:
    return role in CLEAR_ROLES


def entitled(rules: AccessRules, role: str) -> tuple[str, ...] | None:
    """The countries a role sees rows of; None: every row."""
    if sees_clear(role):
        return None
    countries = tuple(rules.countries.get(role, ()))
    return None if ALL_COUNTRIES in countries else countries


def _member(group: str) -> str:
    return f"is_account_group_member({sql_string(group)})"


def clear_access(rules: AccessRules) -> str:
    """SQL true for a reader who sees clear values and every row."""
    whom = [_member(rules.groups[role]) for role in CLEAR_ROLES if role in rules.groups]
    return " OR ".join([*whom, f"current_user() = {sql_string(rules.job_principal)}"])


def mask_body(rules: AccessRules, mask: Mask) -> str:
    return f"CASE WHEN {clear_access(rules)} THEN value ELSE {mask.expression} END"


def in_countries(column: str, countries: Iterable[str]) -> str:
    listed = sorted(countries)
    return f"{column} IN ({', '.join(sql_string(c) for c in listed)})" if listed else "FALSE"


def filter_body(rules: AccessRules, row_filter: RowFilter) -> str:
    conditions = [clear_access(rules)]
    for role in sorted(rules.countries):
        countries = entitled(rules, role)
        if role not in rules.groups or sees_clear(role):
            continue
        member = _member(rules.groups[role])
        conditions.append(member if countries is None else f"({member} AND {in_countries('value', countries)})")
    return " OR ".join(conditions)


@dataclass(frozen=True)
class AccessState:
    """What the catalog holds (or should hold) under the rules' reach: functions of the governance schema by name
    and body, masks by (table, column), row filters by table (function, column), classification tags."""

    functions: Mapping[str, str] = field(default_factory=dict)
    masks: Mapping[tuple[str, str], str] = field(default_factory=dict)
    row_filters: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    tags: Mapping[tuple[str, str], str] = field(default_factory=dict)


def desired_state(rules: AccessRules) -> AccessState:
    functions = {m.function: mask_body(rules, m) for m in rules.masks_in_use()}
    functions |= {f.function: filter_body(rules, f) for f in rules.filters_in_use()}
    masks = {(t.table, c.name): MASKS[c.mask].function for t in rules.tables for c in t.columns if c.mask}
    row_filters = {
        t.table: (ROW_FILTERS[t.row_filter].function, ROW_FILTERS[t.row_filter].column)
        for t in rules.tables
        if t.row_filter
    }
    tags = {(t.table, c.name): c.classification for t in rules.tables for c in t.columns if c.classification}
    return AccessState(functions, masks, row_filters, tags)


def _signature(name: str) -> tuple[str, str]:
    """A function's parameter list and return type, by its kind."""
    return ("value STRING", "BOOLEAN") if name.startswith("filter_") else ("value STRING", "STRING")


def plan(rules: AccessRules, current: AccessState) -> list[str]:
    """The statements that make the catalog hold `rules`, given what it holds: none when it holds them already."""
    want = desired_state(rules)
    table = rules.catalog + "."
    statements: list[str] = []
    for name, body in sorted(want.functions.items()):
        if current.functions.get(name) != body:
            params, returns = _signature(name)
            statements.append(
                f"CREATE OR REPLACE FUNCTION {rules.qualified(name)}({params}) RETURNS {returns} RETURN {body}"
            )
            if ADMIN_ROLE in rules.groups:  # owned by the admins; the job principal manages the schema's functions
                statements.append(f"ALTER FUNCTION {rules.qualified(name)} OWNER TO `{rules.groups[ADMIN_ROLE]}`")
    for (name, column), function in sorted(want.masks.items()):
        if current.masks.get((name, column)) != function:
            statements.append(f"ALTER TABLE {table}{name} ALTER COLUMN {column} SET MASK {rules.qualified(function)}")
    for name, (function, column) in sorted(want.row_filters.items()):
        if current.row_filters.get(name) != (function, column):
            statements.append(f"ALTER TABLE {table}{name} SET ROW FILTER {rules.qualified(function)} ON ({column})")
    for (name, column), classification in sorted(want.tags.items()):
        if current.tags.get((name, column)) != classification:
            statements.append(
                f"ALTER TABLE {table}{name} ALTER COLUMN {column} "
                f"SET TAGS ({sql_string(CLASSIFICATION_TAG)} = {sql_string(classification)})"
            )
    for name, column in sorted(set(current.masks) - set(want.masks)):
        statements.append(f"ALTER TABLE {table}{name} ALTER COLUMN {column} DROP MASK")
    for name in sorted(set(current.row_filters) - set(want.row_filters)):
        statements.append(f"ALTER TABLE {table}{name} DROP ROW FILTER")
    for name, column in sorted(set(current.tags) - set(want.tags)):
        statements.append(
            f"ALTER TABLE {table}{name} ALTER COLUMN {column} UNSET TAGS ({sql_string(CLASSIFICATION_TAG)})"
        )
    for name in sorted(set(current.functions) - set(want.functions)):
        statements.append(f"DROP FUNCTION IF EXISTS {rules.qualified(name)}")
    return statements


def unmasked_pii(rules: Iterable[TableRule]) -> list[str]:
    """`schema.table.column` of every column classified PII that has no mask."""
    return [f"{t.table}.{c.name}" for t in rules for c in t.columns if c.classification == PII and not c.mask]
