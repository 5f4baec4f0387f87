#!/usr/bin/env bash
# The main command: installs ibasho, builds the Takasaki maps into ./build and serves them at
# http://127.0.0.1:8000/ (override with HOST=0.0.0.0 PORT=8080). Ctrl+C stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
config="${IBASHO_CONFIG_FILE:-data/takasaki/ibasho.toml}"
.venv/bin/ibasho build "$config" --out build
exec .venv/bin/ibasho serve "$config" --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
