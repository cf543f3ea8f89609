//! Parsers for the value types in [`super::options::Type`]. Each returns the
//! typed value or a message that says what is wrong (never echoing secrets:
//! the caller decides whether the value may be shown).

use std::time::Duration;

use super::master::{parse_host_port, validate_zk_path, MasterSpec};
use super::options::Type;

pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("is not a boolean; use `true` or `false`".into()),
    }
}

pub fn parse_int(s: &str, min: i64, max: i64) -> Result<i64, String> {
    let v: i64 = s.parse().map_err(|_| "is not a whole number".to_string())?;
    if v < min || v > max {
        return Err(if max == i64::MAX {
            format!("must be at least {min}")
        } else {
            format!("must be between {min} and {max}")
        });
    }
    Ok(v)
}

pub fn parse_float(s: &str, min: f64) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| "is not a number".to_string())?;
    if !v.is_finite() || v < min {
        return Err(format!("must be a finite number of at least {min}"));
    }
    Ok(v)
}

pub fn parse_port(s: &str) -> Result<u16, String> {
    s.parse::<u16>()
        .map_err(|_| "is not a port; use a number from 0 to 65535".into())
}

/// Flink's port spec: `0`, `6121`, `50100-50200`, or a comma-separated list of these.
pub fn parse_port_range(s: &str) -> Result<Vec<(u16, u16)>, String> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        let range = match part.split_once('-') {
            Some((a, b)) => (parse_port(a.trim())?, parse_port(b.trim())?),
            None => {
                let p = parse_port(part)?;
                (p, p)
            }
        };
        if range.0 > range.1 {
            return Err(format!("range `{part}` ends before it starts"));
        }
        out.push(range);
    }
    Ok(out)
}

/// Flink's duration format: a number and an optional unit; milliseconds
/// without one (`5000`, `5 s`, `2min`, `1 h`, `1d`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: u64 = number.parse().map_err(|_| {
        "is not a duration; write a whole number with a unit, e.g. `5 s`, `500 ms`, `2 min`"
            .to_string()
    })?;
    let unit = unit.trim().to_ascii_lowercase();
    let ms_per = match unit.as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        other => {
            return Err(format!(
                "has an unknown time unit `{other}`; use ms, s, min, h or d"
            ))
        }
    };
    n.checked_mul(ms_per)
        .map(Duration::from_millis)
        .ok_or_else(|| "is too large".to_string())
}

/// Flink's memory size format: a number and an optional unit; bytes without one.
pub fn parse_memory(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: u64 = number.parse().map_err(|_| {
        "is not a memory size; write a number with a unit, e.g. `1728m` or `2g`".to_string()
    })?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kibibytes" => 1 << 10,
        "m" | "mb" | "mebibytes" => 1 << 20,
        "g" | "gb" | "gibibytes" => 1 << 30,
        "t" | "tb" | "tebibytes" => 1 << 40,
        other => {
            return Err(format!(
                "has an unknown memory unit `{other}`; use b, k, m, g or t"
            ))
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| "is too large".to_string())
}

pub fn parse_megabytes(s: &str) -> Result<u64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| "is not a number of megabytes (write e.g. `4096`)".to_string())?;
    if !v.is_finite() || v < 0.0 || v.fract() != 0.0 {
        return Err("must be a whole, non-negative number of megabytes".into());
    }
    Ok(v as u64)
}

/// Splits a comma-separated list, trimming items and skipping empty ones.
pub fn split_list(s: &str) -> Vec<&str> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect()
}

/// `key:value,key:value` (host attribute constraints, labels). Every entry
/// must have a non-empty key and value.
pub fn parse_key_colon_values(s: &str) -> Result<Vec<(String, String)>, String> {
    split_list(s)
        .into_iter()
        .map(|item| match item.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                Ok((k.trim().to_string(), v.trim().to_string()))
            }
            _ => Err(format!("has the entry `{item}`, which is not `key:value`")),
        })
        .collect()
}

