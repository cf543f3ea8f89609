//! `local status`: every recorded component with its health — the Mesos
//! master (its agents and frameworks) or agent, ZooKeeper (`ruok`), the
//! appmaster (`/health`), the JobManager found below it (its REST
//! overview), and each TaskManager (its process below Mesos, its
//! registration with the JobManager).
//!
//! Reads only: the record, `/proc` and the components' HTTP endpoints
//! ([`probe`](super::probe)); nothing is started or signalled.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::probe::{http_agent, http_get, json_get, registered_ports};
use super::{process, state, zookeeper, LocalError};

/// The health of one component.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentStatus {
    pub component: String,
    pub pid: Option<u32>,
    pub port: Option<u16>,
    pub healthy: bool,
    /// `healthy`, or what is wrong, with a detail (agents, registered TaskManagers).
    pub health: String,
    pub url: Option<String>,
}

/// `local status`.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterStatus {
    pub state_dir: PathBuf,
    /// Which Mesos runs (genuine or the embedded one), as `up` described it.
    pub mesos: Option<String>,
    pub running: bool,
    pub healthy: bool,
    pub workers: u32,
    pub mesos_url: Option<String>,
    pub flink_url: Option<String>,
    pub components: Vec<ComponentStatus>,
}

/// The processes of a component's tree whose command line contains `needle`.
fn find_below(root: u32, needle: &str) -> Vec<u32> {
    process::left_behind(root)
        .into_iter()
        .filter(|p| process::cmdline(*p).contains(needle))
        .collect()
}

/// A job cluster's job: its state in `/jobs/overview` (healthy while it
/// runs or finished), with its restarts.
fn job_row(http: &super::probe::HttpAgent, flink_url: &str) -> ComponentStatus {
    let overview = json_get(http, &format!("{flink_url}/jobs/overview"));
    let job = overview
        .as_ref()
        .and_then(|v| v["jobs"].as_array().and_then(|a| a.first()).cloned());
    let (healthy, health, url) = match job {
        Some(job) => {
            let id = job["jid"].as_str().unwrap_or_default().to_string();
            let state = job["state"].as_str().unwrap_or("?").to_string();
            let healthy = matches!(state.as_str(), "RUNNING" | "FINISHED");
            let restarts = json_get(
                http,
                &format!("{flink_url}/jobs/{id}/metrics?get=numRestarts"),
            )
            .and_then(|v| v.as_array()?.first()?["value"].as_str().map(String::from));
            let detail = match restarts {
                Some(n) => format!(
                    "{state} ({}, {n} restart(s))",
                    job["name"].as_str().unwrap_or("")
                ),
                None => format!("{state} ({})", job["name"].as_str().unwrap_or("")),
            };
            (
                healthy,
                detail,
                Some(format!("{flink_url}/#/job/running/{id}/overview")),
            )
        }
        None if overview.is_some() => (false, "no job (yet)".into(), None),
        None => (false, "REST API does not answer".into(), None),
    };
    ComponentStatus {
        component: "job".into(),
        pid: None,
        port: None,
        healthy,
        health,
        url,
    }
}

