//! The embedded single-node Mesos: a master and one agent in one process,
//! like Mesos' own `mesos-local`, for machines without Mesos
//! (`flink-mesos local up --mesos embedded`).
//!
//! **A development stand-in for one machine; production uses genuine
//! Mesos.** It serves the part of the v1 scheduler HTTP API the appmaster
//! uses — SUBSCRIBE (RecordIO events, heartbeats), offers built from the
//! node's resources and attributes, ACCEPT/LAUNCH, DECLINE with filters,
//! REVIVE/SUPPRESS, KILL, RECONCILE, ACKNOWLEDGE with status update
//! retries, UPDATE_FRAMEWORK, TEARDOWN, the failover timeout — plus
//! `/health` and a read-only `/master/state`. Tasks run as local processes
//! (see `agent`). What it does not do: containerizers, isolation or
//! resource enforcement, more than one agent, authentication or
//! authorization, reservations and volumes, JSON calls, operator API,
//! checkpointing (its state dies with the process), master failover.
//!
//! It is a peer of our Mesos client, not part of it: it has its own view of
//! the generated protobuf types (`proto`) and never uses `crate::mesos`.
//! The appmaster cannot tell it from genuine Mesos.
//!
//! Layout: the model behind one mutex only decides — `master` (node,
//! frameworks, calls, timers), `tasks` (ACCEPT, KILL, the launch steps,
//! framework removal; the `Action`s they return), `framework`
//! (subscriptions, per-task status update streams), `allocator` (offers,
//! filters), `state` (`/master/state`); `agent` acts (launches, signals
//! with a grace period, sandboxes, fetching); `resources` is Mesos' text
//! format and resource arithmetic; this module is the HTTP layer.
//!
//! Invariants: nothing a client sends can panic it; bad calls get a 4xx
//! naming what was wrong; request bodies are bounded (4 MiB); request
//! headers must arrive within 10 s; at most 256 connections are served;
//! no signal, spawn, file or network I/O happens under the master's lock
//! (the actions a locked step returns are carried out after the guard is
//! dropped); [`EmbeddedMesos::shutdown`] kills every task's process group
//! before it returns.

mod agent;
mod allocator;
mod framework;
mod master;
mod proto;
mod resources;
mod state;
mod tasks;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use prost::Message;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use master::{CallError, Shared, Subscribed};
use proto::v1::scheduler as sched;

pub(crate) use master::fuzz_calls;
pub use resources::machine_default as default_resources;

/// How the embedded Mesos is set up.
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Sandboxes go below `<work_dir>/slaves/`.
    pub work_dir: PathBuf,
    /// Mesos' text format (`cpus:4;mem:8192;disk:10240;ports:[31000-31099]`);
    /// `None`: derived from the machine ([`default_resources`]).
    pub resources: Option<String>,
    /// `name:value;…`, offered with every offer.
    pub attributes: Option<String>,
    /// The agent's hostname in offers and the master's in MasterInfo.
    pub hostname: String,
    pub heartbeat_interval: Duration,
}

impl EmbeddedConfig {
    pub fn new(work_dir: impl Into<PathBuf>) -> EmbeddedConfig {
        EmbeddedConfig {
            port: 0,
            work_dir: work_dir.into(),
            resources: None,
            attributes: None,
            hostname: "127.0.0.1".into(),
            heartbeat_interval: Duration::from_secs(15),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("--resources: {0}")]
    Resources(String),
    #[error("--attributes: {0}")]
    Attributes(String),
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the work directory {path}: {source}")]
    WorkDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("--heartbeat-interval must be above zero")]
    Heartbeat,
}

/// The embedded Mesos: bad flags are usage errors, the rest a failure.
impl crate::error::Classified for EmbeddedError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        use EmbeddedError as E;
        match self {
            E::Resources(_) | E::Attributes(_) | E::Heartbeat => ErrorKind::Usage,
            _ => ErrorKind::Peer,
        }
    }
}

/// A running embedded master + agent.
pub struct EmbeddedMesos {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    /// Taken by [`EmbeddedMesos::shutdown`]; what is left is stopped on drop.
    server: Option<JoinHandle<()>>,
    ticker: Option<JoinHandle<()>>,
}

/// Largest call body accepted (a LAUNCH of many tasks stays far below).
const MAX_BODY: usize = 4 * 1024 * 1024;
/// Connections served at once (each subscription holds one).
const MAX_CONNECTIONS: usize = 256;
const PROTOBUF: &str = "application/x-protobuf";
const STREAM_ID: &str = "Mesos-Stream-Id";

