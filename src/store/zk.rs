//! The ZooKeeper [`WorkerStore`] (`high-availability: zookeeper`).
//!
//! Layout under the base path `<path.root>/<cluster-id>/<path.mesos-workers>`
//! (e.g. `/flink/default/mesos-workers`; documented in ARCHITECTURE.md):
//!
//! ```text
//! <base>                    {"format":1,"kind":"flink-mesos worker store"}
//! <base>/frameworkId        the framework id with its name, role and principal,
//!                           JSON (`record::encode_framework`; absent: none yet)
//! <base>/taskCount          the next task number, decimal text
//! <base>/failedTasks        workers failed so far, decimal text (absent: 0)
//! <base>/workers/<task id>  one JSON record per worker (`record`)
//! <base>/leader/…latch-NNN  ephemeral sequential leader latches (`leader`)
//! ```
//!
//! Invariants:
//! * every write is conditional on the data version this handle read (or on
//!   the node being absent), and one batch is one ZooKeeper `multi` — all of
//!   it happens or none of it;
//! * a store opened for a leader ([`ZkStore::for_leader`]) starts every
//!   `multi` with a `check` of its leader latch: once the latch is gone
//!   (session expired, or deleted) no write of this appmaster can succeed,
//!   whatever versions it holds ([`StoreError::LeadershipLost`]);
//! * a connection loss is not fatal: the write waits for the session to come
//!   back (at most the session timeout), then checks whether the lost write
//!   was applied after all (same data in every node it touched) before
//!   retrying it, so a retry never reports its own success as a conflict;
//! * the digest password is only handed to the ZooKeeper client, never
//!   logged or put into an error message.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use zookeeper_client as zkc;

use super::record::{self, StoredWorker};
use super::{FrameworkIdentity, FrameworkRecord, Snapshot, StoreError, WorkerStore, Write};
use crate::config::secret::Secret;
use crate::config::settings::{ZkKerberos, ZooKeeperHa};
use crate::config::zk_tls::{self, ZkTls};
use crate::scheduler::{Worker, WorkerState};

pub const FRAMEWORK_ID: &str = "frameworkId";
pub const TASK_COUNT: &str = "taskCount";
pub const FAILED_TASKS: &str = "failedTasks";
/// The floor `workers scale` set.
pub const FLOOR: &str = "floor";
pub const WORKERS: &str = "workers";
pub const LEADER: &str = "leader";
/// What the base node holds, so that a path that holds something else is
/// recognised instead of misread.
pub const MARKER_KIND: &str = "flink-mesos worker store";

/// Operations per `multi`, and their data size: well below ZooKeeper's
/// default 1 MB packet limit (`jute.maxbuffer`).
const MAX_OPS: usize = 1000;
const MAX_BYTES: usize = 512 * 1024;
/// Reads per multi-read (records are a few hundred bytes).
const READ_CHUNK: usize = 500;

/// How to reach the store.
#[derive(Clone, Debug)]
pub struct ZkConfig {
    pub servers: Vec<(String, u16)>,
    /// The base path (see the module docs).
    pub base: String,
    pub session_timeout: Duration,
    pub connect_timeout: Duration,
    /// With credentials, every node the store creates below its base is
    /// the authenticated user's alone (creator ACLs); without, anyone who
    /// reaches ZooKeeper can change it ([`ZkConfig::world_writable`]).
    pub digest: Option<(String, Secret)>,
    /// `high-availability.zookeeper.client.acl: creator` (Flink's own
    /// nodes). The store's nodes follow the credentials, not this.
    pub acl_creator: bool,
    /// TLS to the servers (`high-availability.zookeeper.client.ssl.*`).
    pub tls: Option<ZkTls>,
    /// A Kerberos login (SASL GSSAPI): Flink's, when it has one for
    /// ZooKeeper ([`kerberos_environment`] must have run). With the digest
    /// credentials too, the store's nodes are both identities'.
    pub kerberos: Option<ZkKerberos>,
}

impl ZkConfig {
    pub fn from_settings(ha: &ZooKeeperHa) -> ZkConfig {
        ZkConfig {
            servers: ha.quorum.clone(),
            base: base_path(&ha.root, &ha.cluster_id, &ha.workers_path),
            session_timeout: ha.session_timeout,
            connect_timeout: Duration::from_secs(10).min(ha.session_timeout),
            digest: ha.digest.clone(),
            acl_creator: ha.acl_creator,
            tls: ha.tls.clone(),
            kerberos: ha.kerberos.clone(),
        }
    }

    /// Without credentials the store's nodes are open to anyone who
    /// reaches ZooKeeper (`world:anyone:cdrwa`): they could rewrite the
    /// framework id or the workers.
    pub fn world_writable(&self) -> bool {
        self.digest.is_none() && self.kerberos.is_none()
    }

