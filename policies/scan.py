"""The policy scan of synthesized stacks: checkov's built-in checks plus `policies/checks`, offline, with the one
committed exceptions file. Fails on any failed check, any parsing error, any stack no check ran on, and any expired,
unused or inapplicable exception (checkov itself exits 0 on parsing errors; the scan does not)."""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from retailflow.config import ConfigError, EnvironmentConfig
from retailflow.naming import environment_of_stack
from retailflow.policies.checks.common import config_for

POLICIES_DIR = Path(__file__).resolve().parent
CHECKS_DIR = POLICIES_DIR / "checks"
EXCEPTIONS_FILE = POLICIES_DIR / "exceptions.yaml"
STACK_FILE = "cdk.tf.json"


class PolicyException(BaseModel):
    """One accepted finding: which check, on which resource(s) (glob), in the environments whose config has the
    `where` values (by property, never by name), why, and until when."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    check_id: str = Field(min_length=3)
    resource: str = Field(min_length=3)
    where: dict[str, Any] = Field(min_length=1)
    reason: str = Field(min_length=20)
    expires: dt.date

    @field_validator("where")
    @classmethod
    def known_settings(cls, where: dict[str, Any]) -> dict[str, Any]:
        for key in where:
            model: type[BaseModel] | None = EnvironmentConfig
            for part in key.split("."):
                field = model.model_fields.get(part) if model is not None else None
                if field is None:
                    raise ValueError(f"{key!r} is not an environment setting")
                annotation = field.annotation
                model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
        return where

    def applies_to(self, environment: str) -> bool:
        """Whether the environment's config has every `where` value."""
        return all(_config_value(environment, key) == wanted for key, wanted in self.where.items())

    def matches(self, finding: Finding) -> bool:
        return (
            finding.check_id == self.check_id
            and self.applies_to(finding.environment)
            and fnmatch.fnmatchcase(finding.resource, self.resource)
        )

    @property
    def label(self) -> str:
        where = ", ".join(f"{key}={value}" for key, value in self.where.items())
        return f"{self.check_id} {self.resource} (where {where})"


class ExceptionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exceptions: list[PolicyException]


@dataclass
class Finding:
    check_id: str
    check_name: str
    resource: str
    stack: str
    file: str
    line: int
    excepted_by: PolicyException | None = None

    @property
    def environment(self) -> str:
        return self.stack.removeprefix("retailflow-")


@dataclass
class ScanReport:
    stacks: list[str]
    findings: list[Finding] = field(default_factory=list)
    passed: dict[str, int] = field(default_factory=dict)
    parsing_errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # exception problems, stacks nothing ran on
    checkov_version: str = ""

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.excepted_by is None]

    @property
    def excepted(self) -> list[Finding]:
        return [f for f in self.findings if f.excepted_by is not None]

    @property
    def ok(self) -> bool:
        return not (self.failures or self.parsing_errors or self.problems)


def find_stack_files(path: Path) -> list[Path]:
    """`cdktf.out`, `cdktf.out/stacks` or one stack folder (or its cdk.tf.json) -> the stack files in it."""
    if path.is_file():
        return [path]
    if (path / STACK_FILE).is_file():
        return [path / STACK_FILE]
    root = path / "stacks" if (path / "stacks").is_dir() else path
    files = sorted(p / STACK_FILE for p in root.iterdir() if (p / STACK_FILE).is_file()) if root.is_dir() else []
    if not files:
        raise FileNotFoundError(f"--path {path}: no synthesized stack ({STACK_FILE}) found there")
    return files


def load_exceptions(path: Path = EXCEPTIONS_FILE) -> list[PolicyException]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return ExceptionsFile.model_validate(data).exceptions
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({err})") from None


