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

/// The last `max_bytes` of a file in the sandbox of a task's latest run
/// (`stderr`, `stdout`, …), read through the agent's `/files` API: the
/// agent's address comes from `<master>/master/slaves`, the sandbox is the
/// agent's virtual path `/frameworks/<framework>/executors/<executor>/runs/latest`
/// (command tasks: the executor id is the task id). Each request has
/// `options.call_timeout`.
pub async fn sandbox_tail(
    master: &str,
    options: &ClientOptions,
    agent_id: &str,
    framework_id: &str,
    executor_id: &str,
    file: &str,
    max_bytes: u64,
) -> Result<String, MesosError> {
    let http = http_client(options)?;
    let master = master.trim_end_matches('/');
    let get = |url: String| get_json(&http, url, options.call_timeout);
    let agents = get(format!("{master}/master/slaves")).await?;
    let agent = agent_endpoint(master, &agents, agent_id).ok_or_else(|| MesosError::Connect {
        url: format!("{master}/master/slaves"),
        message: format!("agent {agent_id} is not listed"),
    })?;
    let path = format!("/frameworks/{framework_id}/executors/{executor_id}/runs/latest/{file}");
    let query = |rest: &str| {
        let mut url = reqwest::Url::parse(&format!("{agent}/files/read")).ok()?;
        url.query_pairs_mut().append_pair("path", &path);
        Some(format!("{url}&{rest}"))
    };
    let bad = |what: &str| MesosError::Connect {
        url: format!("{agent}/files/read"),
        message: what.to_string(),
    };
    let size = get(query("offset=-1").ok_or_else(|| bad("not a URL"))?).await?["offset"]
        .as_u64()
        .ok_or_else(|| bad("no offset in the answer"))?;
    let from = size.saturating_sub(max_bytes);
    let read =
        get(query(&format!("offset={from}&length={}", size - from))
            .ok_or_else(|| bad("not a URL"))?)
        .await?;
    Ok(read["data"].as_str().unwrap_or_default().to_string())
}

/// GET a JSON document within `timeout` (each of the request and its body).
async fn get_json(
    http: &reqwest::Client,
    url: String,
    timeout: std::time::Duration,
) -> Result<Value, MesosError> {
    let fail = |message: String| MesosError::Connect {
        url: url.clone(),
        message,
    };
    let response = tokio::time::timeout(timeout, http.get(&url).send())
        .await
        .map_err(|_| fail(format!("no answer within {timeout:?}")))?
        .map_err(|e| fail(error_chain(&e)))?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(fail(format!("HTTP {status}")));
    }
    let body = tokio::time::timeout(timeout, response.bytes())
        .await
        .map_err(|_| fail(format!("no body within {timeout:?}")))?
        .map_err(|e| fail(error_chain(&e)))?;
    serde_json::from_slice::<Value>(&body).map_err(|e| fail(format!("not JSON: {e}")))
}

/// Other active frameworks with this `name` and `role` on the master
/// (`<master>/master/frameworks`), as `(id, hostname)`: a second appmaster
/// of the same cluster that launches the same task ids.
pub async fn namesakes(
    master: &str,
    options: &ClientOptions,
    name: &str,
    role: &str,
    own_id: &str,
) -> Result<Vec<(String, String)>, MesosError> {
    let http = http_client(options)?;
    let doc = get_json(
        &http,
        format!("{}/master/frameworks", master.trim_end_matches('/')),
        options.call_timeout,
    )
    .await?;
    Ok(same_name(&doc, name, role, own_id))
}

