#!/usr/bin/env bash
# The Flink version matrix (issue 22): for each version, `flink-mesos local up`
# on genuine Mesos with that distribution and the memory of the seed's
# Marathon example (-Djobmanager.heap.mb=1024 -Dmesos.resourcemanager.tasks.mem=1024
# -Dtaskmanager.heap.mb=1024 -Dtaskmanager.numberOfTaskSlots=2), a check through
# Flink's REST API that every TaskManager is a 1024 MB process and the
# JobManager has a 1024 MB heap, examples/jobs/SmallJob.java submitted through
# the REST API until it FINISHED, then `local down`; prints one table row per
# version and exits non-zero when any version failed.
#
#   scripts/compat.sh [VERSION...]      default: every supported version
#
# Distributions come from `scripts/fetch-flink.sh` (PyPI wheels, cached in
# ~/.cache/flink-mesos; about 20-55 s and 240-330 MB each on first use);
# FLINK_MESOS_BIN picks the binary (default: target/debug/flink-mesos, built
# when missing); WORKERS the TaskManagers per cluster (default 2).
# Each version takes about 45-60 s on 2 cores once downloaded.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SUPPORTED=(1.18.1 1.19.3 1.20.5 2.0.2 2.1.3 2.2.1 2.3.0)
VERSIONS=("$@")
[ "${#VERSIONS[@]}" -gt 0 ] || VERSIONS=("${SUPPORTED[@]}")
WORKERS="${WORKERS:-2}"
BIN="${FLINK_MESOS_BIN:-$ROOT/target/debug/flink-mesos}"
if [ ! -x "$BIN" ]; then
  (cd "$ROOT" && cargo build --locked --quiet)
fi
say() { echo "compat: $*" >&2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/flink-mesos-compat.XXXXXX")"
cleanup() {
  for s in "$work"/state-*; do
    [ -d "$s" ] && "$BIN" local down --state-dir "$s" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }

SEED_MEMORY=(-Djobmanager.heap.mb=1024 -Dmesos.resourcemanager.tasks.mem=1024
  -Dtaskmanager.heap.mb=1024 -Dtaskmanager.numberOfTaskSlots=2 -Dparallelism.default=2)

# memory_check REST: "ok" when every TaskManager is a 1 GiB process and the
# JobManager's heap is 1 GiB, else what Flink reports.
memory_check() {
  python3 - "$1" <<'PY'
import json, sys, urllib.request
rest = sys.argv[1]
get = lambda p: json.load(urllib.request.urlopen(rest + p, timeout=10))
bad = []
for tm in get("/taskmanagers")["taskmanagers"]:
    total = get("/taskmanagers/" + tm["id"])["memoryConfiguration"]["totalProcessMemory"]
    if total != 1 << 30:
        bad.append(f"{tm['id']} process {total >> 20} MB")
opts = get("/jobmanager/environment").get("jvm", {}).get("options", [])
if "-Xmx1073741824" not in opts:
    bad.append("JobManager " + " ".join(o for o in opts if o.startswith("-Xmx")))
print("; ".join(bad) if bad else "ok")
PY
}

# run_one VERSION: prints "VERSION|up seconds|memory|job state|total seconds|note"
run_one() {
  local v="$1" start home state out rest jar id job_state note="" t0 up memory
  start=$(date +%s)
  if ! home="$(FLINK_VERSION="$v" "$ROOT/scripts/fetch-flink.sh" 2>"$work/fetch-$v.log")"; then
    echo "$v|-|-|NO DISTRIBUTION|$(( $(date +%s) - start ))|$(tail -1 "$work/fetch-$v.log")"
    return 1
  fi
  state="$work/state-$v"
  mkdir -p "$work/cwd-$v"
  t0=$(date +%s.%N)
  if ! out="$(cd "$work/cwd-$v" && "$BIN" local up --workers "$WORKERS" --flink-home "$home" \
      --state-dir "$state" --output json "${SEED_MEMORY[@]}" 2>"$work/up-$v.err")"; then
    "$BIN" local down --state-dir "$state" >/dev/null 2>&1 || true
    echo "$v|-|-|UP FAILED|$(( $(date +%s) - start ))|$(grep -m1 '^error' "$work/up-$v.err" || tail -1 "$work/up-$v.err")"
    return 1
  fi
  up=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$(date +%s.%N)")
  rest="$(echo "$out" | json_field flink_url)"
  memory="$(memory_check "$rest" 2>&1 | tail -1)"
  mkdir -p "$work/job-$v/classes"
  javac -nowarn -cp "$home/lib/*" -d "$work/job-$v/classes" "$ROOT/examples/jobs/SmallJob.java" 2>"$work/javac-$v.log"
  jar cf "$work/job-$v/small-job.jar" -C "$work/job-$v/classes" .
  jar="$(curl -sf -F "jarfile=@$work/job-$v/small-job.jar;type=application/x-java-archive" "$rest/jars/upload" \
    | json_field filename)"
  id="$(curl -sf -X POST -H 'Content-Type: application/json' -d '{}' \
    "$rest/jars/${jar##*/}/run?entry-class=SmallJob" | json_field jobid)" || true
  job_state="NOT SUBMITTED"
  if [ -n "$id" ]; then
    for _ in $(seq 1 240); do
      job_state="$(curl -sf "$rest/jobs/$id" | json_field state || true)"
      case "$job_state" in FINISHED|FAILED|CANCELED) break ;; esac
      sleep 0.5
    done
  fi
  "$BIN" local down --state-dir "$state" >/dev/null 2>&1 || note="local down failed"
  echo "$v|$up|$memory|$job_state|$(( $(date +%s) - start ))|$note"
  [ "$job_state" = FINISHED ] && [ "$memory" = ok ]
}

rows=()
failed=0
for v in "${VERSIONS[@]}"; do
  say "Flink $v"
  if row="$(run_one "$v")"; then :; else failed=$((failed + 1)); fi
  rows+=("$row")
  say "$row"
done

printf '\n%-8s  %-8s  %-10s  %-14s  %-9s  %s\n' "Flink" "up (s)" "memory" "SmallJob" "total (s)" "note"
for row in "${rows[@]}"; do
  IFS='|' read -r v up memory state total note <<<"$row"
  printf '%-8s  %-8s  %-10s  %-14s  %-9s  %s\n' "$v" "$up" "$memory" "$state" "$total" "$note"
done
printf '\n%d of %d version(s) passed (flink-mesos local up --workers %s on genuine Mesos, %s)\n' \
  "$(( ${#VERSIONS[@]} - failed ))" "${#VERSIONS[@]}" "$WORKERS" "$(date -u +%Y-%m-%d)"
[ "$failed" -eq 0 ]
