//! Configuration overlays (the seed's "Startup script and configuration
//! overlays"): what every worker needs from the appmaster's machine, turned
//! into files for the artifact server, fetcher URIs, environment variables
//! and configuration rewrites.
//!
//! | overlay | when | served as | on the worker |
//! |---|---|---|---|
//! | flink-mesos | the task command starts with the bare word `flink-mesos` (the default) | `flink-mesos` (executable, cached) | the command runs `"${MESOS_SANDBOX:-.}/flink-mesos"` |
//! | Flink distribution | a Flink home is known, no container image, the command has no `--flink-home` | `flink-dist.tar` (`flink/{bin,lib,plugins,conf,usrlib}`, cached, extracted) | `FLINK_HOME=flink` |
//! | TaskManager configuration | always | in the TaskInfo (`FLINK_MESOS_CONF`, no fetch: it holds no secret); over 64 KiB `flink-mesos-conf.tar` (cached) | `flink-mesos-conf/config.yaml` (0600, written by the task's shell), `FLINK_CONF_DIR=flink-mesos-conf` |
//! | Hadoop configuration | `fs.hdfs.hadoopconf` or `$HADOOP_CONF_DIR` | `hadoop-conf.tar` | `HADOOP_CONF_DIR=hadoop-conf`, `fs.hdfs.hadoopconf: hadoop-conf` |
//! | Kerberos | `security.kerberos.login.keytab`, `security.kerberos.krb5-conf.path` | `krb5.keytab`, `krb5.conf` | keys rewritten; `-Djava.security.krb5.conf=krb5.conf` |
//! | SSL stores | `security.ssl.{internal,rest}.{keystore,truststore}` | `ssl-<key>.<ext>` | keys rewritten to the sandbox copy |
//!
//! Paths on the worker are relative to the sandbox, which is the working
//! directory of the task and of the TaskManager JVM (as in Flink's own Mesos
//! overlays).
//!
//! The TaskManager configuration is the whole effective configuration of
//! the appmaster (every value not at its default, from files, environment
//! and `-D`) except the scheduler's own `mesos.*` keys ([`reaches_workers`]).
//! Secrets in it (SSL passwords, ...) leave it for the secrets bundle
//! ([`secrets`]): never in the TaskInfo, the command line, the environment
//! or a log.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::config::options::{self, Key};
use crate::config::settings::{Container, Settings};
use crate::config::{Config, Origin};
use crate::mesos::Uri;
use crate::scheduler::command;

use super::{secrets, ArtifactError, Registry};

/// Directory of the TaskManager configuration in the sandbox.
pub const CONF_DIR: &str = "flink-mesos-conf";
/// The environment variable that carries the TaskManager configuration in
/// the TaskInfo (removed again before the task command runs).
pub const CONF_ENV: &str = "FLINK_MESOS_CONF";
/// The largest configuration that travels in [`CONF_ENV`]: well below
/// Linux's limit of 128 KiB for one environment string (`MAX_ARG_STRLEN`);
/// a larger one is fetched from the artifact server.
const CONF_ENV_MAX: usize = 64 * 1024;

/// The shell text that writes [`CONF_ENV`] to `CONF_DIR/config.yaml` in
/// the sandbox (0600 in a 0700 directory, whatever the agent's umask) and
/// removes the variable: only the shell's builtins and `mkdir`, which every
/// image with a shell has.
fn conf_setup() -> String {
    // In the sandbox, which is not the working directory of a Docker
    // container (that is the image's WORKDIR; the sandbox is MESOS_SANDBOX).
    let dir = format!("\"${{MESOS_SANDBOX:-.}}/{CONF_DIR}\"");
    format!(
        "(umask 077 && mkdir -p {dir} && printf '%s' \"${CONF_ENV}\" > {dir}/config.yaml) && unset {CONF_ENV}"
    )
}

/// Directory of the shipped Flink distribution in the sandbox.
pub const FLINK_DIR: &str = "flink";
pub const HADOOP_DIR: &str = "hadoop-conf";

/// The `mesos.*` keys a TaskManager reads itself (the size of its
/// container); every other `mesos.*` key is the scheduler's alone.
const MESOS_KEYS_FOR_WORKERS: [Key; 4] = [
    Key::MesosResourcemanagerTasksMem,
    Key::MesosResourcemanagerTasksCpus,
    Key::MesosResourcemanagerTasksGpus,
    Key::MesosResourcemanagerTasksDisk,
];

/// Store options whose files are shipped, in every spelling (the
/// `security.ssl.internal.*` ones are read for the plain ones); the sandbox
/// name is made from the spelling.
const SSL_STORES: [Key; 4] = [
    Key::SecuritySslKeystore,
    Key::SecuritySslTruststore,
    Key::SecuritySslRestKeystore,
    Key::SecuritySslRestTruststore,
];

/// Every spelling of the [`SSL_STORES`] (older ones first).
fn ssl_store_keys() -> impl Iterator<Item = &'static str> {
    SSL_STORES.iter().flat_map(|key| {
        let def = key.def();
        def.fallback_keys.iter().copied().chain([def.key])
    })
}

/// The keys whose values are files (or, `fs.hdfs.hadoopconf`, a directory)
/// on the appmaster's host that Flink's JVMs read: the overlays ship them
/// to the workers; the JobManager gets them as absolute paths (it runs in
/// its own work directory, not where the appmaster was started).
pub fn host_file_keys() -> impl Iterator<Item = &'static str> {
    [
        Key::SecurityKerberosLoginKeytab.name(),
        Key::SecurityKerberosKrb5ConfPath.name(),
        Key::FsHdfsHadoopconf.name(),
    ]
    .into_iter()
    .chain(ssl_store_keys())
}

