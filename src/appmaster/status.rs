//! The status endpoint: `GET /status` (JSON), `GET /metrics` (Prometheus
//! text format 0.0.4) and `GET /health`.
//!
//! The owner loop publishes a [`StatusView`] through a `watch` channel (at
//! most every 100 ms, at most 100 ms stale); the server only reads the latest
//! view, so a slow
//! or hung master never makes the endpoint hang, and requests never touch
//! the scheduler itself. Malformed requests are answered by hyper (400);
//! unknown paths get 404 and other methods 405. Nothing a client sends can
//! panic the server. The view holds no secrets.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::scheduler::{Counters, Scheduler, Worker, WorkerState};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WorkerView {
    pub task_id: String,
    pub host: Option<String>,
    pub agent_id: Option<String>,
    pub ports: BTreeMap<String, u16>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct WorkersByState {
    pub new: Vec<WorkerView>,
    pub launched: Vec<WorkerView>,
    pub running: Vec<WorkerView>,
    pub released: Vec<WorkerView>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Failures {
    pub count: u32,
    /// `mesos.maximum-failed-tasks`; `null` when failures never stop the cluster.
    pub limit: Option<u32>,
    pub last: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub sum_seconds: f64,
    /// Quantiles over the most recent launches.
    pub p50_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
    pub p99_seconds: Option<f64>,
}

/// Everything `/status` and `/metrics` show.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct StatusView {
    /// `starting`, `running` or `stopping`.
    pub phase: &'static str,
    pub framework_id: Option<String>,
    /// The leading master's URL as last known.
    pub master: Option<String>,
    pub connected: bool,
    pub desired_workers: u32,
    pub workers: WorkersByState,
    pub failures: Failures,
    /// Why offers could not be used, by agent host (the latest reason),
    /// while workers are pending.
    pub unmatched_offers: BTreeMap<String, String>,
    pub counters: Counters,
    /// From ACCEPT to TASK_RUNNING.
    pub launch_latency: LatencySummary,
}

impl StatusView {
    pub fn workers_in(&self, state: WorkerState) -> &[WorkerView] {
        match state {
            WorkerState::New => &self.workers.new,
            WorkerState::Launched => &self.workers.launched,
            WorkerState::Running => &self.workers.running,
            WorkerState::Released => &self.workers.released,
        }
    }
}

/// Launch latencies: totals since start, quantiles over the last samples.
#[derive(Debug, Clone, Default)]
pub struct LatencyRecorder {
    count: u64,
    sum: f64,
    recent: VecDeque<f64>,
}

const RECENT: usize = 1024;

impl LatencyRecorder {
    pub fn observe(&mut self, latency: Duration) {
        let s = latency.as_secs_f64();
        self.count += 1;
        self.sum += s;
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(s);
    }

    pub fn summary(&self) -> LatencySummary {
        let mut sorted: Vec<f64> = self.recent.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let q = |q: f64| {
            (!sorted.is_empty()).then(|| {
                let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
                sorted[i.min(sorted.len() - 1)]
            })
        };
        LatencySummary {
            count: self.count,
            sum_seconds: self.sum,
            p50_seconds: q(0.5),
            p90_seconds: q(0.9),
            p99_seconds: q(0.99),
        }
    }
}

fn worker_view(w: &Worker) -> WorkerView {
    WorkerView {
        task_id: w.task_id.clone(),
        host: w.hostname.clone(),
        agent_id: w.agent_id.clone(),
        ports: w.ports.iter().cloned().collect(),
    }
}

/// The view of the scheduler's current state (the runtime adds the rest).
pub fn view_of(scheduler: &Scheduler) -> StatusView {
    let mut workers = WorkersByState::default();
    for w in scheduler.workers() {
        let list = match w.state {
            WorkerState::New => &mut workers.new,
            WorkerState::Launched => &mut workers.launched,
            WorkerState::Running => &mut workers.running,
            WorkerState::Released => &mut workers.released,
        };
        list.push(worker_view(w));
    }
    StatusView {
        phase: "running",
        desired_workers: scheduler.policy().desired,
        failures: Failures {
            count: scheduler.failed(),
            limit: scheduler.policy().max_failed,
            last: scheduler.last_failure().map(str::to_string),
        },
        // The core keeps the latest reason per host; once nothing is
        // pending, old reasons would only mislead.
        unmatched_offers: if workers.new.is_empty() {
            BTreeMap::new()
        } else {
            scheduler.unmatched().clone()
        },
        counters: scheduler.counters().clone(),
        workers,
        ..StatusView::default()
    }
}

