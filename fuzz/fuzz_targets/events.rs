#![no_main]
//! See flink_mesos::fuzzing::events.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flink_mesos::fuzzing::events(data));
