"""Typed environment configuration: `environments/*.yaml` is validated once into these objects.

Every model forbids unknown keys, so a typo in a YAML file is an error that names the key, never a silent default.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import zoneinfo
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from retailflow.config.cron import validate_quartz_cron
from retailflow.naming import catalog_name, stack_name

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
ROLES = ("raw_ingestion", "bronze_reader", "silver_reader", "gold_reader", "analytics", "pii_reader", "admin")
# Roles that see clear PII and every row (runtime.access.CLEAR_ROLES); the others see rows by entitlement.
CLEAR_ACCESS_ROLES = ("pii_reader", "admin")
COUNTRY = r"^(\*|[A-Z]{2})$"
AZURE_LOCATIONS = {
    "westeurope": "weu",
    "northeurope": "neu",
    "swedencentral": "sdc",
    "germanywestcentral": "gwc",
    "francecentral": "frc",
    "uksouth": "uks",
    "eastus": "eus",
    "eastus2": "eus2",
    "westus2": "wus2",
    "centralus": "cus",
}

Uuid = Annotated[str, Field(pattern=UUID_PATTERN)]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-zA-Z]{2,}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnvironmentKind(StrEnum):
    STANDARD = "standard"
    FEATURE = "feature"
    LOCAL = "local"


class AzureSettings(Strict):
    location: str
    subscription_id: Uuid
    tenant_id: Uuid
    # The tenant's object id of the AzureDatabricks first-party application (application id
    # 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d): it reads Key Vault-backed secret scopes, so it needs a role on the vault.
    databricks_first_party_object_id: Uuid

    @field_validator("location")
    @classmethod
    def known_location(cls, value: str) -> str:
        if value not in AZURE_LOCATIONS:
            raise ValueError(f"unknown Azure location {value!r}; known: {', '.join(sorted(AZURE_LOCATIONS))}")
        return value

    @property
    def region_code(self) -> str:
        return AZURE_LOCATIONS[self.location]


class NamingSettings(Strict):
    prefix: str = Field(pattern=r"^[a-z][a-z0-9]{1,5}$", description="2-6 lowercase alphanumerics")


class EgressSettings(Strict):
    """How the Databricks subnets (no default outbound access) reach the internet: a NAT gateway of their own, or a
    route to a hub firewall."""

    kind: Literal["nat_gateway", "firewall"]
    firewall_private_ip: ipaddress.IPv4Address | None = None

    @model_validator(mode="after")
    def firewall_needs_next_hop(self) -> EgressSettings:
        if (self.kind == "firewall") != (self.firewall_private_ip is not None):
            raise ValueError("firewall_private_ip is the next hop of kind 'firewall' (and only of it)")
        return self


class NetworkSettings(Strict):
    private: bool
    vnet_cidr: ipaddress.IPv4Network
    host_subnet_cidr: ipaddress.IPv4Network
    container_subnet_cidr: ipaddress.IPv4Network
    private_endpoint_subnet_cidr: ipaddress.IPv4Network
    egress: EgressSettings
    # Private workspaces of a region share one browser_authentication private endpoint: true in the environment
    # that hosts it (its deletion breaks single sign-on to every private workspace of the region).
    browser_authentication_host: bool = False

    @model_validator(mode="after")
    def subnets_fit(self) -> NetworkSettings:
        subnets = {
            "host_subnet_cidr": self.host_subnet_cidr,
            "container_subnet_cidr": self.container_subnet_cidr,
            "private_endpoint_subnet_cidr": self.private_endpoint_subnet_cidr,
        }
        for name, subnet in subnets.items():
            if not subnet.subnet_of(self.vnet_cidr):
                raise ValueError(f"{name} {subnet} is outside vnet_cidr {self.vnet_cidr}")
        if self.browser_authentication_host and not self.private:
            raise ValueError("browser_authentication_host needs private networking (network.private true)")
        for name in ("host_subnet_cidr", "container_subnet_cidr"):
            if subnets[name].prefixlen > 26:
                raise ValueError(f"{name} {subnets[name]} is smaller than /26 (Databricks needs at least /26)")
        names = list(subnets)
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                if subnets[first].overlaps(subnets[second]):
                    raise ValueError(f"{first} {subnets[first]} overlaps {second} {subnets[second]}")
        return self


class StorageSettings(Strict):
    replication: Literal["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"]
    soft_delete_days: StrictInt = Field(ge=1, le=365)
    customer_managed_key: bool = False


class KeyVaultSettings(Strict):
    sku: Literal["standard", "premium"]
    soft_delete_retention_days: StrictInt = Field(ge=7, le=90)


class WorkspaceSettings(Strict):
    sku: Literal["premium"] = "premium"
    public_network_access: bool
    customer_managed_keys: bool = False
    # Where a public workspace may be reached from (its IP access list); a public workspace needs at least one.
    ip_access_list: list[ipaddress.IPv4Network] = Field(default_factory=list)
    token_lifetime_days: StrictInt = Field(default=90, ge=1, le=365)
    # The compliance security profile and enhanced security monitoring (an add-on with a price).
    enhanced_security_compliance: bool = False

    @model_validator(mode="after")
    def public_needs_an_allow_list(self) -> WorkspaceSettings:
        if self.public_network_access and not self.ip_access_list:
            raise ValueError("a public workspace (public_network_access true) needs ip_access_list")
        if not self.public_network_access and self.ip_access_list:
            raise ValueError("ip_access_list applies to a public workspace only")
        return self


class UnityCatalogSettings(Strict):
    metastore_id: Uuid
    analytics_reads_silver: bool = False
    # The metastore's system schemas are enabled by one environment per metastore (the first to be deployed).
    enables_system_schemas: bool = False


class RoleGroups(Strict):
    """Account-level group name of each role."""

    raw_ingestion: str = Field(min_length=1)
    bronze_reader: str = Field(min_length=1)
    silver_reader: str = Field(min_length=1)
    gold_reader: str = Field(min_length=1)
    analytics: str = Field(min_length=1)
    pii_reader: str = Field(min_length=1)
    admin: str = Field(min_length=1)

    def by_role(self) -> dict[str, str]:
        return {role: getattr(self, role) for role in ROLES}


class AccessSettings(Strict):
    """Row access as data: the countries each reader role sees rows of in row-filtered tables (`*`: all). A role
    not listed sees none; `pii_reader` and `admin` see every row and clear values."""

    country_entitlements: dict[str, list[Annotated[str, Field(pattern=COUNTRY)]]] = Field(default_factory=dict)

    @field_validator("country_entitlements")
    @classmethod
    def known_roles(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for role, countries in value.items():
            if role not in ROLES or role in CLEAR_ACCESS_ROLES:
                readers = [r for r in ROLES if r not in CLEAR_ACCESS_ROLES]
                raise ValueError(f"{role!r} is not a role with row entitlements (one of {', '.join(readers)})")
            if len(set(countries)) != len(countries):
                raise ValueError(f"{role}: a country is listed twice")
        return value

    def countries(self) -> dict[str, tuple[str, ...]]:
        return {role: tuple(sorted(countries)) for role, countries in sorted(self.country_entitlements.items())}


class ServicePrincipalSettings(Strict):
    application_id: Uuid
    display_name: str = Field(min_length=1)


class JobCluster(Strict):
    spark_version: str = Field(min_length=1)
    node_type_id: str = Field(min_length=1)
    allowed_node_types: list[str] = Field(min_length=1)
    num_workers: StrictInt = Field(ge=0, le=100)

    @model_validator(mode="after")
    def node_type_allowed(self) -> JobCluster:
        if self.node_type_id not in self.allowed_node_types:
            raise ValueError(f"node_type_id {self.node_type_id!r} is not in allowed_node_types")
        return self


class ComputeSettings(Strict):
    mode: Literal["serverless", "job_cluster"]
    environment_version: str = "2"
    job_cluster: JobCluster | None = None

    @model_validator(mode="after")
    def cluster_when_needed(self) -> ComputeSettings:
        if self.mode == "job_cluster" and self.job_cluster is None:
            raise ValueError("mode 'job_cluster' needs a job_cluster section")
        return self


class Schedule(Strict):
    cron: str
    timezone: str = "UTC"
    paused: bool

    @field_validator("cron")
    @classmethod
    def quartz(cls, value: str) -> str:
        validate_quartz_cron(value)
        return value

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/Amsterdam)") from None
        return value


class JobSettings(Strict):
    schedule: Schedule
    landing_schedule: Schedule  # the landing job (sources -> RAW), before the medallion job
    maintenance_schedule: Schedule
    task_timeout_seconds: StrictInt = Field(ge=60, le=86_400)
    max_retries: StrictInt = Field(ge=0, le=5)
    min_retry_interval_millis: StrictInt = Field(ge=1_000, le=3_600_000)
    run_duration_warning_seconds: StrictInt = Field(ge=60, le=604_800)


SECRET_KEY = r"^[a-z0-9][a-z0-9-]{0,126}$"  # a Key Vault secret name, as the secret scope shows it


class SourceDatabase(Strict):
    host: str = Field(min_length=1)
    port: StrictInt = Field(default=5432, ge=1, le=65535)
    name: str = Field(min_length=1)
    user_secret: str = Field(pattern=SECRET_KEY)
    password_secret: str = Field(pattern=SECRET_KEY)


class SourcesSettings(Strict):
    """Where the source systems are and the names of the secrets that open them (never their values)."""

    api_base_url: str = Field(pattern=r"^https?://[^\s?#]+[^/\s?#]$")  # each REST source at <base>/<source>
    api_key_secret: str = Field(pattern=SECRET_KEY)
    database: SourceDatabase
    inbox: str = Field(default="_inbox", pattern=r"^_[a-z0-9_-]+$")  # under the RAW root; bronze skips it


class DatabricksAccountSettings(Strict):
    account_id: Uuid


class DeploySettings(Strict):
    """Who deploys the environment and from where."""

    # The deploy identity (federated, one per environment): it may `run_as` the job service principal.
    identity_application_id: Uuid
    # A private environment's data plane is reachable only from inside its network: a self-hosted runner in a
    # peered network, with these labels.
    runner: Literal["github-hosted", "self-hosted"]
    runner_labels: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def labels_for_self_hosted(self) -> DeploySettings:
        if (self.runner == "self-hosted") != bool(self.runner_labels):
            raise ValueError("runner_labels name the self-hosted runner (and only a self-hosted one)")
        return self


class BudgetSettings(Strict):
    """A monthly consumption budget on the environment's resource group, alerting the monitoring action group."""

    monthly_amount: StrictInt = Field(ge=1, le=100_000_000)
    thresholds_percent: list[Annotated[StrictInt, Field(ge=1, le=1000)]] = Field(
        default_factory=lambda: [80, 100], min_length=1
    )
    start_month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class AlertSettings(Strict):
    emails: list[Email] = Field(min_length=1)


