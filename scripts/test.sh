#!/usr/bin/env bash
# The test command: installs everything the tests need (Python packages, Debian's chromium and
# Noto CJK fonts), then runs the whole suite, browser tests included. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
exec .venv/bin/python -m pytest "$@"
