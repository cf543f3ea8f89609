//! The Flink version matrix (issue 22) in the suite: the oldest and the
//! newest supported Flink (1.18.1, 2.3.0) each run a local cluster on
//! genuine Mesos with the seed's Marathon example memory settings, give the
//! TaskManagers and the JobManager the memory those ask for (by Flink's
//! REST API), and run examples/jobs/SmallJob.java to FINISHED. The versions
//! between them run in `scripts/compat.sh` (README "Flink versions"), which
//! keeps the suite within its time budget. The distributions come from
//! `scripts/install-deps.sh` (`FLINK_VERSION=X scripts/fetch-flink.sh`).

use std::time::{Duration, Instant};

use flink_mesos::flink::FlinkHome;
use serde_json::Value;

use crate::local::{json, text, Scene};
use crate::support::flink::{build_small_job, submit_jar, wait_job_terminal};

/// `~/.cache/flink-mesos/flink-<version>`; fails with how to install it.
fn home(version: &str) -> FlinkHome {
    let path = flink_mesos::flink::cached_home(version).expect("HOME is not set");
    FlinkHome::open(&path).unwrap_or_else(|e| {
        panic!("Flink {version} is not installed ({e}): run scripts/install-deps.sh (it runs FLINK_VERSION={version} scripts/fetch-flink.sh)")
    })
}

async fn get(rest_port: u16, path: &str) -> Value {
    let url = format!("http://127.0.0.1:{rest_port}{path}");
    let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: {e}: {body}"))
}

/// The seed's Marathon example (`-Djobmanager.heap.mb=1024
/// -Dmesos.resourcemanager.tasks.mem=1024 -Dtaskmanager.heap.mb=1024
/// -Dtaskmanager.numberOfTaskSlots=2 -Dparallelism.default=2`) on Flink
/// `version`, with two TaskManagers; the job runs to the end.
async fn the_seeds_example_runs_a_job_on(version: &str) {
    let home = home(version);
    let scene = Scene::new();
    let (bin, cwd, state) = (&scene.bin, scene.cwd.path(), scene.state.clone());
    let home_arg = home.root.display().to_string();
    let started = Instant::now();
    let out = bin.local(
        cwd,
        &state,
        &[
            "up",
            "--workers",
            "2",
            "--flink-home",
            &home_arg,
            "--output",
            "json",
            "-Djobmanager.heap.mb=1024",
            "-Dmesos.resourcemanager.tasks.mem=1024",
            "-Dtaskmanager.heap.mb=1024",
            "-Dtaskmanager.numberOfTaskSlots=2",
            "-Dparallelism.default=2",
        ],
    );
    let up_secs = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "Flink {version}: {}", text(&out));
    let report = json(&out);
    let rest_port = report["rest_port"].as_u64().unwrap() as u16;

    // The configuration file this version reads, with durations it parses.
    let (file, other) = if home.version.reads_config_yaml() {
        ("config.yaml", "flink-conf.yaml")
    } else {
        ("flink-conf.yaml", "config.yaml")
    };
    let conf_dir = state.join("appmaster/jobmanager/flink-conf");
    let written = std::fs::read_to_string(conf_dir.join(file))
        .unwrap_or_else(|e| panic!("{}/{file}: {e}", conf_dir.display()));
    assert!(!conf_dir.join(other).exists());
    let delay = written
        .lines()
        .find(|l| l.starts_with("cluster.registration.error-delay:"))
        .unwrap_or_else(|| panic!("{written}"));
    if home.version < flink_mesos::flink::FlinkVersion::new(1, 20, 0) {
        assert_eq!(delay, "cluster.registration.error-delay: 1000");
    }

    // Every TaskManager is the 1024 MB process the legacy heap asked for
    // (Flink's migration rule on Mesos).
    let tms = get(rest_port, "/taskmanagers").await;
    let tms = tms["taskmanagers"].as_array().unwrap().clone();
    assert_eq!(tms.len(), 2, "{tms:?}");
    for tm in &tms {
        let id = tm["id"].as_str().unwrap();
        let detail = get(rest_port, &format!("/taskmanagers/{id}")).await;
        assert_eq!(
            detail["memoryConfiguration"]["totalProcessMemory"].as_u64(),
            Some(1 << 30),
            "Flink {version}: {detail}"
        );
    }
    // The JobManager's heap is the 1024 MB the legacy heap asked for.
    let env = get(rest_port, "/jobmanager/environment").await;
    let options: Vec<&str> = env["jvm"]["options"]
        .as_array()
        .unwrap_or_else(|| panic!("{env}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        options.contains(&"-Xmx1073741824"),
        "Flink {version}: {options:?}"
    );

    let job_dir = tempfile::tempdir().unwrap();
    let jar = build_small_job(&home, job_dir.path());
    let job = submit_jar(rest_port, &jar, "SmallJob").await;
    assert_eq!(
        wait_job_terminal(rest_port, &job, Duration::from_secs(120)).await,
        "FINISHED",
        "Flink {version}"
    );
    let out = bin.local(cwd, &state, &["down"]);
    assert!(out.status.success(), "{}", text(&out));
    eprintln!(
        "numbers: Flink {version}: local up --workers 2 with the seed's memory: {up_secs:.1} s; up + job + down: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oldest_supported_flink_runs_the_seeds_example() {
    the_seeds_example_runs_a_job_on("1.18.1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newest_supported_flink_runs_the_seeds_example() {
    the_seeds_example_runs_a_job_on("2.3.0").await;
}
