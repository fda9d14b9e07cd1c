#!/usr/bin/env bash
# Install or update gpu-orchestrator on a GPU host: the wanted build of the project (a wheel in S3),
# the pinned ComfyUI, the models the workflows need, the CloudWatch agent, and the systemd units.
#
# The wanted build is the SSM parameter GPUJOBS_BUILD_PARAMETER (JSON: version, wheel_s3_uri,
# wheel_sha256, comfyui {repository, ref, commit}); what is installed is recorded in
# /opt/gpu-orchestrator/build.json, so a run that finds them equal only refreshes the agent's
# configuration. Terraform sends this script as the SSM document GPUJOBS_SETUP_DOCUMENT, with the
# GPUJOBS_* settings on the lines above it; the boot unit it installs runs the document's current
# content at every boot (GPUJOBS_SETUP_MODE=boot), so a stopped instance is updated when it next
# starts, before the services start. Run on a running instance, it restarts what changed. The
# services' settings are not installed: they are read from GPUJOBS_SETTINGS_PARAMETER at each start.
#
# Needs on the image: bash, python3 (>= 3.11, with venv), git, the AWS CLI, systemd, and the NVIDIA
# driver (the AWS Deep Learning AMIs for Ubuntu have them).
set -euo pipefail

: "${GPUJOBS_REGION:?}" "${GPUJOBS_BUILD_PARAMETER:?}" "${GPUJOBS_SETTINGS_PARAMETER:?}"
: "${GPUJOBS_AGENT_PARAMETER:?}" "${GPUJOBS_SETUP_DOCUMENT:?}"
run_user="${GPUJOBS_RUN_USER:-ubuntu}"
mode="${GPUJOBS_SETUP_MODE:-command}"
prefix=/opt/gpu-orchestrator
comfy_dir=/opt/ComfyUI
config_dir=/etc/gpu-orchestrator
log_dir=/var/log/gpu-orchestrator
units=(comfyui.service comfyui-unified-api.service sqs-adapter.service)
exported=(gpu-orchestrator-host-setup comfyui comfyui-unified-api sqs-adapter)

log() { echo "host-setup: $*"; }
die() { echo "host-setup: $*" >&2; exit 1; }
aws_() { aws --region "$GPUJOBS_REGION" "$@"; }

# One field of a JSON document ($1), by path ($2...); empty when absent or null.
json_field() {
  python3 - "$@" <<'PY'
import json, sys
value = json.loads(sys.argv[1])
for key in sys.argv[2:]:
    value = value.get(key) if isinstance(value, dict) else None
print("" if value is None else value)
PY
}

install_boot_unit() {
  # The boot path: fetch the setup document's current content and run it before the services.
  install -d -m 0755 "$config_dir"
  cat >"$config_dir/host-setup.env" <<EOF
GPUJOBS_REGION=$GPUJOBS_REGION
GPUJOBS_SETUP_DOCUMENT=$GPUJOBS_SETUP_DOCUMENT
EOF
  cat >/usr/local/sbin/gpu-orchestrator-host-setup <<'EOF'
#!/bin/sh
# Run the current content of the host's setup document (see the unit gpu-orchestrator-host-setup).
set -eu
. /etc/gpu-orchestrator/host-setup.env
script="$(mktemp)"
trap 'rm -f "$script"' EXIT
aws --region "$GPUJOBS_REGION" ssm get-document --name "$GPUJOBS_SETUP_DOCUMENT" --query Content --output text \
  | python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin)["mainSteps"][0]["inputs"]["runCommand"]))' >"$script"
GPUJOBS_SETUP_MODE="${GPUJOBS_SETUP_MODE:-boot}" exec bash "$script"
EOF
  chmod 0755 /usr/local/sbin/gpu-orchestrator-host-setup
  cat >/etc/systemd/system/gpu-orchestrator-host-setup.service <<'EOF'
[Unit]
Description=Install the wanted gpu-orchestrator build before the services start
Wants=network-online.target
After=network-online.target
Before=comfyui.service comfyui-unified-api.service sqs-adapter.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/gpu-orchestrator-host-setup
TimeoutStartSec=3600
StandardOutput=journal

[Install]
WantedBy=multi-user.target
EOF
}

