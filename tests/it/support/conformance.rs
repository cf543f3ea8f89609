//! The machinery of the differential conformance suite (`tests/it/conformance.rs`,
//! issue 13): the [`Target`]s a scenario runs against, and a [`Session`]
//! that drives one framework subscription with our own client and writes a
//! normalised [`Transcript`] of what the master says.
//!
//! A target is a Mesos master + agent on a free loopback port:
//! * [`Genuine`]: Mesos 1.11 from `../shared/mesos-local` ([`MesosLocal`]);
//! * [`Embedded`]: `flink-mesos local embedded-mesos`, the single-node Mesos
//!   built into flink-mesos (started as a subprocess, through its CLI
//!   contract, so the suite does not depend on its library API).
//!
//! Both get the same agent resources, so offers can be compared.

use std::collections::{HashSet, VecDeque};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flink_mesos::mesos::client::{Caller, Client, ClientOptions, MesosError, Subscription};
use flink_mesos::mesos::{
    AgentId, Call, CommandInfo, Event, FrameworkId, FrameworkSettings, Offer, Resource, TaskId,
    TaskInfo, TaskState, TaskStatus, Value,
};

use super::mesos_local::{agent_resources, find_sandbox, MesosLocal, PortRange};

/// How long a scenario waits for any one expected event before it fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// A kind of Mesos the suite runs against.
pub trait Target {
    /// Starts a fresh master + one agent; panics (failing the test) with a
    /// message that says why when it cannot.
    fn start(&self) -> Box<dyn RunningTarget>;
}

/// A started [`Target`]. Dropping it stops it too; [`RunningTarget::stop`]
/// only makes the moment explicit.
pub trait RunningTarget: Send + Sync {
    /// The master's base URL, e.g. `http://127.0.0.1:5050`.
    fn url(&self) -> &str;
    /// The sandbox directory of the latest run of (command) task `task_id`.
    fn sandbox(&self, task_id: &str) -> Option<PathBuf>;
    /// Stops the master and agent, and with them every task.
    fn stop(self: Box<Self>);
}

/// Genuine Mesos 1.11 (`../shared/mesos-local`).
pub struct Genuine;

impl Target for Genuine {
    fn start(&self) -> Box<dyn RunningTarget> {
        // MesosLocal's agent has `agent_resources` of a range it holds.
        Box::new(MesosLocal::start(&[]))
    }
}

impl RunningTarget for MesosLocal {
    fn url(&self) -> &str {
        &self.url
    }
    fn sandbox(&self, task_id: &str) -> Option<PathBuf> {
        MesosLocal::sandbox(self, task_id)
    }
    fn stop(self: Box<Self>) {
        drop(self);
    }
}

/// The embedded single-node Mesos of `flink-mesos local embedded-mesos`.
pub struct Embedded;

/// A running `flink-mesos local embedded-mesos` process.
pub struct EmbeddedProcess {
    url: String,
    child: Child,
    work: tempfile::TempDir,
    _ports: PortRange,
}

impl Embedded {
    /// The flink-mesos binary of this build.
    pub const OWN_BINARY: &'static str = env!("CARGO_BIN_EXE_flink-mesos");

    /// The binary whose embedded Mesos the variants run against: this
    /// build's, or `$FLINK_MESOS_EMBEDDED_BIN` (to try another branch's
    /// build: `cargo nextest run --test it conformance::embedded`).
    pub fn binary() -> PathBuf {
        std::env::var_os("FLINK_MESOS_EMBEDDED_BIN")
            .map_or_else(|| PathBuf::from(Self::OWN_BINARY), PathBuf::from)
    }

