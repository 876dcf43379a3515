"""The Unity Catalog grants matrix, defined once: role -> securable -> privileges.

It is rendered into exactly one `databricks_grants` per securable (constructs/grants.py), into the README table
(`retailflow docs`), and checked by the policy scan and the tests. Tables inherit their schema's grants, so every
table a workload writes follows this matrix; workload code never grants anything itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from retailflow.config.models import ROLES, AccessSettings, EnvironmentConfig
from retailflow.workloads.retail.access import TABLE_RULES
from retailflow.workloads.runtime.access import AccessRules

LAYERS = ("raw", "bronze", "silver", "gold")
GOVERNANCE_SCHEMA = "governance"  # the column mask and row filter functions (runtime.access)
MARTS_SCHEMA = "marts"  # the dbt marts (dbt/)
SCHEMAS = (*LAYERS, MARTS_SCHEMA, "ops", GOVERNANCE_SCHEMA)
SCHEMA_PURPOSE = {
    MARTS_SCHEMA: "Marts built by dbt on the gold and silver tables (dbt/)",
    "ops": "Run log, ingest ledger, quarantine, data-quality results",
    GOVERNANCE_SCHEMA: "Column mask and row filter functions, owned by the admins (runtime.access)",
}
LANDING_VOLUME = "raw.landing"
ARTIFACTS_VOLUME = "ops.artifacts"
# The lake's containers: one per layer and one for Unity Catalog's managed storage; each is an external location.
LAKE_CONTAINERS = ("raw", "bronze", "silver", "gold", "unity")

# The job service principal is the one non-group principal: it runs every workload task.
JOB_PRINCIPAL = "pipeline"
PRINCIPAL_ROLES = (*ROLES, JOB_PRINCIPAL)
ADMIN_ROLE = "admin"  # owns every object, MANAGE everywhere
GOVERNANCE_TASK = "governance_access"  # the graph's task that applies the access rules

# Valid Unity Catalog privileges per securable type.
VALID_PRIVILEGES: dict[str, frozenset[str]] = {
    "catalog": frozenset(
        [
            "ALL_PRIVILEGES",
            "APPLY_TAG",
            "BROWSE",
            "CREATE_FUNCTION",
            "CREATE_MATERIALIZED_VIEW",
            "CREATE_MODEL",
            "CREATE_SCHEMA",
            "CREATE_TABLE",
            "CREATE_VOLUME",
            "EXECUTE",
            "MANAGE",
            "MODIFY",
            "READ_VOLUME",
            "REFRESH",
            "SELECT",
            "USE_CATALOG",
            "USE_SCHEMA",
            "WRITE_VOLUME",
        ]
    ),
    "schema": frozenset(
        [
            "ALL_PRIVILEGES",
            "APPLY_TAG",
            "CREATE_FUNCTION",
            "CREATE_MATERIALIZED_VIEW",
            "CREATE_MODEL",
            "CREATE_TABLE",
            "CREATE_VOLUME",
            "EXECUTE",
            "MANAGE",
            "MODIFY",
            "READ_VOLUME",
            "REFRESH",
            "SELECT",
            "USE_SCHEMA",
            "WRITE_VOLUME",
        ]
    ),
    "volume": frozenset(["ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "READ_VOLUME", "WRITE_VOLUME"]),
    "external_location": frozenset(
        [
            "ALL_PRIVILEGES",
            "BROWSE",
            "CREATE_EXTERNAL_TABLE",
            "CREATE_EXTERNAL_VOLUME",
            "CREATE_MANAGED_STORAGE",
            "MANAGE",
            "READ_FILES",
            "WRITE_FILES",
        ]
    ),
    "storage_credential": frozenset(
        ["ALL_PRIVILEGES", "CREATE_EXTERNAL_LOCATION", "CREATE_EXTERNAL_TABLE", "MANAGE", "READ_FILES", "WRITE_FILES"]
    ),
}
WRITE_PRIVILEGE_PREFIXES = ("MODIFY", "CREATE_", "WRITE_", "ALL_PRIVILEGES", "MANAGE")
READER_ROLES = ("bronze_reader", "silver_reader", "gold_reader", "analytics", "pii_reader")


@dataclass(frozen=True, order=True)
class Securable:
    kind: str  # catalog | schema | volume | external_location | storage_credential
    name: str  # "" for the catalog, "bronze" for a schema, "raw.landing" for a volume

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind


CATALOG = Securable("catalog", "")

# The metastore's system schemas an environment enables, and who reads each: admins audit (access), analytics and
# admins follow cost (billing), admins the compute, jobs and queries.
SYSTEM_SCHEMA_READERS: dict[str, tuple[str, ...]] = {
    "access": ("admin",),
    "billing": ("admin", "analytics"),
    "compute": ("admin",),
    "lakeflow": ("admin",),
    "query": ("admin",),
}
READ = ("USE_SCHEMA", "SELECT")
PIPELINE_WRITE = ("USE_SCHEMA", "SELECT", "MODIFY", "CREATE_TABLE")
# The governance task creates the functions, hands them to the admins and replaces them when a rule changes (MANAGE),
# and assigns them to tables (EXECUTE). Readers of a masked or filtered table need no privilege on the functions.
PIPELINE_GOVERNS = ("USE_SCHEMA", "EXECUTE", "CREATE_FUNCTION", "MANAGE")


def grants_matrix(analytics_reads_silver: bool, shared_storage: bool) -> dict[Securable, dict[str, tuple[str, ...]]]:
    """Securable -> role -> privileges. `shared_storage` adds the storage credential and external locations."""
    matrix: dict[Securable, dict[str, tuple[str, ...]]] = {
        CATALOG: {role: ("USE_CATALOG",) for role in PRINCIPAL_ROLES},
        Securable("schema", "raw"): {"raw_ingestion": ("USE_SCHEMA",), JOB_PRINCIPAL: ("USE_SCHEMA",)},
        Securable("schema", "bronze"): {"bronze_reader": READ, JOB_PRINCIPAL: PIPELINE_WRITE},
        Securable("schema", "silver"): {"silver_reader": READ, JOB_PRINCIPAL: PIPELINE_WRITE},
        Securable("schema", "gold"): {
            "gold_reader": READ,
            "analytics": READ,
            "pii_reader": READ,
            JOB_PRINCIPAL: PIPELINE_WRITE,
        },
        Securable("schema", "ops"): {JOB_PRINCIPAL: PIPELINE_WRITE},
        Securable("schema", GOVERNANCE_SCHEMA): {JOB_PRINCIPAL: PIPELINE_GOVERNS},
        Securable("schema", MARTS_SCHEMA): {
            "gold_reader": READ,
            "analytics": READ,
            "pii_reader": READ,
            JOB_PRINCIPAL: PIPELINE_WRITE,
        },
        Securable("volume", LANDING_VOLUME): {
            "raw_ingestion": ("READ_VOLUME", "WRITE_VOLUME"),
            JOB_PRINCIPAL: ("READ_VOLUME", "WRITE_VOLUME"),  # the landing job writes RAW batches
        },
        Securable("volume", ARTIFACTS_VOLUME): {JOB_PRINCIPAL: ("READ_VOLUME",)},
    }
    matrix[CATALOG]["admin"] = ("ALL_PRIVILEGES", "MANAGE")
    if analytics_reads_silver:
        matrix[Securable("schema", "silver")]["analytics"] = READ
    if shared_storage:
        matrix[Securable("storage_credential", "lake")] = {}
        for location in LAKE_CONTAINERS:
            matrix[Securable("external_location", location)] = {}
    for securable, roles in matrix.items():
        if securable != CATALOG:
            roles["admin"] = ("MANAGE",)
    return matrix


def access_rules(catalog: str, groups: Mapping[str, str], job_principal: str, access: AccessSettings) -> AccessRules:
    """The access rules of an environment: its groups and entitlements, the masks and filters of the contracts."""
    return AccessRules(catalog, dict(groups), job_principal, access.countries(), TABLE_RULES)


def principal_grants(
    matrix: Mapping[Securable, Mapping[str, tuple[str, ...]]], principals: Mapping[str, str]
) -> dict[Securable, dict[str, tuple[str, ...]]]:
    """Replace role names by the environment's principals (group names, the job service principal's id)."""
    return {
        securable: {principals[role]: privileges for role, privileges in sorted(roles.items())}
        for securable, roles in sorted(matrix.items())
    }


def markdown_table(analytics_reads_silver: bool = False) -> str:
    """The matrix as the README shows it (one row per securable, one column per role)."""
    matrix = grants_matrix(analytics_reads_silver, shared_storage=True)
    header = "| securable | " + " | ".join(f"`{r}`" for r in PRINCIPAL_ROLES) + " |"
    lines = [header, "|" + "---|" * (len(PRINCIPAL_ROLES) + 1)]
    for securable, roles in sorted(matrix.items()):
        cells = [", ".join(roles.get(role, ())) or "-" for role in PRINCIPAL_ROLES]
        lines.append(f"| {securable.key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def role_principals(config: EnvironmentConfig) -> dict[str, str]:
    """Each role's principal in an environment: its account group, and the job service principal's id."""
    return {**config.groups.by_role(), JOB_PRINCIPAL: config.service_principal.application_id}
