//! Flink configuration: files, environment overlays and `-D` properties.
//!
//! Precedence, lowest to highest: built-in defaults ([`options`]) < the
//! configuration file (`config.yaml`, else `flink-conf.yaml`) < environment
//! overlays (`FLINK_PROPERTIES`, then the per-option variables) < `-D`
//! properties (later ones win). Every value keeps its [`Origin`].
//!
//! Loading never fails on the content of a file: problems become
//! [`Diagnostic`]s in [`Config::diagnostics`], so that `validate-conf` can
//! report all of them at once. Only an unreadable file or a malformed `-D`
//! argument is an [`Error`].

pub mod diagnostic;
pub mod docs;
pub mod effective;
mod flat;
mod keytab;
pub mod master;
pub mod memory;
pub mod options;
pub mod secret;
pub mod settings;
pub mod source;
pub mod values;
mod yaml;
pub mod zk_tls;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Classified, ErrorKind};
pub use diagnostic::{Diagnostic, Severity};
use options::OptionDef;
pub use source::{Layer, Origin, Span, Text};

/// Why a configuration cannot be loaded at all (problems in its content
/// are diagnostics, never errors).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration directory {} does not exist; pass --conf-dir DIR or set FLINK_CONF_DIR", .0.display())]
    NoDirectory(PathBuf),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A malformed `-D` flag: a usage error.
    #[error("{0}")]
    Flag(String),
}

impl Classified for ConfigError {
    fn kind(&self) -> ErrorKind {
        match self {
            ConfigError::Flag(_) => ErrorKind::Usage,
            _ => ErrorKind::User,
        }
    }
}

type Result<T, E = ConfigError> = std::result::Result<T, E>;

/// File names in a configuration directory, in the order Flink prefers them.
pub const STANDARD_YAML: &str = "config.yaml";
pub const LEGACY_YAML: &str = "flink-conf.yaml";
/// Environment variable with extra `key: value` lines (as in Flink's Docker images).
pub const FLINK_PROPERTIES: &str = "FLINK_PROPERTIES";

/// One value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub origin: Origin,
}

/// What to load. The commands build it from the command line and
/// [`LoadOptions::process_env`]; tests build it directly, with their own
/// environment.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The configuration directory; `None` means "`./conf` if it exists".
    pub conf_dir: Option<PathBuf>,
    /// `-D` arguments as given (`key=value`).
    pub dynamic: Vec<String>,
    /// Environment variables to consult for overlays.
    pub env: Vec<(String, String)>,
}

impl LoadOptions {
    /// The variables of this process's environment that loading consults:
    /// every option's overlay variable and `FLINK_PROPERTIES`.
    pub fn process_env() -> Vec<(String, String)> {
        let mut env = Vec::new();
        let mut wanted: Vec<&str> = options::OPTIONS.iter().filter_map(|o| o.env).collect();
        wanted.push(FLINK_PROPERTIES);
        for var in wanted {
            if let Ok(value) = std::env::var(var) {
                env.push((var.to_string(), value));
            }
        }
        env
    }
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Every value from every source, in the order read.
    entries: Vec<Entry>,
    /// Key → index into `entries` of the value that wins for that spelling.
    winners: BTreeMap<String, usize>,
    /// Problems found while reading (syntax, duplicates, skipped lines).
    pub diagnostics: Vec<Diagnostic>,
    /// The configuration file that was read, if any.
    pub file: Option<PathBuf>,
}

impl Config {
    /// Reads the configuration directory, the environment overlays and the
    /// `-D` properties.
    pub fn load(opts: &LoadOptions) -> Result<Config> {
        let mut config = Config::default();
        let dir = match &opts.conf_dir {
            Some(dir) => {
                if !dir.is_dir() {
                    return Err(ConfigError::NoDirectory(dir.clone()));
                }
                Some(dir.clone())
            }
            None => Some(PathBuf::from("conf")).filter(|d| d.is_dir()),
        };
        if let Some(dir) = dir {
            config.load_dir(&dir)?;
        }
        for (var, value) in &opts.env {
            if var == FLINK_PROPERTIES {
                let text = Arc::new(Text {
                    name: format!("${FLINK_PROPERTIES}"),
                    path: None,
                    content: value.clone(),
                });
                let (pairs, diags) = flat::parse(&text);
                config.diagnostics.extend(diags);
                for p in pairs {
                    let origin = Origin::Env {
                        var: var.clone(),
                        spans: Some((p.key_span, p.value_span)),
                    };
                    config.insert(Entry {
                        key: p.key,
                        value: p.value,
                        origin,
                    });
                }
            }
        }
        for def in options::OPTIONS {
            let Some(var) = def.env else { continue };
            if let Some((_, value)) = opts.env.iter().find(|(v, _)| v == var) {
                let origin = Origin::Env {
                    var: var.to_string(),
                    spans: None,
                };
                config.insert(Entry {
                    key: def.key.to_string(),
                    value: value.trim().to_string(),
                    origin,
                });
            }
        }
        for (index, arg) in opts.dynamic.iter().enumerate() {
            let Some((key, value)) = arg.split_once('=') else {
                return Err(ConfigError::Flag(format!(
                    "-D {arg}: expected key=value, e.g. -Dmesos.master=host:5050"
                )));
            };
            if key.trim().is_empty() {
                return Err(ConfigError::Flag(format!(
                    "-D {arg}: the key is empty; expected key=value"
                )));
            }
            let text = Arc::new(Text {
                // Each flag its own label: `-D#2:1:18`, not `-D:1:18` for all.
                name: format!("-D#{}", index + 1),
                path: None,
                content: arg.clone(),
            });
            let key_span = Span {
                text: text.clone(),
                line: 1,
                col: 1,
                len: key.chars().count(),
            };
            let value_span = Span {
                text,
                line: 1,
                col: key.chars().count() + 2,
                len: value.chars().count(),
            };
            config.insert(Entry {
                key: key.trim().to_string(),
                value: value.trim().to_string(),
                origin: Origin::Dynamic {
                    index,
                    key: key_span,
                    value: value_span,
                },
            });
        }
        Ok(config)
    }

