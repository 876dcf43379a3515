"""The delivery scripts, as far as this machine allows (no Terraform registry here, so `terraform` is a stand-in that
records its arguments and answers like Terraform): the plan kept and summarized, the reviewed plan applied, a stale
plan refused, the PR comment under GitHub's limit, the sweeper surviving a failed destroy. CI's workflows run the
same scripts with the real Terraform (`.terraform-version`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

SCRIPTS = ROOT / ".github" / "scripts"
sys.path.insert(0, str(SCRIPTS))
import plan_summary  # noqa: E402

FAKE_TERRAFORM = r"""#!/usr/bin/env bash
# Stand-in for terraform: records each call, answers like Terraform for what the scripts ask.
echo "$*" >> "$FAKE_LOG"
dir=""
if [[ "$1" == -chdir=* ]]; then dir="${1#-chdir=}"; shift; fi
case "$1" in
  init) echo "Terraform has been successfully initialized!" ;;
  plan)
    for arg in "$@"; do [[ "$arg" == -out=* ]] && echo "binary plan" > "$dir/${arg#-out=}"; done
    exit "${FAKE_PLAN_EXIT:-2}" ;;
  show)
    if [ "$2" = -json ]; then cat "$FAKE_PLAN_JSON"; else echo "  # azurerm_resource_group.rg will be created"; fi ;;
  apply)
    if [ -n "${FAKE_STALE:-}" ]; then echo "Error: Saved plan is stale" >&2; exit 1; fi
    echo "Apply complete! Resources: 1 added, 0 changed, 0 destroyed." ;;
  state) [ -n "${FAKE_EMPTY_STATE:-}" ] || echo "azurerm_resource_group.rg" ;;
  destroy) echo "Destroy complete!" ;;