def run_checkov(stack_files: list[Path]) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "checkov.main",
        "--framework",
        "terraform_json",
        "--skip-download",
        "--external-checks-dir",
        str(CHECKS_DIR),
        "--output",
        "json",
        "--compact",
    ]
    for stack_file in stack_files:
        command += ["--file", str(stack_file)]
    env = {**os.environ, "LOG_LEVEL": "ERROR", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    try:
        parsed = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(
            f"checkov produced no report (exit {result.returncode}): {result.stderr.strip()[-2000:]}"
        ) from None
    reports = parsed if isinstance(parsed, list) else [parsed]
    merged: dict[str, Any] = {"passed": [], "failed": [], "parsing_errors": [], "version": ""}
    for report in reports:
        if not isinstance(report, dict) or "results" not in report:
            continue
        merged["passed"] += report["results"].get("passed_checks", [])
        merged["failed"] += report["results"].get("failed_checks", [])
        merged["parsing_errors"] += report["results"].get("parsing_errors", [])
        merged["version"] = report.get("summary", {}).get("checkov_version", "")
    return merged


def _stack_of(file_path: str) -> str:
    return Path(file_path).parent.name


def _resource_types(stack_file: Path) -> dict[str, str]:
    """Logical resource name -> resource type, to complete checkov's `resource.<name>` addresses."""
    try:
        resources = json.loads(stack_file.read_text(encoding="utf-8")).get("resource", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {name: kind for kind, items in resources.items() if isinstance(items, dict) for name in items}


def _address(resource: str, types: dict[str, str]) -> str:
    kind, _, name = resource.partition(".")
    return f"{types[name]}.{name}" if kind == "resource" and name in types else resource


def _config_value(environment: str, dotted: str) -> Any:
    """A config value by its dotted path (`network.private`); None for a stack of no environment file."""
    config: Any = config_for(environment)
    for part in dotted.split("."):
        if config is None:
            return None
        config = getattr(config, part)
    return config


def apply_exceptions(report: ScanReport, exceptions: list[PolicyException], today: dt.date) -> None:
    scanned = {environment_of_stack(s) or s for s in report.stacks}
    for exception in exceptions:
        if exception.expires < today:
            report.problems.append(f"exception {exception.label} expired on {exception.expires}: fix or renew it")
            continue
        for env in sorted(e for e in scanned if exception.applies_to(e)):
            matched = [f for f in report.findings if f.environment == env and exception.matches(f)]
            if not matched:
                report.problems.append(f"exception {exception.label} is unused in {env}: remove it")
            for finding in matched:
                finding.excepted_by = finding.excepted_by or exception


def scan(
    stack_files: list[Path], exceptions: list[PolicyException] | None = None, today: dt.date | None = None
) -> ScanReport:
    raw = run_checkov(stack_files)
    stacks = [f.parent.name for f in stack_files]
    report = ScanReport(stacks=stacks, checkov_version=raw["version"])
    report.parsing_errors = [str(p) for p in raw["parsing_errors"]]
    files = {f.parent.name: f for f in stack_files}
    types = {name: _resource_types(f) for name, f in files.items()}
    for item in raw["failed"]:
        stack = _stack_of(item["file_path"])
        line_range = item.get("file_line_range") or [1, 1]
        report.findings.append(
            Finding(
                check_id=item["check_id"],
                check_name=item.get("check_name", ""),
                resource=_address(item["resource"], types.get(stack, {})),
                stack=stack,
                file=str(files.get(stack, item["file_path"])),
                line=max(1, int(line_range[0] or 1)),
            )
        )
    for item in raw["passed"]:
        stack = _stack_of(item["file_path"])
        report.passed[stack] = report.passed.get(stack, 0) + 1
    for stack in stacks:
        if stack not in report.passed and not any(f.stack == stack for f in report.findings):
            report.problems.append(f"no check ran on {stack}: checkov could not read it (treated as a parsing error)")
    apply_exceptions(report, default_exceptions() if exceptions is None else exceptions, today or dt.date.today())
    report.findings.sort(key=lambda f: (f.stack, f.check_id, f.resource))
    return report


def default_exceptions() -> list[PolicyException]:
    return load_exceptions(Path(os.environ.get("RETAILFLOW_POLICY_EXCEPTIONS", EXCEPTIONS_FILE)))
