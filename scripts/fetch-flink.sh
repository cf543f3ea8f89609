#!/usr/bin/env bash
# Assembles and verifies a Flink distribution (FLINK_HOME) from PyPI's wheels:
#   apache-flink-libraries  -> lib/ opt/ plugins/ bin/bash-java-utils.jar
#   apache-flink            -> bin/ (scripts) conf/
# into ${FLINK_MESOS_CACHE:-$HOME/.cache/flink-mesos}/flink-<version> and prints
# that path on stdout (progress goes to stderr). Idempotent: a distribution that
# is present and verifies is left alone. FLINK_VERSION picks the release
# (default 2.3.0); checked with 1.18.1, 1.19.3, 1.20.5, 2.0.2, 2.1.3, 2.2.1 and
# 2.3.0 (20-55 s each here; 235-240 MB for 1.x, whose libraries come as an
# sdist, 310-330 MB for 2.x). Needs python3 + pip; Java is not needed to
# assemble.
set -euo pipefail
VERSION="${FLINK_VERSION:-2.3.0}"
CACHE="${FLINK_MESOS_CACHE:-$HOME/.cache/flink-mesos}"
DEST="$CACHE/flink-$VERSION"
MARKER=".flink-mesos-assembled"

log() { echo "fetch-flink: $*" >&2; }

# A distribution is usable when the files flink-mesos and Flink's own scripts
# rely on are there and the jar names carry the expected version.
verify() {
  local home="$1" f
  for f in "lib/flink-dist-$VERSION.jar" bin/bash-java-utils.jar bin/config.sh \
      bin/taskmanager.sh bin/jobmanager.sh conf/log4j.properties; do
    if [ ! -s "$home/$f" ]; then
      log "missing $home/$f"
      return 1
    fi
  done
  if [ ! -s "$home/conf/config.yaml" ] && [ ! -s "$home/conf/flink-conf.yaml" ]; then
    log "missing $home/conf/config.yaml"
    return 1
  fi
  # Every jar must be a readable zip (catches truncated downloads/extractions).
  python3 - "$home" <<'PY' || return 1
import sys, zipfile, pathlib
home = pathlib.Path(sys.argv[1])
bad = [str(p) for p in list(home.glob("lib/*.jar")) + [home / "bin/bash-java-utils.jar"]
       if not zipfile.is_zipfile(p)]
if bad:
    sys.exit("fetch-flink: corrupt jars: " + ", ".join(bad))
PY
}

if [ -f "$DEST/$MARKER" ] && verify "$DEST" 2>/dev/null; then
  echo "$DEST"
  exit 0
fi

command -v python3 >/dev/null || { log "python3 is required"; exit 1; }
command -v pip >/dev/null || command -v pip3 >/dev/null || { log "pip is required"; exit 1; }
PIP="$(command -v pip || command -v pip3)"

mkdir -p "$CACHE"
work="$(mktemp -d "$CACHE/.fetch-flink.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# pip checks each file against the sha256 that PyPI publishes for it.
log "downloading apache-flink-libraries==$VERSION (240-330 MB)"
# (a wheel for 2.x; older releases publish an sdist, whose deps/ holds the same)
"$PIP" download -q --no-deps --only-binary :all: "apache-flink-libraries==$VERSION" -d "$work/dl" >/dev/null 2>&1 \
  || "$PIP" download -q --no-deps "apache-flink-libraries==$VERSION" -d "$work/dl" >&2
# apache-flink has per-Python, per-platform wheels; bin/ and conf/ are the same in all.
log "downloading apache-flink==$VERSION"
got=""
for py in "" 3.12 3.11 3.10 3.9; do
  args=()
  if [ -n "$py" ]; then
    args=(--python-version "$py" --platform manylinux2014_x86_64 --platform manylinux1_x86_64
          --platform manylinux_2_17_x86_64 --platform macosx_11_0_arm64)
  fi
  if "$PIP" download -q --no-deps --only-binary :all: "${args[@]}" "apache-flink==$VERSION" \
      -d "$work/dl" >&2 2>/dev/null; then
    got=1
    break
  fi
done
[ -n "$got" ] || { log "could not download apache-flink==$VERSION from PyPI"; exit 1; }

libs="$(ls "$work"/dl/apache[-_]flink[-_]libraries-* 2>/dev/null | head -1 || true)"
main="$(ls "$work"/dl/apache_flink-"$VERSION"-*.whl 2>/dev/null | head -1 || true)"
[ -n "$libs" ] && [ -n "$main" ] || { log "downloads incomplete: $(ls "$work/dl")"; exit 1; }

log "assembling $DEST"
stage="$work/flink-$VERSION"
mkdir -p "$stage"
python3 - "$libs" "$main" "$stage" <<'PY'
"""Copies pyflink/{lib,opt,plugins,bin,conf,licenses} out of the two archives
(the libraries one may be a wheel or an sdist tarball), keeping exec bits."""
import os, sys, tarfile, zipfile, shutil
libs, main, stage = sys.argv[1:4]
KEEP = ("lib", "opt", "plugins", "bin", "conf", "licenses", "log")

def target(name):
    parts = name.replace("\\", "/").split("/")
    try:
        i = parts.index("pyflink")
    except ValueError:
        # sdists: apache-flink-libraries-X/deps/lib/...
        i = parts.index("deps") if "deps" in parts else -1
        if i < 0:
            return None
    rest = parts[i + 1:]
    if not rest or rest[0] not in KEEP or not rest[-1]:
        return None
    return os.path.join(stage, *rest)

def extract(path):
    n = 0
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.is_dir():
                    continue
                dst = target(info.filename)
                if dst is None:
                    continue
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                with z.open(info) as src, open(dst, "wb") as out:
                    shutil.copyfileobj(src, out)
                mode = (info.external_attr >> 16) & 0o777
                if dst.split(os.sep)[-2] == "bin" and not dst.endswith((".jar", ".py")):
                    mode |= 0o755
                if mode:
                    os.chmod(dst, mode)
                n += 1
    else:
        with tarfile.open(path) as t:
            for m in t.getmembers():
                if not m.isfile():
                    continue
                dst = target(m.name)
                if dst is None:
                    continue
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                with t.extractfile(m) as src, open(dst, "wb") as out:
                    shutil.copyfileobj(src, out)
                os.chmod(dst, m.mode & 0o777 or 0o644)
                n += 1
    return n

# Libraries first; the apache-flink wheel then supplies the scripts and conf.
for p in (libs, main):
    print(f"fetch-flink: {os.path.basename(p)}: {extract(p)} files", file=sys.stderr)
os.makedirs(os.path.join(stage, "log"), exist_ok=True)
PY

verify "$stage" || { log "assembled distribution failed verification"; exit 1; }
{
  echo "version=$VERSION"
  echo "libraries=$(basename "$libs") sha256=$(sha256sum "$libs" | cut -d' ' -f1)"
  echo "scripts=$(basename "$main") sha256=$(sha256sum "$main" | cut -d' ' -f1)"
} > "$stage/$MARKER"
rm -rf "$DEST"
mv "$stage" "$DEST"
log "Flink $VERSION ready: $DEST"
echo "$DEST"
