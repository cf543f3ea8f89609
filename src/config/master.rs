//! `mesos.master`: the forms Flink accepts, parsed into [`MasterSpec`].
//!
//! * `host:port`, also `http://host:port` and `https://host:port`
//! * `zk://host1:port1,host2:port2,.../path`
//! * `zk://username:password@host1:port1,.../path` (digest authentication)
//! * `file:///path/to/file` (the file holds one of the forms above)
//!
//! The password of a `zk://` URL is a secret: [`MasterSpec`]'s `Display`
//! masks it, and it is kept in a [`Secret`] that never prints itself.

use std::fmt;
use std::path::PathBuf;

use super::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkAuth {
    pub user: String,
    pub password: Secret,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterSpec {
    /// A master (or any master of a cluster; non-leaders redirect) at a fixed address.
    Direct {
        scheme: Scheme,
        host: String,
        port: u16,
    },
    /// Detect the leading master from the ZooKeeper group at `path`.
    ZooKeeper {
        auth: Option<ZkAuth>,
        servers: Vec<(String, u16)>,
        path: String,
    },
    /// Read the address from a file (as Mesos agents' `--master=file://` does).
    File(PathBuf),
}

/// Default Mesos master port, used when `host` has no port.
pub const DEFAULT_MASTER_PORT: u16 = 5050;

impl MasterSpec {
    /// Parses one of the accepted forms. The error says what is wrong and
    /// which forms are accepted; it never contains the password.
    pub fn parse(text: &str) -> Result<MasterSpec, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("mesos.master is empty".into());
        }
        if let Some(rest) = text.strip_prefix("zk://") {
            return parse_zk(rest);
        }
        if let Some(rest) = text.strip_prefix("file://") {
            if !rest.starts_with('/') {
                return Err(format!(
                    "`file://{rest}` needs an absolute path: file:///path/to/file"
                ));
            }
            return Ok(MasterSpec::File(PathBuf::from(rest)));
        }
        let (scheme, rest) = if let Some(rest) = text.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = text.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else if let Some((scheme, _)) = text.split_once("://") {
            return Err(format!(
                "unsupported scheme `{scheme}://`; use host:port, http(s)://host:port, zk://host:port,.../path or file:///path"
            ));
        } else {
            (Scheme::Http, text)
        };
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') {
            return Err(format!(
                "`{text}` has a path; a master address is host:port"
            ));
        }
        let (host, port) = parse_host_port(rest, Some(DEFAULT_MASTER_PORT))?;
        Ok(MasterSpec::Direct { scheme, host, port })
    }

    /// Reads a `file://` spec and parses what the file holds (one level only:
    /// a file that points at another file is an error).
    pub fn resolve_file(&self) -> Result<MasterSpec, String> {
        let MasterSpec::File(path) = self else {
            return Ok(self.clone());
        };
        // A regular file of bounded size: `file:///dev/zero` or a FIFO must
        // neither hang the command nor fill its memory.
        const MAX: u64 = 64 * 1024;
        let cannot = |e: String| format!("cannot read the master file {}: {e}", path.display());
        let meta = std::fs::metadata(path).map_err(|e| cannot(e.to_string()))?;
        if !meta.is_file() {
            return Err(cannot("not a regular file".into()));
        }
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(
                std::fs::File::open(path).map_err(|e| cannot(e.to_string()))?,
                MAX + 1,
            ),
            &mut text,
        )
        .map_err(|e| cannot(e.to_string()))?;
        if text.len() as u64 > MAX {
            return Err(cannot(format!(
                "larger than {MAX} bytes; it should hold one address"
            )));
        }
        let spec = MasterSpec::parse(text.trim()).map_err(|e| {
            format!(
                "the master file {} holds an invalid address: {e}",
                path.display()
            )
        })?;
        if matches!(spec, MasterSpec::File(_)) {
            return Err(format!(
                "the master file {} points at another file; put the address itself in it",
                path.display()
            ));
        }
        Ok(spec)
    }
}

fn parse_zk(rest: &str) -> Result<MasterSpec, String> {
    let Some(slash) = rest.find('/') else {
        return Err("a zk:// master needs a path: zk://host1:port1,host2:port2/mesos".into());
    };
    let (authority, path) = rest.split_at(slash);
    let (auth, hosts) = match authority.rsplit_once('@') {
        Some((creds, hosts)) => {
            let Some((user, password)) = creds.split_once(':') else {
                return Err("zk:// credentials must be username:password@".into());
            };
            if user.is_empty() || password.is_empty() {
                return Err("zk:// credentials need a non-empty username and password".into());
            }
            (
                Some(ZkAuth {
                    user: user.to_string(),
                    password: Secret::new(password),
                }),
                hosts,
            )
        }
        None => (None, authority),
    };
    if hosts.is_empty() {
        return Err("a zk:// master needs at least one host:port".into());
    }
    let mut servers = Vec::new();
    for server in hosts.split(',') {
        servers.push(
            parse_host_port(server.trim(), None).map_err(|e| format!("ZooKeeper server: {e}"))?,
        );
    }
    validate_zk_path(path)?;
    Ok(MasterSpec::ZooKeeper {
        auth,
        servers,
        path: path.to_string(),
    })
}