esac
"""

PLAN = {
    "resource_changes": [
        {"address": "azurerm_resource_group.rg", "change": {"actions": ["create"]}},
        {"address": "databricks_job.a", "change": {"actions": ["update"]}},
        {"address": "databricks_catalog.c", "change": {"actions": ["delete", "create"]}},
        {"address": "azurerm_storage_account.old", "change": {"actions": ["delete"]}},
        {"address": "data.x.y", "change": {"actions": ["read"]}},
        {"address": "databricks_schema.s", "change": {"actions": ["no-op"]}},
    ]
}


@pytest.fixture
def fake_terraform(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "terraform").write_text(FAKE_TERRAFORM)
    (bin_dir / "terraform").chmod(0o755)
    plan_json = tmp_path / "plan-show.json"
    plan_json.write_text(json.dumps(PLAN))
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_LOG": str(tmp_path / "terraform.log"),
        "FAKE_PLAN_JSON": str(plan_json),
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }


@pytest.fixture
def stack_dir(synth_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "stacks" / "retailflow-dev"
    shutil.copytree(synth_dir / "stacks" / "retailflow-dev", target)
    return target


def script(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPTS / name), *args], capture_output=True, text=True, check=False, env={**os.environ, **env}
    )


def calls(env: dict[str, str]) -> list[str]:
    return Path(env["FAKE_LOG"]).read_text().splitlines()


def test_a_pr_plan_takes_no_state_lease_and_is_kept_and_summarized(fake_terraform, stack_dir):
    result = script("plan.sh", str(stack_dir), "pr", env=fake_terraform)
    assert result.returncode == 0, result.stdout + result.stderr
    plan_call = next(c for c in calls(fake_terraform) if " plan " in f" {c} ")
    assert "-lock=false" in plan_call and "-detailed-exitcode" in plan_call and "-out=plan.tfplan" in plan_call
    assert (stack_dir / "plan.tfplan").is_file() and json.loads((stack_dir / "plan.json").read_text()) == PLAN
    summary = (stack_dir / "plan.md").read_text()
    assert "**Plan: 2 to add, 1 to change, 2 to destroy. (1 replaced)**" in summary
    assert Path(fake_terraform["GITHUB_STEP_SUMMARY"]).read_text() == summary
    assert Path(fake_terraform["GITHUB_OUTPUT"]).read_text() == "changes=true\n"


def test_a_deploy_plan_waits_for_the_lease_and_no_changes_means_nothing_to_apply(fake_terraform, stack_dir):
    result = script("plan.sh", str(stack_dir), "deploy", env={**fake_terraform, "FAKE_PLAN_EXIT": "0"})
    assert result.returncode == 0, result.stderr
    plan_call = next(c for c in calls(fake_terraform) if " plan " in f" {c} ")
    assert "-lock-timeout=20m" in plan_call and "-lock=false" not in plan_call
    assert Path(fake_terraform["GITHUB_OUTPUT"]).read_text() == "changes=false\n"


def test_a_failed_plan_fails_and_an_unknown_mode_is_refused(fake_terraform, stack_dir):
    failed = script("plan.sh", str(stack_dir), "deploy", env={**fake_terraform, "FAKE_PLAN_EXIT": "1"})
    assert failed.returncode == 1 and "terraform plan of retailflow-dev failed" in failed.stdout
    unknown = script("plan.sh", str(stack_dir), "yolo", env=fake_terraform)
    assert unknown.returncode == 2 and "unknown mode 'yolo'" in unknown.stderr


def test_the_apply_applies_exactly_the_saved_plan(fake_terraform, stack_dir):
    script("plan.sh", str(stack_dir), "deploy", env=fake_terraform)
    result = script("apply.sh", str(stack_dir), env=fake_terraform)
    assert result.returncode == 0, result.stdout + result.stderr
    init, apply = calls(fake_terraform)[-2:]
    assert "-lockfile=readonly" in init  # the providers the plan was made with
    assert apply.endswith("apply -input=false -no-color -lock-timeout=20m plan.tfplan")


def test_a_stale_plan_is_refused_with_a_request_for_a_new_one(fake_terraform, stack_dir):
    script("plan.sh", str(stack_dir), "deploy", env=fake_terraform)
    result = script("apply.sh", str(stack_dir), env={**fake_terraform, "FAKE_STALE": "1"})
    assert result.returncode == 1
    assert "retailflow-dev: the reviewed plan is stale" in result.stdout and "run the deploy again" in result.stdout


def test_no_plan_no_apply(fake_terraform, stack_dir):
    result = script("apply.sh", str(stack_dir), env=fake_terraform)
    assert result.returncode == 1 and "no plan.tfplan to apply" in result.stdout


def test_the_summary_calls_out_destroys_and_counts_as_terraform_does():
    assert plan_summary.counts(PLAN) == {"add": 2, "change": 1, "destroy": 2, "replace": 1}
    assert plan_summary.destroyed(PLAN) == [
        "`databricks_catalog.c` (replace)",
        "`azurerm_storage_account.old` (delete)",
    ]
    assert plan_summary.summary_line(plan_summary.counts({"resource_changes": []})) == "No changes."


def _stack(tmp_path: Path, name: str, text_size: int) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "plan.json").write_text(json.dumps(PLAN))
    (folder / "plan.txt").write_text("x" * text_size)
    return folder


def test_a_comment_of_huge_plans_stays_under_githubs_limit_and_keeps_every_summary(tmp_path):
    stacks = [_stack(tmp_path, f"retailflow-{e}", 200_000) for e in ("dev", "stg", "prod")]
    text = plan_summary.comment(
        "<!-- retailflow-pr -->", "Policy scan: passed", stacks, plan_summary.GITHUB_COMMENT_LIMIT - 536
    )
    assert len(text) < plan_summary.GITHUB_COMMENT_LIMIT
    assert text.startswith("<!-- retailflow-pr -->\nPolicy scan: passed")
    assert text.count("**Plan: 2 to add, 1 to change, 2 to destroy. (1 replaced)**") == 3
    assert text.count("characters cut: the whole plan is in the run's artifact") == 3
    small = plan_summary.summarize(_stack(tmp_path, "retailflow-qa", 100), 10_000)
    assert "x" * 100 in small and "characters cut" not in small


FAKE_AZ = r"""#!/usr/bin/env bash
case "$3" in
  list) printf '%s\t%s\n' \
    retailflow-feature-gone-aaaaaa.tfstate 2026-01-01T00:00:00Z \
    retailflow-feature-broken-bbbbbb.tfstate 2026-01-01T00:00:00Z \
    retailflow-feature-alive-cccccc.tfstate 2026-01-01T00:00:00Z \
    retailflow-feature-legacy-dddddd.tfstate 2020-01-01T00:00:00Z \
    retailflow-feature-fresh-eeeeee.tfstate 2999-01-01T00:00:00Z ;;
  download)
    while [ $# -gt 0 ]; do case "$1" in --name) name="$2"; shift ;; --file) file="$2"; shift ;; esac; shift; done
    case "$name" in
      *gone* | *broken*) echo '{"outputs": {"expires_on": {"value": "2020-01-02"}}}' > "$file" ;;
      *alive*) echo '{"outputs": {"expires_on": {"value": "2999-01-02"}}}' > "$file" ;;
      *) echo '{"outputs": {}}' > "$file" ;;
    esac ;;
esac
"""


def test_the_sweeper_survives_a_failed_destroy_and_handles_states_without_expiry(tmp_path):
    work = tmp_path / "checkout"
    (work / ".venv" / "bin").mkdir(parents=True)
    (work / ".github" / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPTS / "feature-sweep.sh", work / ".github" / "scripts")
    (work / ".venv" / "bin" / "retailflow").symlink_to(Path(sys.executable).parent / "retailflow")
    destroy = work / ".github" / "scripts" / "feature-destroy.sh"
    destroy.write_text('#!/usr/bin/env bash\necho "$1" >> destroyed.txt\n[ "$1" != broken-bbbbbb ]\n')
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "az").write_text(FAKE_AZ)
    for path in (destroy, bin_dir / "az"):
        path.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "RETAILFLOW_PROJECT_ROOT": str(ROOT)}
    result = subprocess.run(
        ["bash", ".github/scripts/feature-sweep.sh"], cwd=work, capture_output=True, text=True, check=False, env=env
    )
    assert result.returncode == 1
    assert "could not destroy: broken-bbbbbb" in result.stdout
    assert (work / "destroyed.txt").read_text().split() == ["gone-aaaaaa", "broken-bbbbbb", "legacy-dddddd"]
