#!/usr/bin/env bash
# Re-extract Credo's strings, update the pl and en catalogues, fill English, compile.
#
#   scripts/update_translations.sh
#
# Afterwards translate the new (empty) msgstr entries in
# workshop/translations/pl/LC_MESSAGES/messages.po and run the script again
# (or `make translations`) to recompile. English is the source language: its
# empty entries are filled with the msgid automatically.
set -euo pipefail

cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
PYTHON="${PYTHON:-.venv/bin/python}"
DIR=workshop/translations
POT="$DIR/messages.pot"

# Input path "." : babel.cfg's patterns (workshop/**.py, templates/**.html) are
# relative to it; node_modules is ignored there and .venv (a dot-directory) by Babel.
"$PYBABEL" -q extract -F babel.cfg -k _l --add-comments=TRANSLATORS: \
    --project=Credo --copyright-holder=Credo -o "$POT" .

for lang in pl en; do
    "$PYBABEL" -q update --init-missing --no-fuzzy-matching -i "$POT" -d "$DIR" -l "$lang"
done

# English: every empty msgstr becomes its msgid (plural: singular/plural forms).
"$PYTHON" - "$DIR/en/LC_MESSAGES/messages.po" <<'PY'
import sys

import polib

po = polib.pofile(sys.argv[1], wrapwidth=76)
filled = 0
for entry in po:
    if entry.obsolete:
        continue
    if entry.msgid_plural:
        forms = {0: entry.msgid, 1: entry.msgid_plural}
        for index, text in forms.items():
            if not entry.msgstr_plural.get(index):
                entry.msgstr_plural[index] = text
                filled += 1
    elif not entry.msgstr:
        entry.msgstr = entry.msgid
        filled += 1
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
po.save()
print(f"en: filled {filled} empty msgstr")
PY

"$PYBABEL" compile -d "$DIR" --statistics
