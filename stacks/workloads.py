"""Every workload of the pipeline graph, deployed into a stack: the runtime wheel once, then one job each."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack

from retailflow.config import EnvironmentConfig
from retailflow.constructs.unity_catalog import UnityCatalog
from retailflow.constructs.workload import RuntimeArtifact, WorkloadJob, WorkloadJobProps
from retailflow.wheel import BuiltWheel
from retailflow.workloads.retail.graph import PIPELINE


def add_workloads(
    stack: TerraformStack,
    config: EnvironmentConfig,
    catalog: UnityCatalog,
    tags: dict[str, str],
    cluster_policy_id: str | None,
    wheel: BuiltWheel,
) -> None:
    artifact = RuntimeArtifact(
        stack, "runtime-artifact", wheel=wheel, artifacts_volume_path=catalog.artifacts_volume_path
    )
    for workload in PIPELINE.workloads:
        WorkloadJob(
            stack,
            f"workload-{workload.name.replace('_', '-')}",
            WorkloadJobProps(
                environment=config.name,
                compute=config.compute,
                jobs=config.jobs,
                alert_emails=tuple(config.alerts.emails),
                run_as=config.service_principal.application_id,
                always_paused=config.ephemeral,
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
