//! The product as a new user runs it (issue 9): a genuine Mesos with two
//! agents whose environment has nothing of ours (PATH `/usr/bin:/bin`, an
//! empty HOME: no flink-mesos, no Flink), and `flink-mesos appmaster` started
//! from an arbitrary directory with only what the README shows —
//! `FLINK_HOME`, `-Dmesos.master`, `-Dmesos.initial-tasks` and a `conf/`
//! directory — no `--work-dir`, no `--flink-home` for the agents, the default
//! task command. The workers fetch flink-mesos, the Flink distribution and
//! the whole TaskManager configuration from the artifact server; both
//! register, a job runs, and a key set only in the appmaster's configuration
//! file is in the TaskManager's configuration as Flink's REST API shows it.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::flink_on_mesos::{terminate_and_wait_success, wait_registered, Guard};
use crate::support::flink::{self, build_small_job, submit_jar, wait_job_terminal};
use crate::support::free_port;
use crate::support::mesos_local::MesosLocal;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_flow_runs_flink_on_agents_that_have_nothing_installed() {
    let home = flink::flink_home();
    let mesos = MesosLocal::start_bare(&[
        ("MESOS_NUM_SLAVES", "2"),
        (
            "MESOS_RESOURCES",
            "cpus:1;mem:1024;disk:10240;ports:[31000-32000]",
        ),
    ]);
    // The user's directory: a conf/ with their settings, nothing else.
    let user_dir = tempfile::tempdir().unwrap();
    let (rpc_port, rest_port) = (free_port(), free_port());
    let checkpoints = format!(
        "file://{}/checkpoints-only-in-the-file",
        user_dir.path().display()
    );
    let mut conf = format!(
        "jobmanager.rpc.port: {rpc_port}\nrest.port: {rest_port}\n\
         state.checkpoints.dir: {checkpoints}\n\
         metrics.reporter.oob.factory.class: org.apache.flink.metrics.slf4j.Slf4jReporterFactory\n\
         jobmanager.memory.process.size: 512m\njobmanager.memory.jvm-metaspace.size: 128m\n\
         jobmanager.memory.jvm-overhead.min: 64m\nmesos.resourcemanager.tasks.cpus: 0.5\n"
    );
    for (k, v) in flink::small_taskmanager() {
        conf.push_str(&format!("{k}: {v}\n"));
    }
    std::fs::create_dir(user_dir.path().join("conf")).unwrap();
    std::fs::write(user_dir.path().join("conf/config.yaml"), conf).unwrap();
    let job = build_small_job(&home, user_dir.path());
    // A private copy of the binary: it is what the artifact server ships,
    // and other builds may replace target/debug/flink-mesos meanwhile.
    let bin_dir = tempfile::tempdir().unwrap();
    let bin = bin_dir.path().join("flink-mesos");
    std::fs::copy(assert_cmd::cargo::cargo_bin("flink-mesos"), &bin).unwrap();
    let stderr_path = bin_dir.path().join("appmaster.stderr");
    let master = mesos.url.trim_start_matches("http://").to_string();

    let started = Instant::now();
    let mut guard = Guard(
        Command::new(&bin)
            .args([
                "appmaster".to_string(),
                format!("-Dmesos.master={master}"),
                "-Dmesos.initial-tasks=2".into(),
            ])
            .current_dir(user_dir.path())
            .env("FLINK_HOME", &home.root)
            .env_remove("FLINK_CONF_DIR")
            .env_remove("FLINK_PROPERTIES")
            .env_remove("MESOS_SANDBOX")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap(),
    );
    let child = &mut guard.0;
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    assert!(
        first_line.contains("artifacts: "),
        "{first_line:?}\n{}",
        std::fs::read_to_string(&stderr_path).unwrap_or_default()
    );

    // /status names the artifact server (without the per-start id).
    let status_url = first_line
        .split_whitespace()
        .find(|w| w.ends_with("/status"))
        .expect("the status URL")
        .to_string();
    let status: serde_json::Value = serde_json::from_slice(
        &reqwest::get(&status_url)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    let origin = status["artifact_server"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        origin.starts_with("http://") && origin.matches('/').count() == 2,
        "{status}"
    );

    let ids = wait_registered(
        rest_port,
        "2 TaskManagers",
        |ids| ids.len() == 2,
        &stderr_path,
    )
    .await;
    let registered = started.elapsed();
    assert_eq!(ids, ["taskmanager-00001", "taskmanager-00002"]);
    // The default work dir is relative to where the user ran the command.
    assert!(user_dir
        .path()
        .join("flink-mesos-appmaster/jobmanager")
        .is_dir());

    // A key only the appmaster's file has reached the TaskManager: Flink
    // logs every property it loads, and serves the log over REST. Right
    // after registering, a TaskManager may not know the blob server yet
    // ("BlobServer address is unknown"): ask again until it serves its log.
    let deadline = Instant::now() + Duration::from_secs(30);
    let log = loop {
        let r = reqwest::get(format!(
            "http://127.0.0.1:{rest_port}/taskmanagers/taskmanager-00002/log"
        ))
        .await
        .unwrap();
        let ok = r.status().is_success();
        let text = r.text().await.unwrap();
        if ok || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(
        log.contains(&format!(
            "Loading configuration property: state.checkpoints.dir, {checkpoints}"
        )),
        "state.checkpoints.dir is not in the TaskManager's configuration:\n{}",
        flink::tail(&log, 60)
    );
    assert!(log.contains("metrics.reporter.oob.factory.class"));

    // The sandbox holds the fetched artifacts with the right modes.
    let sandbox = mesos.sandbox("taskmanager-00001").expect("a sandbox");
    assert_eq!(mode(&sandbox.join("flink-mesos")), 0o755);
    assert_eq!(mode(&sandbox.join("flink-mesos-conf")), 0o700);
    assert_eq!(mode(&sandbox.join("flink-mesos-conf/config.yaml")), 0o600);
    assert_eq!(mode(&sandbox.join("flink/bin/config.sh")) & 0o100, 0o100);
    assert!(sandbox.join("flink/lib").is_dir());

    let job_id = submit_jar(rest_port, &job, "SmallJob").await;
    assert_eq!(
        wait_job_terminal(rest_port, &job_id, Duration::from_secs(120)).await,
        "FINISHED"
    );
    eprintln!(
        "numbers: README flow, appmaster start -> 2 TaskManagers registered (binary and Flink served): {:.1} s",
        registered.as_secs_f64()
    );

    terminate_and_wait_success(child, &stderr_path).await;
}