    fn load_dir(&mut self, dir: &Path) -> Result<()> {
        let standard = dir.join(STANDARD_YAML);
        let legacy = dir.join(LEGACY_YAML);
        let (path, is_standard) = if standard.is_file() {
            if legacy.is_file() {
                self.diagnostics.push(
                    Diagnostic::warning(format!(
                        "both {STANDARD_YAML} and {LEGACY_YAML} exist in {}; {LEGACY_YAML} is ignored",
                        dir.display()
                    ))
                    .hint(format!(
                        "merge what you need into {STANDARD_YAML} and delete {LEGACY_YAML}"
                    )),
                );
            }
            (standard, true)
        } else if legacy.is_file() {
            (legacy, false)
        } else {
            self.diagnostics.push(
                Diagnostic::warning(format!(
                    "{} has neither {STANDARD_YAML} nor {LEGACY_YAML}; only defaults, the environment and -D apply",
                    dir.display()
                ))
                .hint("create conf/config.yaml, or pass --conf-dir"),
            );
            return Ok(());
        };
        self.load_file(&path, is_standard)
    }

    /// Reads one file; `standard` picks the `config.yaml` parser.
    pub fn load_file(&mut self, path: &Path, standard: bool) -> Result<()> {
        let content = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        self.load_text(
            path.display().to_string(),
            Some(path.to_path_buf()),
            content,
            standard,
        );
        Ok(())
    }

    /// Parses one configuration text (as if read from `path`) into this
    /// configuration; problems become diagnostics, never errors.
    pub fn load_text(
        &mut self,
        name: String,
        path: Option<PathBuf>,
        content: String,
        standard: bool,
    ) {
        let text = Arc::new(Text {
            name,
            path: path.clone(),
            content,
        });
        let (pairs, diags) = if standard {
            yaml::parse(&text)
        } else {
            flat::parse(&text)
        };
        self.diagnostics.extend(diags);
        for p in pairs {
            self.insert(Entry {
                key: p.key,
                value: p.value,
                origin: Origin::File {
                    key: p.key_span,
                    value: p.value_span,
                },
            });
        }
        if path.is_some() {
            self.file = path;
        }
    }

    fn insert(&mut self, entry: Entry) {
        let index = self.entries.len();
        let wins = match self.winners.get(&entry.key) {
            Some(&old) => entry.origin.rank() >= self.entries[old].origin.rank(),
            None => true,
        };
        if wins {
            self.winners.insert(entry.key.clone(), index);
        }
        self.entries.push(entry);
    }

    /// The winning value for exactly this spelling of a key.
    pub fn raw(&self, key: &str) -> Option<&Entry> {
        self.winners.get(key).map(|&i| &self.entries[i])
    }

    /// The winning value for a declared option: among the key and its fallback
    /// spellings, the one from the highest layer; within a layer the key
    /// itself, then the fallbacks in order.
    pub fn get(&self, def: &OptionDef) -> Option<&Entry> {
        let mut best: Option<&Entry> = None;
        for key in std::iter::once(&def.key).chain(def.fallback_keys.iter()) {
            if let Some(e) = self.raw(key) {
                if best.is_none_or(|b| e.origin.rank() > b.origin.rank()) {
                    best = Some(e);
                }
            }
        }
        best
    }

    /// The winning value for a key, declared or not.
    pub fn get_key(&self, key: &str) -> Option<&Entry> {
        match options::lookup(key) {
            Some(def) => self.get(def),
            None => self.raw(key),
        }
    }

    /// Every winning entry, one per spelling, sorted by key.
    pub fn winners(&self) -> impl Iterator<Item = &Entry> {
        self.winners.values().map(|&i| &self.entries[i])
    }

