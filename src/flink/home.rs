//! A Flink distribution on disk: where it is, which version it is, and the
//! classpath its scripts would build.

use std::fmt;
use std::path::{Path, PathBuf};

use super::FlinkError;

/// A Flink release number, from the name of `lib/flink-dist*.jar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlinkVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl FlinkVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        FlinkVersion {
            major,
            minor,
            patch,
        }
    }

    /// Flink 1.10 introduced the unified memory model and BashJavaUtils.
    pub fn has_memory_model(self) -> bool {
        self >= FlinkVersion::new(1, 10, 0)
    }

    /// Flink 1.19 reads `config.yaml` (standard YAML); 2.x reads nothing else.
    pub fn reads_config_yaml(self) -> bool {
        self >= FlinkVersion::new(1, 19, 0)
    }

    /// `1.18.1`, `2.3` (patch 0), `1.20-SNAPSHOT`.
    pub fn parse(s: &str) -> Option<FlinkVersion> {
        let numbers = s.trim().split('-').next()?;
        let mut parts = numbers.split('.').map(|p| p.parse::<u32>());
        let major = parts.next()?.ok()?;
        let minor = parts.next()?.ok()?;
        let patch = match parts.next() {
            Some(p) => p.ok()?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(FlinkVersion::new(major, minor, patch))
    }

    /// The oldest and the newest version of the tested matrix
    /// (`scripts/compat.sh`, `tests/it/versions.rs`).
    pub const OLDEST_TESTED: FlinkVersion = FlinkVersion::new(1, 18, 0);
    pub const NEWEST_TESTED: FlinkVersion = FlinkVersion::new(2, 3, u32::MAX);

    /// Whether flink-mesos is tested with this version's line.
    pub fn is_tested(self) -> bool {
        (Self::OLDEST_TESTED..=Self::NEWEST_TESTED).contains(&self)
    }

    /// Parses the version out of a flink-dist jar name:
    /// `flink-dist-2.3.0.jar`, `flink-dist_2.12-1.13.6.jar`,
    /// `flink-dist-1.20-SNAPSHOT.jar`.
    pub fn from_dist_jar(name: &str) -> Option<FlinkVersion> {
        let rest = name.strip_prefix("flink-dist")?.strip_suffix(".jar")?;
        // Skip a Scala suffix (`_2.12`), then take the part after the dash.
        let rest = match rest.strip_prefix('_') {
            Some(scala) => scala.split_once('-')?.1,
            None => rest.strip_prefix('-')?,
        };
        FlinkVersion::parse(rest)
    }
}

impl fmt::Display for FlinkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A checked Flink distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlinkHome {
    pub root: PathBuf,
    pub version: FlinkVersion,
    pub dist_jar: PathBuf,
    /// `bin/bash-java-utils.jar` (Flink 1.12+; older releases keep
    /// BashJavaUtils inside flink-dist).
    pub bash_java_utils: Option<PathBuf>,
    /// Every jar in `lib/`, sorted by name, flink-dist last (as `config.sh`).
    pub lib_jars: Vec<PathBuf>,
}