/// Every recorded component (and the JobManager and TaskManagers found
/// below them) with its health.
pub fn status(state_dir: &Path) -> Result<ClusterStatus, LocalError> {
    let Some(st) = state::load(state_dir)? else {
        return Ok(ClusterStatus {
            state_dir: state_dir.to_path_buf(),
            mesos: None,
            running: false,
            healthy: false,
            workers: 0,
            mesos_url: None,
            flink_url: None,
            components: Vec::new(),
        });
    };
    let http = http_agent(Duration::from_secs(3));
    let mut rows = Vec::new();
    for c in &st.components {
        let alive = c.process.alive();
        let (healthy, health) = if !alive {
            (false, "not running".to_string())
        } else if c.name == "appmaster" {
            match http_get(&http, &format!("http://127.0.0.1:{}/health", c.port)) {
                Some((200, _)) => (true, "healthy".into()),
                Some((code, body)) => (false, format!("/health {code}: {}", body.trim())),
                None => (false, "/health does not answer".into()),
            }
        } else if c.name == "zookeeper" {
            if zookeeper::ruok(c.port) {
                (true, "healthy (imok)".into())
            } else {
                (false, "does not answer `ruok`".into())
            }
        } else if c.name == "mesos-agent" {
            match http_get(&http, &format!("{}/slave(1)/health", c.url)) {
                Some((200, _)) => (true, "healthy".into()),
                Some((code, _)) => (false, format!("/slave(1)/health {code}")),
                None => (false, "/slave(1)/health does not answer".into()),
            }
        } else {
            match json_get(&http, &format!("{}/master/state", st.mesos_url)) {
                Some(v) => {
                    let n = v["activated_slaves"].as_f64().unwrap_or(0.0) as i64;
                    let fw = v["frameworks"].as_array().map_or(0, Vec::len);
                    let kind = if st.mesos_kind.starts_with("embedded") {
                        "embedded Mesos, "
                    } else {
                        ""
                    };
                    (
                        n >= 1,
                        format!(
                            "{} ({kind}{n} agent(s), {fw} framework(s))",
                            if n >= 1 { "healthy" } else { "no agent" }
                        ),
                    )
                }
                None => (false, "/master/state does not answer".into()),
            }
        };
        rows.push(ComponentStatus {
            component: c.name.clone(),
            pid: Some(c.process.pid),
            port: Some(c.port),
            healthy,
            health,
            url: Some(c.url.clone()),
        });
        if c.name == "appmaster" && alive {
            let entrypoint = if st.job_jar.is_some() {
                "StandaloneApplicationClusterEntryPoint"
            } else {
                "StandaloneSessionClusterEntrypoint"
            };
            let jm = find_below(c.process.pid, entrypoint).into_iter().next();
            let (healthy, health) = match json_get(&http, &format!("{}/overview", st.flink_url)) {
                Some(v) => {
                    let tms = v["taskmanagers"].as_u64().unwrap_or(0);
                    let ok = tms >= u64::from(st.workers);
                    (
                        ok,
                        format!(
                            "{} ({tms}/{} TaskManagers, {} slots)",
                            if ok {
                                "healthy"
                            } else {
                                "waiting for TaskManagers"
                            },
                            st.workers,
                            v["slots-total"].as_u64().unwrap_or(0)
                        ),
                    )
                }
                None => (false, "REST API does not answer".into()),
            };
            rows.push(ComponentStatus {
                component: "jobmanager".into(),
                pid: jm,
                port: Some(st.rest_port),
                healthy,
                health,
                url: Some(st.flink_url.clone()),
            });
            if st.job_jar.is_some() {
                rows.push(job_row(&http, &st.flink_url));
            }
        }
    }
    // TaskManagers: the `flink-mesos taskmanager` processes below Mesos.
    let with_ports = registered_ports(&http, st.rest_port).unwrap_or_default();
    let registered_ids: Vec<String> = with_ports.iter().map(|(id, _)| id.clone()).collect();
    let mut tms: Vec<(String, u32)> = Vec::new();
    for c in st
        .components
        .iter()
        .filter(|c| c.name.starts_with("mesos") && c.process.alive())
    {
        for pid in process::left_behind(c.process.pid) {
            if let Some(id) = process::environ_var(pid, "FLINK_MESOS_TASK_ID") {
                if process::cmdline(pid).contains(" taskmanager")
                    && !tms.iter().any(|(i, _)| *i == id)
                {
                    tms.push((id, pid));
                }
            }
        }
    }
    for id in &registered_ids {
        if !tms.iter().any(|(i, _)| i == id) {
            tms.push((id.clone(), 0));
        }
    }
    tms.sort();
    for (id, pid) in tms {
        let ok = registered_ids.contains(&id);
        let port = with_ports
            .iter()
            .find(|(i, _)| *i == id)
            .and_then(|(_, p)| *p);
        rows.push(ComponentStatus {
            component: id,
            pid: (pid != 0).then_some(pid),
            port,
            healthy: ok,
            health: if ok {
                "healthy (registered)".into()
            } else {
                "not registered".into()
            },
            url: None,
        });
    }
    let running = st.any_alive();
    let healthy =
        running && rows.iter().all(|r| r.healthy) && registered_ids.len() >= st.workers as usize;
    Ok(ClusterStatus {
        state_dir: state_dir.to_path_buf(),
        mesos: (!st.mesos_kind.is_empty()).then(|| st.mesos_kind.clone()),
        running,
        healthy,
        workers: st.workers,
        mesos_url: Some(st.mesos_url.clone()),
        flink_url: Some(st.flink_url.clone()),
        components: rows,
    })
}
