//! flink-mesos: run Apache Flink on Apache Mesos. See ARCHITECTURE.md for the
//! code map and the invariants every module keeps.

pub mod appmaster;
pub mod artifacts;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod embedded;
pub mod error;
pub mod exit_codes;
pub mod flink;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod local;
pub mod marathon;
pub mod mesos;
pub mod procfs;
pub mod scheduler;
pub mod serve;
pub mod shell;
pub mod store;
pub mod taskmanager;