/// Whether a configuration key goes into the TaskManager configuration:
/// not flink-mesos' own ZooKeeper credentials (the worker store's; Flink's
/// own ZooKeeper settings do reach the workers), not the scheduler's
/// `mesos.*` keys.
pub fn reaches_workers(key: &str) -> bool {
    if options::appmaster_only(key) {
        return false;
    }
    !options::is_mesos_key(key) || MESOS_KEYS_FOR_WORKERS.iter().any(|k| k.name() == key)
}

/// What the overlays read.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    pub settings: &'a Settings,
    pub config: &'a Config,
    /// The Flink distribution of the appmaster (its JobManager's).
    pub flink_home: Option<&'a Path>,
    /// This executable.
    pub self_exe: Option<PathBuf>,
    /// Where archives are built (kept between runs: the distribution archive
    /// is rebuilt only when the distribution changed).
    pub work_dir: &'a Path,
    /// `$HADOOP_CONF_DIR` of the appmaster.
    pub hadoop_conf_dir: Option<PathBuf>,
}

/// One served file and how the fetcher treats it.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    pub name: String,
    pub path: PathBuf,
    pub executable: bool,
    pub extract: bool,
    pub cache: bool,
}

/// The overlays' contribution to every worker.
#[derive(Debug, Clone, Default)]
pub struct Overlays {
    pub artifacts: Vec<Artifact>,
    pub environment: Vec<(String, String)>,
    /// The task command, rewritten to run the shipped executable.
    pub command: String,
    /// Shell text every task runs before its bootstrap and command (writes
    /// the TaskManager configuration from the TaskInfo).
    pub setup: Option<String>,
    /// The keys of the shipped TaskManager configuration (for the log).
    pub conf_keys: Vec<String>,
    /// What each overlay did, for the log.
    pub notes: Vec<String>,
    /// What reaches the workers apart from the fetcher (see [`secrets`]).
    pub secrets: secrets::Bundle,
}

impl Overlays {
    pub fn registry(&self) -> Result<Registry, ArtifactError> {
        let mut r = Registry::default();
        for a in &self.artifacts {
            r.add(&a.name, &a.path)?;
        }
        Ok(r)
    }

    /// The fetcher URIs, given the server's base URL (`…/<id>/`).
    pub fn uris(&self, base_url: &str) -> Vec<Uri> {
        self.artifacts
            .iter()
            .map(|a| Uri {
                value: format!("{base_url}{}", a.name),
                executable: a.executable,
                extract: a.extract,
                cache: a.cache,
                output_file: None,
            })
            .collect()
    }
}

