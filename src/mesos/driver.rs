//! [`Driver`] keeps a framework subscribed: it re-subscribes with the
//! framework id after any disconnect (failover), with capped jittered
//! backoff, follows leader changes from a [`MasterSource`], and reports
//! "Framework has been removed" as the typed [`MesosError::FrameworkRemoved`].
//! The appmaster talks to it through a [`DriverHandle`] and a channel of
//! [`SessionEvent`]s.
//!
//! Invariant: at most one subscription is live per [`Driver`]; the
//! [`Caller`] of a dropped subscription is withdrawn before the next one is
//! opened, so a call never goes out with a stale stream id.

use std::time::Instant;

use tokio::sync::{mpsc, watch};

use super::backoff::Backoff;
use super::client::{Caller, Client, MesosError, FRAMEWORK_REMOVED};
use super::types::{Call, Event, FrameworkId, FrameworkSettings};

/// Where the leading master is: a watch of its base URL (`None` while no
/// leader is known). A fixed address is a source that never changes; the
/// ZooKeeper detector publishes leader changes into one.
pub type MasterSource = watch::Receiver<Option<String>>;

/// A source for one fixed master address (non-leaders redirect to the leader).
pub fn fixed_master(url: impl Into<String>) -> MasterSource {
    let (tx, rx) = watch::channel(Some(url.into()));
    // Dropping the sender is fine: receivers keep reading the last value and
    // `changed()` reports the closed channel, which the driver ignores.
    drop(tx);
    rx
}

/// What the driver reports to the appmaster, in order.
// Events are the common case and are moved once through a channel; boxing
// them would cost an allocation per event to shrink the rare variant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    /// An event of the current subscription. `Event::Subscribed` starts every
    /// (re-)subscription: reconcile then.
    Event(Event),
    /// The subscription ended; calls fail with `NotConnected` until the next
    /// `Event::Subscribed`.
    Disconnected { reason: String },
}

/// Why [`Driver::run`] returned without an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverExit {
    /// [`DriverHandle::stop`] was called.
    Stopped,
    /// The receiver of the session events was dropped.
    EventsClosed,
}

/// The appmaster's side of a running [`Driver`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct DriverHandle {
    caller: watch::Receiver<Option<Caller>>,
    stop: watch::Sender<bool>,
    /// FrameworkInfo changed by UPDATE_FRAMEWORK, for the next SUBSCRIBE.
    settings: watch::Sender<Option<FrameworkSettings>>,
    /// Whether the last SUPPRESS was not followed by a REVIVE: a
    /// re-subscription keeps offers suppressed instead of flooding us.
    suppressed: watch::Sender<bool>,
    /// A TEARDOWN was sent: the master ending the stream is expected.
    tearing_down: watch::Sender<bool>,
}

impl DriverHandle {
    /// Sends a call on the current subscription; `NotConnected` between
    /// subscriptions (the caller decides whether to retry after the next
    /// SUBSCRIBED, typically by reconciling instead).
    pub async fn call(&self, call: Call) -> Result<(), MesosError> {
        // Clone out of the watch: no borrow is held across the await.
        let caller = self.caller.borrow().clone();
        let Some(caller) = caller else {
            return Err(MesosError::NotConnected);
        };
        if matches!(call, Call::Teardown) {
            // Before the call: the master may end the stream before its
            // answer arrives.
            self.tearing_down.send_replace(true);
        }
        caller.call(&call).await?;
        match call {
            // Re-subscribing with the old FrameworkInfo would undo the update.
            Call::UpdateFramework { settings, .. } => {
                self.settings.send_replace(Some(settings));
            }
            // The framework has one role, so any SUPPRESS/REVIVE concerns it.
            Call::Suppress { .. } => {
                self.suppressed.send_replace(true);
            }
            Call::Revive { .. } => {
                self.suppressed.send_replace(false);
            }
            _ => {}
        }
        Ok(())
    }

    /// The framework id of the current subscription, if subscribed.
    pub fn framework_id(&self) -> Option<FrameworkId> {
        self.caller
            .borrow()
            .as_ref()
            .and_then(|c| c.framework_id().cloned())
    }

    /// The scheduler API URL of the master of the current subscription.
    pub fn master_url(&self) -> Option<String> {
        self.caller.borrow().as_ref().map(|c| c.url().to_string())
    }

    /// Whether a subscription is live (SUBSCRIBED received, not yet lost).
    pub fn is_connected(&self) -> bool {
        self.caller.borrow().is_some()
    }

    /// Ends [`Driver::run`] with [`DriverExit::Stopped`] (the framework stays
    /// registered until its failover timeout; send TEARDOWN first to end it).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// Keeps one framework subscribed (see the module docs).
pub struct Driver {
    client: Client,
    master: MasterSource,
    framework_id: Option<FrameworkId>,
    backoff: Backoff,
    caller: watch::Sender<Option<Caller>>,
    stop: watch::Receiver<bool>,
    settings: watch::Receiver<Option<FrameworkSettings>>,
    suppressed: watch::Receiver<bool>,
    tearing_down: watch::Receiver<bool>,
    /// A subscription succeeded at least once: a failure after it is a
    /// lost master, before it a master that was never reached.
    subscribed_ever: bool,
    /// Failed attempts since the start while never subscribed.
    first_contact_failures: u32,
}

impl Driver {
    /// A driver for `client`'s framework; `framework_id` is the stored id of a
    /// previous run (failover) or `None` to register anew.
    pub fn new(
        client: Client,
        master: MasterSource,
        framework_id: Option<FrameworkId>,
    ) -> (Driver, DriverHandle) {
        let (caller_tx, caller_rx) = watch::channel(None);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (settings_tx, settings_rx) = watch::channel(None);
        let (suppressed_tx, suppressed_rx) = watch::channel(false);
        let (tearing_down_tx, tearing_down_rx) = watch::channel(false);
        let backoff = Backoff::new(client.options().backoff);
        (
            Driver {
                client,
                master,
                framework_id,
                backoff,
                caller: caller_tx,
                stop: stop_rx,
                settings: settings_rx,
                suppressed: suppressed_rx,
                tearing_down: tearing_down_rx,
                subscribed_ever: false,
                first_contact_failures: 0,
            },
            DriverHandle {
                caller: caller_rx,
                stop: stop_tx,
                settings: settings_tx,
                suppressed: suppressed_tx,
                tearing_down: tearing_down_tx,
            },
        )
    }