impl FlinkHome {
    /// Checks `root`: it must have `lib/` with exactly one flink-dist jar
    /// whose name carries a version, and `conf/`.
    pub fn open(root: &Path) -> Result<FlinkHome, FlinkError> {
        let unusable = |what: String| {
            FlinkError::FlinkHome(format!(
                "{}: {what}; run scripts/fetch-flink.sh to assemble Flink 2.3 and set FLINK_HOME to the path it prints",
                root.display()
            ))
        };
        if !root.is_dir() {
            return Err(unusable("no such directory".into()));
        }
        let lib = root.join("lib");
        let entries =
            std::fs::read_dir(&lib).map_err(|e| unusable(format!("cannot read lib/ ({e})")))?;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".jar"))
            .collect();
        names.sort();
        let jars = classpath_order(&names);
        let dists: Vec<&String> = names
            .iter()
            .filter(|n| n.starts_with("flink-dist"))
            .collect();
        let dist = match dists.as_slice() {
            [] => return Err(unusable("no lib/flink-dist*.jar".into())),
            [one] => *one,
            many => {
                return Err(unusable(format!(
                    "several flink-dist jars in lib/ ({}); keep one",
                    many.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
        };
        let version = FlinkVersion::from_dist_jar(dist)
            .ok_or_else(|| unusable(format!("cannot tell the Flink version from lib/{dist}")))?;
        if !root.join("conf").is_dir() {
            return Err(unusable("no conf/ directory".into()));
        }
        let bju = root.join("bin").join("bash-java-utils.jar");
        Ok(FlinkHome {
            root: root.to_path_buf(),
            version,
            dist_jar: lib.join(dist),
            bash_java_utils: bju.is_file().then_some(bju),
            lib_jars: jars.into_iter().map(|n| lib.join(n)).collect(),
        })
    }

    /// `explicit` (`--flink-home`/`FLINK_HOME`); else a distribution the
    /// Mesos fetcher unpacked into one of `search` (a directory directly
    /// below it that holds `lib/flink-dist*.jar`, e.g. `flink-2.3.0/` from
    /// `mesos.resourcemanager.tasks.uris`); else the one that
    /// `scripts/fetch-flink.sh` assembles, when it is there.
    pub fn locate(explicit: Option<&Path>, search: &[PathBuf]) -> Result<FlinkHome, FlinkError> {
        if let Some(p) = explicit {
            return FlinkHome::open(p);
        }
        if let Some(found) = search.iter().find_map(|dir| find_below(dir)) {
            return FlinkHome::open(&found);
        }
        match super::cached_home("2.3.0").filter(|p| p.is_dir()) {
            Some(p) => FlinkHome::open(&p),
            None => Err(FlinkError::FlinkHome(
                "FLINK_HOME is not set and no Flink distribution was found in the sandbox; pass --flink-home DIR or set FLINK_HOME (scripts/fetch-flink.sh assembles Flink 2.3 and prints its path)".into(),
            )),
        }
    }

    pub fn conf_dir(&self) -> PathBuf {
        self.root.join("conf")
    }

    /// The classpath for Flink's entry points.
    pub fn classpath(&self) -> String {
        join_paths(&self.lib_jars)
    }

    /// The classpath for BashJavaUtils, as `config.sh` builds it.
    pub fn bash_java_utils_classpath(&self) -> String {
        let mut parts = Vec::new();
        parts.extend(self.bash_java_utils.iter().cloned());
        parts.push(self.dist_jar.clone());
        join_paths(&parts)
    }

    /// A log4j (or logback) configuration file of the distribution.
    pub fn log_config(&self, name: &str) -> Option<PathBuf> {
        let p = self.conf_dir().join(name);
        p.is_file().then_some(p)
    }
}

/// The first directory directly below `dir` (by name) that looks like a
/// Flink distribution.
fn find_below(dir: &Path) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter().find(|d| {
        std::fs::read_dir(d.join("lib")).is_ok_and(|mut entries| {
            entries.any(|e| {
                e.is_ok_and(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.starts_with("flink-dist") && name.ends_with(".jar")
                })
            })
        })
    })
}

