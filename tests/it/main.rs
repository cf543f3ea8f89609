//! The one integration-test binary. Each module covers one area; `support`
//! starts real peers (Mesos, ZooKeeper, Flink) on free loopback ports.

// Test code: unwrapping is how a test fails; numbers and leftovers go to stderr.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod appmaster;
mod artifacts;
mod broken;
mod cli;
mod conformance;
mod containers;
mod crash;
mod defects;
mod elastic;
mod embedded;
mod feedback;
mod flink;
mod flink_on_mesos;
mod fuzz;
mod generated;
mod hosts;
mod job_cluster;
mod local;
mod marathon;
mod mesos;
mod mesos_faults;
mod mesos_tls;
mod mesos_zk;
mod multihost;
mod out_of_the_box;
mod scheduler;
mod secrets;
mod security;
mod serve;
mod store;
mod store_failover;
mod support;
mod validate;
mod versions;
mod workers;
