#!/usr/bin/env bash
# Sets everything up and runs the main job: the monthly run of pipelines/monthly.toml on the
# sample inbox (sample_data/) for October 2026. Statements land in reports/2026-10/; then a dry
# run of sending them: each payer's e-mail, PDF attached, in reports/2026-10/outbox/ (nothing
# is sent without --deliver).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ledgerflow run pipelines/monthly.toml --period 2026-10 "$@"
exec .venv/bin/ledgerflow send pipelines/monthly.toml --period 2026-10