/// A ZooKeeper node path: absolute, no empty, `.` or `..` segments, no trailing `/`.
pub fn validate_zk_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("ZooKeeper path `{path}` must start with `/`"));
    }
    if path == "/" {
        return Ok(());
    }
    if path.ends_with('/') {
        return Err(format!("ZooKeeper path `{path}` must not end with `/`"));
    }
    for segment in path[1..].split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(format!(
                "ZooKeeper path `{path}` has an empty, `.` or `..` segment"
            ));
        }
        if segment.chars().any(|c| c.is_control()) {
            return Err(format!(
                "ZooKeeper path `{path}` contains control characters"
            ));
        }
    }
    Ok(())
}

/// `host:port` (IPv6 as `[::1]:port`). Without a port, `default_port` is used
/// when given, otherwise it is an error.
pub fn parse_host_port(text: &str, default_port: Option<u16>) -> Result<(String, u16), String> {
    if text.is_empty() {
        return Err("empty address; expected host:port".into());
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(format!("`{text}`: unclosed `[` in IPv6 address"));
        };
        (host, after.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err(format!("`{text}` has no host; expected host:port"));
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return Err(format!("`{host}` is not a valid host name or address"));
    }
    let port = match (port, default_port) {
        (Some(p), _) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("`{p}` is not a valid port (1-65535) in `{text}`"))?,
        (None, Some(d)) => d,
        (None, None) => return Err(format!("`{text}` has no port; expected host:port")),
    };
    Ok((host.to_string(), port))
}

impl fmt::Display for MasterSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MasterSpec::Direct { scheme, host, port } => {
                let s = match scheme {
                    Scheme::Http => "http",
                    Scheme::Https => "https",
                };
                if host.contains(':') {
                    write!(f, "{s}://[{host}]:{port}")
                } else {
                    write!(f, "{s}://{host}:{port}")
                }
            }
            MasterSpec::ZooKeeper {
                auth,
                servers,
                path,
            } => {
                f.write_str("zk://")?;
                if let Some(auth) = auth {
                    write!(f, "{}:{}@", auth.user, auth.password)?;
                }
                let hosts: Vec<String> = servers.iter().map(|(h, p)| format!("{h}:{p}")).collect();
                write!(f, "{}{}", hosts.join(","), path)
            }
            MasterSpec::File(path) => write!(f, "file://{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() {
        assert_eq!(
            MasterSpec::parse("master.foobar.org:5050").unwrap(),
            MasterSpec::Direct {
                scheme: Scheme::Http,
                host: "master.foobar.org".into(),
                port: 5050
            }
        );
        assert_eq!(
            MasterSpec::parse("https://m:443/").unwrap(),
            MasterSpec::Direct {
                scheme: Scheme::Https,
                host: "m".into(),
                port: 443
            }
        );
        assert_eq!(MasterSpec::parse("m").unwrap().to_string(), "http://m:5050");
        assert_eq!(
            MasterSpec::parse("[::1]:5051").unwrap().to_string(),
            "http://[::1]:5051"
        );
    }

    #[test]
    fn zk_forms_and_masking() {
        let spec = MasterSpec::parse("zk://u:s3cret@zk1:2181,zk2:2182/mesos").unwrap();
        let MasterSpec::ZooKeeper {
            auth,
            servers,
            path,
        } = &spec
        else {
            panic!("not zk")
        };
        assert_eq!(auth.as_ref().unwrap().password.expose(), "s3cret");
        assert_eq!(
            servers,
            &vec![("zk1".to_string(), 2181), ("zk2".to_string(), 2182)]
        );
        assert_eq!(path, "/mesos");
        assert_eq!(spec.to_string(), "zk://u:******@zk1:2181,zk2:2182/mesos");
        assert!(!format!("{spec:?}").contains("s3cret"));
    }

    #[test]
    fn bad_forms_say_why() {
        for (input, needle) in [
            ("zk://zk1:2181", "needs a path"),
            ("zk://zk1/mesos", "no port"),
            ("zk://zk1:2181/mesos/", "must not end"),
            ("zk://u@zk1:2181/m", "username:password"),
            ("file://relative", "absolute path"),
            ("ftp://x:1", "unsupported scheme"),
            ("m:99999", "not a valid port"),
            ("m:0", "not a valid port"),
            ("", "empty"),
            ("bad host:5050", "not a valid host"),
        ] {
            let err = MasterSpec::parse(input).unwrap_err();
            assert!(err.contains(needle), "{input}: {err}");
        }
    }

    #[test]
    fn file_form_reads_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master");
        std::fs::write(&path, "zk://zk1:2181/mesos\n").unwrap();
        let spec = MasterSpec::parse(&format!("file://{}", path.display())).unwrap();
        assert!(matches!(
            spec.resolve_file().unwrap(),
            MasterSpec::ZooKeeper { .. }
        ));
        std::fs::write(&path, "file:///etc/x").unwrap();
        assert!(spec.resolve_file().unwrap_err().contains("another file"));
        std::fs::write(&path, "zk://nopath").unwrap();
        assert!(spec.resolve_file().unwrap_err().contains("invalid address"));
        let missing = MasterSpec::File(dir.path().join("nope"));
        assert!(missing.resolve_file().unwrap_err().contains("cannot read"));
    }

    #[test]
    fn master_files_that_never_end_are_refused() {
        for special in ["/dev/zero", "/proc/self"] {
            let e = MasterSpec::File(special.into()).resolve_file().unwrap_err();
            assert!(e.contains("not a regular file"), "{e}");
        }
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, "m:5050\n".repeat(20_000)).unwrap();
        let e = MasterSpec::File(big).resolve_file().unwrap_err();
        assert!(e.contains("larger than"), "{e}");
    }
}
