//! The artifact server (the seed's "Artifact Server"): the appmaster serves
//! what the workers need — the `flink-mesos` executable, the Flink
//! distribution, the TaskManager configuration, key stores, keytabs, Hadoop
//! configuration — over HTTP(S), and every TaskInfo lists those files as
//! Mesos fetcher URIs. What is served is decided by the overlays
//! ([`overlay`]); this module serves it.
//!
//! Invariants:
//! * only registered files are served. A request path is looked up as an
//!   exact string among the registered names, never joined onto a directory,
//!   so `..`, percent-encoded forms (refused: no registered name needs
//!   encoding), absolute paths and symlinks can never reach anything else;
//! * every URL carries a random id chosen at start (`/<id>/<name>`), so URLs
//!   of an earlier appmaster (or guessed ones) find nothing;
//! * files stream from disk (tower-http's `ServeFile`: Range, HEAD,
//!   Last-Modified, If-Modified-Since); we add a strong `ETag` from size and
//!   modification time and answer `If-None-Match`. Other methods get 405;
//! * resources are bounded: at most [`MAX_CONNECTIONS`] connections, request
//!   headers must arrive within [`HEADER_TIMEOUT`] (slow clients cannot hold
//!   sockets forever), TLS handshakes within the same time; a connection
//!   that has sent nothing yet gives its slot up to a new one when all are
//!   taken ([`crate::serve::Slots`]).
//!
//! The accept loop is our own (a few lines over hyper-util) rather than
//! `axum::serve`, because `axum::serve` offers neither TLS nor a header read
//! timeout; routing, 405s and file serving are axum's and tower-http's.

pub mod overlay;
pub mod secrets;
pub mod tls;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// Connections served at once; more are closed right after accept.
pub const MAX_CONNECTIONS: usize = 512;
/// Time a client has to send its request headers (and finish TLS).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes read from disk per body chunk.
const CHUNK: usize = 512 << 10;

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("cannot serve {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error(
        "the artifact server cannot listen on {address}: {source}; {}",
        bind_hint(source)
    )]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("artifact server TLS: {0}")]
    Tls(String),
    #[error("cannot build {path}: {message}")]
    Archive { path: PathBuf, message: String },
}

/// The files or the port the configuration names: the operator's to fix.
impl crate::error::Classified for ArtifactError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::User
    }
}

fn bind_hint(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            "set mesos.resourcemanager.artifactserver.port to a free port (0 picks one)"
        }
        _ => "set mesos.resourcemanager.artifactserver.bind-host to an address of this host (0.0.0.0, the default, listens on all of them)",
    }
}

/// The files to serve: URL name → file on disk. Names are made by the
/// overlays from a fixed alphabet (see [`Registry::add`]).
#[derive(Debug, Clone, Default)]
pub struct Registry {
    files: BTreeMap<String, PathBuf>,
    /// The workers' secrets, served under [`secrets::BUNDLE_NAME`] to each
    /// task once, with its token.
    secrets: Option<Arc<secrets::Gate>>,
}

impl Registry {
    /// Registers `path` (a regular file, resolved now) under `name`.
    /// Names are relative paths of `[A-Za-z0-9._-]` segments separated by
    /// `/`, without `.`/`..` segments.
    pub fn add(&mut self, name: &str, path: &Path) -> Result<(), ArtifactError> {
        let err = |message: String| ArtifactError::File {
            path: path.to_path_buf(),
            message,
        };
        let valid = !name.is_empty()
            && name.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            });
        if !valid {
            return Err(err(format!("`{name}` is not a valid artifact name")));
        }
        let canonical = std::fs::canonicalize(path).map_err(|e| err(e.to_string()))?;
        let meta = std::fs::metadata(&canonical).map_err(|e| err(e.to_string()))?;
        if !meta.is_file() {
            return Err(err("not a regular file".into()));
        }
        self.files.insert(name.to_string(), canonical);
        Ok(())
    }

    /// The file a request path (`/<prefix>/<name>`, raw: undecoded) names.
    /// Registered names never need percent-encoding, so an encoded byte
    /// means "not one of ours" (an encoded separator is not a separator);
    /// anything but an exact registered name is `None`.
    pub fn lookup(&self, prefix: &str, raw_path: &str) -> Option<&Path> {
        let name = raw_path
            .strip_prefix('/')?
            .strip_prefix(prefix)?
            .strip_prefix('/')?;
        self.get(name)
    }

    pub fn get(&self, name: &str) -> Option<&Path> {
        self.files.get(name).map(PathBuf::as_path)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.secrets.is_none()
    }

    /// Serves `gate`'s bundle under [`secrets::BUNDLE_NAME`].
    pub fn set_secrets(&mut self, gate: Arc<secrets::Gate>) {
        self.secrets = Some(gate);
    }
}

