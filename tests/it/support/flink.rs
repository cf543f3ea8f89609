//! Real Flink for the integration tests: the distribution that
//! `scripts/fetch-flink.sh` assembles (or `$FLINK_HOME`), a JobManager
//! started through the library's own [`FlinkProcess`] on free loopback
//! ports, and small helpers to ask its REST API and measure JVMs.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use flink_mesos::config::options::Key;
use flink_mesos::config::settings::{resolve, Purpose, ValidateOptions};
use flink_mesos::config::{Config, LoadOptions};
use flink_mesos::flink::{jobmanager, FlinkHome, FlinkProcess, Java};

/// `$FLINK_HOME`, else `~/.cache/flink-mesos/flink-2.3.0`; fails the test
/// with the command that installs it.
pub fn flink_home() -> FlinkHome {
    let path = std::env::var_os("FLINK_HOME")
        .map(PathBuf::from)
        .or_else(|| flink_mesos::flink::cached_home("2.3.0"))
        .expect("HOME is not set");
    FlinkHome::open(&path).unwrap_or_else(|e| {
        panic!("Flink is not installed ({e}): run scripts/install-deps.sh (it runs scripts/fetch-flink.sh)")
    })
}

pub fn java() -> Java {
    Java::locate(None).unwrap_or_else(|e| panic!("{e}: run scripts/install-deps.sh"))
}

/// The small TaskManager memory settings that work with Flink 2.x
/// (DESIGN.md §5): the ones `local up` uses.
pub fn small_taskmanager() -> impl Iterator<Item = &'static (Key, &'static str)> {
    flink_mesos::local::LOCAL_DEFAULTS
        .iter()
        .filter(|(k, _)| k.name().starts_with("taskmanager.memory."))
}
pub struct JobManager {
    pub process: FlinkProcess,
    pub rpc_port: u16,
    pub rest_port: u16,
    pub _dir: tempfile::TempDir,
}

impl JobManager {
    /// Prepares and starts a session JobManager (512 MB) on loopback with
    /// the library's `flink::jobmanager`, as the appmaster does.
    pub async fn start(home: &FlinkHome, java: &Java) -> JobManager {
        let dir = tempfile::Builder::new()
            .prefix("flink-mesos-it-jm-")
            .tempdir()
            .unwrap();
        let rpc_port = super::free_port();
        let rest_port = super::free_port();
        let dynamic = [
            "mesos.master=127.0.0.1:5050".to_string(),
            format!("jobmanager.rpc.port={rpc_port}"),
            format!("rest.port={rest_port}"),
            "jobmanager.bind-host=127.0.0.1".into(),
            "rest.bind-address=127.0.0.1".into(),
            "jobmanager.memory.process.size=512m".into(),
            "jobmanager.memory.jvm-metaspace.size=128m".into(),
            "jobmanager.memory.jvm-overhead.min=64m".into(),
        ];
        let config = Config::load(&LoadOptions {
            dynamic: dynamic.to_vec(),
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
        .expect("valid JobManager settings");
        let (conf, _) = jobmanager::jobmanager_conf(&config, &settings, home.version, "127.0.0.1");
        assert_eq!(
            jobmanager::web_ui_url(&conf).unwrap(),
            format!("http://127.0.0.1:{rest_port}")
        );
        let process = jobmanager::start(
            home.clone(),
            java.clone(),
            conf,
            dir.path().into(),
            dir.path().join("log"),
            true,
        )
        .await
        .expect("start the JobManager");
        JobManager {
            process,
            rpc_port,
            rest_port,
            _dir: dir,
        }
    }

    pub fn log(&self) -> String {
        let log = std::fs::read_to_string(&self.process.command.log_file).unwrap_or_default();
        let err = std::fs::read_to_string(self.process.command.log_dir.join("jobmanager.err"))
            .unwrap_or_default();
        format!(
            "--- jobmanager.log (tail)\n{}\n--- jobmanager.err\n{err}",
            tail(&log, 40)
        )
    }
}

pub fn tail(s: &str, lines: usize) -> String {
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(lines)..].join("\n")
}

/// GET http://127.0.0.1:port/path → (status, body), or None when nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    s.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    // Flink answers with chunked encoding for some resources; JSON bodies
    // here are small enough that one chunk holds them.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body.split_once("\r\n")
            .map_or("", |(_, rest)| rest)
            .rsplit_once("\r\n0\r\n")
            .map_or(body, |(b, _)| b)
            .to_string()
    } else {
        body.to_string()
    };
    Some((status, body))
}

