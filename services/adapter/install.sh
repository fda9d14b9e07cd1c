#!/usr/bin/env bash
# Install the GPU job worker and the ComfyUI Unified API on the GPU instance as the systemd
# services sqs-adapter and comfyui-unified-api (the worker's unit requires the other).
#
#   sudo services/adapter/install.sh --queue-url URL --table NAME [--region R]
#   sudo services/adapter/install.sh --from-tags        # read the same values from instance tags
#   sudo services/adapter/install.sh --from-json worker.json
#
# --from-json reads Terraform's worker_environment output (a JSON object of SQS_QUEUE_URL,
# DYNAMODB_TABLE, DYNAMODB_REGION, GPU_POOL, AWS_REGION, VISIBILITY_TIMEOUT_S, ...), made by
#   terraform output -json worker_environment > worker.json
# (for a pool in another region: terraform output -json second_pool | jq .worker_environment),
# and writes all of it: that map is the worker's whole environment.
#
# Creates a virtualenv under the prefix, installs this package into it, writes the environment
# files (the same settings for both services), installs the units and enables them. --from-tags reads the instance tags SQS_QUEUE_URL,
# DYNAMODB_TABLE and AWS_REGION through the instance metadata service (IMDSv2; the
# instance needs instance_metadata_tags enabled). --root DIR installs under DIR (for packaging
# and tests); --no-systemctl and --skip-venv leave out the steps that need a real host.
set -euo pipefail

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  echo "Options: --queue-url --table --table-region --pool --region --api-url --concurrency --worker-id"
  echo "         --prefix DIR (default /opt/gpu-orchestrator) --user NAME (default ubuntu)"
  echo "         --from-tags --from-json FILE --root DIR --no-systemctl --skip-venv --no-start"
}

die() { echo "install.sh: $*" >&2; exit 1; }

src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
prefix=/opt/gpu-orchestrator
run_user=ubuntu
root=""
queue_url="" table="" table_region="" pool="" region="" api_url="" concurrency="" worker_id=""
from_json="" more_settings=""
from_tags=false systemctl_on=true venv_on=true start_on=true

while [[ $# -gt 0 ]]; do
  case "$1" in
    --queue-url) queue_url="${2:?}"; shift 2 ;;
    --table) table="${2:?}"; shift 2 ;;
    --table-region) table_region="${2:?}"; shift 2 ;;
    --pool) pool="${2:?}"; shift 2 ;;
    --from-json) from_json="${2:?}"; shift 2 ;;
    --region) region="${2:?}"; shift 2 ;;
    --api-url) api_url="${2:?}"; shift 2 ;;
    --concurrency) concurrency="${2:?}"; shift 2 ;;
    --worker-id) worker_id="${2:?}"; shift 2 ;;
    --prefix) prefix="${2:?}"; shift 2 ;;
    --user) run_user="${2:?}"; shift 2 ;;
    --root) root="${2:?}"; shift 2 ;;
    --from-tags) from_tags=true; shift ;;
    --no-systemctl) systemctl_on=false; shift ;;
    --skip-venv) venv_on=false; shift ;;
    --no-start) start_on=false; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

imds_token=""
imds() {
  # One metadata path through IMDSv2; prints nothing when the path does not exist.
  if [[ -z "$imds_token" ]]; then
    imds_token="$(curl -fsS -m 2 -X PUT http://169.254.169.254/latest/api/token \
      -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')" || die "instance metadata service unreachable"
  fi
  curl -fsS -m 2 -H "X-aws-ec2-metadata-token: $imds_token" "http://169.254.169.254/latest/$1" 2>/dev/null || true
}

if $from_tags; then
  [[ -n "$queue_url" ]] || queue_url="$(imds meta-data/tags/instance/SQS_QUEUE_URL)"
  [[ -n "$table" ]] || table="$(imds meta-data/tags/instance/DYNAMODB_TABLE)"
  [[ -n "$region" ]] || region="$(imds meta-data/tags/instance/AWS_REGION)"
  [[ -n "$region" ]] || region="$(imds meta-data/placement/region)"
fi

if [[ -n "$from_json" ]]; then
  [[ -r "$from_json" ]] || die "--from-json: cannot read $from_json"
  parsed="$(python3 - "$from_json" <<'PY'
import json, sys
try:
    values = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(1)
if not isinstance(values, dict):
    sys.exit(1)
