//! `flink-mesos master`: resolves `mesos.master` from the configuration (every
//! form: `host:port`, `http(s)://`, `zk://[user:password@]…/path`, `file://`),
//! finds the leading master and prints its address, version and a state
//! summary, as text or (`--output json`) as one JSON document.
//!
//! The ZooKeeper password never appears in the output: the spec is shown
//! through `MasterSpec`'s masking `Display`.

use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::cli::{GlobalArgs, MasterArgs, OutputFormat};
use crate::config::settings::{self, MasterAccess};
use crate::error::{Error, Result};
use crate::mesos::client::ClientOptions;
use crate::mesos::detector::{detect_once, MasterAddress};
use crate::mesos::operator::{fetch_summary, MasterSummary};

#[derive(Debug, Serialize)]
struct Output {
    /// `mesos.master` as configured (password masked).
    master: String,
    /// The leading master as detected.
    leader: MasterAddress,
    state: MasterSummary,
}

pub fn run(global: &GlobalArgs, _args: &MasterArgs) -> Result<()> {
    let config = super::load_config(global)?;
    let access = match settings::resolve_master(&config) {
        Ok(access) => access,
        Err(diagnostics) => {
            let stderr = std::io::stderr();
            let color = super::use_color(global, stderr.is_terminal());
            let mut err = stderr.lock();
            for d in &diagnostics {
                writeln!(err, "{}", d.render(color))?;
            }
            return Err(Error::Reported {
                errors: diagnostics.len(),
            });
        }
    };
    let (leader, state) = super::runtime()?.block_on(resolve(&access))?;
    let output = Output {
        master: access.spec.to_string(),
        leader,
        state,
    };
    let mut out = std::io::stdout().lock();
    match global.output {
        OutputFormat::Json | OutputFormat::Yaml => super::write_json(&mut out, &output)?,
        OutputFormat::Text => write_text(&mut out, &output)?,
    }
    out.flush()?;
    Ok(())
}

/// The leader and its state. A fixed address may name a non-leading master:
/// its state names the leader, whose own state is then shown.
async fn resolve(access: &MasterAccess) -> Result<(MasterAddress, MasterSummary)> {
    let options = ClientOptions {
        ca_file: access.ca_file.clone(),
        ..ClientOptions::default()
    };
    let mut leader = detect_once(&access.spec).await?;
    let mut state = fetch_summary(&leader.url, &options).await?;
    if !state.is_leader {
        if let Some(address) = state.leader.clone() {
            // The leader speaks the scheme of the master that named it.
            let scheme = leader.url.split_once("://").map_or("http", |(s, _)| s);
            let url = format!("{scheme}://{address}");
            state = fetch_summary(&url, &options).await?;
            leader.url = url;
        }
    }
    if leader.version.is_none() {
        leader.version = state.version.clone();
    }
    Ok((leader, state))
}

fn write_text(out: &mut impl Write, o: &Output) -> std::io::Result<()> {
    let s = &o.state;
    let leading = if s.is_leader {
        "leading"
    } else {
        "not leading (no leader elected?)"
    };
    writeln!(out, "master      {}", o.master)?;
    writeln!(out, "leader      {} ({leading})", o.leader.url)?;
    if let Some(member) = &o.leader.member {
        writeln!(out, "found as    {member}")?;
    }
    writeln!(
        out,
        "version     {}",
        s.version.as_deref().unwrap_or("unknown")
    )?;
    writeln!(out, "id          {}", s.id.as_deref().unwrap_or("unknown"))?;
    writeln!(
        out,
        "agents      {} active, {} inactive, {} unreachable",
        s.agents_active, s.agents_inactive, s.agents_unreachable
    )?;
    writeln!(
        out,
        "frameworks  {} active, {} completed",
        s.frameworks_active, s.frameworks_completed
    )?;
    let (u, t) = (&s.resources_used, &s.resources_total);
    writeln!(
        out,
        "resources   cpus {}/{}, mem {}/{} MB, disk {}/{} MB, gpus {}/{} (used/total)",
        u.cpus, t.cpus, u.mem_mb, t.mem_mb, u.disk_mb, t.disk_mb, u.gpus, t.gpus
    )
}
