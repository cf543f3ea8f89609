//! `flink-mesos local` (issue 13) against the real peers: a genuine Mesos
//! (the `mesos-local` build of scripts/install-deps.sh) or the embedded
//! one, real Flink, and this binary as the appmaster. Each test has its own state directory and
//! working directory; whatever a test started is stopped by `local down` in
//! a drop guard, and every pid it saw is checked to be gone.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::flink::{self, build_small_job, submit_jar, wait_job_terminal};

/// A private copy of the binary: the appmaster ships itself to the
/// TaskManagers, and other builds may replace target/debug meanwhile.
pub(crate) struct Bin {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Bin {
    pub(crate) fn new() -> Bin {
        let dir = tempfile::Builder::new()
            .prefix("flink-mesos-it-local-bin-")
            .tempdir()
            .unwrap();
        let path = dir.path().join("flink-mesos");
        std::fs::copy(assert_cmd::cargo::cargo_bin("flink-mesos"), &path).unwrap();
        Bin { path, _dir: dir }
    }

    /// `flink-mesos local <args> --state-dir <state>` run in `cwd`.
    pub(crate) fn local(&self, cwd: &Path, state: &Path, args: &[&str]) -> Output {
        self.command(cwd, state, args).output().unwrap()
    }

    fn command(&self, cwd: &Path, state: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.path);
        cmd.arg("local")
            .args(args)
            .arg("--state-dir")
            .arg(state)
            .current_dir(cwd)
            .env("FLINK_HOME", &flink::flink_home().root)
            .env("NO_COLOR", "1")
            .env_remove("FLINK_CONF_DIR")
            .env_remove("FLINK_PROPERTIES")
            .env_remove("MESOS_HOME")
            .env_remove("MESOS_SANDBOX")
            .env_remove("FLINK_MESOS_LOCAL_DIR");
        cmd
    }
}

/// One test's cluster: a private binary, an empty working directory and a
/// state directory; `local down` runs when the test ends, however it ends.
pub(crate) struct Scene {
    pub(crate) bin: Bin,
    pub(crate) cwd: tempfile::TempDir,
    pub(crate) state: PathBuf,
    _state_root: tempfile::TempDir,
}

impl Scene {
    pub(crate) fn new() -> Scene {
        let state_root = tempfile::tempdir().unwrap();
        Scene {
            bin: Bin::new(),
            cwd: tempfile::tempdir().unwrap(),
            state: state_root.path().join("cluster"),
            _state_root: state_root,
        }
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        let _ = self.bin.local(self.cwd.path(), &self.state, &["down"]);
    }
}

pub(crate) fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub(crate) fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

/// A process that still runs (zombies do not count).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s[s.rfind(')')? + 1..]
                .split_whitespace()
                .next()
                .map(String::from)
        })
        .is_some_and(|state| state != "Z")
}

/// `pid` and all its descendants.
fn tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        all.extend(flink::children(all[i]));
        i += 1;
    }
    all
}

