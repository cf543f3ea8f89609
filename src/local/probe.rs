//! Probes of a local cluster's components over HTTP: the one blocking
//! client, GETs that count any failure as no answer, and the TaskManagers
//! registered with the JobManager. Used while `local up` waits for each
//! stage and by `local status`.
//!
//! Invariant: a probe never fails and never hangs: every request has the
//! client's timeout, and no answer is `None`.

use std::time::Duration;

/// The one HTTP client (reqwest, blocking: `local` runs no async runtime
/// of its own while it polls), or `None` when it cannot be built.
pub(super) type HttpAgent = Option<reqwest::blocking::Client>;

pub(super) fn http_agent(timeout: Duration) -> HttpAgent {
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .ok()
}

/// GET `url`: `(status, body)`, or `None` when nothing answers (a body
/// that cannot be read counts as no answer).
pub(super) fn http_get(agent: &HttpAgent, url: &str) -> Option<(u16, String)> {
    let r = agent.as_ref()?.get(url).send().ok()?;
    let status = r.status().as_u16();
    let body = r.text().ok()?;
    Some((status, body))
}

pub(super) fn json_get(agent: &HttpAgent, url: &str) -> Option<serde_json::Value> {
    match http_get(agent, url)? {
        (200, body) => serde_json::from_str(&body).ok(),
        _ => None,
    }
}

/// The TaskManager ids registered with the JobManager.
pub(super) fn registered(agent: &HttpAgent, rest_port: u16) -> Option<Vec<String>> {
    Some(
        registered_ports(agent, rest_port)?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    )
}

/// The registered TaskManagers with their RPC port (from the actor path
/// `pekko.tcp://flink@host:port/user/rpc/...`), sorted by id.
pub(super) fn registered_ports(
    agent: &HttpAgent,
    rest_port: u16,
) -> Option<Vec<(String, Option<u16>)>> {
    let v = json_get(agent, &format!("http://127.0.0.1:{rest_port}/taskmanagers"))?;
    let mut ids: Vec<(String, Option<u16>)> = v["taskmanagers"]
        .as_array()?
        .iter()
        .filter_map(|t| {
            let port = t["path"].as_str().and_then(|p| {
                let after = p.split_once('@')?.1;
                let hostport = after.split('/').next()?;
                hostport.rsplit_once(':')?.1.parse().ok()
            });
            t["id"].as_str().map(|id| (id.to_string(), port))
        })
        .collect();
    ids.sort();
    Some(ids)
}
