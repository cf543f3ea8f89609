//! The Flink version matrix (issue 22) in the suite: the oldest and the
//! newest supported Flink (1.18.1, 2.3.0) each run a local cluster on
//! genuine Mesos with the seed's Marathon example memory settings, give the
//! TaskManagers and the JobManager the memory those ask for (by Flink's
//! REST API), and run examples/jobs/SmallJob.java to FINISHED; the seed's
//! two examples (its "General configuration" and its Marathon app) do the
//! same on Flink 1.20 (the 1.x LTS line) and 2.3, asserted through
//! `/taskmanagers/<id>` (process size, slots) and `/jobmanager/config` (the
//! JobManager's heap). The versions between them run in `scripts/compat.sh`
//! (README "Flink versions"), which keeps the suite within its time budget.
//! The distributions come from `scripts/install-deps.sh`
//! (`FLINK_VERSION=X scripts/fetch-flink.sh`).

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

/// One of the seed's examples, as `local up` properties, and what Flink
/// must report for it.
struct Example {
    name: &'static str,
    workers: u32,
    properties: &'static [&'static str],
    /// Each TaskManager's whole process (`totalProcessMemory`), MB.
    taskmanager_process_mb: u64,
    slots: u64,
    /// The JobManager's heap (`jobmanager.memory.heap.size`, `-Xmx`), MB.
    jobmanager_heap_mb: u64,
}

/// The seed's Marathon example: `-Djobmanager.heap.mb=1024
/// -Dmesos.initial-tasks=1 -Dmesos.resourcemanager.tasks.mem=1024
/// -Dtaskmanager.heap.mb=1024 -Dtaskmanager.numberOfTaskSlots=2
/// -Dparallelism.default=2 -Dmesos.resourcemanager.tasks.cpus=1`, with two
/// TaskManagers instead of one (so that the job crosses TaskManagers) and
/// the ports left to `local up` (free loopback ports on a shared machine).
const MARATHON_EXAMPLE: Example = Example {
    name: "Marathon example",
    workers: 2,
    properties: &[
        "-Djobmanager.heap.mb=1024",
        "-Dmesos.resourcemanager.tasks.mem=1024",
        "-Dtaskmanager.heap.mb=1024",
        "-Dtaskmanager.numberOfTaskSlots=2",
        "-Dparallelism.default=2",
    ],
    taskmanager_process_mb: 1024,
    slots: 2,
    jobmanager_heap_mb: 1024,
};

/// The seed's "General configuration" example: `-Djobmanager.heap.mb=1024
/// -Djobmanager.rpc.port=6123 -Djobmanager.web.port=8081
/// -Dmesos.initial-tasks=10 -Dmesos.resourcemanager.tasks.mem=4096
/// -Dtaskmanager.heap.mb=3500 -Dtaskmanager.numberOfTaskSlots=2
/// -Dparallelism.default=10`, scaled down to this 2-core machine: 2
/// TaskManagers instead of 10 and parallelism 4 (their 4 slots) instead of
/// 10; the memory is the example's own (4096 MB containers, 3500 MB
/// TaskManagers: Mesos reserves it, the idle JVMs touch far less); the
/// ports are left to `local up`.
const GENERAL_EXAMPLE: Example = Example {
    name: "general-configuration example",
    workers: 2,
    properties: &[
        "-Djobmanager.heap.mb=1024",
        "-Dmesos.resourcemanager.tasks.mem=4096",
        "-Dtaskmanager.heap.mb=3500",
        "-Dtaskmanager.numberOfTaskSlots=2",
        "-Dparallelism.default=4",
    ],
    taskmanager_process_mb: 3500,
    slots: 2,
    jobmanager_heap_mb: 1024,
};

/// The JobManager's `key` in `/jobmanager/config` (a list of key/value).
fn config_value(config: &Value, key: &str) -> Option<String> {
    config
        .as_array()?
        .iter()
        .find(|e| e["key"] == key)
        .and_then(|e| e["value"].as_str().map(String::from))
}

