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

# English: every empty msgstr becomes its msgid (plurals: singular, then plural form).
# Read and written with Babel's own PO code, so the file keeps pybabel's formatting.
"$PYTHON" - "$DIR/en/LC_MESSAGES/messages.po" <<'PY'
import sys

from babel.messages.pofile import read_po, write_po

path = sys.argv[1]
with open(path, "rb") as stream:
    catalog = read_po(stream, locale="en")
filled = 0
for message in catalog:
    if not message.id:
        continue  # the header
    if message.pluralizable:
        sources = list(message.id) + [message.id[-1]] * catalog.num_plurals
        forms = list(message.string) + [""] * (catalog.num_plurals - len(message.string))
        message.string = tuple(form or sources[i] for i, form in enumerate(forms))
        filled += forms.count("")
    elif not message.string:
        message.string = message.id
        filled += 1
    message.flags.discard("fuzzy")
if filled:
    with open(path, "wb") as stream:
        write_po(stream, catalog, width=76)
print(f"en: filled {filled} empty msgstr")
PY

"$PYBABEL" compile -d "$DIR" --statistics
