//! Serving an axum `Router` over plain HTTP/1 on a bound listener: the
//! appmaster's status endpoint and the embedded Mesos use it (the artifact
//! server has its own loop for TLS).
//!
//! Connections are served by hyper directly, rather than `axum::serve`, to
//! keep a header read timeout: a client that never finishes its request
//! must not hold a connection forever.
//!
//! Invariants: at most `max_connections` are served at once (further ones
//! are closed at once, and logged); once `stop` turns true no connection is
//! accepted, requests in flight get [`DRAIN_TIMEOUT`] to finish, then the
//! rest are cut.

use std::sync::Arc;
use std::time::Duration;

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
        let slots = Arc::new(tokio::sync::Semaphore::new(max_connections));
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
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                tracing::warn!("{name}: {max_connections} connections busy; refusing one");
                continue;
            };
            let _ = stream.set_nodelay(true);
            let service = service.clone();
            let mut stop = stop.clone();
            connections.spawn(async move {
                let _permit = permit;
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
        }
        let drain = async { while connections.join_next().await.is_some() {} };
        if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
            connections.abort_all();
        }
    })
}
