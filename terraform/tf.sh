#!/usr/bin/env bash
# Run terraform (or OpenTofu) with this project's CLI configuration.
#
# Where a local provider mirror exists (TF_PROVIDER_MIRROR, default /opt/tf-plugins), a project-local
# CLI config that installs providers from it is generated and used, so `init` works offline.
# Elsewhere the tool runs with its normal configuration and the public registry.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ -n "${TF_BIN:-}" ]]; then
  tool="$TF_BIN"
elif command -v terraform >/dev/null 2>&1; then
  tool="terraform"
elif command -v tofu >/dev/null 2>&1; then
  tool="tofu"
else
  cat >&2 <<'MSG'
Neither terraform nor tofu was found on PATH.
Install one of them (version >= 1.6):
  Terraform: https://developer.hashicorp.com/terraform/install
  OpenTofu:  https://opentofu.org/docs/intro/install/
or set TF_BIN to the binary's path.
MSG
  exit 127
fi

mirror="${TF_PROVIDER_MIRROR:-/opt/tf-plugins}"
if [[ -d "$mirror" ]]; then
  config="$here/.terraformrc.local"
  wanted="provider_installation {
  filesystem_mirror {
    path    = \"$mirror\"
    include = [\"registry.terraform.io/*/*\", \"registry.opentofu.org/*/*\"]
  }
  direct {
    exclude = [\"registry.terraform.io/*/*\", \"registry.opentofu.org/*/*\"]
  }
}"
  if [[ ! -f "$config" ]] || [[ "$(cat "$config")" != "$wanted" ]]; then
    printf '%s\n' "$wanted" >"$config.$$"
    mv -f "$config.$$" "$config"
  fi
  export TF_CLI_CONFIG_FILE="$config"
elif [[ -n "${TF_CLI_CONFIG_FILE:-}" && ! -f "$TF_CLI_CONFIG_FILE" ]]; then
  # A CLI config that names a missing file is an error for terraform; fall back to its defaults.
  unset TF_CLI_CONFIG_FILE
fi

exec "$tool" "$@"
