//! `flink-mesos config show`: the effective configuration, one line per key,
//! with the source of every value. Secrets are masked.

use std::io::Write;

use crate::cli::{ConfigShowArgs, GlobalArgs, OutputFormat};
use crate::config::options::{self, DefaultValue};
use crate::config::settings::{self, Purpose, ValidateOptions};
use crate::config::{Config, LoadOptions, Origin};
use crate::error::Result;

/// One row of the effective configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    pub key: String,
    pub value: Option<String>,
    /// `default`, `derived`, `FILE:LINE`, `env VAR`, `-D`, or `unset`.
    pub source: String,
    pub declared: bool,
}

pub fn run(global: &GlobalArgs, args: &ConfigShowArgs) -> Result<()> {
    let config = Config::load(&LoadOptions::from_global(global))?;
    let rows = rows(&config, args.all);
    let mut out = std::io::stdout().lock();
    match global.output {
        OutputFormat::Json => super::write_json(&mut out, &rows)?,
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

/// The rows `config show` prints: every declared option that has a value
/// (set, default or derived; with `all` also the unset ones), then every
/// other key that was set. Derived values come from the typed settings.
pub fn rows(config: &Config, all: bool) -> Vec<Row> {
    let report = settings::resolve(
        config,
        ValidateOptions {
            purpose: Purpose::Appmaster,
            strict: false,
        },
    );
    let derived = |key: &str| -> Option<String> {
        let s = report.settings.as_ref()?;
        match key {
            "mesos.maximum-failed-tasks" => Some(
                s.max_failed_tasks
                    .map_or("-1".to_string(), |n| n.to_string()),
            ),
            "mesos.resourcemanager.tasks.mem" => Some(s.tasks.mem_mb.to_string()),
            "mesos.resourcemanager.tasks.cpus" => Some(s.tasks.cpus.to_string()),
            _ => None,
        }
    };
    let mut rows = Vec::new();
    for def in options::OPTIONS {
        let mask = |v: &str| options::masked(def.key, v);
        let row = match config.get(def) {
            Some(e) => Row {
                key: e.key.clone(),
                value: Some(mask(&e.value)),
                source: source(&e.origin),
                declared: true,
            },
            None => match (def.default, derived(def.key)) {
                (DefaultValue::Value(v), Some(d))
                    if d != v && !(v.parse::<f64>().ok() == d.parse::<f64>().ok()) =>
                {
                    Row {
                        key: def.key.into(),
                        value: Some(d),
                        source: "derived".into(),
                        declared: true,
                    }
                }
                (DefaultValue::Derived(_), Some(d)) => Row {
                    key: def.key.into(),
                    value: Some(d),
                    source: "derived".into(),
                    declared: true,
                },
                (DefaultValue::Value(v), _) => Row {
                    key: def.key.into(),
                    value: Some(mask(v)),
                    source: "default".into(),
                    declared: true,
                },
                _ if all => Row {
                    key: def.key.into(),
                    value: None,
                    source: "unset".into(),
                    declared: true,
                },
                _ => continue,
            },
        };
        rows.push(row);
    }
    for e in config.winners() {
        if options::lookup(&e.key).is_some() {
            continue;
        }
        let value = options::masked(&e.key, &e.value);
        rows.push(Row {
            key: e.key.clone(),
            value: Some(value),
            source: source(&e.origin),
            declared: false,
        });
    }
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    rows
}

fn source(origin: &Origin) -> String {
    origin.to_string()
}
