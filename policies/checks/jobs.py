"""Databricks jobs: failure notifications, a run-duration health rule, timeouts, run as a service principal, no
secret-looking literal in parameters, job clusters under a policy in a Unity Catalog access mode, and access rules
that mask every PII column."""

from __future__ import annotations

import json
import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult

from retailflow.config.models import UUID_PATTERN
from retailflow.policies.checks.common import SECRET_LITERAL, RetailFlowCheck, blocks, value
from retailflow.workloads.runtime.access import AccessRules, unmasked_pii

UUID = re.compile(UUID_PATTERN)
UC_MODES = {"SINGLE_USER", "USER_ISOLATION", "DATA_SECURITY_MODE_DEDICATED", "DATA_SECURITY_MODE_STANDARD"}


class JobCheck(RetailFlowCheck):
    def __init__(self, id_: str, name: str, category: CheckCategories = CheckCategories.GENERAL_SECURITY) -> None:
        super().__init__(id_, name, category, ["databricks_job"])


class FailureNotifications(JobCheck):
    def __init__(self) -> None:
        super().__init__("RF_JOB_001", "Jobs notify someone on failure", CheckCategories.LOGGING)

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        notifications = value(conf, "email_notifications") or {}
        on_failure = value(notifications, "on_failure") if isinstance(notifications, dict) else None
        return CheckResult.PASSED if on_failure else CheckResult.FAILED


class HealthRule(JobCheck):
    def __init__(self) -> None:
        super().__init__("RF_JOB_002", "Jobs have a run-duration health rule", CheckCategories.LOGGING)

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        health = value(conf, "health") or {}
        rules = blocks(health, "rules") if isinstance(health, dict) else []
        ok = any(value(r, "metric") == "RUN_DURATION_SECONDS" and value(r, "value") for r in rules)
        return CheckResult.PASSED if ok else CheckResult.FAILED


class Timeouts(JobCheck):
    def __init__(self) -> None:
        super().__init__("RF_JOB_003", "Jobs and every task have a timeout")

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        tasks = blocks(conf, "task")
        ok = bool(value(conf, "timeout_seconds")) and all(value(t, "timeout_seconds") for t in tasks)
        return CheckResult.PASSED if ok else CheckResult.FAILED


class RunAsServicePrincipal(JobCheck):
    def __init__(self) -> None:
        super().__init__("RF_JOB_004", "Jobs run as a service principal, not a user", CheckCategories.IAM)

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        run_as = value(conf, "run_as") or {}
        principal = value(run_as, "service_principal_name") if isinstance(run_as, dict) else None
        ok = bool(principal) and bool(UUID.match(str(principal))) and not value(run_as, "user_name")
        return CheckResult.PASSED if ok else CheckResult.FAILED


class NoSecretLiterals(JobCheck):
    def __init__(self) -> None:
        super().__init__("RF_JOB_005", "Job parameters hold no secret-looking literal", CheckCategories.SECRETS)

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        parameters = [
            conf.get("parameter"),
            *[
                t.get(k)
                for t in blocks(conf, "task")
                for k in ("python_wheel_task", "notebook_task", "spark_python_task", "sql_task")
            ],
        ]
        text = json.dumps(parameters, default=str)
        return CheckResult.FAILED if SECRET_LITERAL.search(text) else CheckResult.PASSED


class JobClusterPolicy(JobCheck):
    def __init__(self) -> None:
        super().__init__(
            "RF_JOB_006", "Job clusters use a cluster policy and a Unity Catalog access mode", CheckCategories.IAM
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        clusters = [value(c, "new_cluster") for c in blocks(conf, "job_cluster")]
        clusters += [value(t, "new_cluster") for t in blocks(conf, "task") if t.get("new_cluster")]
        for cluster in clusters:
            if not isinstance(cluster, dict):
                return CheckResult.FAILED
            if not value(cluster, "policy_id") or value(cluster, "data_security_mode") not in UC_MODES:
                return CheckResult.FAILED
        return CheckResult.PASSED


class PiiIsMasked(JobCheck):
    """The access rules a job's governance task applies (rendered from `retail.access`) mask every PII column."""

    def __init__(self) -> None:
        super().__init__("RF_JOB_007", "Every column classified as PII has a mask", CheckCategories.GENERAL_SECURITY)

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        for task in blocks(conf, "task"):
            wheel = value(task, "python_wheel_task") or {}
            parameters = value(wheel, "named_parameters") if isinstance(wheel, dict) else None
            text = value(parameters, "access-rules") if isinstance(parameters, dict) else None
            if text is None:
                continue
            try:
                rules = AccessRules.from_json(str(text))
            except (ValueError, KeyError, TypeError):
                return CheckResult.FAILED
            if unmasked_pii(rules.tables):
                return CheckResult.FAILED
        return CheckResult.PASSED


checks = [
    FailureNotifications(),
    HealthRule(),
    Timeouts(),
    RunAsServicePrincipal(),
    NoSecretLiterals(),
    JobClusterPolicy(),
    PiiIsMasked(),
]
