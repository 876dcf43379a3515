#!/usr/bin/env bash
# Apply exactly the reviewed plan: apply.sh STACK_DIR (holding plan.tfplan and .terraform.lock.hcl from plan.sh).
# Waits for the state lease; a plan made stale by a later change of the state fails and asks for a new plan.
set -euo pipefail
stack_dir="${1:?stack dir}"
stack="$(basename "$stack_dir")"
test -f "$stack_dir/plan.tfplan" || { echo "::error::$stack: no plan.tfplan to apply (plan first)"; exit 1; }
terraform -chdir="$stack_dir" init -input=false -no-color -lockfile=readonly
log="$(mktemp)"
status=0
terraform -chdir="$stack_dir" apply -input=false -no-color -lock-timeout=20m plan.tfplan 2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
  if grep -q "Saved plan is stale" "$log"; then
    echo "::error::$stack: the reviewed plan is stale (the state changed since it was made); run the deploy again for a new plan to review"
  else
    echo "::error::$stack: terraform apply failed (exit $status)"
  fi
  exit "$status"
fi
