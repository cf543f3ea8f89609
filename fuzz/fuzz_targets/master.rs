#![no_main]
//! See flink_mesos::fuzzing::master.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flink_mesos::fuzzing::master(data));
