#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that take input from users and
# peers (cargo-fuzz / libFuzzer). Usage: scripts/fuzz.sh [TARGET|all] [SECONDS]
# Targets: config master events worker_record artifact_path (fuzz/fuzz_targets).
# CI runs the short, deterministic variant in tests/it/fuzz.rs instead.
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain
# accept them. Findings land in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-all}"
seconds="${2:-60}"
if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --locked
fi
targets=(config master events worker_record artifact_path embedded_calls)
[ "$target" = all ] || targets=("$target")
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  echo "fuzz: $t for ${seconds}s" >&2
  cargo fuzz run "$t" "fuzz/corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 2>&1 \
    | grep -E "^(Done|#[0-9]+ +DONE|==|SUMMARY|stat::)" || true
done
