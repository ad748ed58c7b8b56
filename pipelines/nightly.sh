#!/usr/bin/env bash
# Run one pipeline (sync -> score -> report) and append its output to logs/qaf-run-<year-month>.log.
# For cron; the token comes from the environment variable the config names (see pipelines/README.md).
#   usage: pipelines/nightly.sh [pipelines/<name>.toml]
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-pipelines/example.toml}
mkdir -p logs
{ echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) $config"; .venv/bin/qaf-kobo run --config "$config"; } >> "logs/qaf-run-$(date +%Y-%m).log" 2>&1
