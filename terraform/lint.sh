#!/usr/bin/env bash
# Static checks of terraform/: canonical formatting, `validate` of every root module, and checkov
# with zero failed checks. Offline: providers come from the local mirror when there is one (tf.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "terraform fmt -check -recursive"
./tf.sh fmt -check -recursive -diff

status=0
while read -r root; do
  data="$work/$(echo "$root" | tr '/.' '__')"
  if ! (cd "$root" && TF_DATA_DIR="$data" "$here/tf.sh" init -input=false -backend=false -no-color >"$data.log" 2>&1 \
        && TF_DATA_DIR="$data" "$here/tf.sh" validate -no-color >>"$data.log" 2>&1); then
    echo "terraform validate: $root FAILED" && cat "$data.log"
    status=1
  else
    echo "terraform validate: $root ok"
  fi
done < <(./roots.sh)
[[ $status -eq 0 ]] || exit $status

echo "checkov"
./checkov.sh
