#!/usr/bin/env bash
# Bring the interface texts' catalogue up to date after adding or changing a text in the code
# or the templates: extract every msgid into webmap/translations/messages.pot, then merge it into
# each language's messages.po (new texts arrive untranslated, changed ones marked fuzzy).
# Translate the new entries in the .po files; tests/webmap/test_catalogue.py says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel=.venv/bin/pybabel
[[ -x $pybabel ]] || pybabel=pybabel
"$pybabel" -q extract -F webmap/babel.cfg -c Translators: --no-location --sort-output \
  --project ibasho --version 0.1.0 -o webmap/translations/messages.pot webmap
"$pybabel" -q update -i webmap/translations/messages.pot -d webmap/translations \
  --no-fuzzy-matching --ignore-obsolete --width 100
