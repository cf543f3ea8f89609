//! The app's `cmd`: one POSIX shell command line that starts the appmaster
//! with the properties its own configuration file cannot know, Marathon's
//! ports, and references (never values) for secrets.

use std::collections::BTreeMap;

use crate::config::options::{self, DefaultValue, Key};
use crate::config::settings::{Container, Settings};
use crate::config::{Config, Entry, Layer};

use super::{
    bad_flag, Entrypoint, MarathonError, Request, HA_KEYS, HA_KEYS_IF_SET, HA_RPC_PORT_KEY, PORTS,
    RPC_PORT_INDEX, STATUS_PORT_INDEX,
};

/// The drop-in script an `--entrypoint script` app needs in the Flink
/// directory (Flink's own was removed with its Mesos mode in 1.14).
pub const SCRIPT_SOURCE: &str = "commands/mesos-appmaster.sh";

/// A property value in `cmd`: literal text, or a port Marathon assigns.
enum PropValue {
    Literal(String),
    Port(usize),
}

pub(super) fn command(
    config: &Config,
    settings: &Settings,
    req: &Request,
    notes: &mut Vec<String>,
) -> Result<String, MarathonError> {
    let mut words: Vec<String> = vec!["exec".into()];
    let checked = |home: &String| {
        if home.trim().is_empty() {
            return Err(bad_flag(
                "--flink-home",
                home.clone(),
                "is empty; give the Flink directory on the agents",
            ));
        }
        Ok(home.trim_end_matches('/').to_string())
    };
    match &req.entrypoint {
        Entrypoint::Script { flink_home: None } => {
            // Fails with "FLINK_HOME: not set" instead of running /bin/… when unset.
            words.push("\"${FLINK_HOME:?not set}\"/bin/mesos-appmaster.sh".into());
            notes.push(format!("the app runs $FLINK_HOME/bin/mesos-appmaster.sh on the agent, which no Flink since 1.14 ships: copy {SCRIPT_SOURCE} there (or use the default `--entrypoint binary`)"));
        }
        Entrypoint::Script {
            flink_home: Some(home),
        } => {
            let script = format!("{}/bin/mesos-appmaster.sh", checked(home)?);
            words.push(shell_quote(&script));
        }
        Entrypoint::Binary { flink_home } => {
            words.push("flink-mesos".into());
            words.push("appmaster".into());
            if let Some(home) = flink_home {
                words.push("--flink-home".into());
                words.push(shell_quote(&checked(home)?));
            }
        }
    }
    // The status endpoint on a Marathon port: the health check asks /health.
    words.push(format!("--status-port $PORT{STATUS_PORT_INDEX}"));
    if settings.ha.is_some() {
        // Marathon stops the task (SIGTERM) on every restart and upgrade; with
        // high availability the next appmaster takes the framework over, so
        // the framework and its workers must outlive this one.
        words.push("--keep-framework".into());
    }

    if let Some(job) = &req.job {
        words.push("--job-jar".into());
        words.push(match job.fetched() {
            // Marathon's fetcher puts it into the sandbox under its last segment.
            Some(uri) => {
                let name = uri
                    .split(['?', '#'])
                    .next()
                    .unwrap_or(uri)
                    .rsplit('/')
                    .next()
                    .unwrap_or(uri);
                format!("\"$MESOS_SANDBOX\"/{}", shell_quote(name))
            }
            None => shell_quote(&job.jar),
        });
        for (flag, value) in [
            ("--job-classname", &job.classname),
            ("--from-savepoint", &job.from_savepoint),
            ("--savepoint-on-stop", &job.savepoint_on_stop),
        ] {
            if let Some(v) = value {
                words.push(flag.into());
                words.push(shell_quote(v));
            }
        }
        if job.allow_non_restored_state {
            words.push("--allow-non-restored-state".into());
        }
    }
    let mut props: Vec<(String, PropValue)> = Vec::new();
    for entry in cmd_entries(config, req) {
        if let Some((name, index)) = port_of(&entry.key) {
            notes.push(format!(
                "`{}` from {} is replaced by the port Marathon assigns (`$PORT{index}`, port `{name}`)",
                entry.key, entry.origin
            ));
            continue;
        }
        if options::secret_part(&entry.key, &entry.value).is_some() {
            // Handled by secret_references().
            continue;
        }
        if crate::shell::has_nul(&entry.value) {
            return Err(MarathonError::Unquotable {
                key: entry.key.clone(),
                origin: entry.origin.to_string(),
            });
        }
        props.push((entry.key.clone(), PropValue::Literal(entry.value.clone())));
    }
    if settings.ha.is_some() {
        for key in HA_KEYS.iter().chain(HA_KEYS_IF_SET.iter()) {
            let def = key.def();
            match config.get(def) {
                // Already in `props` under the spelling the user chose.
                Some(e) if e.origin.layer() >= first_layer(req) => {}
                Some(e) => props.push((def.key.to_string(), PropValue::Literal(e.value.clone()))),
                None if HA_KEYS.contains(key) => {
                    if let DefaultValue::Value(v) = def.default {
                        props.push((def.key.to_string(), PropValue::Literal(v.to_string())));
                    }
                }
                None => {}
            }
        }
    }
    // The appmaster in an image and no image for the TaskManagers: they run
    // in the same one (as the DC/OS Flink package did), with the appmaster's
    // containerizer (Docker) unless the type is configured.
    if let (Some(image), Container::Mesos { image: None }) =
        (&req.docker_image, &settings.tasks.container)
    {
        let type_key = Key::MesosResourcemanagerTasksContainerType;
        let kind = match config.get(type_key.def()) {
            Some(e) => e.value.clone(),
            None => {
                props.push((type_key.to_string(), PropValue::Literal("docker".into())));
                "docker".into()
            }
        };
        if crate::shell::has_nul(image) {
            return Err(bad_flag(
                "--image",
                image.replace('\0', "\\0"),
                "holds a NUL character",
            ));
        }
        let image_key = Key::MesosResourcemanagerTasksContainerImageName;
        props.push((image_key.to_string(), PropValue::Literal(image.clone())));
        notes.push(format!(
            "the TaskManagers run in the appmaster's image `{image}` too (`{image_key}`, container type `{kind}`): \
             it must hold Java and Flink (`FLINK_HOME`); set `{image_key}` for another image"
        ));
    }
    for (index, (_, key)) in PORTS.iter().enumerate() {
        props.push((key.to_string(), PropValue::Port(index)));
    }
    if settings.ha.is_some() {
        props.push((HA_RPC_PORT_KEY.to_string(), PropValue::Port(RPC_PORT_INDEX)));
    }
    for (key, value) in props {
        words.push(match value {
            PropValue::Literal(v) => shell_quote(&format!("-D{key}={v}")),
            // Keys here are our own constants (shell-safe); the port is a number.
            PropValue::Port(i) => format!("-D{key}=$PORT{i}"),
        });
    }
    if let Some(job) = req.job.as_ref().filter(|j| !j.args.is_empty()) {
        words.push("--".into());
        words.extend(job.args.iter().map(|a| shell_quote(a)));
    }
    Ok(words.join(" "))
}

