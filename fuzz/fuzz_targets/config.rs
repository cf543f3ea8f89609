#![no_main]
//! See flink_mesos::fuzzing::config.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flink_mesos::fuzzing::config(data));
