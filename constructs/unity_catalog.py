"""Unity Catalog for one environment: storage credential, external locations, the catalog, its layer schemas and
volumes, each owned by the admin group, and exactly one authoritative `databricks_grants` per securable from the
matrix; and, where the config says the environment enables them, the metastore's system schemas.

A feature environment passes `shared_storage=None`: it references the dev workspace's metastore assignment,
storage credential and external locations by name and creates only its own catalog, schemas, volumes and grants.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct
from retailflow.cdk import (
    Catalog,
    DefaultNamespaceSetting,
    DefaultNamespaceSettingNamespace,
    ExternalLocation,
    Grant,
    Grants,
    GrantsGrant,
    ITerraformDependable,
    Schema,
    StorageCredential,
    StorageCredentialAzureManagedIdentity,
    SystemSchema,
    Token,
    Volume,
    WorkspaceBinding,
)
from retailflow.governance import (
    ARTIFACTS_VOLUME,
    LAKE_CONTAINERS,
    LANDING_VOLUME,
    SCHEMA_PURPOSE,
    SCHEMAS,
    SYSTEM_SCHEMA_READERS,
    Securable,
    grants_matrix,
    principal_grants,
)
from retailflow.naming import MANAGED_BY, external_location_name, storage_credential_name


@dataclass(frozen=True)
class SharedStorageProps:
    """What a standard environment owns: the lake's credential and locations (and what they wait for)."""

    metastore_assignment: ITerraformDependable
    access_connector_id: str
    # The access connector's role on the lake, propagated (Azure takes minutes): the credential is validated then.
    connector_access: ITerraformDependable
    container_urls: dict[str, str]
    containers: dict[str, ITerraformDependable]


@dataclass(frozen=True)
class UnityCatalogProps:
    environment: str
    catalog_name: str
    workspace_id: str
    principals: dict[str, str]  # role -> group name (and "pipeline" -> the job service principal)
    analytics_reads_silver: bool
    # Storage locations: the catalog's managed root and the raw landing folder (abfss:// URLs). No landing
    # location: a managed landing volume, whose files go with the catalog (short-lived environments).
    managed_storage_root: str
    landing_location: str | None
    shared_storage: SharedStorageProps | None
    force_destroy: bool  # a short-lived environment: destroying it drops its schemas and tables too
    owner: str  # the admin group: no object's owner sits outside the grants matrix
    # What the grants' principals need first (their admission to the workspace, the job principal).
    principals_ready: tuple[ITerraformDependable, ...] = ()
    # Enable the metastore's system schemas (one environment per metastore does) and grant their readers.
    system_schemas: bool = False


