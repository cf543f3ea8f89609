//! The boundary to Apache Mesos: the v1 scheduler HTTP API.
//!
//! * `proto` (private): the generated protobuf types. Architecture invariant:
//!   nothing outside `src/mesos/` sees them; everything else uses [`types`].
//! * [`recordio`]: the incremental decoder of the SUBSCRIBE stream.
//! * [`types`]: domain types (offers, tasks, status updates, calls, events).
//! * [`backoff`]: capped, jittered exponential backoff that resets after a
//!   stable period.
//! * [`client`]: one subscription (SUBSCRIBE stream + calls) and the
//!   reconnecting [`client::Driver`] the appmaster runs.

pub mod backoff;
pub mod client;
mod convert;
mod proto;
pub mod recordio;
pub mod types;

pub use convert::ProtocolError;
pub use types::*;
