"""Scan reports for people (table), machines (JSON), code scanning (SARIF 2.1.0) and PR comments (markdown)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from retailflow.policies.scan import Finding, ScanReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def summary_rows(report: ScanReport) -> list[tuple[str, int, int, int]]:
    rows = []
    for stack in report.stacks:
        failed = sum(1 for f in report.failures if f.stack == stack)
        excepted = sum(1 for f in report.excepted if f.stack == stack)
        rows.append((stack, report.passed.get(stack, 0), failed, excepted))
    return rows


def to_table(report: ScanReport, console: Console) -> None:
    summary = Table("stack", "passed", "failed", "excepted", title="policy scan")
    for stack, passed, failed, excepted in summary_rows(report):
        summary.add_row(stack, str(passed), f"[red]{failed}[/]" if failed else "0", str(excepted))
    console.print(summary)
    if report.failures:
        failures = Table("stack", "check", "resource", "what it checks", title="failed checks")
        for f in report.failures:
            failures.add_row(f.stack, f.check_id, f.resource, f.check_name)
        console.print(failures)
    for problem in [*report.problems, *(f"parsing error: {p}" for p in report.parsing_errors)]:
        console.print(f"[red]problem:[/] {problem}", highlight=False, soft_wrap=True)
    console.print("[green]scan passed[/]" if report.ok else "[red]scan failed[/]")


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "check_id": f.check_id,
        "check_name": f.check_name,
        "resource": f.resource,
        "stack": f.stack,
        "environment": f.environment,
        "file": f.file,
        "line": f.line,
        "excepted": f.excepted_by is not None,
        "reason": f.excepted_by.reason if f.excepted_by else None,
    }


def to_json(report: ScanReport) -> str:
    payload = {
        "ok": report.ok,
        "checkov_version": report.checkov_version,
        "summary": [{"stack": s, "passed": p, "failed": f, "excepted": e} for s, p, f, e in summary_rows(report)],
        "findings": [_finding(f) for f in report.findings],
        "parsing_errors": report.parsing_errors,
        "problems": report.problems,
    }
    return json.dumps(payload, indent=2)


def _uri(path: str) -> str:
    p = Path(path)
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.as_posix()


def to_sarif(report: ScanReport) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in report.findings:
        rules.setdefault(
            f.check_id,
            {"id": f.check_id, "name": f.check_id, "shortDescription": {"text": f.check_name or f.check_id}},
        )
        result: dict[str, Any] = {
            "ruleId": f.check_id,
            "ruleIndex": list(rules).index(f.check_id),
            "level": "error",
            "message": {"text": f"{f.check_name} ({f.resource} in {f.stack})"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.file)},
                        "region": {"startLine": f.line},
                    },
                    "logicalLocations": [{"name": f.resource, "kind": "resource"}],
                }
            ],
        }
        if f.excepted_by is not None:
            result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": f.excepted_by.reason}]
        results.append(result)
    notifications = [{"level": "error", "message": {"text": p}} for p in [*report.problems, *report.parsing_errors]]
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "retailflow-scan",
                        "fullName": f"RetailFlow policy scan (checkov {report.checkov_version})",
                        "informationUri": "https://www.checkov.io/",
                        "version": report.checkov_version or "unknown",
                        "rules": list(rules.values()),
                    }
                },
                "invocations": [{"executionSuccessful": report.ok, "toolExecutionNotifications": notifications}],
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2)


def to_markdown(report: ScanReport) -> str:
    lines = [
        "<!-- retailflow-scan -->",
        f"### Policy scan: {'passed' if report.ok else 'failed'}",
        "",
        "| stack | passed | failed | excepted |",
        "|---|---|---|---|",
        *[f"| `{s}` | {p} | {f} | {e} |" for s, p, f, e in summary_rows(report)],
    ]
    if report.failures:
        lines += ["", "**Failed checks**", "", "| stack | check | resource | what it checks |", "|---|---|---|---|"]
        lines += [f"| `{f.stack}` | {f.check_id} | `{f.resource}` | {f.check_name} |" for f in report.failures]
    problems = [*report.problems, *(f"parsing error: {p}" for p in report.parsing_errors)]
    if problems:
        lines += ["", "**Problems**", "", *[f"- {p}" for p in problems]]
    if report.excepted:
        lines += ["", "<details><summary>Excepted findings</summary>", "", "| stack | check | resource | reason |"]
        lines += ["|---|---|---|---|"] + [
            f"| `{f.stack}` | {f.check_id} | `{f.resource}` | {f.excepted_by.reason if f.excepted_by else ''} |"
            for f in report.excepted
        ]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
