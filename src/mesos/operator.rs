//! A read-only look at a master for operators (`flink-mesos master`): its
//! `/master/state`, reduced to a summary that is stable to print as text or
//! JSON. No protobuf here: the state endpoint speaks JSON.

use serde::Serialize;
use serde_json::Value;

use super::client::{body_text, http_client, ClientOptions, MesosError};
use crate::http::error_chain;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Resources {
    pub cpus: f64,
    pub mem_mb: f64,
    pub disk_mb: f64,
    pub gpus: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MasterSummary {
    /// The master that answered.
    pub url: String,
    pub id: Option<String>,
    pub hostname: Option<String>,
    pub version: Option<String>,
    /// The leader as that master knows it (`host:port`), `None` during an election.
    pub leader: Option<String>,
    /// Whether the master that answered is the leader.
    pub is_leader: bool,
    pub elected_time: Option<f64>,
    pub agents_active: u64,
    pub agents_inactive: u64,
    pub agents_unreachable: u64,
    pub frameworks_active: u64,
    pub frameworks_completed: u64,
    pub resources_total: Resources,
    pub resources_used: Resources,
}

fn resources(v: &Value) -> Resources {
    let f = |k: &str| v[k].as_f64().unwrap_or(0.0);
    Resources {
        cpus: f("cpus"),
        mem_mb: f("mem"),
        disk_mb: f("disk"),
        gpus: f("gpus"),
    }
}

fn add(a: &mut Resources, b: &Resources) {
    a.cpus += b.cpus;
    a.mem_mb += b.mem_mb;
    a.disk_mb += b.disk_mb;
    a.gpus += b.gpus;
}

/// Reduces a `/master/state` document; missing fields become `None`/0, so a
/// different master version never makes this fail.
pub fn summarize(url: &str, state: &Value) -> MasterSummary {
    let text = |v: &Value| v.as_str().map(str::to_string);
    let count = |v: &Value| v.as_f64().map_or(0, |n| n.max(0.0) as u64);
    let len = |v: &Value| v.as_array().map_or(0, |a| a.len() as u64);
    let leader_info = &state["leader_info"];
    let leader = match (
        leader_info["hostname"].as_str(),
        leader_info["port"].as_u64(),
    ) {
        (Some(h), Some(p)) => Some(format!("{h}:{p}")),
        _ => text(&state["leader"]).map(|pid| pid.split('@').nth(1).unwrap_or(&pid).to_string()),
    };
    let mut total = Resources::default();
    let mut used = Resources::default();
    for agent in state["slaves"].as_array().into_iter().flatten() {
        add(&mut total, &resources(&agent["resources"]));
        add(&mut used, &resources(&agent["used_resources"]));
    }
    MasterSummary {
        url: url.to_string(),
        id: text(&state["id"]),
        hostname: text(&state["hostname"]),
        version: text(&state["version"]),
        is_leader: state["pid"].is_string() && state["pid"] == state["leader"],
        leader,
        elected_time: state["elected_time"].as_f64(),
        agents_active: count(&state["activated_slaves"]),
        agents_inactive: count(&state["deactivated_slaves"]),
        agents_unreachable: count(&state["unreachable_slaves"]),
        frameworks_active: len(&state["frameworks"]),
        frameworks_completed: len(&state["completed_frameworks"]),
        resources_total: total,
        resources_used: used,
    }
}

/// Fetches and summarizes `<url>/master/state`.
pub async fn fetch_summary(
    url: &str,
    options: &ClientOptions,
) -> Result<MasterSummary, MesosError> {
    let http = http_client(options)?;
    let endpoint = format!("{}/master/state", url.trim_end_matches('/'));
    let fail = |message: String| MesosError::Connect {
        url: endpoint.clone(),
        message,
    };
    let response = tokio::time::timeout(options.call_timeout, http.get(&endpoint).send())
        .await
        .map_err(|_| fail(format!("no answer within {:?}", options.call_timeout)))?
        .map_err(|e| fail(error_chain(&e)))?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(MesosError::Rejected {
            url: endpoint,
            call: "GET /master/state",
            status,
            message: body_text(response, options.call_timeout).await,
        });
    }
    let body = tokio::time::timeout(options.call_timeout, response.bytes())
        .await
        .map_err(|_| {
            fail(format!(
                "the state did not arrive within {:?}",
                options.call_timeout
            ))
        })?
        .map_err(|e| fail(error_chain(&e)))?;
    let state: Value = serde_json::from_slice(&body).map_err(|e| fail(format!("not JSON: {e}")))?;
    Ok(summarize(url, &state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_a_state_document() {
        let state = serde_json::json!({
            "version": "1.11.0", "id": "m1", "pid": "master@127.0.0.1:5050",
            "hostname": "127.0.0.1", "leader": "master@127.0.0.1:5050",
            "leader_info": {"hostname": "127.0.0.1", "port": 5050},
            "activated_slaves": 2.0, "deactivated_slaves": 0.0,
            "slaves": [
                {"resources": {"cpus": 4.0, "mem": 4096.0, "disk": 100.0},
                 "used_resources": {"cpus": 1.0, "mem": 512.0}},
                {"resources": {"cpus": 2.0, "mem": 1024.0, "gpus": 1.0}}
            ],
            "frameworks": [{}], "completed_frameworks": []
        });
        let s = summarize("http://127.0.0.1:5050", &state);
        assert!(s.is_leader);
        assert_eq!(s.leader.as_deref(), Some("127.0.0.1:5050"));
        assert_eq!(s.agents_active, 2);
        assert_eq!(s.frameworks_active, 1);
        assert_eq!(s.resources_total.cpus, 6.0);
        assert_eq!(s.resources_total.gpus, 1.0);
        assert_eq!(s.resources_used.mem_mb, 512.0);
        // Nothing known: no panic, just empty fields.
        let s = summarize("u", &serde_json::json!([1, 2]));
        assert_eq!(s.version, None);
        assert!(!s.is_leader);
    }
}