/// `key=value,key=value` (Docker parameters); the value may contain `=`.
pub fn parse_key_equals_values(s: &str) -> Result<Vec<(String, String)>, String> {
    split_list(s)
        .into_iter()
        .map(|item| match item.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(format!("has the entry `{item}`, which is not `key=value`")),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeMode {
    ReadOnly,
    ReadWrite,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub host_path: Option<String>,
    pub container_path: String,
    pub mode: VolumeMode,
}

fn volume_mode(s: &str) -> Option<VolumeMode> {
    match s.to_ascii_uppercase().as_str() {
        "RO" => Some(VolumeMode::ReadOnly),
        "RW" => Some(VolumeMode::ReadWrite),
        _ => None,
    }
}

/// `[host_path:]container_path[:RO|RW]`, comma-separated; read-write by default.
pub fn parse_volumes(s: &str) -> Result<Vec<Volume>, String> {
    let mut out = Vec::new();
    for item in split_list(s) {
        let parts: Vec<&str> = item.split(':').collect();
        let bad = || format!("volume `{item}` is not `[host_path:]container_path[:RO|RW]`");
        let volume = match parts.as_slice() {
            [c] => Volume {
                host_path: None,
                container_path: c.to_string(),
                mode: VolumeMode::ReadWrite,
            },
            [a, b] => match volume_mode(b) {
                Some(mode) => Volume {
                    host_path: None,
                    container_path: a.to_string(),
                    mode,
                },
                None => Volume {
                    host_path: Some(a.to_string()),
                    container_path: b.to_string(),
                    mode: VolumeMode::ReadWrite,
                },
            },
            [h, c, m] => Volume {
                host_path: Some(h.to_string()),
                container_path: c.to_string(),
                mode: volume_mode(m)
                    .ok_or_else(|| format!("volume `{item}`: mode `{m}` must be RO or RW"))?,
            },
            _ => return Err(bad()),
        };
        if volume.container_path.is_empty() || volume.host_path.as_deref() == Some("") {
            return Err(bad());
        }
        out.push(volume);
    }
    Ok(out)
}

/// `host:port,host:port` with ZooKeeper's default port 2181.
pub fn parse_zk_quorum(s: &str) -> Result<Vec<(String, u16)>, String> {
    let items = split_list(s);
    if items.is_empty() {
        return Err("is empty; expected host:port,host:port".into());
    }
    items
        .into_iter()
        .map(|i| parse_host_port(i, Some(2181)))
        .collect()
}

/// The task id used to check host name patterns.
pub const SAMPLE_TASK_ID: &str = "taskmanager-00001";

/// A host name pattern with `_TASK_`: the result must be a valid DNS name.
pub fn check_hostname_pattern(s: &str) -> Result<(), String> {
    let name = s.replace("_TASK_", SAMPLE_TASK_ID);
    let name = name.trim_end_matches('.');
    if name.is_empty() || name.len() > 253 {
        return Err("gives an empty or over-long host name".into());
    }
    for label in name.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "gives the host name `{name}` for task {SAMPLE_TASK_ID}, which is not a valid DNS name (label `{label}`)"
            ));
        }
    }
    Ok(())
}

/// Checks a value against its declared type; the error says what is wrong.
pub fn check(ty: Type, s: &str) -> Result<(), String> {
    match ty {
        Type::Bool => parse_bool(s).map(drop),
        Type::Int { min, max } => parse_int(s, min, max).map(drop),
        Type::Float { min } => parse_float(s, min).map(drop),
        Type::Port => parse_port(s).map(drop),
        Type::PortRange => parse_port_range(s).map(drop),
        Type::Str | Type::List => Ok(()),
        Type::Enum(values) => {
            if values.iter().any(|v| v.eq_ignore_ascii_case(s)) {
                Ok(())
            } else {
                Err(format!("must be one of: {}", values.join(", ")))
            }
        }
        Type::Duration => parse_duration(s).map(drop),
        Type::MemorySize => parse_memory(s).map(drop),
        Type::Megabytes => parse_megabytes(s).map(drop),
        Type::MasterUrl => MasterSpec::parse(s)
            .and_then(|m| m.resolve_file())
            .map(drop)
            .map_err(|e| format!("is not a valid master address: {e}")),
        Type::ZkPath => validate_zk_path(s),
        Type::ZkQuorum => parse_zk_quorum(s).map(drop),
        Type::KeyColonValueList => parse_key_colon_values(s).map(drop),
        Type::KeyEqualsValueList => parse_key_equals_values(s).map(drop),
        Type::VolumeList => parse_volumes(s).map(drop),
        Type::HostnamePattern => check_hostname_pattern(s),
    }
}

