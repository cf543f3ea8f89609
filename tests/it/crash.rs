//! Crash and fault scenarios against the genuine Mesos and a real ZooKeeper
//! (issue 14): the appmaster killed with -9 at seeded random points while it
//! launches and replaces workers, and after every kill a restart that must
//! bring the cluster back within bounded time; the whole ZooKeeper ensemble
//! down for a while; a running worker's sandbox removed under it.
//!
//! The seed of the kill points is printed; `FLINK_MESOS_CRASH_SEED=<seed>`
//! repeats a run and `FLINK_MESOS_CRASH_POINTS=<n>` changes how many points
//! one run kills at (at least 30 by default).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::appmaster::{kill_9, running_ids, task_pid};
use crate::support::ha::{cluster, count, fixed_artifact_port, tasks, Am};
use crate::support::mesos_local::MesosLocal;
use crate::support::zookeeper::{Ensemble, ZooKeeper};

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// What the appmaster was doing, from its last `/status` before the kill.
fn phase(v: Option<&Value>, desired: usize) -> &'static str {
    let Some(v) = v else {
        return "starting (no /status answer yet)";
    };
    if v["phase"] == "standby" {
        return "campaigning for the leadership";
    }
    if v["connected"] != true {
        return "leading, recovering and subscribing";
    }
    if count(v, "new") + count(v, "launched") > 0 {
        return "launching";
    }
    if count(v, "running") < desired {
        return "replacing (backing off)";
    }
    "settled"
}

/// What every restart after a kill must show within `within`: exactly the
/// desired workers running and nothing pending, the same framework, no
/// orphan (what runs at the master is what the appmaster knows as running),
/// no task id launched twice in the framework's whole history, and a failure
/// count of exactly the TaskManagers the test killed (nothing the appmaster
/// crashes caused counts). Returns the last `/status`.
async fn assert_recovered(
    am: &Am,
    mesos: &MesosLocal,
    framework_id: &mut Option<String>,
    worker_kills: u32,
    within: Duration,
    context: &str,
) -> Value {
    let v = am
        .wait_status_for(
            &format!(
                "exactly the desired workers, all running, {worker_kills} failures ({context})"
            ),
            within,
            |v| {
                count(v, "running") == DESIRED
                    && count(v, "new") + count(v, "launched") + count(v, "released") == 0
                    && v["failures"]["count"] == worker_kills
            },
        )
        .await;
    let id = v["framework_id"].as_str().unwrap().to_string();
    let first = framework_id.get_or_insert_with(|| id.clone());
    assert_eq!(&id, first, "one framework throughout ({context})");
    // Let stragglers show up: a task the store had not known would be killed
    // as unknown, and a duplicate would appear at the master.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let v = am.status().await;
    let (active, completed) = tasks(mesos, &id).await;
    let context = format!(
        "{context}\nactive {active:?}\ncompleted {completed:?}\n{}",
        am.stderr()
    );
    assert_eq!(active.len(), DESIRED, "desired count: {context}");
    assert_eq!(running_ids(&v), active, "no orphan: {context}");
    let mut all: Vec<&String> = active.iter().chain(&completed).collect();
    all.sort();
    let total = all.len();
    all.dedup();
    assert_eq!(all.len(), total, "a task id was launched twice: {context}");
    assert_eq!(
        v["failures"]["count"], worker_kills,
        "failure count: {context}"
    );
    // No worker left waiting for its own update after the master said it
    // ended.
    assert_eq!(
        v["reported_ended_workers"],
        serde_json::json!({}),
        "{context}"
    );
    v
}

