//! The v1 scheduler HTTP API client.
//!
//! Two layers:
//! * [`Client::subscribe`] opens one SUBSCRIBE stream: it follows `307` to the
//!   leading master, keeps the `Mesos-Stream-Id`, and yields a
//!   [`Subscription`], whose [`Subscription::next_event`] decodes the RecordIO
//!   stream incrementally and treats a missing heartbeat as a disconnect. After
//!   SUBSCRIBED, [`Subscription::caller`] gives a [`Caller`] that sends calls on
//!   separate connections with the stream id, as the API requires.
//! * [`Driver`] (in `super::driver`, re-exported here) keeps a framework
//!   subscribed on top of it.
//!
//! Invariants:
//! * Nothing a peer sends can panic this module; every failure is a [`MesosError`].
//! * The framework secret goes into the `Authorization` header only; it is
//!   never logged and never part of an error message.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use prost::Message;

use super::backoff::BackoffPolicy;
use super::convert;
use super::recordio::{Decoder, RecordIoError, DEFAULT_MAX_RECORD};
use super::types::{Call, Event, FrameworkId, FrameworkSettings};
use super::ProtocolError;
use crate::http::error_chain;

pub use super::driver::{
    fixed_master, Driver, DriverExit, DriverHandle, MasterSource, SessionEvent,
};

/// Path of the scheduler API on a master. The master serves it under its
/// process id (`/master/...`); the top-level alias is not available everywhere.
pub const SCHEDULER_PATH: &str = "/master/api/v1/scheduler";
const PROTOBUF: &str = "application/x-protobuf";
const STREAM_ID: &str = "Mesos-Stream-Id";
/// The message of the ERROR event a master sends when a framework whose
/// failover timeout ran out (or that was torn down) subscribes again.
pub(super) const FRAMEWORK_REMOVED: &str = "Framework has been removed";

#[derive(Debug, thiserror::Error)]
pub enum MesosError {
    #[error("cannot reach the Mesos master at {url}: {message}")]
    Connect { url: String, message: String },
    #[error("the Mesos master at {url} is not available ({status}): {message}")]
    Unavailable {
        url: String,
        status: u16,
        message: String,
    },
    #[error("more than {max} redirects from {url}; is a leading master elected?")]
    TooManyRedirects { url: String, max: usize },
    #[error("the Mesos master at {url} answered {status} to {call}: {message}")]
    Rejected {
        url: String,
        call: &'static str,
        status: u16,
        message: String,
    },
    #[error("the Mesos master at {url} redirected {call} to an unusable location `{location}`")]
    BadRedirect {
        url: String,
        call: &'static str,
        location: String,
    },
    #[error("the master's answer to SUBSCRIBE has no Mesos-Stream-Id header")]
    NoStreamId,
    #[error("no event from the Mesos master for {0:?} (heartbeat missed)")]
    HeartbeatTimeout(Duration),
    #[error(transparent)]
    Framing(#[from] RecordIoError),
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error("the Mesos master closed the event stream")]
    StreamClosed,
    #[error("the event stream from the Mesos master failed: {0}")]
    Stream(String),
    #[error("the leading Mesos master changed")]
    LeaderChanged,
    #[error("the Mesos master at {url} is no longer the leader (it redirected {call})")]
    NotLeader { url: String, call: &'static str },
    #[error("the master detection ended without naming a leading Mesos master")]
    NoLeader,
    #[error("not subscribed to a Mesos master")]
    NotConnected,
    #[error(
        "the Mesos master has removed framework {framework_id} (its failover timeout ran out or it \
         was torn down); it must register as a new framework"
    )]
    FrameworkRemoved { framework_id: FrameworkId },
    /// The master ended the subscription with an ERROR event: a validation
    /// failure, or "Framework failed over" when another scheduler instance
    /// subscribed with our framework id (which must not be fought over).
    #[error("the Mesos master refused the subscription: {0}")]
    Refused(String),
    #[error("TLS setup: {0}")]
    Tls(String),
}

/// The master failed, refused or cannot be reached.
impl crate::error::Classified for MesosError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Peer
    }
    fn label(&self) -> Option<String> {
        Some("Mesos master".into())
    }
}