/// `config.sh`'s `constructFlinkClassPath`: sorted jar names with flink-dist
/// moved to the end.
pub fn classpath_order(sorted_names: &[String]) -> Vec<String> {
    let (dist, rest): (Vec<&String>, Vec<&String>) = sorted_names
        .iter()
        .filter(|n| n.ends_with(".jar"))
        .partition(|n| n.starts_with("flink-dist"));
    rest.into_iter().chain(dist).cloned().collect()
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_dist_jar_names() {
        let v = |s| FlinkVersion::from_dist_jar(s);
        assert_eq!(v("flink-dist-2.3.0.jar"), Some(FlinkVersion::new(2, 3, 0)));
        assert_eq!(
            v("flink-dist_2.12-1.13.6.jar"),
            Some(FlinkVersion::new(1, 13, 6))
        );
        assert_eq!(
            v("flink-dist_2.11-1.9.3.jar"),
            Some(FlinkVersion::new(1, 9, 3))
        );
        assert_eq!(
            v("flink-dist-1.20-SNAPSHOT.jar"),
            Some(FlinkVersion::new(1, 20, 0))
        );
        assert_eq!(v("flink-dist.jar"), None);
        assert_eq!(v("flink-dist-x.jar"), None);
        assert_eq!(v("flink-core-2.3.0.jar"), None);
        assert!(FlinkVersion::new(1, 9, 3) < FlinkVersion::new(1, 10, 0));
        assert!(!FlinkVersion::new(1, 9, 3).has_memory_model());
        assert!(FlinkVersion::new(2, 3, 0).has_memory_model());
        assert!(FlinkVersion::new(1, 19, 1).reads_config_yaml());
        assert!(!FlinkVersion::new(1, 18, 1).reads_config_yaml());
        assert_eq!(
            FlinkVersion::parse("1.18.1"),
            Some(FlinkVersion::new(1, 18, 1))
        );
        assert_eq!(FlinkVersion::parse("2.3"), Some(FlinkVersion::new(2, 3, 0)));
        assert_eq!(FlinkVersion::parse("2.3.0.1"), None);
        assert_eq!(FlinkVersion::parse("two"), None);
        assert!(FlinkVersion::new(1, 18, 1).is_tested());
        assert!(FlinkVersion::new(2, 3, 5).is_tested());
        assert!(!FlinkVersion::new(1, 17, 2).is_tested());
        assert!(!FlinkVersion::new(2, 4, 0).is_tested());
    }

    #[test]
    fn classpath_puts_flink_dist_last() {
        let names: Vec<String> = [
            "flink-cep-2.3.0.jar",
            "flink-dist-2.3.0.jar",
            "flink-json-2.3.0.jar",
            "log4j-api-2.25.3.jar",
            "README.txt",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            classpath_order(&names),
            [
                "flink-cep-2.3.0.jar",
                "flink-json-2.3.0.jar",
                "log4j-api-2.25.3.jar",
                "flink-dist-2.3.0.jar"
            ]
        );
    }

    #[test]
    fn open_reports_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let err = FlinkHome::open(&dir.path().join("nope")).unwrap_err();
        assert!(err.to_string().contains("no such directory"), "{err}");
        let err = FlinkHome::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("cannot read lib/"), "{err}");
        assert!(err.to_string().contains("scripts/fetch-flink.sh"), "{err}");
        std::fs::create_dir(dir.path().join("lib")).unwrap();
        let err = FlinkHome::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("no lib/flink-dist"), "{err}");
        std::fs::write(dir.path().join("lib/flink-dist-2.3.0.jar"), b"x").unwrap();
        std::fs::write(dir.path().join("lib/flink-dist-2.2.0.jar"), b"x").unwrap();
        let err = FlinkHome::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("several flink-dist"), "{err}");
        std::fs::remove_file(dir.path().join("lib/flink-dist-2.2.0.jar")).unwrap();
        let err = FlinkHome::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("no conf/"), "{err}");
        std::fs::create_dir(dir.path().join("conf")).unwrap();
        std::fs::write(dir.path().join("lib/a.jar"), b"x").unwrap();
        let home = FlinkHome::open(dir.path()).unwrap();
        assert_eq!(home.version, FlinkVersion::new(2, 3, 0));
        assert_eq!(home.bash_java_utils, None);
        assert_eq!(
            home.classpath(),
            format!(
                "{0}/lib/a.jar:{0}/lib/flink-dist-2.3.0.jar",
                dir.path().display()
            )
        );
    }

    #[test]
    fn a_distribution_unpacked_in_the_sandbox_is_found() {
        let sandbox = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(sandbox.path().join("other/lib")).unwrap();
        let flink = sandbox.path().join("flink-2.3.0");
        std::fs::create_dir_all(flink.join("lib")).unwrap();
        std::fs::create_dir_all(flink.join("conf")).unwrap();
        std::fs::write(flink.join("lib/flink-dist-2.3.0.jar"), b"x").unwrap();
        let home = FlinkHome::locate(None, &[sandbox.path().into()]).unwrap();
        assert_eq!(home.root, flink);
        let err =
            FlinkHome::locate(Some(Path::new("/nope")), &[sandbox.path().into()]).unwrap_err();
        assert!(err.to_string().contains("/nope"), "{err}");
    }
}
