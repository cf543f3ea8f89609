//! A job cluster's job (`flink-mesos appmaster --job-jar`): the appmaster
//! watches it through the JobManager's REST API and ends with it.
//!
//! [`watch`] polls `/jobs/overview` until the job is globally terminal
//! (FINISHED, FAILED, CANCELED) and says how it ended ([`JobEnd`]), with the
//! failure cause from `/jobs/:id/exceptions`. A job that never started
//! (Flink 2.x: the application's `main` failed before it submitted one) is
//! read from `/applications/overview` instead. The first stop request
//! (SIGTERM/SIGINT) stops the job before anything else: with a savepoint
//! directory, stop-with-savepoint (`POST /jobs/:id/stop`, then the trigger
//! is polled until it has a location); without one, `PATCH
//! /jobs/:id?mode=cancel`. The caller then shuts the JobManager down
//! (`DELETE /cluster`: Flink's graceful shutdown, which also removes its
//! high-availability data) and tears the framework down.
//!
//! Why the JobManager runs with `execution.shutdown-on-application-finish:
//! false`: otherwise it ends with the job and takes the job's state and
//! failure cause with it before a poll can read them.
//!
//! Only Flink's public REST API is used (stable from Flink 1.18 to 2.3);
//! `/applications/*` exists from Flink 2.3 on and is optional here.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;

use super::status::{CheckpointView, JobView};
use crate::error::{Classified, ErrorKind};

/// How often the job is looked at.
const POLL: Duration = Duration::from_millis(500);
/// How long a failed job's exceptions are asked for until one shows.
const CAUSE_WAIT: Duration = Duration::from_secs(15);
/// One request's deadline.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What a job cluster runs beyond a session cluster's appmaster.
#[derive(Debug, Clone, Default)]
pub struct JobCluster {
    /// Where the first stop request takes a savepoint; `None`: cancel.
    pub savepoint_on_stop: Option<String>,
}

/// How the job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    Finished {
        id: String,
        name: String,
    },
    Failed {
        id: String,
        name: String,
        cause: String,
    },
    Canceled {
        id: String,
        name: String,
        /// Why it was canceled, when the appmaster did it.
        reason: Option<String>,
    },
    /// Stopped with a savepoint after a stop request.
    Savepoint {
        id: String,
        name: String,
        path: String,
    },
    /// A stop request came before the job was submitted.
    NotStarted,
}

/// A job's end as the command's error (exit code by kind).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the job {name} ({id}) FAILED: {cause}")]
    Failed {
        id: String,
        name: String,
        cause: String,
    },
    #[error("the job {name} ({id}) was CANCELED{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Canceled {
        id: String,
        name: String,
        reason: Option<String>,
    },
}

impl Classified for JobError {
    fn kind(&self) -> ErrorKind {
        match self {
            JobError::Failed { .. } => ErrorKind::JobFailed,
            JobError::Canceled { .. } => ErrorKind::JobCanceled,
        }
    }
    fn hint(&self) -> Option<String> {
        match self {
            JobError::Failed { .. } => Some(
                "the JobManager's log (jobmanager.log in the work directory's log/) has the \
                 whole stack trace"
                    .into(),
            ),
            JobError::Canceled { .. } => None,
        }
    }
}

/// The REST client of [`watch`].
struct Rest {
    client: reqwest::Client,
    base: String,
}

impl Rest {
    async fn send(&self, request: reqwest::RequestBuilder, what: &str) -> Result<Value, String> {
        let response = request.send().await.map_err(|e| format!("{what}: {e}"))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| format!("{what}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{what}: HTTP {status}: {}", first_line(&body)));
        }
        if body.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&body).map_err(|e| format!("{what}: not JSON: {e}"))
    }
    async fn get(&self, path: &str) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        self.send(self.client.get(&url), &format!("GET {url}"))
            .await
    }
}