impl MesosError {
    /// Whether reconnecting (after a backoff) can help.
    pub fn is_retryable(&self) -> bool {
        match self {
            MesosError::Rejected { status, .. } => matches!(status, 408 | 429) || *status >= 500,
            MesosError::FrameworkRemoved { .. }
            | MesosError::Refused(_)
            | MesosError::Tls(_)
            | MesosError::NoLeader => false,
            _ => true,
        }
    }
}

/// Connection options (not framework identity: that is [`FrameworkSettings`]).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// PEM file with the CA certificate(s) that `https://` masters must chain
    /// to. When set, only these CAs are trusted; otherwise the bundled web PKI
    /// roots are.
    pub ca_file: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// Deadline of one call (ACCEPT, KILL, ...).
    pub call_timeout: Duration,
    /// How long SUBSCRIBE may take to produce the SUBSCRIBED event.
    pub subscribe_timeout: Duration,
    /// The stream is considered dead after this many heartbeat intervals
    /// without any event.
    pub heartbeat_misses: u32,
    pub max_record: usize,
    pub max_redirects: usize,
    pub backoff: BackoffPolicy,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            ca_file: None,
            connect_timeout: Duration::from_secs(10),
            call_timeout: Duration::from_secs(30),
            subscribe_timeout: Duration::from_secs(30),
            heartbeat_misses: 2,
            max_record: DEFAULT_MAX_RECORD,
            max_redirects: 5,
            backoff: BackoffPolicy::default(),
        }
    }
}

/// The HTTP(S) client every request to a master goes through: rustls, the
/// configured CA, no automatic redirects (we follow 307 ourselves, because the
/// leader's address is state we keep).
pub(crate) fn http_client(options: &ClientOptions) -> Result<reqwest::Client, MesosError> {
    use crate::http::{CaError, SetupError};
    crate::http::client(&crate::http::ClientSetup {
        ca_file: options.ca_file.as_deref(),
        connect_timeout: options.connect_timeout,
        timeout: None,
        follow_redirects: false,
    })
    .map_err(|e| {
        MesosError::Tls(match e {
            SetupError::Ca(CaError::Read { path, source }) => {
                format!("cannot read CA file {}: {source}", path.display())
            }
            SetupError::Ca(CaError::Invalid { path, message }) => format!(
                "CA file {} holds no valid PEM certificate: {message}",
                path.display()
            ),
            SetupError::Ca(CaError::Empty { path }) => {
                format!("CA file {} holds no certificate", path.display())
            }
            SetupError::Build(message) => format!("cannot set up the HTTP client: {message}"),
        })
    })
}

/// The HTTP client of one framework: its identity and connection options.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    settings: FrameworkSettings,
    options: ClientOptions,
}

impl Client {
    pub fn new(settings: FrameworkSettings, options: ClientOptions) -> Result<Client, MesosError> {
        Ok(Client {
            http: http_client(&options)?,
            settings,
            options,
        })
    }

    /// Replaces the framework settings (UPDATE_FRAMEWORK), for the next
    /// subscription.
    pub(super) fn set_settings(&mut self, settings: FrameworkSettings) {
        self.settings = settings;
    }

    pub fn settings(&self) -> &FrameworkSettings {
        &self.settings
    }

    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// Opens a SUBSCRIBE stream at `master` (a base URL such as
    /// `http://host:5050`), following redirects to the leader. With
    /// `framework_id`, this is a failover re-subscription of that framework.
    pub async fn subscribe(
        &self,
        master: &str,
        framework_id: Option<&FrameworkId>,
    ) -> Result<Subscription, MesosError> {
        self.subscribe_suppressed(master, framework_id, false).await
    }

