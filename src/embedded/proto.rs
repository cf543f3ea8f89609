//! The generated protobuf types (prost, from `proto/`), included a second
//! time for the embedded master. It is a peer of our Mesos client, not a
//! part of it, so it does not reach into `src/mesos/`; the architecture
//! invariant is that only `src/mesos/` (our client) and `src/embedded/`
//! (the embedded master) see generated protobuf types.

#![allow(clippy::all, clippy::pedantic, missing_docs, dead_code)]

pub(crate) mod v1 {
    include!(concat!(env!("OUT_DIR"), "/mesos.v1.rs"));

    pub(crate) mod scheduler {
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.scheduler.rs"));
    }
}