/// The lowest layer whose values go into `cmd`: the environment and `-D`
/// (the appmaster reads the file itself), or the file too with `inline_config`.
fn first_layer(req: &Request) -> Layer {
    if req.inline_config {
        Layer::File
    } else {
        Layer::Env
    }
}

/// Entries for `cmd`: the winning values from [`first_layer`] up, one per
/// option (an option's losing spellings are skipped, so that the appmaster
/// resolves the same value).
fn cmd_entries<'a>(config: &'a Config, req: &Request) -> Vec<&'a Entry> {
    config
        .winners()
        .filter(|e| e.origin.layer() >= first_layer(req))
        .filter(|e| match options::lookup(&e.key) {
            Some(def) => config.get(def).is_some_and(|w| w.key == e.key),
            None => true,
        })
        .collect()
}

/// The port name and index when `key` (in any spelling) is one Marathon assigns.
fn port_of(key: &str) -> Option<(&'static str, usize)> {
    let canonical = options::lookup(key).map_or(key, |d| d.key);
    if canonical == HA_RPC_PORT_KEY.name() {
        return Some(("rpc", RPC_PORT_INDEX));
    }
    PORTS
        .iter()
        .enumerate()
        .find(|(_, (_, k))| k.name() == canonical)
        .map(|(i, (name, _))| (*name, i))
}

/// Quotes one word for a POSIX shell ([`crate::shell::quote`]).
pub fn shell_quote(word: &str) -> String {
    crate::shell::quote(word)
}

/// For every secret set through `-D` or the environment: the variable the
/// appmaster reads it from → the name of its Marathon secret. Adds a note
/// telling how to provide each one; nothing here holds a secret value.
pub(super) fn secret_references(
    config: &Config,
    req: &Request,
    notes: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let mut refs = BTreeMap::new();
    for entry in cmd_entries(config, req) {
        if options::secret_part(&entry.key, &entry.value).is_none() {
            continue;
        }
        let var = options::lookup(&entry.key).and_then(|d| d.env);
        match (var, &req.secret_store) {
            (Some(var), Some(store)) => {
                let name = var.to_ascii_lowercase().replace('_', "-");
                notes.push(format!(
                    "`{}` (from {}) is not written into the app definition: the appmaster reads it from ${var}, which references the Marathon secret `{name}` at `{}/{name}`; store it there before deploying",
                    entry.key,
                    entry.origin,
                    store.trim_end_matches('/')
                ));
                refs.insert(var.to_string(), name);
            }
            (Some(var), None) => notes.push(format!(
                "`{}` (from {}) is not written into the app definition: the appmaster reads it from ${var}; \
                 provide that variable to the Marathon task (--secret-store PATH references a Marathon secret), \
                 or put the value into the configuration file the appmaster reads",
                entry.key, entry.origin
            )),
            (None, _) => notes.push(format!(
                "`{}` (from {}) looks like a secret and is not written into the app definition; \
                 put it into the configuration file the appmaster reads",
                entry.key, entry.origin
            )),
        }
    }
    refs
}
