#![no_main]
//! See flink_mesos::fuzzing::worker_record.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flink_mesos::fuzzing::worker_record(data));
