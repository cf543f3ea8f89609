#!/usr/bin/env bash
# Builds the statically linked flink-mesos (x86_64, musl): it runs in any
# Linux image, with or without glibc (Alpine, busybox, Debian 11, Ubuntu
# 20.04, ...). An appmaster run from it ships it to every worker; this is
# the binary a release offers. Prints its path.
#   scripts/build-static.sh            release build (thin LTO, stripped)
#   PROFILE=dev scripts/build-static.sh   a quicker debug build
# Needs musl-gcc (Debian: musl-tools) and the rustup target
# x86_64-unknown-linux-musl; scripts/install-deps.sh installs both.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET=x86_64-unknown-linux-musl
PROFILE="${PROFILE:-release}"
if ! command -v musl-gcc >/dev/null; then
  echo "error: musl-gcc is missing (ring's C code needs it): apt-get install musl-tools, or run scripts/install-deps.sh" >&2
  exit 1
fi
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$TARGET"; then
  echo "error: the Rust target $TARGET is missing: rustup target add $TARGET" >&2
  exit 1
fi
cd "$ROOT"
cargo build --locked --bin flink-mesos --profile "$PROFILE" --target "$TARGET" >&2
case "$PROFILE" in dev) dir=debug ;; *) dir="$PROFILE" ;; esac
out="${CARGO_TARGET_DIR:-$ROOT/target}/$TARGET/$dir/flink-mesos"
if file "$out" 2>/dev/null | grep -q "dynamically linked"; then
  echo "error: $out is dynamically linked" >&2
  exit 1
fi
echo "$out"
