"""Every workload of the pipeline graph, deployed into a stack: the runtime wheel once, then one job each."""

from __future__ import annotations

from retailflow.cdk import ITerraformDependable, TerraformOutput, TerraformStack
from retailflow.config import EnvironmentConfig
from retailflow.constructs.marts import Marts, MartsProps
from retailflow.constructs.unity_catalog import UnityCatalog
from retailflow.constructs.workload import RuntimeArtifact, WorkloadJob, WorkloadJobProps
from retailflow.governance import GOVERNANCE_TASK, access_rules
from retailflow.landing import landing_settings
from retailflow.naming import secret_scope_name
from retailflow.wheel import BuiltWheel
from retailflow.workloads.retail.graph import PIPELINE


def add_workloads(
    stack: TerraformStack,
    config: EnvironmentConfig,
    catalog: UnityCatalog,
    tags: dict[str, str],
    cluster_policy_id: str | None,
    wheel: BuiltWheel,
    run_as_ready: tuple[ITerraformDependable, ...],
) -> None:
    """`run_as_ready`: what a job needs before it can be created and run (its principal, the deploy identity's right
    to run as it, the compute's egress)."""
    artifact = RuntimeArtifact(
        stack,
        "runtime-artifact",
        wheel=wheel,
        artifacts_volume_path=catalog.artifacts_volume_path,
        artifacts_volume=catalog.volumes["artifacts"],
    )
    marts = Marts(stack, "marts", MartsProps(config.name, config.service_principal.application_id, tags))
    rules = access_rules(
        config.catalog, config.groups.by_role(), config.service_principal.application_id, config.access
    )
    landing_settings_of = landing_settings(config.sources, secret_scope_name(config.name))
    landing = landing_settings_of.to_json()
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
                run_as_ready=run_as_ready,
                marts=marts,
                task_parameters={
                    GOVERNANCE_TASK: {"access-rules": rules.to_json()},
                    **{f"land_{name}": {"landing": landing} for name in landing_settings_of.sources},
                },
            ),
        )
    TerraformOutput(stack, "runtime_wheel_path", value=artifact.volume_path)
