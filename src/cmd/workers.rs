//! `flink-mesos workers list|show|forget` and `flink-mesos framework
//! clear-id`: the operator's view into the ZooKeeper worker store, and the
//! two repairs it may need.
//!
//! They read the configuration exactly as the appmaster does (`--conf-dir`,
//! `-D`, the environment), so they look at the same path in the same
//! ZooKeeper with the same credentials. Invariants:
//! * reading never changes the store;
//! * a repair asks for confirmation (or `--yes`), and refuses while an
//!   appmaster leads the store unless `--force`: the leader owns it. A
//!   repair is still a conditional write on what was read, so it never
//!   overwrites a change it did not see;
//! * the digest password never appears in the output.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write as _};
use std::time::Duration;

use comfy_table::{presets, Cell, ContentArrangement, Table};
use serde::Serialize;

use crate::cli::{ConfirmArgs, FrameworkCommand, GlobalArgs, OutputFormat, WorkersCommand};
use crate::config::options::Key;
use crate::config::settings::Purpose;
use crate::error::{Error, Result};
use crate::store::leader::{current_leader, LeaderInfo};
use crate::store::record::StoredWorker;
use crate::store::zk::{Zk, ZkConfig, ZkStore};
use crate::store::WorkerStore;

/// What `workers list` shows.
#[derive(Debug, Serialize)]
pub struct Listing {
    pub zookeeper: String,
    pub path: String,
    pub framework_id: Option<String>,
    pub next_task_number: u64,
    /// Workers failed so far, against `mesos.maximum-failed-tasks`.
    pub failed_tasks: u32,
    pub leader: Option<Leader>,
    /// The floor `workers scale` set (`None`: the configured one).
    pub floor: Option<u32>,
    pub workers: Vec<StoredWorker>,
    /// What the leader's `/status` says about each worker (why it exists,
    /// whether its TaskManager registered, how long it is idle); empty when
    /// the leader's status endpoint does not answer.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub live: BTreeMap<String, LiveWorker>,
    /// Why the leader holds its launches (the TaskManagers' container image
    /// cannot be used), from its `/status`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_hold: Option<String>,
    /// Worker records that cannot be read (task id, why): quarantined.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub damaged: Vec<Damaged>,
}

/// A worker as the leading appmaster sees it.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LiveWorker {
    pub reason: Option<String>,
    pub registered: Option<bool>,
    pub idle_seconds: Option<f64>,
}

/// The leader's view of its workers, from its `/status` (at most 2 s),
/// and why it holds its launches, if it does.
async fn live_workers(leader: Option<&Leader>) -> (BTreeMap<String, LiveWorker>, Option<String>) {
    let Some(url) = leader
        .and_then(|l| l.info.as_ref())
        .and_then(|i| i.status.clone())
    else {
        return (BTreeMap::new(), None);
    };
    let url = if url.contains("://") {
        url
    } else {
        format!("http://{url}")
    };
    let Ok(client) = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .no_proxy()
        .build()
    else {
        return (BTreeMap::new(), None);
    };
    let Ok(response) = client.get(&url).send().await else {
        return (BTreeMap::new(), None);
    };
    let body = response.text().await.unwrap_or_default();
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) else {
        return (BTreeMap::new(), None);
    };
    let mut live = BTreeMap::new();
    for state in ["new", "launched", "running", "released"] {
        for w in v["workers"][state].as_array().into_iter().flatten() {
            let Some(id) = w["task_id"].as_str() else {
                continue;
            };
            live.insert(
                id.to_string(),
                LiveWorker {
                    reason: w["reason"].as_str().map(str::to_string),
                    registered: w["registered"].as_bool(),
                    idle_seconds: w["idle_seconds"].as_f64(),
                },
            );
        }
    }
    let hold = &v["launch_hold"];
    let hold = hold["reason"].as_str().map(|reason| {
        format!(
            "launches held for {:.0}s, retry in {:.0}s: the image `{}` ({}) cannot be used: {reason}",
            hold["held_seconds"].as_f64().unwrap_or(0.0),
            hold["retry_in_seconds"].as_f64().unwrap_or(0.0),
            hold["image"].as_str().unwrap_or("?"),
            hold["key"].as_str().unwrap_or("?"),
        )
    });
    (live, hold)
}

