//! `flink-mesos workers scale N`: sets the floor of a running cluster
//! through its appmaster's status endpoint (`POST /workers/scale`, with the
//! admin token), then waits until the workers run.
//!
//! The appmaster is `--appmaster`, else (ZooKeeper high availability) the
//! leader's status address from its leader record. The token is, in order:
//! `--token-file`, `$FLINK_MESOS_ADMIN_TOKEN`,
//! `mesos.resourcemanager.admin-token`, `<work dir>/admin-token` (see
//! `crate::appmaster::admin`). It is sent in a header, never printed.
//!
//! Progress is one indicatif line on a terminal; with `--output json` only
//! the result is printed (one JSON object).

use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use crate::appmaster::admin;
use crate::cli::{GlobalArgs, OutputFormat, WorkersScaleArgs};
use crate::config::options::Key;
use crate::config::secret::Secret;
use crate::config::settings::Purpose;
use crate::config::values;
use crate::error::{Error, Result};

/// The default `--work-dir` of `flink-mesos appmaster` outside Mesos.
const DEFAULT_WORK_DIR: &str = "flink-mesos-appmaster";

pub fn run(global: &GlobalArgs, args: WorkersScaleArgs) -> Result<()> {
    let timeout = values::parse_duration(&args.timeout)
        .map_err(|e| Error::Usage(format!("--timeout {}: {e}", args.timeout)))?;
    let (config, report) = super::load_checked(global, Purpose::Taskmanager)?;
    // Before the runtime's threads: the Kerberos library reads its environment.
    if let Some(kerberos) = report
        .settings
        .as_ref()
        .and_then(|s| s.ha.as_ref())
        .and_then(|ha| ha.kerberos.as_ref())
    {
        crate::store::zk::kerberos_environment(kerberos);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let base = match &args.appmaster {
            Some(given) => normalize(given),
            None => leader_status(report.settings.as_ref()).await?,
        };
        let token = token(&args, &config)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .no_proxy()
            .build()
            .map_err(|e| Error::Internal(format!("cannot build an HTTP client: {e}")))?;
        let url = format!("{base}/workers/scale");
        let response = client
            .post(&url)
            .bearer_auth(token.expose())
            .header("Content-Type", "application/json")
            .body(json!({ "workers": args.workers }).to_string())
            .send()
            .await
            .map_err(|e| peer(&base, format!("cannot reach the appmaster: {e}")))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        match status.as_u16() {
            200 => {}
            401 | 403 => {
                return Err(Error::User(format!(
                    "the appmaster at {base} refused the admin token ({status}: {}); pass the one \
                     it wrote to <work dir>/admin-token with --token-file, or set \
                     ${} (or mesos.resourcemanager.admin-token)",
                    body.trim(),
                    admin::TOKEN_ENV
                )))
            }
            _ => return Err(peer(&base, format!("{status}: {}", body.trim()))),
        }
        let answer: Value = serde_json::from_str(&body).unwrap_or_default();
        let from = answer["floor"]["from"].as_u64().unwrap_or(0);
        let to = answer["floor"]["to"]
            .as_u64()
            .unwrap_or(u64::from(args.workers));
        let text = global.output == OutputFormat::Text;
        if text {
            eprintln!("floor {from} → {to} ({base})");
        }
        let mut result = json!({"appmaster": base, "floor": {"from": from, "to": to}});
        if !args.no_wait {
            let settled = wait(&client, &base, args.workers, timeout, text).await?;
            result["running"] = json!(settled.running);
            result["desired"] = json!(settled.desired);
        }
        let mut out = std::io::stdout().lock();
        match global.output {
            OutputFormat::Text => {
                if !args.no_wait {
                    writeln!(out, "{} workers running (floor {to})", result["running"])?;
                }
            }
            OutputFormat::Json => writeln!(out, "{result}")?,
            OutputFormat::Yaml => write!(out, "{}", crate::marathon::to_yaml(&result))?,
        }
        Ok(())
    })
}

fn peer(base: &str, message: String) -> Error {
    Error::Peer {
        peer: format!("appmaster {base}"),
        message,
    }
}

/// `host:port`, `http://host:port` or `…/status` → `http://host:port`.
fn normalize(given: &str) -> String {
    let given = given.trim().trim_end_matches('/');
    let given = given.strip_suffix("/status").unwrap_or(given);
    if given.contains("://") {
        given.to_string()
    } else {
        format!("http://{given}")
    }
}

