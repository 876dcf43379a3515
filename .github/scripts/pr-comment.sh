#!/usr/bin/env bash
# Post or update the one RetailFlow comment on a pull request: the body of $1, found again by its first-line marker.
set -euo pipefail
body_file="$1"
marker="$(head -n 1 "$body_file")"
repo="${GITHUB_REPOSITORY:?}"
pr="${PR_NUMBER:?}"
existing="$(gh api "repos/$repo/issues/$pr/comments" --paginate --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)"
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$repo/issues/comments/$existing" -F "body=@$body_file" > /dev/null
  echo "updated comment $existing"
else
  gh api --method POST "repos/$repo/issues/$pr/comments" -F "body=@$body_file" > /dev/null
  echo "posted a new comment"
fi
