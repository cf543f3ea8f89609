//! `--deploy`: `PUT {marathon}/v2/apps/{id}` with a definition, over the
//! shared HTTP client setup ([`crate::http`]). A non-2xx answer is a peer
//! error carrying Marathon's message and a hint for the common refusals.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::config::secret::Secret;
use crate::http::{self, CaError, SetupError, Url};

/// Where `--deploy-user`'s password comes from (never from the command line,
/// which other users of the machine can see).
pub const PASSWORD_VAR: &str = "MARATHON_PASSWORD";

/// Deadline of the whole request, answer included.
pub const DEPLOY_TIMEOUT: Duration = Duration::from_secs(60);

/// Where and how to deploy.
#[derive(Debug, Clone)]
pub struct Target {
    /// Marathon's address as given (`http://host:8080`, `https://host:8443/marathon`).
    pub url: String,
    /// Basic authentication: user and password.
    pub credentials: Option<(String, Secret)>,
    /// PEM file with the CA Marathon's certificate chains to.
    pub ca_file: Option<PathBuf>,
    /// `?force=true`: deploy even while another deployment is in progress.
    pub force: bool,
}

/// Marathon's answer to a successful deployment.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `201 Created`.
    pub status: String,
    /// The answer body (pretty JSON when it is JSON).
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The flags cannot work (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// A file given on the command line is unusable.
    #[error("{0}")]
    User(String),
    #[error("{message}")]
    Io {
        message: String,
        #[source]
        source: std::io::Error,
    },
    /// Marathon refused, or could not be reached.
    #[error("{peer}: {message}")]
    Peer { peer: String, message: String },
}

impl From<DeployError> for crate::error::Error {
    fn from(e: DeployError) -> Self {
        use crate::error::Error;
        match e {
            DeployError::Usage(m) => Error::Usage(m),
            DeployError::User(m) => Error::User(m),
            DeployError::Io { message, source } => Error::io(message, source),
            DeployError::Peer { peer, message } => Error::Peer { peer, message },
        }
    }
}

/// The URL of `PUT /v2/apps/{id}` below Marathon's address; rejects other
/// schemes, URLs without a host and credentials in the URL.
pub fn apps_url(marathon: &str, id: &str, force: bool) -> Result<Url, DeployError> {
    let wrong = || {
        DeployError::Usage(format!(
            "--deploy `{marathon}`: use Marathon's address, http://host:8080 or https://host:8443"
        ))
    };
    let no_host = || DeployError::Usage(format!("--deploy `{marathon}` has no host"));
    let base = Url::parse(marathon).map_err(|e| match e {
        url::ParseError::EmptyHost => no_host(),
        _ => wrong(),
    })?;
    if base.scheme() != "http" && base.scheme() != "https" {
        return Err(wrong());
    }
    if !base.username().is_empty() || base.password().is_some() {
        // A password in the URL would end up in messages and shell history.
        return Err(DeployError::Usage(format!(
            "--deploy: put no credentials in the URL; use --deploy-user USER and ${PASSWORD_VAR}"
        )));
    }
    if base.host_str().is_none_or(str::is_empty) {
        return Err(no_host());
    }
    let mut url = http::as_directory(base)
        .join(&format!("v2/apps/{}", id.trim_start_matches('/')))
        .map_err(|_| wrong())?;
    if force {
        url.query_pairs_mut().append_pair("force", "true");
    }
    Ok(url)
}

/// `PUT {url}/v2/apps/{id}` with the definition.
pub async fn deploy(target: &Target, id: &str, app: &Value) -> Result<Answer, DeployError> {
    let url = apps_url(&target.url, id, target.force)?;
    let client = http::client(&http::ClientSetup {
        ca_file: target.ca_file.as_deref(),
        timeout: Some(DEPLOY_TIMEOUT),
        follow_redirects: true,
        ..http::ClientSetup::default()
    })
    .map_err(|e| match e {
        SetupError::Ca(CaError::Read { path, source }) => DeployError::Io {
            message: format!("cannot read {}", path.display()),
            source,
        },
        SetupError::Ca(CaError::Invalid { path, message }) => DeployError::User(format!(
            "--deploy-ca {}: not a PEM file: {message}",
            path.display()
        )),
        SetupError::Ca(CaError::Empty { path }) => DeployError::User(format!(
            "--deploy-ca {}: no certificate found; give a PEM file with -----BEGIN CERTIFICATE----- blocks",
            path.display()
        )),
        SetupError::Build(message) => DeployError::User(message),
    })?;
    let path = id.trim_start_matches('/');
    let peer = || format!("Marathon at {}", target.url.trim_end_matches('/'));
    let mut request = client
        .put(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::ACCEPT, "application/json")
        .body(app.to_string());
    if let Some((user, password)) = &target.credentials {
        request = request.basic_auth(user, Some(password.expose()));
    }
    let response = request.send().await.map_err(|e| DeployError::Peer {
        peer: peer(),
        message: format!("PUT /v2/apps/{path}: {}", http::error_chain(&e)),
    })?;
    let status = response.status();
    let status_text = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default()
    );
    let body = response.text().await.map_err(|e| DeployError::Peer {
        peer: peer(),
        message: format!(
            "PUT /v2/apps/{path} answered {status_text}, but reading the answer failed: {}",
            http::error_chain(&e)
        ),
    })?;
    let parsed: Option<Value> = serde_json::from_str(&body).ok();
    if status.is_success() {
        let body = match parsed.as_ref().map(serde_json::to_string_pretty) {
            Some(Ok(pretty)) => pretty,
            _ => body,
        };
        return Ok(Answer {
            status: status_text,
            body,
        });
    }
    let message = parsed
        .as_ref()
        .map(|v| {
            let mut m = v
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or_default()
                .to_string();
            if let Some(details) = v.get("details").filter(|d| !d.is_null()) {
                m.push_str(&format!(" {details}"));
            }
            m
        })
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| body.trim().chars().take(500).collect());
    let hint = match status.as_u16() {
        401 | 403 => format!("; check --deploy-user and ${PASSWORD_VAR}"),
        409 => {
            "; another deployment of the app is in progress: wait for it, or pass --deploy-force"
                .into()
        }
        422 => "; Marathon rejected the definition".into(),
        _ => String::new(),
    };
    Err(DeployError::Peer {
        peer: peer(),
        message: format!("PUT /v2/apps/{path} answered {status_text}: {message}{hint}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_urls() {
        let u = apps_url("http://m:8080/", "/analytics/flink", true).unwrap();
        assert_eq!(
            u.as_str(),
            "http://m:8080/v2/apps/analytics/flink?force=true"
        );
        let u = apps_url("https://m/marathon", "flink", false).unwrap();
        assert_eq!(u.as_str(), "https://m/marathon/v2/apps/flink");
        assert!(
            matches!(apps_url("http://", "f", false), Err(DeployError::Usage(m)) if m.contains("has no host"))
        );
        for bad in ["ftp://m", "m:8080", "http://u:p@m:8080", "http://"] {
            assert!(
                matches!(apps_url(bad, "f", false), Err(DeployError::Usage(_))),
                "{bad}"
            );
        }
    }
}