/// Builds every overlay (archives are written below `work_dir/artifacts`).
pub fn build(inputs: &Inputs) -> Result<Overlays, ArtifactError> {
    let dir = inputs.work_dir.join("artifacts");
    create_private_dir(&dir)?;
    let mut out = Overlays {
        command: inputs.settings.tasks.taskmanager_cmd.clone(),
        ..Overlays::default()
    };
    let mut conf: BTreeMap<String, String> = inputs
        .config
        .winners()
        .filter(|e| !matches!(e.origin, Origin::Default) && reaches_workers(&e.key))
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect();
    // "This host" on the appmaster's host is another host for a worker: a
    // TaskManager then advertises and binds its agent's address, as Flink's
    // Mesos mode did (Flink's shipped conf/ sets both to localhost).
    for key in [Key::TaskmanagerHost, Key::TaskmanagerBindHost] {
        if conf
            .get(key.name())
            .is_some_and(|v| crate::config::values::is_loopback_host(v))
        {
            conf.remove(key.name());
            out.notes.push(format!(
                "{key} is a loopback address here and is not shipped: each TaskManager uses its agent's address"
            ));
        }
    }

    // flink-mesos itself, wherever the task command runs it as a bare
    // `flink-mesos` (a compound command may run it after other commands).
    let runs_flink_mesos = command::runs(&out.command, "flink-mesos");
    let (shipped_command, bare) = command::rewrite_program(
        &out.command,
        "flink-mesos",
        "\"${MESOS_SANDBOX:-.}/flink-mesos\"",
    );
    if bare > 0 {
        match &inputs.self_exe {
            Some(exe) => {
                out.artifacts.push(Artifact {
                    name: "flink-mesos".into(),
                    path: exe.clone(),
                    executable: true,
                    extract: false,
                    cache: true,
                });
                out.command = shipped_command;
                out.notes.push(format!(
                    "workers fetch flink-mesos from the artifact server ({})",
                    exe.display()
                ));
                if let (Some(image), Some(true)) = (
                    inputs.settings.tasks.container.image(),
                    dynamically_linked(exe),
                ) {
                    tracing::warn!(
                        image,
                        executable = %exe.display(),
                        "the flink-mesos that workers fetch is dynamically linked (glibc): it cannot start in \
                         an image without a compatible glibc (Alpine, busybox, older distributions); run the \
                         appmaster from the static build (scripts/build-static.sh), or set \
                         mesos.resourcemanager.tasks.taskmanager-cmd to a flink-mesos of the image"
                    );
                }
                if cfg!(feature = "kerberos") {
                    tracing::warn!(
                        executable = %exe.display(),
                        "the flink-mesos that workers fetch is built with the `kerberos` feature and \
                         links MIT Kerberos' libgssapi_krb5.so.2, which every agent (and image) then \
                         needs to start a worker, though workers never use it; set \
                         mesos.resourcemanager.tasks.taskmanager-cmd to run a default build of \
                         flink-mesos that the agents have, or install libgssapi-krb5-2 there"
                    );
                }
            }
            None => out.notes.push(
                "this executable's path is unknown; workers need flink-mesos on their PATH".into(),
            ),
        }
    }

    // The Flink distribution.
    match (inputs.flink_home, flink_source(inputs.settings, &out.command)) {
        (_, FlinkSource::Given(how)) => out.notes.push(format!(
            "workers run Flink from {how}; the distribution is not shipped"
        )),
        (Some(home), FlinkSource::Shipped) if runs_flink_mesos => {
            let archive = dir.join("flink-dist.tar");
            let rebuilt = distribution_archive(home, &archive)?;
            out.artifacts.push(Artifact {
                name: "flink-dist.tar".into(),
                path: archive,
                executable: false,
                extract: true,
                cache: true,
            });
            out.environment
                .push(("FLINK_HOME".into(), FLINK_DIR.into()));
            out.notes.push(format!(
                "workers fetch the Flink distribution {} ({})",
                home.display(),
                if rebuilt { "archive built" } else { "archive up to date" }
            ));
        }
        (None, FlinkSource::Shipped) if runs_flink_mesos => out.notes.push(
            "no Flink distribution known (--flink-home / FLINK_HOME): workers need one of their own"
                .into(),
        ),
        _ => {}
    }

    // Hadoop configuration.
    let hadoop = conf
        .get(Key::FsHdfsHadoopconf.name())
        .map(PathBuf::from)
        .or_else(|| inputs.hadoop_conf_dir.clone());
    if let Some(hadoop) = hadoop {
        let archive = dir.join("hadoop-conf.tar");
        directory_archive(&hadoop, HADOOP_DIR, &archive)?;
        out.artifacts.push(Artifact {
            name: "hadoop-conf.tar".into(),
            path: archive,
            executable: false,
            extract: true,
            cache: false,
        });
        out.environment
            .push(("HADOOP_CONF_DIR".into(), HADOOP_DIR.into()));
        conf.insert(Key::FsHdfsHadoopconf.into(), HADOOP_DIR.into());
        out.notes.push(format!(
            "workers fetch the Hadoop configuration {}",
            hadoop.display()
        ));
    }

    // Kerberos keytab and krb5.conf.
    let keytab_key = Key::SecurityKerberosLoginKeytab.name();
    if let Some(keytab) = conf.get(keytab_key).cloned() {
        ship_secret_file(&mut out, &mut conf, keytab_key, &keytab, "krb5.keytab")?;
    }
    let krb5_key = Key::SecurityKerberosKrb5ConfPath.name();
    if let Some(krb5) = conf.get(krb5_key).cloned() {
        ship_file(&mut out, &dir, &mut conf, krb5_key, &krb5, "krb5.conf")?;
        let opts = conf
            .get(Key::EnvJavaOptsTaskmanager.name())
            .cloned()
            .unwrap_or_default();
        conf.insert(
            Key::EnvJavaOptsTaskmanager.into(),
            format!("{opts} -Djava.security.krb5.conf=krb5.conf")
                .trim()
                .to_string(),
        );
    }

    // SSL key and trust stores.
    for key in ssl_store_keys() {
        if let Some(file) = conf.get(key).cloned() {
            let ext = Path::new(&file)
                .extension()
                .and_then(|e| e.to_str())
                .filter(|e| e.chars().all(|c| c.is_ascii_alphanumeric()))
                .map(|e| format!(".{e}"))
                .unwrap_or_default();
            let name = format!(
                "ssl-{}{ext}",
                key.trim_start_matches(options::SSL_PREFIX)
                    .replace('.', "-")
            );
            ship_secret_file(&mut out, &mut conf, key, &file, &name)?;
        }
    }

    // TLS to ZooKeeper: the trust store and the client's key travel with
    // the secrets (the TaskManager JVM gets their paths, `zk_login`).
    if let Some(tls) = inputs.settings.ha.as_ref().and_then(|ha| ha.tls.as_ref()) {
        let mut files = vec![(
            Key::HighAvailabilityZookeeperClientSslTruststore,
            &tls.truststore,
            "zookeeper-truststore.pem",
        )];
        if let Some(keystore) = &tls.keystore {
            files.push((
                Key::HighAvailabilityZookeeperClientSslKeystore,
                keystore,
                "zookeeper-keystore.pem",
            ));
        }
        for (key, path, name) in files {
            ship_secret_file(
                &mut out,
                &mut conf,
                key.name(),
                &path.to_string_lossy(),
                name,
            )?;
        }
    }

    // Flink's ZooKeeper login with the digest credentials (creator ACLs):
    // a JAAS file that only the secrets bundle carries; the worker points
    // the TaskManager JVM at its private copy (`crate::flink::zk_login`).
    if let Some(jaas) = inputs.settings.ha.as_ref().and_then(|ha| ha.flink_jaas()) {
        out.secrets
            .generated
            .push((crate::flink::zk_login::JAAS_FILE.into(), jaas));
        out.notes.push(
            "the TaskManagers log in to ZooKeeper with the digest credentials (SASL DIGEST-MD5, high-availability.zookeeper.client.acl: creator): their JAAS file travels with their secrets".into(),
        );
    }

    // Secrets never go through the fetcher (see `secrets`): the secret
    // entries, and those naming a secret file, leave the shipped file.
    let secret_keys: Vec<String> = conf
        .iter()
        .filter(|(k, v)| {
            options::secret_part(k, v).is_some()
                || out
                    .secrets
                    .files
                    .iter()
                    .any(|(name, _)| v.as_str() == format!("{}/{name}", secrets::FILES_DIR))
        })
        .map(|(k, _)| k.clone())
        .collect();
    for key in secret_keys {
        if let Some(value) = conf.remove(&key) {
            out.secrets.entries.insert(key, value);
        }
    }
    if !out.secrets.is_empty() {
        out.notes.push(format!(
            "{} secret entries and {} secret files reach each worker once, fetched by `flink-mesos taskmanager` with the task's token into a private directory outside its sandbox",
            out.secrets.entries.len(),
            out.secrets.files.len()
        ));
        if !runs_flink_mesos {
            out.notes.push(
                "the task command does not run `flink-mesos taskmanager`: it must fetch its secrets itself (FLINK_MESOS_SECRETS_URL with FLINK_MESOS_SECRETS_TOKEN)".into(),
            );
        }
    }

    // The TaskManager configuration, last: the rewrites above are in it.
    // The secrets left it above (they reach each worker through the
    // secrets bundle), so it travels in the TaskInfo: the task's shell
    // writes it into the sandbox before anything else runs, and a worker
    // whose binaries are in its image (or on its agent) needs no fetch at
    // all (issue 28). Checked again here: a configuration that held a
    // secret, or one too large for an environment variable, goes through
    // the artifact server instead (never into the agent's shared cache
    // when it holds a secret).
    let holds_secret = conf
        .iter()
        .any(|(k, v)| options::secret_part(k, v).is_some());
    let text = conf_yaml(&conf);
    if !holds_secret && text.len() <= CONF_ENV_MAX {
        out.environment.push((CONF_ENV.into(), text));
        out.setup = Some(conf_setup());
        out.notes.push(format!(
            "workers get the TaskManager configuration ({} keys) in their TaskInfo ({CONF_ENV}), written to {CONF_DIR}/config.yaml by the task's shell: no fetch",
            conf.len()
        ));
    } else {
        let archive = dir.join("flink-mesos-conf.tar");
        write_conf_archive(&text, &archive)?;
        out.artifacts.push(Artifact {
            name: "flink-mesos-conf.tar".into(),
            path: archive,
            executable: false,
            extract: true,
            cache: !holds_secret,
        });
    }
    out.environment
        .push(("FLINK_CONF_DIR".into(), CONF_DIR.into()));
    out.conf_keys = conf.keys().cloned().collect();
    Ok(out)
}

