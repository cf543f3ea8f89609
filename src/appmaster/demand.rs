//! What the JobManager needs and has: slot demand, registered TaskManagers
//! and their free slots, read from Flink's public REST API.
//!
//! **Why the REST API and not a resource-manager driver inside the
//! JobManager** (measured; see ARCHITECTURE.md, "Workers follow demand"):
//! the REST API is stable from Flink 1.18 to 2.3 and needs nothing in the
//! JobManager's classpath, and it reacts within one poll interval (1 s) —
//! small next to a TaskManager's start (about 5–10 s from ACCEPT to
//! registration here). A driver would be exact but bound to Flink's
//! internal `ResourceManagerDriver` interface, which changed in most minor
//! releases. One observation is two small requests (`/jobs/overview` and
//! `/taskmanagers`), plus one per job whose state, task count or `last-modification` changed;
//! that is not busy polling.
//!
//! Slots a job needs (Flink's default slot sharing: one slot per subtask
//! index of the widest vertex):
//! * default and batch schedulers: the largest `parallelism` among its
//!   vertices that are not finished (`/jobs/:id`);
//! * the adaptive scheduler (and reactive mode): the largest upper bound of
//!   `/jobs/:id/resource-requirements`, which is what the job would use
//!   given the slots (in reactive mode the vertices' max parallelism: the
//!   cluster grows to the ceiling, `slotmanager.number-of-slots.max`).
//!
//! Jobs in a terminal state need nothing. A JobManager that does not answer
//! gives `None` (nothing is known; nothing is released meanwhile).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use crate::scheduler::elastic::{FlinkView, Slots};

/// How often the JobManager is asked.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// One request's deadline.
/// (Generous: a JobManager under load or in a GC pause answers late, and
/// a view that does not come stops growth until one does.)
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads the JobManager's REST API at `base` (`http://127.0.0.1:8081`).
pub struct Observer {
    client: reqwest::Client,
    base: String,
    /// Slots per job, with the version of the job they were read at.
    jobs: HashMap<String, (JobVersion, u64)>,
}

impl Observer {
    pub fn new(base: String) -> Result<Observer, String> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .no_proxy()
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Observer {
            client,
            base: base.trim_end_matches('/').to_string(),
            jobs: HashMap::new(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    async fn get(&self, path: &str) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| format!("{url}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{url}: HTTP {status}"));
        }
        serde_json::from_str(&body).map_err(|e| format!("{url}: not JSON: {e}"))
    }

    /// One observation.
    pub async fn observe(&mut self) -> Result<FlinkView, String> {
        let tms = self.get("/taskmanagers").await?;
        let jobs = self.get("/jobs/overview").await?;
        let mut view = FlinkView {
            taskmanagers: taskmanagers(&tms),
            ..FlinkView::default()
        };
        let mut seen = Vec::new();
        for job in jobs["jobs"].as_array().into_iter().flatten() {
            let (Some(id), Some(state)) = (job["jid"].as_str(), job["state"].as_str()) else {
                continue;
            };
            if is_terminal(state) {
                continue;
            }
            seen.push(id.to_string());
            view.active_jobs += 1;
            let version = JobVersion::of(job);
            let slots = match self.jobs.get(id) {
                Some((at, slots)) if *at == version => *slots,
                _ => {
                    // Flink 2.x names the scheduler; 1.x does not, so the
                    // requirements are tried (the default scheduler answers
                    // them with an error, and the vertices decide).
                    let adaptive = job["schedulerType"]
                        .as_str()
                        .is_none_or(|t| t.eq_ignore_ascii_case("adaptive"));
                    match self.job_slots(id, adaptive).await? {
                        Some(slots) => {
                            self.jobs.insert(id.to_string(), (version, slots));
                            slots
                        }
                        // Not built yet (INITIALIZING: no vertices): one
                        // slot for now, asked again on the next round.
                        None => 1,
                    }
                }
            };
            view.required_slots = view.required_slots.saturating_add(slots);
        }
        self.jobs.retain(|id, _| seen.contains(id));
        Ok(view)
    }

    /// The slots a job needs; `None` while its graph is not built.
    async fn job_slots(&self, id: &str, adaptive: bool) -> Result<Option<u64>, String> {
        if adaptive {
            if let Ok(req) = self.get(&format!("/jobs/{id}/resource-requirements")).await {
                if let Some(slots) = upper_bounds(&req) {
                    return Ok(Some(slots));
                }
            }
        }
        let job = self.get(&format!("/jobs/{id}")).await?;
        Ok(vertex_slots(&job))
    }
}

