//! The one HTTP client setup every outgoing request shares (the Mesos
//! scheduler and operator APIs, Marathon): reqwest with rustls, an optional
//! private CA that then replaces the bundled web PKI roots, and connection
//! timeouts. Credentials go through `RequestBuilder::basic_auth`, URLs
//! through [`Url`] (`Url::join`, never string surgery).

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use reqwest::Url;

/// Why a CA file cannot be used. Callers word the message for their flag or
/// option; this only says what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} holds no valid PEM certificate: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("{} holds no certificate", path.display())]
    Empty { path: PathBuf },
}

/// The certificates of a PEM bundle (`-----BEGIN CERTIFICATE-----` blocks);
/// at least one.
pub fn load_ca(path: &Path) -> Result<Vec<reqwest::Certificate>, CaError> {
    let pem = std::fs::read(path).map_err(|source| CaError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| CaError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if certs.is_empty() {
        return Err(CaError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// What differs between the clients built by [`client`].
#[derive(Debug, Clone)]
pub struct ClientSetup<'a> {
    /// PEM file with the CA certificate(s) the server must chain to. When
    /// set, only these CAs are trusted; otherwise the bundled web PKI roots are.
    pub ca_file: Option<&'a Path>,
    pub connect_timeout: Duration,
    /// Deadline of a whole request, answer included (`None`: the caller
    /// sets deadlines per request).
    pub timeout: Option<Duration>,
    /// Follow redirects (`false`: the caller handles 3xx itself).
    pub follow_redirects: bool,
}

impl Default for ClientSetup<'_> {
    fn default() -> Self {
        ClientSetup {
            ca_file: None,
            connect_timeout: Duration::from_secs(10),
            timeout: None,
            follow_redirects: false,
        }
    }
}

/// Why [`client`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Ca(#[from] CaError),
    #[error("cannot set up the HTTP client: {0}")]
    Build(String),
}

/// An HTTP/1.1 client with rustls and the given CA.
pub fn client(setup: &ClientSetup<'_>) -> Result<reqwest::Client, SetupError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(setup.connect_timeout)
        .tcp_nodelay(true)
        .http1_only();
    if !setup.follow_redirects {
        builder = builder.redirect(reqwest::redirect::Policy::none());
    }
    if let Some(timeout) = setup.timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(path) = setup.ca_file {
        builder = builder.tls_built_in_root_certs(false);
        for cert in load_ca(path)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| SetupError::Build(e.to_string()))
}

/// The error and its causes, e.g. "error sending request: connection refused".
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `base` as a directory, so that [`Url::join`] appends to its path instead
/// of replacing the last segment (`http://m/marathon` → `http://m/marathon/`).
pub fn as_directory(mut base: Url) -> Url {
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_below_a_base_path() {
        let base = as_directory(Url::parse("http://m:8080/marathon").unwrap());
        assert_eq!(
            base.join("v2/apps/a/b").unwrap().as_str(),
            "http://m:8080/marathon/v2/apps/a/b"
        );
        let base = as_directory(Url::parse("http://m:8080").unwrap());
        assert_eq!(
            base.join("v2/apps/a").unwrap().as_str(),
            "http://m:8080/v2/apps/a"
        );
    }

    #[test]
    fn ca_errors() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.pem");
        std::fs::write(&bad, "not a certificate\n").unwrap();
        assert!(matches!(load_ca(&bad), Err(CaError::Empty { .. })));
        assert!(matches!(
            load_ca(&dir.path().join("missing.pem")),
            Err(CaError::Read { .. })
        ));
    }
}
