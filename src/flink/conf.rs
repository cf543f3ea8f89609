//! The configuration file a Flink JVM reads (`--configDir`): which entries
//! go into it, how they are written for the Flink version at hand, and
//! writing it privately (it may hold secrets such as keystore passwords).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{FlinkError, FlinkVersion};
use crate::config::options::{self, Key};
use crate::config::Config;

/// An ordered set of Flink configuration entries (key → value). flink-mesos
/// reads and sets declared options by [`Key`]; keys from outside (the
/// user's configuration, Flink has hundreds) go in by name
/// ([`FlinkConf::insert`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlinkConf(BTreeMap<String, String>);

impl FlinkConf {
    pub fn new() -> Self {
        FlinkConf::default()
    }

    /// The value of `key`, under its own spelling.
    pub fn get(&self, key: Key) -> Option<&str> {
        self.0.get(key.name()).map(String::as_str)
    }

    /// Sets `key`, replacing what was there.
    pub fn set(&mut self, key: Key, value: impl Into<String>) {
        self.0.insert(key.name().to_string(), value.into());
    }

    /// Sets `key` unless the configuration has it.
    pub fn set_default(&mut self, key: Key, value: impl FnOnce() -> String) {
        self.0.entry(key.name().to_string()).or_insert_with(value);
    }

    pub fn remove(&mut self, key: Key) -> Option<String> {
        self.0.remove(key.name())
    }

    /// An entry by name, for keys from outside.
    pub fn insert(&mut self, key: String, value: String) {
        self.0.insert(key, value);
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }
}

impl std::ops::Index<&str> for FlinkConf {
    type Output = String;
    fn index(&self, key: &str) -> &String {
        &self.0[key]
    }
}

impl FromIterator<(String, String)> for FlinkConf {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        FlinkConf(iter.into_iter().collect())
    }
}

/// The entries of `config` that a Flink JVM should see: everything except
/// flink-mesos' own `mesos.*` keys (including the framework secret and the
/// master URL, which may carry a ZooKeeper password). A declared option that
/// has older spellings is written under its key and under every spelling
/// the user used, all with the value that wins in flink-mesos, so that any
/// Flink version reads the same value we validated.
pub fn flink_entries(config: &Config) -> FlinkConf {
    let mut out = FlinkConf::new();
    for entry in config.winners() {
        if options::is_mesos_key(&entry.key) || options::appmaster_only(&entry.key) {
            continue;
        }
        let value = match options::lookup(&entry.key) {
            Some(def) => config
                .get(def)
                .map_or_else(|| entry.value.clone(), |e| e.value.clone()),
            None => entry.value.clone(),
        };
        out.insert(entry.key.clone(), value.clone());
        // `options::lookup` resolves fallback spellings to their option.
        if let Some(def) = options::lookup(&entry.key) {
            if !def.fallback_keys.is_empty() && !options::is_mesos_key(def.key) {
                out.insert(def.key.to_string(), value);
            }
        }
    }
    out
}

/// The file name Flink `version` reads from its configuration directory.
pub fn file_name(version: FlinkVersion) -> &'static str {
    if version.reads_config_yaml() {
        crate::config::STANDARD_YAML
    } else {
        crate::config::LEGACY_YAML
    }
}

/// `value` of `key` as Flink `version` parses it: a declared duration that
/// this version still reads as a number of milliseconds
/// ([`options::OptionDef::millis_before`]; `cluster.registration.*` and the
/// ZooKeeper session timeout before Flink 1.20) is written as plain
/// milliseconds, which every version reads. Anything else, and a value
/// that is not a valid duration (validation reports it), is unchanged.
pub fn value_for(key: &str, value: &str, version: FlinkVersion) -> String {
    let Some((major, minor)) = options::lookup(key).and_then(|d| d.millis_before) else {
        return value.to_string();
    };
    if version >= FlinkVersion::new(major, minor, 0) {
        return value.to_string();
    }
    match crate::config::values::parse_duration(value) {
        Ok(d) => d.as_millis().to_string(),
        Err(_) => value.to_string(),
    }
}

/// Renders `conf` for `version`: standard YAML (`key: 'value'`, every value
/// a single-quoted string, which Flink converts to the option's type) for
/// Flink 1.19+, Flink's legacy `key: value` lines before; values in the
/// syntax that version parses ([`value_for`]).
pub fn render(conf: &FlinkConf, version: FlinkVersion) -> Result<String, String> {
    let mut out = String::from(
        "# Written by flink-mesos: the effective configuration of this Flink process.\n",
    );
    for (key, value) in conf.iter() {
        let value = &value_for(key, value, version);
        if key.contains(['\n', '#', ':']) || key.trim() != key || key.is_empty() {
            return Err(format!(
                "cannot write the key {key:?} into a Flink configuration file"
            ));
        }
        if value.contains(['\n', '\r']) {
            return Err(format!(
                "{key}: a value with a line break cannot be written for Flink"
            ));
        }
        if version.reads_config_yaml() {
            out.push_str(&format!("{key}: '{}'\n", value.replace('\'', "''")));
        } else {
            // Flink 1.x cuts each line at the first `#`.
            if value.contains('#') {
                return Err(format!(
                    "{key}: Flink {version} cannot read a value containing `#` from flink-conf.yaml"
                ));
            }
            out.push_str(&format!("{key}: {value}\n"));
        }
    }
    Ok(out)
}

