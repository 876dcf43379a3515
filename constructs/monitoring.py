"""Monitoring: Log Analytics, diagnostic settings (allLogs) for the platform's services, an action group mailing
the environment's recipients, and an alert on failed Databricks job runs.

The alert queries the `DatabricksJobs` table that the workspace's diagnostic setting fills: a `runFailed` action is
logged for every failed run of any job, so one log query covers every workload without a per-job hook."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct
from retailflow.cdk import (
    ConsumptionBudgetResourceGroup,
    ConsumptionBudgetResourceGroupNotification,
    ConsumptionBudgetResourceGroupTimePeriod,
    LogAnalyticsWorkspace,
    MonitorActionGroup,
    MonitorActionGroupEmailReceiver,
    MonitorDiagnosticSetting,
    MonitorDiagnosticSettingEnabledLog,
    MonitorScheduledQueryRulesAlertV2,
    MonitorScheduledQueryRulesAlertV2Action,
    MonitorScheduledQueryRulesAlertV2Criteria,
)
from retailflow.config.models import BudgetSettings
from retailflow.constructs.context import PlatformContext
from retailflow.naming import action_group_short_name

FAILED_JOB_RUNS_QUERY = 'DatabricksJobs\n| where ActionName == "runFailed"\n| project TimeGenerated, RequestParams'


@dataclass(frozen=True)
class MonitoringProps:
    context: PlatformContext
    resource_group_name: str
    retention_days: int
    alert_emails: list[str]
    # Resources whose logs go to Log Analytics, by a short label (the label names the diagnostic setting).
    log_sources: dict[str, str]
    resource_group_id: str
    budget: BudgetSettings


class Monitoring(Construct):
    """Log Analytics with every resource's logs, an action group, a failed-job-run alert and a monthly budget on the
    resource group. Outputs: `log_analytics_id`, `action_group_id`."""

    def __init__(self, scope: Construct, id_: str, props: MonitoringProps) -> None:
        super().__init__(scope, id_)
        ctx = props.context
        logs = LogAnalyticsWorkspace(
            self,
            "logs",
            name=ctx.name("log_analytics"),
            resource_group_name=props.resource_group_name,
            location=ctx.location,
            sku="PerGB2018",
            retention_in_days=props.retention_days,
            local_authentication_enabled=False,
            tags=ctx.tags,
        )
        self.log_analytics_id = logs.id
        for label, target in props.log_sources.items():
            MonitorDiagnosticSetting(
                self,
                f"diag-{label}",
                name=ctx.name("diagnostic_setting", label),
                target_resource_id=target,
                log_analytics_workspace_id=logs.id,
                enabled_log=[MonitorDiagnosticSettingEnabledLog(category_group="allLogs")],
            )
        group = MonitorActionGroup(
            self,
            "action-group",
            name=ctx.name("action_group"),
            resource_group_name=props.resource_group_name,
            short_name=action_group_short_name(ctx.environment),
            email_receiver=[
                MonitorActionGroupEmailReceiver(name=f"mail-{i}", email_address=address, use_common_alert_schema=True)
                for i, address in enumerate(props.alert_emails)
            ],
            tags=ctx.tags,
        )
        self.action_group_id = group.id
        ConsumptionBudgetResourceGroup(
            self,
            "budget",
            name=ctx.name("consumption_budget"),
            resource_group_id=props.resource_group_id,
            amount=props.budget.monthly_amount,
            time_grain="Monthly",
            time_period=ConsumptionBudgetResourceGroupTimePeriod(start_date=f"{props.budget.start_month}-01T00:00:00Z"),
            notification=[
                ConsumptionBudgetResourceGroupNotification(
                    enabled=True,
                    threshold=percent,
                    threshold_type="Actual",
                    operator="GreaterThanOrEqualTo",
                    contact_groups=[group.id],
                )
                for percent in props.budget.thresholds_percent
            ],
        )
        MonitorScheduledQueryRulesAlertV2(
            self,
            "failed-job-runs",
            name=ctx.name("metric_alert", "failed-job-runs"),
            resource_group_name=props.resource_group_name,
            location=ctx.location,
            description="A Databricks job run failed (DatabricksJobs runFailed).",
            scopes=[logs.id],
            severity=1,
            evaluation_frequency="PT5M",
            window_duration="PT5M",
            criteria=[
                MonitorScheduledQueryRulesAlertV2Criteria(
                    query=FAILED_JOB_RUNS_QUERY,
                    time_aggregation_method="Count",
                    operator="GreaterThan",
                    threshold=0,
                )
            ],
            action=MonitorScheduledQueryRulesAlertV2Action(action_groups=[group.id]),
            auto_mitigation_enabled=False,
            tags=ctx.tags,
        )
