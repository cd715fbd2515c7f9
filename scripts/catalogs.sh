#!/usr/bin/env bash
# The message catalogs (src/ledgerflow/locale): extract every message marked in the code with
# _(), ngettext(), pgettext() or N_(), and the command line's help (babel.cfg), into
# ledgerflow.pot; bring the Russian and English .po up to date with it (new messages arrive
# untranslated, never guessed: no fuzzy matching; messages no longer in the code are dropped);
# and compile the .mo files. Run it after adding or changing a message,
# translate what is new in ru/LC_MESSAGES/ledgerflow.po, and run it again to compile.
#
# The .pot and .po files are committed; the .mo files are build output (.gitignore): the
# package build compiles them (setup.py), and a checkout without them compiles the .po in
# memory (ledgerflow.i18n).
set -euo pipefail
cd "$(dirname "$0")/.."

PYBABEL=${PYBABEL:-.venv/bin/pybabel}
[ -x "$PYBABEL" ] || PYBABEL=pybabel
LOCALE_DIR=src/ledgerflow/locale
POT=$LOCALE_DIR/ledgerflow.pot
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -n 1)

"$PYBABEL" extract -F babel.cfg --no-default-keywords -k _ -k ngettext:1,2 -k N_ -k pgettext:1c,2 \
    --add-location=file --sort-by-file --width=100 \
    --project=ledgerflow --version="$VERSION" --copyright-holder="ledgerflow" \
    -o "$POT" src/ledgerflow

for lang in ru en; do
    po=$LOCALE_DIR/$lang/LC_MESSAGES/ledgerflow.po
    if [ -f "$po" ]; then
        "$PYBABEL" update -i "$POT" -d "$LOCALE_DIR" -D ledgerflow -l "$lang" \
            --no-fuzzy-matching --ignore-obsolete --width=100
    else
        "$PYBABEL" init -i "$POT" -d "$LOCALE_DIR" -D ledgerflow -l "$lang" --width=100
    fi
done

"$PYBABEL" compile -d "$LOCALE_DIR" -D ledgerflow --statistics