/// `example` on Flink `version`: a local cluster on genuine Mesos, the
/// memory each process gets by Flink's REST API, SmallJob to the end.
async fn the_seeds_example_runs_a_job_on(version: &str, example: &Example) {
    let home = home(version);
    let scene = Scene::new();
    let (bin, cwd, state) = (&scene.bin, scene.cwd.path(), scene.state.clone());
    let home_arg = home.root.display().to_string();
    let workers = example.workers.to_string();
    let mut args = vec![
        "up",
        "--workers",
        &workers,
        "--flink-home",
        &home_arg,
        "--output",
        "json",
    ];
    args.extend(example.properties);
    let started = Instant::now();
    let out = bin.local(cwd, &state, &args);
    let up_secs = started.elapsed().as_secs_f64();
    let what = format!("Flink {version}, the seed's {}", example.name);
    assert!(out.status.success(), "{what}: {}", text(&out));
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

    // Every TaskManager is the process the legacy heap asked for (Flink's
    // migration rule on Mesos), with the slots asked for.
    let tms = get(rest_port, "/taskmanagers").await;
    let tms = tms["taskmanagers"].as_array().unwrap().clone();
    assert_eq!(tms.len(), example.workers as usize, "{what}: {tms:?}");
    for tm in &tms {
        let id = tm["id"].as_str().unwrap();
        // A TaskManager is listed once registered and reports its slots
        // just after (`slotsNumber` 0 until then): asked until it has.
        let deadline = Instant::now() + Duration::from_secs(60);
        let detail = loop {
            let detail = get(rest_port, &format!("/taskmanagers/{id}")).await;
            if detail["slotsNumber"].as_u64().unwrap_or(0) > 0 || Instant::now() > deadline {
                break detail;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        assert_eq!(
            detail["memoryConfiguration"]["totalProcessMemory"].as_u64(),
            Some(example.taskmanager_process_mb << 20),
            "{what}: {detail}"
        );
        assert_eq!(
            detail["slotsNumber"].as_u64(),
            Some(example.slots),
            "{what}: {detail}"
        );
    }
    // The JobManager's heap is what the legacy heap asked for: in its
    // configuration (`/jobmanager/config`) and in its JVM's -Xmx.
    let config = get(rest_port, "/jobmanager/config").await;
    let heap = config_value(&config, "jobmanager.memory.heap.size")
        .unwrap_or_else(|| panic!("{what}: no jobmanager.memory.heap.size in {config}"));
    assert_eq!(
        flink_mesos::config::values::parse_memory(&heap).map(|b| b >> 20),
        Ok(example.jobmanager_heap_mb),
        "{what}: jobmanager.memory.heap.size: {heap}"
    );
    assert_eq!(
        config_value(&config, "jobmanager.heap.mb"),
        None,
        "{what}: the legacy key is translated, not passed on"
    );
    let env = get(rest_port, "/jobmanager/environment").await;
    let options: Vec<&str> = env["jvm"]["options"]
        .as_array()
        .unwrap_or_else(|| panic!("{env}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let xmx = format!("-Xmx{}", example.jobmanager_heap_mb << 20);
    assert!(options.contains(&xmx.as_str()), "{what}: {options:?}");

    let job_dir = tempfile::tempdir().unwrap();
    let jar = build_small_job(&home, job_dir.path());
    let job = submit_jar(rest_port, &jar, "SmallJob").await;
    assert_eq!(
        wait_job_terminal(rest_port, &job, Duration::from_secs(120)).await,
        "FINISHED",
        "{what}"
    );
    let out = bin.local(cwd, &state, &["down"]);
    assert!(out.status.success(), "{}", text(&out));
    eprintln!(
        "numbers: {what}: local up --workers {workers}: {up_secs:.1} s; up + job + down: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oldest_supported_flink_runs_the_seeds_example() {
    the_seeds_example_runs_a_job_on("1.18.1", &MARATHON_EXAMPLE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newest_supported_flink_runs_the_seeds_example() {
    the_seeds_example_runs_a_job_on("2.3.0", &MARATHON_EXAMPLE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flink_1_20_gives_the_seeds_marathon_example_its_memory() {
    the_seeds_example_runs_a_job_on("1.20.5", &MARATHON_EXAMPLE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flink_1_20_gives_the_seeds_general_configuration_example_its_memory() {
    the_seeds_example_runs_a_job_on("1.20.5", &GENERAL_EXAMPLE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flink_2_3_gives_the_seeds_general_configuration_example_its_memory() {
    the_seeds_example_runs_a_job_on("2.3.0", &GENERAL_EXAMPLE).await;
}