#[derive(Debug, Serialize)]
pub struct Damaged {
    pub task_id: String,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct Leader {
    pub latch: String,
    #[serde(flatten)]
    pub info: Option<LeaderInfo>,
}

pub fn run(global: &GlobalArgs, command: WorkersCommand) -> Result<()> {
    if let WorkersCommand::Scale(args) = command {
        return super::scale::run(global, args);
    }
    let config = zk_config(global)?;
    let runtime = runtime()?;
    runtime.block_on(async {
        match command {
            WorkersCommand::List(args) => {
                let zk = connect(&config).await?;
                if !args.watch {
                    let listing = listing(&zk).await?;
                    return print(global, &render_listing(global.output, &listing));
                }
                let every = Duration::from_secs_f64(args.interval.clamp(0.1, 3600.0));
                let clear = global.output == OutputFormat::Text && std::io::stdout().is_terminal();
                loop {
                    match listing(&zk).await {
                        Ok(listing) => {
                            let text = render_listing(global.output, &listing);
                            let text = if clear {
                                format!("\x1b[H\x1b[2J{text}")
                            } else {
                                text
                            };
                            print(global, &text)?;
                        }
                        // Keep watching through a ZooKeeper outage; stdout
                        // stays data only.
                        Err(e) => {
                            let mut err = std::io::stderr().lock();
                            let _ = writeln!(err, "error: {e} (still watching)");
                        }
                    }
                    tokio::time::sleep(every).await;
                }
            }
            WorkersCommand::Show(args) => {
                let zk = connect(&config).await?;
                let listing = listing(&zk).await?;
                let worker = find(&zk, &listing, &args.task_id)?;
                print(global, &render_worker(global.output, &zk, worker))
            }
            WorkersCommand::Forget(args) => {
                let zk = connect(&config).await?;
                let mut store = ZkStore::new(zk.clone(), None);
                let listing = listing(&zk).await?;
                if let Some(d) = listing.damaged.iter().find(|d| d.task_id == args.task_id) {
                    let what = format!(
                        "Forget the unreadable record of {} ({})? Its task, if it still runs, \
                         is killed as unknown at the next reconciliation.",
                        d.task_id, d.error
                    );
                    guard(&listing, &args.confirm, &what)?;
                    store.load_records().await?;
                    store.remove_worker(&args.task_id).await?;
                    return done(global, "forgot", "task_id", &args.task_id);
                }
                let worker = find(&zk, &listing, &args.task_id)?;
                let what = format!(
                    "Forget worker {} ({}{})? Its task, if it still runs, is killed as unknown at \
                     the next reconciliation.",
                    worker.worker.task_id,
                    state_name(worker),
                    worker
                        .worker
                        .hostname
                        .as_deref()
                        .map(|h| format!(" on {h}"))
                        .unwrap_or_default()
                );
                guard(&listing, &args.confirm, &what)?;
                store.load_records().await?;
                store.remove_worker(&args.task_id).await?;
                done(global, "forgot", "task_id", &args.task_id)
            }
            // Handled before the ZooKeeper connection (it needs none).
            WorkersCommand::Scale(_) => Err(Error::Internal("workers scale ran twice".into())),
        }
    })
}

pub fn run_framework(global: &GlobalArgs, command: FrameworkCommand) -> Result<()> {
    let config = zk_config(global)?;
    let runtime = runtime()?;
    runtime.block_on(async {
        match command {
            FrameworkCommand::ClearId(confirm) => {
                let zk = connect(&config).await?;
                let listing = listing(&zk).await?;
                let Some(id) = listing.framework_id.clone() else {
                    return Err(Error::User(format!(
                        "no framework id is stored at {}",
                        listing.path
                    )));
                };
                let what = format!(
                    "Clear the framework id {id}? The next appmaster registers a new framework; \
                     the tasks of the old one end when its mesos.failover-timeout runs out."
                );
                guard(&listing, &confirm, &what)?;
                let mut store = ZkStore::new(zk.clone(), None);
                store.load_records().await?;
                store.clear_framework_id().await?;
                done(global, "cleared the framework id", "framework_id", &id)
            }
        }
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))
}

/// The store's address from the configuration, as the appmaster reads it.
fn zk_config(global: &GlobalArgs) -> Result<ZkConfig> {
    let (_, report) = super::load_checked(global, Purpose::Taskmanager)?;
    let Some(settings) = report.settings else {
        return Err(Error::Reported {
            errors: report.errors(),
        });
    };
    let Some(ha) = settings.ha else {
        let (ha_type, quorum) = (
            Key::HighAvailabilityType,
            Key::HighAvailabilityZookeeperQuorum,
        );
        return Err(Error::User(format!(
            "{ha_type} is not ZOOKEEPER: without it the appmaster keeps its \
             workers in memory (see its /status endpoint); set {ha_type}: zookeeper \
             and {quorum} to look into the ZooKeeper store"
        )));
    };
    let mut config = ZkConfig::from_settings(&ha);
    config.connect_timeout = Duration::from_secs(5).min(config.connect_timeout);
    // Before the runtime's threads: the Kerberos library reads its environment.
    if let Some(kerberos) = &config.kerberos {
        crate::store::zk::kerberos_environment(kerberos);
    }
    Ok(config)
}

async fn connect(config: &ZkConfig) -> Result<Zk> {
    Ok(Zk::connect(config.clone()).await?)
}

/// Reads the whole store; a missing store is an error that says why.
pub async fn listing(zk: &Zk) -> Result<Listing> {
    let contents = zk.read().await?.ok_or_else(|| {
        Error::User(format!(
            "nothing is stored at {} in ZooKeeper {}: no appmaster has run with this \
             high-availability.cluster-id and high-availability.zookeeper.path.* (check them)",
            zk.base(),
            zk.config().servers_text()
        ))
    })?;
    let leader = current_leader(zk)
        .await?
        .map(|(latch, info)| Leader { latch, info });
    let (live, launch_hold) = live_workers(leader.as_ref()).await;
    Ok(Listing {
        zookeeper: zk.config().servers_text(),
        path: zk.base().to_string(),
        framework_id: contents.framework_id.map(|(id, _)| id),
        next_task_number: contents.task_count.map_or(0, |(n, _)| n),
        failed_tasks: contents.failed_tasks.map_or(0, |(n, _)| n),
        leader,
        floor: contents.floor.map(|(n, _)| n),
        workers: contents.workers.into_iter().map(|(r, _)| r).collect(),
        live,
        launch_hold,
        damaged: contents
            .damaged
            .into_iter()
            .map(|(task_id, error, _)| Damaged { task_id, error })
            .collect(),
    })
}

fn find<'a>(zk: &Zk, listing: &'a Listing, task_id: &str) -> Result<&'a StoredWorker> {
    listing
        .workers
        .iter()
        .find(|w| w.worker.task_id == task_id)
        .ok_or_else(|| {
            Error::User(format!(
                "no worker {task_id} is stored at {}; `flink-mesos workers list` shows the stored ones",
                zk.worker_path(task_id)
            ))
        })
}

