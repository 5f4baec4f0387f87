#!/usr/bin/env bash
# Install what ibasho needs: Japanese fonts for the printed maps (Debian packages) and the Python
# packages in ./.venv; with --test also what the tests need: Debian's chromium for the browser
# tests and PostgreSQL + PostGIS for the database tests (scripts/postgis.sh starts a throwaway
# server). Safe to run again: it only installs what is missing. Used by scripts/start.sh and
# scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

with_test=0
[[ "${1:-}" == "--test" ]] && with_test=1

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

packages=()
# Japanese fonts for the A4/A3 sheets: Noto Sans CJK (PNG/SVG) and IPAex (clean PDFs)
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || packages+=(fonts-noto-cjk)
fc-list 2>/dev/null | grep -i "IPAexGothic" >/dev/null || packages+=(fonts-ipaexfont-gothic)
if ((with_test)); then
  command -v chromium >/dev/null 2>&1 || packages+=(chromium)
  # the PostGIS half of tests/layers/store/test_database.py (scripts/postgis.sh starts the server)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || packages+=(postgresql)
  compgen -G "/usr/share/postgresql/*/extension/postgis.control" >/dev/null \
    || packages+=(postgresql-postgis)
fi
if ((${#packages[@]})); then
  echo "Installing Debian packages: ${packages[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >/dev/null
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
