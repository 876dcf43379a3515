#!/usr/bin/env bash
# Destroy every feature environment past its expiry (kept in its state since creation). A state without an expiry
# (made before the expiry was kept) counts as expired once it is older than the feature TTL. One failed destroy does
# not stop the others; the sweep fails at the end, naming them.
set -uo pipefail
info() { .venv/bin/retailflow feature --slug "x-000000" --field "$1"; }
account="$(info state_account)"
container="$(info state_container)"
ttl_days="$(info ttl_days)"
today="$(date -u +%F)"
oldest_allowed="$(date -u -d "-$ttl_days days" +%FT%TZ)"
failed=()
blobs="$(az storage blob list --auth-mode login --account-name "$account" --container-name "$container" \
  --prefix retailflow-feature- --query "[].[name, properties.lastModified]" -o tsv)" || exit 1
while IFS=$'\t' read -r blob modified; do
  [ -n "$blob" ] || continue
  slug="${blob#retailflow-feature-}"
  slug="${slug%.tfstate}"
  az storage blob download --auth-mode login --account-name "$account" --container-name "$container" \
    --name "$blob" --file state.json --only-show-errors > /dev/null || { failed+=("$slug (state unreadable)"); continue; }
  expires="$(jq -r '.outputs.expires_on.value // empty' state.json)"
  if [ -n "$expires" ] && [[ ! "$expires" < "$today" ]]; then
    continue
  fi
  if [ -z "$expires" ] && [[ ! "$modified" < "$oldest_allowed" ]]; then
    continue
  fi
  echo "destroying retailflow-feature-$slug (expires ${expires:-never recorded}, state modified $modified)"
  .github/scripts/feature-destroy.sh "$slug" || failed+=("$slug")
done <<< "$blobs"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "::error::could not destroy: ${failed[*]}"
  exit 1
fi
