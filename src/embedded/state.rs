//! `/master/state` of the embedded master: the master, its one agent, the
//! frameworks with their tasks and offers, and the completed ones, in the
//! shape genuine Mesos uses for these fields (plus `"embedded": true`).
//!
//! Part of the embedded single-node Mesos, a development stand-in for one
//! machine (production uses genuine Mesos). Pure rendering: it reads the
//! master (under its lock) and builds a JSON value; serializing and sending
//! it happen after the lock is released.

use serde_json::json;

use super::framework::Task;
use super::master::{Master, Node, VERSION};
use super::proto::v1 as pb;
use super::resources::{attributes_json, Resources};

use pb::TaskState as S;

/// One task as `/master/state` shows it (`state` overrides its own).
pub fn task(node: &Node, framework_id: &str, id: &str, t: &Task, state: S) -> serde_json::Value {
    let state_name = |s: S| s.as_str_name().to_string();
    json!({
        "id": id,
        "name": t.info.name,
        "framework_id": framework_id,
        "executor_id": "",
        "slave_id": node.agent_id,
        "agent_id": node.agent_id,
        "state": state_name(state),
        "resources": t.resources.to_json(),
        "statuses": t.statuses.iter().map(|(s, ts)| json!({"state": state_name(*s), "timestamp": ts})).collect::<Vec<_>>(),
        "sandbox": t.sandbox.display().to_string(),
    })
}

/// `/master/state`.
pub fn render(m: &Master) -> serde_json::Value {
    let node = &m.node;
    let used = m.used();
    let offered = m.allocator.offered();
    let frameworks: Vec<serde_json::Value> = m
        .frameworks
        .values()
        .map(|fw| {
            let mut fw_used = Resources::default();
            let tasks: Vec<serde_json::Value> = fw
                .tasks
                .iter()
                .map(|(id, t)| {
                    if !t.terminal() {
                        fw_used.add(&t.resources);
                    }
                    task(node, &fw.id, id, t, t.state)
                })
                .collect();
            let mut fw_offered = Resources::default();
            let offers: Vec<serde_json::Value> = m
                .allocator
                .offers_of(&fw.id)
                .map(|(id, resources)| {
                    fw_offered.add(resources);
                    json!({"id": id, "framework_id": fw.id, "slave_id": node.agent_id, "resources": resources.to_json()})
                })
                .collect();
            let caps: Vec<String> = fw
                .info
                .capabilities
                .iter()
                .filter_map(|c| c.r#type)
                .filter_map(|t| pb::framework_info::capability::Type::try_from(t).ok())
                .map(|t| t.as_str_name().to_string())
                .collect();
            json!({
                "id": fw.id,
                "name": fw.info.name,
                "user": fw.info.user,
                "pid": "",
                "active": fw.connected(),
                "connected": fw.connected(),
                "recovered": false,
                "role": fw.role(),
                "roles": [fw.role()],
                "principal": fw.info.principal,
                "hostname": fw.info.hostname,
                "webui_url": fw.info.webui_url.clone().unwrap_or_default(),
                "failover_timeout": fw.info.failover_timeout.unwrap_or(0.0),
                "checkpoint": fw.info.checkpoint.unwrap_or(false),
                "capabilities": caps,
                "registered_time": fw.registered_time,
                "resources": fw_used.to_json(),
                "used_resources": fw_used.to_json(),
                "offered_resources": fw_offered.to_json(),
                "tasks": tasks,
                "unreachable_tasks": [],
                "completed_tasks": fw.completed,
                "offers": offers,
                "executors": [],
            })
        })
        .collect();
    let completed: Vec<serde_json::Value> = m
        .removed
        .iter()
        .map(|r| json!({"id": r.id, "name": r.name, "active": false, "tasks": [], "completed_tasks": r.completed}))
        .collect();
    let mut unreserved = node.total.clone();
    unreserved.subtract(&Resources::default());
    json!({
        "version": VERSION,
        "id": node.master_id,
        "pid": node.master_pid(),
        "hostname": node.hostname,
        "leader": node.master_pid(),
        "leader_info": {
            "id": node.master_id,
            "pid": node.master_pid(),
            "port": node.port,
            "hostname": node.hostname,
            "version": VERSION,
            "address": {"hostname": node.hostname, "ip": "127.0.0.1", "port": node.port},
        },
        "start_time": node.start_time,
        "elected_time": node.start_time,
        "activated_slaves": 1,
        "deactivated_slaves": 0,
        "unreachable_slaves": 0,
        "recovered_slaves": 0,
        "capabilities": [],
        "embedded": true,
        "flags": {
            "hostname": node.hostname,
            "port": node.port.to_string(),
            "work_dir": node.work_dir.display().to_string(),
            "allocation_interval": "1secs",
        },
        "slaves": [{
            "id": node.agent_id,
            "pid": format!("slave(1)@127.0.0.1:{}", node.port),
            "hostname": node.hostname,
            "port": node.port,
            "active": true,
            "deactivated": false,
            "version": VERSION,
            "registered_time": node.start_time,
            "resources": node.total.to_json(),
            "used_resources": used.to_json(),
            "offered_resources": offered.to_json(),
            "reserved_resources": {},
            "unreserved_resources": unreserved.to_json(),
            "attributes": attributes_json(&node.attributes),
            "capabilities": [],
        }],
        "frameworks": frameworks,
        "completed_frameworks": completed,
        "orphan_tasks": [],
        "unregistered_frameworks": [],
    })
}