    /// [`Client::subscribe`], with the framework's role suppressed from the
    /// start when `suppressed` (no offers until REVIVE).
    pub async fn subscribe_suppressed(
        &self,
        master: &str,
        framework_id: Option<&FrameworkId>,
        suppressed: bool,
    ) -> Result<Subscription, MesosError> {
        let body =
            convert::subscribe_call(&self.settings, framework_id, suppressed).encode_to_vec();
        let (url, response) = self
            .post(
                &api_url(master),
                "SUBSCRIBE",
                Bytes::from(body),
                None,
                self.options.subscribe_timeout,
            )
            .await?;
        let stream_id = response
            .headers()
            .get(STREAM_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or(MesosError::NoStreamId)?;
        tracing::info!(master = %url, framework_id = ?framework_id.map(|f| f.as_str()), "subscribed to the Mesos master's event stream");
        Ok(Subscription {
            response,
            decoder: Decoder::new(self.options.max_record),
            caller: Caller {
                http: self.http.clone(),
                url,
                stream_id,
                framework_id: framework_id.cloned(),
                auth: self.auth(),
                timeout: self.options.call_timeout,
            },
            subscribed: false,
            idle_timeout: self.options.subscribe_timeout,
            heartbeat_misses: self.options.heartbeat_misses.max(1),
        })
    }

    fn auth(&self) -> Option<(String, crate::config::secret::Secret)> {
        match (&self.settings.principal, &self.settings.secret) {
            (Some(p), Some(s)) => Some((p.clone(), s.clone())),
            _ => None,
        }
    }

    /// POSTs a protobuf call, following 307 redirects; returns the URL that
    /// answered 2xx and its response (body unread).
    async fn post(
        &self,
        url: &str,
        call: &'static str,
        body: Bytes,
        stream_id: Option<&str>,
        timeout: Duration,
    ) -> Result<(String, reqwest::Response), MesosError> {
        post(
            &self.http,
            url,
            call,
            body,
            stream_id,
            self.auth().as_ref(),
            timeout,
            self.options.max_redirects,
        )
        .await
    }
}

#[allow(clippy::too_many_arguments)]
async fn post(
    http: &reqwest::Client,
    url: &str,
    call: &'static str,
    body: Bytes,
    stream_id: Option<&str>,
    auth: Option<&(String, crate::config::secret::Secret)>,
    timeout: Duration,
    max_redirects: usize,
) -> Result<(String, reqwest::Response), MesosError> {
    let mut url = url.to_string();
    for _ in 0..=max_redirects {
        let mut request = http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, PROTOBUF)
            .header(reqwest::header::ACCEPT, PROTOBUF)
            .body(body.clone());
        if let Some(id) = stream_id {
            request = request.header(STREAM_ID, id);
        }
        if let Some((principal, secret)) = auth {
            request = request.basic_auth(principal, Some(secret.expose()));
        }
        let response = match tokio::time::timeout(timeout, request.send()).await {
            Err(_) => {
                return Err(MesosError::Connect {
                    url,
                    message: format!("no answer to {call} within {timeout:?}"),
                })
            }
            Ok(Err(e)) => {
                return Err(MesosError::Connect {
                    url,
                    message: error_chain(&e),
                })
            }
            Ok(Ok(r)) => r,
        };
        let status = response.status().as_u16();
        match status {
            200..=299 => return Ok((url, response)),
            301 | 302 | 303 | 307 | 308 => {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let next =
                    resolve_location(&url, &location).ok_or_else(|| MesosError::BadRedirect {
                        url: url.clone(),
                        call,
                        location: location.clone(),
                    })?;
                tracing::info!(from = %url, to = %next, "following the redirect to the leading Mesos master");
                url = next;
            }
            503 => {
                let message = body_text(response, timeout).await;
                return Err(MesosError::Unavailable {
                    url,
                    status,
                    message,
                });
            }
            _ => {
                let message = body_text(response, timeout).await;
                return Err(MesosError::Rejected {
                    url,
                    call,
                    status,
                    message,
                });
            }
        }
    }
    if max_redirects == 0 {
        return Err(MesosError::NotLeader { url, call });
    }
    Err(MesosError::TooManyRedirects {
        url,
        max: max_redirects,
    })
}

/// How long reading an error body may take: a master that sends the
/// headers of an error and then stalls must not hold the caller.
const ERROR_BODY_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of an error body is kept (and read: a huge one is cut off).
const ERROR_BODY_MAX: usize = 1024;

/// At most 1 KiB of an error body, as text, read for at most
/// [`ERROR_BODY_TIMEOUT`] (or the call's `timeout` if shorter).
pub(crate) async fn body_text(mut response: reqwest::Response, timeout: Duration) -> String {
    let mut body = Vec::new();
    let mut failed = None;
    let read = async {
        while body.len() < ERROR_BODY_MAX {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    failed = Some(error_chain(&e));
                    break;
                }
            }
        }
    };
    let complete = tokio::time::timeout(ERROR_BODY_TIMEOUT.min(timeout), read)
        .await
        .is_ok();
    body.truncate(ERROR_BODY_MAX);
    let mut text = String::from_utf8_lossy(&body).trim().to_string();
    if !complete {
        text.push_str(" (the rest of the answer did not arrive)");
    }
    if let Some(e) = failed {
        text.push_str(&format!(" (reading the answer failed: {e})"));
    }
    if text.trim().is_empty() {
        "(no message)".into()
    } else {
        text.trim().to_string()
    }
}

