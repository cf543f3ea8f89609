//! Finding the leading Mesos master from `mesos.master`.
//!
//! * `host:port` / `http(s)://host:port`: a fixed address; a non-leading
//!   master redirects to the leader (the client follows the 307).
//! * `zk://[user:password@]host:port,.../path`: the masters' ZooKeeper group.
//!   Every master holds an ephemeral sequential member `json.info_<seq>` under
//!   `path` whose data is its MasterInfo as JSON; the member with the lowest
//!   sequence number is the leader. [`spawn_detector`] watches the group and
//!   publishes every leader change into a [`MasterSource`]. As in Mesos's
//!   own scheduler library, the leader is reached at the IP and port of its
//!   libprocess `pid`, over `https` when `LIBPROCESS_SSL_ENABLED` says so.
//! * `file:///path`: the file holds one of the forms above (read once).
//!
//! Invariants: the ZooKeeper digest password is used for authentication only
//! and never logged; a member whose data is not valid JSON is skipped with a
//! warning, never a panic; the last known leader stays published while
//! ZooKeeper is unreachable (the stream to the master itself tells us when
//! that leader is gone), and `None` is published only when the group is seen
//! to be empty.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::backoff::{Backoff, BackoffPolicy};
use super::client::MasterSource;
use crate::config::master::{MasterSpec, Scheme, ZkAuth};
use crate::config::options::Key;

/// Prefix of the group members that carry MasterInfo as JSON.
pub const MEMBER_PREFIX: &str = "json.info_";

#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("{key}: {0}", key = Key::MesosMaster)]
    Spec(String),
    #[error("ZooKeeper {servers}: {message}")]
    ZooKeeper { servers: String, message: String },
    #[error("no Mesos master is registered under {path} in ZooKeeper {servers}")]
    NoLeader { servers: String, path: String },
    #[error("the leading master's group member {member} holds invalid data: {message}")]
    BadMember { member: String, message: String },
}

/// A malformed `mesos.master` is the operator's; the rest is ZooKeeper's.
impl crate::error::Classified for DetectError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            DetectError::Spec(_) => crate::error::ErrorKind::User,
            _ => crate::error::ErrorKind::Peer,
        }
    }
    fn label(&self) -> Option<String> {
        (!matches!(self, DetectError::Spec(_))).then(|| "ZooKeeper".into())
    }
}

/// The leading master as found in its ZooKeeper group (or given directly).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MasterAddress {
    /// Base URL, e.g. `http://10.0.0.1:5050`.
    pub url: String,
    pub hostname: Option<String>,
    pub ip: Option<String>,
    pub port: u16,
    pub id: Option<String>,
    pub version: Option<String>,
    /// The group member it was read from (`json.info_0000000003`).
    pub member: Option<String>,
}

/// Parses a group member's JSON MasterInfo into the address to connect to.
///
/// Like Mesos's own scheduler library, which connects to the IP and port of
/// the master's libprocess `pid` (`master@10.0.0.1:5050`), not to its host
/// name (which need not resolve where the scheduler runs): the `pid` first,
/// then `address.ip`/`address.port`, then the legacy network-order `ip`
/// number, and the host name only when no IP is given at all. `scheme` is
/// `https` when Mesos runs with SSL (see [`zk_scheme`]).
pub fn parse_master_info(
    member: &str,
    data: &[u8],
    scheme: Scheme,
) -> Result<MasterAddress, DetectError> {
    let bad = |message: String| DetectError::BadMember {
        member: member.to_string(),
        message,
    };
    let json: serde_json::Value =
        serde_json::from_slice(data).map_err(|e| bad(format!("not JSON: {e}")))?;
    let address = &json["address"];
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let hostname = text(&address["hostname"]).or_else(|| text(&json["hostname"]));
    let pid = json["pid"].as_str().and_then(pid_address);
    // The legacy `ip` is a uint32 in network byte order, read as a
    // little-endian number: 16777343 is 127.0.0.1.
    let legacy_ip = json["ip"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n != 0)
        .map(|n| std::net::Ipv4Addr::from(n.to_le_bytes()).to_string());
    let ip = text(&address["ip"]).or(legacy_ip);
    let port = address["port"]
        .as_u64()
        .or_else(|| json["port"].as_u64())
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p > 0);
    let (host, port) = match (pid, port) {
        (Some((pid_ip, pid_port)), _) => (pid_ip, pid_port),
        (None, Some(port)) => (
            ip.clone()
                .or_else(|| hostname.clone())
                .ok_or_else(|| bad("neither pid, ip nor hostname".into()))?,
            port,
        ),
        (None, None) => return Err(bad("no valid pid or port".into())),
    };
    Ok(MasterAddress {
        url: direct_url(scheme, &host, port),
        hostname,
        ip,
        port,
        id: text(&json["id"]),
        version: text(&json["version"]),
        member: Some(member.to_string()),
    })
}