    /// Whether a key's value must be masked.
    pub fn is_secret(key: &str) -> bool {
        options::lookup(key).is_some_and(|d| d.secret) || options::looks_secret(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, content: &str) {
        std::fs::write(dir.join(name), content).unwrap();
    }

    #[test]
    fn precedence_default_file_env_dynamic() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            LEGACY_YAML,
            "mesos.master: file-master:5050\nmesos.initial-tasks: 3\nrest.port: 1\n",
        );
        let opts = LoadOptions {
            conf_dir: Some(dir.path().into()),
            dynamic: vec![
                "mesos.initial-tasks=5".into(),
                "mesos.initial-tasks=6".into(),
                "jobmanager.web.port=9".into(),
            ],
            env: vec![
                ("FLINK_MESOS_MASTER".into(), "env-master:5050".into()),
                (
                    FLINK_PROPERTIES.into(),
                    "mesos.failover-timeout: 60\nmesos.initial-tasks: 4".into(),
                ),
            ],
        };
        let c = Config::load(&opts).unwrap();
        let get = |k: &str| c.get_key(k).unwrap();
        assert_eq!(get("mesos.master").value, "env-master:5050");
        assert!(matches!(get("mesos.master").origin, Origin::Env { .. }));
        assert_eq!(get("mesos.initial-tasks").value, "6");
        assert_eq!(get("mesos.failover-timeout").value, "60");
        assert_eq!(
            get("mesos.failover-timeout").origin.to_string(),
            "env FLINK_PROPERTIES:1"
        );
        // A -D fallback spelling beats the file's primary spelling.
        assert_eq!(get("rest.port").value, "9");
        assert_eq!(get("jobmanager.web.port").value, "9");
    }

    #[test]
    fn config_yaml_wins_over_flink_conf_yaml_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), LEGACY_YAML, "a: legacy\n");
        write(dir.path(), STANDARD_YAML, "a: standard\n");
        let c = Config::load(&LoadOptions {
            conf_dir: Some(dir.path().into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.raw("a").unwrap().value, "standard");
        assert_eq!(c.diagnostics.len(), 1);
        assert!(c.diagnostics[0]
            .message
            .contains("flink-conf.yaml is ignored"));
    }

    #[test]
    fn later_lines_win_in_the_legacy_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), LEGACY_YAML, "a: 1\na: 2\n");
        let c = Config::load(&LoadOptions {
            conf_dir: Some(dir.path().into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.raw("a").unwrap().value, "2");
        assert_eq!(
            c.raw("a").unwrap().origin.to_string(),
            format!("{}:2", dir.path().join(LEGACY_YAML).display())
        );
    }

    #[test]
    fn bad_dynamic_properties_are_usage_errors() {
        for arg in ["novalue", "=x"] {
            let err = Config::load(&LoadOptions {
                dynamic: vec![arg.into()],
                ..Default::default()
            })
            .unwrap_err();
            assert_eq!(err.kind().exit_code(), 2, "{arg}");
        }
    }

    #[test]
    fn missing_explicit_conf_dir_is_an_error() {
        let err = Config::load(&LoadOptions {
            conf_dir: Some("/nonexistent/conf".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/conf"));
        assert_eq!(err.kind().exit_code(), 1);
    }
}

#[cfg(test)]
mod fuzz {
    //! Whatever a user writes, loading and validating never panics and every
    //! span points inside its text.
    use super::*;
    use proptest::prelude::*;

    fn any_config_text() -> impl Strategy<Value = String> {
        let line = prop_oneof![
            "[a-z.\\-]{1,30}: [ -~]{0,30}",
            "[ -~]{0,40}",
            "  [a-z]{1,8}:\\n    [a-z]{1,8}: [ -~]{0,10}",
            "- [ -~]{0,10}",
            "mesos\\.(master|initial-tasks|resourcemanager\\.tasks\\.mem|constraints\\.hard\\.hostattribute): [ -~]{0,30}",
            "[\\PC]{0,20}",
        ];
        prop::collection::vec(line, 0..12).prop_map(|l| l.join("\n"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn loading_and_validating_never_panics(text in any_config_text(), standard in any::<bool>(), dynamic in prop::collection::vec("[ -~]{0,30}=[ -~]{0,30}", 0..3)) {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join(if standard { STANDARD_YAML } else { LEGACY_YAML }), &text).unwrap();
            let opts = LoadOptions { conf_dir: Some(dir.path().into()), dynamic, env: vec![] };
            if let Ok(config) = Config::load(&opts) {
                let report = settings::resolve(&config, settings::ValidateOptions { purpose: settings::Purpose::Appmaster, strict: true });
                for d in &report.diagnostics {
                    let _ = d.render(true);
                    let _ = d.to_json();
                    if let Some(span) = &d.span {
                        prop_assert!(span.line >= 1 && span.col >= 1);
                        prop_assert!(span.text.line(span.line).is_some() || span.text.content.is_empty() || span.line == span.text.content.lines().count() + 1);
                    }
                }
            }
        }

        #[test]
        fn value_parsers_never_panic(s in "[\\PC]{0,40}") {
            for def in options::OPTIONS {
                let _ = values::check(def.ty, &s);
            }
            let _ = master::MasterSpec::parse(&s);
            let _ = options::masked("mesos.master", &s);
        }
    }
}
