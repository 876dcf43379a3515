#!/usr/bin/env bash
# Destroy one feature environment by its slug alone (no branch, no PR code): feature-destroy.sh SLUG
# Run from the default branch's checkout after `make install`. A stack with nothing in its state is left alone.
set -euo pipefail
slug="${1:?feature slug}"
stack="retailflow-feature-$slug"
.venv/bin/retailflow synth --env "$(.venv/bin/retailflow feature --slug "$slug" --field base_environment)" --feature-slug "$slug"
dir="cdktf.out/stacks/$stack"
terraform -chdir="$dir" init -input=false -no-color
if [ -z "$(terraform -chdir="$dir" state list 2>/dev/null)" ]; then
  echo "$stack: nothing deployed"
  exit 0
fi
terraform -chdir="$dir" destroy -input=false -no-color -auto-approve -lock-timeout=20m
