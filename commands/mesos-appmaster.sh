#!/usr/bin/env sh
# Drop-in replacement for Flink's bin/mesos-appmaster.sh: all arguments
# (-Dkey=value properties included) go to `flink-mesos appmaster`.
# FLINK_MESOS_BIN overrides the binary (default: flink-mesos on PATH).
exec "${FLINK_MESOS_BIN:-flink-mesos}" appmaster "$@"
