//! The generated protobuf types (prost, from `proto/`). Private to
//! `src/mesos/`: nothing outside this module sees them (architecture
//! invariant), the rest of the program uses the domain types in `types.rs`.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

pub(crate) mod v1 {
    include!(concat!(env!("OUT_DIR"), "/mesos.v1.rs"));

    pub(crate) mod scheduler {
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.scheduler.rs"));
    }
}
