#!/usr/bin/env bash
# Native `terraform test` with mocked AWS providers: no emulator, no network. Runs the stack's tests
# (tests/*.tftest.hcl) and the local environment's (environments/local/tests, its multi-region mode
# applied to the mocks) side by side; arguments go to every `terraform test`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
roots=(. environments/local)
pids=()
for root in "${roots[@]}"; do
  log="$work/${root//\//_}.log"
  (cd "$here/$root" \
    && TF_DATA_DIR="$log.data" "$here/tf.sh" init -input=false -backend=false -no-color >/dev/null \
    && TF_DATA_DIR="$log.data" "$here/tf.sh" test -no-color "$@") >"$log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!roots[@]}"; do
  wait "${pids[$i]}" || status=1
  echo "terraform test: ${roots[$i]}"
  cat "$work/${roots[$i]//\//_}.log"
done
exit $status
