//! An `flink-mesos appmaster` with `high-availability: zookeeper` as a
//! child process against a genuine Mesos, for the failover and crash
//! scenarios: its `/status`, its stderr, signals, and the master's view of
//! its framework.

use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::mesos_local::MesosLocal;
use super::zookeeper::ZooKeeper;

pub const WAIT: Duration = Duration::from_secs(45);

pub struct Am {
    pub child: Child,
    stderr: PathBuf,
    pub base: String,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Am {
    pub fn start(
        dir: &std::path::Path,
        name: &str,
        mesos: &MesosLocal,
        zk: &ZooKeeper,
        extra: &[&str],
    ) -> Am {
        Am::start_with(dir, name, mesos, &zk.connect_string(), extra)
    }

    pub fn start_with(
        dir: &std::path::Path,
        name: &str,
        mesos: &MesosLocal,
        quorum: &str,
        extra: &[&str],
    ) -> Am {
        Am::start_env(dir, name, mesos, quorum, extra, &[])
    }

    /// Like [`Am::start_with`], with extra environment variables.
    pub fn start_env(
        dir: &std::path::Path,
        name: &str,
        mesos: &MesosLocal,
        quorum: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Am {
        let stderr = dir.join(format!("{name}.stderr"));
        let work = dir.join(name);
        std::fs::create_dir_all(&work).unwrap();
        let master = mesos.url.trim_start_matches("http://");
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("flink-mesos"))
            .arg("appmaster")
            .current_dir(&work)
            .env_remove("FLINK_CONF_DIR")
            .env_remove("FLINK_PROPERTIES")
            .env_remove("FLINK_MESOS_MASTER")
            .env_remove("FLINK_MESOS_FRAMEWORK_SECRET")
            .env("NO_COLOR", "1")
            .args(["--no-jobmanager", "--status-bind", "127.0.0.1"])
            .arg(format!("-Dmesos.master={master}"))
            .args([
                "-Dmesos.resourcemanager.tasks.mem=32",
                "-Dmesos.resourcemanager.tasks.cpus=0.1",
                "-Dmesos.failover-timeout=120",
                "-Dhigh-availability.type=zookeeper",
                "-Dhigh-availability.storageDir=file:///tmp/flink-mesos-it-ha",
                "-Dhigh-availability.zookeeper.client.session-timeout=4 s",
            ])
            .arg(format!("-Dhigh-availability.zookeeper.quorum={quorum}"))
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let (stdout, base) = super::status_base(&mut child, &stderr);
        Am {
            child,
            stderr,
            base,
            _stdout: stdout,
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub async fn status(&self) -> Option<Value> {
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
            if let Some(v) = self.status().await {
                if ok(&v) {
                    return v;
                }
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; status {:?}\nstderr:\n{}",
                self.status().await,
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

    pub fn kill(&mut self, signal: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status();
    }

    pub async fn wait_exit(&mut self) -> std::process::ExitStatus {
        let stderr = self.stderr.clone();
        super::wait_exit(
            &mut self.child,
            WAIT,
            Duration::from_millis(50),
            "did not exit:",
            || std::fs::read_to_string(&stderr).unwrap_or_default(),
        )
        .await
    }
}

impl Drop for Am {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `-D` for one artifact server port across restarts, as an HA setup has
/// (the URLs still change with every start).
pub fn fixed_artifact_port() -> String {
    format!(
        "-Dmesos.resourcemanager.artifactserver.port={}",
        super::free_port()
    )
}

pub fn count(v: &Value, state: &str) -> usize {
    v["workers"][state].as_array().map_or(0, |a| a.len())
}

/// The master's view of one framework: `(active task ids, completed task ids)`.
pub async fn tasks(mesos: &MesosLocal, framework_id: &str) -> (Vec<String>, Vec<String>) {
    let state = mesos.get_json("/master/state").await;
    let mut active = Vec::new();
    let mut completed = Vec::new();
    for key in ["frameworks", "completed_frameworks"] {
        for f in state[key].as_array().into_iter().flatten() {
            if f["id"] != framework_id {
                continue;
            }
            for t in f["tasks"].as_array().into_iter().flatten() {
                active.push(t["id"].as_str().unwrap_or("").to_string());
            }
            for t in f["completed_tasks"].as_array().into_iter().flatten() {
                completed.push(t["id"].as_str().unwrap_or("").to_string());
            }
        }
    }
    active.sort();
    completed.sort();
    (active, completed)
}

pub fn cluster(name: &str) -> String {
    format!("-Dhigh-availability.cluster-id={name}")
}

/// The pid of the process `cmdline` whose environment names `task_id`.
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
