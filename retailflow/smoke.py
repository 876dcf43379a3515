"""Post-deploy smoke test of an environment through the Databricks Jobs API.

Full smoke: find the workload's job, check it carries the promoted artifact, run it now and wait for success.
Read-only smoke (prod): find the job, check artifact and schedule, report its last run; start nothing.
Authentication: an Azure AD access token for the Databricks resource in `DATABRICKS_TOKEN` (the deploy workflow
gets it from its OIDC login); the host from the stack's `workspace_url` output.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TERMINAL = {"TERMINATED", "SKIPPED", "INTERNAL_ERROR"}

Transport = Callable[[str, str, dict[str, Any] | None], dict[str, Any]]


class SmokeFailed(RuntimeError):
    """The environment did not pass its smoke test."""


@dataclass
class SmokeResult:
    job_name: str
    job_id: int | None = None
    run_id: int | None = None
    state: str = ""
    calls: list[str] = field(default_factory=list)


def http_transport(host: str, token: str, timeout: float = 30.0) -> Transport:
    base = host if host.startswith("https://") else f"https://{host}"

    def call(method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            base.rstrip("/") + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload: dict[str, Any] = json.loads(response.read() or b"{}")
            return payload

    return call


def dry_run_transport(log: list[str]) -> Transport:
    """Prints the calls a smoke would make; answers as a healthy workspace would."""

    def call(method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        log.append(f"{method} {path}" + (f" {json.dumps(body, sort_keys=True)}" if body else ""))
        if path.startswith("/api/2.2/jobs/list"):
            name = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)["name"][0]
            return {
                "jobs": [
                    {"job_id": 1, "settings": {"name": name, "tags": {}, "schedule": {"pause_status": "UNPAUSED"}}}
                ]
            }
        if path == "/api/2.2/jobs/run-now":
            return {"run_id": 2}
        if path.startswith("/api/2.2/jobs/runs/list"):
            return {"runs": []}
        return {"state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"}}

    return call


def smoke(
    call: Transport,
    job_name: str,
    *,
    read_only: bool,
    expect_artifact: str | None = None,
    timeout_seconds: float = 3600,
    poll_seconds: float = 20,
) -> SmokeResult:
    result = SmokeResult(job_name)
    jobs = call("GET", "/api/2.2/jobs/list?" + urllib.parse.urlencode({"name": job_name}), None).get("jobs", [])
    if len(jobs) != 1:
        raise SmokeFailed(f"expected one job named {job_name!r}, found {len(jobs)}")
    job = jobs[0]
    result.job_id = int(job["job_id"])
    tags = job.get("settings", {}).get("tags", {}) or {}
    if expect_artifact and tags.get("artifact_sha256") and not expect_artifact.startswith(tags["artifact_sha256"]):
        raise SmokeFailed(f"job {job_name} runs artifact {tags['artifact_sha256']}, expected {expect_artifact[:16]}")
    if read_only:
        runs = call("GET", f"/api/2.2/jobs/runs/list?job_id={result.job_id}&completed_only=true&limit=1", None)
        last = (runs.get("runs") or [{}])[0]
        result.state = last.get("state", {}).get("result_state", "NO_RUNS_YET")
        return result
    result.run_id = int(call("POST", "/api/2.2/jobs/run-now", {"job_id": result.job_id})["run_id"])
    deadline = time.monotonic() + timeout_seconds
    while True:
        run = call("GET", f"/api/2.2/jobs/runs/get?run_id={result.run_id}", None)
        state = run.get("state", {})
        if state.get("life_cycle_state") in TERMINAL:
            result.state = state.get("result_state", state.get("life_cycle_state", ""))
            if result.state != "SUCCESS":
                raise SmokeFailed(
                    f"run {result.run_id} of {job_name} ended {result.state}: {state.get('state_message', '')}"
                )
            return result
        if time.monotonic() > deadline:
            raise SmokeFailed(f"run {result.run_id} of {job_name} did not finish within {timeout_seconds:.0f} s")
        time.sleep(poll_seconds)