/// Where and how to listen.
#[derive(Clone)]
pub struct ServerOptions {
    /// Address to bind (the host the workers reach the appmaster at).
    pub bind_host: String,
    /// `mesos.resourcemanager.artifactserver.port`; 0 lets the OS pick.
    pub port: u16,
    /// The host name put into URLs (usually the same as `bind_host`).
    pub advertised_host: String,
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// A running artifact server; stops when dropped or [`ArtifactServer::stop`]ped.
pub struct ArtifactServer {
    local_addr: SocketAddr,
    base_url: String,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

#[derive(Clone)]
struct Shared {
    prefix: String,
    registry: Arc<Registry>,
}

impl ArtifactServer {
    /// Binds and starts serving `registry` in the background.
    pub async fn start(
        options: ServerOptions,
        registry: Registry,
    ) -> Result<ArtifactServer, ArtifactError> {
        let address = format!("{}:{}", options.bind_host, options.port);
        let listener = TcpListener::bind((options.bind_host.as_str(), options.port))
            .await
            .map_err(|source| ArtifactError::Bind {
                address: address.clone(),
                source,
            })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| ArtifactError::Bind { address, source })?;
        let prefix = random_id();
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let host = if options.advertised_host.contains(':') {
            format!("[{}]", options.advertised_host)
        } else {
            options.advertised_host.clone()
        };
        let base_url = format!("{scheme}://{host}:{}/{prefix}/", local_addr.port());
        let router = router(Shared {
            prefix,
            registry: Arc::new(registry),
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, router, options.tls, stopped));
        Ok(ArtifactServer {
            local_addr,
            base_url,
            stop,
            task: Some(task),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http(s)://host:port/<id>/`; artifact URLs are this plus the name.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `http(s)://host:port`, without the per-start id: what logs and
    /// `/status` show (the id is not printed where it is not needed).
    pub fn origin(&self) -> &str {
        let after_scheme = self.base_url.find("://").map_or(0, |i| i + 3);
        match self.base_url[after_scheme..].find('/') {
            Some(i) => &self.base_url[..after_scheme + i],
            None => &self.base_url,
        }
    }

    /// The URL of a registered name.
    pub fn url(&self, name: &str) -> String {
        format!("{}{name}", self.base_url)
    }

    /// Stops accepting connections and waits for the accept loop to end.
    pub async fn stop(mut self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ArtifactServer {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// 128 random bits as hex, from the kernel's generator (the id is what
/// keeps the TaskManager configuration, which may hold secrets, from being
/// guessed).
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .is_ok();
    if !filled {
        // No /dev/urandom (not Linux?): fall back to a seeded generator.
        for b in &mut bytes {
            *b = fastrand::u8(..);
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn router(shared: Shared) -> Router {
    // `get` also answers HEAD; any other method gets 405 with `Allow`.
    Router::new()
        .route("/{id}/{*name}", get(serve))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(shared)
}

async fn serve(State(shared): State<Shared>, request: Request) -> Response {
    if let Some(gate) = &shared.registry.secrets {
        let bundle_path = format!("/{}/{}", shared.prefix, secrets::BUNDLE_NAME);
        if request.uri().path() == bundle_path {
            return serve_secrets(gate, &request);
        }
    }
    let Some(path) = shared.registry.lookup(&shared.prefix, request.uri().path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = match tokio::fs::metadata(path).await {
        Ok(meta) => {
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            format!("\"{:x}-{:x}\"", meta.len(), mtime)
        }
        Err(e) => {
            tracing::warn!(file = %path.display(), "artifact cannot be read: {e}");
            return StatusCode::NOT_FOUND.into_response();
        }
    };
    let etag_value = HeaderValue::from_str(&etag).ok();
    if let (Some(tag), Some(wanted)) = (&etag_value, request.headers().get(header::IF_NONE_MATCH)) {
        let matches = wanted.to_str().is_ok_and(|w| {
            w.split(',')
                .any(|t| t.trim() == "*" || t.trim() == etag || t.trim() == format!("W/{etag}"))
        });
        if matches {
            let mut r = StatusCode::NOT_MODIFIED.into_response();
            r.headers_mut().insert(header::ETAG, tag.clone());
            return r;
        }
    }
    // 512 KiB reads: fewer trips through tokio's blocking pool per byte served
    // (the default 64 KiB halves throughput against nginx; benches/artifacts.rs).
    match ServeFile::new(path)
        .with_buf_chunk_size(CHUNK)
        .oneshot(request)
        .await
    {
        Ok(response) => {
            let mut response = response.map(Body::new);
            if let Some(tag) = etag_value {
                if response.status().is_success() {
                    response.headers_mut().insert(header::ETAG, tag);
                }
            }
            response
        }
        Err(never) => match never {},
    }
}

/// The secrets bundle, to the task named in the request with its token,
/// once (see [`secrets`]). Never cached by anyone on the way.
fn serve_secrets(gate: &secrets::Gate, request: &Request) -> Response {
    let headers = request.headers();
    let task = headers
        .get(secrets::TASK_HEADER)
        .and_then(|v| v.to_str().ok());
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match gate.take(task, token) {
        Ok(bundle) => {
            tracing::info!(
                task = task.unwrap_or_default(),
                "secrets delivered to the worker"
            );
            (
                [
                    (header::CONTENT_TYPE, "application/x-tar"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                bundle.to_vec(),
            )
                .into_response()
        }
        Err(secrets::Refusal::Unauthorized) => {
            tracing::warn!(
                task = task.unwrap_or("(none)"),
                "a request for the workers' secrets without a valid task token was refused"
            );
            StatusCode::UNAUTHORIZED.into_response()
        }
        Err(secrets::Refusal::AlreadyDelivered) => {
            tracing::warn!(
                task = task.unwrap_or_default(),
                "a second request for a worker's secrets was refused (each task gets them once; \
                 if the worker did not make it, its token was read and used by someone else)"
            );
            StatusCode::GONE.into_response()
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(crate::serve::Slots::new(MAX_CONNECTIONS));
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped.wait_for(|s| *s) => return,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: wait, do not spin.
                tracing::warn!("artifact server: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Idle connections (nothing sent yet) give their slot up to new
        // ones: a flood of them cannot stop the workers' fetches.
        let Some((slot, registration)) = slots.acquire("artifact server").await else {
            tracing::debug!(%peer, "artifact server: connection refused");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let acceptor = acceptor.clone();
        let task = tokio::spawn(async move {
            let Some(_permit) = slot.first_byte(&stream).await else {
                return;
            };
            match acceptor {
                Some(acceptor) => {
                    match tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => serve_connection(tls, router).await,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, "artifact server: TLS handshake failed: {e}")
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "artifact server: TLS handshake timed out")
                        }
                    }
                }
                None => serve_connection(stream, router).await,
            }
        });
        registration.register(task.abort_handle());
    }
}

async fn serve_connection<I>(io: I, router: Router)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(router);
    let result = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(64 * 1024)
        .writev(true)
        .serve_connection(TokioIo::new(io), service)
        .await;
    if let Err(e) = result {
        tracing::debug!("artifact server connection: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let mut r = Registry::default();
        for bad in [
            "", "../f", "a/../f", "/f", "a//f", "a/./f", "a b", "a%2ff", "a\\f",
        ] {
            assert!(r.add(bad, &file).is_err(), "{bad:?} accepted");
        }
        r.add("dir/f-1.tar", &file).unwrap();
        assert!(
            r.add("dir", dir.path()).is_err(),
            "a directory is not a file"
        );
        assert_eq!(r.names().collect::<Vec<_>>(), ["dir/f-1.tar"]);
    }

    #[test]
    fn ids_are_random_hex() {
        let (a, b) = (random_id(), random_id());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