install_log_export() {
  # The CloudWatch agent tails files, not the journal: each unit's journal is exported to a file as
  # bare lines (the worker's EMF lines stay JSON), resuming from a cursor after a restart.
  install -d -m 0755 "$log_dir" /var/lib/gpu-orchestrator
  cat >/etc/systemd/system/gpu-orchestrator-log-export@.service <<EOF
[Unit]
Description=Export the journal of %i to $log_dir/%i.log

[Service]
ExecStart=/usr/bin/journalctl --follow --output=cat --unit=%i.service --cursor-file=/var/lib/gpu-orchestrator/%i.cursor
StandardOutput=append:$log_dir/%i.log
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
EOF
  cat >/etc/logrotate.d/gpu-orchestrator <<EOF
$log_dir/*.log {
  daily
  rotate 3
  compress
  missingok
  notifempty
  copytruncate
}
EOF
}

install_agent() {
  if [[ ! -x /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl ]]; then
    log "installing the CloudWatch agent"
    local deb
    deb="$(mktemp --suffix .deb)"
    curl -fsSL -o "$deb" \
      "https://amazoncloudwatch-agent-$GPUJOBS_REGION.s3.$GPUJOBS_REGION.amazonaws.com/ubuntu/amd64/latest/amazon-cloudwatch-agent.deb"
    dpkg -i -E "$deb"
    rm -f "$deb"
  fi
  /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \
    -c "ssm:$GPUJOBS_AGENT_PARAMETER"
}

install_comfyui() {
  local repository="$1" ref="$2" commit="$3"
  if [[ -e "$comfy_dir" && ! -d "$comfy_dir/.git" ]]; then
    die "$comfy_dir exists but is not a git checkout: move it aside, then run the setup again"
  fi
  [[ -d "$comfy_dir/.git" ]] || git clone --quiet "$repository" "$comfy_dir"
  git -C "$comfy_dir" fetch --quiet --depth 1 origin "refs/tags/$ref:refs/tags/$ref" \
    || git -C "$comfy_dir" fetch --quiet origin "$ref"
  git -C "$comfy_dir" -c advice.detachedHead=false checkout --quiet --force "$ref"
  local head
  head="$(git -C "$comfy_dir" rev-parse HEAD)"
  if [[ -n "$commit" && "$head" != "$commit" ]]; then
    die "ComfyUI $ref is commit $head, not the pinned $commit"
  fi
  [[ -x "$comfy_dir/.venv/bin/python" ]] || python3 -m venv "$comfy_dir/.venv"
  "$comfy_dir/.venv/bin/pip" install --quiet "${pip_index[@]}" -r "$comfy_dir/requirements.txt"
  chown -R "$run_user:" "$comfy_dir"
}

install_project() {
  local version="$1" wheel_uri="$2" wheel_sha256="$3"
  local build_dir="$prefix/builds/$version" wheel
  wheel="$build_dir/$(basename "$wheel_uri")"
  install -d -m 0755 "$build_dir"
  aws_ s3 cp --only-show-errors "$wheel_uri" "$wheel"
  echo "$wheel_sha256  $wheel" | sha256sum --check --quiet || die "$wheel_uri does not have the sha256 $wheel_sha256"
  rm -rf "$build_dir/venv"
  python3 -m venv "$build_dir/venv"
  "$build_dir/venv/bin/pip" install --quiet "${pip_index[@]}" "$wheel"
  # A host installed by hand (services/adapter/install.sh) has a real venv there: keep it aside.
  if [[ -d "$prefix/venv" && ! -L "$prefix/venv" ]]; then
    mv "$prefix/venv" "$prefix/venv.before-setup-$(date +%s)"
  fi
  ln -sfn "$build_dir/venv" "$prefix/venv.new" && mv -T "$prefix/venv.new" "$prefix/venv"

  # The units come from the build itself, so they always match its code.
  local package_dir
  for unit in "${units[@]}"; do
    package_dir="$("$prefix/venv/bin/python" -c 'import sys, importlib.resources as r; print(r.files(sys.argv[1]))' \
      "$(unit_package "$unit")")"
    sed -e "s#^User=ubuntu#User=$run_user#" "$package_dir/$unit" >"/etc/systemd/system/$unit"
  done
}

unit_package() {
  case "$1" in
    sqs-adapter.service) echo services.adapter ;;
    *) echo services.unified_api ;;
  esac
}

write_service_environment() {
  # The services' settings are the SSM parameter GPUJOBS_SETTINGS_PARAMETER, read at each start: a
  # drop-in runs gpu-orchestrator-settings before each service (as root) and the service then reads
  # the file it wrote, whose values win over the unit's defaults (EnvironmentFile= over
  # Environment=), so the queue, its visibility timeout and the job time limit are always the
  # deployed ones.
  install -d -m 0755 "$config_dir"
  cat >"$config_dir/settings.env" <<EOF2
GPUJOBS_REGION=$GPUJOBS_REGION
GPUJOBS_SETTINGS_PARAMETER=$GPUJOBS_SETTINGS_PARAMETER
EOF2
  cat >/usr/local/sbin/gpu-orchestrator-settings <<'EOF2'
#!/bin/sh
# Write the services' settings (the SSM parameter, a JSON object) as KEY=value lines for systemd.
set -eu
. /etc/gpu-orchestrator/settings.env
install -d -m 0755 /run/gpu-orchestrator
aws --region "$GPUJOBS_REGION" ssm get-parameter --name "$GPUJOBS_SETTINGS_PARAMETER" \
  --query Parameter.Value --output text | python3 -c '
import json, sys
for key, value in sorted(json.load(sys.stdin).items()):
    if "\n" in value:
        sys.exit(f"setting {key} holds a newline")
    print(f"{key}={value}")
' >/run/gpu-orchestrator/settings.env.new
echo "COMFYUI_DIR=/opt/ComfyUI" >>/run/gpu-orchestrator/settings.env.new
chmod 0644 /run/gpu-orchestrator/settings.env.new
mv -f /run/gpu-orchestrator/settings.env.new /run/gpu-orchestrator/settings.env
EOF2
  chmod 0755 /usr/local/sbin/gpu-orchestrator-settings
  local unit
  for unit in comfyui-unified-api.service sqs-adapter.service; do
    install -d -m 0755 "/etc/systemd/system/$unit.d"
    cat >"/etc/systemd/system/$unit.d/settings.conf" <<'EOF2'
[Service]
ExecStartPre=+/usr/local/sbin/gpu-orchestrator-settings
EnvironmentFile=/run/gpu-orchestrator/settings.env
EOF2
  done
  # The units' own EnvironmentFile= must exist.
  touch /etc/sqs-adapter.env /etc/comfyui-unified-api.env
}

provision_models() {
  if [[ -n "${GPUJOBS_MODELS_S3_URI:-}" ]]; then
    aws_ s3 sync --only-show-errors "$GPUJOBS_MODELS_S3_URI" "$comfy_dir/models"
  else
    "$prefix/venv/bin/python" -m services.unified_api.model_provision --models-dir "$comfy_dir/models"
  fi
  chown -R "$run_user:" "$comfy_dir/models"
}

pip_index=()
[[ -z "${GPUJOBS_PIP_INDEX_URL:-}" ]] || pip_index=(--index-url "$GPUJOBS_PIP_INDEX_URL")

install_boot_unit
install_log_export
install_agent
systemctl daemon-reload
systemctl enable --quiet gpu-orchestrator-host-setup.service
for unit in "${exported[@]}"; do
  systemctl enable --now --quiet "gpu-orchestrator-log-export@$unit.service"
done

wanted="$(aws_ ssm get-parameter --name "$GPUJOBS_BUILD_PARAMETER" --query Parameter.Value --output text)"
version="$(json_field "$wanted" version)"
[[ -n "$version" ]] || die "$GPUJOBS_BUILD_PARAMETER holds no build version"
installed="$(cat "$prefix/build.json" 2>/dev/null || echo '{}')"
if [[ "$(json_field "$installed" version)" == "$version" ]]; then
  log "build $version is installed"
  exit 0
fi

log "installing build $version (was $(json_field "$installed" version || true))"
comfy_before="$(json_field "$installed" comfyui ref)"
comfy_ref="$(json_field "$wanted" comfyui ref)"
install_comfyui "$(json_field "$wanted" comfyui repository)" "$comfy_ref" "$(json_field "$wanted" comfyui commit)"
install_project "$version" "$(json_field "$wanted" wheel_s3_uri)" "$(json_field "$wanted" wheel_sha256)"
write_service_environment
provision_models
systemctl daemon-reload
systemctl enable --quiet "${units[@]}"
printf '%s\n' "$wanted" >"$prefix/build.json.new" && mv -f "$prefix/build.json.new" "$prefix/build.json"

if [[ "$mode" != boot ]]; then
  # On a running instance: ComfyUI restarts only for a new ComfyUI (a restart loses its running job);
  # the worker hands its jobs back to the queue on SIGTERM.
  [[ "$comfy_before" == "$comfy_ref" ]] || systemctl restart comfyui.service
  systemctl restart comfyui-unified-api.service sqs-adapter.service
fi
log "build $version installed"