/// Where the workers' Flink comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlinkSource {
    /// The worker has it: the text says where (for the log and
    /// `validate-conf`).
    Given(String),
    /// The artifact server ships the appmaster's distribution.
    Shipped,
}

/// Where the workers' Flink comes from, in this order: the task command's
/// `--flink-home`; `containerized.taskmanager.env.FLINK_HOME` (in the image
/// or on a volume); the container image (its own `FLINK_HOME`, as the
/// official Flink images set it); else the artifact server ships the
/// appmaster's distribution (`FLINK_HOME=flink` in the sandbox).
pub fn flink_source(settings: &Settings, command: &str) -> FlinkSource {
    if command.contains("--flink-home") {
        return FlinkSource::Given("the --flink-home of the task command".into());
    }
    if let Some((_, home)) = settings
        .tasks
        .environment
        .iter()
        .find(|(name, _)| name == "FLINK_HOME")
    {
        return FlinkSource::Given(format!(
            "FLINK_HOME={home} (containerized.taskmanager.env.FLINK_HOME: in the image or on a volume)"
        ));
    }
    match &settings.tasks.container {
        Container::Mesos { image: Some(image) } | Container::Docker { image, .. } => {
            FlinkSource::Given(format!("the container image {image} (its FLINK_HOME)"))
        }
        Container::Mesos { image: None } => FlinkSource::Shipped,
    }
}

/// The file `key` names, when it is one the workers can get a copy of.
fn shippable(key: &str, file: &str) -> Result<PathBuf, ArtifactError> {
    let path = PathBuf::from(file);
    if !path.is_file() {
        return Err(ArtifactError::File {
            path,
            message: format!("`{key}` names it, but it is not a readable file on the appmaster's machine; the workers get their copy from there"),
        });
    }
    Ok(path)
}

/// Whether the ELF executable at `path` is dynamically linked (has a
/// program interpreter, `PT_INTERP`); `None` when it cannot be read as a
/// 64-bit little-endian ELF file.
pub fn dynamically_linked(path: &Path) -> Option<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let mut header = [0u8; 64];
    f.read_exact(&mut header).ok()?;
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return None;
    }
    let u16_at = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
    let phoff = u64::from_le_bytes(header[32..40].try_into().ok()?);
    let (entsize, count) = (u16_at(&header, 54), u16_at(&header, 56));
    if entsize < 4 {
        return None;
    }
    f.seek(SeekFrom::Start(phoff)).ok()?;
    let mut table = vec![0u8; usize::from(entsize) * usize::from(count)];
    f.read_exact(&mut table).ok()?;
    const PT_INTERP: u32 = 3;
    Some(
        table
            .chunks_exact(usize::from(entsize))
            .any(|ph| u32::from_le_bytes([ph[0], ph[1], ph[2], ph[3]]) == PT_INTERP),
    )
}

