//! Job clusters (issue 21) end to end: `flink-mesos appmaster --job-jar`
//! with an application-mode JobManager, a genuine Mesos 1.11 master and
//! agent, and real Flink TaskManagers launched as Mesos tasks. A bounded
//! job runs to FINISHED and the appmaster exits 0 with its framework torn
//! down; a job that throws exits with the FAILED code and its cause on
//! stderr; an unbounded job stopped by SIGTERM with `--savepoint-on-stop`
//! leaves a savepoint and exits 0, a second run resumes from it, and
//! SIGTERM without a savepoint directory cancels (the CANCELED code); a bad
//! JAR or a missing class exits 1 before any framework registers; a `main`
//! that throws before submitting exits with the FAILED code; with high
//! availability an appmaster killed with -9 and started again resumes the
//! job from its checkpoint with the surviving TaskManager, and the job's
//! exactly-once file sink holds every record once. Prints the time from the
//! command to the job RUNNING and to recover after kill -9 (the benchmark
//! against Flink's own scripts is `cargo bench --bench job_cluster`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::flink_on_mesos::Guard;
use crate::support::flink::{self, http_get};
use crate::support::mesos_local::MesosLocal;
use crate::support::{free_port, wait_exit};

/// From the command to the appmaster's end, on a loaded 2-core machine.
const JOB_END: Duration = Duration::from_secs(300);