class MonitoringSettings(Strict):
    log_retention_days: StrictInt = Field(ge=30, le=730)


class StateSettings(Strict):
    backend: Literal["azurerm", "local"]
    resource_group_name: str | None = None
    storage_account_name: str | None = Field(default=None, pattern=r"^[a-z0-9]{3,24}$")
    container_name: str | None = None

    @model_validator(mode="after")
    def azurerm_complete(self) -> StateSettings:
        if self.backend == "azurerm":
            missing = [
                f for f in ("resource_group_name", "storage_account_name", "container_name") if getattr(self, f) is None
            ]
            if missing:
                raise ValueError(f"backend 'azurerm' needs {', '.join(missing)}")
        return self


class Tags(Strict):
    owner: str = Field(min_length=1)
    cost_center: str = Field(pattern=r"^[A-Za-z0-9-]{2,32}$")


class FeatureSettings(Strict):
    base_environment: str = "dev"
    ttl_days: StrictInt = Field(ge=1, le=30)


class EnvironmentConfig(Strict):
    """One deployable environment: everything a stack needs, and nothing else."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,39}$")
    kind: EnvironmentKind
    azure: AzureSettings
    naming: NamingSettings
    network: NetworkSettings
    storage: StorageSettings
    key_vault: KeyVaultSettings
    workspace: WorkspaceSettings
    unity_catalog: UnityCatalogSettings
    databricks: DatabricksAccountSettings
    deploy: DeploySettings
    budget: BudgetSettings
    groups: RoleGroups
    access: AccessSettings
    sources: SourcesSettings
    service_principal: ServicePrincipalSettings
    compute: ComputeSettings
    jobs: JobSettings
    alerts: AlertSettings
    monitoring: MonitoringSettings
    state: StateSettings
    tags: Tags
    feature: FeatureSettings | None = None
    # Serves the business: private networking, GRS-family storage and a premium vault are enforced.
    production: bool = False
    # A standard environment's place in the promotion order (lower first; leave gaps, e.g. 10, 20, 30).
    promotion: StrictInt | None = Field(default=None, ge=1, le=1000)

    @model_validator(mode="after")
    def kind_rules(self) -> EnvironmentConfig:
        if self.kind == EnvironmentKind.FEATURE and self.feature is None:
            raise ValueError("a feature environment needs a feature section")
        if self.kind != EnvironmentKind.FEATURE and self.feature is not None:
            raise ValueError("only a feature environment may have a feature section")
        if (self.kind == EnvironmentKind.STANDARD) != (self.promotion is not None):
            raise ValueError(
                "promotion: a standard environment needs its place in the promotion order, no other may have one"
            )
        if self.production:
            if self.network.private is False or self.workspace.public_network_access:
                raise ValueError(
                    "a production environment must be private (network.private true, public_network_access false)"
                )
            if self.storage.replication not in ("GRS", "RAGRS", "GZRS", "RAGZRS"):
                raise ValueError("a production environment's storage.replication must be in the GRS family")
            if self.key_vault.sku != "premium":
                raise ValueError("a production environment's key_vault.sku must be premium")
        if not self.sources.api_base_url.startswith("https://"):
            raise ValueError("sources.api_base_url: a deployed environment reaches its sources over https")
        if self.network.private and self.deploy.runner != "self-hosted":
            raise ValueError(
                "a private environment deploys from a self-hosted runner inside its network (deploy.runner)"
            )
        return self

    @property
    def ephemeral(self) -> bool:
        """A short-lived (feature) environment: destroying it removes its data too."""
        return self.kind == EnvironmentKind.FEATURE

    @property
    def catalog(self) -> str:
        return catalog_name(self.name)

    @property
    def stack_name(self) -> str:
        return stack_name(self.name)


class EngineSettings(Strict):
    kind: Literal["local", "remote"] = "local"
    remote_url: str | None = Field(default=None, pattern=r"^sc://")
    # The resident memory the local engine (a child process) should stay under: before a task, it is restarted when
    # its resident memory plus the largest rise a task of the run has caused would pass this (its allocator keeps
    # memory that large queries freed). None: never restarted.
    memory_budget_mb: StrictInt | None = Field(default=None, ge=128, le=1 << 20)
    # Tasks run at once (each waits for the tasks it depends on): small tasks leave cores idle on their own.
    parallel_tasks: StrictInt = Field(default=1, ge=1, le=8)

    @model_validator(mode="after")
    def url_for_remote(self) -> EngineSettings:
        if self.kind == "remote" and not self.remote_url:
            raise ValueError("engine kind 'remote' needs remote_url (sc://host:port)")
        return self


class GeneratorDefaults(Strict):
    scale: float = Field(gt=0, le=100)
    days: StrictInt = Field(ge=1, le=366)
    seed: StrictInt = Field(ge=0, le=2**32 - 1)
    start_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")

    @field_validator("start_date")
    @classmethod
    def real_date(cls, value: str) -> str:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a calendar date") from None
        return value


class LocalConfig(Strict):
    """The `local` environment: runs of the pipeline on this machine."""

    name: Literal["local"]
    kind: Literal[EnvironmentKind.LOCAL]
    catalog: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    lakehouse: str = Field(min_length=1)
    raw: str = Field(min_length=1)
    engine: EngineSettings
    generator: GeneratorDefaults
    access: AccessSettings = Field(default_factory=AccessSettings)
    sources: SourcesSettings | None = None  # `retailflow land --source NAME` lands from these
    max_line_bytes: StrictInt = Field(ge=1024, le=64 * 1024 * 1024)
    max_batch_bytes: StrictInt = Field(ge=1024 * 1024)  # RAW loaded in one ingestion batch at most