/// Refuses while a leader holds the store (unless `--force`), then asks.
fn guard(listing: &Listing, confirm: &ConfirmArgs, what: &str) -> Result<()> {
    if let (Some(leader), false) = (&listing.leader, confirm.force) {
        let who = leader
            .info
            .as_ref()
            .map(|i| i.to_string())
            .unwrap_or_else(|| leader.latch.clone());
        return Err(Error::User(format!(
            "an appmaster leads this store ({who}) and owns its state; stop it first, or pass \
             --force (it then gives the leadership up at its next conflicting write and the \
             store is read afresh)"
        )));
    }
    if confirm.yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Error::Usage(format!(
            "{what}\nnot asking without a terminal: pass --yes to confirm"
        )));
    }
    let yes = dialoguer::Confirm::new()
        .with_prompt(what)
        .default(false)
        .interact()
        .map_err(|e| Error::Internal(format!("cannot ask for confirmation: {e}")))?;
    if yes {
        Ok(())
    } else {
        Err(Error::User("not confirmed; nothing changed".into()))
    }
}

fn done(global: &GlobalArgs, what: &str, key: &str, value: &str) -> Result<()> {
    let text = match global.output {
        OutputFormat::Text => format!("{what} {value}\n"),
        OutputFormat::Json => format!("{}\n", serde_json::json!({ key: value, "done": what })),
        OutputFormat::Yaml => {
            crate::marathon::to_yaml(&serde_json::json!({ key: value, "done": what }))
        }
    };
    print(global, &text)
}

fn print(_global: &GlobalArgs, text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn state_name(w: &StoredWorker) -> &'static str {
    match w.worker.state {
        crate::scheduler::WorkerState::New => "new",
        crate::scheduler::WorkerState::Launched => "launched",
        crate::scheduler::WorkerState::Running => "running",
        crate::scheduler::WorkerState::Released => "released",
    }
}

fn structured<T: Serialize>(format: OutputFormat, value: &T) -> Option<String> {
    let json = serde_json::to_value(value).ok()?;
    match format {
        OutputFormat::Json => Some(format!(
            "{}\n",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        )),
        OutputFormat::Yaml => Some(crate::marathon::to_yaml(&json)),
        OutputFormat::Text => None,
    }
}

