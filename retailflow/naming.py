"""The naming rules, defined once: stacks, feature slugs, Unity Catalog names and every Azure resource name.

Azure names follow `<type>-<prefix>-<env>-<region>` where the type allows hyphens and `<type><prefix><env><region>`
where it does not. A name that would exceed its type's limit keeps its start and gets a short stable hash, so two
long environment names never collide. Globally unique types (storage accounts, Key Vaults) always carry a hash of
the subscription, prefix and environment.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

STACK_PREFIX = "retailflow"
MANAGED_BY = f"{STACK_PREFIX}-cdktf"  # the `managed_by` tag and catalog property
FEATURE_SLUG_MAX = 24
FEATURE_SLUG = re.compile(r"[a-z][a-z0-9-]{0,16}-[0-9a-f]{6}")
_BRANCH_PREFIXES = ("feature", "feat", "bugfix", "fix", "hotfix", "chore", "users", "user")


class NamingError(ValueError):
    """A name that cannot be made valid; the message says which input and why."""


def stable_hash(*parts: str, length: int = 6) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def feature_slug(branch: str) -> str:
    """The feature-environment slug of a branch: a readable part and a hash of the exact branch name.

    `Feature/ABC-123_New-Thing` -> `abc-123-new-thing-<6 hex>`. Two different branch names never share a slug
    (`feature/foo`, `fix/foo`, `Feature/FOO` and `foo` read alike but hash apart), so they never share a stack or a
    catalog. Lowercase `[a-z0-9-]`, starting with a letter, at most 24 characters.
    """
    text = re.sub(r"^refs/heads/", "", branch.strip())
    readable = text.lower()
    first, sep, rest = readable.partition("/")
    if sep and first in _BRANCH_PREFIXES and rest:
        readable = rest
    readable = re.sub(r"[^a-z0-9]+", "-", readable).strip("-")
    if not readable:
        raise NamingError(
            f"feature name {branch!r} cannot make a slug: it has no letters or digits "
            "(use a branch-like name such as 'feature/abc-123-new-thing')"
        )
    if not readable[0].isalpha():
        readable = "f" + readable
    readable = readable[: FEATURE_SLUG_MAX - 7].rstrip("-")
    return f"{readable}-{stable_hash(text)}"


def check_feature_slug(slug: str) -> str:
    """A slug as `feature_slug` makes it (for a stack named by its slug alone: destroys, the sweeper)."""
    if not FEATURE_SLUG.fullmatch(slug):
        raise NamingError(f"feature slug {slug!r} is not a slug this project makes ({FEATURE_SLUG.pattern})")
    return slug


def stack_name(environment: str) -> str:
    return f"{STACK_PREFIX}-{environment}"


FEATURE_PREFIX = "feature-"


def feature_environment_name(slug: str) -> str:
    return f"{FEATURE_PREFIX}{slug}"


def is_feature_environment(environment: str) -> bool:
    return environment.startswith(FEATURE_PREFIX)


def environment_of_stack(stack: str) -> str | None:
    """The environment a stack name belongs to (`retailflow-dev` -> `dev`), or None for another stack."""
    prefix = f"{STACK_PREFIX}-"
    return stack.removeprefix(prefix) if stack.startswith(prefix) else None


def sql_warehouse_name(environment: str) -> str:
    """The serverless SQL warehouse the dbt marts run on: `retailflow-prod-marts`."""
    return f"{STACK_PREFIX}-{environment}-marts"


def dbt_project_path(environment: str, content_hash: str) -> str:
    """Where the dbt project is uploaded in the workspace, by content (a new version is a new folder)."""
    return f"/Shared/{STACK_PREFIX}/{environment}/dbt/{content_hash}"


def job_name(environment: str, workload: str) -> str:
    """The Databricks job of a workload in an environment: `retailflow-prod-retail-medallion`."""
    return f"{STACK_PREFIX}-{environment}-{workload.replace('_', '-')}"


def secret_scope_name(environment: str) -> str:
    """The Key Vault-backed secret scope of an environment's jobs."""
    return f"{STACK_PREFIX}-{environment}"


def cluster_policy_name(environment: str) -> str:
    return f"{STACK_PREFIX}-{environment}-jobs"


def storage_credential_name(environment: str) -> str:
    return f"{STACK_PREFIX}-{environment}-lake"


def external_location_name(environment: str, container: str) -> str:
    return f"{STACK_PREFIX}-{environment}-{container}"


