#!/usr/bin/env bash
# Static security checks of terraform/ with checkov, pinned. Checkov has heavy dependencies that
# conflict with the project's, so it lives in its own virtualenv (.venv-checkov), made when missing.
# Every skipped check is skipped in the code, next to the resource, with a one-line reason.
set -euo pipefail

CHECKOV_VERSION="3.3.30"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
venv="${CHECKOV_VENV:-$root/.venv-checkov}"
python="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/checkov" ]] || ! "$venv/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  echo "installing checkov $CHECKOV_VERSION into $venv" >&2
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" >&2
fi

exec "$venv/bin/checkov" --directory "$here" --framework terraform --compact --quiet \
  --skip-path '\.terraform' --skip-path 'tests/' "$@"
