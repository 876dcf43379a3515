"""Workloads of a stack: filled in by the workload constructs."""

from __future__ import annotations

from cdktf import TerraformStack

from retailflow.config import EnvironmentConfig
from retailflow.constructs.unity_catalog import UnityCatalog


def add_workloads(
    stack: TerraformStack,
    config: EnvironmentConfig,
    catalog: UnityCatalog,
    tags: dict[str, str],
    cluster_policy_id: str | None,
) -> None:
    del stack, config, catalog, tags, cluster_policy_id