    /// Runs until stopped, until `events` is closed, or until a failure that
    /// reconnecting cannot fix ([`MesosError::FrameworkRemoved`], a refused
    /// subscription, a 4xx answer to SUBSCRIBE).
    pub async fn run(
        mut self,
        events: mpsc::Sender<SessionEvent>,
    ) -> Result<DriverExit, MesosError> {
        let result = self.run_inner(&events).await;
        self.caller.send_replace(None);
        result
    }

    async fn run_inner(
        &mut self,
        events: &mpsc::Sender<SessionEvent>,
    ) -> Result<DriverExit, MesosError> {
        loop {
            if *self.stop.borrow() {
                return Ok(DriverExit::Stopped);
            }
            let started = Instant::now();
            let reason = match self.session(events).await {
                Ok(exit) => return Ok(exit),
                Err(e) if !e.is_retryable() => return Err(e),
                Err(e) => e,
            };
            self.caller.send_replace(None);
            let lasted = started.elapsed();
            self.backoff.connection_lasted(lasted);
            let delay = self.backoff.next_delay();
            if *self.tearing_down.borrow() {
                // The master ends the stream of a framework it tore down.
                tracing::info!(reason = %reason, "the event stream ended after TEARDOWN");
            } else if !self.subscribed_ever {
                // Never reached: say where we look and what to check, with
                // the backoff's growing pauses (not once per second).
                self.first_contact_failures = self.first_contact_failures.saturating_add(1);
                tracing::warn!(
                    attempt = self.first_contact_failures,
                    retry_in = ?delay,
                    "cannot reach the Mesos master: {reason}; check mesos.master (is a master \
                     running at that address and port, reachable from this host, and not a \
                     standby that redirects elsewhere?); still trying, /health turns 503 after \
                     half of mesos.failover-timeout (at most 300 s)"
                );
            } else {
                tracing::warn!(error = %reason, retry_in = ?delay, "lost the Mesos master; re-subscribing");
            }
            if events
                .send(SessionEvent::Disconnected {
                    reason: reason.to_string(),
                })
                .await
                .is_err()
            {
                return Ok(DriverExit::EventsClosed);
            }
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.stop.wait_for(|s| *s) => return Ok(DriverExit::Stopped),
            }
        }
    }

    /// One subscription from SUBSCRIBE to its end. `Ok(exit)` ends the
    /// driver; `Err` is why the subscription ended.
    async fn session(
        &mut self,
        events: &mpsc::Sender<SessionEvent>,
    ) -> Result<DriverExit, MesosError> {
        // Wait for a leader without reporting a disconnect: not knowing one
        // yet (ZooKeeper still answering) is not a lost connection.
        let leader = loop {
            if let Some(leader) = self.master.borrow_and_update().clone() {
                break leader;
            }
            tokio::select! {
                changed = self.master.changed() => {
                    if changed.is_err() {
                        // The source is gone and never named a leader.
                        return Err(MesosError::NoLeader);
                    }
                }
                _ = self.stop.wait_for(|s| *s) => return Ok(DriverExit::Stopped),
            }
        };
        if let Some(updated) = self.settings.borrow_and_update().clone() {
            self.client.set_settings(updated);
        }
        let mut subscription = tokio::select! {
            s = self.client.subscribe_suppressed(
                &leader,
                self.framework_id.as_ref(),
                *self.suppressed.borrow(),
            ) => s?,
            _ = self.stop.wait_for(|s| *s) => return Ok(DriverExit::Stopped),
        };
        let mut source_open = true;
        loop {
            let event = tokio::select! {
                e = subscription.next_event() => e?,
                changed = self.master.changed(), if source_open => {
                    if changed.is_err() {
                        source_open = false;
                        continue;
                    }
                    if self.master.borrow_and_update().as_deref() == Some(leader.as_str()) {
                        continue;
                    }
                    return Err(MesosError::LeaderChanged);
                }
                _ = self.stop.wait_for(|s| *s) => return Ok(DriverExit::Stopped),
            };
            match &event {
                Event::Subscribed { framework_id, .. } => {
                    self.subscribed_ever = true;
                    self.framework_id = Some(framework_id.clone());
                    self.caller.send_replace(subscription.caller());
                }
                Event::Error(message) if message.contains(FRAMEWORK_REMOVED) => {
                    return Err(MesosError::FrameworkRemoved {
                        framework_id: self
                            .framework_id
                            .clone()
                            .unwrap_or_else(|| FrameworkId::from("")),
                    });
                }
                Event::Error(message) => return Err(MesosError::Refused(message.clone())),
                _ => {}
            }
            if events.send(SessionEvent::Event(event)).await.is_err() {
                return Ok(DriverExit::EventsClosed);
            }
        }
    }
}