fn wait_gone(pids: &[u32], timeout: Duration) -> Vec<u32> {
    let deadline = Instant::now() + timeout;
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|p| running(*p)).collect();
        if left.is_empty() || Instant::now() >= deadline {
            for p in &left {
                eprintln!("left behind: {p} {}", flink::cmdline(*p));
            }
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_up_runs_a_job_and_local_down_leaves_nothing_behind() {
    let scene = Scene::new();
    let (bin, cwd, state) = (&scene.bin, &scene.cwd, scene.state.clone());

    // The user's ./conf counts, although the appmaster runs elsewhere.
    std::fs::create_dir(cwd.path().join("conf")).unwrap();
    std::fs::write(
        cwd.path().join("conf/config.yaml"),
        "flink-mesos-local-test.marker: from-the-conf-dir\n",
    )
    .unwrap();

    let started = Instant::now();
    let out = bin.local(
        cwd.path(),
        &state,
        &["up", "--workers", "2", "--output", "json"],
    );
    let up_secs = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["workers"], 2);
    assert_eq!(
        report["taskmanagers"],
        serde_json::json!(["taskmanager-00001", "taskmanager-00002"])
    );
    let rest_port = report["rest_port"].as_u64().unwrap() as u16;
    let mesos_url = report["mesos_url"].as_str().unwrap().to_string();
    assert_eq!(
        report["flink_url"].as_str().unwrap(),
        format!("http://127.0.0.1:{rest_port}")
    );
    assert!(report["submit"]
        .as_str()
        .unwrap()
        .contains(&format!("-m 127.0.0.1:{rest_port}")));
    assert!(state.join("state.json").is_file());
    assert!(
        !cwd.path().join("flink-mesos-appmaster").exists(),
        "nothing is written where the user stands"
    );

    // Mesos answers and runs our framework with two tasks.
    let master = crate::support::mesos_local::get_json(&mesos_url, "/master/state").await;
    let frameworks = master["frameworks"].as_array().unwrap();
    assert_eq!(frameworks.len(), 1, "{master}");
    assert_eq!(frameworks[0]["tasks"].as_array().unwrap().len(), 2);

    let config = reqwest::get(format!("http://127.0.0.1:{rest_port}/jobmanager/config"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(config.contains("from-the-conf-dir"), "{config}");

    // Status: every component healthy, with pids and ports.
    let status = healthy_two_worker_status(bin, cwd.path(), &state);
    let components = status["components"].as_array().unwrap();
    for c in components {
        assert_eq!(c["healthy"], true, "{c}");
        assert!(c["pid"].as_u64().is_some(), "{c}");
        assert!(c["port"].as_u64().is_some(), "{c}");
    }
    let table = bin.local(cwd.path(), &state, &["status"]);
    assert!(table.status.success(), "{}", text(&table));
    assert!(String::from_utf8_lossy(&table.stdout).contains("taskmanager-00002"));

    // Logs: listed, and one printed.
    let out = bin.local(cwd.path(), &state, &["logs", "jobmanager", "-n", "200"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("StandaloneSessionClusterEntrypoint"));
    let out = bin.local(cwd.path(), &state, &["logs", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // A second `up` is refused while this one runs.
    let out = bin.local(cwd.path(), &state, &["up"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already running"),
        "{}",
        text(&out)
    );

    // A job submitted to the printed REST URL finishes.
    let job_dir = tempfile::tempdir().unwrap();
    let jar = build_small_job(&flink::flink_home(), job_dir.path());
    let job = submit_jar(rest_port, &jar, "SmallJob").await;
    assert_eq!(
        wait_job_terminal(rest_port, &job, Duration::from_secs(120)).await,
        "FINISHED"
    );

    let down_secs = down_leaves_nothing(bin, cwd.path(), &state, components);
    assert!(
        state.join("logs/appmaster.log").is_file(),
        "logs stay without --purge"
    );

    // Idempotent; status says nothing runs.
    let out = bin.local(cwd.path(), &state, &["down"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to stop"));
    let out = bin.local(cwd.path(), &state, &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no local cluster"));
    let out = bin.local(cwd.path(), &state, &["down", "--purge"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!state.exists());

    eprintln!(
        "numbers: local up --workers 2 (genuine mesos-local, until both TaskManagers registered): {up_secs:.1} s; local down: {down_secs:.1} s"
    );
}

#[test]
fn an_interrupted_up_stops_what_it_started() {
    let scene = Scene::new();
    let (bin, cwd, state) = (&scene.bin, &scene.cwd, scene.state.clone());
    let mut up = bin
        .command(cwd.path(), &state, &["up", "--workers", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the appmaster is recorded, Mesos and the appmaster both run.
    let recorded = flink::wait_for(Duration::from_secs(60), || {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(state.join("state.json")).ok()?).ok()?;
        let pids: Vec<u32> = v["components"]
            .as_array()?
            .iter()
            .filter_map(|c| c["process"]["pid"].as_u64().map(|p| p as u32))
            .collect();
        (pids.len() == 2).then_some(pids)
    })
    .expect("local up recorded Mesos and the appmaster");
    let pids: Vec<u32> = recorded.iter().copied().flat_map(tree).collect();
    assert!(Command::new("kill")
        .args(["-INT", &up.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = flink::wait_for(Duration::from_secs(90), || up.try_wait().unwrap())
        .expect("local up ends after SIGINT");
    let mut err = String::new();
    std::io::Read::read_to_string(up.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(
        wait_gone(&pids, Duration::from_secs(5)),
        Vec::<u32>::new(),
        "{err}"
    );
    assert!(!state.join("state.json").exists());
}

#[test]
fn nothing_running_and_impossible_choices() {
    let bin = Bin::new();
    let cwd = tempfile::tempdir().unwrap();
    let state = cwd.path().join("empty-state");

    // Nothing runs: `status` says so and fails (issue 23).
    let out = bin.local(cwd.path(), &state, &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no local cluster recorded"),
        "{}",
        text(&out)
    );
    let out = bin.local(cwd.path(), &state, &["status", "--output", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(json(&out)["running"], false);
    let out = bin.local(cwd.path(), &state, &["down"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to stop"));
    let out = bin.local(cwd.path(), &state, &["logs"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // After a failed `up` (no record, its logs left): `logs` shows them.
    std::fs::create_dir_all(state.join("logs")).unwrap();
    std::fs::write(state.join("logs/appmaster.log"), "error: the cause\n").unwrap();
    let out = bin.local(cwd.path(), &state, &["logs"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("appmaster.log"),
        "{}",
        text(&out)
    );
    let out = bin.local(cwd.path(), &state, &["logs", "appmaster"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "error: the cause\n");
    std::fs::remove_dir_all(&state).unwrap();

    // MESOS_HOME without Mesos in it: a clear error, nothing started.
    let out = bin
        .command(cwd.path(), &state, &["up", "--mesos", "real"])
        .env("MESOS_HOME", cwd.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("MESOS_HOME") && err.contains("scripts/install-deps.sh"),
        "{err}"
    );
    assert!(!state.join("state.json").exists());

    // A stale record (its processes are gone) does not block `up`'s checks,
    // and `down` clears it.
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(
        state.join("state.json"),
        r#"{"version":1,"started_at":0,"components":[{"name":"mesos","process":{"pid":4194000,"start_time":1},"port":1,"url":"http://127.0.0.1:1","log":"/nonexistent"}],"workers":1,"mesos_kind":"","mesos_url":"http://127.0.0.1:1","mesos_work_dir":"/nonexistent","flink_home":"/nonexistent","flink_url":"http://127.0.0.1:2","rest_port":2,"rpc_port":3,"appmaster_work_dir":"/nonexistent","ready":true}"#,
    )
    .unwrap();
    let out = bin.local(cwd.path(), &state, &["status"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a recorded but dead cluster is unhealthy: {}",
        text(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("not running"),
        "{}",
        text(&out)
    );
    let out = bin.local(cwd.path(), &state, &["down"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!state.join("state.json").exists());
}

/// `--mesos real` with `MESOS_HOME` and the seed's env files
/// (`etc/mesos/mesos-master-env.sh`, `mesos-agent-env.sh`): their work and
/// log directories are used, their master address is replaced by the local
/// one.
#[test]
fn mesos_home_and_its_env_files_are_honoured() {
    let scene = Scene::new();
    let (bin, cwd, state) = (&scene.bin, &scene.cwd, scene.state.clone());
    // A Mesos installation layout around the genuine mesos-local build.
    let home = cwd.path().join("mesos-home");
    std::fs::create_dir_all(home.join("etc/mesos")).unwrap();
    let build = std::env::var_os("MESOS_LOCAL_BUILD_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/mesos-local/build")
        });
    assert!(
        build.join("bin/mesos-local").exists(),
        "run scripts/install-deps.sh"
    );
    std::os::unix::fs::symlink(build.join("bin"), home.join("bin")).unwrap();
    let (work, logs) = (cwd.path().join("mesos-work"), cwd.path().join("mesos-logs"));
    std::fs::write(
        home.join("etc/mesos/mesos-master-env.sh"),
        format!(
            "export MESOS_work_dir={}\n# export MESOS_log_dir=unused\n",
            work.display()
        ),
    )
    .unwrap();
    std::fs::write(
        home.join("etc/mesos/mesos-agent-env.sh"),
        format!(
            "export MESOS_master=mesos.example:5050\nexport MESOS_log_dir={}\n",
            logs.display()
        ),
    )
    .unwrap();
    let out = bin
        .command(
            cwd.path(),
            &state,
            &[
                "up",
                "--workers",
                "1",
                "--mesos",
                "real",
                "--output",
                "json",
            ],
        )
        .env("MESOS_HOME", &home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let report = json(&out);
    assert!(
        report["mesos"]
            .as_str()
            .unwrap()
            .contains("mesos-home/bin/mesos-local"),
        "{report}"
    );
    assert_eq!(
        report["taskmanagers"],
        serde_json::json!(["taskmanager-00001"])
    );
    assert!(
        work.join("flink-mesos-local/agents").is_dir(),
        "MESOS_work_dir is used"
    );
    let glog: Vec<_> = std::fs::read_dir(&logs)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(!glog.is_empty(), "MESOS_log_dir is used");
    let out = bin.local(cwd.path(), &state, &["logs"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("taskmanager-00001"),
        "{}",
        text(&out)
    );
    let out = bin.local(cwd.path(), &state, &["down"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// Mesos dies hard (SIGKILL) under a running cluster: its executors and
/// TaskManagers are re-parented, and `local down` still finds and stops
/// every one of them (by their sandbox below the cluster's work directory).
#[test]
fn down_stops_tasks_whose_mesos_died() {
    let scene = Scene::new();
    let (bin, cwd, state) = (&scene.bin, &scene.cwd, scene.state.clone());
    let out = bin.local(
        cwd.path(),
        &state,
        &["up", "--workers", "1", "--output", "json"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = bin.local(cwd.path(), &state, &["status", "--output", "json"]);
    let status = json(&out);
    let pid = |name: &str| {
        status["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["component"] == name)
            .and_then(|c| c["pid"].as_u64())
            .unwrap_or_else(|| panic!("{name} in {status}")) as u32
    };
    let mesos = pid("mesos");
    let mut pids: Vec<u32> = tree(mesos);
    pids.extend(tree(pid("appmaster")));
    assert!(pids.contains(&pid("taskmanager-00001")), "{pids:?}");
    assert!(Command::new("kill")
        .args(["-KILL", &mesos.to_string()])
        .status()
        .unwrap()
        .success());
    let out = bin.local(cwd.path(), &state, &["status"]);
    assert_eq!(out.status.code(), Some(1), "Mesos is gone: {}", text(&out));
    let out = bin.local(cwd.path(), &state, &["down"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        wait_gone(&pids, Duration::from_secs(5)),
        Vec::<u32>::new(),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_up_ha_runs_zookeeper_and_the_workers_are_in_its_store() {
    let scene = Scene::new();
    let (bin, cwd, state) = (&scene.bin, &scene.cwd, scene.state.clone());
    let out = bin.local(
        cwd.path(),
        &state,
        &["up", "--ha", "--workers", "1", "--output", "json"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        json(&out)["taskmanagers"],
        serde_json::json!(["taskmanager-00001"])
    );

    let out = bin.local(cwd.path(), &state, &["status", "--output", "json"]);
    let status = json(&out);
    assert_eq!(status["healthy"], true, "{status:#}");
    let zk = status["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == "zookeeper")
        .cloned()
        .unwrap_or_else(|| panic!("no zookeeper in {status:#}"));
    assert_eq!(zk["healthy"], true, "{zk}");
    let zk_port = zk["port"].as_u64().unwrap();
    let pids: Vec<u32> = status["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["pid"].as_u64().map(|p| p as u32))
        .flat_map(tree)
        .collect();

    // The worker store is in that ZooKeeper: `workers list` reads it with
    // the same settings.
    let out = Command::new(assert_cmd::cargo::cargo_bin("flink-mesos"))
        .args(["workers", "list", "--output", "json"])
        .arg("-Dhigh-availability.type=zookeeper")
        .arg(format!(
            "-Dhigh-availability.zookeeper.quorum=127.0.0.1:{zk_port}"
        ))
        .current_dir(cwd.path())
        .env_remove("FLINK_CONF_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("taskmanager-00001"), "{listed}");

    let out = bin.local(cwd.path(), &state, &["down"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(wait_gone(&pids, Duration::from_secs(30)).is_empty());
}

/// The default, `--mesos auto`, on a machine without Mesos (nothing on
/// PATH, no MESOS_HOME, no harness build), from an empty directory with no
/// other flag: the embedded single-node Mesos runs both TaskManagers,
/// `status` shows it, and `down` leaves no process (the embedded Mesos, its
/// tasks, the appmaster, the JobManager).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_up_without_mesos_falls_back_to_the_embedded_mesos_and_down_leaves_nothing() {
    let scene = Scene::new();
    let (bin, cwd, state) = (&scene.bin, &scene.cwd, scene.state.clone());
    let no_build = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = bin
        .command(cwd.path(), &state, &["up", "--output", "json"])
        .env("PATH", "/usr/bin:/bin")
        .env("MESOS_LOCAL_BUILD_DIR", no_build.path())
        .output()
        .unwrap();
    let up_secs = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", text(&out));
    let report = json(&out);
    assert!(
        report["mesos"].as_str().unwrap().contains("embedded"),
        "{report}"
    );
    assert_eq!(
        report["taskmanagers"],
        serde_json::json!(["taskmanager-00001", "taskmanager-00002"])
    );
    let mesos_url = report["mesos_url"].as_str().unwrap().to_string();
    let master = crate::support::mesos_local::get_json(&mesos_url, "/master/state").await;
    assert!(master["version"].as_str().unwrap().contains("embedded"));
    let tasks = master["frameworks"][0]["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2, "{master}");
    assert!(
        tasks.iter().all(|t| t["state"] == "TASK_RUNNING"),
        "{master}"
    );

    let status = healthy_two_worker_status(bin, cwd.path(), &state);
    assert!(status["mesos"].as_str().unwrap().contains("embedded"));
    let components = status["components"].as_array().unwrap();
    assert!(
        components[0]["health"]
            .as_str()
            .unwrap()
            .contains("embedded Mesos"),
        "{status:#}"
    );
    let mesos_pid = components[0]["pid"].as_u64().unwrap() as u32;
    let rss = std::fs::read_to_string(format!("/proc/{mesos_pid}/status"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .map(str::to_string)
        .unwrap_or_default();
    // The TaskManagers' logs are in the embedded agent's sandboxes.
    let out = bin.local(
        cwd.path(),
        &state,
        &["logs", "taskmanager-00001", "-n", "50"],
    );
    assert!(out.status.success(), "{}", text(&out));

    let down_secs = down_leaves_nothing(bin, cwd.path(), &state, components);
    eprintln!(
        "numbers: local up (auto: the embedded Mesos) --workers 2 (until both TaskManagers registered): {up_secs:.1} s; local down: {down_secs:.1} s; embedded Mesos {rss}"
    );
}

/// `local down`, after noting every process of the cluster (the recorded
/// components and their descendants): it succeeds, none of them is left,
/// and the state file is gone. Returns how long `down` took.
fn down_leaves_nothing(
    bin: &Bin,
    cwd: &std::path::Path,
    state: &std::path::Path,
    components: &[Value],
) -> f64 {
    let mut pids: Vec<u32> = components
        .iter()
        .filter_map(|c| c["pid"].as_u64().map(|p| p as u32))
        .flat_map(tree)
        .collect();
    pids.sort_unstable();
    pids.dedup();
    assert!(pids.len() >= 5, "{pids:?}");
    let t = Instant::now();
    let out = bin.local(cwd, state, &["down"]);
    let down_secs = t.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        wait_gone(&pids, Duration::from_secs(5)),
        Vec::<u32>::new(),
        "processes left behind"
    );
    assert!(!state.join("state.json").exists());
    down_secs
}

/// `local status --output json` of a cluster with two workers: it succeeds,
/// says healthy, and lists Mesos, the appmaster, the JobManager and both
/// TaskManagers in that order.
fn healthy_two_worker_status(bin: &Bin, cwd: &Path, state: &Path) -> Value {
    let out = bin.local(cwd, state, &["status", "--output", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let status = json(&out);
    assert_eq!(status["healthy"], true, "{status:#}");
    let names: Vec<&str> = status["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["component"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "mesos",
            "appmaster",
            "jobmanager",
            "taskmanager-00001",
            "taskmanager-00002"
        ]
    );
    status
}
