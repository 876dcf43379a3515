"""Unity Catalog for one environment: metastore assignment, storage credential, external locations, the catalog,
its layer schemas and volumes, and exactly one authoritative `databricks_grants` per securable from the matrix.

A feature environment passes `shared_storage=None`: it references the dev workspace's metastore assignment,
storage credential and external locations by name and creates only its own catalog, schemas, volumes and grants.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import ITerraformDependable, Token

from constructs import Construct
from retailflow.governance import (
    ARTIFACTS_VOLUME,
    LAKE_CONTAINERS,
    LANDING_VOLUME,
    SCHEMAS,
    Securable,
    grants_matrix,
    principal_grants,
)
from retailflow.naming import MANAGED_BY, external_location_name, storage_credential_name
from retailflow.providers import (
    Catalog,
    DefaultNamespaceSetting,
    DefaultNamespaceSettingNamespace,
    ExternalLocation,
    Grants,
    GrantsGrant,
    MetastoreAssignment,
    Schema,
    StorageCredential,
    StorageCredentialAzureManagedIdentity,
    Volume,
    WorkspaceBinding,
)


@dataclass(frozen=True)
class SharedStorageProps:
    """What a standard environment owns: the metastore assignment and the lake's credential and locations."""

    metastore_id: str
    access_connector_id: str
    container_urls: dict[str, str]


@dataclass(frozen=True)
class UnityCatalogProps:
    environment: str
    catalog_name: str
    workspace_id: str
    principals: dict[str, str]  # role -> group name (and "pipeline" -> the job service principal)
    analytics_reads_silver: bool
    # Storage locations: the catalog's managed root and the raw landing folder (abfss:// URLs).
    managed_storage_root: str
    landing_location: str
    shared_storage: SharedStorageProps | None
    force_destroy: bool  # a short-lived environment: destroying it drops its schemas and tables too


class UnityCatalog(Construct):
    """Outputs: `catalog_name`, `schema_names`, `artifacts_volume_path` (`/Volumes/<catalog>/ops/artifacts`),
    `landing_volume_path`, `grants` (securable key -> the rendered principal -> privileges)."""

    def __init__(self, scope: Construct, id_: str, props: UnityCatalogProps) -> None:
        super().__init__(scope, id_)
        shared = props.shared_storage
        dependencies: list[ITerraformDependable] = []
        securable_args: dict[Securable, dict[str, str]] = {}
        if shared is not None:
            assignment = MetastoreAssignment(
                self,
                "metastore-assignment",
                metastore_id=shared.metastore_id,
                workspace_id=Token.as_number(props.workspace_id),
            )
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
                depends_on=[assignment],
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
                comment=f"The {name} layer",
                force_destroy=props.force_destroy,
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
            volume_type="EXTERNAL",
            storage_location=props.landing_location,
            comment="RAW landing files, immutable, partitioned by ingestion_date",
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
                depends_on=[catalog, *schemas.values(), landing, artifacts],
                **securable_args[securable],
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
