#!/usr/bin/env bash
# Extracts the default configuration file of several Flink releases from
# PyPI's apache-flink wheels into $FLINK_MESOS_CACHE/flink-conf/<version>/.
set -euo pipefail
CACHE="${FLINK_MESOS_CACHE:-$HOME/.cache/flink-mesos}"
VERSIONS="${FLINK_CONF_VERSIONS:-1.13.6 1.18.1 2.3.0}"
for v in $VERSIONS; do
  dest="$CACHE/flink-conf/$v"
  if [ -n "$(ls "$dest" 2>/dev/null)" ]; then continue; fi
  tmp="$(mktemp -d)"
  # The wheels are per Python version; any one carries the same conf/.
  for py in 3.11 3.10 3.8; do
    if pip download -q --no-deps --only-binary :all: --python-version "$py" \
        --platform manylinux2014_x86_64 --platform manylinux1_x86_64 \
        "apache-flink==$v" -d "$tmp" >/dev/null 2>&1; then break; fi
  done
  wheel="$(ls "$tmp"/apache_flink-*.whl 2>/dev/null | head -1 || true)"
  if [ -z "$wheel" ]; then
    echo "fetch-flink-conf: could not download apache-flink==$v from PyPI" >&2
    exit 1
  fi
  mkdir -p "$dest"
  python3 - "$wheel" "$dest" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    found = False
    for name in z.namelist():
        base = os.path.basename(name)
        if name.startswith("pyflink/conf/") and base in ("flink-conf.yaml", "config.yaml"):
            with open(os.path.join(dest, base), "wb") as f:
                f.write(z.read(name))
            found = True
    if not found:
        sys.exit(f"no conf/flink-conf.yaml or conf/config.yaml in {wheel}")
PY
  rm -rf "$tmp"
  echo "fetch-flink-conf: Flink $v -> $dest: $(ls "$dest")"
done
