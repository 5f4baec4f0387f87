#!/usr/bin/env bash
# Install what ibasho needs into ./.venv (and, with --test, what its tests need from Debian).
# Safe to run again: it only installs what is missing. Used by scripts/start.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

with_test=0
[[ "${1:-}" == "--test" ]] && with_test=1

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

if ((with_test)); then
  packages=()
  command -v chromium >/dev/null 2>&1 || packages+=(chromium)
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || packages+=(fonts-noto-cjk)
  if ((${#packages[@]})); then
    echo "Installing Debian packages: ${packages[*]}" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
      "${packages[@]}" >/dev/null
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "Creating .venv" >&2
  python3 -m venv .venv
fi
extras=""
((with_test)) && extras="[test]"
echo "Installing ibasho${extras} into .venv" >&2
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}" 2>&1 \
  | grep -v "^WARNING: Location" >&2 || true
.venv/bin/python -c "import geopandas, folium, flask" # fail loudly if the install did not work
