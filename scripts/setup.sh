#!/usr/bin/env bash
# Creates .venv and installs ledgerflow with the pinned versions of constraints.txt, and the
# Debian packages WeasyPrint (PDF statements) needs: Pango, and fonts for the statement's text
# and for the control pictures (␀, ␛ …) that stand for control characters in input text.
set -euo pipefail
cd "$(dirname "$0")/.."
PDF_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
              fonts-liberation fonts-symbola)
missing=()
for package in "${PDF_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
    || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing Debian packages for PDF statements: ${missing[*]} (install them as root)." >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench]'
