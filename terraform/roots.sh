#!/usr/bin/env bash
# Print every directory Terraform runs as a root module: terraform/, its environments, and the
# examples of every module. Sourced by lint.sh; handy on its own.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
echo "."
for dir in environments/*/ $(find modules -path '*/examples/*' -name '*.tf' -not -path '*/.terraform/*' -exec dirname {} \; | sort -u); do
  dir="${dir%/}"
  compgen -G "$dir/*.tf" >/dev/null && echo "$dir"
done