/// The job as last seen.
#[derive(Debug, Clone)]
struct Seen {
    id: String,
    name: String,
    state: String,
}

fn is_terminal(state: &str) -> bool {
    matches!(state, "FINISHED" | "FAILED" | "CANCELED")
}

/// The job of `/jobs/overview`: the newest one (a job cluster runs one).
fn the_job(overview: &Value) -> Option<Seen> {
    overview["jobs"]
        .as_array()?
        .iter()
        .max_by_key(|j| j["start-time"].as_i64().unwrap_or(0))
        .and_then(|j| {
            Some(Seen {
                id: j["jid"].as_str()?.to_string(),
                name: j["name"].as_str().unwrap_or("").to_string(),
                state: j["state"].as_str()?.to_string(),
            })
        })
}

/// The failure cause in a `/jobs/:id/exceptions` (or an application's
/// exceptions) answer: the innermost `Caused by:` of the newest entry, with
/// the exception Flink reported it as.
pub fn failure_cause(v: &Value) -> Option<String> {
    let trace = find_trace(v)?;
    let mut lines = trace.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next()?.to_string();
    let root = trace
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("Caused by:"))
        .map(str::trim)
        .next_back();
    Some(match root {
        Some(root) if root != first => format!("{root} (reported as {first})"),
        _ => first,
    })
}

/// The newest stack trace in an exceptions answer, whatever its version:
/// `exceptionHistory.entries[0].stacktrace` (Flink 1.13+), `root-exception`
/// (before 2.0), else the first `stacktrace`/`exception` string anywhere.
fn find_trace(v: &Value) -> Option<&str> {
    if let Some(s) = v["exceptionHistory"]["entries"][0]["stacktrace"].as_str() {
        return Some(s);
    }
    if let Some(s) = v["root-exception"].as_str() {
        return Some(s);
    }
    match v {
        Value::Object(map) => {
            for key in ["stacktrace", "exception", "root-exception", "stack-trace"] {
                if let Some(s) = map.get(key).and_then(Value::as_str) {
                    return Some(s);
                }
            }
            map.values().find_map(find_trace)
        }
        Value::Array(items) => items.iter().find_map(find_trace),
        _ => None,
    }
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    line.chars().take(300).collect()
}

/// Watches the job at the REST API `base` until it is globally terminal,
/// stopping it at the first stop request (see the module docs).
pub async fn watch(
    base: String,
    job: JobCluster,
    mut stop: watch::Receiver<u32>,
    view: watch::Sender<Option<JobView>>,
) -> Result<JobEnd, String> {
    let rest = Rest {
        client: reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .no_proxy()
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?,
        base: base.trim_end_matches('/').to_string(),
    };
    let mut seen: Option<Seen> = None;
    let mut announced = false;
    loop {
        let requested = tokio::select! {
            _ = tokio::time::sleep(POLL) => false,
            _ = stop_requested(&mut stop) => true,
        };
        if requested {
            return stop_job(&rest, &job, seen).await;
        }
        match rest.get("/jobs/overview").await.map(|v| the_job(&v)) {
            Ok(Some(now)) => {
                if !announced {
                    tracing::info!(job_id = %now.id, name = %now.name, state = %now.state, "the job cluster's job");
                    announced = true;
                } else if seen.as_ref().is_some_and(|s| s.state != now.state) {
                    tracing::info!(job_id = %now.id, state = %now.state, "the job's state changed");
                }
                let terminal = is_terminal(&now.state);
                view.send_replace(Some(job_view(&rest, &now).await));
                seen = Some(now.clone());
                if terminal {
                    return Ok(ended(&rest, now, None).await);
                }
            }
            Ok(None) => {
                if let Some(end) = application_failed(&rest).await {
                    return Ok(end);
                }
            }
            // Starting, restarting or gone: the supervisor decides.
            Err(e) => tracing::debug!(error = %e, "the JobManager's REST API"),
        }
    }
}