fn same_name(doc: &Value, name: &str, role: &str, own_id: &str) -> Vec<(String, String)> {
    let Some(frameworks) = doc["frameworks"].as_array() else {
        return Vec::new();
    };
    frameworks
        .iter()
        .filter(|f| f["active"].as_bool().unwrap_or(true))
        .filter(|f| f["name"].as_str() == Some(name))
        .filter(|f| f["id"].as_str() != Some(own_id))
        .filter(|f| {
            f["role"].as_str() == Some(role)
                || f["roles"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|x| x.as_str() == Some(role)))
        })
        .map(|f| {
            (
                f["id"].as_str().unwrap_or_default().to_string(),
                f["hostname"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `http://host:port` of an agent, from `/master/slaves` (its `pid` is
/// `slave(1)@host:port`), with the master's scheme.
fn agent_endpoint(master: &str, agents: &Value, agent_id: &str) -> Option<String> {
    let agent = agents["slaves"]
        .as_array()?
        .iter()
        .find(|a| a["id"].as_str() == Some(agent_id))?;
    let address = agent["pid"].as_str()?.rsplit_once('@')?.1;
    let scheme = if master.starts_with("https://") {
        "https"
    } else {
        "http"
    };
    Some(format!("{scheme}://{address}"))
}

/// The decisive lines at the end of a failed worker's `stderr`: what
/// `flink-mesos taskmanager` said last (`error: …` and its `hint:`), else
/// the last exception or error line of the JVM or BashJavaUtils, else the
/// last line that is not the agent's own. One line, at most 600 characters.
pub fn failure_cause(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|l| !is_agent_noise(l))
        .collect();
    let cause = if let Some(i) = lines.iter().rposition(|l| l.starts_with("error: ")) {
        let mut parts = vec![lines[i].trim_start_matches("error: ").to_string()];
        parts.extend(
            lines[i + 1..]
                .iter()
                .map(|l| l.trim_start_matches("= "))
                .filter(|l| l.starts_with("hint: ") || l.starts_with("caused by: "))
                .map(str::to_string),
        );
        parts.join("; ")
    } else if let Some(l) = lines.iter().rev().find(|l| {
        l.contains("Exception")
            || l.contains("Error:")
            || l.starts_with("ERROR")
            || l.contains(" ERROR ")
    }) {
        l.to_string()
    } else {
        lines.last()?.to_string()
    };
    let mut cause: String = cause.chars().filter(|c| !c.is_control()).collect();
    if cause.chars().count() > 600 {
        cause = cause.chars().take(597).collect::<String>() + "...";
    }
    Some(cause)
}

/// Lines the agent, the fetcher or the command executor write into a
/// sandbox's `stderr`, which never say why a task failed.
fn is_agent_noise(line: &str) -> bool {
    line.starts_with("[mesos-local")
        || line.starts_with("Received ")
        || line.starts_with("Command exited")
        || line.starts_with("Command terminated")
        || line.starts_with("Starting task")
        || line.starts_with("Forked command")
        || line.starts_with("sh -c ")
        // glog lines: `I1207 01:47:09.550193 12345 fetcher.cpp:…]`
        || (line.len() > 5
            && matches!(line.as_bytes()[0], b'I' | b'W' | b'E')
            && line.as_bytes()[1..5].iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_of_a_failure_is_found_at_the_end_of_stderr() {
        let stderr = "I1207 01:47:09.550193 123 fetcher.cpp:10] Fetching\n\
            [mesos-local fetcher] done\n\
            2026-12-07T01:47:09Z INFO starting\n\
            error: the TaskManager's memory cannot be set up: Sum of configured Framework Heap Memory (2 gb) exceeds Total Flink Memory (256 mb)\n\
              = hint: lower taskmanager.memory.framework.heap.size\n\
            Command exited with status 5\n";
        assert_eq!(
            failure_cause(stderr).as_deref(),
            Some(
                "the TaskManager's memory cannot be set up: Sum of configured Framework Heap \
                 Memory (2 gb) exceeds Total Flink Memory (256 mb); hint: lower \
                 taskmanager.memory.framework.heap.size"
            )
        );
        let jvm = "Exception in thread \"main\" java.lang.IllegalStateException: boom\n\tat x.y(Z.java:1)\n";
        assert_eq!(
            failure_cause(jvm).as_deref(),
            Some("Exception in thread \"main\" java.lang.IllegalStateException: boom")
        );
        assert_eq!(
            failure_cause("only noise\nlast words\n").as_deref(),
            Some("last words")
        );
        assert_eq!(failure_cause("[mesos-local fetcher] done\n"), None);
        let long = format!("error: {}", "x".repeat(2000));
        assert_eq!(failure_cause(&long).unwrap().chars().count(), 600);
    }

    #[test]
    fn active_namesakes_are_found() {
        let doc = serde_json::json!({"frameworks": [
            {"id": "A", "name": "Flink", "role": "*", "active": true, "hostname": "h1"},
            {"id": "B", "name": "Flink", "roles": ["*"], "active": true, "hostname": "h2"},
            {"id": "C", "name": "Flink", "role": "other", "active": true, "hostname": "h3"},
            {"id": "D", "name": "Flink", "role": "*", "active": false, "hostname": "h4"},
            {"id": "E", "name": "Other", "role": "*", "active": true, "hostname": "h5"}]});
        assert_eq!(
            same_name(&doc, "Flink", "*", "A"),
            vec![("B".to_string(), "h2".to_string())]
        );
    }

    #[test]
    fn an_agent_is_found_by_its_id() {
        let agents = serde_json::json!({"slaves": [
            {"id": "S0", "pid": "slave(1)@10.0.0.1:5051"},
            {"id": "S1", "pid": "slave(1)@10.0.0.2:5051"}]});
        assert_eq!(
            agent_endpoint("http://m:5050", &agents, "S1").as_deref(),
            Some("http://10.0.0.2:5051")
        );
        assert_eq!(agent_endpoint("http://m:5050", &agents, "S9"), None);
    }

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
