#!/usr/bin/env bash
# The README's picture of the index: headless Chromium's screenshot of the demo's index page
# (reports/2026-10/index.html; run `bash scripts/demo.sh` first) into docs/images/index.png.
#   bash scripts/screenshot-index.sh [PERIOD]
set -euo pipefail
cd "$(dirname "$0")/.."
page="reports/${1:-2026-10}/index.html"
if [ ! -f "$page" ]; then
  echo "$page is missing: run bash scripts/demo.sh first." >&2
  exit 1
fi
chromium="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$chromium" ]; then
  echo "Chromium is missing: install Debian's chromium package." >&2
  exit 1
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
mkdir -p docs/images
# The page's own script runs (its policy allows it by its hash): the search box and the filter
# by flag are shown, as a reader sees them.
"$chromium" --headless --no-sandbox --disable-gpu --no-first-run --disable-sync \
  --disable-background-networking --disable-component-update --hide-scrollbars \
  --user-data-dir="$profile" --force-device-scale-factor=1 --window-size=1800,1480 \
  --screenshot="$PWD/docs/images/index.png" "file://$PWD/$page" 2>/dev/null
echo "docs/images/index.png"
