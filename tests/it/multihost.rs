//! Across hosts (issue 25): the appmaster and its JobManager on one host,
//! the genuine Mesos master and agent (and so the TaskManagers) on another,
//! each host a network namespace with its own address, `/etc/hosts` and
//! host name (`support::netns`). The appmaster runs as a user runs it: the
//! `flink-mesos` binary from a directory of the user's, with `FLINK_HOME`
//! and a `conf/`; the workers get flink-mesos and their configuration from
//! its artifact server over the bridge. Real Flink throughout.
//!
//! * a Debian host (its own name is 127.0.1.1 in its hosts file) serves
//!   TaskManagers on another host, and a job runs to the end;
//! * Flink's shipped `conf/` with a Mesos master elsewhere fails at once,
//!   naming the keys and their lines; fixed as the message says, it works;
//! * an advertised name that only the agents know (NAT, a load balancer, a
//!   VIP): the appmaster starts and its workers register;
//! * ZooKeeper HA across hosts: a standby on a third host takes over from a
//!   leader killed with -9 and adopts the running TaskManager.
//!
//! Needs root and `ip netns`: elsewhere each test says so and returns.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::flink::{self, build_small_job, submit_jar_to, wait_job_terminal_at};
use crate::support::mesos_local::MesosLocal;
use crate::support::netns::{Host, Topology};
use crate::support::zookeeper::ZooKeeper;

/// TaskManagers start a JVM each on a loaded machine: a wide bound.
const REGISTER: Duration = Duration::from_secs(150);

/// Why these tests cannot run here, printed as the reason they return.
fn skip() -> bool {
    match Topology::unavailable() {
        Some(why) => {
            eprintln!("skipped: {why}");
            true
        }
        None => false,
    }
}

/// A user's configuration: small JobManager and TaskManagers (DESIGN.md §5).
fn small_conf() -> String {
    let mut conf = String::from(
        "jobmanager.memory.process.size: 512m\njobmanager.memory.jvm-metaspace.size: 128m\n\
         jobmanager.memory.jvm-overhead.min: 64m\nmesos.resourcemanager.tasks.cpus: 0.5\n",
    );
    for (k, v) in flink::small_taskmanager() {
        conf.push_str(&format!("{k}: {v}\n"));
    }
    conf
}

/// The task command for agents that have Flink installed (this machine's
/// distribution): flink-mesos is still served, the distribution is not,
/// which spares building and fetching its archive where a test is not about
/// that.
fn preinstalled_flink_cmd() -> String {
    format!(
        "mesos.resourcemanager.tasks.taskmanager-cmd: flink-mesos taskmanager --flink-home {}\n",
        flink::flink_home().root.display()
    )
}