/// `master@10.0.0.1:5050` → (`10.0.0.1`, 5050); `None` unless the part
/// after `@` is an IP address and a port (a libprocess UPID).
fn pid_address(pid: &str) -> Option<(String, u16)> {
    let (_, address) = pid.rsplit_once('@')?;
    let socket: std::net::SocketAddr = address.parse().ok()?;
    (socket.port() > 0).then(|| (socket.ip().to_string(), socket.port()))
}

/// The scheme of detected masters: `https` when Mesos runs with SSL, which a
/// scheduler learns the way Mesos's own scheduler library does, from
/// `LIBPROCESS_SSL_ENABLED` (or `SSL_ENABLED`) being `1` or `true`.
pub fn zk_scheme() -> Scheme {
    let enabled = |name: &str| {
        std::env::var(name)
            .map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true"))
            .unwrap_or(false)
    };
    if enabled("LIBPROCESS_SSL_ENABLED") || enabled("SSL_ENABLED") {
        Scheme::Https
    } else {
        Scheme::Http
    }
}

/// The leader among the group's children: the lowest sequence number of the
/// `json.info_` members (other children, e.g. the `log_replicas`, are ignored).
pub fn leading_member(children: &[String]) -> Option<&str> {
    children
        .iter()
        .filter_map(|c| {
            let seq = c.strip_prefix(MEMBER_PREFIX)?.parse::<u64>().ok()?;
            Some((seq, c.as_str()))
        })
        .min()
        .map(|(_, c)| c)
}

fn direct_url(scheme: Scheme, host: &str, port: u16) -> String {
    let scheme = match scheme {
        Scheme::Http => "http",
        Scheme::Https => "https",
    };
    if host.contains(':') {
        format!("{scheme}://[{host}]:{port}")
    } else {
        format!("{scheme}://{host}:{port}")
    }
}

struct Zk {
    servers: Vec<(String, u16)>,
    path: String,
    auth: Option<ZkAuth>,
    scheme: Scheme,
}