/// Polls `check` every 100 ms until it returns Some or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Some(v) = check() {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// Resident memory of a process in MB (VmRSS).
pub fn rss_mb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024)
}

/// The direct children of `pid` (from each process' `stat`).
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| {
                    // pid (comm) state ppid …; comm may hold spaces.
                    let rest = &s[s.rfind(')')? + 1..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

pub fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// Compiles the README demo's job, `examples/jobs/SmallJob.java` (a small
/// streaming pipeline; the PyPI wheels ship no examples), with
/// `javac -cp "lib/*"` into `<dir>/small-job.jar`.
pub fn build_small_job(home: &FlinkHome, dir: &std::path::Path) -> PathBuf {
    let source =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/jobs/SmallJob.java");
    let classes = dir.join("classes");
    std::fs::create_dir_all(&classes).unwrap();
    let run = |cmd: &mut std::process::Command| {
        let out = cmd.output().unwrap_or_else(|e| {
            panic!("{cmd:?}: {e} (a JDK is needed: run scripts/install-deps.sh)")
        });
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(std::process::Command::new("javac")
        .arg("-cp")
        .arg(home.root.join("lib").join("*"))
        .arg("-d")
        .arg(&classes)
        .arg(&source));
    let jar = dir.join("small-job.jar");
    run(std::process::Command::new("jar")
        .arg("cf")
        .arg(&jar)
        .arg("-C")
        .arg(&classes)
        .arg("."));
    jar
}

/// Uploads `jar` through the JobManager's REST API and runs `entry_class`;
/// returns the job id.
pub async fn submit_jar(rest_port: u16, jar: &std::path::Path, entry_class: &str) -> String {
    submit_jar_to(&format!("http://127.0.0.1:{rest_port}"), jar, entry_class).await
}

/// [`submit_jar`] to the REST API at `base` (`http://host:port`).
pub async fn submit_jar_to(base: &str, jar: &std::path::Path, entry_class: &str) -> String {
    submit_jar_with(base, jar, entry_class, None).await
}

/// [`submit_jar_to`] with the job's parallelism.
pub async fn submit_jar_with(
    base: &str,
    jar: &std::path::Path,
    entry_class: &str,
    parallelism: Option<u32>,
) -> String {
    let client = reqwest::Client::new();
    let boundary = "flink-mesos-it-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"small-job.jar\"\r\nContent-Type: application/x-java-archive\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::fs::read(jar).unwrap());
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let uploaded: serde_json::Value = client
        .post(format!("{base}/jars/upload"))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap_or_default())
        .unwrap();
    let filename = uploaded["filename"]
        .as_str()
        .unwrap_or_else(|| panic!("upload failed: {uploaded}"));
    let id = filename.rsplit('/').next().unwrap();
    let ran: serde_json::Value = client
        .post(format!(
            "{base}/jars/{id}/run?entry-class={entry_class}{}",
            parallelism
                .map(|p| format!("&parallelism={p}"))
                .unwrap_or_default()
        ))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap_or_default())
        .unwrap();
    ran["jobid"]
        .as_str()
        .unwrap_or_else(|| panic!("run failed: {ran}"))
        .to_string()
}

/// Polls the job's state until it is terminal or `timeout` passes.
pub async fn wait_job_terminal(rest_port: u16, job: &str, timeout: Duration) -> String {
    wait_job_terminal_at(&format!("http://127.0.0.1:{rest_port}"), job, timeout).await
}

/// [`wait_job_terminal`] against the REST API at `base` (`http://host:port`).
pub async fn wait_job_terminal_at(base: &str, job: &str, timeout: Duration) -> String {
    let url = format!("{base}/jobs/{job}");
    let start = Instant::now();
    let mut state = String::new();
    while start.elapsed() < timeout {
        if let Ok(r) = reqwest::get(&url).await {
            if let Ok(v) = r
                .text()
                .await
                .map(|t| serde_json::from_str::<serde_json::Value>(&t).unwrap_or_default())
            {
                state = v["state"].as_str().unwrap_or_default().to_string();
                if ["FINISHED", "FAILED", "CANCELED"].contains(&state.as_str()) {
                    return state;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    state
}
