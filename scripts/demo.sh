#!/usr/bin/env bash
# From a fresh clone to a Flink job running on Mesos, on this machine:
#   1. installs what is missing (scripts/install-deps.sh: a genuine Mesos 1.11,
#      Flink 2.3 from PyPI, a JDK; as root on Debian 12; idempotent),
#   2. builds flink-mesos (release),
#   3. `flink-mesos local up`: Mesos master + agent, the appmaster with the
#      Flink JobManager and 2 TaskManagers launched as Mesos tasks,
#   4. compiles examples/jobs/SmallJob.java and runs it with Flink's CLI.
# The cluster keeps running afterwards; `target/release/flink-mesos local down`
# stops it. A healthy local cluster that is already running is reused.
# Environment: FLINK_HOME (else the distribution fetch-flink.sh assembles),
# FLINK_MESOS_LOCAL_DIR (the state directory), SKIP_INSTALL_DEPS=1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
say() { echo "demo: $*" >&2; }

if [ "${SKIP_INSTALL_DEPS:-0}" != 1 ]; then
  say "installing dependencies (scripts/install-deps.sh)"
  scripts/install-deps.sh
fi
say "building flink-mesos (cargo build --release)"
cargo build --release --locked --quiet
BIN="$ROOT/target/release/flink-mesos"
export FLINK_HOME="${FLINK_HOME:-$(scripts/fetch-flink.sh)}"

status_field() {  # status_field FIELD: from `local status --output json`
  "$BIN" local status --output json 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1]))' "$1" || true
}
if [ "$(status_field running)" = True ]; then
  if [ "$(status_field healthy)" != True ]; then
    "$BIN" local status || true
    say "a local cluster is recorded but not healthy; stop it with: $BIN local down"
    exit 1
  fi
  say "reusing the local cluster that is already running"
else
  "$BIN" local up --workers 2
fi
REST="$(status_field flink_url)"

say "compiling examples/jobs/SmallJob.java"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/classes"
javac -cp "$FLINK_HOME/lib/*" -d "$work/classes" examples/jobs/SmallJob.java
jar cf "$work/small-job.jar" -C "$work/classes" .

say "running the job on $REST"
"$FLINK_HOME/bin/flink" run -m "${REST#http://}" -c SmallJob "$work/small-job.jar"

cat >&2 <<MSG
demo: done. The cluster keeps running:
  Flink web UI:  $REST
  Mesos:         $(status_field mesos_url) ($(status_field mesos))
  status:        $BIN local status
  logs:          $BIN local logs [COMPONENT]
  stop:          $BIN local down
MSG
