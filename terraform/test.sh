#!/usr/bin/env bash
# Native `terraform test` (tests/*.tftest.hcl) with a mocked AWS provider: no emulator, no network.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
export TF_DATA_DIR="$data"
./tf.sh init -input=false -backend=false -no-color >/dev/null
./tf.sh test -no-color "$@"