/// Ships one file under `name` (a private copy in `dir`) and points `key`
/// at the sandbox copy.
fn ship_file(
    out: &mut Overlays,
    dir: &Path,
    conf: &mut BTreeMap<String, String>,
    key: &str,
    file: &str,
    name: &str,
) -> Result<(), ArtifactError> {
    let path = shippable(key, file)?;
    // A private copy taken now: the served file cannot be swapped later
    // (for a link to something else) by whoever can write the original's
    // directory.
    let copy = dir.join(name);
    let bytes = std::fs::read(&path).map_err(|e| ArtifactError::File {
        path: path.clone(),
        message: e.to_string(),
    })?;
    write_private(&copy, &bytes)?;
    out.artifacts.push(Artifact {
        name: name.into(),
        path: copy,
        executable: false,
        extract: false,
        cache: false,
    });
    conf.insert(key.into(), name.into());
    out.notes.push(format!("workers fetch `{key}` as {name}"));
    Ok(())
}

/// Ships one secret file in the secrets bundle (never through the fetcher)
/// and points `key` at it (`files/<name>`, which the worker replaces by
/// the path of its private copy).
fn ship_secret_file(
    out: &mut Overlays,
    conf: &mut BTreeMap<String, String>,
    key: &str,
    file: &str,
    name: &str,
) -> Result<(), ArtifactError> {
    let path = shippable(key, file)?;
    out.secrets.files.push((name.into(), path));
    conf.insert(key.into(), format!("{}/{name}", secrets::FILES_DIR));
    out.notes.push(format!(
        "workers receive `{key}` with their secrets, never through the fetcher"
    ));
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<(), ArtifactError> {
    crate::flink::conf::private_dir(dir).map_err(|e| ArtifactError::Archive {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })
}

/// `config.yaml` text: one `"key": "value"` line per entry. JSON strings
/// are valid YAML double-quoted scalars, so serde_json does the quoting and
/// no YAML emitter is needed for a flat map of strings.
pub fn conf_yaml(conf: &BTreeMap<String, String>) -> String {
    let mut text =
        String::from("# The TaskManager configuration, from the appmaster (flink-mesos).\n");
    for (k, v) in conf {
        let key = serde_json::Value::String(k.clone()).to_string();
        let value = serde_json::Value::String(v.clone()).to_string();
        text.push_str(&format!("{key}: {value}\n"));
    }
    text
}

fn archive_error(path: &Path) -> impl Fn(std::io::Error) -> ArtifactError + '_ {
    move |e| ArtifactError::Archive {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes `flink-mesos-conf/config.yaml` (0600, directory 0700) into a tar.
fn write_conf_archive(text: &str, archive: &Path) -> Result<(), ArtifactError> {
    let err = archive_error(archive);
    let mut builder = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o700);
    dir.set_size(0);
    dir.set_mtime(now_secs());
    builder
        .append_data(&mut dir, format!("{CONF_DIR}/"), std::io::empty())
        .map_err(&err)?;
    let mut file = tar::Header::new_gnu();
    file.set_mode(0o600);
    file.set_size(text.len() as u64);
    file.set_mtime(now_secs());
    builder
        .append_data(
            &mut file,
            format!("{CONF_DIR}/config.yaml"),
            text.as_bytes(),
        )
        .map_err(&err)?;
    let bytes = builder.into_inner().map_err(&err)?;
    write_private(archive, &bytes)
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Writes `archive` readable by its owner only (in its 0700 directory).
fn write_private(archive: &Path, bytes: &[u8]) -> Result<(), ArtifactError> {
    let err = |message: String| ArtifactError::Archive {
        path: archive.to_path_buf(),
        message,
    };
    let (Some(dir), Some(name)) = (archive.parent(), archive.file_name()) else {
        return Err(err("not a file path".into()));
    };
    crate::flink::conf::write_private(dir, &name.to_string_lossy(), bytes)
        .map(|_| ())
        .map_err(|e| err(e.to_string()))
}

/// The parts of a distribution a TaskManager needs.
const DIST_PARTS: [&str; 5] = ["bin", "lib", "plugins", "conf", "usrlib"];

/// Every regular file below `root`'s parts, sorted, with size and mtime.
fn dist_files(root: &Path) -> Vec<(PathBuf, u64, u128)> {
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = DIST_PARTS.iter().map(|p| root.join(p)).collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            // Follows symlinks: the archive is self-contained.
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let mtime = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                files.push((path, meta.len(), mtime));
            }
        }
    }
    files.sort();
    files
}

/// Builds `flink/{bin,lib,plugins,conf,usrlib}` of `home` into an
/// uncompressed tar, unless the archive already holds exactly these files
/// (a stamp of paths, sizes and modification times). Uncompressed because
/// the jars are compressed already: gzip would cost seconds of CPU at every
/// start and on every agent for a few percent of size (docs/artifacts.md).
/// Returns whether it was (re)built.
pub fn distribution_archive(home: &Path, archive: &Path) -> Result<bool, ArtifactError> {
    let err = archive_error(archive);
    let files = dist_files(home);
    if files.is_empty() {
        return Err(ArtifactError::Archive {
            path: archive.to_path_buf(),
            message: format!("{} holds no bin/, lib/ or conf/ files", home.display()),
        });
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    home.hash(&mut hasher);
    files.hash(&mut hasher);
    let stamp = format!("{:016x}\n", hasher.finish());
    let stamp_file = archive.with_extension("tar.stamp");
    if archive.is_file() && std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp) {
        return Ok(false);
    }
    let tmp = archive.with_extension("tar.tmp");
    let file = std::fs::File::create(&tmp).map_err(&err)?;
    let mut builder = tar::Builder::new(std::io::BufWriter::with_capacity(1 << 20, file));
    builder.follow_symlinks(true);
    for (path, _, _) in &files {
        let Ok(rel) = path.strip_prefix(home) else {
            continue;
        };
        let name = Path::new(FLINK_DIR).join(rel);
        if let Some(text) = without_secrets(home, rel) {
            // The distribution's own configuration file, less its secrets:
            // the archive is unpacked into every sandbox.
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o644);
            header.set_size(text.len() as u64);
            header.set_mtime(now_secs());
            builder
                .append_data(&mut header, &name, text.as_bytes())
                .map_err(&err)?;
            continue;
        }
        builder.append_path_with_name(path, name).map_err(&err)?;
    }
    let writer = builder.into_inner().map_err(&err)?;
    let file = writer.into_inner().map_err(|e| err(e.into_error()))?;
    file.sync_all().map_err(&err)?;
    std::fs::rename(&tmp, archive).map_err(&err)?;
    std::fs::write(&stamp_file, stamp).map_err(&err)?;
    Ok(true)
}