/// The leader's status address from ZooKeeper.
async fn leader_status(settings: Option<&crate::config::settings::Settings>) -> Result<String> {
    let Some(ha) = settings.and_then(|s| s.ha.as_ref()) else {
        return Err(Error::Usage(
            "pass --appmaster URL: the status address the appmaster printed at start \
             (without ZooKeeper high availability there is no leader record to find it)"
                .into(),
        ));
    };
    let mut config = crate::store::zk::ZkConfig::from_settings(ha);
    config.connect_timeout = Duration::from_secs(5).min(config.connect_timeout);
    let zk = crate::store::zk::Zk::connect(config).await?;
    let leader = crate::store::leader::current_leader(&zk).await?;
    match leader.and_then(|(_, info)| info).and_then(|i| i.status) {
        Some(status) => Ok(normalize(&status)),
        None => Err(Error::User(format!(
            "no appmaster leads the cluster at {} in ZooKeeper (or its record has no status \
             address); pass --appmaster URL",
            zk.base()
        ))),
    }
}

fn token(args: &WorkersScaleArgs, config: &crate::config::Config) -> Result<Secret> {
    if let Some(path) = &args.token_file {
        return admin::read(path).map_err(Error::User);
    }
    if let Ok(value) = std::env::var(admin::TOKEN_ENV) {
        if !value.trim().is_empty() {
            return Ok(Secret::new(value.trim()));
        }
    }
    if let Some(e) = config.get(Key::MesosResourcemanagerAdminToken.def()) {
        if !e.value.trim().is_empty() {
            return Ok(Secret::new(e.value.trim()));
        }
    }
    let dir = args
        .work_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_WORK_DIR));
    let path = dir.join(admin::TOKEN_FILE);
    if path.exists() {
        return admin::read(&path).map_err(Error::User);
    }
    Err(Error::User(format!(
        "no admin token: {} does not exist; pass --token-file (the appmaster writes \
         <work dir>/admin-token at start), --work-dir, or set ${}",
        path.display(),
        admin::TOKEN_ENV
    )))
}

struct Settled {
    running: usize,
    desired: u64,
}

/// Polls `/status` until the desired workers run and none is pending.
async fn wait(
    client: &reqwest::Client,
    base: &str,
    floor: u32,
    timeout: Duration,
    progress: bool,
) -> Result<Settled> {
    let bar = (progress && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let started = Instant::now();
    let mut last = String::from("no answer yet");
    loop {
        if let Ok(r) = client.get(format!("{base}/status")).send().await {
            let body = r.text().await.unwrap_or_default();
            if let Ok(v) = serde_json::from_str::<Value>(&body) {
                let count = |s: &str| v["workers"][s].as_array().map_or(0, Vec::len);
                let (running, pending) = (count("running"), count("new") + count("launched"));
                let desired = v["desired_workers"].as_u64().unwrap_or(u64::from(floor));
                last = format!("{running} of {desired} workers running, {pending} starting");
                if let Some(reasons) = v["unmatched_offers"].as_object() {
                    if let Some((host, why)) = reasons.iter().next() {
                        last.push_str(&format!(
                            "; offers not used ({host}: {})",
                            why.as_str().unwrap_or("")
                        ));
                    }
                }
                if let Some(reason) = v["unsatisfiable"]["reason"].as_str() {
                    if let Some(bar) = bar {
                        bar.abandon();
                    }
                    return Err(Error::Failed(format!(
                        "the floor is set, but the workers cannot be placed: {reason}"
                    )));
                }
                if let Some(bar) = &bar {
                    bar.set_message(last.clone());
                }
                if running as u64 == desired && pending == 0 && desired >= u64::from(floor) {
                    if let Some(bar) = bar {
                        bar.finish_and_clear();
                    }
                    return Ok(Settled { running, desired });
                }
            }
        }
        if started.elapsed() >= timeout {
            if let Some(bar) = bar {
                bar.abandon();
            }
            return Err(Error::Failed(format!(
                "the floor is set, but the workers did not settle within {timeout:?}: {last}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn appmaster_addresses_are_normalized() {
        assert_eq!(super::normalize("h:1"), "http://h:1");
        assert_eq!(super::normalize("http://h:1/status"), "http://h:1");
        assert_eq!(super::normalize("https://h:1/"), "https://h:1");
    }
}