class UnityCatalog(Construct):
    """Outputs: `catalog_name`, `schema_names`, `artifacts_volume_path` (`/Volumes/<catalog>/ops/artifacts`),
    `landing_volume_path`, `grants` (securable key -> the rendered principal -> privileges)."""

    def __init__(self, scope: Construct, id_: str, props: UnityCatalogProps) -> None:
        super().__init__(scope, id_)
        shared = props.shared_storage
        dependencies: list[ITerraformDependable] = []
        securable_args: dict[Securable, dict[str, str]] = {}
        if shared is not None:
            assignment = shared.metastore_assignment
            dependencies.append(assignment)
            DefaultNamespaceSetting(
                self,
                "default-namespace",
                namespace=DefaultNamespaceSettingNamespace(value=props.catalog_name),
                depends_on=[assignment],
            )
            credential = StorageCredential(
                self,
                "storage-credential",
                name=storage_credential_name(props.environment),
                azure_managed_identity=StorageCredentialAzureManagedIdentity(
                    access_connector_id=shared.access_connector_id
                ),
                isolation_mode="ISOLATION_MODE_ISOLATED",
                comment="Lake access through the environment's access connector",
                owner=props.owner,
                depends_on=[assignment, shared.connector_access],
            )
            securable_args[Securable("storage_credential", "lake")] = {"storage_credential": credential.name}
            self._bind("binding-credential", props.workspace_id, "storage_credential", credential.name)
            for container in LAKE_CONTAINERS:
                location = ExternalLocation(
                    self,
                    f"location-{container}",
                    name=external_location_name(props.environment, container),
                    url=shared.container_urls[container],
                    credential_name=credential.name,
                    isolation_mode="ISOLATION_MODE_ISOLATED",
                    read_only=False,
                    comment=f"The lake's {container} container",
                    owner=props.owner,
                    depends_on=[shared.containers[container], shared.connector_access],
                )
                dependencies.append(location)
                securable_args[Securable("external_location", container)] = {"external_location": location.name}
                self._bind(f"binding-location-{container}", props.workspace_id, "external_location", location.name)

        catalog = Catalog(
            self,
            "catalog",
            name=props.catalog_name,
            isolation_mode="ISOLATED",
            storage_root=props.managed_storage_root,
            comment=f"RetailFlow {props.environment}: medallion layers raw, bronze, silver, gold and ops",
            properties={"environment": props.environment, "managed_by": MANAGED_BY},
            force_destroy=props.force_destroy,
            owner=props.owner,
            depends_on=dependencies or None,
        )
        self.catalog_name = catalog.name
        securable_args[Securable("catalog", "")] = {"catalog": catalog.name}
        self._bind("binding-catalog", props.workspace_id, "catalog", catalog.name)

        schemas: dict[str, Schema] = {}
        for name in SCHEMAS:
            schemas[name] = Schema(
                self,
                f"schema-{name}",
                catalog_name=catalog.name,
                name=name,
                comment=SCHEMA_PURPOSE.get(name, f"The {name} layer"),
                force_destroy=props.force_destroy,
                owner=props.owner,
            )
            securable_args[Securable("schema", name)] = {"schema": f"{props.catalog_name}.{name}"}
        self.schema_names = list(SCHEMAS)

        landing_schema, landing_name = LANDING_VOLUME.split(".")
        landing = Volume(
            self,
            "volume-landing",
            catalog_name=catalog.name,
            schema_name=schemas[landing_schema].name,
            name=landing_name,
            volume_type="EXTERNAL" if props.landing_location else "MANAGED",
            storage_location=props.landing_location,
            comment="RAW landing files, immutable, partitioned by ingestion_date",
            owner=props.owner,
        )
        artifacts_schema, artifacts_name = ARTIFACTS_VOLUME.split(".")
        artifacts = Volume(
            self,
            "volume-artifacts",
            catalog_name=catalog.name,
            schema_name=schemas[artifacts_schema].name,
            name=artifacts_name,
            volume_type="MANAGED",
            comment="Job artifacts (runtime wheels by content hash)",
            owner=props.owner,
        )
        for volume_name in (LANDING_VOLUME, ARTIFACTS_VOLUME):
            securable_args[Securable("volume", volume_name)] = {"volume": f"{props.catalog_name}.{volume_name}"}
        self.landing_volume_path = f"/Volumes/{props.catalog_name}/{landing_schema}/{landing_name}"
        self.artifacts_volume_path = f"/Volumes/{props.catalog_name}/{artifacts_schema}/{artifacts_name}"
        self.volumes = {"landing": landing, "artifacts": artifacts}
        self.schemas = schemas

        matrix = grants_matrix(props.analytics_reads_silver, shared_storage=shared is not None)
        self.grants = principal_grants(matrix, props.principals)
        for securable, principal_privileges in self.grants.items():
            Grants(
                self,
                f"grants-{securable.key.replace(':', '-').replace('.', '-')}",
                grant=[
                    GrantsGrant(principal=principal, privileges=list(privileges))
                    for principal, privileges in principal_privileges.items()
                ],
                depends_on=[catalog, *schemas.values(), landing, artifacts, *props.principals_ready],
                **securable_args[securable],
            )
        if props.system_schemas:
            self._system_schemas(props, dependencies)

    def _system_schemas(self, props: UnityCatalogProps, dependencies: list[ITerraformDependable]) -> None:
        """Enable the system schemas and grant each to its readers (one `databricks_grant` per principal: the system
        catalog is the metastore's, shared with other environments, so its grants are not authoritative here)."""
        enabled = {
            name: SystemSchema(self, f"system-{name}", schema=name, depends_on=dependencies or None)
            for name in SYSTEM_SCHEMA_READERS
        }
        readers = sorted({role for roles in SYSTEM_SCHEMA_READERS.values() for role in roles})
        for role in readers:
            Grant(
                self,
                f"system-catalog-{role}",
                catalog="system",
                principal=props.principals[role],
                privileges=["USE_CATALOG"],
                depends_on=[*enabled.values(), *props.principals_ready],
            )
        for name, roles in SYSTEM_SCHEMA_READERS.items():
            for role in roles:
                Grant(
                    self,
                    f"system-{name}-{role}",
                    schema=f"system.{name}",
                    principal=props.principals[role],
                    privileges=["USE_SCHEMA", "SELECT"],
                    depends_on=[enabled[name], *props.principals_ready],
                )

    def _bind(self, id_: str, workspace_id: str, securable_type: str, name: str) -> None:
        WorkspaceBinding(
            self,
            id_,
            workspace_id=Token.as_number(workspace_id),
            securable_type=securable_type,
            securable_name=name,
            binding_type="BINDING_TYPE_READ_WRITE",
        )
