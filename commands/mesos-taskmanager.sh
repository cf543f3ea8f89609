#!/usr/bin/env sh
# Drop-in replacement for Flink's bin/mesos-taskmanager.sh, the entry point
# Mesos runs on each agent: all arguments go to `flink-mesos taskmanager`.
# FLINK_MESOS_BIN overrides the binary (default: flink-mesos on PATH).
exec "${FLINK_MESOS_BIN:-flink-mesos}" taskmanager "$@"
