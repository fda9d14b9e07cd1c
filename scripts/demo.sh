#!/usr/bin/env bash
# `make demo`: one job of each workflow against `make up`; results under out/. See scripts/demo.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-.venv/bin/python}" -m scripts.demo "$@"
