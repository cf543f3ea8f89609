//! The effective configuration (`flink-mesos config show`): every value
//! with its source, defaults and values derived from other options included.
//! Secrets are masked.

use super::options::{self, DefaultValue, Key};
use super::settings::{self, Purpose, ValidateOptions};
use super::{Config, Origin};

/// One row of the effective configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    pub key: String,
    pub value: Option<String>,
    /// `default`, `derived`, `FILE:LINE`, `env VAR`, `-D`, or `unset`.
    pub source: String,
    pub declared: bool,
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
    let derived = |key: Key| report.settings.as_ref()?.derived(key);
    let mut rows = Vec::new();
    for &key in Key::ALL {
        let def = key.def();
        let mask = |v: &str| options::masked(def.key, v);
        let row = match config.get(def) {
            Some(e) => Row {
                key: e.key.clone(),
                value: Some(mask(&e.value)),
                source: source(&e.origin),
                declared: true,
            },
            None => match (def.default, derived(key)) {
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