/// The example jobs (`examples/jobs/`), compiled into one JAR with
/// `main_class` as its manifest's Main-Class.
pub(crate) fn build_jobs(
    home: &flink_mesos::flink::FlinkHome,
    dir: &Path,
    main_class: &str,
) -> PathBuf {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/jobs");
    let classes = dir.join("classes");
    std::fs::create_dir_all(&classes).unwrap();
    let run = |cmd: &mut Command| {
        let out = cmd.output().unwrap_or_else(|e| {
            panic!("{cmd:?}: {e} (a JDK is needed: run scripts/install-deps.sh)")
        });
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let mut javac = Command::new("javac");
    javac
        .arg("-cp")
        .arg(home.root.join("lib").join("*"))
        .arg("-d")
        .arg(&classes);
    for job in ["SmallJob", "UnboundedJob", "FailingJob", "ExactlyOnceJob"] {
        javac.arg(examples.join(format!("{job}.java")));
    }
    run(&mut javac);
    let jar = dir.join("jobs.jar");
    run(Command::new("jar")
        .arg("cfe")
        .arg(&jar)
        .arg(main_class)
        .arg("-C")
        .arg(&classes)
        .arg("."));
    jar
}

/// A job cluster's appmaster, its ports and output files.
struct JobCluster {
    guard: Guard,
    rest_port: u16,
    /// The appmaster's `/status` and `/metrics`.
    status_port: u16,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl JobCluster {
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }
    async fn wait_exit(&mut self) -> std::process::ExitStatus {
        let (out, err) = (self.stdout.clone(), self.stderr.clone());
        wait_exit(
            &mut self.guard.0,
            JOB_END,
            Duration::from_millis(250),
            "the job cluster's appmaster did not end",
            || {
                format!(
                    "stdout:\n{}\nstderr (tail):\n{}",
                    std::fs::read_to_string(&out).unwrap_or_default(),
                    flink::tail(&std::fs::read_to_string(&err).unwrap_or_default(), 60)
                )
            },
        )
        .await
    }
}

/// Starts `flink-mesos appmaster --job-jar …` against `mesos` with small
/// memory settings; `extra` goes before `--`, `job_args` after it.
fn start(mesos: &MesosLocal, dir: &Path, name: &str, extra: &[String]) -> JobCluster {
    let home = flink::flink_home();
    let (rpc_port, rest_port, status_port) = (free_port(), free_port(), free_port());
    let bin = assert_cmd::cargo::cargo_bin("flink-mesos");
    let tm_bin = dir.join("flink-mesos");
    if !tm_bin.exists() {
        std::fs::copy(&bin, &tm_bin).unwrap();
    }
    let stdout = dir.join(format!("{name}.stdout"));
    let stderr = dir.join(format!("{name}.stderr"));
    let master = mesos.url.trim_start_matches("http://").to_string();
    let mut args = vec![
        "appmaster".to_string(),
        "--status-bind".into(),
        "127.0.0.1".into(),
        "--status-port".into(),
        status_port.to_string(),
        "--flink-home".into(),
        home.root.display().to_string(),
        "--work-dir".into(),
        dir.join(format!("{name}-am")).display().to_string(),
        format!("-Dmesos.master={master}"),
        "-Dtaskmanager.numberOfTaskSlots=1".into(),
        "-Dmesos.resourcemanager.tasks.cpus=0.2".into(),
        "-Dmesos.resourcemanager.tasks.mem=600".into(),
        format!(
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd={} taskmanager --flink-home {}",
            tm_bin.display(),
            home.root.display()
        ),
        "-Djobmanager.rpc.address=127.0.0.1".into(),
        format!("-Djobmanager.rpc.port={rpc_port}"),
        format!("-Drest.port={rest_port}"),
        "-Djobmanager.memory.process.size=512m".into(),
        "-Djobmanager.memory.jvm-metaspace.size=128m".into(),
        "-Djobmanager.memory.jvm-overhead.min=64m".into(),
        "-Drestart-strategy.type=none".into(),
    ];
    for (k, v) in flink::small_taskmanager() {
        args.push(format!("-D{k}={v}"));
    }
    args.extend(extra.iter().cloned());
    let child = Command::new(&bin)
        .args(&args)
        .current_dir(dir)
        .env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_PROPERTIES")
        .env_remove("FLINK_MESOS_ADMIN_TOKEN")
        .env("NO_COLOR", "1")
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    JobCluster {
        guard: Guard(child),
        rest_port,
        status_port,
        stdout,
        stderr,
    }
}

/// Our frameworks in the master's view: `(active, completed)`.
async fn frameworks(mesos: &MesosLocal) -> (usize, usize) {
    let state = mesos.get_json("/master/state").await;
    let n = |key: &str| state[key].as_array().map_or(0, Vec::len);
    (n("frameworks"), n("completed_frameworks"))
}

/// The job's `(id, state)` with every task RUNNING, once it is so.
async fn wait_running(cluster: &JobCluster) -> String {
    let deadline = Instant::now() + JOB_END;
    loop {
        if let Some((200, body)) = http_get(cluster.rest_port, "/jobs/overview") {
            let v: Value = serde_json::from_str(&body).unwrap_or_default();
            if let Some(job) = v["jobs"].as_array().and_then(|a| a.first()) {
                let total = job["tasks"]["total"].as_u64().unwrap_or(0);
                if job["state"] == "RUNNING" && total > 0 && job["tasks"]["running"] == total {
                    return job["jid"].as_str().unwrap().to_string();
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "the job did not run\nstderr:\n{}",
            flink::tail(&cluster.stderr(), 60)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn sigterm(cluster: &JobCluster) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(cluster.guard.0.id() as i32, libc::SIGTERM) };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_job_finishes_and_the_appmaster_exits_0_with_the_framework_torn_down() {
    let home = flink::flink_home();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let jar = build_jobs(&home, dir.path(), "SmallJob");
    let started = Instant::now();
    // The class comes from the manifest.
    let mut cluster = start(
        &mesos,
        dir.path(),
        "small",
        &["--job-jar".into(), jar.display().to_string()],
    );
    let status = cluster.wait_exit().await;
    eprintln!(
        "numbers: job cluster of SmallJob from the command to the appmaster's exit: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (stdout, stderr) = (cluster.stdout(), cluster.stderr());
    assert_eq!(
        status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        flink::tail(&stderr, 60)
    );
    assert!(stdout.contains("FINISHED"), "{stdout}");
    assert!(stderr.contains("framework torn down"), "{stderr}");
    let (active, completed) = frameworks(&mesos).await;
    assert_eq!((active, completed), (0, 1), "the framework is completed");
    assert_eq!(mesos.running_tasks().await, 0);
    // The JobManager ended with it (it shut down through DELETE /cluster).
    assert!(
        http_get(cluster.rest_port, "/config").is_none(),
        "the JobManager still answers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_job_exits_with_the_failed_code_and_its_cause_on_stderr() {
    let home = flink::flink_home();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let jar = build_jobs(&home, dir.path(), "SmallJob");
    let mut cluster = start(
        &mesos,
        dir.path(),
        "failing",
        &[
            "--job-jar".into(),
            jar.display().to_string(),
            "--job-classname".into(),
            "FailingJob".into(),
        ],
    );
    let status = cluster.wait_exit().await;
    let stderr = cluster.stderr();
    let failed = flink_mesos::error::ErrorKind::JobFailed.exit_code();
    assert_eq!(
        status.code(),
        Some(failed),
        "stderr:\n{}",
        flink::tail(&stderr, 60)
    );
    let last = stderr.lines().rev().find(|l| l.starts_with("error:"));
    let last = last.unwrap_or_else(|| panic!("no error line in:\n{stderr}"));
    assert!(last.contains("FAILED"), "{last}");
    assert!(
        last.contains("java.lang.IllegalStateException: flink-mesos test failure at record 42"),
        "{last}"
    );
    assert_eq!(frameworks(&mesos).await, (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_an_unbounded_job_with_a_savepoint_that_a_second_run_resumes_from() {
    let home = flink::flink_home();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let jar = build_jobs(&home, dir.path(), "UnboundedJob");
    let savepoints = dir.path().join("savepoints");
    let target = format!("file://{}", savepoints.display());

    // First run: SIGTERM with a savepoint directory.
    let started = Instant::now();
    let mut first = start(
        &mesos,
        dir.path(),
        "first",
        &[
            "--job-jar".into(),
            jar.display().to_string(),
            "--savepoint-on-stop".into(),
            target.clone(),
            "--".into(),
            "5".into(),
        ],
    );
    wait_running(&first).await;
    eprintln!(
        "numbers: job cluster from the command to the job RUNNING (1 TaskManager): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stopping = Instant::now();
    sigterm(&first);
    let status = first.wait_exit().await;
    eprintln!(
        "numbers: SIGTERM to exit with a savepoint: {:.1} s",
        stopping.elapsed().as_secs_f64()
    );
    let stdout = first.stdout();
    assert_eq!(
        status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        flink::tail(&first.stderr(), 60)
    );
    let path = stdout
        .lines()
        .find_map(|l| l.strip_prefix("savepoint: "))
        .unwrap_or_else(|| panic!("no savepoint path in:\n{stdout}"))
        .to_string();
    let local = PathBuf::from(path.strip_prefix("file:").unwrap_or(&path));
    assert!(local.starts_with(&savepoints), "{path}");
    assert!(local.join("_metadata").is_file(), "{path} has no _metadata");
    assert_eq!(frameworks(&mesos).await, (0, 1));

    // Second run: resumes from the savepoint; SIGTERM without a savepoint
    // directory cancels it (the CANCELED code).
    let mut second = start(
        &mesos,
        dir.path(),
        "second",
        &[
            "--job-jar".into(),
            jar.display().to_string(),
            "--from-savepoint".into(),
            path.clone(),
            "--".into(),
            "5".into(),
        ],
    );
    let job = wait_running(&second).await;
    let v = checkpoint_statistics(second.rest_port, &job).await;
    let restored = v["latest"]["restored"]["external_path"]
        .as_str()
        .unwrap_or_else(|| panic!("the job was not restored: {v}"));
    assert_eq!(
        restored.trim_end_matches('/'),
        path.trim_end_matches('/'),
        "{v}"
    );
    sigterm(&second);
    let status = second.wait_exit().await;
    let stderr = second.stderr();
    assert_eq!(
        status.code(),
        Some(flink_mesos::error::ErrorKind::JobCanceled.exit_code()),
        "stderr:\n{}",
        flink::tail(&stderr, 60)
    );
    assert!(stderr.contains("CANCELED"), "{}", flink::tail(&stderr, 20));
    assert_eq!(frameworks(&mesos).await, (0, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_jar_or_a_missing_class_exits_1_before_any_framework_registers() {
    let home = flink::flink_home();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let jar = build_jobs(&home, dir.path(), "SmallJob");
    let text = dir.path().join("notes.jar");
    std::fs::write(&text, "not a jar\n").unwrap();
    let cases: [(&str, Vec<String>, &str); 3] = [
        (
            "missing",
            vec![
                "--job-jar".into(),
                dir.path().join("nope.jar").display().to_string(),
            ],
            "nope.jar cannot be read",
        ),
        (
            "text",
            vec!["--job-jar".into(), text.display().to_string()],
            "is not a JAR (ZIP) archive",
        ),
        (
            "class",
            vec![
                "--job-jar".into(),
                jar.display().to_string(),
                "--job-classname".into(),
                "com.example.NoSuchJob".into(),
            ],
            "holds no class com.example.NoSuchJob",
        ),
    ];
    for (name, extra, expected) in cases {
        let mut cluster = start(&mesos, dir.path(), name, &extra);
        let status = wait_exit(
            &mut cluster.guard.0,
            Duration::from_secs(30),
            Duration::from_millis(100),
            "a bad job JAR must end the appmaster at once",
            String::new,
        )
        .await;
        let stderr = cluster.stderr();
        assert_eq!(status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(
            !dir.path().join(format!("{name}-am")).join("log").exists(),
            "{name}: nothing starts"
        );
    }
    assert_eq!(frameworks(&mesos).await, (0, 0), "no framework registered");
}

/// `/jobs/:id/checkpoints` of a job that runs. RUNNING in the overview can
/// come before the job's master answers (Flink: "Unable to get
/// JobMasterGateway for initializing job", a 500), so they are asked until
/// they come (60 s at most).
async fn checkpoint_statistics(rest_port: u16, job: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (code, body) =
            http_get(rest_port, &format!("/jobs/{job}/checkpoints")).unwrap_or_default();
        if code == 200 {
            return serde_json::from_str(&body).unwrap();
        }
        assert!(Instant::now() < deadline, "{code}: {body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Completed checkpoints of `job`.
fn completed_checkpoints(rest_port: u16, job: &str) -> u64 {
    http_get(rest_port, &format!("/jobs/{job}/checkpoints"))
        .and_then(|(_, body)| serde_json::from_str::<Value>(&body).ok())
        .and_then(|v| v["counts"]["completed"].as_u64())
        .unwrap_or(0)
}

/// The numbers in the committed part files under `dir` (Flink's FileSink:
/// in-progress and pending files start with a dot), and how many files.
fn committed_output(dir: &Path) -> (Vec<u64>, usize) {
    let (mut numbers, mut files) = (Vec::new(), 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if !name.starts_with('.') {
                files += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines() {
                    let n = line
                        .parse()
                        .unwrap_or_else(|e| panic!("{}: {line:?}: {e}", path.display()));
                    numbers.push(n);
                }
            }
        }
    }
    (numbers, files)
}

/// Records of the exactly-once job, and its sleep per record (ms): about
/// 40 s of work at parallelism 1, so that the kill lands in the middle.
const EXACTLY_ONCE_RECORDS: u64 = 4000;
const EXACTLY_ONCE_SLEEP_MS: u64 = 10;

/// High availability: the appmaster (and its JobManager) killed with -9
/// while `examples/jobs/ExactlyOnceJob.java` writes 1..4000 through Flink's
/// FileSink with a checkpoint a second, after some of its output is
/// committed, and the same command started again: Flink's HA services give
/// the job the same id and restore it from its latest checkpoint, the
/// surviving TaskManager is adopted, the job runs to FINISHED (exit 0, the
/// framework torn down despite high availability), and the sink's committed
/// output holds every number exactly once: none lost, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_high_availability_a_killed_appmaster_resumes_the_job_and_its_sink_holds_every_record_once(
) {
    let home = flink::flink_home();
    let mesos = MesosLocal::start(&[]);
    let zk = crate::support::zookeeper::ZooKeeper::start();
    let dir = tempfile::tempdir().unwrap();
    let jar = build_jobs(&home, dir.path(), "ExactlyOnceJob");
    let output = dir.path().join("output");
    // Flink's ZooKeeper HA first: what follows `--` is the job's.
    let mut extra: Vec<String> = zk.ha_flags(&dir.path().join("ha")).to_vec();
    extra.extend([
        "--job-jar".into(),
        jar.display().to_string(),
        "-Dhigh-availability.zookeeper.client.session-timeout=4 s".into(),
        "-Dhigh-availability.cluster-id=job-cluster-it".into(),
        "-Dmesos.failover-timeout=120".into(),
        format!(
            "-Dexecution.checkpointing.dir=file://{}",
            dir.path().join("checkpoints").display()
        ),
        "-Dexecution.checkpointing.interval=1 s".into(),
        "--".into(),
        EXACTLY_ONCE_RECORDS.to_string(),
        EXACTLY_ONCE_SLEEP_MS.to_string(),
        format!("file://{}", output.display()),
    ]);
    let mut first = start(&mesos, dir.path(), "ha-first", &extra);
    let job = wait_running(&first).await;
    // Two checkpoints completed, and with them committed output that a
    // replay from the start would write again.
    let deadline = Instant::now() + JOB_END;
    while completed_checkpoints(first.rest_port, &job) < 2 || committed_output(&output).0.is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "no checkpoint with committed output\n{}",
            flink::tail(&first.stderr(), 40)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // /status and /metrics carry the job: id, state, restarts, and the
    // latest checkpoint with its age. (Restarts come from Flink's job
    // metrics, which its REST API fills only after its metric fetcher's
    // first round, up to `metrics.fetcher.update-interval` = 10 s.)
    let status = flink::wait_for(Duration::from_secs(30), || {
        let (_, body) = http_get(first.status_port, "/status")?;
        let v: Value = serde_json::from_str(&body).ok()?;
        v["job"]["restarts"].as_u64()?;
        (v["job"]["last_checkpoint"]["id"].as_u64()? >= 1).then_some(v)
    })
    .unwrap_or_else(|| {
        panic!(
            "/status has no job checkpoint: {:?}",
            http_get(first.status_port, "/status")
        )
    });
    let shown = &status["job"];
    assert_eq!(shown["id"], job.as_str(), "{shown}");
    assert_eq!(shown["state"], "RUNNING", "{shown}");
    assert_eq!(shown["name"], "flink-mesos exactly-once job", "{shown}");
    assert_eq!(shown["restarts"], 0, "{shown}");
    let age = shown["last_checkpoint"]["age_seconds"].as_f64().unwrap();
    assert!((0.0..60.0).contains(&age), "{shown}");
    let (_, metrics) = http_get(first.status_port, "/metrics").unwrap();
    assert!(
        metrics.contains(&format!(
            "flink_mesos_job_info{{job_id=\"{job}\",state=\"RUNNING\"}} 1"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("flink_mesos_job_last_checkpoint_age_seconds "),
        "{metrics}"
    );
    let before = crate::flink_on_mesos::registered(first.rest_port);
    assert_eq!(before.len(), 1, "{before:?}");
    first.guard.0.kill().unwrap();
    first.guard.0.wait().unwrap();
    let killed = Instant::now();
    let (at_kill, _) = committed_output(&output);
    assert!(
        (at_kill.len() as u64) < EXACTLY_ONCE_RECORDS,
        "the job was done before the kill: {} records committed",
        at_kill.len()
    );

    let mut second = start(&mesos, dir.path(), "ha-second", &extra);
    let resumed = wait_running(&second).await;
    eprintln!(
        "numbers: kill -9 to the job RUNNING again: {:.1} s (checkpoint interval 1 s); {} of {EXACTLY_ONCE_RECORDS} records committed at the kill",
        killed.elapsed().as_secs_f64(),
        at_kill.len()
    );
    assert_eq!(resumed, job, "the job keeps its id");
    let v = checkpoint_statistics(second.rest_port, &job).await;
    assert_eq!(
        v["latest"]["restored"]["is_savepoint"], false,
        "restored from a checkpoint: {v}"
    );
    let after = crate::flink_on_mesos::registered(second.rest_port);
    assert!(
        before.iter().all(|id| after.contains(id)),
        "the TaskManager was adopted: {before:?} then {after:?}"
    );
    let status = second.wait_exit().await;
    assert_eq!(
        status.code(),
        Some(0),
        "{}",
        flink::tail(&second.stderr(), 40)
    );
    assert!(second.stdout().contains("FINISHED"), "{}", second.stdout());
    assert_eq!(frameworks(&mesos).await, (0, 1), "one framework, torn down");

    // Exactly once: every number, each a single time, in committed files.
    let (mut numbers, files) = committed_output(&output);
    numbers.sort_unstable();
    let duplicates = numbers.windows(2).filter(|w| w[0] == w[1]).count();
    let expected: Vec<u64> = (1..=EXACTLY_ONCE_RECORDS).collect();
    assert_eq!(
        duplicates,
        0,
        "{duplicates} numbers committed twice ({} lines in {files} files)",
        numbers.len()
    );
    assert!(
        numbers == expected,
        "{} of {EXACTLY_ONCE_RECORDS} numbers committed in {files} files; missing: {:?}",
        numbers.len(),
        expected
            .iter()
            .filter(|n| numbers.binary_search(n).is_err())
            .take(10)
            .collect::<Vec<_>>()
    );
    eprintln!(
        "numbers: exactly once: {EXACTLY_ONCE_RECORDS} records in {files} committed part files, none lost or duplicated across the kill -9"
    );
}

/// A job whose `main` throws before it submits anything (UnboundedJob with
/// an argument that is no number): Flink 2.3 reports the application as
/// FAILED; the appmaster exits with the FAILED code and the exception.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_main_that_throws_before_submitting_exits_with_the_failed_code() {
    let home = flink::flink_home();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let jar = build_jobs(&home, dir.path(), "UnboundedJob");
    let mut cluster = start(
        &mesos,
        dir.path(),
        "throws",
        &[
            "--job-jar".into(),
            jar.display().to_string(),
            "--".into(),
            "not-a-number".into(),
        ],
    );
    let status = cluster.wait_exit().await;
    let stderr = cluster.stderr();
    assert_eq!(
        status.code(),
        Some(flink_mesos::error::ErrorKind::JobFailed.exit_code()),
        "{}",
        flink::tail(&stderr, 60)
    );
    let last = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .unwrap();
    assert!(last.contains("NumberFormatException"), "{last}");
    assert!(last.contains("not-a-number"), "{last}");
    assert_eq!(frameworks(&mesos).await.0, 0, "no framework left");
}
