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

# checkov reads the files only; it runs while the roots are validated.
./checkov.sh >"$work/checkov.log" 2>&1 &
checkov=$!

# Each root is validated in its own data directory, a few at a time (most of the time is the
# provider starting up).
# shellcheck disable=SC2329 # run by xargs, through bash -c
validate() {
  local root="$1" data
  data="$work/$(echo "$root" | tr '/.' '__')"
  if (cd "$root" && TF_DATA_DIR="$data" "$here/tf.sh" init -input=false -backend=false -no-color >"$data.log" 2>&1       && TF_DATA_DIR="$data" "$here/tf.sh" validate -no-color >>"$data.log" 2>&1); then
    echo "terraform validate: $root ok"
  else
    echo "terraform validate: $root FAILED" && cat "$data.log"
    return 1
  fi
}
export -f validate
export here work

status=0
./roots.sh | xargs -P 3 -I{} bash -c 'validate "$@"' _ {} || status=1
echo "checkov"
wait $checkov || status=1
cat "$work/checkov.log"
exit $status