    pub fn servers_text(&self) -> String {
        self.servers
            .iter()
            .map(|(h, p)| format!("{h}:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The client's TLS options from the PEM files (`crate::config::zk_tls`).
///
/// rustls is built with two crypto providers here (`ring`, ours, and
/// `aws-lc-rs`, which `zookeeper-client` brings): it then takes neither by
/// itself, so ring becomes the process default first (a no-op once one is).
fn tls_options(tls: &ZkTls) -> Result<zkc::TlsOptions, StoreError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let bad = |key: &str, e: String| {
        StoreError::Unavailable(format!("high-availability.zookeeper.client.ssl.{key}: {e}"))
    };
    let ca = zk_tls::read_truststore(&tls.truststore).map_err(|e| bad("truststore", e))?;
    let mut options = zkc::TlsOptions::new()
        .with_pem_ca(&ca)
        .map_err(|e| bad("truststore", e.to_string()))?;
    if let Some(keystore) = &tls.keystore {
        let pem = zk_tls::read_keystore(keystore).map_err(|e| bad("keystore", e))?;
        options = options
            .with_pem_identity(&pem, &pem)
            .map_err(|e| bad("keystore", e.to_string()))?;
    }
    Ok(options)
}

/// Points this process's Kerberos library (MIT krb5, through GSSAPI) at the
/// login's keytab and krb5.conf, with a private in-memory credential cache
/// (the user's own tickets are neither used nor touched). The library reads
/// these from the environment only, so this runs before any thread starts:
/// right after the configuration is resolved, by the commands that open
/// the store.
pub fn kerberos_environment(kerberos: &ZkKerberos) {
    let mut set = vec![
        (
            "KRB5_CLIENT_KTNAME",
            std::ffi::OsString::from(format!("FILE:{}", kerberos.keytab.display())),
        ),
        ("KRB5CCNAME", "MEMORY:flink-mesos".into()),
    ];
    if let Some(conf) = &kerberos.krb5_conf {
        set.push(("KRB5_CONFIG", conf.into()));
    }
    let before = set
        .into_iter()
        .map(|(name, value)| {
            let before = std::env::var_os(name);
            std::env::set_var(name, value);
            (name, before)
        })
        .collect();
    let _ = KERBEROS_ENV_BEFORE.set(before);
}

/// The variables [`kerberos_environment`] set, with the values they had
/// before (`None`: unset).
static KERBEROS_ENV_BEFORE: std::sync::OnceLock<Vec<(&'static str, Option<std::ffi::OsString>)>> =
    std::sync::OnceLock::new();

/// Gives `cmd` the Kerberos variables as they were before
/// [`kerberos_environment`]: they are this process's login, not the child's
/// (a JobManager with the operator's `KRB5CCNAME` keeps it).
pub fn restore_kerberos_environment(cmd: &mut std::process::Command) {
    for (name, before) in KERBEROS_ENV_BEFORE.get().into_iter().flatten() {
        match before {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
}

/// The connector with a SASL GSSAPI login as the keytab's principal, to the
/// servers' `<service>/<host of the quorum>` principals.
#[cfg(feature = "kerberos")]
fn with_gssapi(
    connector: zkc::Connector,
    kerberos: &ZkKerberos,
) -> Result<zkc::Connector, StoreError> {
    Ok(connector.with_sasl(zkc::SaslOptions::gssapi().with_username(kerberos.service.clone())))
}

/// This build has no GSSAPI (built without the `kerberos` feature): the
/// settings never ask for a Kerberos login then; this is a backstop.
#[cfg(not(feature = "kerberos"))]
fn with_gssapi(
    _connector: zkc::Connector,
    kerberos: &ZkKerberos,
) -> Result<zkc::Connector, StoreError> {
    Err(StoreError::Unavailable(format!(
        "this flink-mesos was built without the `kerberos` feature and cannot log in to \
         ZooKeeper with Kerberos ({}): build it with `cargo build --release --features kerberos`",
        kerberos.principal
    )))
}

/// What to check when no session comes over TLS or with Kerberos (a refused
/// handshake or login looks like a server that does not answer).
fn connect_hint(config: &ZkConfig) -> String {
    let mut hint = String::new();
    if config.tls.is_some() {
        hint.push_str(
            " (over TLS: check that the quorum lists the servers' secureClientPort, that \
             high-availability.zookeeper.client.ssl.truststore holds the CA of their \
             certificates and that these name the hosts of the quorum, and that the servers \
             accept the certificate of high-availability.zookeeper.client.ssl.keystore)",
        );
    }
    if let Some(k) = &config.kerberos {
        // The GSSAPI library's own failures (no KDC, an unknown server
        // principal) end in a session that never comes.
        hint.push_str(&format!(
            " (with Kerberos: check that the KDC of security.kerberos.krb5-conf.path answers, \
             that it knows {}/<host> for each host of the quorum as named there, and that {} \
             holds {})",
            k.service,
            k.keytab.display(),
            k.principal
        ));
    }
    hint
}

/// Who the store is in ZooKeeper, for an access that ZooKeeper denied.
fn identity_hint(config: &ZkConfig) -> String {
    match &config.kerberos {
        Some(k) => format!(
            "the store logs in as {} (Kerberos) and, with \
             high-availability.zookeeper.client.digest.username, as that digest user: give \
             the login that created it",
            k.principal
        ),
        None => "set high-availability.zookeeper.client.digest.username and .password to the \
                 credentials that created it"
            .into(),
    }
}

/// `root` + `cluster_id` + `workers` as one absolute path, whatever slashes
/// each part has (`/flink`, `/default`, `/mesos-workers` → `/flink/default/mesos-workers`).
pub fn base_path(root: &str, cluster_id: &str, workers: &str) -> String {
    let parts: Vec<&str> = [root, cluster_id, workers]
        .iter()
        .flat_map(|p| p.split('/'))
        .filter(|s| !s.is_empty())
        .collect();
    format!("/{}", parts.join("/"))
}

/// A ZooKeeper session for the store and the election. Clones share it.
#[derive(Clone, Debug)]
pub struct Zk {
    client: zkc::Client,
    config: Arc<ZkConfig>,
}

/// Everything stored, with data versions.
#[derive(Debug, Default, Clone)]
pub struct Contents {
    pub framework_id: Option<(String, i32)>,
    /// Whose framework the id is, as stored with it (`None`: an id-only
    /// record, written by an older flink-mesos or someone else).
    pub framework_identity: Option<FrameworkIdentity>,
    /// Whether others than our ZooKeeper user can write the framework id
    /// record (or replace it): no credentials, or an ACL open to others.
    pub framework_others_can_write: bool,
    pub task_count: Option<(u64, i32)>,
    pub failed_tasks: Option<(u32, i32)>,
    pub floor: Option<(u32, i32)>,
    pub workers: Vec<(StoredWorker, i32)>,
    /// Worker records that cannot be read, quarantined: (task id, why,
    /// version). The rest of the store works without them; `flink-mesos
    /// workers forget ID` removes one.
    pub damaged: Vec<(String, String, i32)>,
}

impl Zk {
    /// Connects (and authenticates, when credentials are configured).
    pub async fn connect(config: ZkConfig) -> Result<Zk, StoreError> {
        let servers = config.servers_text();
        let mut connector = zkc::Client::connector()
            .with_session_timeout(config.session_timeout)
            .with_connection_timeout(config.connect_timeout);
        if let Some((user, password)) = &config.digest {
            let digest = format!("{user}:{}", password.expose());
            connector = connector.with_auth("digest", digest.as_bytes());
        }
        if let Some(kerberos) = &config.kerberos {
            connector = with_gssapi(connector, kerberos)?;
        }
        let connected = match &config.tls {
            Some(tls) => {
                let connect = connector
                    .with_tls(tls_options(tls)?)
                    .secure_connect(&servers);
                tokio::time::timeout(config.connect_timeout, connect).await
            }
            None => tokio::time::timeout(config.connect_timeout, connector.connect(&servers)).await,
        };
        let client = match connected {
            Ok(Ok(client)) => client,
            Ok(Err(zkc::Error::AuthFailed)) if config.kerberos.is_some() => {
                return Err(StoreError::Unavailable(format!(
                    "ZooKeeper {servers} refused the Kerberos login of {} (keytab {}), or the \
                     digest credentials: check that the keytab holds that principal first, that \
                     the quorum names the servers as their principals do ({}/<host>), and the \
                     KDC in security.kerberos.krb5-conf.path",
                    config
                        .kerberos
                        .as_ref()
                        .map_or("", |k| k.principal.as_str()),
                    config
                        .kerberos
                        .as_ref()
                        .map_or(String::new(), |k| k.keytab.display().to_string()),
                    config.kerberos.as_ref().map_or("", |k| k.service.as_str()),
                )))
            }
            Ok(Err(zkc::Error::AuthFailed)) => {
                return Err(StoreError::Unavailable(format!(
                    "ZooKeeper {servers} rejected the credentials of \
                     high-availability.zookeeper.client.digest.username"
                )))
            }
            Ok(Err(e)) => {
                return Err(unreachable(
                    &servers,
                    &format!("{e}{}", connect_hint(&config)),
                ))
            }
            Err(_) => {
                return Err(unreachable(
                    &servers,
                    &format!(
                        "no session within {:?}{}",
                        config.connect_timeout,
                        connect_hint(&config)
                    ),
                ))
            }
        };
        Ok(Zk {
            client,
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &ZkConfig {
        &self.config
    }

    /// One request with a backstop. The client queues requests while it
    /// reconnects and fails them once the session expires (7/5 of the
    /// session timeout without a server); an answer that never comes after
    /// twice the session timeout becomes [`zkc::Error::Timeout`], so no
    /// caller (the appmaster's core loop included) waits on ZooKeeper forever.
    pub async fn bounded<T>(
        &self,
        request: impl std::future::Future<Output = Result<T, zkc::Error>>,
    ) -> Result<T, zkc::Error> {
        match tokio::time::timeout(self.config.session_timeout * 2, request).await {
            Ok(answer) => answer,
            Err(_) => Err(zkc::Error::Timeout),
        }
    }

    pub fn client(&self) -> &zkc::Client {
        &self.client
    }

    pub fn base(&self) -> &str {
        &self.config.base
    }

    /// The absolute path of `rel` under the base.
    pub fn path(&self, rel: &str) -> String {
        format!("{}/{rel}", self.config.base)
    }

    pub fn worker_path(&self, task_id: &str) -> String {
        format!("{}/{WORKERS}/{task_id}", self.config.base)
    }

    /// The ACLs of every node the store creates at and below its base:
    /// the authenticated user's alone whenever credentials are configured.
    pub(crate) fn acls(&self) -> zkc::Acls<'static> {
        if !self.config.world_writable() {
            zkc::Acls::creator_all()
        } else {
            zkc::Acls::anyone_all()
        }
    }

    /// A ZooKeeper error on `path` as a store error that says what to do.
    pub fn error(&self, path: &str, e: zkc::Error) -> StoreError {
        let servers = self.config.servers_text();
        match e {
            zkc::Error::BadVersion | zkc::Error::NodeExists | zkc::Error::NoNode => {
                StoreError::Conflict { key: path.into() }
            }
            zkc::Error::NoAuth => StoreError::Unavailable(format!(
                "ZooKeeper {servers} denies access to {path}: {}",
                identity_hint(&self.config)
            )),
            zkc::Error::AuthFailed => StoreError::Unavailable(format!(
                "ZooKeeper {servers} rejected the credentials of \
                 high-availability.zookeeper.client.digest.username"
            )),
            zkc::Error::SessionExpired | zkc::Error::ClientClosed => {
                StoreError::LeadershipLost(format!("the ZooKeeper session with {servers} expired"))
            }
            zkc::Error::ConnectionLoss | zkc::Error::Timeout | zkc::Error::NoHosts => {
                unreachable(&servers, &e.to_string())
            }
            e => StoreError::Unavailable(format!("ZooKeeper {servers}, {path}: {e}")),
        }
    }

    /// Creates the base path (with its parents), its marker and the
    /// `workers` and `leader` directories; refuses a base that holds
    /// something else.
    pub async fn ensure_layout(&self) -> Result<(), StoreError> {
        let base = self.base();
        let acls = self.acls();
        let options = zkc::CreateMode::Persistent.with_acls(acls);
        let exists = self
            .bounded(self.client.check_stat(base))
            .await
            .map_err(|e| self.error(base, e))?;
        if exists.is_none() {
            if let Some((parent, _)) = base.rsplit_once('/').filter(|(p, _)| !p.is_empty()) {
                // The parents (`/flink/<cluster-id>`) are Flink's too: its
                // JobManager creates its own nodes there, authenticated or
                // not, so they stay open. Nobody else can remove the base
                // (it is never empty, and its children are ours alone).
                let open = zkc::CreateMode::Persistent.with_acls(zkc::Acls::anyone_all());
                self.bounded(self.client.mkdir(parent, &open))
                    .await
                    .map_err(|e| self.error(parent, e))?;
            }
            match self
                .bounded(self.client.create(base, &marker(), &options))
                .await
            {
                Ok(_) | Err(zkc::Error::NodeExists) => {}
                Err(e) => return Err(self.error(base, e)),
            }
        }
        self.check_layout().await?;
        for dir in [WORKERS, LEADER] {
            let path = self.path(dir);
            match self.bounded(self.client.create(&path, b"", &options)).await {
                Ok(_) | Err(zkc::Error::NodeExists) => {}
                Err(e) => return Err(self.error(&path, e)),
            }
        }
        Ok(())
    }

    /// `false`: nothing at the base path. An error: something else is there.
    pub async fn check_layout(&self) -> Result<bool, StoreError> {
        let base = self.base();
        let data = match self.bounded(self.client.get_data(base)).await {
            Ok((data, _)) => data,
            Err(zkc::Error::NoNode) => return Ok(false),
            Err(e) => return Err(self.error(base, e)),
        };
        let foreign = |what: String| StoreError::Corrupt {
            key: base.to_string(),
            message: format!(
                "{what}: this is not a flink-mesos worker store; point \
                 high-availability.cluster-id or high-availability.zookeeper.path.mesos-workers \
                 elsewhere, or remove it"
            ),
        };
        if !data.is_empty() {
            let kind = serde_json::from_slice::<serde_json::Value>(&data)
                .ok()
                .and_then(|v| v["kind"].as_str().map(str::to_string));
            if kind.as_deref() != Some(MARKER_KIND) {
                return Err(foreign("it holds other data".into()));
            }
        }
        let children = self
            .bounded(self.client.list_children(base))
            .await
            .map_err(|e| self.error(base, e))?;
        let strange: Vec<&String> = children
            .iter()
            .filter(|c| {
                ![
                    FRAMEWORK_ID,
                    TASK_COUNT,
                    FAILED_TASKS,
                    FLOOR,
                    WORKERS,
                    LEADER,
                ]
                .contains(&c.as_str())
            })
            .collect();
        if !strange.is_empty() {
            let names: Vec<&str> = strange.iter().take(5).map(|s| s.as_str()).collect();
            return Err(foreign(format!(
                "it has other children ({})",
                names.join(", ")
            )));
        }
        Ok(true)
    }

    /// Whether anyone but this store's ZooKeeper user can change `path`
    /// (write it or change its ACL) or replace it (create and delete in
    /// the base): always without credentials.
    async fn others_can_write(&self, path: &str) -> Result<bool, StoreError> {
        if self.config.world_writable() {
            return Ok(true);
        }
        let user = self.config.digest.as_ref().map(|(user, _)| user.as_str());
        // The servers name a Kerberos client by its principal, or without
        // its realm and host (`kerberos.removeRealmFromPrincipal`, …).
        let kerberos_ids: Vec<String> = self
            .config
            .kerberos
            .iter()
            .flat_map(|k| {
                let no_realm = k.principal.split('@').next().unwrap_or_default();
                let primary = no_realm.split('/').next().unwrap_or_default();
                [
                    k.principal.clone(),
                    no_realm.to_string(),
                    primary.to_string(),
                ]
            })
            .filter(|id| !id.is_empty())
            .collect();
        let ours = |acl: &zkc::Acl| match acl.scheme() {
            "digest" => user.is_some_and(|user| {
                acl.id()
                    .strip_prefix(user)
                    .is_some_and(|rest| rest.starts_with(':'))
            }),
            "sasl" => Some(acl.id()) == user || kerberos_ids.iter().any(|id| id == acl.id()),
            _ => false,
        };
        for (node, rights) in [
            (path, [zkc::Permission::WRITE, zkc::Permission::ADMIN]),
            (
                self.base(),
                [zkc::Permission::CREATE, zkc::Permission::DELETE],
            ),
        ] {
            let (acls, _) = self
                .bounded(self.client.get_acl(node))
                .await
                .map_err(|e| self.error(node, e))?;
            if acls
                .iter()
                .any(|acl| rights.iter().any(|r| acl.permission().has(*r)) && !ours(acl))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// One node's data and version; `None` when it does not exist.
    async fn read_node(&self, path: &str) -> Result<Option<(Vec<u8>, i32)>, StoreError> {
        match self.bounded(self.client.get_data(path)).await {
            Ok((data, stat)) => Ok(Some((data, stat.version))),
            Err(zkc::Error::NoNode) => Ok(None),
            Err(e) => Err(self.error(path, e)),
        }
    }

    /// Reads everything under the base; `None` when there is no store.
    pub async fn read(&self) -> Result<Option<Contents>, StoreError> {
        if !self.check_layout().await? {
            return Ok(None);
        }
        let mut contents = Contents::default();
        let fw = self.path(FRAMEWORK_ID);
        match self.bounded(self.client.get_data(&fw)).await {
            Ok((data, stat)) => {
                let (id, identity) = record::decode_framework(&fw, &data)?;
                contents.framework_id = Some((id, stat.version));
                contents.framework_identity = identity;
                contents.framework_others_can_write = self.others_can_write(&fw).await?;
            }
            Err(zkc::Error::NoNode) => {}
            Err(e) => return Err(self.error(&fw, e)),
        }
        let count = self.path(TASK_COUNT);
        if let Some((data, version)) = self.read_node(&count).await? {
            contents.task_count = Some((record::decode_number(&count, &data)?, version));
        }
        let failed = self.path(FAILED_TASKS);
        if let Some((data, version)) = self.read_node(&failed).await? {
            contents.failed_tasks = Some((record::decode_count(&failed, &data)?, version));
        }
        let floor = self.path(FLOOR);
        if let Some((data, version)) = self.read_node(&floor).await? {
            contents.floor = Some((record::decode_count(&floor, &data)?, version));
        }
        let dir = self.path(WORKERS);
        let mut ids = match self.bounded(self.client.list_children(&dir)).await {
            Ok(ids) => ids,
            Err(zkc::Error::NoNode) => Vec::new(),
            Err(e) => return Err(self.error(&dir, e)),
        };
        ids.sort();
        // Chunks are read concurrently (the client pipelines them on the
        // one connection).
        let mut reads = tokio::task::JoinSet::new();
        for (n, chunk) in ids.chunks(READ_CHUNK).enumerate() {
            let zk = self.clone();
            let paths: Vec<String> = chunk.iter().map(|id| self.worker_path(id)).collect();
            reads.spawn(async move {
                let mut reader = zk.client.new_multi_reader();
                for p in &paths {
                    reader.add_get_data(p)?;
                }
                zk.bounded(reader.commit()).await.map(|r| (n, paths, r))
            });
        }
        let mut chunks = Vec::new();
        while let Some(joined) = reads.join_next().await {
            let (n, paths, results) = joined
                .map_err(|e| StoreError::Unavailable(format!("reading the workers: {e}")))?
                .map_err(|e| self.error(&dir, e))?;
            chunks.push((n, paths, results));
        }
        chunks.sort_by_key(|(n, _, _)| *n);
        for (_, paths, results) in chunks {
            for (path, result) in paths.iter().zip(results) {
                match result {
                    zkc::MultiReadResult::Data { data, stat } => {
                        match record::decode_record(path, &data) {
                            Ok(record) => contents.workers.push((record, stat.version)),
                            // One unreadable record must not stop the
                            // appmaster for good: it is left out, named.
                            Err(e) => {
                                let id = path.rsplit('/').next().unwrap_or(path).to_string();
                                tracing::error!(
                                    record = %path,
                                    "{e}; the record is left out (quarantined): its task, if it \
                                     runs, is killed as unknown and replaced; `flink-mesos workers \
                                     forget {id}` removes the record"
                                );
                                contents.damaged.push((id, e.to_string(), stat.version));
                            }
                        }
                    }
                    // Removed between listing and reading.
                    zkc::MultiReadResult::Error {
                        err: zkc::Error::NoNode,
                    } => {}
                    zkc::MultiReadResult::Error { err } => return Err(self.error(path, err)),
                    other => {
                        return Err(StoreError::Unavailable(format!(
                            "ZooKeeper answered {other:?} for {path}"
                        )))
                    }
                }
            }
        }
        Ok(Some(contents))
    }
}

fn marker() -> Vec<u8> {
    format!(r#"{{"format":{},"kind":"{MARKER_KIND}"}}"#, record::FORMAT).into_bytes()
}

fn unreachable(servers: &str, why: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "cannot reach ZooKeeper {servers} (high-availability.zookeeper.quorum): {why}; is it \
         running and reachable from here?"
    ))
}

/// One operation of a `multi`.
#[derive(Debug, Clone)]
enum Op {
    Create {
        path: String,
        data: Vec<u8>,
    },
    Set {
        path: String,
        data: Vec<u8>,
        version: i32,
    },
    Delete {
        path: String,
        version: i32,
    },
}

impl Op {
    fn path(&self) -> &str {
        match self {
            Op::Create { path, .. } | Op::Set { path, .. } | Op::Delete { path, .. } => path,
        }
    }

    fn size(&self) -> usize {
        self.path().len()
            + match self {
                Op::Create { data, .. } | Op::Set { data, .. } => data.len() + 64,
                Op::Delete { .. } => 16,
            }
    }

    /// The node's version after this operation (`None`: deleted).
    fn version_after(&self) -> Option<i32> {
        match self {
            Op::Create { .. } => Some(0),
            Op::Set { version, .. } => Some(version + 1),
            Op::Delete { .. } => None,
        }
    }
}

/// The [`WorkerStore`] in ZooKeeper.
pub struct ZkStore {
    zk: Zk,
    /// The leader latch every write checks; `None` for operator tools.
    fence: Option<String>,
    /// Data version per absolute path, as last read or written.
    versions: HashMap<String, i32>,
    /// `(launched_at, restarts)` per task id, as stored.
    meta: HashMap<String, (Option<String>, u32)>,
    /// Workers read at load that this handle has not written since.
    recovered: HashSet<String>,
}

impl ZkStore {
    /// A store for the leader holding `latch`: every write checks it.
    pub fn for_leader(zk: Zk, latch: String) -> ZkStore {
        ZkStore::new(zk, Some(latch))
    }

    /// A store without fencing (operator tools, tests).
    pub fn new(zk: Zk, fence: Option<String>) -> ZkStore {
        ZkStore {
            zk,
            fence,
            versions: HashMap::new(),
            meta: HashMap::new(),
            recovered: HashSet::new(),
        }
    }

    pub fn zk(&self) -> &Zk {
        &self.zk
    }

    /// Reads everything with the store's metadata (for `workers list`).
    pub async fn load_records(&mut self) -> Result<Option<Contents>, StoreError> {
        let contents = if self.fence.is_some() {
            self.zk.ensure_layout().await?;
            // The server we talk to may lag behind the previous leader's last
            // writes: catch up before reading what we will write over.
            let base = self.zk.base().to_string();
            self.zk
                .client()
                .sync(&base)
                .await
                .map_err(|e| self.zk.error(&base, e))?;
            Some(self.zk.read().await?.unwrap_or_default())
        } else {
            self.zk.read().await?
        };
        self.versions.clear();
        self.meta.clear();
        self.recovered.clear();
        if let Some(c) = &contents {
            if let Some((_, v)) = &c.framework_id {
                self.versions.insert(self.zk.path(FRAMEWORK_ID), *v);
            }
            if let Some((_, v)) = &c.task_count {
                self.versions.insert(self.zk.path(TASK_COUNT), *v);
            }
            for (id, _, v) in &c.damaged {
                self.versions.insert(self.zk.worker_path(id), *v);
            }
            if let Some((_, v)) = &c.failed_tasks {
                self.versions.insert(self.zk.path(FAILED_TASKS), *v);
            }
            if let Some((_, v)) = &c.floor {
                self.versions.insert(self.zk.path(FLOOR), *v);
            }
            for (r, v) in &c.workers {
                let id = &r.worker.task_id;
                self.versions.insert(self.zk.worker_path(id), *v);
                self.meta
                    .insert(id.clone(), (r.launched_at.clone(), r.restarts));
                self.recovered.insert(id.clone());
            }
        }
        Ok(contents)
    }

    fn op_write(&self, pending: &HashMap<String, Option<i32>>, path: String, data: Vec<u8>) -> Op {
        let version = match pending.get(&path) {
            Some(v) => *v,
            None => self.versions.get(&path).copied(),
        };
        match version {
            Some(version) => Op::Set {
                path,
                data,
                version,
            },
            None => Op::Create { path, data },
        }
    }

    fn op_delete(&self, pending: &HashMap<String, Option<i32>>, path: String) -> Option<Op> {
        let version = match pending.get(&path) {
            Some(v) => *v,
            None => self.versions.get(&path).copied(),
        }?;
        Some(Op::Delete { path, version })
    }

    async fn commit(&mut self, batch: Vec<Write>) -> Result<(), StoreError> {
        let mut ops = Vec::new();
        let mut pending: HashMap<String, Option<i32>> = HashMap::new();
        // Metadata changes, applied once the batch is stored (`None`: gone).
        let mut meta: HashMap<String, Option<(Option<String>, u32)>> = HashMap::new();
        for write in batch {
            let op = match write {
                Write::Worker(worker) => {
                    let id = &worker.task_id;
                    // The first write of a recovered worker by this leader.
                    let first_write = !meta.contains_key(id) && self.recovered.contains(id);
                    let (launched_at, restarts) = match meta.get(id) {
                        Some(m) => m.clone().unwrap_or((None, 0)),
                        None => self.meta.get(id).cloned().unwrap_or((None, 0)),
                    };
                    let launched_at = launched_at.or_else(|| {
                        matches!(worker.state, WorkerState::Launched | WorkerState::Running)
                            .then(|| record::rfc3339(SystemTime::now()))
                    });
                    let restarts = restarts + u32::from(first_write);
                    meta.insert(id.clone(), Some((launched_at.clone(), restarts)));
                    let path = self.zk.worker_path(&worker.task_id);
                    let data = record::encode_record(&StoredWorker {
                        worker,
                        launched_at,
                        restarts,
                    });
                    Some(self.op_write(&pending, path, data))
                }
                Write::RemoveWorker(id) => {
                    let path = self.zk.worker_path(&id);
                    meta.insert(id, None);
                    self.op_delete(&pending, path)
                }
                Write::NextTaskNumber(n) => Some(self.op_write(
                    &pending,
                    self.zk.path(TASK_COUNT),
                    record::encode_number(n),
                )),
                Write::FailedTasks(n) => Some(self.op_write(
                    &pending,
                    self.zk.path(FAILED_TASKS),
                    record::encode_number(u64::from(n)),
                )),
                Write::Floor(n) => Some(self.op_write(
                    &pending,
                    self.zk.path(FLOOR),
                    record::encode_number(u64::from(n)),
                )),
                Write::FrameworkId(Some((id, identity))) => Some(self.op_write(
                    &pending,
                    self.zk.path(FRAMEWORK_ID),
                    record::encode_framework(&id, &identity),
                )),
                Write::FrameworkId(None) => self.op_delete(&pending, self.zk.path(FRAMEWORK_ID)),
            };
            if let Some(op) = op {
                pending.insert(op.path().to_string(), op.version_after());
                ops.push(op);
            }
        }
        // Large batches (framework removal with thousands of workers) are
        // split; each part is atomic and fenced.
        let mut start = 0;
        while start < ops.len() {
            let mut end = start;
            let mut bytes = 0;
            while end < ops.len()
                && end - start < MAX_OPS
                && (end == start || bytes + ops[end].size() <= MAX_BYTES)
            {
                bytes += ops[end].size();
                end += 1;
            }
            self.commit_chunk(&ops[start..end]).await?;
            start = end;
        }
        for (id, m) in meta {
            self.recovered.remove(&id);
            match m {
                Some(m) => self.meta.insert(id, m),
                None => self.meta.remove(&id),
            };
        }
        Ok(())
    }

    async fn commit_chunk(&mut self, ops: &[Op]) -> Result<(), StoreError> {
        let offset = usize::from(self.fence.is_some());
        let mut after_loss = false;
        let deadline = tokio::time::Instant::now() + self.zk.config.session_timeout;
        loop {
            let result = {
                let mut writer = self.zk.client.new_multi_writer();
                let mut build = || -> Result<(), zkc::Error> {
                    if let Some(fence) = &self.fence {
                        writer.add_check_version(fence, -1)?;
                    }
                    let options = zkc::CreateMode::Persistent.with_acls(self.zk.acls());
                    for op in ops {
                        match op {
                            Op::Create { path, data } => writer.add_create(path, data, &options)?,
                            Op::Set {
                                path,
                                data,
                                version,
                            } => writer.add_set_data(path, data, Some(*version))?,
                            Op::Delete { path, version } => {
                                writer.add_delete(path, Some(*version))?
                            }
                        }
                    }
                    Ok(())
                };
                build().map_err(|e| self.zk.error(self.zk.base(), e))?;
                match tokio::time::timeout_at(deadline, writer.commit()).await {
                    Ok(r) => r,
                    Err(_) => return Err(self.gone_too_long()),
                }
            };
            let failure = match result {
                Ok(_) => {
                    self.settle(ops);
                    return Ok(());
                }
                Err(zkc::MultiWriteError::RequestFailed { source }) => (None, source),
                Err(zkc::MultiWriteError::OperationFailed { index, source }) => {
                    (Some(index), source)
                }
            };
            match failure {
                (_, zkc::Error::ConnectionLoss) => {
                    tracing::warn!(
                        zookeeper = %self.zk.config.servers_text(),
                        "lost the connection to ZooKeeper during a write; waiting for the session"
                    );
                    self.wait_connected(deadline).await?;
                    after_loss = true;
                    match self.already_applied(ops).await? {
                        Some(true) => return Ok(()),
                        Some(false) => {}
                        None => continue,
                    }
                }
                (Some(index), _) if index < offset => {
                    return Err(StoreError::LeadershipLost(format!(
                        "the leader latch {} is gone: another appmaster leads now",
                        self.fence.as_deref().unwrap_or("")
                    )))
                }
                (Some(index), source) => {
                    if after_loss {
                        match self.already_applied(ops).await? {
                            Some(true) => return Ok(()),
                            Some(false) => {}
                            None => continue,
                        }
                    }
                    let path = ops
                        .get(index - offset)
                        .map(Op::path)
                        .unwrap_or(self.zk.base());
                    return Err(self.zk.error(path, source));
                }
                (None, source) => {
                    let e = self.zk.error(self.zk.base(), source);
                    return Err(match e {
                        StoreError::LeadershipLost(m) if self.fence.is_none() => {
                            StoreError::Unavailable(m)
                        }
                        e => e,
                    });
                }
            }
        }
    }

    fn gone_too_long(&self) -> StoreError {
        let message = format!(
            "ZooKeeper {} was unreachable for longer than the session timeout ({:?})",
            self.zk.config.servers_text(),
            self.zk.config.session_timeout
        );
        if self.fence.is_some() {
            StoreError::LeadershipLost(message)
        } else {
            StoreError::Unavailable(message)
        }
    }

    /// Waits until the session is connected again, or fails when it ended
    /// or `deadline` passed.
    async fn wait_connected(&self, deadline: tokio::time::Instant) -> Result<(), StoreError> {
        let mut states = self.zk.client.state_watcher();
        let mut state = states.state();
        loop {
            match state {
                zkc::SessionState::SyncConnected => return Ok(()),
                s if s.is_terminated() => {
                    return Err(self.zk.error(self.zk.base(), zkc::Error::SessionExpired))
                }
                _ => {}
            }
            state = match tokio::time::timeout_at(deadline, states.changed()).await {
                Ok(s) => s,
                Err(_) => return Err(self.gone_too_long()),
            };
        }
    }

    /// After a connection loss: whether the lost write happened after all
    /// (every node it touched holds what it wrote). Adopts the versions if so.
    async fn already_applied(&mut self, ops: &[Op]) -> Result<Option<bool>, StoreError> {
        // What each node must hold now: the last operation on it decides
        // (a batch may write one worker twice).
        let mut last: Vec<&Op> = Vec::new();
        for op in ops.iter().rev() {
            if !last.iter().any(|o| o.path() == op.path()) {
                last.push(op);
            }
        }
        let mut seen = Vec::new();
        for op in last {
            let read = self.zk.bounded(self.zk.client.get_data(op.path())).await;
            match (op, read) {
                (Op::Create { data, .. } | Op::Set { data, .. }, Ok((now, stat)))
                    if now == *data =>
                {
                    seen.push((op.path().to_string(), Some(stat.version)))
                }
                (Op::Delete { .. }, Err(zkc::Error::NoNode)) => {
                    seen.push((op.path().to_string(), None))
                }
                (_, Ok(_)) | (_, Err(zkc::Error::NoNode)) => return Ok(Some(false)),
                // Lost again: wait for the session once more.
                (_, Err(zkc::Error::ConnectionLoss)) => return Ok(None),
                (_, Err(e)) => return Err(self.zk.error(op.path(), e)),
            }
        }
        for (path, version) in seen {
            match version {
                Some(v) => self.versions.insert(path, v),
                None => self.versions.remove(&path),
            };
        }
        tracing::info!("the write interrupted by the connection loss had been applied");
        Ok(Some(true))
    }

    fn settle(&mut self, ops: &[Op]) {
        for op in ops {
            match op.version_after() {
                Some(v) => self.versions.insert(op.path().to_string(), v),
                None => self.versions.remove(op.path()),
            };
        }
    }
}

impl WorkerStore for ZkStore {
    async fn load(&mut self) -> Result<Snapshot, StoreError> {
        let contents = self.load_records().await?.ok_or_else(|| {
            StoreError::Unavailable(format!(
                "nothing is stored at {} in ZooKeeper {}: no appmaster ran with this \
             high-availability.cluster-id and high-availability.zookeeper.path.* yet",
                self.zk.base(),
                self.zk.config.servers_text()
            ))
        })?;
        let framework = contents.framework_id.as_ref().map(|_| FrameworkRecord {
            identity: contents.framework_identity.clone(),
            location: format!(
                "{} in ZooKeeper {}",
                self.zk.path(FRAMEWORK_ID),
                self.zk.config.servers_text()
            ),
            others_can_write: contents.framework_others_can_write,
        });
        Ok(Snapshot {
            framework,
            framework_id: contents.framework_id.map(|(id, _)| id),
            next_task_number: contents.task_count.map_or(0, |(n, _)| n),
            failed_tasks: contents.failed_tasks.map_or(0, |(n, _)| n),
            floor: contents.floor.map(|(n, _)| n),
            workers: contents
                .workers
                .into_iter()
                .map(|(r, _)| r.worker)
                .collect(),
        })
    }

    async fn apply(&mut self, batch: Vec<Write>) -> Result<(), StoreError> {
        self.commit(batch).await
    }

    async fn put_worker(&mut self, worker: &Worker) -> Result<(), StoreError> {
        self.commit(vec![Write::Worker(worker.clone())]).await
    }

    async fn remove_worker(&mut self, task_id: &str) -> Result<(), StoreError> {
        self.commit(vec![Write::RemoveWorker(task_id.to_string())])
            .await
    }

    async fn set_next_task_number(&mut self, n: u64) -> Result<(), StoreError> {
        self.commit(vec![Write::NextTaskNumber(n)]).await
    }

    async fn set_failed_tasks(&mut self, n: u32) -> Result<(), StoreError> {
        self.commit(vec![Write::FailedTasks(n)]).await
    }

    async fn set_floor(&mut self, n: u32) -> Result<(), StoreError> {
        self.commit(vec![Write::Floor(n)]).await
    }

    async fn set_framework_id(
        &mut self,
        id: &str,
        identity: &FrameworkIdentity,
    ) -> Result<(), StoreError> {
        self.commit(vec![Write::FrameworkId(Some((
            id.to_string(),
            identity.clone(),
        )))])
        .await
    }

    async fn clear_framework_id(&mut self) -> Result<(), StoreError> {
        self.commit(vec![Write::FrameworkId(None)]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_join_whatever_slashes() {
        assert_eq!(
            base_path("/flink", "/default", "/mesos-workers"),
            "/flink/default/mesos-workers"
        );
        assert_eq!(base_path("flink/", "c1", "w"), "/flink/c1/w");
        assert_eq!(base_path("/", "/", "/w/"), "/w");
    }
}