for key, value in values.items():
    if value is None:
        continue
    if not isinstance(value, str) or "\n" in value:
        sys.exit(1)
    print(f"{key}={value}")
PY
)" || die "--from-json: $from_json is not a JSON object of strings"
  # Options given on the command line win over the file, as they do over tags.
  while IFS='=' read -r key value; do
    case "$key" in
      SQS_QUEUE_URL) [[ -n "$queue_url" ]] || queue_url="$value" ;;
      DYNAMODB_TABLE) [[ -n "$table" ]] || table="$value" ;;
      DYNAMODB_REGION) [[ -n "$table_region" ]] || table_region="$value" ;;
      GPU_POOL) [[ -n "$pool" ]] || pool="$value" ;;
      AWS_REGION) [[ -n "$region" ]] || region="$value" ;;
      UNIFIED_API_URL|COMFYUI_API_URL) [[ -n "$api_url" ]] || api_url="$value" ;;
      WORKER_CONCURRENCY) [[ -n "$concurrency" ]] || concurrency="$value" ;;
      WORKER_ID) [[ -n "$worker_id" ]] || worker_id="$value" ;;
      *) more_settings+="$key=$value"$'\n' ;;
    esac
  done <<< "$parsed"
fi

[[ -n "$queue_url" ]] || die "the task queue is needed: --queue-url URL (or the SQS_QUEUE_URL tag with --from-tags)"
[[ -n "$table" ]] || die "the task table is needed: --table NAME (or the DYNAMODB_TABLE tag with --from-tags)"
if [[ -n "$concurrency" && ! "$concurrency" =~ ^[1-9][0-9]*$ ]]; then
  die "--concurrency must be a positive integer, got '$concurrency'"
fi
if [[ -z "$root" && "$(id -u)" -ne 0 ]]; then
  die "run as root (it writes /etc and $prefix), or give --root DIR"
fi

venv="$prefix/venv"
if $venv_on; then
  echo "creating $root$venv and installing the package from $src_dir"
  python3 -m venv "$root$venv"
  "$root$venv/bin/pip" install --quiet --upgrade pip
  "$root$venv/bin/pip" install --quiet "$src_dir"
fi

env_file="$root/etc/sqs-adapter.env"
mkdir -p "$(dirname "$env_file")"
umask 027
{
  echo "# Written by services/adapter/install.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "SQS_QUEUE_URL=$queue_url"
  echo "DYNAMODB_TABLE=$table"
  [[ -z "$region" ]] || echo "AWS_REGION=$region"
  [[ -z "$table_region" ]] || echo "DYNAMODB_REGION=$table_region"
  [[ -z "$pool" ]] || echo "GPU_POOL=$pool"
  printf '%s' "$more_settings"
  [[ -z "$api_url" ]] || echo "UNIFIED_API_URL=$api_url"
  [[ -z "$concurrency" ]] || echo "WORKER_CONCURRENCY=$concurrency"
  [[ -z "$worker_id" ]] || echo "WORKER_ID=$worker_id"
} > "$env_file"
if [[ -z "$root" ]]; then
  chown "root:$run_user" "$env_file" 2>/dev/null || true
fi
umask 022
echo "wrote $env_file"

# The Unified API reads the same map (RESULTS_BUCKET, AWS_REGION, JOB_TIMEOUT_S, WORKFLOWS_DIR, ...).
cp -p "$env_file" "$root/etc/comfyui-unified-api.env"
echo "wrote $root/etc/comfyui-unified-api.env"

units=(comfyui-unified-api.service sqs-adapter.service)
for unit in "${units[@]}"; do
  case "$unit" in
    sqs-adapter.service) unit_src="$src_dir/services/adapter/$unit" ;;
    *) unit_src="$src_dir/services/unified_api/$unit" ;;
  esac
  unit_file="$root/etc/systemd/system/$unit"
  mkdir -p "$(dirname "$unit_file")"
  sed -e "s#/opt/gpu-orchestrator#$prefix#g" -e "s#^User=ubuntu#User=$run_user#" "$unit_src" > "$unit_file"
  echo "wrote $unit_file"
done

if $systemctl_on; then
  systemctl daemon-reload
  systemctl enable "${units[@]}"
  if $start_on; then
    systemctl restart "${units[@]}"
    echo "started: journalctl -u comfyui-unified-api -u sqs-adapter -f"
  fi
fi
