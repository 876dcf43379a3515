"""Every workload of the pipeline graph, deployed into a stack: the runtime wheel once, then one job each."""

from __future__ import annotations

from functools import cache

from cdktf import TerraformOutput, TerraformStack

from retailflow.config import EnvironmentConfig
from retailflow.constructs.unity_catalog import UnityCatalog
from retailflow.constructs.workload import RuntimeArtifact, WorkloadJob, WorkloadJobProps, wheel_output_dir
from retailflow.wheel import BuiltWheel, build_wheel
from retailflow.workloads.retail.graph import PIPELINE


@cache
def runtime_wheel() -> BuiltWheel:
    """Built once per synth, shared by every stack (the same bytes everywhere: promotion never rebuilds)."""
    return build_wheel(wheel_output_dir())


def add_workloads(
    stack: TerraformStack,
    config: EnvironmentConfig,
    catalog: UnityCatalog,
    tags: dict[str, str],
    cluster_policy_id: str | None,
) -> None:
    artifact = RuntimeArtifact(
        stack, "runtime-artifact", wheel=runtime_wheel(), artifacts_volume_path=catalog.artifacts_volume_path
    )
    for workload in PIPELINE.workloads:
        WorkloadJob(
            stack,
            f"workload-{workload.name.replace('_', '-')}",
            WorkloadJobProps(
                config=config,
                workload=workload,
                graph=PIPELINE,
                artifact=artifact,
                catalog=config.catalog,
                landing_volume_path=catalog.landing_volume_path,
                cluster_policy_id=cluster_policy_id,
                tags=tags,
            ),
        )
    TerraformOutput(stack, "runtime_wheel_path", value=artifact.volume_path)
