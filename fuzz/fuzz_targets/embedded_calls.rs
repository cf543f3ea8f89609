#![no_main]
//! See flink_mesos::fuzzing::embedded_calls.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flink_mesos::fuzzing::embedded_calls(data));
