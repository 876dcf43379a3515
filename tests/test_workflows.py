"""The GitHub workflows: actionlint-clean, every command they call exists, actions pinned, least-privilege
permissions per job, no long-lived cloud secret; and the feature-environment path exercised as far as it goes
without Azure."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
import yaml
from conftest import ROOT

from retailflow.cli import app
from retailflow.naming import feature_slug

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")
ALLOWED_WRITE = {
    "id-token": "logs into Azure with OIDC",
    "security-events": "uploads SARIF",
    "pull-requests": "posts the PR comment",
}


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads `on:` as True
    return data


def all_steps():
    for path in WORKFLOWS:
        for job_name, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                yield path.name, job_name, job, step


def test_actionlint_is_clean():
    result = subprocess.run(
        [str(BIN / "actionlint"), *map(str, WORKFLOWS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def cli_commands() -> dict[str, set[str]]:
    group = typer.main.get_command(app)
    return {
        name: {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        for name, command in group.commands.items()  # type: ignore[attr-defined]
    }


def test_every_command_the_workflows_call_exists():
    targets, commands = make_targets(), cli_commands()
    seen_make, seen_cli = set(), set()
    for workflow, job, _, step in all_steps():
        for line in step.get("run", "").splitlines():
            for target in re.findall(r"\bmake\s+([a-z][\w-]*)", line):
                assert target in targets, f"{workflow}/{job}: make {target} does not exist"
                seen_make.add(target)
            for match in re.finditer(r"(?:\.venv/bin/)?retailflow\s+([a-z-]+)([^|;&]*)", line):
                command, rest = match.group(1), match.group(2)
                assert command in commands, f"{workflow}/{job}: retailflow {command} does not exist"
                for flag in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", rest):
                    assert flag in commands[command], f"{workflow}/{job}: retailflow {command} has no {flag}"
                seen_cli.add(command)
    assert {"test", "synth", "install"} <= seen_make
    assert {"scan", "synth", "smoke", "feature"} <= seen_cli


def test_third_party_actions_are_pinned():
    for workflow, job, _, step in all_steps():
        uses = step.get("uses")
        if uses and not uses.startswith("./"):
            assert PINNED.match(uses), f"{workflow}/{job}: {uses} is not pinned to a version or commit"


def test_permissions_are_declared_per_job_with_least_privilege():
    for path in WORKFLOWS:
        workflow = load(path)
        assert workflow.get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"
        for job_name, job in workflow["jobs"].items():
            permissions = job.get("permissions")
            assert isinstance(permissions, dict), f"{path.name}/{job_name}: no permissions block"
            for scope, level in permissions.items():
                assert level in ("read", "write", "none"), (path.name, job_name, scope)
                if level == "write":
                    assert scope in ALLOWED_WRITE, f"{path.name}/{job_name}: {scope}: write is not needed"
            steps = job.get("steps", [])
            logs_in = any(str(s.get("uses", "")).startswith("azure/login@") for s in steps) or "uses" in job
            assert (permissions.get("id-token") == "write") == logs_in, f"{path.name}/{job_name}: id-token"
            uploads = any("upload-sarif" in str(s.get("uses", "")) for s in steps)
            assert (permissions.get("security-events") == "write") == uploads, (
                f"{path.name}/{job_name}: security-events"
            )


def test_no_long_lived_cloud_secret_anywhere():
    for path in [*WORKFLOWS, *(ROOT / ".github" / "scripts").glob("*")]:
        text = path.read_text()
        assert "secrets." not in text, path.name
        assert not re.search(r"(?i)client[-_]secret|ARM_CLIENT_SECRET|AZURE_CREDENTIALS", text), path.name


def test_deploy_promotes_one_artifact_through_the_environments_in_promotion_order():
    deploy = load(ROOT / ".github" / "workflows" / "deploy.yml")["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["strategy"]["max-parallel"] == 1 and deploy["strategy"]["fail-fast"]
    assert deploy["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.build.outputs.stages) }}"
    assert deploy["with"] == {
        "environment": "${{ matrix.environment }}",
        "artifact": "${{ needs.build.outputs.artifact }}",
        "smoke": "${{ matrix.smoke }}",
    }
    stages = json.loads(run(str(BIN / "retailflow"), "envs", "--json").stdout)
    assert [(s["environment"], s["smoke"]) for s in stages] == [("dev", "full"), ("stg", "full"), ("prod", "read-only")]
    pr = load(ROOT / ".github" / "workflows" / "pr.yml")["jobs"]
    assert pr["plan"]["strategy"]["matrix"]["environment"] == "${{ fromJSON(needs.checks.outputs.environments) }}"
    stage = load(ROOT / ".github" / "workflows" / "deploy-stage.yml")["jobs"]["deploy"]
    runs = "\n".join(s.get("run", "") for s in stage["steps"])
    assert runs.index("retailflow scan") < runs.index("cdktf deploy") < runs.index("retailflow smoke")
    assert "--skip-synth" in runs and stage["environment"] == "${{ inputs.environment }}"
    assert stage["concurrency"]["group"] == "retailflow-${{ inputs.environment }}"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=ROOT, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}
    )


@pytest.mark.parametrize("branch", ["Feature/ABC-123_New-Thing", "fix/" + "x" * 60, "9-lives"])
def test_feature_slug_is_stable_for_the_sweeper(branch):
    """The sweeper re-synthesizes a feature stack from its slug: the slug must map to itself."""
    assert feature_slug(feature_slug(branch)) == feature_slug(branch)


def test_feature_environment_workflow_commands_dry_run(tmp_path):
    branch = "feature/ABC-123_New-Thing"
    info = run(str(BIN / "retailflow"), "feature", branch)
    assert info.returncode == 0, info.stderr
    stack = json.loads(info.stdout)["stack"]
    assert stack == "retailflow-feature-abc-123-new-thing"
    synth = run(str(BIN / "retailflow"), "synth", "--env", "dev", "--feature", branch, "--outdir", str(tmp_path))
    assert synth.returncode == 0, synth.stderr
    stack_file = tmp_path / "stacks" / stack / "cdk.tf.json"
    assert json.loads(stack_file.read_text())["output"]["expires_on"]
    smoke = run(str(BIN / "retailflow"), "smoke", "--env", "feature-abc-123-new-thing", "--dry-run")
    assert smoke.returncode == 0 and "POST /api/2.2/jobs/run-now" in smoke.stdout


def test_the_pinned_cdktf_cli_synthesizes_the_same_app(tmp_path):
    cdktf = ROOT / "node_modules" / ".bin" / "cdktf"
    if not cdktf.exists():
        pytest.skip("node_modules not installed (make install)")
    env = {"CHECKPOINT_DISABLE": "1", "CI": "1", "RETAILFLOW_FEATURE": "feature/x-1"}
    result = run(str(cdktf), "synth", "--output", str(tmp_path), env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    names = sorted(p.name for p in (tmp_path / "stacks").iterdir())
    assert names == ["retailflow-dev", "retailflow-feature-x-1", "retailflow-prod", "retailflow-stg"]