/// `http://h:p` or `http://h:p/` -> `http://h:p/master/api/v1/scheduler`; a
/// URL that already names the API path is kept.
pub fn api_url(master: &str) -> String {
    let base = master.trim_end_matches('/');
    if base.ends_with("/api/v1/scheduler") {
        base.to_string()
    } else {
        format!("{base}{SCHEDULER_PATH}")
    }
}

/// Resolves a redirect `Location` against the URL that answered. Mesos sends
/// a scheme-relative `//leader:port/path`; absolute URLs and absolute paths
/// are accepted too.
pub fn resolve_location(current: &str, location: &str) -> Option<String> {
    let location = location.trim();
    // Absolute, scheme-relative or an absolute path; nothing relative.
    let accepted = location.starts_with("http://")
        || location.starts_with("https://")
        || location.starts_with('/');
    if !accepted {
        return None;
    }
    let next = crate::http::Url::parse(current).ok()?.join(location).ok()?;
    if next.host_str().is_none_or(str::is_empty) {
        return None;
    }
    // A redirect to the bare master address still means the scheduler API.
    if next.path() == "/" {
        Some(api_url(next.as_str()))
    } else {
        Some(next.into())
    }
}

/// Sends calls for one subscription: the stream id and framework id of the
/// SUBSCRIBE stream it came from. Cheap to clone.
#[derive(Clone)]
pub struct Caller {
    http: reqwest::Client,
    url: String,
    stream_id: String,
    framework_id: Option<FrameworkId>,
    auth: Option<(String, crate::config::secret::Secret)>,
    timeout: Duration,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("url", &self.url)
            .field("stream_id", &self.stream_id)
            .field("framework_id", &self.framework_id)
            .finish_non_exhaustive()
    }
}

impl Caller {
    /// The scheduler API URL of the master this subscription is on.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn stream_id(&self) -> &str {
        &self.stream_id
    }

    pub fn framework_id(&self) -> Option<&FrameworkId> {
        self.framework_id.as_ref()
    }

    /// Sends one call; `Ok` when the master accepted it (202). Redirects are
    /// not followed: a stream id belongs to one master, so a 307 here means
    /// the subscription is stale (the stream will end, and the driver
    /// re-subscribes at the new leader).
    pub async fn call(&self, call: &Call) -> Result<(), MesosError> {
        let framework_id = self.framework_id.as_ref().ok_or(MesosError::NotConnected)?;
        let body = convert::call_to_pb(call, framework_id).encode_to_vec();
        tracing::debug!(call = call.name(), "sending a call to the Mesos master");
        let started = Instant::now();
        let (_, response) = post(
            &self.http,
            &self.url,
            call.name(),
            Bytes::from(body),
            Some(&self.stream_id),
            self.auth.as_ref(),
            self.timeout,
            0,
        )
        .await?;
        // Drain the (empty) body so the connection returns to the pool, but
        // never past the call's deadline: a master that answers 202 and then
        // stalls the body must not stall the appmaster's owner loop. The call
        // was accepted either way; an undrained connection is just dropped.
        let left = self.timeout.saturating_sub(started.elapsed());
        if tokio::time::timeout(left, response.bytes()).await.is_err() {
            tracing::debug!(
                call = call.name(),
                "the master's answer body stalled; connection dropped"
            );
        }
        Ok(())
    }
}

/// One open SUBSCRIBE stream.
pub struct Subscription {
    response: reqwest::Response,
    decoder: Decoder,
    caller: Caller,
    subscribed: bool,
    /// Until SUBSCRIBED: the subscribe timeout; after: heartbeat interval x misses.
    idle_timeout: Duration,
    heartbeat_misses: u32,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("caller", &self.caller)
            .field("subscribed", &self.subscribed)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    pub fn stream_id(&self) -> &str {
        &self.caller.stream_id
    }