/// Prometheus text exposition format 0.0.4.
pub fn metrics_text(v: &StatusView) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
        let _ = writeln!(out, "# HELP flink_mesos_{name} {help}");
        let _ = writeln!(out, "# TYPE flink_mesos_{name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "flink_mesos_{name}{labels} {value}");
        }
    };
    let count = |s| v.workers_in(s).len() as f64;
    metric(
        "workers",
        "gauge",
        "Workers by state.",
        &[
            ("{state=\"new\"}", count(WorkerState::New)),
            ("{state=\"launched\"}", count(WorkerState::Launched)),
            ("{state=\"running\"}", count(WorkerState::Running)),
            ("{state=\"released\"}", count(WorkerState::Released)),
        ],
    );
    metric(
        "workers_desired",
        "gauge",
        "Workers to keep alive (mesos.initial-tasks).",
        &[("", f64::from(v.desired_workers))],
    );
    metric(
        "connected",
        "gauge",
        "1 while subscribed to a Mesos master.",
        &[("", if v.connected { 1.0 } else { 0.0 })],
    );
    let c = &v.counters;
    for (name, help, value) in [
        (
            "offers_received_total",
            "Offers received.",
            c.offers_received,
        ),
        (
            "offers_accepted_total",
            "Offers accepted (workers launched in them).",
            c.offers_accepted,
        ),
        (
            "offers_declined_total",
            "Offers declined.",
            c.offers_declined,
        ),
        (
            "offers_rescinded_total",
            "Offers rescinded by the master.",
            c.offers_rescinded,
        ),
        (
            "workers_launched_total",
            "Workers launched.",
            c.workers_launched,
        ),
        (
            "workers_failed_total",
            "Workers that ended without being asked to.",
            c.workers_failed,
        ),
        (
            "unknown_tasks_killed_total",
            "Tasks killed because they are not ours.",
            c.unknown_tasks_killed,
        ),
    ] {
        metric(name, "counter", help, &[("", value as f64)]);
    }
    let l = &v.launch_latency;
    let mut samples = Vec::new();
    for (label, q) in [
        ("{quantile=\"0.5\"}", l.p50_seconds),
        ("{quantile=\"0.9\"}", l.p90_seconds),
        ("{quantile=\"0.99\"}", l.p99_seconds),
    ] {
        if let Some(q) = q {
            samples.push((label, q));
        }
    }
    let _ = writeln!(
        out,
        "# HELP flink_mesos_launch_latency_seconds Time from ACCEPT to TASK_RUNNING."
    );
    let _ = writeln!(out, "# TYPE flink_mesos_launch_latency_seconds summary");
    for (labels, value) in samples {
        let _ = writeln!(out, "flink_mesos_launch_latency_seconds{labels} {value}");
    }
    let _ = writeln!(
        out,
        "flink_mesos_launch_latency_seconds_sum {}",
        l.sum_seconds
    );
    let _ = writeln!(out, "flink_mesos_launch_latency_seconds_count {}", l.count);
    out
}

type Body = Full<Bytes>;

fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// Answers one request from the latest view.
pub fn route<B>(req: &Request<B>, view: &StatusView) -> Response<Body> {
    let path = req.uri().path();
    if !matches!(path, "/status" | "/metrics" | "/health") {
        return respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found; try /status or /metrics\n",
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = respond(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "only GET\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    match path {
        "/status" => {
            let mut body = serde_json::to_vec_pretty(view).unwrap_or_default();
            body.push(b'\n');
            respond(StatusCode::OK, "application/json", body)
        }
        "/metrics" => respond(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            metrics_text(view),
        ),
        _ => respond(StatusCode::OK, "text/plain", "ok\n"),
    }
}

/// A bound, not yet serving, status endpoint (bind early so that the address
/// can be printed before the appmaster connects to Mesos).
pub struct StatusServer {
    listener: TcpListener,
}

impl StatusServer {
    pub async fn bind(addr: SocketAddr) -> std::io::Result<StatusServer> {
        Ok(StatusServer {
            listener: TcpListener::bind(addr).await?,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A second handle on the same socket (a standby serves its own view
    /// until it leads and the runtime takes over).
    pub fn try_clone(&self) -> std::io::Result<StatusServer> {
        use std::os::fd::AsFd;
        let std = std::net::TcpListener::from(self.listener.as_fd().try_clone_to_owned()?);
        std.set_nonblocking(true)?;
        Ok(StatusServer {
            listener: TcpListener::from_std(std)?,
        })
    }

    /// Serves until the task is aborted.
    pub fn spawn(self, view: watch::Receiver<Arc<StatusView>>) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                let stream = match self.listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off briefly.
                        tracing::warn!(error = %e, "status endpoint: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let view = view.clone();
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                            let response = route(&req, &view.borrow());
                            async move { Ok::<_, Infallible>(response) }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(10))
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Request<()> {
        Request::builder().uri(path).body(()).unwrap()
    }

    #[test]
    fn routes() {
        let mut v = StatusView {
            phase: "running",
            desired_workers: 2,
            ..Default::default()
        };
        v.workers.running.push(WorkerView {
            task_id: "taskmanager-00001".into(),
            host: Some("h".into()),
            agent_id: None,
            ports: BTreeMap::from([("taskmanager.rpc.port".into(), 31000)]),
        });
        let r = route(&get("/status?x=1"), &v);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(route(&get("/nope"), &v).status(), StatusCode::NOT_FOUND);
        assert_eq!(route(&get("/"), &v).status(), StatusCode::NOT_FOUND);
        let post = Request::builder()
            .method(Method::POST)
            .uri("/status")
            .body(())
            .unwrap();
        assert_eq!(route(&post, &v).status(), StatusCode::METHOD_NOT_ALLOWED);
        let text = metrics_text(&v);
        assert!(
            text.contains("flink_mesos_workers{state=\"running\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("flink_mesos_launch_latency_seconds_count 0\n"));
    }

    #[test]
    fn latency_quantiles() {
        let mut l = LatencyRecorder::default();
        assert_eq!(l.summary().p50_seconds, None);
        for ms in 1..=100 {
            l.observe(Duration::from_millis(ms));
        }
        let s = l.summary();
        assert_eq!(s.count, 100);
        assert!((s.p50_seconds.unwrap() - 0.050).abs() < 0.002);
        assert!((s.p99_seconds.unwrap() - 0.099).abs() < 0.002);
        for _ in 0..5000 {
            l.observe(Duration::from_secs(1));
        }
        assert_eq!(l.summary().p50_seconds, Some(1.0));
    }
}
