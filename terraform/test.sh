#!/usr/bin/env bash
# Native `terraform test` with mocked AWS providers: no emulator, no network. Runs the stack's tests
# (tests/*.tftest.hcl) and the local environment's (environments/local/tests), whose multi-region
# mode is applied to the mocks; arguments go to every `terraform test`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for root in . environments/local; do
  echo "terraform test: $root"
  (cd "$here/$root" \
    && TF_DATA_DIR="$work/${root//\//_}" "$here/tf.sh" init -input=false -backend=false -no-color >/dev/null \
    && TF_DATA_DIR="$work/${root//\//_}" "$here/tf.sh" test -no-color "$@")
done