/// What `/jobs/overview` says of a job that changes whenever what it needs
/// can: its state, its number of tasks (0 while it initializes) and its
/// `last-modification`. The last alone is not enough: Flink computes it
/// from the tasks' state changes, and it stays the same between a job
/// without tasks and the same job once its graph is built.
#[derive(Debug, Clone, PartialEq, Eq)]
struct JobVersion {
    modified: i64,
    state: String,
    tasks: u64,
}

impl JobVersion {
    fn of(job: &Value) -> JobVersion {
        JobVersion {
            modified: job["last-modification"].as_i64().unwrap_or(0),
            state: job["state"].as_str().unwrap_or_default().to_string(),
            tasks: job["tasks"]["total"].as_u64().unwrap_or(0),
        }
    }
}

/// Observes every [`POLL_INTERVAL`] and sends each observation (`None`:
/// the JobManager did not answer) until the receiver is gone. Says once
/// when the JobManager stops answering after it did, and when it is back.
pub async fn watch(mut observer: Observer, tx: tokio::sync::mpsc::Sender<Option<FlinkView>>) {
    let started = tokio::time::Instant::now();
    let mut answering: Option<bool> = None;
    let mut warned_never = false;
    loop {
        let view = match observer.observe().await {
            Ok(view) => {
                if answering == Some(false) {
                    tracing::info!(jobmanager = observer.base(), "the JobManager answers again");
                }
                answering = Some(true);
                Some(view)
            }
            Err(e) => {
                match answering {
                    Some(true) => tracing::warn!(
                        error = %e,
                        "the JobManager does not answer; workers are neither added for demand nor released until it does"
                    ),
                    None if !warned_never && started.elapsed() > Duration::from_secs(120) => {
                        warned_never = true;
                        tracing::warn!(
                            error = %e,
                            "the JobManager's REST API has not answered since the start; the cluster keeps its floor and cannot follow demand"
                        );
                    }
                    _ => tracing::debug!(error = %e, "the JobManager did not answer"),
                }
                if answering == Some(true) {
                    answering = Some(false);
                }
                None
            }
        };
        if tx.send(view).await.is_err() {
            return;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

fn is_terminal(state: &str) -> bool {
    matches!(
        state.to_ascii_uppercase().as_str(),
        "FINISHED" | "FAILED" | "CANCELED" | "SUSPENDED"
    )
}

/// `/taskmanagers`: resource id → slots.
pub fn taskmanagers(v: &Value) -> std::collections::BTreeMap<String, Slots> {
    v["taskmanagers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tm| {
            let id = tm["id"].as_str()?.to_string();
            let total = u32::try_from(tm["slotsNumber"].as_u64()?).ok()?;
            let free = u32::try_from(tm["freeSlots"].as_u64().unwrap_or(0)).unwrap_or(total);
            Some((id, Slots { total, free }))
        })
        .collect()
}

/// `/jobs/:id`: the widest vertex that is not finished (at least 1 while
/// the job runs); `None` for a job without vertices (its graph is not built
/// yet: Flink answers so while the job initializes).
pub fn vertex_slots(job: &Value) -> Option<u64> {
    let vertices = job["vertices"].as_array().filter(|v| !v.is_empty())?;
    Some(
        vertices
            .iter()
            .filter(|v| !v["status"].as_str().is_some_and(is_terminal))
            .map(|v| v["parallelism"].as_i64().unwrap_or(1).max(1) as u64)
            .max()
            .unwrap_or(1),
    )
}

/// `/jobs/:id/resource-requirements`: the largest upper bound.
pub fn upper_bounds(req: &Value) -> Option<u64> {
    req.as_object()?
        .values()
        .filter_map(|v| v["parallelism"]["upperBound"].as_u64())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_widest_unfinished_vertex_decides() {
        let job = json!({"vertices": [
            {"parallelism": 3, "status": "CREATED"},
            {"parallelism": 8, "status": "FINISHED"},
            {"parallelism": 2, "status": "RUNNING"},
            {"parallelism": -1, "status": "CREATED"},
        ]});
        assert_eq!(vertex_slots(&job), Some(3));
        let done = json!({"vertices": [{"parallelism": 3, "status": "FINISHED"}]});
        assert_eq!(vertex_slots(&done), Some(1));
        assert_eq!(vertex_slots(&json!({})), None);
        assert_eq!(vertex_slots(&json!({"vertices": []})), None);
    }

    /// Flink answers for a job that initializes: no tasks, no vertices.
    /// Once its graph is built the same job (same `last-modification`
    /// here) has tasks and vertices, and its demand must be read again.
    #[tokio::test]
    async fn a_job_read_while_it_initializes_is_read_again_once_built() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let built = Arc::new(AtomicBool::new(false));
        let app = {
            let (b1, b2) = (built.clone(), built.clone());
            axum::Router::new()
                .route(
                    "/taskmanagers",
                    axum::routing::get(|| async { json!({"taskmanagers": []}).to_string() }),
                )
                .route(
                    "/jobs/overview",
                    axum::routing::get(move || {
                        let built = b1.load(Ordering::SeqCst);
                        async move {
                            let (state, total) = if built {
                                ("RUNNING", 6)
                            } else {
                                ("INITIALIZING", 0)
                            };
                            json!({"jobs": [{
                                "jid": "j1", "state": state, "schedulerType": "Default",
                                "last-modification": 0, "tasks": {"total": total}}]})
                            .to_string()
                        }
                    }),
                )
                .route(
                    "/jobs/j1",
                    axum::routing::get(move || {
                        let built = b2.load(Ordering::SeqCst);
                        async move {
                            let vertices = if built {
                                json!([{"parallelism": 3, "status": "CREATED"}])
                            } else {
                                json!([])
                            };
                            json!({"vertices": vertices}).to_string()
                        }
                    }),
                )
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut observer = Observer::new(base).unwrap();
        assert_eq!(observer.observe().await.unwrap().required_slots, 1);
        assert_eq!(observer.observe().await.unwrap().required_slots, 1);
        built.store(true, Ordering::SeqCst);
        let view = observer.observe().await.unwrap();
        assert_eq!(view.required_slots, 3);
        assert_eq!(view.active_jobs, 1);
    }

    #[test]
    fn registered_taskmanagers_and_their_free_slots() {
        let v = json!({"taskmanagers": [
            {"id": "taskmanager-00001", "slotsNumber": 2, "freeSlots": 2},
            {"id": "taskmanager-00002", "slotsNumber": 2, "freeSlots": 0},
            {"id": "broken"},
        ]});
        let tms = taskmanagers(&v);
        assert_eq!(tms.len(), 2);
        assert!(tms["taskmanager-00001"].idle());
        assert!(!tms["taskmanager-00002"].idle());
    }

    #[test]
    fn adaptive_requirements_use_the_upper_bound() {
        let v = json!({
            "a": {"parallelism": {"lowerBound": 1, "upperBound": 4}},
            "b": {"parallelism": {"lowerBound": 1, "upperBound": 6}},
        });
        assert_eq!(upper_bounds(&v), Some(6));
        assert_eq!(upper_bounds(&json!([])), None);
    }
}