/// When `rel` is the distribution's Flink configuration file and holds a
/// secret (the classic layout keeps the operator's configuration in
/// `$FLINK_HOME/conf`), its text without the secret entries; `None` to ship
/// the file as it is.
fn without_secrets(home: &Path, rel: &Path) -> Option<String> {
    let name = rel.to_str()?;
    let standard = match name {
        "conf/config.yaml" => true,
        "conf/flink-conf.yaml" => false,
        _ => return None,
    };
    let mut config = Config::default();
    config.load_file(&home.join(rel), standard).ok()?;
    let secret =
        |e: &&crate::config::Entry| crate::config::options::secret_part(&e.key, &e.value).is_some();
    if !config.winners().any(|e| secret(&e)) {
        return None;
    }
    let kept: BTreeMap<String, String> = config
        .winners()
        .filter(|e| !secret(e))
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect();
    Some(if standard {
        conf_yaml(&kept)
    } else {
        kept.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
    })
}

/// The regular files directly in `dir` as `top/<name>` in a tar.
fn directory_archive(dir: &Path, top: &str, archive: &Path) -> Result<(), ArtifactError> {
    let err = archive_error(archive);
    let entries = std::fs::read_dir(dir).map_err(|e| ArtifactError::Archive {
        path: dir.to_path_buf(),
        message: format!("cannot read the directory: {e}"),
    })?;
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(true);
    let mut names: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    for path in names {
        if let Some(name) = path.file_name() {
            builder
                .append_path_with_name(&path, Path::new(top).join(name))
                .map_err(&err)?;
        }
    }
    let bytes = builder.into_inner().map_err(&err)?;
    write_private(archive, &bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dynamic_linking_is_read_from_the_elf_program_headers() {
        // This test binary is linked like the product: dynamically with
        // glibc, statically with musl.
        let exe = std::env::current_exe().unwrap();
        assert_eq!(
            dynamically_linked(&exe),
            Some(cfg!(not(target_env = "musl")))
        );
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("script");
        std::fs::write(&text, "#!/bin/sh\n").unwrap();
        assert_eq!(dynamically_linked(&text), None);
    }

    use super::*;

    fn load(dynamic: &[&str]) -> (Settings, Config) {
        crate::config::settings::for_tests(dynamic)
    }

    fn fake_home(dir: &Path) -> PathBuf {
        let home = dir.join("flink-home");
        for d in ["bin", "lib", "conf", "opt"] {
            std::fs::create_dir_all(home.join(d)).unwrap();
        }
        std::fs::write(home.join("lib/flink-dist-2.3.0.jar"), b"jar").unwrap();
        std::fs::write(home.join("bin/config.sh"), b"#!/bin/sh\n").unwrap();
        std::fs::write(home.join("opt/big.jar"), b"not shipped").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            home.join("bin/config.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        home
    }

    fn entries(archive: &Path) -> Vec<(String, u32)> {
        let mut a = tar::Archive::new(std::fs::File::open(archive).unwrap());
        a.entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().mode().unwrap() & 0o777,
                )
            })
            .collect()
    }

    #[test]
    fn default_command_ships_everything_and_the_whole_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let home = fake_home(dir.path());
        let exe = dir.path().join("flink-mesos-bin");
        std::fs::write(&exe, b"elf").unwrap();
        let (s, c) = load(&[
            "mesos.master=m:5050",
            "mesos.resourcemanager.framework.secret=fw-secret",
            "mesos.resourcemanager.tasks.mem=2048",
            "state.checkpoints.dir=file:///ckpt",
            "metrics.reporter.prom.factory.class=org.example.Prom",
            "security.ssl.internal.keystore-password=ks-pass",
            "high-availability.zookeeper.client.digest.username=am",
            "high-availability.zookeeper.client.digest.password=zk-digest-pass",
        ]);
        let o = build(&Inputs {
            settings: &s,
            config: &c,
            flink_home: Some(&home),
            self_exe: Some(exe),
            work_dir: dir.path(),
            hadoop_conf_dir: None,
        })
        .unwrap();
        assert_eq!(o.command, "\"${MESOS_SANDBOX:-.}/flink-mesos\" taskmanager");
        let names: Vec<&str> = o.artifacts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["flink-mesos", "flink-dist.tar"]);
        assert!(o.artifacts[0].executable && o.artifacts[0].cache);
        assert!(o
            .environment
            .contains(&("FLINK_HOME".into(), "flink".into())));
        assert!(o
            .environment
            .contains(&("FLINK_CONF_DIR".into(), CONF_DIR.into())));
        // The distribution: bin/lib/conf with their modes, no opt/.
        let dist = entries(&dir.path().join("artifacts/flink-dist.tar"));
        assert!(
            dist.contains(&("flink/bin/config.sh".into(), 0o755)),
            "{dist:?}"
        );
        assert!(dist
            .iter()
            .any(|(p, _)| p == "flink/lib/flink-dist-2.3.0.jar"));
        assert!(!dist.iter().any(|(p, _)| p.contains("opt")));
        // The configuration travels in the TaskInfo (no fetch), and the
        // task's shell writes it 0600 in a 0700 directory whatever the
        // umask; user keys and secrets the TaskManager needs, but no
        // scheduler keys.
        let (text, sandbox) = run_setup(&o);
        assert_eq!(
            std::fs::read_to_string(sandbox.path().join("flink-mesos-conf/config.yaml")).unwrap(),
            text
        );
        assert!(
            text.contains("\"state.checkpoints.dir\": \"file:///ckpt\""),
            "{text}"
        );
        assert!(text.contains("metrics.reporter.prom.factory.class"));
        assert!(text.contains("\"mesos.resourcemanager.tasks.mem\": \"2048\""));
        // No secret in the TaskInfo: the TaskManager's
        // passwords travel in the secrets bundle, the scheduler's not at all.
        assert!(
            !text.contains("ks-pass") && !text.contains("zk-digest-pass"),
            "{text}"
        );
        assert!(
            !text.contains("fw-secret") && !text.contains("mesos.master"),
            "{text}"
        );
        assert_eq!(
            o.secrets
                .entries
                .get("security.ssl.internal.keystore-password"),
            Some(&"ks-pass".to_string())
        );
        // The appmaster's own ZooKeeper credentials stay with it.
        assert!(!o
            .secrets
            .entries
            .contains_key("high-availability.zookeeper.client.digest.password"));
        assert!(!o
            .secrets
            .entries
            .contains_key("mesos.resourcemanager.framework.secret"));
        // Nothing secret anywhere but in the file.
        let visible = format!("{:?} {:?} {}", o.environment, o.notes, o.command);
        assert!(!visible.contains("ks-pass"));
        // A second build finds the archive up to date.
        let again =
            distribution_archive(&home, &dir.path().join("artifacts/flink-dist.tar")).unwrap();
        assert!(!again);
    }

    #[test]
    fn the_distributions_own_configuration_is_shipped_without_its_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let home = fake_home(dir.path());
        // Flink's classic layout: the operator's configuration in the home.
        std::fs::write(
            home.join("conf/config.yaml"),
            "env.java.opts.all: --add-opens=java.base/java.lang=ALL-UNNAMED\n\
             mesos.resourcemanager.framework.secret: fw-secret-in-home\n\
             security.ssl.internal.keystore-password: ks-pass-in-home\n",
        )
        .unwrap();
        std::fs::write(
            home.join("conf/log4j.properties"),
            "rootLogger.level = INFO\n",
        )
        .unwrap();
        let archive = dir.path().join("flink-dist.tar");
        distribution_archive(&home, &archive).unwrap();
        let mut a = tar::Archive::new(std::fs::File::open(&archive).unwrap());
        let mut texts = BTreeMap::new();
        for e in a.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().display().to_string();
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut e, &mut text);
            texts.insert(name, text);
        }
        let conf = &texts["flink/conf/config.yaml"];
        assert!(conf.contains("--add-opens"), "{conf}");
        assert!(
            !conf.contains("fw-secret-in-home") && !conf.contains("ks-pass-in-home"),
            "{conf}"
        );
        assert_eq!(
            texts["flink/conf/log4j.properties"],
            "rootLogger.level = INFO\n"
        );
    }

    /// The overlays with neither a Flink home, this executable nor Hadoop.
    fn bare(s: &Settings, c: &Config, work_dir: &Path) -> Overlays {
        bare_with_hadoop(s, c, work_dir, None)
    }

    /// The overlays with neither a Flink home nor this executable.
    fn bare_with_hadoop(
        s: &Settings,
        c: &Config,
        work_dir: &Path,
        hadoop_conf_dir: Option<PathBuf>,
    ) -> Overlays {
        build(&Inputs {
            settings: s,
            config: c,
            flink_home: None,
            self_exe: None,
            work_dir,
            hadoop_conf_dir,
        })
        .unwrap()
    }

    #[test]
    fn loopback_taskmanager_addresses_are_not_shipped_to_other_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let (s, c) = load(&[
            "mesos.master=m:5050",
            "mesos.resourcemanager.tasks.taskmanager-cmd=sleep 100",
            "taskmanager.host=localhost",
            "taskmanager.bind-host=127.0.0.1",
            "taskmanager.numberOfTaskSlots=2",
        ]);
        let o = bare(&s, &c, dir.path());
        assert!(
            !o.conf_keys
                .iter()
                .any(|k| k == "taskmanager.host" || k == "taskmanager.bind-host"),
            "{:?}",
            o.conf_keys
        );
        assert!(o
            .conf_keys
            .iter()
            .any(|k| k == "taskmanager.numberOfTaskSlots"));
        assert!(o
            .notes
            .iter()
            .any(|n| n.contains("taskmanager.host is a loopback address")));
        // A routable one is the operator's choice and is kept.
        let (s, c) = load(&[
            "mesos.master=m:5050",
            "mesos.resourcemanager.tasks.taskmanager-cmd=sleep 100",
            "taskmanager.bind-host=0.0.0.0",
        ]);
        let o = bare(&s, &c, dir.path());
        assert!(o.conf_keys.iter().any(|k| k == "taskmanager.bind-host"));
    }

    #[test]
    fn custom_command_and_image_ship_only_the_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let home = fake_home(dir.path());
        let (s, c) = load(&[
            "mesos.master=m:5050",
            "mesos.resourcemanager.tasks.taskmanager-cmd=/opt/fm/flink-mesos taskmanager",
            "mesos.resourcemanager.tasks.container.type=docker",
            "mesos.resourcemanager.tasks.container.image.name=flink:2.3",
        ]);
        let o = build(&Inputs {
            settings: &s,
            config: &c,
            flink_home: Some(&home),
            self_exe: Some(dir.path().join("x")),
            work_dir: dir.path(),
            hadoop_conf_dir: None,
        })
        .unwrap();
        assert_eq!(o.command, "/opt/fm/flink-mesos taskmanager");
        let names: Vec<&str> = o.artifacts.iter().map(|a| a.name.as_str()).collect();
        assert!(names.is_empty(), "nothing to fetch: {names:?}");
        let (text, _) = run_setup(&o);
        assert!(!text.contains("mesos.master"), "{text}");
    }

    /// Runs the overlays' setup as a task's shell would (in an empty
    /// sandbox, umask 000, with the overlays' environment; the working
    /// directory elsewhere, as in a Docker container) and returns the
    /// configuration it carried; asserts the modes it wrote and that the
    /// variable is gone for the command.
    fn run_setup(o: &Overlays) -> (String, tempfile::TempDir) {
        let text = o
            .environment
            .iter()
            .find(|(n, _)| n == CONF_ENV)
            .map(|(_, v)| v.clone())
            .expect("the configuration in the environment");
        let sandbox = tempfile::tempdir().unwrap();
        let setup = o.setup.as_deref().expect("a setup");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask 000; {setup} && echo \"[${{{CONF_ENV}-unset}}]\""
            ))
            .current_dir(std::env::temp_dir())
            .env("MESOS_SANDBOX", sandbox.path())
            .envs(o.environment.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "[unset]\n");
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            std::fs::metadata(sandbox.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("flink-mesos-conf"), 0o700);
        assert_eq!(mode("flink-mesos-conf/config.yaml"), 0o600);
        (text, sandbox)
    }

    #[test]
    fn a_configuration_too_large_for_the_environment_is_fetched_from_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let big = format!("env.java.opts.taskmanager={}", "-Dx=y ".repeat(12_000));
        let (s, c) = load(&[
            "mesos.master=m:5050",
            "mesos.resourcemanager.tasks.taskmanager-cmd=sleep 100",
            &big,
        ]);
        let o = bare(&s, &c, dir.path());
        assert!(o.setup.is_none());
        assert!(!o.environment.iter().any(|(n, _)| n == CONF_ENV));
        let names: Vec<&str> = o.artifacts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["flink-mesos-conf.tar"]);
        assert!(o.artifacts[0].cache && o.artifacts[0].extract);
        let conf = entries(&dir.path().join("artifacts/flink-mesos-conf.tar"));
        assert_eq!(
            conf,
            [
                ("flink-mesos-conf/".into(), 0o700),
                ("flink-mesos-conf/config.yaml".into(), 0o600)
            ]
        );
    }

    #[test]
    fn stores_keytabs_and_hadoop_conf_are_shipped_and_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let ks = dir.path().join("internal.jks");
        std::fs::write(&ks, b"ks").unwrap();
        let keytab = dir.path().join("flink.keytab");
        std::fs::write(&keytab, b"kt").unwrap();
        let hadoop = dir.path().join("hadoop");
        std::fs::create_dir_all(&hadoop).unwrap();
        std::fs::write(hadoop.join("core-site.xml"), b"<configuration/>").unwrap();
        let (s, c) = load(&[
            "mesos.master=m:5050",
            "mesos.resourcemanager.tasks.taskmanager-cmd=sleep 100",
            &format!("security.ssl.internal.keystore={}", ks.display()),
            &format!("security.kerberos.login.keytab={}", keytab.display()),
        ]);
        let o = bare_with_hadoop(&s, &c, dir.path(), Some(hadoop));
        let names: Vec<&str> = o.artifacts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["hadoop-conf.tar"]);
        // Key material never goes through the fetcher: it is in the
        // secrets bundle, the keys pointing at it there.
        let secret_files: Vec<&str> = o.secrets.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(secret_files, ["krb5.keytab", "ssl-internal-keystore.jks"]);
        assert_eq!(
            o.secrets.entries.get("security.ssl.internal.keystore"),
            Some(&"files/ssl-internal-keystore.jks".to_string())
        );
        assert!(o
            .environment
            .contains(&("HADOOP_CONF_DIR".into(), "hadoop-conf".into())));
        let hadoop_tar = entries(&dir.path().join("artifacts/hadoop-conf.tar"));
        assert_eq!(hadoop_tar[0].0, "hadoop-conf/core-site.xml");
        assert!(!o
            .conf_keys
            .contains(&"security.ssl.internal.keystore".to_string()));
        // A missing store is an error naming the key.
        let (s, c) = load(&[
            "mesos.master=m:5050",
            "security.ssl.internal.truststore=/nope/ts.jks",
        ]);
        let e = build(&Inputs {
            settings: &s,
            config: &c,
            flink_home: None,
            self_exe: None,
            work_dir: dir.path(),
            hadoop_conf_dir: None,
        })
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("security.ssl.internal.truststore") && e.contains("/nope/ts.jks"),
            "{e}"
        );
    }
}
