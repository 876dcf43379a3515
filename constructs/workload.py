"""Workload constructs: the runtime wheel uploaded by content hash, and one Databricks job per workload whose
tasks, dependencies and parameters are generated from the pipeline graph.

The job runs the same entry point as the local runner (`retailflow-task --task <key> ...`), so infrastructure and
pipelines deploy together with one `cdktf deploy retailflow-<env>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from constructs import Construct
from retailflow.cdk import (
    AssetType,
    File,
    ITerraformDependable,
    Job,
    JobEmailNotifications,
    JobEnvironment,
    JobEnvironmentSpec,
    JobHealth,
    JobHealthRules,
    JobJobCluster,
    JobJobClusterNewCluster,
    JobQueue,
    JobRunAs,
    JobSchedule,
    JobTask,
    JobTaskDbtTask,
    JobTaskDependsOn,
    JobTaskLibrary,
    JobTaskLibraryPypi,
    JobTaskPythonWheelTask,
    TerraformAsset,
)
from retailflow.config.models import ComputeSettings, JobSettings
from retailflow.constructs.job_identity import JOB_ACCESS_MODE
from retailflow.constructs.marts import Marts
from retailflow.governance import MARTS_SCHEMA
from retailflow.naming import job_name
from retailflow.project import project_root
from retailflow.wheel import DISTRIBUTION, ENTRY_POINT, BuiltWheel
from retailflow.workloads.runtime.graph import PipelineGraph, Workload

ENVIRONMENT_KEY = "retailflow"
JOB_CLUSTER_KEY = "main"
DBT_ENVIRONMENT_KEY = "dbt"
DBT_ADAPTER = "dbt-databricks>=1.11,<1.12"  # the dbt-core line of the project's local environment


class RuntimeArtifact(Construct):
    """The runtime wheel in the environment's artifacts volume, at a path that carries its content hash.
    Outputs: `volume_path`, `sha256`."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        wheel: BuiltWheel,
        artifacts_volume_path: str,
        artifacts_volume: ITerraformDependable,
    ) -> None:
        super().__init__(scope, id_)
        asset = TerraformAsset(self, "wheel", path=str(wheel.path), type=AssetType.FILE)
        self.volume_path = f"{artifacts_volume_path}/{DISTRIBUTION}/{wheel.short_hash}/{wheel.filename}"
        self.sha256 = wheel.sha256
        # The path names the volume but is a string: only `depends_on` orders the upload after the volume.
        File(self, "upload", source=asset.path, path=self.volume_path, depends_on=[artifacts_volume])


@dataclass(frozen=True)
class WorkloadJobProps:
    environment: str
    compute: ComputeSettings
    jobs: JobSettings
    alert_emails: tuple[str, ...]
    run_as: str  # the job service principal's application id
    always_paused: bool  # schedules stay paused whatever the config's schedule says (short-lived environments)
    workload: Workload
    graph: PipelineGraph
    artifact: RuntimeArtifact
    catalog: str
    landing_volume_path: str
    cluster_policy_id: str | None
    tags: dict[str, str]
    run_as_ready: tuple[ITerraformDependable, ...] = ()
    task_parameters: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # task key -> extra parameters
    marts: Marts | None = None  # the warehouse and uploaded project the dbt tasks run on