/// `workers list` in the chosen format.
pub fn render_listing(format: OutputFormat, listing: &Listing) -> String {
    if let Some(s) = structured(format, listing) {
        return s;
    }
    let mut out = String::new();
    let leader = match &listing.leader {
        Some(Leader {
            info: Some(info), ..
        }) => match &info.status {
            Some(status) => format!("{info}, {status}"),
            None => info.to_string(),
        },
        Some(Leader { latch, info: None }) => latch.clone(),
        None => "none (no appmaster leads)".into(),
    };
    out.push_str(&format!(
        "framework  {}\nleader     {leader}\nstore      {} {}\nnext task  {}\nfailed     {}\nfloor      {}\n\n",
        listing.framework_id.as_deref().unwrap_or("(none)"),
        listing.zookeeper,
        listing.path,
        listing.next_task_number,
        listing.failed_tasks,
        listing
            .floor
            .map(|n| format!("{n} (set by `workers scale`)"))
            .unwrap_or_else(|| "as configured (mesos.initial-tasks)".into()),
    ));
    if let Some(hold) = &listing.launch_hold {
        out.push_str(&format!("HELD       {hold}\n\n"));
    }
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header([
            "TASK ID",
            "STATE",
            "AGENT ID",
            "HOST",
            "LAUNCHED AT",
            "RESTARTS",
            "WHY",
            "REGISTERED",
            "IDLE",
        ]);
    for c in table.column_iter_mut() {
        c.set_padding((0, 2));
    }
    let dash = || "-".to_string();
    for w in &listing.workers {
        let live = listing.live.get(&w.worker.task_id);
        table.add_row([
            Cell::new(&w.worker.task_id),
            Cell::new(state_name(w)),
            Cell::new(w.worker.agent_id.clone().unwrap_or_else(dash)),
            Cell::new(w.worker.hostname.clone().unwrap_or_else(dash)),
            Cell::new(w.launched_at.clone().unwrap_or_else(dash)),
            Cell::new(w.restarts),
            Cell::new(live.and_then(|l| l.reason.clone()).unwrap_or_else(dash)),
            Cell::new(match live.and_then(|l| l.registered) {
                Some(true) => "yes".to_string(),
                Some(false) => "no".to_string(),
                None => dash(),
            }),
            Cell::new(
                live.and_then(|l| l.idle_seconds)
                    .map(|s| format!("{s:.0}s"))
                    .unwrap_or_else(dash),
            ),
        ]);
    }
    if listing.workers.is_empty() {
        out.push_str("no workers stored\n");
    } else {
        for line in table.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        let mut counts = std::collections::BTreeMap::new();
        for w in &listing.workers {
            *counts.entry(state_name(w)).or_insert(0usize) += 1;
        }
        let by_state: Vec<String> = ["running", "launched", "new", "released"]
            .iter()
            .filter_map(|s| counts.get(s).map(|n| format!("{n} {s}")))
            .collect();
        out.push_str(&format!(
            "\n{} worker(s): {}\n",
            listing.workers.len(),
            by_state.join(", ")
        ));
    }
    for d in &listing.damaged {
        out.push_str(&format!(
            "unreadable record {} (left out; `flink-mesos workers forget {}` removes it): {}\n",
            d.task_id, d.task_id, d.error
        ));
    }
    out
}

#[derive(Serialize)]
struct Shown<'a> {
    node: String,
    #[serde(flatten)]
    worker: &'a StoredWorker,
}

fn render_worker(format: OutputFormat, zk: &Zk, w: &StoredWorker) -> String {
    let node = zk.worker_path(&w.worker.task_id);
    if let Some(s) = structured(
        format,
        &Shown {
            node: node.clone(),
            worker: w,
        },
    ) {
        return s;
    }
    let ports: Vec<String> = w
        .worker
        .ports
        .iter()
        .map(|(k, p)| format!("{k}={p}"))
        .collect();
    let or_dash = |v: Option<&str>| v.unwrap_or("-").to_string();
    format!(
        "task id      {}\nstate        {}\nagent id     {}\nhost         {}\nlaunched at  {}\n\
         restarts     {}\nports        {}\nnode         {node}\n",
        w.worker.task_id,
        state_name(w),
        or_dash(w.worker.agent_id.as_deref()),
        or_dash(w.worker.hostname.as_deref()),
        or_dash(w.launched_at.as_deref()),
        w.restarts,
        if ports.is_empty() {
            "-".into()
        } else {
            ports.join(", ")
        },
    )
}
