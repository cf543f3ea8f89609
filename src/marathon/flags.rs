//! The command-line lists that go into the definition: `--env`, `--label`,
//! `--constraint`, checked and refused when they would carry a secret.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::config::options;

use super::{bad_flag, MarathonError};

pub(super) fn parse_pairs(
    flag: &'static str,
    items: &[String],
) -> Result<BTreeMap<String, String>, MarathonError> {
    let mut out = BTreeMap::new();
    for item in items {
        match item.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                out.insert(k.trim().to_string(), v.to_string());
            }
            _ => return Err(bad_flag(flag, item.clone(), "expected KEY=VALUE")),
        }
    }
    Ok(out)
}

/// `--env NAME=VALUE`, refusing names that would put a secret into the definition.
pub(super) fn parse_env(items: &[String]) -> Result<Map<String, Value>, MarathonError> {
    let mut out = Map::new();
    for item in items {
        let Some((name, value)) = item.split_once('=') else {
            return Err(bad_flag("--env", item.clone(), "expected NAME=VALUE"));
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(bad_flag(
                "--env",
                name,
                "is not a valid variable name (letters, digits and _, not starting with a digit)",
            ));
        }
        if holds_secret(name, value) {
            return Err(bad_flag(
                "--env",
                name,
                "would write a secret into the app definition; pass it with -D or the environment together with --secret-store PATH, or put it into the configuration file",
            ));
        }
        out.insert(name.to_string(), json!(value));
    }
    Ok(out)
}

/// Whether `NAME=VALUE` in `env` would carry a secret: a secret option's
/// variable, a secret-looking name, a secret part in an option's variable
/// (the password of a `zk://` master), or a secret line in `FLINK_PROPERTIES`.
fn holds_secret(name: &str, value: &str) -> bool {
    if options::looks_secret(name) {
        return true;
    }
    if let Some(def) = options::OPTIONS.iter().find(|o| o.env == Some(name)) {
        return options::secret_part(def.key, value).is_some();
    }
    if name == crate::config::FLINK_PROPERTIES {
        return value.lines().any(|line| {
            line.split_once(':')
                .is_some_and(|(k, v)| options::secret_part(k.trim(), v.trim()).is_some())
        });
    }
    false
}

/// `FIELD:OPERATOR[:VALUE]` → Marathon's `[field, OPERATOR, value]`.
pub(super) fn parse_constraint(text: &str) -> Result<Vec<String>, MarathonError> {
    let mut parts = text.splitn(3, ':');
    let field = parts.next().unwrap_or_default().trim();
    let operator = parts.next().map(|s| s.trim().to_ascii_uppercase());
    let value = parts.next();
    let bad = |m: &str| bad_flag("--constraint", text, m);
    if field.is_empty() {
        return Err(bad(
            "the field is empty; write FIELD:OPERATOR[:VALUE], e.g. hostname:UNIQUE",
        ));
    }
    let Some(operator) = operator else {
        return Err(bad(
            "has no operator; write FIELD:OPERATOR[:VALUE], e.g. hostname:UNIQUE",
        ));
    };
    let needs_value = match operator.as_str() {
        "UNIQUE" => Some(false),
        "CLUSTER" | "LIKE" | "UNLIKE" | "MAX_PER" | "IS" => Some(true),
        "GROUP_BY" => None,
        _ => {
            return Err(bad(
                "unknown operator; use UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER or IS",
            ))
        }
    };
    match (needs_value, value) {
        (Some(false), Some(_)) => Err(bad(&format!("{operator} takes no value"))),
        (Some(true), None) => Err(bad(&format!(
            "{operator} needs a value: FIELD:{operator}:VALUE"
        ))),
        (_, Some("")) => Err(bad("the value is empty")),
        (_, Some(v)) => Ok(vec![field.into(), operator, v.into()]),
        (_, None) => Ok(vec![field.into(), operator]),
    }
}
