#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian 12 machine. Idempotent.
# Runs as part of scripts/test; safe to run on its own.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

# --- Building flink-mesos (glibc) --------------------------------------------
# Its ZooKeeper client logs in with Kerberos through the system's GSSAPI
# (MIT krb5): the headers, and libclang for the binding generator.
if ! dpkg -s libkrb5-dev >/dev/null 2>&1 || ! dpkg -s libclang-dev >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y libkrb5-dev libclang-dev
fi

# --- Flink's own shipped configuration files (tests/it/validate.rs) --------
# From PyPI's apache-flink wheels, into ~/.cache/flink-mesos/flink-conf.
"$ROOT/scripts/fetch-flink-conf.sh"

# --- Mesos client conformance tests (tests/it/mesos*.rs) --------------------
# A genuine Mesos 1.11 master + agent from ../shared/mesos-local, built into
# ~/.cache/mesos-local/build (shared/ itself may be read-only).
MESOS_LOCAL_DIR="${MESOS_LOCAL_DIR:-$ROOT/../shared/mesos-local}"
mesos_pkgs=(build-essential python3 libsvn1 libsasl2-2 libapr1 libcurl4 zlib1g)
missing=()
for p in "${mesos_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi
MESOS_BUILD="${MESOS_LOCAL_BUILD_DIR:-$HOME/.cache/mesos-local/build}"
if [ ! -x "$MESOS_BUILD/bin/mesos-local" ]; then
  bash "$MESOS_LOCAL_DIR/build.sh"
fi

# --- zk:// master detection tests (tests/it/mesos_zk.rs) --------------------
# ZooKeeper 3.8 from Debian, started standalone by the tests themselves.
if [ ! -f /usr/share/java/zookeeper.jar ] || ! command -v java >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y zookeeper
fi

# --- Kerberos to ZooKeeper (tests/it/security.rs) ----------------------------
# MIT krb5's KDC and kadmin.local: the tests make a throwaway realm per run.
if [ ! -x /usr/sbin/krb5kdc ] || [ ! -x /usr/sbin/kadmin.local ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y krb5-kdc krb5-admin-server
fi

# --- https:// master tests (tests/it/mesos_tls.rs) --------------------------
# The openssl CLI makes a throw-away CA and server certificate per run.
if ! command -v openssl >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y openssl
fi

# --- Real Flink (tests/it/flink.rs, flink-mesos taskmanager) ---------------
# Flink 2.3 assembled from PyPI's wheels into ~/.cache/flink-mesos/flink-2.3.0;
# javac builds the test's small job against it.
if ! command -v javac >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y openjdk-17-jdk-headless
fi
"$ROOT/scripts/fetch-flink.sh" >/dev/null
# --- The oldest supported Flink and the 1.x LTS line (tests/it/versions.rs) --
# Flink 1.18.1, the other end of the tested matrix, and 1.20.5, on which the
# seed's two examples are checked (about 30 s and 240 MB each on first use);
# the versions between run in scripts/compat.sh, which fetches what it needs.
FLINK_VERSION=1.18.1 "$ROOT/scripts/fetch-flink.sh" >/dev/null
FLINK_VERSION=1.20.5 "$ROOT/scripts/fetch-flink.sh" >/dev/null

# --- The static flink-mesos (scripts/build-static.sh, tests/it/containers.rs)
# musl: the flink-mesos that runs in any Linux image (no glibc needed).
if ! command -v musl-gcc >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y musl-tools
fi
if command -v rustup >/dev/null \
  && ! rustup target list --installed | grep -qx x86_64-unknown-linux-musl; then
  rustup target add x86_64-unknown-linux-musl
fi