/// Creates `dir` with mode 0700 (and tightens an existing one).
pub fn private_dir(dir: &Path) -> Result<(), FlinkError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| FlinkError::io(format!("cannot create {}", dir.display()), e))?;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    Ok(())
}

/// Creates `dir` (mode 0700) and writes `name` into it with mode 0600.
pub fn write_private(
    dir: &Path,
    name: &str,
    content: impl AsRef<[u8]>,
) -> Result<PathBuf, FlinkError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    private_dir(dir)?;
    let path = dir.join(name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| FlinkError::io(format!("cannot write {}", path.display()), e))?;
    // An existing file keeps its old mode through open(): tighten it.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|_| f.write_all(content.as_ref()))
        .map_err(|e| FlinkError::io(format!("cannot write {}", path.display()), e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LoadOptions;

    #[test]
    fn entries_drop_mesos_keys_and_agree_on_fallbacks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("flink-conf.yaml"),
            "mesos.master: zk://u:pw@zk:2181/mesos\nmesos.resourcemanager.framework.secret: s\nrest.port: 1\nsecurity.ssl.keystore-password: kp\nx.y: z\n",
        )
        .unwrap();
        let c = Config::load(&LoadOptions {
            conf_dir: Some(dir.path().into()),
            dynamic: vec!["jobmanager.web.port=9".into()],
            env: vec![],
        })
        .unwrap();
        let e = flink_entries(&c);
        assert_eq!(
            e.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
            [
                "jobmanager.web.port=9",
                "rest.port=9",
                "security.ssl.keystore-password=kp",
                "x.y=z"
            ]
        );
    }

    #[test]
    fn rendering_per_version() {
        let mut c = FlinkConf::new();
        c.insert("env.java.opts.all".into(), "--add-opens=a=b -Dq='x'".into());
        c.insert("rest.port".into(), "8081".into());
        let yaml = render(&c, FlinkVersion::new(2, 3, 0)).unwrap();
        assert!(
            yaml.ends_with("env.java.opts.all: '--add-opens=a=b -Dq=''x'''\nrest.port: '8081'\n"),
            "{yaml}"
        );
        let legacy = render(&c, FlinkVersion::new(1, 13, 6)).unwrap();
        assert!(legacy.ends_with("env.java.opts.all: --add-opens=a=b -Dq='x'\nrest.port: 8081\n"));
        c.insert("a".into(), "x#y".into());
        assert!(render(&c, FlinkVersion::new(2, 3, 0)).is_ok());
        assert!(render(&c, FlinkVersion::new(1, 13, 6))
            .unwrap_err()
            .contains('#'));
        c.insert("b".into(), "x\ny".into());
        assert!(render(&c, FlinkVersion::new(2, 3, 0)).is_err());
    }

    #[test]
    fn durations_are_milliseconds_for_the_flink_that_reads_a_number() {
        let mut c = FlinkConf::new();
        c.set(Key::ClusterRegistrationErrorDelay, "1 s");
        c.set(Key::HighAvailabilityZookeeperClientSessionTimeout, "2min");
        c.insert("pipeline.auto-watermark-interval".into(), "1 s".into());
        let old = render(&c, FlinkVersion::new(1, 18, 1)).unwrap();
        assert!(
            old.contains("cluster.registration.error-delay: 1000\n"),
            "{old}"
        );
        assert!(
            old.contains("high-availability.zookeeper.client.session-timeout: 120000\n"),
            "{old}"
        );
        // Keys we do not declare are the user's business.
        assert!(
            old.contains("pipeline.auto-watermark-interval: 1 s\n"),
            "{old}"
        );
        let yaml = render(&c, FlinkVersion::new(1, 19, 3)).unwrap();
        assert!(
            yaml.contains("cluster.registration.error-delay: '1000'\n"),
            "{yaml}"
        );
        // From 1.20 on the option is a Duration: the value stays as written.
        for v in [FlinkVersion::new(1, 20, 5), FlinkVersion::new(2, 3, 0)] {
            let yaml = render(&c, v).unwrap();
            assert!(
                yaml.contains("cluster.registration.error-delay: '1 s'\n"),
                "{yaml}"
            );
        }
        // Not a duration: left for validation to report.
        assert_eq!(
            value_for(
                "cluster.registration.error-delay",
                "soon",
                FlinkVersion::new(1, 18, 1)
            ),
            "soon"
        );
    }

    #[test]
    fn written_privately() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("conf");
        let p = write_private(&conf, "config.yaml", "a: 'b'\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a: 'b'\n");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(&conf), 0o700);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&conf, "config.yaml", "c: 'd'\n").unwrap();
        assert_eq!(mode(&p), 0o600);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "c: 'd'\n");
    }
}