const DESIRED: usize = 4;
const CRASH_CMD: [&str; 2] = ["sleep", "634"];
/// How long a restart may take to bring the cluster back: generous for a
/// loaded 2-core machine (typically 1–5 s: reconciliation, and the launch of
/// replacements with their artifact fetch).
const RECOVERY_BOUND: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_kill_9_at_30_seeded_points_every_restart_recovers_exactly_the_desired_workers_none_twice_no_orphan_failures_intact(
) {
    let seed = env_number("FLINK_MESOS_CRASH_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let points = env_number("FLINK_MESOS_CRASH_POINTS").unwrap_or(30) as usize;
    eprintln!(
        "crash suite: {points} kill points, seed {seed} (FLINK_MESOS_CRASH_SEED={seed} repeats it)"
    );
    let mut rng = fastrand::Rng::with_seed(seed);
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let artifacts = fixed_artifact_port();
    let desired = format!("-Dmesos.initial-tasks={DESIRED}");
    let cmd = format!(
        "-Dmesos.resourcemanager.tasks.taskmanager-cmd={}",
        CRASH_CMD.join(" ")
    );
    let extra = [
        desired.as_str(),
        // Never give up: the count itself is what is checked.
        "-Dmesos.maximum-failed-tasks=-1",
        &cmd,
        &artifacts,
        &cluster("crash"),
    ];
    let mut framework_id: Option<String> = None;
    // Workers whose TaskManager we killed while their appmaster had them
    // RUNNING (stored): exactly these are failures of their own.
    let mut worker_kills = 0u32;
    let mut phases: BTreeMap<&'static str, usize> = BTreeMap::new();
    for point in 0..points {
        // Where to die, seeded: right after the N-th store write or the
        // N-th call the master took (the appmaster kills itself with
        // SIGKILL: FLINK_MESOS_CRASH_AT), or from outside at a random
        // moment. One outside kill in four comes after the cluster settled
        // (steady state, replacements of killed TaskManagers); the others
        // fall mostly into the first second: campaigning, recovering,
        // subscribing, launching.
        let crash_at = match rng.u8(0..10) {
            // An appmaster that finds its workers running writes and calls
            // little (reconciliation, SUPPRESS): small N, so that the point
            // comes; the replacements of killed TaskManagers add more.
            0..=3 => Some(format!("store:{}", rng.u64(1..=4))),
            4..=6 => Some(format!("call:{}", rng.u64(1..=6))),
            _ => None,
        };
        let env: Vec<(&str, &str)> = crash_at
            .as_deref()
            .map(|at| ("FLINK_MESOS_CRASH_AT", at))
            .into_iter()
            .collect();
        let mut am = Am::start_env(
            dir.path(),
            &format!("am{point:02}"),
            &mesos,
            &zk.connect_string(),
            &extra,
            &env,
        );
        if crash_at.is_none() && rng.u8(0..4) == 0 {
            am.wait_status_for(
                "all workers running before the kill",
                Duration::from_secs(120),
                |v| count(v, "running") == DESIRED,
            )
            .await;
        }
        let die_after = match crash_at {
            // The crash point may not come (fewer writes or calls than N
            // this time): then killed from outside after 3 s.
            Some(_) => Duration::from_secs(3),
            None => Duration::from_secs_f64(2.5 * rng.f64().powi(2)),
        };
        // Kill a TaskManager in one outside-kill round of three, and in
        // every other crash-point round (its replacement brings writes and
        // calls).
        let kill_worker = if crash_at.is_some() {
            rng.bool()
        } else {
            rng.u8(0..3) == 0
        };
        let kill_worker_at =
            kill_worker.then(|| die_after.mul_f64(rng.f64()).min(Duration::from_millis(800)));
        let since = Instant::now();
        let mut last: Option<Value> = None;
        let mut worker_killed = false;
        let mut died_itself = false;
        loop {
            if am.child.try_wait().unwrap().is_some() {
                died_itself = true;
                break;
            }
            if let Some(v) = am.try_status().await {
                if let Some(id) = v["framework_id"].as_str() {
                    let first = framework_id.get_or_insert_with(|| id.to_string());
                    assert_eq!(first, id, "one framework throughout (seed {seed})");
                }
                last = Some(v);
            }
            if let (Some(at), false) = (kill_worker_at, worker_killed) {
                if since.elapsed() >= at {
                    worker_killed = true;
                    let running = last.as_ref().map(running_ids).unwrap_or_default();
                    if !running.is_empty() {
                        let victim = &running[rng.usize(0..running.len())];
                        if let Some(pid) = task_pid(victim, &CRASH_CMD) {
                            if kill_9(pid) {
                                worker_kills += 1;
                            }
                        }
                    }
                }
            }
            if since.elapsed() >= die_after {
                break;
            }
            tokio::time::sleep(Duration::from_millis(rng.u64(10..100))).await;
        }
        let what = match (&crash_at, died_itself) {
            (Some(at), true) if at.starts_with("store") => {
                "right after a store write (crash point)"
            }
            (Some(_), true) => "right after a call the master took (crash point)",
            _ => phase(last.as_ref(), DESIRED),
        };
        *phases.entry(what).or_default() += 1;
        if !died_itself {
            am.signal("KILL");
        }
        let status = am.wait_exit().await;
        assert_eq!(
            status.code(),
            None,
            "killed by a signal, not ended: {}",
            am.stderr()
        );

        // Liveness after every kill: a plain restart brings back exactly
        // the desired workers within bounded time, counting only the
        // TaskManagers the test killed. It is killed in turn (steady state),
        // so the next round recovers from a crash as well.
        let mut recovery = Am::start(dir.path(), &format!("rec{point:02}"), &mesos, &zk, &extra);
        let v = assert_recovered(
            &recovery,
            &mesos,
            &mut framework_id,
            worker_kills,
            RECOVERY_BOUND,
            &format!("after kill point {point} ({what}), seed {seed}"),
        )
        .await;
        recovery.signal("KILL");
        recovery.wait_exit().await;
        // In one round of two, TaskManagers die while no appmaster runs:
        // the next one starts by replacing them, so that its kill point
        // falls into launches (store writes, ACCEPTs, acknowledgements).
        if rng.bool() {
            let mut running = running_ids(&v);
            for _ in 0..rng.usize(1..=2) {
                let victim = running.swap_remove(rng.usize(0..running.len()));
                if task_pid(&victim, &CRASH_CMD).is_some_and(kill_9) {
                    worker_kills += 1;
                }
            }
        }
    }
    // A restarted appmaster removes the leader latch of its dead
    // predecessor on this machine instead of waiting out its session.
    let latches_removed = (0..points)
        .flat_map(|p| [format!("am{p:02}"), format!("rec{p:02}")])
        .filter(|name| {
            std::fs::read_to_string(dir.path().join(format!("{name}.stderr")))
                .unwrap_or_default()
                .contains("removed the leader latch of an appmaster on this machine that is dead")
        })
        .count();
    assert!(
        latches_removed > 0,
        "no restarted appmaster removed a dead predecessor's latch (seed {seed})"
    );
    eprintln!("crash suite: {latches_removed} restarts removed a dead predecessor's latch");
    eprintln!("crash suite: kill points by what the appmaster was doing: {phases:?}; TaskManagers killed: {worker_kills}");

    // The last appmaster, too, recovers from the last steady-state kill.
    let am = Am::start(dir.path(), "last", &mesos, &zk, &extra);
    let context = format!("seed {seed}; phases {phases:?}");
    assert_recovered(
        &am,
        &mesos,
        &mut framework_id,
        worker_kills,
        RECOVERY_BOUND,
        &context,
    )
    .await;
    // The kill points are spread over what the appmaster does (a run of
    // fewer than 20 points, FLINK_MESOS_CRASH_POINTS, may well miss some).
    assert!(
        points < 20 || phases.len() >= 3,
        "kill points fell into too few phases: {context}"
    );
}

fn quiet_cluster(name: &str, workers: usize, cmd: &[&str]) -> Vec<String> {
    vec![
        format!("-Dmesos.initial-tasks={workers}"),
        format!(
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd={}",
            cmd.join(" ")
        ),
        cluster(name),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_whole_zookeeper_ensemble_down_then_back_the_appmaster_stands_by_then_leads_the_same_workers(
) {
    let mut zk = Ensemble::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let extra = quiet_cluster("zk-down", 3, &["sleep", "635"]);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let mut am = Am::start_with(dir.path(), "am", &mesos, &zk.connect_string(), &extra);
    let v = am
        .wait_status("3 running workers", |v| count(v, "running") == 3)
        .await;
    let framework_id = v["framework_id"].as_str().unwrap().to_string();
    let before = running_ids(&v);

    // Every server down, for longer than the session timeout (4 s).
    for i in 0..3 {
        zk.kill(i);
    }
    am.wait_stderr("lost the leadership").await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    // It stands by instead of exiting, and leaves Mesos alone: the workers
    // run on, nothing is torn down.
    assert!(am.child.try_wait().unwrap().is_none(), "{}", am.stderr());
    let (active, completed) = tasks(&mesos, &framework_id).await;
    assert_eq!(active, before);
    assert!(completed.is_empty(), "{completed:?}");

    zk.start_stopped();
    let v = am
        .wait_status_for(
            "leading again with the same workers",
            Duration::from_secs(90),
            |v| v["connected"] == true && count(v, "running") == 3,
        )
        .await;
    assert_eq!(v["framework_id"], framework_id.as_str());
    assert_eq!(running_ids(&v), before, "the same workers, none replaced");
    assert_eq!(v["failures"]["count"], 0);
    let (active, completed) = tasks(&mesos, &framework_id).await;
    assert_eq!(active, before);
    assert!(completed.is_empty(), "none launched again: {completed:?}");
}

/// The state the master reports for `task_id` of `framework_id`, if it
/// lists the task (active, or completed).
async fn master_task_state(
    mesos: &MesosLocal,
    framework_id: &str,
    task_id: &str,
) -> Option<String> {
    let state = mesos.get_json("/master/state").await;
    for key in ["frameworks", "completed_frameworks"] {
        for f in state[key].as_array().into_iter().flatten() {
            if f["id"] != framework_id {
                continue;
            }
            for list in ["tasks", "completed_tasks"] {
                for t in f[list].as_array().into_iter().flatten() {
                    if t["id"] == task_id {
                        return t["state"].as_str().map(str::to_string);
                    }
                }
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_a_taskmanager_that_dies_while_no_appmaster_runs_is_counted_once_and_replaced() {
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    const CMD: [&str; 2] = ["sleep", "637"];
    let extra = quiet_cluster("died-away", 2, &CMD);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let mut am = Am::start(dir.path(), "first", &mesos, &zk, &extra);
    let v = am
        .wait_status("2 running workers", |v| count(v, "running") == 2)
        .await;
    let framework_id = v["framework_id"].as_str().unwrap().to_string();
    am.signal("KILL");
    am.wait_exit().await;

    // With no appmaster, a TaskManager dies; its TASK_FAILED waits at the
    // agent for an acknowledgement.
    let victim = "taskmanager-00001";
    let pid = task_pid(victim, &CMD).expect("the worker's process");
    assert!(kill_9(pid));
    let deadline = Instant::now() + Duration::from_secs(30);
    while master_task_state(&mesos, &framework_id, victim)
        .await
        .as_deref()
        != Some("TASK_FAILED")
    {
        assert!(
            Instant::now() < deadline,
            "the master never saw {victim} fail"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The next appmaster counts that death once (reconciliation's answer,
    // TASK_FAILED with REASON_RECONCILIATION, and the task's own update may
    // come in either order) and replaces it.
    let am = Am::start(dir.path(), "second", &mesos, &zk, &extra);
    let v = am
        .wait_status("the dead worker counted and replaced", |v| {
            count(v, "running") == 2
                && v["failures"]["count"] == 1
                && !running_ids(v).contains(&victim.to_string())
        })
        .await;
    assert_eq!(v["framework_id"], framework_id.as_str());
    assert!(
        v["failures"]["last"]
            .as_str()
            .is_some_and(|l| l.contains(victim)),
        "{v:#}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let v = am.status().await;
    assert_eq!(v["failures"]["count"], 1, "counted once: {}", am.stderr());
    assert_eq!(v["reported_ended_workers"], serde_json::json!({}));
    assert_eq!(count(&v, "running"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_sandbox_removed_under_a_running_worker_goes_unnoticed_then_its_death_is_replaced_and_counted_once(
) {
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    const CMD: [&str; 2] = ["sleep", "636"];
    let extra = quiet_cluster("sandbox-gone", 2, &CMD);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let am = Am::start(dir.path(), "am", &mesos, &zk, &extra);
    let v = am
        .wait_status("2 running workers", |v| count(v, "running") == 2)
        .await;
    let before = running_ids(&v);
    let victim = before[0].clone();
    let sandbox = mesos
        .sandbox(&victim)
        .and_then(|s| std::fs::canonicalize(s).ok())
        .expect("the worker's sandbox");
    std::fs::remove_dir_all(&sandbox).unwrap();

    // The process runs on without its sandbox: nothing to replace, and no
    // failure counted for a worker that is alive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let v = am.status().await;
    assert_eq!(running_ids(&v), before, "{}", am.stderr());
    assert_eq!(v["failures"]["count"], 0);

    // Then it dies: replaced by a new task in a new sandbox, counted once.
    let pid = task_pid(&victim, &CMD).expect("the worker's process");
    assert!(kill_9(pid));
    let v = am
        .wait_status("the dead worker replaced", |v| {
            let ids = running_ids(v);
            ids.len() == 2 && !ids.contains(&victim)
        })
        .await;
    assert_eq!(v["failures"]["count"], 1, "{}", am.stderr());
    let now: BTreeSet<String> = running_ids(&v).into_iter().collect();
    let new = now
        .iter()
        .find(|id| !before.contains(id))
        .expect("a new task id");
    let fresh = mesos.sandbox(new).expect("the replacement's sandbox");
    assert!(fresh.join("stdout").exists(), "{}", fresh.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_another_writer_changes_a_worker_record_underneath_the_appmaster_quarantines_it_rather_than_clobber_it(
) {
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    const CMD: [&str; 2] = ["sleep", "637"];
    let extra = quiet_cluster("foreign-writer", 2, &CMD);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let am = Am::start(dir.path(), "am", &mesos, &zk, &extra);
    let v = am
        .wait_status("2 running workers", |v| count(v, "running") == 2)
        .await;
    let victim = running_ids(&v)[0].clone();
    // Someone else (another tool, a second cluster configured with the same
    // cluster id) writes over the worker's record.
    let node = format!("/flink/foreign-writer/mesos-workers/workers/{victim}");
    let foreign = br#"{"written":"by someone else"}"#;
    let client = zookeeper_client::Client::connect(&zk.connect_string())
        .await
        .unwrap();
    client.set_data(&node, foreign, None).await.unwrap();
    // The worker dies: the appmaster's write about it finds the record
    // changed. It must not overwrite it; reading the store afresh, it finds
    // a record it cannot read, names it and leaves it out (quarantined):
    // the rest of the store keeps working, and the cluster is whole again.
    let pid = task_pid(&victim, &CMD).expect("the worker's process");
    assert!(kill_9(pid));
    am.wait_stderr("changed by someone else").await;
    am.wait_stderr("left out (quarantined)").await;
    let stderr = am.stderr();
    assert!(stderr.contains(&node), "the error names the node: {stderr}");
    let v = am
        .wait_status("2 running workers again", |v| {
            count(v, "running") == 2 && !running_ids(v).contains(&victim)
        })
        .await;
    assert_eq!(v["phase"], "running", "{v}");
    let (now, _) = client.get_data(&node).await.unwrap();
    assert_eq!(now, foreign.to_vec(), "not clobbered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_appmaster_away_past_the_failover_timeout_registers_anew_and_replaces_its_workers_uncounted(
) {
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let mut extra = quiet_cluster("failover-timeout", 2, &["sleep", "638"]);
    extra.push("-Dmesos.failover-timeout=1".into());
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let mut am = Am::start(dir.path(), "first", &mesos, &zk, &extra);
    let v = am
        .wait_status("2 running workers", |v| count(v, "running") == 2)
        .await;
    let old_framework = v["framework_id"].as_str().unwrap().to_string();
    let old_workers = running_ids(&v);
    am.signal("KILL");
    am.wait_exit().await;
    // The master removes the framework and kills its tasks once the
    // failover timeout ran out.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state = mesos.get_json("/master/state").await;
        let active = state["frameworks"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["id"] == old_framework.as_str());
        if !active {
            break;
        }
        assert!(Instant::now() < deadline, "the master kept the framework");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let am = Am::start(dir.path(), "second", &mesos, &zk, &extra);
    let v = am
        .wait_status("2 new workers under a new framework", |v| {
            count(v, "running") == 2 && v["framework_id"] != old_framework.as_str()
        })
        .await;
    let stderr = am.stderr();
    assert!(
        stderr.contains("the Mesos master removed the framework; registering anew"),
        "{stderr}"
    );
    let new_workers = running_ids(&v);
    assert!(
        new_workers.iter().all(|id| !old_workers.contains(id)),
        "task ids are never reused: {old_workers:?} {new_workers:?}"
    );
    assert_eq!(v["failures"]["count"], 0, "{stderr}");
    let (active, _) = tasks(&mesos, v["framework_id"].as_str().unwrap()).await;
    assert_eq!(active, new_workers);
}