    /// The URL of the master that holds the stream.
    pub fn url(&self) -> &str {
        &self.caller.url
    }

    /// The caller for this stream, once SUBSCRIBED told us the framework id.
    pub fn caller(&self) -> Option<Caller> {
        self.subscribed.then(|| self.caller.clone())
    }

    /// The next event. An error ends the subscription: the stream was cut,
    /// a heartbeat was missed, or the master sent something undecodable.
    pub async fn next_event(&mut self) -> Result<Event, MesosError> {
        loop {
            if let Some(record) = self.decoder.next_record()? {
                let event = convert::decode_event(&record)?;
                if let Event::Subscribed {
                    framework_id,
                    heartbeat_interval,
                    ..
                } = &event
                {
                    self.subscribed = true;
                    self.caller.framework_id = Some(framework_id.clone());
                    if let Some(interval) = heartbeat_interval {
                        self.idle_timeout = interval.saturating_mul(self.heartbeat_misses);
                    }
                }
                return Ok(event);
            }
            match tokio::time::timeout(self.idle_timeout, self.response.chunk()).await {
                Err(_) => return Err(MesosError::HeartbeatTimeout(self.idle_timeout)),
                Ok(Err(e)) => return Err(MesosError::Stream(error_chain(&e))),
                Ok(Ok(Some(chunk))) => self.decoder.feed(&chunk),
                Ok(Ok(None)) => {
                    self.decoder.finish()?;
                    return Err(MesosError::StreamClosed);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_locations() {
        let cur = "http://m1:5050/master/api/v1/scheduler";
        assert_eq!(
            resolve_location(cur, "//m2:5051/master/api/v1/scheduler").as_deref(),
            Some("http://m2:5051/master/api/v1/scheduler")
        );
        assert_eq!(
            resolve_location(cur, "//m2:5051").as_deref(),
            Some("http://m2:5051/master/api/v1/scheduler")
        );
        assert_eq!(
            resolve_location("https://m1:5050/x", "/master/api/v1/scheduler").as_deref(),
            Some("https://m1:5050/master/api/v1/scheduler")
        );
        assert_eq!(
            resolve_location(cur, "http://m3:1/master/api/v1/scheduler").as_deref(),
            Some("http://m3:1/master/api/v1/scheduler")
        );
        assert_eq!(resolve_location(cur, ""), None);
        assert_eq!(resolve_location(cur, "relative"), None);
        assert_eq!(resolve_location(cur, "//"), None);
        assert_eq!(
            resolve_location(cur, "https://m4:5050/").as_deref(),
            Some("https://m4:5050/master/api/v1/scheduler")
        );
    }

    #[test]
    fn api_url_forms() {
        assert_eq!(api_url("http://h:1"), "http://h:1/master/api/v1/scheduler");
        assert_eq!(api_url("http://h:1/"), "http://h:1/master/api/v1/scheduler");
        assert_eq!(
            api_url("http://h:1/api/v1/scheduler"),
            "http://h:1/api/v1/scheduler"
        );
    }

    #[test]
    fn retryable_classification() {
        assert!(MesosError::StreamClosed.is_retryable());
        assert!(MesosError::HeartbeatTimeout(Duration::from_secs(1)).is_retryable());
        assert!(!MesosError::Refused("x".into()).is_retryable());
        let rejected = |status| MesosError::Rejected {
            url: "u".into(),
            call: "SUBSCRIBE",
            status,
            message: "m".into(),
        };
        assert!(!rejected(401).is_retryable());
        assert!(!rejected(400).is_retryable());
        assert!(rejected(500).is_retryable());
    }

    #[test]
    fn debug_output_has_no_secret() {
        let mut s = FrameworkSettings::new("f", "u");
        s.principal = Some("p".into());
        s.secret = Some(crate::config::secret::Secret::new("hunter2"));
        let client = Client::new(s, ClientOptions::default()).unwrap();
        assert!(!format!("{client:?}").contains("hunter2"));
        let caller = Caller {
            http: client.http.clone(),
            url: "u".into(),
            stream_id: "s".into(),
            framework_id: None,
            auth: client.auth(),
            timeout: Duration::from_secs(1),
        };
        assert!(!format!("{caller:?}").contains("hunter2"));
    }
}
