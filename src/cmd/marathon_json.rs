//! `flink-mesos marathon-json`: the Marathon app definition that runs the
//! appmaster, from the effective configuration ([`crate::marathon`] builds
//! it), written to stdout as JSON or YAML, or sent to Marathon with
//! `--deploy URL` (`PUT /v2/apps/{id}`).
//!
//! Configuration errors block generation: they are printed like
//! `validate-conf` prints them and the command exits 1. Notes (secrets to
//! provide, values replaced) go to stderr, so stdout stays a clean document.

use std::io::Write;
use std::time::Duration;

use crate::cli::{DefinitionFormat, Entrypoint as EntrypointArg, GlobalArgs, MarathonJsonArgs};
use crate::config::settings::Purpose;
use crate::error::{Error, Result};
use crate::marathon::{self, Entrypoint, Request};

/// Where `--deploy-user`'s password comes from (never from the command line,
/// which other users of the machine can see).
pub const PASSWORD_VAR: &str = "MARATHON_PASSWORD";

pub fn run(global: &GlobalArgs, args: &MarathonJsonArgs) -> Result<()> {
    let (config, report) = super::load_checked(global, Purpose::Appmaster)?;
    let stderr = std::io::stderr();
    let Some(settings) = report.settings else {
        return Err(Error::Reported {
            errors: report.errors(),
        });
    };
    let definition = marathon::app_definition(&config, &settings, &request(args)?)?;
    if !global.quiet {
        let mut err = stderr.lock();
        for note in &definition.notes {
            writeln!(err, "note: {note}")?;
        }
    }
    let mut out = std::io::stdout().lock();
    match &args.deploy {
        None => {
            let text = match args.format {
                DefinitionFormat::Json if args.pretty => pretty(&definition.app),
                DefinitionFormat::Json => definition.app.to_string(),
                DefinitionFormat::Yaml => marathon::to_yaml(&definition.app),
            };
            write!(out, "{}", text.trim_end())?;
            writeln!(out)?;
        }
        Some(url) => {
            let answer = deploy(url, &definition.id, &definition.app, args)?;
            if !global.quiet {
                writeln!(
                    stderr.lock(),
                    "deployed `{}` to {}: {}",
                    definition.id,
                    url.trim_end_matches('/'),
                    answer.status
                )?;
            }
            writeln!(out, "{}", answer.body.trim_end())?;
        }
    }
    out.flush()?;
    Ok(())
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn request(args: &MarathonJsonArgs) -> Result<Request> {
    let entrypoint = match (args.entrypoint, &args.flink_home) {
        (EntrypointArg::Script, home) => Entrypoint::Script {
            flink_home: home.clone(),
        },
        (EntrypointArg::Binary, None) => Entrypoint::Binary,
        (EntrypointArg::Binary, Some(_)) => return Err(Error::Usage(
            "--flink-home is for --entrypoint script; `flink-mesos appmaster` is found on the PATH"
                .into(),
        )),
    };
    Ok(Request {
        id: args.id.clone(),
        instances: args.instances,
        cpus: args.cpus,
        disk: args.disk,
        docker_image: args.docker_image.clone(),
        entrypoint,
        constraints: args.constraints.clone(),
        env: args.env.clone(),
        labels: args.labels.clone(),
        secret_store: args.secret_store.clone(),
        inline_config: args.inline_config,
    })
}

/// Marathon's answer to a successful deployment.
struct Answer {
    status: String,
    body: String,
}

/// `PUT {url}/v2/apps/{id}` with the definition; a non-2xx answer is a peer
/// error that carries Marathon's message.
fn deploy(url: &str, id: &str, app: &serde_json::Value, args: &MarathonJsonArgs) -> Result<Answer> {
    let base = url.trim_end_matches('/');
    let Some((_, rest)) = base
        .split_once("://")
        .filter(|(s, _)| *s == "http" || *s == "https")
    else {
        return Err(Error::Usage(format!(
            "--deploy `{url}`: use Marathon's address, http://host:8080 or https://host:8443"
        )));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        // A password in the URL would end up in messages and shell history.
        return Err(Error::Usage(format!(
            "--deploy: put no credentials in the URL; use --deploy-user USER and ${PASSWORD_VAR}"
        )));
    }
    if authority.is_empty() {
        return Err(Error::Usage(format!("--deploy `{url}` has no host")));
    }
    let mut target = format!("{base}/v2/apps/{}", id.trim_start_matches('/'));
    if args.deploy_force {
        target.push_str("?force=true");
    }

    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(path) = &args.deploy_ca {
        let pem = std::fs::read(path).map_err(|e| Error::read_file(path, e))?;
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
                Ok(_) => {}
                Err(e) => {
                    return Err(Error::User(format!(
                        "--deploy-ca {}: not a PEM file: {e}",
                        path.display()
                    )))
                }
            }
        }
        if certs.is_empty() {
            return Err(Error::User(format!(
                "--deploy-ca {}: no certificate found; give a PEM file with -----BEGIN CERTIFICATE----- blocks",
                path.display()
            )));
        }
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .tls_config(tls.build())
        .build()
        .into();
    let mut request = agent
        .put(&target)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json");
    if let Some(user) = &args.deploy_user {
        let password = std::env::var(PASSWORD_VAR).map_err(|_| {
            Error::Usage(format!(
                "--deploy-user {user}: set ${PASSWORD_VAR} to the password (it is never taken from the command line)"
            ))
        })?;
        request = request.header(
            "Authorization",
            format!("Basic {}", base64(&format!("{user}:{password}"))),
        );
    }
    let peer = || format!("Marathon at {base}");
    let mut response = request.send(app.to_string()).map_err(|e| Error::Peer {
        peer: peer(),
        message: format!("PUT /v2/apps/{}: {e}", id.trim_start_matches('/')),
    })?;
    let status = response.status();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    let parsed: Option<serde_json::Value> = serde_json::from_str(&body).ok();
    let status_text = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default()
    );
    if status.is_success() {
        return Ok(Answer {
            status: status_text,
            body: parsed.as_ref().map_or(body, pretty),
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
    Err(Error::Peer {
        peer: peer(),
        message: format!(
            "PUT /v2/apps/{} answered {status_text}: {message}{hint}",
            id.trim_start_matches('/')
        ),
    })
}

/// Standard base64 with padding, for the basic authentication header.
fn base64(input: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(plain), encoded);
        }
    }
}