impl Zk {
    fn servers_text(&self) -> String {
        self.servers
            .iter()
            .map(|(h, p)| format!("{h}:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn error(&self, e: impl std::fmt::Display) -> DetectError {
        DetectError::ZooKeeper {
            servers: self.servers_text(),
            message: e.to_string(),
        }
    }

    async fn connect(&self) -> Result<zookeeper_client::Client, DetectError> {
        let mut connector = zookeeper_client::Client::connector()
            .with_session_timeout(Duration::from_secs(10))
            .with_connection_timeout(Duration::from_secs(5));
        if let Some(auth) = &self.auth {
            let digest = format!("{}:{}", auth.user, auth.password.expose());
            connector = connector.with_auth("digest", digest.as_bytes());
        }
        connector
            .connect(&self.servers_text())
            .await
            .map_err(|e| self.error(e))
    }

    /// The current leader (`None`: empty group) and a watcher that fires on
    /// the next change of the group.
    async fn leader_and_watch(
        &self,
        zk: &zookeeper_client::Client,
    ) -> Result<(Option<MasterAddress>, zookeeper_client::OneshotWatcher), DetectError> {
        let (children, watcher) = match zk.list_and_watch_children(&self.path).await {
            Ok(x) => x,
            Err(zookeeper_client::Error::NoNode) => {
                // The group does not exist yet: watch for its creation.
                let (_, watcher) = zk
                    .check_and_watch_stat(&self.path)
                    .await
                    .map_err(|e| self.error(e))?;
                return Ok((None, watcher));
            }
            Err(e) => return Err(self.error(e)),
        };
        let Some(member) = leading_member(&children) else {
            return Ok((None, watcher));
        };
        let node = format!("{}/{}", self.path.trim_end_matches('/'), member);
        match zk.get_data(&node).await {
            Ok((data, _)) => Ok((
                Some(parse_master_info(member, &data, self.scheme)?),
                watcher,
            )),
            // The member vanished between listing and reading: the watcher
            // has fired already, and the next round reads the new leader.
            Err(zookeeper_client::Error::NoNode) => Ok((None, watcher)),
            Err(e) => Err(self.error(e)),
        }
    }
}

/// Resolves `spec` to the leading master once (for `flink-mesos master`).
pub async fn detect_once(spec: &MasterSpec) -> Result<MasterAddress, DetectError> {
    match spec.resolve_file().map_err(DetectError::Spec)? {
        MasterSpec::Direct { scheme, host, port } => Ok(MasterAddress {
            url: direct_url(scheme, &host, port),
            hostname: Some(host),
            ip: None,
            port,
            id: None,
            version: None,
            member: None,
        }),
        MasterSpec::ZooKeeper {
            auth,
            servers,
            path,
        } => {
            let zk = Zk {
                servers,
                path,
                auth,
                scheme: zk_scheme(),
            };
            let client = zk.connect().await?;
            let (leader, _) = zk.leader_and_watch(&client).await?;
            leader.ok_or_else(|| DetectError::NoLeader {
                servers: zk.servers_text(),
                path: zk.path.clone(),
            })
        }
        MasterSpec::File(_) => Err(DetectError::Spec("nested file:// master".into())),
    }
}

/// A [`MasterSource`] for `spec`. For `zk://`, a task follows the group and
/// publishes each new leader's URL; abort the returned handle to stop it.
pub fn spawn_detector(
    spec: &MasterSpec,
) -> Result<(MasterSource, Option<JoinHandle<()>>), DetectError> {
    match spec.resolve_file().map_err(DetectError::Spec)? {
        MasterSpec::Direct { scheme, host, port } => Ok((
            super::client::fixed_master(direct_url(scheme, &host, port)),
            None,
        )),
        MasterSpec::ZooKeeper {
            auth,
            servers,
            path,
        } => {
            let (tx, rx) = watch::channel(None);
            let zk = Zk {
                servers,
                path,
                auth,
                scheme: zk_scheme(),
            };
            Ok((rx, Some(tokio::spawn(follow(zk, tx)))))
        }
        MasterSpec::File(_) => Err(DetectError::Spec("nested file:// master".into())),
    }
}

async fn follow(zk: Zk, tx: watch::Sender<Option<String>>) {
    let mut backoff = Backoff::new(BackoffPolicy::default());
    loop {
        let started = std::time::Instant::now();
        let error = match zk.connect().await {
            Ok(client) => loop {
                match zk.leader_and_watch(&client).await {
                    Ok((leader, watcher)) => {
                        let url = leader.as_ref().map(|l| l.url.clone());
                        tx.send_if_modified(|current| {
                            if *current == url {
                                return false;
                            }
                            tracing::info!(leader = ?url, "the leading Mesos master changed");
                            *current = url.clone();
                            true
                        });
                        if tx.is_closed() {
                            return;
                        }
                        let event = watcher.changed().await;
                        if event.event_type == zookeeper_client::EventType::Session {
                            // Session expired or closed: reconnect.
                            break zk.error(format!("session ended ({:?})", event.session_state));
                        }
                    }
                    Err(e) => break e,
                }
            },
            Err(e) => e,
        };
        if tx.is_closed() {
            return;
        }
        backoff.connection_lasted(started.elapsed());
        let delay = backoff.next_delay();
        tracing::warn!(error = %error, retry_in = ?delay, "cannot follow the Mesos masters in ZooKeeper");
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_sequence_json_member_leads() {
        let children: Vec<String> = [
            "log_replicas",
            "json.info_0000000012",
            "info_0000000001",
            "json.info_0000000003",
            "json.info_x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(leading_member(&children), Some("json.info_0000000003"));
        assert_eq!(leading_member(&[]), None);
    }

    #[tokio::test]
    async fn direct_and_file_forms() {
        let spec = MasterSpec::parse("https://m1.example:5443").unwrap();
        assert_eq!(
            detect_once(&spec).await.unwrap().url,
            "https://m1.example:5443"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("master");
        std::fs::write(&file, "10.0.0.7:5050\n").unwrap();
        let spec = MasterSpec::parse(&format!("file://{}", file.display())).unwrap();
        assert_eq!(
            detect_once(&spec).await.unwrap().url,
            "http://10.0.0.7:5050"
        );
        let (source, task) = spawn_detector(&spec).unwrap();
        assert!(task.is_none());
        assert_eq!(source.borrow().as_deref(), Some("http://10.0.0.7:5050"));
        std::fs::remove_file(&file).unwrap();
        assert!(matches!(
            detect_once(&spec).await,
            Err(DetectError::Spec(_))
        ));
    }

    #[test]
    fn master_info_json() {
        let http = Scheme::Http;
        // As Mesos's scheduler library does: the IP of the pid, never the
        // host name (which need not resolve here).
        let data = br#"{"address":{"hostname":"m1.example","ip":"10.0.0.1","port":5050},"hostname":"m1.example","id":"abc","ip":16777343,"pid":"master@10.0.0.9:5055","port":5050,"version":"1.11.0"}"#;
        let m = parse_master_info("json.info_1", data, http).unwrap();
        assert_eq!(m.url, "http://10.0.0.9:5055");
        assert_eq!(m.hostname.as_deref(), Some("m1.example"));
        assert_eq!(m.version.as_deref(), Some("1.11.0"));
        let m = parse_master_info("json.info_1", data, Scheme::Https).unwrap();
        assert_eq!(m.url, "https://10.0.0.9:5055");
        let m =
            parse_master_info("j", br#"{"address":{"ip":"10.0.0.2","port":5051}}"#, http).unwrap();
        assert_eq!(m.url, "http://10.0.0.2:5051");
        // No pid: address.ip before the host name; the legacy number next.
        let m = parse_master_info(
            "j",
            br#"{"address":{"hostname":"m2.example","ip":"10.0.0.3","port":5050}}"#,
            http,
        )
        .unwrap();
        assert_eq!(m.url, "http://10.0.0.3:5050");
        let m = parse_master_info(
            "j",
            br#"{"hostname":"m3.example","ip":16777343,"port":5050}"#,
            http,
        )
        .unwrap();
        assert_eq!(m.url, "http://127.0.0.1:5050");
        let m = parse_master_info("j", br#"{"hostname":"m4.example","port":5050}"#, http).unwrap();
        assert_eq!(m.url, "http://m4.example:5050");
        let m = parse_master_info("j", br#"{"pid":"master@[::1]:5050"}"#, http).unwrap();
        assert_eq!(m.url, "http://[::1]:5050");
        for bad in [
            &b"nope"[..],
            b"{}",
            br#"{"address":{"hostname":"h","port":0}}"#,
            br#"{"pid":"master@not-an-ip:5050"}"#,
            b"[1]",
        ] {
            assert!(parse_master_info("j", bad, http).is_err());
        }
    }
}
