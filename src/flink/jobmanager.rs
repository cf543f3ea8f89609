//! Pieces for running Flink's JobManager (a session cluster with its web
//! interface, or a job cluster's application-mode JobManager) beside the appmaster: its configuration, and starting it as
//! a supervised child. The appmaster decides when to start and restart it.

use std::path::PathBuf;

use super::conf::{self, FlinkConf};
use super::launch::{self, JobProgram, LaunchRequest, Role};
use super::{FlinkError, FlinkHome, FlinkProcess, Java, Output, SpawnOptions};
use crate::config::options::Key;
use crate::config::settings::Settings;
use crate::config::Config;

/// The JobManager's Flink configuration: the user's entries
/// ([`conf::flink_entries`]) with the RPC and REST ports flink-mesos
/// validated (`jobmanager.rpc.port`, `rest.port` — also spelled
/// `jobmanager.web.port`), `address` as `jobmanager.rpc.address` (the
/// address every TaskManager gets: `appmaster::plan::jobmanager_address`)
/// and as `rest.address` unless given, and the memory keys of
/// [`launch::fill_memory`] (`jobmanager.heap.mb` → `jobmanager.memory.heap.size`).
pub fn jobmanager_conf(
    config: &Config,
    settings: &Settings,
    version: super::FlinkVersion,
    address: &str,
) -> (FlinkConf, Vec<String>) {
    let mut conf = conf::flink_entries(config);
    conf.set(Key::JobmanagerRpcAddress, address);
    conf.set(
        Key::JobmanagerRpcPort,
        settings.jobmanager_rpc_port.to_string(),
    );
    conf.set(Key::RestPort, settings.rest_port.to_string());
    conf.set_default(Key::RestAddress, || address.to_string());
    let notes = launch::fill_memory(Role::JobManager, version, &mut conf, settings);
    (conf, notes)
}

/// The web interface's URL for the framework's `webui_url`.
pub fn web_ui_url(conf: &FlinkConf) -> Option<String> {
    let host = conf
        .get(Key::RestAddress)
        .or_else(|| conf.get(Key::JobmanagerRpcAddress))?;
    let port = conf
        .get(Key::RestPort)
        .or(Key::RestPort.default_value())
        .unwrap_or_default();
    let ssl = conf
        .get(Key::SecuritySslRestEnabled)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    Some(format!(
        "{}://{host}:{port}",
        if ssl { "https" } else { "http" }
    ))
}

/// The JobManager's REST API through a local address (never the advertised
/// name, which may be a NAT or load-balancer address): `rest.bind-address`
/// when it names one address, else the loopback; the first port of
/// `rest.port`. `None` when the REST API is served over TLS.
pub fn local_rest_url(conf: &FlinkConf) -> Option<String> {
    let ssl = conf
        .get(Key::SecuritySslRestEnabled)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if ssl {
        return None;
    }
    let port_spec = conf
        .get(Key::RestPort)
        .or(Key::RestPort.default_value())
        .unwrap_or("8081");
    let port: u16 = port_spec
        .split([',', '-'])
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(8081);
    let host = match conf.get(Key::RestBindAddress).map(str::trim) {
        None | Some("") | Some("0.0.0.0") | Some("::") => "127.0.0.1".to_string(),
        Some(a) if a.contains(':') => format!("[{a}]"),
        Some(a) => a.to_string(),
    };
    Some(format!("http://{host}:{port}"))
}

/// Writes `<work_dir>/flink-conf/`, works out the memory flags (on a
/// blocking thread: BashJavaUtils takes about half a second) and starts the
/// JobManager with its log in `log_dir` (`jobmanager.log`, `.out`, `.err`).
/// `die_with_parent`: see [`SpawnOptions::die_with_parent`] (safe from any
/// thread).
pub async fn start(
    home: FlinkHome,
    java: Java,
    conf: FlinkConf,
    work_dir: PathBuf,
    log_dir: PathBuf,
    die_with_parent: bool,
) -> Result<FlinkProcess, FlinkError> {
    start_with(
        home,
        java,
        conf,
        work_dir,
        log_dir,
        die_with_parent,
        None,
        Default::default(),
    )
    .await
}

/// [`start`], as an application-mode JobManager of `program` when given
/// (a job cluster: Flink's standalone application entry point), with the
/// ZooKeeper login and TLS `zookeeper` ([`super::zk_login`]).
#[allow(clippy::too_many_arguments)]
pub async fn start_with(
    home: FlinkHome,
    java: Java,
    conf: FlinkConf,
    work_dir: PathBuf,
    log_dir: PathBuf,
    die_with_parent: bool,
    program: Option<JobProgram>,
    zookeeper: super::zk_login::ZkClientJvm,
) -> Result<FlinkProcess, FlinkError> {
    let dir = work_dir.clone();
    let command = tokio::task::spawn_blocking(move || {
        launch::prepare(&LaunchRequest {
            role: Role::JobManager,
            home: &home,
            java: &java,
            conf,
            work_dir: dir,
            conf_dir: None,
            log_dir,
            log_config: None,
            container_mb: None,
            zookeeper,
        })
    })
    .await
    .map_err(|e| FlinkError::io("preparing the JobManager", std::io::Error::other(e)))??;
    let command = match &program {
        Some(program) => command.into_application(program),
        None => command,
    };
    FlinkProcess::spawn(
        &command,
        &SpawnOptions {
            output: Output::Files,
            cwd: Some(work_dir),
            die_with_parent,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::{resolve, Purpose, ValidateOptions};
    use crate::config::LoadOptions;
    use crate::flink::FlinkVersion;

    #[test]
    fn ports_address_and_memory() {
        let config = Config::load(&LoadOptions {
            dynamic: vec![
                "mesos.master=m:5050".into(),
                "jobmanager.web.port=18081".into(),
                "jobmanager.rpc.port=16123".into(),
                "jobmanager.heap.mb=768".into(),
            ],
            ..Default::default()
        })
        .unwrap();
        let settings = resolve(
            &config,
            ValidateOptions {
                purpose: Purpose::Appmaster,
                strict: false,
            },
        )
        .settings
        .unwrap();
        let (conf, notes) =
            jobmanager_conf(&config, &settings, FlinkVersion::new(2, 3, 0), "am.example");
        let got: Vec<String> = conf.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            got,
            [
                "jobmanager.memory.heap.size=768m",
                "jobmanager.rpc.address=am.example",
                "jobmanager.rpc.port=16123",
                "jobmanager.web.port=18081",
                "rest.address=am.example",
                "rest.port=18081",
            ]
        );
        assert_eq!(notes.len(), 1);
        assert_eq!(web_ui_url(&conf).unwrap(), "http://am.example:18081");
    }
}
