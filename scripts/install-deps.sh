#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine (idempotent).
# Runs as part of scripts/test; safe to run on its own.
set -euo pipefail
cd "$(dirname "$0")/.."

# Flink's own shipped configuration files, from the PyPI wheels of
# apache-flink, for the "Flink's default config validates" tests.
scripts/fetch-flink-conf.sh
