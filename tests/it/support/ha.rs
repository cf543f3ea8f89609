//! The appmaster with `high-availability: zookeeper` ([`Am`], the shared
//! [`Appmaster`] harness with an HA configuration) for the failover and
//! crash scenarios, and the master's view of its framework.

use serde_json::Value;

use super::appmaster::Appmaster;
use super::mesos_local::MesosLocal;
use super::zookeeper::ZooKeeper;

/// An [`Appmaster`] with `high-availability: zookeeper` (a 4 s session),
/// in `dir/<name>` with its stderr in `dir/<name>.stderr`.
pub struct Am(Appmaster);

impl std::ops::Deref for Am {
    type Target = Appmaster;
    fn deref(&self) -> &Appmaster {
        &self.0
    }
}

impl std::ops::DerefMut for Am {
    fn deref_mut(&mut self) -> &mut Appmaster {
        &mut self.0
    }
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
        let work = dir.join(name);
        std::fs::create_dir_all(&work).unwrap();
        let quorum = format!("-Dhigh-availability.zookeeper.quorum={quorum}");
        let mut args = vec![
            "-Dmesos.failover-timeout=120",
            "-Dhigh-availability.type=zookeeper",
            "-Dhigh-availability.storageDir=file:///tmp/flink-mesos-it-ha",
            "-Dhigh-availability.zookeeper.client.session-timeout=4 s",
            quorum.as_str(),
        ];
        args.extend_from_slice(extra);
        let mut command = Appmaster::command();
        command.envs(env.iter().copied());
        Am(Appmaster::spawn(
            command,
            &work,
            dir.join(format!("{name}.stderr")),
            mesos,
            &args,
        ))
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