/// A user's directory with `conf/config.yaml` holding `conf`, and a private
/// copy of flink-mesos (what the artifact server ships: other builds may
/// replace target/debug/flink-mesos meanwhile).
struct UserDir {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl UserDir {
    fn new(conf: &str) -> UserDir {
        let dir = tempfile::Builder::new()
            .prefix("flink-mesos-it-multihost-")
            .tempdir()
            .unwrap();
        std::fs::create_dir(dir.path().join("conf")).unwrap();
        std::fs::write(dir.path().join("conf/config.yaml"), conf).unwrap();
        let bin = dir.path().join("flink-mesos");
        std::fs::copy(assert_cmd::cargo::cargo_bin("flink-mesos"), &bin).unwrap();
        UserDir { dir, bin }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// `flink-mesos appmaster ARGS` on `host`, run from `cwd` with `FLINK_HOME`
/// and nothing else of ours in its environment; stdout piped, stderr in
/// `stderr`.
fn spawn_appmaster(host: &Host, user: &UserDir, cwd: &Path, stderr: &Path, args: &[&str]) -> Child {
    host.command(&user.bin)
        .arg("appmaster")
        .args(args)
        .current_dir(cwd)
        .env("FLINK_HOME", &flink::flink_home().root)
        .env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_PROPERTIES")
        .env_remove("FLINK_MESOS_MASTER")
        .env_remove("FLINK_MESOS_FRAMEWORK_SECRET")
        .env_remove("MESOS_SANDBOX")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr).unwrap())
        .spawn()
        .unwrap()
}

/// A running appmaster on a host; killed on drop (its JobManager dies with it).
struct Am {
    child: Child,
    host: Host,
    stderr: PathBuf,
    /// `http://IP:PORT` of `/status`, as the workstation reaches it.
    status: String,
    _stdout: BufReader<ChildStdout>,
}

impl Am {
    /// Starts it and reads the address it announces (`http://NAME:PORT/status`:
    /// the workstation knows the host by its address).
    fn start(host: &Host, user: &UserDir, name: &str, args: &[&str]) -> Am {
        // A directory of its own (its work directory is below it), with
        // the user's `conf/`.
        let cwd = user.path().join(name);
        std::fs::create_dir_all(&cwd).unwrap();
        if !cwd.join("conf").exists() {
            std::os::unix::fs::symlink(user.path().join("conf"), cwd.join("conf")).unwrap();
        }
        let stderr = user.path().join(format!("{name}.stderr"));
        let mut child = spawn_appmaster(host, user, &cwd, &stderr, args);
        let (stdout, base) = crate::support::status_base(&mut child, &stderr);
        let port = base.rsplit(':').next().unwrap().to_string();
        Am {
            child,
            host: host.clone(),
            stderr,
            status: format!("http://{}:{port}", host.ip),
            _stdout: stdout,
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The JobManager's REST API on this appmaster's host (port 8081: a
    /// host has every port to itself).
    fn rest(&self) -> String {
        format!("http://{}:8081", self.host.ip)
    }

    async fn status(&self) -> Option<Value> {
        get_json(&format!("{}/status", self.status)).await
    }

    /// Waits until the JobManager lists TaskManagers for which `ok` holds.
    async fn wait_registered(&self, what: &str, ok: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + REGISTER;
        loop {
            let tms = registered(&self.rest()).await;
            if ok(&tms) {
                return tms;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; registered: {tms:?}\n/status: {}\nappmaster stderr:\n{}",
                self.status().await.unwrap_or_default(),
                flink::tail(&self.stderr(), 60)
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

impl Drop for Am {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn get_json(url: &str) -> Option<Value> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .ok()?;
    let r = client.get(url).send().await.ok()?;
    if !r.status().is_success() {
        return None;
    }
    serde_json::from_slice(&r.bytes().await.ok()?).ok()
}

/// The TaskManagers registered with the JobManager whose REST API is `rest`.
async fn registered(rest: &str) -> Vec<Value> {
    get_json(&format!("{rest}/taskmanagers"))
        .await
        .and_then(|v| v["taskmanagers"].as_array().cloned())
        .unwrap_or_default()
}

fn ids(tms: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = tms
        .iter()
        .filter_map(|t| t["id"].as_str().map(String::from))
        .collect();
    ids.sort();
    ids
}

/// Every registered TaskManager runs on `host`: the address in its RPC path
/// (`pekko.tcp://flink@IP:PORT/…`) is that host's.
fn all_on(tms: &[Value], host: &Host) {
    for tm in tms {
        let path = tm["path"].as_str().unwrap_or_default();
        assert!(
            path.contains(&format!("@{}:", host.ip)),
            "a TaskManager that is not on {} ({}): {tm}",
            host.name,
            host.ip
        );
    }
}

/// The task ids `/status` reports running.
fn running(v: &Value) -> Vec<String> {
    crate::support::appmaster::running_ids(v)
}

/// The hosts files of a Debian machine: its own name is 127.0.1.1.
fn debian_hosts(own: &Host, others: &[&Host]) -> String {
    let mut s = format!("127.0.0.1 localhost\n127.0.1.1 {}\n", own.name);
    for h in others {
        s.push_str(&format!("{} {}\n", h.ip, h.name));
    }
    s.push_str("::1 localhost ip6-localhost ip6-loopback\n");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debian_host_serves_taskmanagers_on_another_host_and_a_job_runs_to_the_end() {
    if skip() {
        return;
    }
    let home = flink::flink_home();
    let net = Topology::new(&["hosta", "hostb"]);
    let (a, b) = (net.host(0), net.host(1));
    // Host A is a Debian machine; B knows A by its real address.
    a.set_hosts(&debian_hosts(a, &[b]));
    let here = a.sh("getent hosts hosta");
    assert!(
        String::from_utf8_lossy(&here.stdout).starts_with("127.0.1.1"),
        "A's name is 127.0.1.1 on A: {here:?}"
    );
    let mesos = MesosLocal::start_on(b, &[]);
    let user = UserDir::new(&small_conf());
    let job = build_small_job(&home, user.path());

    let started = Instant::now();
    // No address anywhere: the appmaster advertises its host name.
    let am = Am::start(
        a,
        &user,
        "am",
        &["-Dmesos.master=hostb:5050", "-Dmesos.initial-tasks=2"],
    );
    let tms = am
        .wait_registered("2 TaskManagers from host B", |t| t.len() == 2)
        .await;
    let took = started.elapsed();
    assert_eq!(ids(&tms), ["taskmanager-00001", "taskmanager-00002"]);
    all_on(&tms, b);
    let status = am.status().await.expect("/status");
    assert!(
        status["artifact_server"]
            .as_str()
            .is_some_and(|o| o.starts_with("http://hosta:")),
        "the workers fetch from A's name: {status}"
    );
    assert_eq!(status["failures"]["count"], 0, "{status}");
    // The agent (host B) ran them.
    let state = mesos.get_json("/master/state").await;
    assert_eq!(state["slaves"][0]["hostname"], "hostb", "{state}");
    assert!(
        am.stderr().contains("resolves to a loopback address here"),
        "the appmaster warns about its 127.0.1.1 name:\n{}",
        am.stderr()
    );

    // A job submitted from the workstation runs to the end on host B.
    let job_id = submit_jar_to(&am.rest(), &job, "SmallJob").await;
    assert_eq!(
        wait_job_terminal_at(&am.rest(), &job_id, Duration::from_secs(120)).await,
        "FINISHED",
        "{}",
        flink::tail(&am.stderr(), 40)
    );
    eprintln!(
        "numbers: across hosts (Debian A), appmaster start -> 2 TaskManagers on B registered: {:.1} s",
        took.as_secs_f64()
    );
}

/// Copies `$FLINK_HOME/conf` (Flink's shipped configuration) to `to`.
fn copy_flink_conf(to: &Path) {
    let from = flink::flink_home().root.join("conf");
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap().flatten() {
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// The line numbers that the diagnostics in `text` give for `key`
/// (`…/FILE:LINE:COL: error: `KEY`: …`).
fn lines_named(text: &str, key: &str, file: &str) -> Vec<usize> {
    text.lines()
        .filter(|l| l.contains(&format!("error: `{key}`:")))
        .filter_map(|l| {
            l.split(&format!("{file}:"))
                .nth(1)?
                .split(':')
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flinks_shipped_conf_with_a_master_elsewhere_fails_at_once_naming_the_lines_and_works_as_fixed(
) {
    if skip() {
        return;
    }
    let net = Topology::new(&["hosta", "hostb"]);
    let (a, b) = (net.host(0), net.host(1));
    let _mesos = MesosLocal::start_on(b, &[]);
    let user = UserDir::new("");
    let conf_dir = user.path().join("flink-conf");
    copy_flink_conf(&conf_dir);
    let conf_dir_arg = conf_dir.display().to_string();
    let args = [
        "--conf-dir",
        conf_dir_arg.as_str(),
        "-Dmesos.master=hostb:5050",
        "-Dmesos.initial-tasks=1",
    ];

    // As shipped: localhost everywhere. The appmaster stops before it
    // starts anything, and says which lines to change.
    let stderr = user.path().join("first.stderr");
    let mut child = spawn_appmaster(a, &user, user.path(), &stderr, &args);
    let status = crate::support::wait_exit(
        &mut child,
        Duration::from_secs(60),
        Duration::from_millis(100),
        "the appmaster with Flink's shipped conf/ did not stop",
        || std::fs::read_to_string(&stderr).unwrap_or_default(),
    )
    .await;
    let said = std::fs::read_to_string(&stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(
        said.contains("is a loopback address while the Mesos master"),
        "{said}"
    );
    let config = std::fs::read_to_string(conf_dir.join("config.yaml")).unwrap();
    let mut fixed: Vec<String> = config.lines().map(String::from).collect();
    for (key, value) in [
        ("jobmanager.rpc.address", "hosta"),
        ("jobmanager.bind-host", "0.0.0.0"),
    ] {
        let lines = lines_named(&said, key, "config.yaml");
        assert_eq!(lines.len(), 1, "one line named for {key}:\n{said}");
        let line = &mut fixed[lines[0] - 1];
        assert!(
            line.trim_end().ends_with(": localhost"),
            "config.yaml:{} is {key}'s line: {line:?}\n{said}",
            lines[0]
        );
        // As the operator does: the value on the line named.
        *line = line.replace("localhost", value);
    }
    assert!(
        !said.contains("`taskmanager.host`") && !said.contains("`rest.address`"),
        "only the JobManager's keys are errors:\n{said}"
    );
    std::fs::write(conf_dir.join("config.yaml"), fixed.join("\n") + "\n").unwrap();

    // Fixed as it said, with the rest as shipped (taskmanager.host and
    // taskmanager.bind-host still localhost): the TaskManager on B
    // registers under B's address.
    let am = Am::start(a, &user, "fixed", &args);
    let tms = am
        .wait_registered("the TaskManager from host B", |t| t.len() == 1)
        .await;
    assert_eq!(ids(&tms), ["taskmanager-00001"]);
    all_on(&tms, b);
    assert!(
        am.stderr()
            .contains("taskmanager.host is a loopback address here and is not shipped"),
        "{}",
        am.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advertised_name_only_the_agents_know_starts_and_its_workers_register() {
    if skip() {
        return;
    }
    let net = Topology::new(&["hosta", "hostb"]);
    let (a, b) = (net.host(0), net.host(1));
    // B reaches A as flink-vip (a VIP, a load balancer's or a NAT name);
    // A itself has never heard of it.
    b.set_hosts(&format!(
        "127.0.0.1 localhost\n{}{} flink-vip\n",
        net.hosts_entries(),
        a.ip
    ));
    let unknown = a.sh("getent hosts flink-vip");
    assert!(
        !unknown.status.success(),
        "flink-vip resolves on A: {unknown:?}"
    );
    let _mesos = MesosLocal::start_on(b, &[]);
    let user = UserDir::new(&(small_conf() + &preinstalled_flink_cmd()));
    let am = Am::start(
        a,
        &user,
        "am",
        &[
            "-Dmesos.master=hostb:5050",
            "-Dmesos.initial-tasks=1",
            "-Djobmanager.rpc.address=flink-vip",
        ],
    );
    let tms = am
        .wait_registered("the TaskManager from host B", |t| t.len() == 1)
        .await;
    all_on(&tms, b);
    let status = am.status().await.expect("/status");
    assert!(
        status["artifact_server"]
            .as_str()
            .is_some_and(|o| o.starts_with("http://flink-vip:")),
        "the workers fetch from the advertised name: {status}"
    );
    assert_eq!(running(&status), ["taskmanager-00001"], "{status}");
    assert!(
        am.stderr()
            .contains("flink-vip does not resolve on this host"),
        "the appmaster says what it cannot check:\n{}",
        am.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_on_a_third_host_takes_over_from_a_killed_leader_and_adopts_its_taskmanager() {
    if skip() {
        return;
    }
    let net = Topology::new(&["hosta", "hostb", "hostc"]);
    let (a, b, c) = (net.host(0), net.host(1), net.host(2));
    // ZooKeeper and Mesos on B; the appmasters on A and C.
    let zk = ZooKeeper::start_on(b);
    let mesos = MesosLocal::start_on(b, &[]);
    let user = UserDir::new("");
    // Flink's HA storage: a directory both hosts mount (here: the one
    // file system).
    let conf = format!(
        "{}high-availability.type: zookeeper\n\
         high-availability.zookeeper.quorum: hostb:{}\n\
         high-availability.storageDir: file://{}/ha\n\
         high-availability.cluster-id: multihost-{}\n\
         high-availability.zookeeper.client.session-timeout: 4 s\n\
         mesos.failover-timeout: 120\n{}",
        small_conf(),
        zk.port,
        user.path().display(),
        std::process::id(),
        preinstalled_flink_cmd()
    );
    std::fs::write(user.path().join("conf/config.yaml"), conf).unwrap();
    let args = ["-Dmesos.master=hostb:5050", "-Dmesos.initial-tasks=1"];
    let mut leader = Am::start(a, &user, "on-a", &args);
    let tms = leader
        .wait_registered("the TaskManager with A's JobManager", |t| t.len() == 1)
        .await;
    all_on(&tms, b);
    let before = leader.status().await.expect("/status of A");
    assert_eq!(running(&before), ["taskmanager-00001"], "{before}");
    let framework = before["framework_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let standby = Am::start(c, &user, "on-c", &args);
    // It stands by: no JobManager of its own yet.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        registered(&standby.rest()).await.is_empty()
            && get_json(&format!("{}/config", standby.rest()))
                .await
                .is_none(),
        "the standby runs a JobManager before it leads:\n{}",
        standby.stderr()
    );

    let killed = Instant::now();
    leader.child.kill().unwrap();
    leader.child.wait().unwrap();
    // C leads, its JobManager starts, and the TaskManager on B (still the
    // same Mesos task) registers with it.
    let tms = standby
        .wait_registered("the TaskManager with C's JobManager", |t| {
            ids(t) == ["taskmanager-00001"]
        })
        .await;
    let took = killed.elapsed();
    all_on(&tms, b);
    let after = standby.status().await.expect("/status of C");
    assert_eq!(
        running(&after),
        ["taskmanager-00001"],
        "adopted, not replaced: {after}"
    );
    if !framework.is_empty() {
        assert_eq!(after["framework_id"], framework.as_str(), "{after}");
    }
    let state = mesos.get_json("/master/state").await;
    let launched: usize = state["frameworks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            f["tasks"].as_array().map_or(0, |t| t.len())
                + f["completed_tasks"].as_array().map_or(0, |t| t.len())
        })
        .sum();
    assert_eq!(launched, 1, "one task in all: {state}");
    eprintln!(
        "numbers: across hosts, kill -9 of the leader on A -> the TaskManager on B registered with C's JobManager: {:.1} s",
        took.as_secs_f64()
    );
}
