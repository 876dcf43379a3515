#!/usr/bin/env bash
# Open, or update, the one issue about a drifted environment: drift-issue.sh STACK_DIR (with plan.md from plan.sh).
set -euo pipefail
stack_dir="${1:?stack dir}"
stack="$(basename "$stack_dir")"
title="Drift: $stack differs from its configuration"
body="$(mktemp)"
{
  echo "The scheduled drift check found changes made outside the deploy (run ${GITHUB_SERVER_URL:-}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-})."
  echo "Deploy from main to restore the configuration, or change the configuration to keep them."
  echo
  cat "$stack_dir/plan.md"
} > "$body"
gh label create drift --color B60205 --description "An environment differs from its configuration" --force > /dev/null
existing="$(gh issue list --state open --label drift --limit 100 --json number,title --jq ".[] | select(.title == \"$title\") | .number" | head -n 1)"
if [ -n "$existing" ]; then
  gh issue edit "$existing" --body-file "$body" > /dev/null
  echo "updated issue #$existing"
else
  gh issue create --title "$title" --label drift --body-file "$body"
fi
