//! Job clusters (issue 21): the time from the command to the job RUNNING
//! with `flink-mesos appmaster --job-jar` on a genuine Mesos 1.11, side by
//! side in the same run with Flink's own application mode
//! (`bin/standalone-job.sh start-foreground --jars JAR`) and a TaskManager
//! pre-started with `bin/taskmanager.sh start-foreground`; and the time to
//! recover after kill -9 of a high-availability job cluster's appmaster
//! (and with it its JobManager), against the job's checkpoint interval.
//! Prints numbers, asserts nothing about them (the goal is a ratio of at
//! most 1.2).
//!
//! Each round runs both, in alternating order, with the same job
//! (`examples/jobs/UnboundedJob.java`, parallelism 1), the same Flink
//! distribution and the same Flink settings (a 512 MB JobManager, the
//! suite's small TaskManager, one slot, and `cluster.registration.error-delay:
//! 1 s` on both sides, so that a TaskManager that comes before its
//! JobManager retries after 1 s instead of Flink's 10 s). "RUNNING" is the
//! moment `/jobs/overview` first shows the job RUNNING with every task
//! RUNNING (polled every 100 ms), measured from the spawn of the command.
//! flink-mesos' side starts its TaskManager through Mesos once the
//! appmaster has registered (its TaskManager command runs the distribution
//! already on the agent, as Flink's side does); Flink's side has its
//! TaskManager started before the clock starts, up and retrying to reach
//! its JobManager. The Mesos master and agent are up before both.
//!
//! Run: `cargo bench --bench job_cluster`
//! (`FLINK_MESOS_BENCH_ROUNDS`, default 3; `FLINK_MESOS_BENCH_KILLS`, the
//! kill -9 recoveries, default 2; `FLINK_HOME` picks the distribution,
//! default Flink 2.3.0 from `scripts/fetch-flink.sh`).

// A benchmark prints its numbers and fails loudly.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{free_port, Killed};

#[allow(dead_code)]
#[path = "../tests/it/support/flink.rs"]
mod flink;
#[allow(dead_code)]
#[path = "../tests/it/support/mesos_local.rs"]
mod mesos_local;
// The multi-host topology the harnesses can run on (unused here).
#[allow(dead_code)]
#[path = "../tests/it/support/netns.rs"]
mod netns;
#[allow(dead_code)]
#[path = "../tests/it/support/zookeeper.rs"]
mod zookeeper;
// The KDC a ZooKeeper with Kerberos needs (unused here).
#[allow(dead_code)]
#[path = "../tests/it/support/kdc.rs"]
mod kdc;

use flink::http_get;
use mesos_local::MesosLocal;

const BIN: &str = env!("CARGO_BIN_EXE_flink-mesos");
/// How long any one step may take before the benchmark gives up.
const STEP: Duration = Duration::from_secs(300);
/// The checkpoint interval of the recovery runs, in seconds.
const CHECKPOINT_INTERVAL_S: u64 = 1;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `examples/jobs/UnboundedJob.java` compiled into a JAR whose manifest
/// names it.
fn build_job(home: &flink_mesos::flink::FlinkHome, dir: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/jobs/UnboundedJob.java");
    let classes = dir.join("classes");
    std::fs::create_dir_all(&classes).unwrap();
    let ok = Command::new("javac")
        .arg("-cp")
        .arg(home.root.join("lib").join("*"))
        .arg("-d")
        .arg(&classes)
        .arg(&source)
        .status()
        .expect("javac (run scripts/install-deps.sh)");
    assert!(ok.success(), "javac failed");
    let jar = dir.join("unbounded-job.jar");
    let ok = Command::new("jar")
        .arg("cfe")
        .arg(&jar)
        .arg("UnboundedJob")
        .arg("-C")
        .arg(&classes)
        .arg(".")
        .status()
        .expect("jar");
    assert!(ok.success(), "jar failed");
    jar
}

/// The Flink settings both sides get, as `key=value`.
fn flink_settings(rpc_port: u16, rest_port: u16) -> Vec<String> {
    let mut s = vec![
        "jobmanager.rpc.address=127.0.0.1".to_string(),
        format!("jobmanager.rpc.port={rpc_port}"),
        format!("rest.port={rest_port}"),
        "jobmanager.memory.process.size=512m".into(),
        "jobmanager.memory.jvm-metaspace.size=128m".into(),
        "jobmanager.memory.jvm-overhead.min=64m".into(),
        "taskmanager.numberOfTaskSlots=1".into(),
        "cluster.registration.error-delay=1 s".into(),
        "restart-strategy.type=none".into(),
    ];
    for (k, v) in flink::small_taskmanager() {
        s.push(format!("{k}={v}"));
    }
    s
}

