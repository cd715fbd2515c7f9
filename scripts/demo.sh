#!/usr/bin/env bash
# Sets everything up and runs the main job on sample_data/: validate and load the sample inbox.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p reports
rm -f reports/sample.duckdb
exec .venv/bin/ledgerflow load sample_data --warehouse reports/sample.duckdb --rejects reports/rejects.xlsx "$@"
