//! `flink-mesos appmaster` as a child process against a genuine Mesos, the
//! way the end-to-end, failover and crash tests run it: from its own work
//! directory, with no Flink configuration from the environment, tiny
//! workers, and `--no-jobmanager`. The test reads its `/status`, its stderr,
//! sends it signals and waits for its exit; dropping it kills it.
//!
//! [`running_ids`] and [`task_pid`] find what it launched: the task ids it
//! reports running, and a worker's process on this machine.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::mesos_local::MesosLocal;

/// How long a wait on the appmaster lasts unless a test says otherwise.
pub const WAIT: Duration = Duration::from_secs(45);

pub struct Appmaster {
    pub child: Child,
    /// `http://127.0.0.1:PORT` of the status endpoint.
    pub base: String,
    stderr: PathBuf,
    _stdout: BufReader<std::process::ChildStdout>,
    /// The work directory, when the harness made it.
    _dir: Option<tempfile::TempDir>,
}

impl Appmaster {
    /// Runs `command` (`flink-mesos` with whatever the caller set: the
    /// `appmaster` subcommand, environment) in `work` against `mesos`, its
    /// stderr into `stderr`; `args` come after the shared defaults (a later
    /// `-D` wins).
    pub fn spawn(
        mut command: Command,
        work: &Path,
        stderr: PathBuf,
        mesos: &MesosLocal,
        args: &[&str],
    ) -> Appmaster {
        let master = mesos.url.trim_start_matches("http://");
        let mut child = command
            .current_dir(work)
            .env_remove("FLINK_CONF_DIR")
            .env_remove("FLINK_PROPERTIES")
            .env_remove("FLINK_MESOS_MASTER")
            .env("NO_COLOR", "1")
            .args(["--no-jobmanager", "--status-bind", "127.0.0.1"])
            .arg(format!("-Dmesos.master={master}"))
            .args([
                "-Dmesos.resourcemanager.tasks.mem=32",
                "-Dmesos.resourcemanager.tasks.cpus=0.1",
            ])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let (stdout, base) = super::status_base(&mut child, &stderr);
        Appmaster {
            child,
            base,
            stderr,
            _stdout: stdout,
            _dir: None,
        }
    }

    /// [`Appmaster::spawn`] in a fresh temporary directory (removed on
    /// drop), its stderr in `stderr` there.
    pub fn spawn_in_temp_dir(command: Command, mesos: &MesosLocal, args: &[&str]) -> Appmaster {
        let dir = tempfile::tempdir().unwrap();
        let stderr = dir.path().join("stderr");
        let mut am = Appmaster::spawn(command, dir.path(), stderr, mesos, args);
        am._dir = Some(dir);
        am
    }

    /// `flink-mesos appmaster`, the command [`Appmaster::spawn`] takes.
    pub fn command() -> Command {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("flink-mesos"));
        command
            .arg("appmaster")
            .env_remove("FLINK_MESOS_FRAMEWORK_SECRET");
        command
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// `/status`, or `None` while it does not answer (standing by before
    /// it serves, dying, killed).
    pub async fn try_status(&self) -> Option<Value> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .ok()?;
        let r = client
            .get(format!("{}/status", self.base))
            .send()
            .await
            .ok()?;
        serde_json::from_slice(&r.bytes().await.ok()?).ok()
    }

    /// `/status`; fails the test with the stderr when it does not answer.
    pub async fn status(&self) -> Value {
        match self.try_status().await {
            Some(v) => v,
            None => panic!("GET {}/status: no answer\n{}", self.base, self.stderr()),
        }
    }

    /// Polls `/status` until `ok` holds, for [`WAIT`].
    pub async fn wait_status(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        self.wait_status_for(what, WAIT, ok).await
    }

    pub async fn wait_status_for(
        &self,
        what: &str,
        wait: Duration,
        ok: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(v) = self.try_status().await {
                if ok(&v) {
                    return v;
                }
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; /status: {:#}\nstderr:\n{}",
                self.try_status().await.unwrap_or(Value::Null),
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_stderr(&self, what: &str) {
        self.wait_stderr_times(what, 1).await;
    }

    /// Waits until `what` appears `times` times in the stderr.
    pub async fn wait_stderr_times(&self, what: &str, times: usize) {
        let deadline = Instant::now() + WAIT;
        while self.stderr().matches(what).count() < times {
            assert!(
                Instant::now() < deadline,
                "no {what:?} ({times} times) in:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends the signal `name` (`TERM`, `KILL`, …); whether it was delivered.
    pub fn signal(&self, name: &str) -> bool {
        Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success())
    }

    pub async fn wait_exit(&mut self) -> ExitStatus {
        let stderr = self.stderr.clone();
        super::wait_exit(
            &mut self.child,
            WAIT,
            Duration::from_millis(50),
            "the appmaster did not exit; stderr:",
            || std::fs::read_to_string(&stderr).unwrap_or_default(),
        )
        .await
    }
}

impl Drop for Appmaster {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The task ids `/status` reports running, sorted.
pub fn running_ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v["workers"]["running"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["task_id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

/// The pid of the process `cmdline` whose environment names `task_id`
/// (`FLINK_MESOS_TASK_ID`): a worker's process on this machine.
pub fn task_pid(task_id: &str, cmdline: &[&str]) -> Option<u32> {
    let wanted_env = format!("FLINK_MESOS_TASK_ID={task_id}");
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let read = |f: &str| std::fs::read(entry.path().join(f)).unwrap_or_default();
        let args: Vec<String> = read("cmdline")
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args == cmdline
            && read("environ")
                .split(|b| *b == 0)
                .any(|v| v == wanted_env.as_bytes())
        {
            return Some(pid);
        }
    }
    None
}

/// SIGKILL to `pid`; whether it was delivered.
pub fn kill_9(pid: u32) -> bool {
    Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}
