"""What the dbt marts need on Databricks: a serverless SQL warehouse the job principal may use, and the dbt project
(`dbt/`, without its local profile) uploaded to the workspace by content hash. Outputs: `warehouse_id`,
`project_directory`, `files` (what a job must wait for: the path is a string, so it makes no dependency)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from constructs import Construct
from retailflow.cdk import (
    Permissions,
    PermissionsAccessControl,
    SqlEndpoint,
    SqlEndpointTags,
    SqlEndpointTagsCustomTags,
    WorkspaceFile,
)
from retailflow.naming import dbt_project_path, sql_warehouse_name
from retailflow.project import project_root

PROJECT_FILES = ("dbt_project.yml", "macros/**/*.sql", "models/**/*.sql", "models/**/*.yml")


def dbt_project_files(root: Path | None = None) -> dict[str, bytes]:
    """The project's files by relative path (the local profile stays out: a dbt_task generates its own)."""
    base = (root or project_root()) / "dbt"
    return {str(p.relative_to(base)): p.read_bytes() for pattern in PROJECT_FILES for p in sorted(base.glob(pattern))}


@dataclass(frozen=True)
class MartsProps:
    environment: str
    run_as: str  # the job service principal's application id: may use the warehouse
    tags: dict[str, str]
    cluster_size: str = "2X-Small"
    auto_stop_minutes: int = 10


class Marts(Construct):
    def __init__(self, scope: Construct, id_: str, props: MartsProps) -> None:
        super().__init__(scope, id_)
        warehouse = SqlEndpoint(
            self,
            "warehouse",
            name=sql_warehouse_name(props.environment),
            cluster_size=props.cluster_size,
            min_num_clusters=1,
            max_num_clusters=1,
            auto_stop_mins=props.auto_stop_minutes,
            enable_serverless_compute=True,
            warehouse_type="PRO",
            enable_photon=True,
            tags=SqlEndpointTags(
                custom_tags=[SqlEndpointTagsCustomTags(key=k, value=v) for k, v in sorted(props.tags.items())]
            ),
        )
        Permissions(
            self,
            "warehouse-use",
            sql_endpoint_id=warehouse.id,
            access_control=[PermissionsAccessControl(service_principal_name=props.run_as, permission_level="CAN_USE")],
        )
        files = dbt_project_files()
        digest = hashlib.sha256(b"".join(name.encode() + b"\0" + data for name, data in files.items())).hexdigest()
        self.project_directory = dbt_project_path(props.environment, digest[:16])
        self.files = [
            WorkspaceFile(
                self,
                f"file-{name.replace('/', '-').replace('.', '-')}",
                path=f"{self.project_directory}/{name}",
                content_base64=base64.b64encode(data).decode(),
            )
            for name, data in files.items()
        ]
        self.warehouse_id = warehouse.id