/// The TaskManagers' container: `mesos.resourcemanager.tasks.container.*`
/// as resolved, and what the TaskInfo is built from.
#[derive(Debug, Clone, PartialEq)]
pub enum Container {
    /// The Mesos containerizer, with an optional image.
    Mesos { image: Option<String> },
    Docker {
        image: String,
        force_pull: bool,
        parameters: Vec<(String, String)>,
    },
}

impl Container {
    /// The image the tasks run in, if any.
    pub fn image(&self) -> Option<&str> {
        match self {
            Container::Mesos { image } => image.as_deref(),
            Container::Docker { image, .. } => Some(image),
        }
    }
}

/// Whether a host (name or address) means "this host" wherever it is
/// used: `localhost` and its usual aliases, `127.0.0.0/8`, `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    let lower = h.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "localhost" | "localhost.localdomain" | "ip6-localhost" | "ip6-loopback"
    ) || h
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_flink() {
        assert_eq!(parse_duration("5000").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("5 s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("2min").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1 h").unwrap(), Duration::from_secs(3600));
        assert!(parse_duration("5 fortnights")
            .unwrap_err()
            .contains("unknown time unit"));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn memory_sizes_like_flink() {
        assert_eq!(parse_memory("1728m").unwrap(), 1728 << 20);
        assert_eq!(parse_memory("2 g").unwrap(), 2 << 30);
        assert_eq!(parse_memory("1024").unwrap(), 1024);
        assert!(parse_memory("1.5g").is_err());
    }

    #[test]
    fn volumes_in_every_form() {
        let v = parse_volumes("/data, /host:/c, /c2:ro, /h:/c3:RW").unwrap();
        assert_eq!(
            v[0],
            Volume {
                host_path: None,
                container_path: "/data".into(),
                mode: VolumeMode::ReadWrite
            }
        );
        assert_eq!(v[1].host_path.as_deref(), Some("/host"));
        assert_eq!(v[2].mode, VolumeMode::ReadOnly);
        assert_eq!(v[3].mode, VolumeMode::ReadWrite);
        assert!(parse_volumes("/h:/c:XX").unwrap_err().contains("RO or RW"));
        assert!(parse_volumes("a:b:c:d").is_err());
        assert!(parse_volumes(":/c").is_err());
    }

    #[test]
    fn key_value_lists() {
        assert_eq!(
            parse_key_colon_values("az:eu-west-1a, series:t2").unwrap(),
            vec![
                ("az".into(), "eu-west-1a".into()),
                ("series".into(), "t2".into())
            ]
        );
        assert!(parse_key_colon_values("az:eu,rack")
            .unwrap_err()
            .contains("`rack`"));
        assert_eq!(
            parse_key_equals_values("env=A=B,label=x").unwrap()[0],
            ("env".into(), "A=B".into())
        );
        assert!(parse_key_equals_values("=x").is_err());
    }

    #[test]
    fn ports_and_ranges() {
        assert_eq!(
            parse_port_range("50100-50200,6121").unwrap(),
            vec![(50100, 50200), (6121, 6121)]
        );
        assert!(parse_port_range("5-1").is_err());
        assert!(parse_port("70000").is_err());
    }

    #[test]
    fn hostname_patterns() {
        assert!(check_hostname_pattern("_TASK_.flink-service.mesos").is_ok());
        assert!(check_hostname_pattern("_TASK_.bad_name.mesos")
            .unwrap_err()
            .contains("bad_name"));
    }
}