    /// Whether `binary` has the `local embedded-mesos` subcommand.
    pub fn available(binary: &Path) -> Result<(), String> {
        let out = Command::new(binary)
            .args(["local", "embedded-mesos", "--help"])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`flink-mesos local embedded-mesos --help` failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

impl Target for Embedded {
    fn start(&self) -> Box<dyn RunningTarget> {
        let binary = Self::binary();
        if let Err(e) = Embedded::available(&binary) {
            panic!("the embedded Mesos is not in this build: {e}");
        }
        let work = tempfile::Builder::new()
            .prefix("flink-mesos-it-embedded-")
            .tempdir()
            .expect("temp dir");
        let mut last_error = String::new();
        // A port can be taken between probing and binding; retry a few times.
        for attempt in 0..3 {
            let port = super::free_port();
            let range = PortRange::claim(port);
            let log = work.path().join(format!("embedded-mesos-{attempt}.log"));
            let mut child = Command::new(&binary)
                .args(["local", "embedded-mesos", "--port"])
                .arg(port.to_string())
                .arg("--work-dir")
                .arg(work.path().join("work"))
                .arg("--resources")
                .arg(agent_resources(&range))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("log file"))
                .spawn()
                .expect("cannot start flink-mesos local embedded-mesos");
            let deadline = std::time::Instant::now() + WAIT;
            loop {
                if let Some(status) = child.try_wait().expect("try_wait") {
                    last_error = format!(
                        "embedded-mesos exited ({status}): {}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                if health_ok(port) {
                    return Box::new(EmbeddedProcess {
                        url: format!("http://127.0.0.1:{port}"),
                        child,
                        work,
                        _ports: range,
                    });
                }
                if std::time::Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = format!(
                        "embedded-mesos did not answer GET /health with 200 within {WAIT:?}: {}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("cannot start the embedded Mesos: {last_error}");
    }
}

/// `GET /health` on 127.0.0.1:`port` answers 200 (plain HTTP/1.0, so the
/// check needs no runtime).
fn health_ok(port: u16) -> bool {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && &head[8..12] == b" 200"
}

impl RunningTarget for EmbeddedProcess {
    fn url(&self) -> &str {
        &self.url
    }
    fn sandbox(&self, task_id: &str) -> Option<PathBuf> {
        find_sandbox(&self.work.path().join("work/slaves"), task_id)
    }
    fn stop(self: Box<Self>) {
        drop(self);
    }
}

impl Drop for EmbeddedProcess {
    fn drop(&mut self) {
        // SIGTERM: it kills its tasks and exits; SIGKILL if it does not.
        let pid = self.child.id() as libc::pid_t;
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The normalised record of a scenario: one line per event, call or
/// outcome. Framework, agent and offer ids, uuids and timestamps are left
/// out (each target picks its own); task ids are the scenario's own.
#[derive(Clone, Default)]
pub struct Transcript(Arc<Mutex<Vec<String>>>);

impl Transcript {
    pub fn push(&self, line: impl Into<String>) {
        self.0.lock().unwrap().push(line.into());
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// An outcome the scenario checked itself (a file, a process, state).
    pub fn outcome(&self, what: impl std::fmt::Display) {
        self.push(format!("OUTCOME {what}"));
    }

    /// Fails the test unless the transcript is exactly `expected`, showing
    /// both in full.
    pub fn assert_eq(&self, target: &str, expected: &[&str]) {
        let got = self.lines();
        if got != expected {
            panic!(
                "{target} differs from the expected transcript\n--- expected\n{}\n--- got\n{}",
                expected.join("\n"),
                got.join("\n")
            );
        }
    }
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.lines().join("\n"))
    }
}

/// Framework settings of the tests that drive a master with our client:
/// tasks run as root, failover timeout 2 minutes. PARTITION_AWARE and
/// TASK_KILLING_STATE are declared by the client itself
/// (`convert::framework_info_to_pb`).
pub fn settings(name: &str) -> FrameworkSettings {
    let mut s = FrameworkSettings::new(name, "root");
    s.failover_timeout = Duration::from_secs(120);
    s
}

/// Takes `amount` of resource `name` from the offer's own resources, so the
/// allocation role and reservations are exactly the offered ones.
pub fn take(offer: &Offer, name: &str, amount: f64) -> Resource {
    let mut r = offer
        .resources
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("offer has no {name}: {offer:?}"))
        .clone();
    assert!(r.as_scalar().unwrap() >= amount);
    r.value = Value::Scalar(amount);
    r
}

/// A command task (`sh -c command`) with 0.1 cpus and 32 MB from `offer`,
/// named after its id, with a 2 s kill grace period.
pub fn task(offer: &Offer, id: &str, command: &str) -> TaskInfo {
    TaskInfo {
        name: id.into(),
        task_id: TaskId::from(id),
        agent_id: offer.agent_id.clone(),
        resources: vec![take(offer, "cpus", 0.1), take(offer, "mem", 32.0)],
        command: CommandInfo::shell(command),
        container: None,
        labels: vec![],
        kill_grace_period: Some(Duration::from_secs(2)),
    }
}

/// One SUBSCRIBE stream of a framework and the calls on it.
///
/// Every event read is handled the same way, whatever step is waiting:
/// * HEARTBEAT is dropped: how many arrive depends on how long the scenario
///   takes.
/// * OFFERS are kept aside and not written down: when the allocator offers
///   the resources a task left over (every allocation interval) relative to
///   that task's updates is timing. A scenario writes an `OFFERS` line when
///   it waits for offers ([`Session::offers`]) or for their absence
///   ([`Session::quiet`]).
/// * FAILURE (an executor or agent ended) is kept aside too: an executor
///   exits some time after its terminal update was acknowledged;
///   [`Session::no_failures`] writes them down.
/// * UPDATE is written down as it arrives (except TASK_KILLING, see
///   `Session::update`), and acknowledged when it has a uuid (unless
///   [`Session::auto_ack`] is off). For one task the order is fixed: the
///   agent sends the next update only after the last was acknowledged.
/// * Everything else (ERROR, SUBSCRIBED, RESCIND, MESSAGE) is written down.
pub struct Session {
    sub: Subscription,
    caller: Option<Caller>,
    transcript: Transcript,
    requested_id: Option<FrameworkId>,
    pub framework_id: Option<FrameworkId>,
    pub agent_id: Option<AgentId>,
    offers: VecDeque<Offer>,
    /// Every offer id seen, to normalise them out of messages.
    offer_ids: Vec<String>,
    failures: VecDeque<Event>,
    uuids: HashSet<Vec<u8>>,
    /// Acknowledge every update that needs it as soon as it arrives.
    pub auto_ack: bool,
    /// Updates received and not acknowledged (with `auto_ack` off).
    pub unacked: Vec<TaskStatus>,
    closed: bool,
}

impl Session {
    /// Opens a SUBSCRIBE stream (with `id`: a failover re-subscription).
    pub async fn subscribe(
        target: &dyn RunningTarget,
        settings: FrameworkSettings,
        id: Option<&FrameworkId>,
        transcript: &Transcript,
    ) -> Session {
        let client = Client::new(settings, ClientOptions::default()).unwrap();
        let sub = client
            .subscribe(target.url(), id)
            .await
            .unwrap_or_else(|e| panic!("SUBSCRIBE: {e}\n{transcript:?}"));
        transcript.push(if id.is_some() {
            "> SUBSCRIBE with the framework id"
        } else {
            "> SUBSCRIBE"
        });
        Session {
            sub,
            caller: None,
            transcript: transcript.clone(),
            requested_id: id.cloned(),
            framework_id: None,
            agent_id: None,
            offers: VecDeque::new(),
            offer_ids: Vec::new(),
            failures: VecDeque::new(),
            uuids: HashSet::new(),
            auto_ack: true,
            unacked: Vec::new(),
            closed: false,
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!("{what}\ntranscript so far:\n{:?}", self.transcript)
    }

    /// Ids are normalised out of messages: each target names things its own
    /// way. So are resource lists (`cpus(allocated: *):4; ports(...):[a-b]`,
    /// as the master prints them in validation errors): the port range is
    /// per cluster, and the order is the master's internal one.
    fn normalise(&self, text: &str) -> String {
        static RESOURCES: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"(\w+\([^)]*\):(\[[^\]]*\]|[0-9.]+)(; )?)+").unwrap()
        });
        let mut text = RESOURCES.replace_all(text, "<resources>").to_string();
        if let Some(id) = &self.framework_id {
            text = text.replace(id.as_str(), "<framework>");
        }
        if let Some(id) = &self.agent_id {
            text = text.replace(id.as_str(), "<agent>");
        }
        for id in &self.offer_ids {
            text = text.replace(id.as_str(), "<offer>");
        }
        text
    }

    /// Reads one event until `deadline` and handles it (see [`Session`]);
    /// `None` when the deadline passed. The end of the stream is written
    /// down once and fails the step that waits for more.
    async fn pump(&mut self, deadline: tokio::time::Instant) -> Option<Event> {
        if self.closed {
            self.fail("the event stream has ended");
        }
        let event = match tokio::time::timeout_at(deadline, self.sub.next_event()).await {
            Err(_) => return None,
            Ok(Ok(event)) => event,
            Ok(Err(MesosError::StreamClosed)) => {
                self.closed = true;
                self.transcript.push("STREAM CLOSED");
                return None;
            }
            Ok(Err(e)) => self.fail(&format!("the event stream failed: {e}")),
        };
        match &event {
            Event::Heartbeat => {}
            Event::Offers(offers) => {
                if let Some(o) = offers.first() {
                    self.agent_id = Some(o.agent_id.clone());
                }
                self.offer_ids
                    .extend(offers.iter().map(|o| o.id.as_str().to_string()));
                self.offers.extend(offers.iter().cloned());
            }
            Event::Failure { .. } => self.failures.push_back(event.clone()),
            Event::Subscribed {
                framework_id,
                heartbeat_interval,
                ..
            } => {
                self.framework_id = Some(framework_id.clone());
                self.caller = self.sub.caller();
                let id = match &self.requested_id {
                    None => "new framework id",
                    Some(id) if id == framework_id => "the same framework id",
                    Some(_) => "another framework id",
                };
                self.transcript.push(match heartbeat_interval {
                    Some(every) => format!("SUBSCRIBED {id}, heartbeat interval {every:?}"),
                    None => format!("SUBSCRIBED {id}, no heartbeat interval"),
                });
            }
            Event::Update(status) => self.update(status).await,
            Event::Error(message) => {
                let line = format!("ERROR {}", self.normalise(message));
                self.transcript.push(line);
            }
            Event::Rescind(_) => self.transcript.push("RESCIND"),
            Event::Message { .. } => self.transcript.push("MESSAGE"),
            Event::Unhandled(name) => self.transcript.push(format!("EVENT {name}")),
        }
        Some(event)
    }

    async fn update(&mut self, s: &TaskStatus) {
        if let Some(agent) = &s.agent_id {
            self.agent_id.get_or_insert_with(|| agent.clone());
        }
        let mut line = format!("UPDATE {} {}", s.task_id, s.state);
        if let Some(source) = &s.source {
            line.push_str(&format!(" {source}"));
        }
        if let Some(reason) = &s.reason {
            line.push_str(&format!(" {reason}"));
        }
        if let Some(message) = &s.message {
            line.push_str(&format!(" {:?}", self.normalise(message)));
        }
        let ack = s.acknowledgement();
        match (&s.uuid, &ack) {
            (Some(uuid), Some(_)) if !self.uuids.insert(uuid.clone()) => line.push_str(" (resent)"),
            (_, None) => line.push_str(" (nothing to acknowledge)"),
            _ => {}
        }
        // TASK_KILLING from the executor is left out. Mesos' own command
        // executor sends it to TASK_KILLING_STATE frameworks (like ours)
        // before it signals the task; mesos-local's stand-in executor does
        // not (docs/conformance.md, known differences). The rest of a kill
        // (KILLED, its message, the process gone) is compared.
        let killing =
            s.state == TaskState::Killing && s.source.as_deref() == Some("SOURCE_EXECUTOR");
        if !killing {
            self.transcript.push(line);
        }
        if let Some(ack) = ack {
            if self.auto_ack {
                self.call_quietly(&ack).await;
            } else if !self.unacked.iter().any(|u| u.uuid == s.uuid) {
                self.unacked.push(s.clone());
            }
        }
    }

    async fn call_quietly(&self, call: &Call) {
        let Some(caller) = &self.caller else {
            self.fail(&format!("{} before SUBSCRIBED", call.name()));
        };
        if let Err(e) = caller.call(call).await {
            self.fail(&format!("{} refused: {e}", call.name()));
        }
    }

    /// Sends `call`, writing `> what` down first; fails the test if the
    /// master does not accept it.
    pub async fn call(&self, what: &str, call: Call) {
        self.transcript.push(format!("> {what}"));
        self.call_quietly(&call).await;
    }

    /// Acknowledges the updates held back while `auto_ack` was off.
    pub async fn acknowledge_held(&mut self) {
        for s in std::mem::take(&mut self.unacked) {
            self.call(
                &format!("ACKNOWLEDGE {} {}", s.task_id, s.state),
                s.acknowledgement().unwrap(),
            )
            .await;
        }
    }

    /// Reads events until `f` picks one, failing after [`WAIT`].
    pub async fn until<T>(&mut self, what: &str, mut f: impl FnMut(&Event) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match self.pump(deadline).await {
                Some(event) => {
                    if let Some(t) = f(&event) {
                        return t;
                    }
                }
                None if self.closed => self.fail(&format!("stream ended waiting for {what}")),
                None => self.fail(&format!("timed out waiting for {what}")),
            }
        }
    }

    pub async fn subscribed(&mut self) -> FrameworkId {
        self.until("SUBSCRIBED", |e| match e {
            Event::Subscribed { framework_id, .. } => Some(framework_id.clone()),
            _ => None,
        })
        .await
    }

    /// The next offers (kept from earlier or new), written down as `OFFERS`.
    pub async fn offers(&mut self) -> Vec<Offer> {
        if self.offers.is_empty() {
            self.until("OFFERS", |e| matches!(e, Event::Offers(_)).then_some(()))
                .await;
        }
        let offers: Vec<Offer> = self.offers.drain(..).collect();
        self.transcript.push(format!("OFFERS x{}", offers.len()));
        offers
    }

    /// Like [`Session::offers`], writing down what is offered.
    pub async fn offers_described(&mut self) -> Vec<Offer> {
        let offers = self.offers().await;
        for o in &offers {
            self.transcript.push(format!("  offer {}", describe(o)));
        }
        offers
    }

    /// Reads events for `period` and writes down whether offers came.
    pub async fn quiet(&mut self, period: Duration) {
        let deadline = tokio::time::Instant::now() + period;
        while self.pump(deadline).await.is_some() {}
        if self.closed {
            self.fail("stream ended while waiting for no offers");
        }
        let n = self.offers.len();
        self.transcript.push(if n == 0 {
            format!("no OFFERS for {period:?}")
        } else {
            format!("OFFERS x{n} within {period:?}")
        });
    }

    /// Reads events for `period` and writes down the FAILURE events (an
    /// executor or agent ended) that came, or that none did.
    pub async fn no_failures(&mut self, period: Duration) {
        let deadline = tokio::time::Instant::now() + period;
        while self.pump(deadline).await.is_some() {}
        if self.failures.is_empty() {
            self.transcript.push(format!("no FAILURE for {period:?}"));
        }
        for f in std::mem::take(&mut self.failures) {
            if let Event::Failure {
                executor_id,
                status,
                ..
            } = f
            {
                self.transcript.push(format!(
                    "FAILURE executor {} status {status:?}",
                    executor_id.as_ref().map_or("-", |e| e.as_str())
                ));
            }
        }
    }

    /// The update of `task` in `state` (written down with every update before
    /// it); fails if the task ends in another state.
    pub async fn update_of(&mut self, task: &str, state: TaskState) -> TaskStatus {
        let id = TaskId::from(task);
        self.until(&format!("{task} {state}"), |e| match e {
            Event::Update(s) if s.task_id == id && s.state == state => Some(s.clone()),
            Event::Update(s) if s.task_id == id && s.state.is_terminal() => Some(s.clone()),
            _ => None,
        })
        .await
    }

    /// The next update of `task`, whatever its state.
    pub async fn next_update(&mut self, task: &str) -> TaskStatus {
        let id = TaskId::from(task);
        self.until(&format!("an update of {task}"), |e| match e {
            Event::Update(s) if s.task_id == id => Some(s.clone()),
            _ => None,
        })
        .await
    }

    /// Reads until the master ends the stream (after ERROR or TEARDOWN).
    pub async fn until_closed(&mut self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self.closed {
            if self.pump(deadline).await.is_none() && !self.closed {
                self.fail("the stream stayed open");
            }
        }
    }

    /// Closes the stream from our side (the scheduler goes away).
    pub fn disconnect(self) {
        self.transcript.push("> close the event stream");
        drop(self);
    }
}

/// An offer with ids left out: hostname, each resource with its allocation
/// role, attributes.
pub fn describe(o: &Offer) -> String {
    let mut resources: Vec<String> = o
        .resources
        .iter()
        .map(|r| {
            let value = match &r.value {
                Value::Scalar(v) => format!("{v}"),
                // The range itself is per cluster (`PortRange`); its size is not.
                Value::Ranges(ranges) => format!(
                    "{} in {} range(s)",
                    ranges.iter().map(|r| r.end - r.begin + 1).sum::<u64>(),
                    ranges.len()
                ),
                Value::Set(items) => format!("{{{}}}", items.join(",")),
                Value::Text(t) => t.clone(),
            };
            let role = r.allocation_role.as_deref().unwrap_or("-");
            let reserved = if r.reservations.is_empty() {
                ""
            } else {
                " reserved"
            };
            format!("{}={value}({role}{reserved})", r.name)
        })
        .collect();
    resources.sort();
    format!(
        "host {} {} attributes [{}]",
        o.hostname,
        resources.join(" "),
        o.attributes
            .iter()
            .map(|a| a.name.clone())
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// Whether process `pgid` or any process of its process group exists (a
/// zombie counts: nobody has reaped it yet).
pub fn group_alive(pgid: i32) -> bool {
    unsafe { libc::kill(pgid, 0) == 0 || libc::kill(-pgid, 0) == 0 }
}

/// Waits (at most [`WAIT`]) until process group `pgid` has no process left;
/// whether it is gone.
pub async fn group_gone(pgid: i32) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while group_alive(pgid) {
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

/// Reads `<sandbox of task>/file`, waiting for it to appear (the task writes
/// it after it started).
pub async fn sandbox_file(target: &dyn RunningTarget, task: &str, file: &str) -> Option<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(text) = target
            .sandbox(task)
            .and_then(|dir| std::fs::read_to_string(dir.join(file)).ok())
            .filter(|t| !t.is_empty())
        {
            return Some(text);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether `path` is a file with an executable bit.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