/// Whether the job is RUNNING with every task RUNNING.
fn job_running(rest_port: u16) -> Option<String> {
    let (200, body) = http_get(rest_port, "/jobs/overview")? else {
        return None;
    };
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    let job = v["jobs"].as_array()?.first()?.clone();
    let total = job["tasks"]["total"].as_u64()?;
    (job["state"] == "RUNNING" && total > 0 && job["tasks"]["running"] == total)
        .then(|| job["jid"].as_str().unwrap_or_default().to_string())
}

/// Polls until the job runs; returns the job id, or panics with the tails
/// of `logs` (the command's, the JobManager's).
fn wait_running(rest_port: u16, logs: &[&Path]) -> String {
    let deadline = Instant::now() + STEP;
    loop {
        if let Some(id) = job_running(rest_port) {
            return id;
        }
        if Instant::now() >= deadline || logs.iter().any(|l| ended(l)) {
            let tails: Vec<String> = logs
                .iter()
                .map(|l| {
                    let text = std::fs::read_to_string(l).unwrap_or_default();
                    format!("--- {}:\n{}", l.display(), flink::tail(&text, 40))
                })
                .collect();
            panic!("the job did not run\n{}", tails.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether an appmaster's log says it ended (no job will run).
fn ended(log: &Path) -> bool {
    std::fs::read_to_string(log)
        .map(|t| t.lines().any(|l| l.starts_with("error:")))
        .unwrap_or(false)
}

fn sigterm(pid: u32) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
}

/// Waits for `child` to exit, up to `within`; true when it did.
fn wait_gone(child: &mut std::process::Child, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// Frameworks the master still runs.
fn active_frameworks(mesos: &MesosLocal) -> usize {
    let url = format!("{}/master/state", mesos.url);
    reqwest::blocking::get(&url)
        .ok()
        .and_then(|r| r.text().ok())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["frameworks"].as_array().map(Vec::len))
        .unwrap_or(0)
}

/// The appmaster's command line for a job cluster of `jar` on `mesos`.
fn appmaster_args(
    mesos: &MesosLocal,
    dir: &Path,
    name: &str,
    jar: &Path,
    settings: &[String],
    extra: &[String],
) -> Vec<String> {
    let home = flink::flink_home();
    let tm_bin = dir.join("flink-mesos");
    if !tm_bin.exists() {
        std::fs::copy(BIN, &tm_bin).unwrap();
    }
    let mut args = vec![
        "appmaster".to_string(),
        "--status-bind".into(),
        "127.0.0.1".into(),
        "--flink-home".into(),
        home.root.display().to_string(),
        "--work-dir".into(),
        dir.join(format!("{name}-am")).display().to_string(),
        "--job-jar".into(),
        jar.display().to_string(),
        format!("-Dmesos.master={}", mesos.url.trim_start_matches("http://")),
        "-Dmesos.resourcemanager.tasks.cpus=0.2".into(),
        "-Dmesos.resourcemanager.tasks.mem=600".into(),
        format!(
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd={} taskmanager --flink-home {}",
            tm_bin.display(),
            home.root.display()
        ),
    ];
    args.extend(settings.iter().map(|kv| format!("-D{kv}")));
    args.extend(extra.iter().cloned());
    args
}

fn spawn_appmaster(dir: &Path, args: &[String], log: &Path) -> Killed {
    Killed(
        Command::new(dir.join("flink-mesos"))
            .args(args)
            .current_dir(dir)
            .env_remove("FLINK_CONF_DIR")
            .env_remove("FLINK_PROPERTIES")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("flink-mesos appmaster"),
    )
}

/// Ends an appmaster with SIGTERM (the job canceled, the framework torn
/// down) and waits until Mesos runs no framework of it.
fn stop_appmaster(mut am: Killed, mesos: &MesosLocal) {
    sigterm(am.0.id());
    if !wait_gone(&mut am.0, Duration::from_secs(120)) {
        eprintln!("job_cluster: the appmaster did not stop on SIGTERM; killed");
    }
    drop(am);
    let deadline = Instant::now() + Duration::from_secs(60);
    while active_frameworks(mesos) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// flink-mesos: seconds from the command to the job RUNNING.
fn flink_mesos_round(mesos: &MesosLocal, dir: &Path, round: usize, jar: &Path) -> f64 {
    let settings = flink_settings(free_port(), free_port());
    let rest_port: u16 = settings[2]
        .trim_start_matches("rest.port=")
        .parse()
        .unwrap();
    let name = format!("fm-{round}");
    let log = dir.join(format!("{name}.log"));
    let args = appmaster_args(
        mesos,
        dir,
        &name,
        jar,
        &settings,
        &["--".into(), "5".into()],
    );
    let started = Instant::now();
    let am = spawn_appmaster(dir, &args, &log);
    let jm_log = dir.join(format!("{name}-am/log/jobmanager.log"));
    wait_running(rest_port, &[&log, &jm_log]);
    let secs = started.elapsed().as_secs_f64();
    stop_appmaster(am, mesos);
    secs
}

/// A private configuration directory for Flink's scripts: the
/// distribution's own (its Java 17 options, its log4j files), with its
/// logs and pid files under `dir`.
fn flink_conf_dir(home: &Path, dir: &Path) -> PathBuf {
    let conf = dir.join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    for entry in std::fs::read_dir(home.join("conf")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), conf.join(entry.file_name())).unwrap();
    }
    std::fs::create_dir_all(dir.join("log")).unwrap();
    conf
}

fn flink_script(home: &Path, dir: &Path, script: &str, args: &[String], out: &Path) -> Killed {
    Killed(
        Command::new(home.join("bin").join(script))
            .args(args)
            .current_dir(dir)
            .env("FLINK_CONF_DIR", dir.join("conf"))
            .env("FLINK_LOG_DIR", dir.join("log"))
            .env("FLINK_PID_DIR", dir.join("log"))
            .env_remove("FLINK_PROPERTIES")
            .stdout(std::fs::File::create(out).unwrap())
            .stderr(Stdio::from(
                std::fs::File::create(out.with_extension("err")).unwrap(),
            ))
            .spawn()
            .unwrap_or_else(|e| panic!("{script}: {e}")),
    )
}

/// Flink's own: seconds from `bin/standalone-job.sh` to the job RUNNING,
/// with a TaskManager started before and waiting for it.
fn flink_round(dir: &Path, round: usize, jar: &Path) -> f64 {
    let home = flink::flink_home().root;
    let dir = dir.join(format!("flink-{round}"));
    std::fs::create_dir_all(&dir).unwrap();
    flink_conf_dir(&home, &dir);
    let settings = flink_settings(free_port(), free_port());
    let rest_port: u16 = settings[2]
        .trim_start_matches("rest.port=")
        .parse()
        .unwrap();
    let dynamic: Vec<String> = settings.iter().map(|kv| format!("-D{kv}")).collect();

    // The TaskManager first: up, and trying to reach its JobManager.
    let tm_out = dir.join("taskmanager.out");
    let mut tm_args = vec!["start-foreground".to_string()];
    tm_args.extend(dynamic.iter().cloned());
    tm_args.push("-Dtaskmanager.host=127.0.0.1".into());
    let _tm = flink_script(&home, &dir, "taskmanager.sh", &tm_args, &tm_out);
    let ready = flink::wait_for(Duration::from_secs(120), || {
        let out = std::fs::read_to_string(&tm_out).unwrap_or_default();
        (out.contains("Connecting to ResourceManager")
            || out.contains("Could not resolve ResourceManager"))
        .then_some(())
    });
    if ready.is_none() {
        eprintln!("job_cluster: Flink's TaskManager never said it was looking for its ResourceManager; going on");
    }

    let jm_out = dir.join("jobmanager.out");
    let mut jm_args = vec![
        "start-foreground".to_string(),
        "--jars".into(),
        jar.display().to_string(),
        "--job-classname".into(),
        "UnboundedJob".into(),
    ];
    jm_args.extend(dynamic);
    jm_args.push("5".into());
    let started = Instant::now();
    let _jm = flink_script(&home, &dir, "standalone-job.sh", &jm_args, &jm_out);
    wait_running(rest_port, &[&jm_out]);
    started.elapsed().as_secs_f64()
    // Both JVMs are killed here (Killed's drop).
}

/// Completed checkpoints of `job`.
fn completed_checkpoints(rest_port: u16, job: &str) -> u64 {
    http_get(rest_port, &format!("/jobs/{job}/checkpoints"))
        .and_then(|(_, body)| serde_json::from_str::<serde_json::Value>(&body).ok())
        .and_then(|v| v["counts"]["completed"].as_u64())
        .unwrap_or(0)
}

/// High availability: `kills` times, the appmaster killed with -9 two
/// checkpoints into the job and the same command started again; returns,
/// for each, the seconds from the kill to the job RUNNING again and to its
/// first checkpoint after that.
fn recoveries(mesos: &MesosLocal, dir: &Path, jar: &Path, kills: usize) -> Vec<(f64, f64)> {
    let zk = zookeeper::ZooKeeper::start();
    let settings = flink_settings(free_port(), free_port());
    let rest_port: u16 = settings[2]
        .trim_start_matches("rest.port=")
        .parse()
        .unwrap();
    let extra: Vec<String> = vec![
        "-Dhigh-availability.type=zookeeper".into(),
        format!(
            "-Dhigh-availability.zookeeper.quorum={}",
            zk.connect_string()
        ),
        format!(
            "-Dhigh-availability.storageDir=file://{}",
            dir.join("ha").display()
        ),
        "-Dhigh-availability.zookeeper.client.session-timeout=4 s".into(),
        "-Dhigh-availability.cluster-id=job-cluster-bench".into(),
        "-Dmesos.failover-timeout=120".into(),
        format!(
            "-Dexecution.checkpointing.dir=file://{}",
            dir.join("checkpoints").display()
        ),
        format!("-Dexecution.checkpointing.interval={CHECKPOINT_INTERVAL_S} s"),
        "--".into(),
        "5".into(),
    ];
    let args = appmaster_args(mesos, dir, "ha", jar, &settings, &extra);
    let log = dir.join("ha-0.log");
    let mut am = spawn_appmaster(dir, &args, &log);
    let jm_log = dir.join("ha-am/log/jobmanager.log");
    let mut job = wait_running(rest_port, &[&log, &jm_log]);
    let mut out = Vec::new();
    for n in 1..=kills {
        let deadline = Instant::now() + STEP;
        while completed_checkpoints(rest_port, &job) < 2 {
            assert!(Instant::now() < deadline, "no checkpoints");
            std::thread::sleep(Duration::from_millis(200));
        }
        am.0.kill().unwrap();
        am.0.wait().unwrap();
        let killed = Instant::now();
        // Its JobManager dies with it (parent-death signal), not at the
        // same instant: the next RUNNING must be the new JobManager's.
        while http_get(rest_port, "/config").is_some() {
            assert!(
                killed.elapsed() < Duration::from_secs(60),
                "the killed appmaster's JobManager still answers"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = dir.join(format!("ha-{n}.log"));
        am = spawn_appmaster(dir, &args, &log);
        job = wait_running(rest_port, &[&log, &jm_log]);
        let running = killed.elapsed().as_secs_f64();
        // The restored job's own first checkpoint: counts start again in a
        // new JobManager, the restored one is not counted as completed.
        while completed_checkpoints(rest_port, &job) < 1 {
            assert!(
                Instant::now() < deadline + STEP,
                "no checkpoint after the restore"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        out.push((running, killed.elapsed().as_secs_f64()));
    }
    stop_appmaster(am, mesos);
    out
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s[s.len() / 2]
}

fn main() {
    let rounds = env_count("FLINK_MESOS_BENCH_ROUNDS", 3).max(1);
    let kills = env_count("FLINK_MESOS_BENCH_KILLS", 2);
    let home = flink::flink_home();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(BIN, dir.path().join("flink-mesos")).unwrap();
    let jar = build_job(&home, dir.path());
    println!(
        "job_cluster: Flink {} ({}), UnboundedJob at parallelism 1, {rounds} rounds",
        home.version,
        home.root.display()
    );

    let mut ratios = Vec::new();
    for round in 0..rounds {
        let (fm, fl) = if round % 2 == 0 {
            let fm = flink_mesos_round(&mesos, dir.path(), round, &jar);
            (fm, flink_round(dir.path(), round, &jar))
        } else {
            let fl = flink_round(dir.path(), round, &jar);
            (flink_mesos_round(&mesos, dir.path(), round, &jar), fl)
        };
        let ratio = fm / fl;
        ratios.push(ratio);
        println!(
            "job_cluster: round {}: command -> job RUNNING: flink-mesos appmaster --job-jar {fm:.2} s, \
             Flink standalone-job.sh + pre-started taskmanager.sh {fl:.2} s, ratio {ratio:.2}",
            round + 1
        );
    }
    println!(
        "job_cluster: ratio flink-mesos / Flink's own, median of {rounds}: {:.2} (goal <= 1.2)",
        median(&ratios)
    );

    if kills > 0 {
        let recovered = recoveries(&mesos, dir.path(), &jar, kills);
        for (n, (running, checkpoint)) in recovered.iter().enumerate() {
            println!(
                "job_cluster: HA kill -9 {}: -> job RUNNING again {running:.2} s, -> first checkpoint after the restore {checkpoint:.2} s \
                 (checkpoint interval {CHECKPOINT_INTERVAL_S} s: {:.1}x)",
                n + 1,
                running / CHECKPOINT_INTERVAL_S as f64
            );
        }
        let running: Vec<f64> = recovered.iter().map(|r| r.0).collect();
        println!(
            "job_cluster: HA recovery after kill -9, median: {:.2} s to RUNNING ({:.1}x the {CHECKPOINT_INTERVAL_S} s checkpoint interval)",
            median(&running),
            median(&running) / CHECKPOINT_INTERVAL_S as f64
        );
    }
}
