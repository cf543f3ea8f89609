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
//! * [`detector`]: `mesos.master` to the leading master, following the
//!   ZooKeeper group for `zk://` masters.
//! * [`operator`]: a summary of a master's `/master/state` for operators.
//!
//! How the appmaster drives it: build [`FrameworkSettings`] from the
//! configuration, [`detector::spawn_detector`] for the `mesos.master` spec,
//! [`client::Client::new`], then [`client::Driver::new`] with the stored
//! framework id (or `None`) and spawn [`client::Driver::run`]. Events arrive as
//! [`client::SessionEvent`]s (every re-subscription starts with
//! `Event::Subscribed`: reconcile then); calls go through the
//! [`client::DriverHandle`]. Status updates are not acknowledged by the
//! driver: the appmaster sends [`TaskStatus::acknowledgement`] after it has
//! recorded the update, so an update is never lost across a crash (Mesos
//! re-sends unacknowledged updates). `Err(MesosError::FrameworkRemoved)` from `run`
//! means: clear the stored framework id and register anew.

pub mod backoff;
pub mod client;
mod convert;
pub mod detector;
mod driver;
pub mod operator;
mod proto;
pub mod recordio;
pub mod types;

pub use convert::ProtocolError;
pub use types::*;

/// Wire-format helpers for fakes and benchmarks outside `src/mesos/`; they
/// take and give bytes and domain types only, never generated types.
#[doc(hidden)]
pub mod testing {
    use prost::Message;

    /// An OFFERS event, protobuf-encoded as a master sends it (one record body).
    pub fn encode_offers_event(offers: &[super::Offer]) -> Vec<u8> {
        super::convert::offers_event(offers).encode_to_vec()
    }

    /// A call, protobuf-encoded as a scheduler sends it (a request body).
    pub fn encode_call(call: &super::Call, framework_id: &str) -> Vec<u8> {
        super::convert::call_to_pb(call, &super::FrameworkId::from(framework_id)).encode_to_vec()
    }

    /// Decodes one record body into an event.
    pub fn decode_event(bytes: &[u8]) -> Result<super::Event, super::ProtocolError> {
        super::convert::decode_event(bytes)
    }
}
