//! Serving an axum `Router` over plain HTTP/1 on a bound listener: the
//! appmaster's status endpoint and the embedded Mesos use it (the artifact
//! server has its own loop for TLS).
//!
//! Connections are served by hyper directly, rather than `axum::serve`, to
//! keep a header read timeout: a client that never finishes its request
//! must not hold a connection forever.
//!
//! Invariants: at most `max_connections` are served at once; once `stop`
//! turns true no connection is accepted, requests in flight get
//! [`DRAIN_TIMEOUT`] to finish, then the rest are cut.
//!
//! Idle connections cannot starve the server: a connection counts as idle
//! until its first byte arrives, and when every slot is taken a new
//! connection evicts the oldest idle one instead of being refused (a flood
//! of idle sockets then keeps at most its newest ones open, while a health
//! probe, which sends its request at once, always gets a slot). Only when
//! every slot is busy with a request is a new connection refused.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::AbortHandle;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long a client may take to send its request headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a graceful stop waits for requests in flight.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// Resolves once `stop` is true (or its sender is gone).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Serves `router` on `listener` until `stop` turns true; `name` names the
/// server in log lines.
pub fn spawn(
    listener: TcpListener,
    router: Router,
    stop: watch::Receiver<bool>,
    max_connections: usize,
    name: &'static str,
) -> JoinHandle<()> {
    let service = TowerToHyperService::new(router);
    tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        let slots = Arc::new(Slots::new(max_connections));
        let mut stop_accept = stop.clone();
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off briefly.
                        tracing::warn!(error = %e, "{name}: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                _ = stopped(&mut stop_accept) => break,
            };
            // Reap finished connections so the set does not grow.
            while connections.try_join_next().is_some() {}
            let Some((slot, registration)) = slots.acquire(name).await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let service = service.clone();
            let mut stop = stop.clone();
            let handle = connections.spawn(async move {
                let Some(_permit) = slot.first_byte(&stream).await else {
                    return;
                };
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_READ_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service);
                tokio::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = stopped(&mut stop) => {
                        conn.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(DRAIN_TIMEOUT, conn).await;
                    }
                }
            });
            registration.register(handle);
        }
        let drain = async { while connections.join_next().await.is_some() {} };
        if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
            connections.abort_all();
        }
    })
}

/// Connection slots that idle connections cannot starve (see the module
/// docs): [`Slots::acquire`] evicts the oldest connection that has not sent
/// a byte when every slot is taken.
pub struct Slots {
    semaphore: Arc<Semaphore>,
    max: usize,
    /// Connections that have not sent a byte yet, oldest first.
    idle: Mutex<VecDeque<(u64, AbortHandle)>>,
    next_id: AtomicU64,
}

/// A slot, moved into its connection's task: [`Slot::first_byte`] waits
/// for the client to speak.
pub struct Slot {
    permit: OwnedSemaphorePermit,
    id: u64,
    slots: Arc<Slots>,
    registered: oneshot::Receiver<()>,
}

/// Kept by the accept loop: makes the slot's task evictable.
pub struct Registration {
    id: u64,
    slots: Arc<Slots>,
    ready: oneshot::Sender<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Slots {
    pub fn new(max: usize) -> Slots {
        Slots {
            semaphore: Arc::new(Semaphore::new(max)),
            max,
            idle: Mutex::default(),
            next_id: AtomicU64::new(0),
        }
    }

    /// A slot for a new connection: a free one, else the oldest idle
    /// connection's (which is closed); `None` when every slot serves a
    /// request (the new connection is then refused, and logged).
    pub async fn acquire(self: &Arc<Self>, name: &str) -> Option<(Slot, Registration)> {
        let permit = match self.semaphore.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                let evicted = lock(&self.idle).pop_front();
                let Some((_, handle)) = evicted else {
                    tracing::warn!("{name}: {} connections busy; refusing one", self.max);
                    return None;
                };
                handle.abort();
                match tokio::time::timeout(
                    Duration::from_secs(1),
                    self.semaphore.clone().acquire_owned(),
                )
                .await
                {
                    Ok(Ok(p)) => p,
                    _ => {
                        tracing::warn!("{name}: no connection slot freed; refusing one");
                        return None;
                    }
                }
            }
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (ready, registered) = oneshot::channel();
        Some((
            Slot {
                permit,
                id,
                slots: self.clone(),
                registered,
            },
            Registration {
                id,
                slots: self.clone(),
                ready,
            },
        ))
    }
}

impl Registration {
    /// Registers the task that serves the slot, so that it can be evicted
    /// while idle.
    pub fn register(self, handle: AbortHandle) {
        lock(&self.slots.idle).push_back((self.id, handle));
        let _ = self.ready.send(());
    }
}

impl Slot {
    /// Waits (at most [`HEADER_READ_TIMEOUT`]) for the connection's first
    /// byte, evictable meanwhile; the permit to hold while serving it, or
    /// `None` when the client sent nothing or left.
    pub async fn first_byte(self, stream: &TcpStream) -> Option<OwnedSemaphorePermit> {
        let _ = self.registered.await;
        let mut byte = [0u8; 1];
        let first = tokio::time::timeout(HEADER_READ_TIMEOUT, stream.peek(&mut byte)).await;
        lock(&self.slots.idle).retain(|(i, _)| *i != self.id);
        matches!(first, Ok(Ok(n)) if n > 0).then_some(self.permit)
    }
}
