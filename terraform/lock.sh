#!/usr/bin/env bash
# Write the provider lock file (.terraform.lock.hcl, committed) of every root module (roots.sh).
#
#   terraform/lock.sh                 hashes the local provider mirror gives (linux_amd64 only)
#   terraform/lock.sh --registry      hashes from the registry for every platform the team uses
#
# `init` refuses a provider whose hash is not in the lock file, so a machine of another platform
# needs the --registry run (where the registry is reachable) before its first init; commit the result.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

platforms=(-platform=linux_amd64)
source=(-fs-mirror="${TF_PROVIDER_MIRROR:-/opt/tf-plugins}")
if [[ "${1:-}" == "--registry" ]]; then
  platforms=(-platform=linux_amd64 -platform=linux_arm64 -platform=darwin_amd64 -platform=darwin_arm64 -platform=windows_amd64)
  source=()
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for root in $(./roots.sh); do
  data="$work/$(echo "$root" | tr '/.' '__')"
  (cd "$root" && TF_DATA_DIR="$data" "$here/tf.sh" init -input=false -backend=false -no-color >"$data.log" 2>&1 \
    && TF_DATA_DIR="$data" "$here/tf.sh" providers lock "${source[@]}" "${platforms[@]}" -no-color >>"$data.log" 2>&1) \
    || { echo "lock: $root FAILED"; cat "$data.log"; exit 1; }
  echo "lock: $root"
done