class WorkloadJob(Construct):
    """One `databricks_job`. Outputs: `job_id`, `job_name`, `task_keys`."""

    def __init__(self, scope: Construct, id_: str, props: WorkloadJobProps) -> None:
        super().__init__(scope, id_)
        workload, compute = props.workload, props.compute
        serverless = compute.mode == "serverless"
        settings = props.jobs
        schedule = {"maintenance": settings.maintenance_schedule, "landing": settings.landing_schedule}.get(
            workload.schedule, settings.schedule
        )
        paused = schedule.paused or props.always_paused
        self.task_keys = [t.key for t in workload.tasks]
        uses_dbt = any(t.kind == "dbt" for t in workload.tasks)
        tasks = []
        for task in workload.tasks:
            parameters = {
                "task": task.key,
                "catalog": props.catalog,
                "raw-root": props.landing_volume_path,
                "engine": "databricks",
                **props.task_parameters.get(task.key, {}),
            }
            dbt = task.kind == "dbt"
            if dbt and props.marts is None:
                raise ValueError(f"task {task.key} is a dbt task but the stack provides no marts warehouse")
            tasks.append(
                JobTask(
                    task_key=task.key,
                    description=task.description,
                    depends_on=[JobTaskDependsOn(task_key=d) for d in props.graph.dependencies(task.key)] or None,
                    python_wheel_task=None
                    if dbt
                    else JobTaskPythonWheelTask(
                        package_name=DISTRIBUTION, entry_point=ENTRY_POINT, named_parameters=parameters
                    ),
                    dbt_task=JobTaskDbtTask(
                        commands=["dbt build"],
                        source="WORKSPACE",
                        project_directory=props.marts.project_directory,
                        warehouse_id=props.marts.warehouse_id,
                        catalog=props.catalog,
                        schema=MARTS_SCHEMA,
                    )
                    if dbt and props.marts is not None
                    else None,
                    environment_key=(DBT_ENVIRONMENT_KEY if dbt else ENVIRONMENT_KEY) if serverless else None,
                    job_cluster_key=None if serverless else JOB_CLUSTER_KEY,
                    library=None
                    if serverless
                    else [JobTaskLibrary(pypi=JobTaskLibraryPypi(package=DBT_ADAPTER))]
                    if dbt
                    else [
                        JobTaskLibrary(whl=props.artifact.volume_path),
                        *(JobTaskLibrary(pypi=JobTaskLibraryPypi(package=p)) for p in workload.requirements),
                    ],
                    timeout_seconds=settings.task_timeout_seconds,
                    max_retries=settings.max_retries,
                    min_retry_interval_millis=settings.min_retry_interval_millis,
                    retry_on_timeout=False,
                )
            )
        cluster = compute.job_cluster
        job = Job(
            self,
            "job",
            name=job_name(props.environment, workload.name),
            description=workload.description,
            task=tasks,
            environment=[
                JobEnvironment(
                    environment_key=ENVIRONMENT_KEY,
                    spec=JobEnvironmentSpec(
                        environment_version=compute.environment_version,
                        dependencies=[props.artifact.volume_path, *workload.requirements],
                    ),
                ),
                *(
                    [
                        JobEnvironment(
                            environment_key=DBT_ENVIRONMENT_KEY,
                            spec=JobEnvironmentSpec(
                                environment_version=compute.environment_version, dependencies=[DBT_ADAPTER]
                            ),
                        )
                    ]
                    if any(t.kind == "dbt" for t in workload.tasks)
                    else []
                ),
            ]
            if serverless
            else None,
            job_cluster=[
                JobJobCluster(
                    job_cluster_key=JOB_CLUSTER_KEY,
                    new_cluster=JobJobClusterNewCluster(
                        spark_version=cluster.spark_version,
                        node_type_id=cluster.node_type_id,
                        num_workers=cluster.num_workers,
                        policy_id=props.cluster_policy_id,
                        apply_policy_default_values=True,
                        data_security_mode=JOB_ACCESS_MODE,
                        custom_tags=props.tags,
                    ),
                )
            ]
            if cluster is not None and not serverless
            else None,
            schedule=JobSchedule(
                quartz_cron_expression=schedule.cron,
                timezone_id=schedule.timezone,
                pause_status="PAUSED" if paused else "UNPAUSED",
            ),
            max_concurrent_runs=1,
            queue=JobQueue(enabled=True),
            timeout_seconds=settings.task_timeout_seconds * max(1, len(tasks)),
            email_notifications=JobEmailNotifications(
                on_failure=list(props.alert_emails),
                on_duration_warning_threshold_exceeded=list(props.alert_emails),
                no_alert_for_skipped_runs=True,
            ),
            health=JobHealth(
                rules=[
                    JobHealthRules(
                        metric="RUN_DURATION_SECONDS", op="GREATER_THAN", value=settings.run_duration_warning_seconds
                    )
                ]
            ),
            run_as=JobRunAs(service_principal_name=props.run_as),
            depends_on=[*props.run_as_ready, *(props.marts.files if props.marts and uses_dbt else [])] or None,
            tags={**props.tags, "workload": workload.name, "artifact_sha256": props.artifact.sha256[:16]},
        )
        self.job_id = job.id
        self.job_name = job.name


def wheel_output_dir() -> Path:
    return project_root() / ".gen" / "wheels"