impl EmbeddedMesos {
    /// Binds 127.0.0.1:`port`, creates the work directory and starts
    /// serving.
    pub async fn start(config: EmbeddedConfig) -> Result<EmbeddedMesos, EmbeddedError> {
        if config.heartbeat_interval.is_zero() {
            return Err(EmbeddedError::Heartbeat);
        }
        let text = config
            .resources
            .clone()
            .unwrap_or_else(resources::machine_default);
        let total = resources::Resources::parse(&text).map_err(EmbeddedError::Resources)?;
        let attributes = match &config.attributes {
            Some(a) => resources::parse_attributes(a).map_err(EmbeddedError::Attributes)?,
            None => Vec::new(),
        };
        std::fs::create_dir_all(&config.work_dir).map_err(|source| EmbeddedError::WorkDir {
            path: config.work_dir.display().to_string(),
            source,
        })?;
        let work_dir =
            std::path::absolute(&config.work_dir).map_err(|source| EmbeddedError::WorkDir {
                path: config.work_dir.display().to_string(),
                source,
            })?;
        let listener = TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(|source| EmbeddedError::Bind {
                port: config.port,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmbeddedError::Bind {
                port: config.port,
                source,
            })?;
        let config = EmbeddedConfig { work_dir, ..config };
        let node = master::Node::new(&config, addr.port(), total, attributes);
        tracing::info!(
            url = %format!("http://{addr}"),
            master_id = %node.master_id,
            agent_id = %node.agent_id,
            resources = %text,
            work_dir = %config.work_dir.display(),
            "embedded Mesos master + agent started (a development stand-in for one machine)"
        );
        let shared = Shared::new(node);
        let (stop, stop_rx) = watch::channel(false);
        let ticker = {
            let shared = shared.clone();
            let mut stop_rx = stop_rx.clone();
            tokio::spawn(async move {
                let mut interval = tokio::time::interval(Duration::from_millis(100));
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = interval.tick() => {
                            let actions = shared.lock().tick(Instant::now());
                            agent::carry_out(&shared, actions);
                        }
                        _ = crate::serve::stopped(&mut stop_rx) => break,
                    }
                }
            })
        };
        let server = serve(listener, router(shared.clone()), stop_rx);
        Ok(EmbeddedMesos {
            addr,
            shared,
            stop,
            server: Some(server),
            ticker: Some(ticker),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Marks the master as shutting down, forgets every framework (ending
    /// their subscriptions) and returns the processes of their tasks.
    fn stop_everything(&self) -> Vec<agent::Proc> {
        let mut m = self.shared.lock();
        m.shutting_down = true;
        let procs = m.all_procs();
        m.frameworks.clear();
        procs
    }

    /// Kills every task (SIGTERM to its process group, SIGKILL after 3 s),
    /// ends every subscription and stops serving.
    pub async fn shutdown(mut self) {
        let mut procs = self.stop_everything();
        let deadline = Instant::now() + tasks::DEFAULT_GRACE;
        // A command being spawned right now belongs to a task that is gone:
        // once spawned, it is among the master's dying processes.
        while self.shared.lock().launching > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        procs.extend(self.shared.lock().all_procs());
        tracing::info!(tasks = procs.len(), "shutting down: killing every task");
        for p in &procs {
            p.signal(libc::SIGTERM);
        }
        while Instant::now() < deadline && procs.iter().any(|p| !p.has_exited()) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for p in &procs {
            p.signal(libc::SIGKILL);
        }
        let _ = self.stop.send(true);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.await;
        }
        if let Some(server) = self.server.take() {
            if tokio::time::timeout(Duration::from_secs(3), server)
                .await
                .is_err()
            {
                tracing::warn!("the HTTP server did not stop within 3 s");
            }
        }
    }
}

impl Drop for EmbeddedMesos {
    /// Dropped without [`EmbeddedMesos::shutdown`]: no task outlives it
    /// (SIGKILL to every task's process group) and serving stops.
    fn drop(&mut self) {
        if self.server.is_none() {
            return;
        }
        let procs = self.stop_everything();
        for p in &procs {
            p.signal(libc::SIGKILL);
        }
        let _ = self.stop.send(true);
        for handle in [self.server.take(), self.ticker.take()]
            .into_iter()
            .flatten()
        {
            handle.abort();
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/scheduler", post(scheduler))
        .route("/master/api/v1/scheduler", post(scheduler))
        .route("/health", get(health))
        .route("/master/health", get(health))
        .route("/slave(1)/health", get(health))
        .route("/master/state", get(state))
        .route("/master/state.json", get(state))
        .route("/state", get(state))
        .route("/state.json", get(state))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

async fn health() -> Response {
    StatusCode::OK.into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        "not found: the embedded Mesos serves /master/api/v1/scheduler (POST), /master/state and /health\n",
    )
        .into_response()
}

async fn state(State(shared): State<Arc<Shared>>) -> Response {
    let v = state::render(&shared.lock());
    let body = serde_json::to_vec(&v).unwrap_or_else(|_| b"{}".to_vec());
    ([(CONTENT_TYPE, "application/json")], body).into_response()
}

fn bad(status: StatusCode, message: impl Into<String>) -> Response {
    let mut m = message.into();
    m.push('\n');
    (status, [(CONTENT_TYPE, "text/plain; charset=utf-8")], m).into_response()
}

async fn scheduler(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with(PROTOBUF) {
        return bad(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Expecting 'Content-Type' of {PROTOBUF} (the embedded Mesos speaks protobuf only), got '{content_type}'"
            ),
        );
    }
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*");
    if !(accept.contains(PROTOBUF) || accept.contains("*/*") || accept.contains("application/*")) {
        return bad(
            StatusCode::NOT_ACCEPTABLE,
            format!("Expecting 'Accept' to allow {PROTOBUF} (the embedded Mesos answers in protobuf only), got '{accept}'"),
        );
    }
    let call = match sched::Call::decode(body) {
        Ok(c) => c,
        Err(e) => {
            return bad(
                StatusCode::BAD_REQUEST,
                format!("Failed to parse body into Call protobuf: {e}"),
            )
        }
    };
    if call.r#type == Some(sched::call::Type::Subscribe as i32) {
        return subscribe(shared, call);
    }
    let stream_id = headers.get(STREAM_ID).and_then(|v| v.to_str().ok());
    let result = shared.lock().call(call, stream_id);
    match result {
        Ok(actions) => {
            agent::carry_out(&shared, actions);
            StatusCode::ACCEPTED.into_response()
        }
        Err(CallError::BadRequest(m)) => bad(StatusCode::BAD_REQUEST, validation(m)),
        Err(CallError::Forbidden(m)) => bad(StatusCode::FORBIDDEN, m),
    }
}

/// Mesos words its validation errors this way.
fn validation(m: String) -> String {
    if m.starts_with("Expecting") {
        format!("Failed to validate scheduler::Call: {m}")
    } else {
        m
    }
}

fn subscribe(shared: Arc<Shared>, call: sched::Call) -> Response {
    let Some(sub) = call.subscribe else {
        return bad(
            StatusCode::BAD_REQUEST,
            "Expecting 'subscribe' to be present",
        );
    };
    let framework_id = call.framework_id.map(|f| f.value);
    let result = shared.lock().subscribe(sub, framework_id);
    match result {
        Err(CallError::BadRequest(m)) => bad(StatusCode::BAD_REQUEST, validation(m)),
        Err(CallError::Forbidden(m)) => bad(StatusCode::SERVICE_UNAVAILABLE, m),
        Ok(Subscribed::Error(record)) => {
            // As Mesos: the stream opens (with a stream id), carries the
            // ERROR event and ends.
            let mut response = ([(CONTENT_TYPE, PROTOBUF)], record).into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&framework::uuid_text()) {
                response.headers_mut().insert(STREAM_ID, v);
            }
            response
        }
        Ok(Subscribed::Stream {
            stream_id,
            rx,
            framework_id,
        }) => {
            let body = EventStream {
                rx,
                _disconnect: Disconnect {
                    shared,
                    framework_id,
                    stream_id: stream_id.clone(),
                },
            };
            let mut response = Response::new(Body::new(body));
            let h = response.headers_mut();
            h.insert(CONTENT_TYPE, axum::http::HeaderValue::from_static(PROTOBUF));
            if let Ok(v) = axum::http::HeaderValue::from_str(&stream_id) {
                h.insert(STREAM_ID, v);
            }
            response
        }
    }
}

/// Tells the master when a subscriber's stream is gone (the response body
/// is dropped when the client closes the connection).
struct Disconnect {
    shared: Arc<Shared>,
    framework_id: String,
    stream_id: String,
}

impl Drop for Disconnect {
    fn drop(&mut self) {
        self.shared
            .lock()
            .disconnected(&self.framework_id, &self.stream_id);
    }
}

/// The SUBSCRIBE response body: RecordIO records from the master's queue.
struct EventStream {
    rx: mpsc::Receiver<Bytes>,
    _disconnect: Disconnect,
}

impl http_body::Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        self.rx
            .poll_recv(cx)
            .map(|o| o.map(|b| Ok(http_body::Frame::data(b))))
    }
}

/// Resolves once `stop` is true (or its sender is gone), holding no borrow
/// of the channel afterwards, so the futures awaiting it stay `Send`.
/// Serves `router` until `stop` (see [`crate::serve`]).
fn serve(listener: TcpListener, router: Router, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    crate::serve::spawn(listener, router, stop, MAX_CONNECTIONS, "embedded Mesos")
}
