//! Finding `java` the way Flink's `config.sh` does: `env.java.home` from the
//! configuration, then `JAVA_HOME`, then `java` on `PATH`.

use std::path::{Path, PathBuf};

use super::FlinkError;
use crate::config::options::Key;

/// A `java` executable and its feature release (17 for Java 17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Java {
    pub path: PathBuf,
    pub feature: u32,
}

impl Java {
    /// Finds `java` and asks it for its version.
    pub fn locate(env_java_home: Option<&str>) -> Result<Java, FlinkError> {
        let java_home = std::env::var("JAVA_HOME").ok();
        let path_var = std::env::var("PATH").unwrap_or_default();
        let path = find_java(env_java_home, java_home.as_deref(), &path_var, |p| {
            is_executable(p)
        })?;
        // `<java home>/release` says the version without starting a JVM.
        let release = std::fs::canonicalize(&path)
            .ok()
            .and_then(|real| Some(real.parent()?.parent()?.join("release")))
            .and_then(|r| std::fs::read_to_string(r).ok())
            .and_then(|text| release_version(&text));
        if let Some(feature) = release {
            return Ok(Java { path, feature });
        }
        let out = std::process::Command::new(&path)
            .args(["-XshowSettings:properties", "-version"])
            .output()
            .map_err(|e| {
                FlinkError::JavaMissing(format!("{} does not run: {e}", path.display()))
            })?;
        let text = String::from_utf8_lossy(&out.stderr);
        let feature = spec_version(&text).ok_or_else(|| {
            FlinkError::JavaMissing(format!(
                "{} did not report java.specification.version (exit {:?})",
                path.display(),
                out.status.code()
            ))
        })?;
        Ok(Java { path, feature })
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Pure lookup: `env.java.home`, `JAVA_HOME`, then each `PATH` entry.
pub fn find_java(
    env_java_home: Option<&str>,
    java_home: Option<&str>,
    path_var: &str,
    exists: impl Fn(&Path) -> bool,
) -> Result<PathBuf, FlinkError> {
    for (what, home) in [
        (Key::EnvJavaHome.name(), env_java_home),
        ("JAVA_HOME", java_home),
    ] {
        let Some(home) = home.map(str::trim).filter(|h| !h.is_empty()) else {
            continue;
        };
        let java = Path::new(home).join("bin").join("java");
        if exists(&java) {
            return Ok(java);
        }
        return Err(FlinkError::JavaMissing(format!(
            "{what} is {home}, but {} is not an executable",
            java.display()
        )));
    }
    for dir in path_var.split(':').filter(|d| !d.is_empty()) {
        let java = Path::new(dir).join("java");
        if exists(&java) {
            return Ok(java);
        }
    }
    Err(FlinkError::JavaMissing(
        "JAVA_HOME is not set and there is no java on PATH; install a JDK (Flink 2.x needs Java 11 or later, 17 recommended) or set JAVA_HOME".into(),
    ))
}

/// `java.specification.version = 17` (or `1.8`) from `-XshowSettings:properties`.
pub fn spec_version(settings: &str) -> Option<u32> {
    let line = settings
        .lines()
        .find(|l| l.trim_start().starts_with("java.specification.version"))?;
    let value = line.split_once('=')?.1.trim();
    let major = value.strip_prefix("1.").unwrap_or(value);
    major.split('.').next()?.parse().ok()
}

/// `JAVA_VERSION="17.0.15"` (or `"1.8.0_292"`) from a JDK's `release` file.
pub fn release_version(release: &str) -> Option<u32> {
    let line = release
        .lines()
        .find_map(|l| l.trim().strip_prefix("JAVA_VERSION="))?;
    let value = line.trim().trim_matches('"');
    let major = value.strip_prefix("1.").unwrap_or(value);
    major.split(['.', '_', '+', '-']).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_order_and_errors() {
        let yes = |_: &Path| true;
        let only = |want: &'static str| move |p: &Path| p == Path::new(want);
        assert_eq!(
            find_java(Some("/cfg"), Some("/jh"), "/usr/bin", yes).unwrap(),
            PathBuf::from("/cfg/bin/java")
        );
        assert_eq!(
            find_java(None, Some("/jh"), "/usr/bin", yes).unwrap(),
            PathBuf::from("/jh/bin/java")
        );
        assert_eq!(
            find_java(None, Some(" "), "/a:/usr/bin", only("/usr/bin/java")).unwrap(),
            PathBuf::from("/usr/bin/java")
        );
        let err = find_java(None, Some("/jh"), "/usr/bin", only("/usr/bin/java")).unwrap_err();
        assert!(err.to_string().contains("JAVA_HOME is /jh"), "{err}");
        let err = find_java(None, None, "/a:/b", |_| false).unwrap_err();
        assert!(matches!(err, FlinkError::JavaMissing(_)));
        assert!(err.to_string().contains("no java on PATH"), "{err}");
    }

    #[test]
    fn specification_versions() {
        let s = "Property settings:\n    java.home = /usr/lib/jvm/x\n    java.specification.version = 17\n";
        assert_eq!(spec_version(s), Some(17));
        assert_eq!(spec_version("java.specification.version = 1.8"), Some(8));
        assert_eq!(spec_version("java.specification.version = 21"), Some(21));
        assert_eq!(spec_version("nothing"), None);
        let release = "IMPLEMENTOR=\"Debian\"\nJAVA_RUNTIME_VERSION=\"17.0.15+6\"\nJAVA_VERSION=\"17.0.15\"\n";
        assert_eq!(release_version(release), Some(17));
        assert_eq!(release_version("JAVA_VERSION=\"1.8.0_292\""), Some(8));
        assert_eq!(release_version("JAVA_VERSION=\"21\""), Some(21));
        assert_eq!(release_version("OTHER=1"), None);
    }
}