/// The job for `/status`: `seen` with its restarts and latest completed
/// checkpoint, each left out when the JobManager does not say.
async fn job_view(rest: &Rest, seen: &Seen) -> JobView {
    let restarts = rest
        .get(&format!("/jobs/{}/metrics?get=numRestarts", seen.id))
        .await
        .ok()
        .and_then(|v| {
            v.as_array()?.iter().find(|m| m["id"] == "numRestarts")?["value"]
                .as_str()?
                .parse()
                .ok()
        });
    let last_checkpoint = rest
        .get(&format!("/jobs/{}/checkpoints", seen.id))
        .await
        .ok()
        .and_then(|v| latest_checkpoint(&v, now_ms()));
    JobView {
        id: seen.id.clone(),
        name: seen.name.clone(),
        state: seen.state.clone(),
        restarts,
        last_checkpoint,
    }
}

/// The latest completed checkpoint in a `/jobs/:id/checkpoints` answer,
/// its age at `now_ms` (Unix milliseconds).
fn latest_checkpoint(v: &Value, now_ms: u64) -> Option<CheckpointView> {
    let c = &v["latest"]["completed"];
    let id = c["id"].as_u64()?;
    let at = c["latest_ack_timestamp"].as_u64()?;
    Some(CheckpointView {
        id,
        age_seconds: now_ms.saturating_sub(at) as f64 / 1000.0,
        external_path: c["external_path"].as_str().map(String::from),
    })
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Resolves at the first stop request; holds no borrow of the channel
/// afterwards (the watch stays `Send`).
async fn stop_requested(stop: &mut watch::Receiver<u32>) {
    let _ = stop.wait_for(|n| *n >= 1).await;
}

/// The end of a terminal job, with its failure cause.
async fn ended(rest: &Rest, job: Seen, reason: Option<String>) -> JobEnd {
    let Seen { id, name, state } = job;
    match state.as_str() {
        "FINISHED" => JobEnd::Finished { id, name },
        "CANCELED" => JobEnd::Canceled { id, name, reason },
        _ => {
            // The exception history can trail the job's state by a moment:
            // ask again for a while before saying there is none.
            let deadline = tokio::time::Instant::now() + CAUSE_WAIT;
            let cause = loop {
                let answer = rest.get(&format!("/jobs/{id}/exceptions")).await;
                let cause = match &answer {
                    Ok(v) => failure_cause(v),
                    Err(_) => None,
                };
                if cause.is_some() || tokio::time::Instant::now() >= deadline {
                    break cause.or_else(|| {
                        answer
                            .err()
                            .map(|e| format!("(its exceptions could not be read: {e})"))
                    });
                }
                tokio::time::sleep(POLL).await;
            }
            .unwrap_or_else(|| "no exception was reported".into());
            JobEnd::Failed { id, name, cause }
        }
    }
}

/// Flink 2.3+: an application that ended without a job (its `main` threw
/// before submitting one).
async fn application_failed(rest: &Rest) -> Option<JobEnd> {
    let apps = rest.get("/applications/overview").await.ok()?;
    let app = apps["applications"].as_array()?.iter().find(|a| {
        a["status"]
            .as_str()
            .is_some_and(|s| matches!(s, "FAILED" | "CANCELED"))
    })?;
    let id = app["id"].as_str()?.to_string();
    let name = app["name"].as_str().unwrap_or("").to_string();
    if app["status"] == "CANCELED" {
        return Some(JobEnd::Canceled {
            id,
            name,
            reason: None,
        });
    }
    let cause = rest
        .get(&format!("/applications/{id}/exceptions"))
        .await
        .ok()
        .and_then(|v| failure_cause(&v))
        .unwrap_or_else(|| "the application failed before it submitted a job".into());
    Some(JobEnd::Failed { id, name, cause })
}

/// The first stop request: stop-with-savepoint or cancel, then wait for the
/// job to be terminal.
async fn stop_job(rest: &Rest, job: &JobCluster, seen: Option<Seen>) -> Result<JobEnd, String> {
    // Look once more: the job may have been submitted since the last poll.
    let current = rest
        .get("/jobs/overview")
        .await
        .ok()
        .and_then(|v| the_job(&v))
        .or(seen);
    let Some(current) = current else {
        tracing::info!("stop requested before the job was submitted");
        return Ok(JobEnd::NotStarted);
    };
    if is_terminal(&current.state) {
        return Ok(ended(rest, current, None).await);
    }
    let id = current.id.clone();
    if let Some(dir) = &job.savepoint_on_stop {
        tracing::info!(job_id = %id, target = %dir, "stopping the job with a savepoint");
        match stop_with_savepoint(rest, &id, dir).await {
            Ok(path) => {
                tracing::info!(job_id = %id, savepoint = %path, "savepoint taken");
                let last = wait_terminal(rest, &current).await;
                return Ok(JobEnd::Savepoint {
                    id,
                    name: last.name,
                    path,
                });
            }
            Err(e) => {
                tracing::error!(job_id = %id, error = %e, "stop-with-savepoint failed; canceling the job");
                cancel(rest, &id).await?;
                let last = wait_terminal(rest, &current).await;
                return Ok(ended(
                    rest,
                    last,
                    Some(format!("stop-with-savepoint to {dir} failed ({e})")),
                )
                .await);
            }
        }
    }
    tracing::info!(job_id = %id, "canceling the job (no savepoint directory: --savepoint-on-stop, execution.checkpointing.savepoint-dir)");
    cancel(rest, &id).await?;
    let last = wait_terminal(rest, &current).await;
    Ok(ended(rest, last, Some("stopped by a signal".into())).await)
}

async fn cancel(rest: &Rest, id: &str) -> Result<(), String> {
    let url = format!("{}/jobs/{id}?mode=cancel", rest.base);
    rest.send(rest.client.patch(&url), &format!("PATCH {url}"))
        .await
        .map(|_| ())
}

/// Triggers stop-with-savepoint and polls the trigger until it has a result.
async fn stop_with_savepoint(rest: &Rest, id: &str, dir: &str) -> Result<String, String> {
    let url = format!("{}/jobs/{id}/stop", rest.base);
    let trigger = rest
        .send(
            rest.client
                .post(&url)
                .header("Content-Type", "application/json")
                .body(json!({"targetDirectory": dir, "drain": false}).to_string()),
            &format!("POST {url}"),
        )
        .await?;
    let request = trigger["request-id"]
        .as_str()
        .ok_or_else(|| format!("POST {url}: no request-id in {trigger}"))?
        .to_string();
    loop {
        tokio::time::sleep(POLL).await;
        let v = match rest.get(&format!("/jobs/{id}/savepoints/{request}")).await {
            Ok(v) => v,
            Err(e) => {
                tracing::debug!(error = %e, "the savepoint's status");
                continue;
            }
        };
        if v["status"]["id"] != "COMPLETED" {
            continue;
        }
        if let Some(path) = v["operation"]["location"].as_str() {
            return Ok(path.to_string());
        }
        let cause = failure_cause(&v["operation"])
            .or_else(|| {
                v["operation"]["failure-cause"]["class"]
                    .as_str()
                    .map(String::from)
            })
            .unwrap_or_else(|| v["operation"].to_string());
        return Err(cause);
    }
}

/// Polls until the job is terminal (it is, soon after a stop or cancel).
async fn wait_terminal(rest: &Rest, job: &Seen) -> Seen {
    let mut last = job.clone();
    loop {
        if let Ok(v) = rest.get(&format!("/jobs/{}", job.id)).await {
            if let Some(state) = v["state"].as_str() {
                last.state = state.to_string();
                if is_terminal(state) {
                    return last;
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Asks the JobManager to shut down gracefully (`DELETE /cluster`): it
/// removes the cluster's high-availability data and exits 0.
pub async fn shut_down_cluster(base: &str) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .no_proxy()
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let url = format!("{}/cluster", base.trim_end_matches('/'));
    let response = client
        .delete(&url)
        .send()
        .await
        .map_err(|e| format!("DELETE {url}: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("DELETE {url}: HTTP {}", response.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_is_the_innermost_caused_by() {
        // Flink 2.3's answer for a map that threw (abridged).
        let v = json!({"exceptionHistory": {"entries": [{
            "exceptionName": "org.apache.flink.runtime.JobException",
            "stacktrace": "org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy\n\tat org.apache.flink.runtime.executiongraph.failover.ExecutionFailureHandler.handleFailure(ExecutionFailureHandler.java:213)\nCaused by: java.lang.IllegalStateException: flink-mesos test failure at record 42\n\tat FailingJob$1.map(FailingJob.java:15)\n",
            "timestamp": 1
        }], "truncated": false}});
        assert_eq!(
            failure_cause(&v).unwrap(),
            "java.lang.IllegalStateException: flink-mesos test failure at record 42 (reported as \
             org.apache.flink.runtime.JobException: Recovery is suppressed by \
             NoRestartBackoffTimeStrategy)"
        );
        let old = json!({"root-exception": "java.lang.RuntimeException: boom\n\tat X.y(X.java:1)"});
        assert_eq!(
            failure_cause(&old).unwrap(),
            "java.lang.RuntimeException: boom"
        );
        assert_eq!(
            failure_cause(&json!({"exceptionHistory": {"entries": []}})),
            None
        );
        let nested = json!({"failure-cause": {"class": "x", "stack-trace": "y", "exception": "java.io.IOException: disk full"}});
        assert_eq!(
            failure_cause(&nested).unwrap(),
            "java.io.IOException: disk full"
        );
    }

    #[test]
    fn the_latest_checkpoint_and_its_age() {
        let v = json!({"counts": {"completed": 3}, "latest": {"completed": {
            "id": 7, "latest_ack_timestamp": 1_000_000u64, "external_path": "file:/c/chk-7"}}});
        assert_eq!(
            latest_checkpoint(&v, 1_002_500),
            Some(CheckpointView {
                id: 7,
                age_seconds: 2.5,
                external_path: Some("file:/c/chk-7".into())
            })
        );
        let none = json!({"counts": {"completed": 0}, "latest": {"completed": null}});
        assert_eq!(latest_checkpoint(&none, 1), None);
    }

    #[test]
    fn the_job_is_the_newest_one() {
        let v = json!({"jobs": [
            {"jid": "a", "name": "old", "state": "FINISHED", "start-time": 1},
            {"jid": "b", "name": "new", "state": "RUNNING", "start-time": 2}
        ]});
        let job = the_job(&v).unwrap();
        assert_eq!((job.id.as_str(), job.state.as_str()), ("b", "RUNNING"));
        assert!(the_job(&json!({"jobs": []})).is_none());
        assert!(the_job(&json!({"jobs": [{"name": "no id"}]})).is_none());
    }

    #[test]
    fn job_errors_exit_with_their_own_codes() {
        let failed: crate::error::Error = JobError::Failed {
            id: "j".into(),
            name: "n".into(),
            cause: "c".into(),
        }
        .into();
        assert_eq!(failed.exit_code(), ErrorKind::JobFailed.exit_code());
        assert_eq!(failed.to_string(), "the job n (j) FAILED: c");
        let canceled: crate::error::Error = JobError::Canceled {
            id: "j".into(),
            name: "n".into(),
            reason: None,
        }
        .into();
        assert_eq!(canceled.exit_code(), ErrorKind::JobCanceled.exit_code());
        assert_ne!(failed.exit_code(), canceled.exit_code());
    }
}