def action_group_short_name(environment: str) -> str:
    """An alert action group's short name (at most 12 characters, shown in alert texts and SMS)."""
    return f"rf{environment}"[:12]


def network_connectivity_config_name(environment: str) -> str:
    """Serverless compute's network connectivity config (3-30 characters)."""
    return f"{STACK_PREFIX}-{environment}-ncc"[:30].rstrip("-")


def catalog_name(environment: str) -> str:
    """Unity Catalog catalog of an environment: `retailflow_dev`, `retailflow_feat_<slug>`."""
    if is_feature_environment(environment):
        environment = "feat_" + environment.removeprefix(FEATURE_PREFIX)
    name = f"{STACK_PREFIX}_" + re.sub(r"[^a-z0-9]", "_", environment.lower())
    if len(name) > 255:
        raise NamingError(f"catalog name {name!r} exceeds 255 characters")
    return name


@dataclass(frozen=True)
class AzureNameRule:
    abbreviation: str
    max_length: int
    hyphens: bool
    globally_unique: bool = False
    uppercase: bool = False


# Limits from the Azure resource naming rules for each type we create.
AZURE_NAME_RULES: dict[str, AzureNameRule] = {
    "resource_group": AzureNameRule("rg", 90, hyphens=True),
    "virtual_network": AzureNameRule("vnet", 64, hyphens=True),
    "subnet": AzureNameRule("snet", 80, hyphens=True),
    "network_security_group": AzureNameRule("nsg", 80, hyphens=True),
    "private_endpoint": AzureNameRule("pe", 64, hyphens=True),
    "storage_account": AzureNameRule("st", 24, hyphens=False, globally_unique=True),
    "key_vault": AzureNameRule("kv", 24, hyphens=True, globally_unique=True),
    "databricks_workspace": AzureNameRule("dbw", 64, hyphens=True),
    "databricks_managed_rg": AzureNameRule("rg-dbw-managed", 90, hyphens=True),
    "access_connector": AzureNameRule("dbac", 64, hyphens=True),
    "log_analytics": AzureNameRule("log", 63, hyphens=True),
    "action_group": AzureNameRule("ag", 260, hyphens=True),
    "metric_alert": AzureNameRule("alert", 260, hyphens=True),
    "diagnostic_setting": AzureNameRule("diag", 260, hyphens=True),
    "key_vault_key": AzureNameRule("cmk", 127, hyphens=True),
    "route_table": AzureNameRule("rt", 80, hyphens=True),
    "public_ip": AzureNameRule("pip", 80, hyphens=True),
    "nat_gateway": AzureNameRule("ng", 80, hyphens=True),
    "databricks_storage": AzureNameRule("dbst", 24, hyphens=False, globally_unique=True),
    "consumption_budget": AzureNameRule("budget", 63, hyphens=True),
}


def azure_name(
    resource_type: str,
    *,
    prefix: str,
    environment: str,
    region_code: str,
    subscription_id: str,
    qualifier: str = "",
) -> str:
    """The name of one Azure resource, valid for its type's length and character rules."""
    rule = AZURE_NAME_RULES[resource_type]
    env = re.sub(r"[^a-z0-9]", "", environment.lower()) if not rule.hyphens else environment.lower()
    parts = [rule.abbreviation, prefix, env, region_code] + ([qualifier] if qualifier else [])
    suffix = stable_hash(subscription_id, prefix, environment, length=4) if rule.globally_unique else ""
    separator = "-" if rule.hyphens else ""
    body = separator.join(p for p in parts if p)
    full = separator.join(p for p in (body, suffix) if p)
    if len(full) > rule.max_length:
        digest = stable_hash(subscription_id, resource_type, prefix, environment, qualifier, length=6)
        room = rule.max_length - len(digest) - len(separator)
        full = body[:room].rstrip("-") + separator + digest
    if not rule.hyphens:
        full = re.sub(r"[^a-z0-9]", "", full)
    validate_azure_name(resource_type, full)
    return full


def validate_azure_name(resource_type: str, name: str) -> None:
    rule = AZURE_NAME_RULES[resource_type]
    pattern = r"[a-z][a-z0-9-]*[a-z0-9]" if rule.hyphens else r"[a-z][a-z0-9]*"
    if not 3 <= len(name) <= rule.max_length:
        raise NamingError(f"{resource_type} name {name!r} must be 3-{rule.max_length} characters")
    if not re.fullmatch(pattern, name) or "--" in name:
        raise NamingError(f"{resource_type} name {name!r} breaks the character rules ({pattern})")
