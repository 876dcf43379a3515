#!/usr/bin/env bash
# Plan one synthesized stack and keep the plan: plan.sh STACK_DIR MODE
#   MODE pr      read-only identity, no state lease (-lock=false): never blocks a deploy
#   MODE deploy  waits for the state lease (-lock-timeout): the plan the gated apply job will apply
#   MODE drift   no state lease; exit code 2 of -detailed-exitcode means drift
# Writes plan.tfplan, plan.txt (terraform show), plan.json (terraform show -json) and plan.md (the summary) into
# STACK_DIR; appends plan.md to the job summary; sets `changes` (true|false) in $GITHUB_OUTPUT.
set -euo pipefail
stack_dir="${1:?stack dir}"
mode="${2:?mode: pr, deploy or drift}"
here="$(cd "$(dirname "$0")" && pwd)"
case "$mode" in
  pr | drift) lock=(-lock=false) ;;
  deploy) lock=(-lock-timeout=20m) ;;
  *) echo "plan.sh: unknown mode '$mode' (pr, deploy, drift)" >&2; exit 2 ;;
esac
terraform -chdir="$stack_dir" init -input=false -no-color
status=0
terraform -chdir="$stack_dir" plan -input=false -no-color -detailed-exitcode "${lock[@]}" -out=plan.tfplan || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
  echo "::error::terraform plan of $(basename "$stack_dir") failed (exit $status)"
  exit "$status"
fi
terraform -chdir="$stack_dir" show -no-color plan.tfplan > "$stack_dir/plan.txt"
terraform -chdir="$stack_dir" show -json plan.tfplan > "$stack_dir/plan.json"
python3 "$here/plan_summary.py" summarize "$stack_dir" > "$stack_dir/plan.md"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$stack_dir/plan.md" >> "$GITHUB_STEP_SUMMARY"; fi
changes=false
if [ "$status" -eq 2 ]; then changes=true; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "changes=$changes" >> "$GITHUB_OUTPUT"; fi
echo "$(basename "$stack_dir"): changes=$changes"
