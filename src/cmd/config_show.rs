//! `flink-mesos config show`: the effective configuration, one line per key,
//! with the source of every value. Secrets are masked.

use std::io::Write;

use crate::cli::{ConfigShowArgs, GlobalArgs, OutputFormat};
use crate::config::effective::rows;
use crate::error::Result;

pub fn run(global: &GlobalArgs, args: &ConfigShowArgs) -> Result<()> {
    let config = super::load_config(global)?;
    let rows = rows(&config, args.all);
    let mut out = std::io::stdout().lock();
    match global.output {
        OutputFormat::Json | OutputFormat::Yaml => super::write_json(&mut out, &rows)?,
        OutputFormat::Text => {
            let width = rows.iter().map(|r| r.key.len()).max().unwrap_or(0);
            let vwidth = rows
                .iter()
                .map(|r| r.value.as_deref().map_or(1, |v| v.chars().count()))
                .max()
                .unwrap_or(0)
                .min(48);
            for r in &rows {
                let value = r.value.as_deref().unwrap_or("-");
                writeln!(out, "{:width$}  {:vwidth$}  # {}", r.key, value, r.source)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
