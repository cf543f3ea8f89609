//! The exit-code reference, `docs/exit-codes.md`, rendered from the code.
//!
//! Every number in it comes from [`ErrorKind::exit_code`], the one table in
//! `src/error.rs`; this module only says when each kind is used, in general
//! and per command. `tests/it/generated.rs` fails when the committed page is
//! stale. A new [`ErrorKind`] needs a line in [`meaning`] (the match has no
//! catch-all) and then a place in [`KINDS`].

use crate::error::ErrorKind;

/// How a command ends: successfully (exit 0), or with an error of a kind.
#[derive(Debug, Clone, Copy)]
enum End {
    Success,
    Error(ErrorKind),
}
use End::{Error as E, Success};

/// Every kind, in the order of the table (by exit code).
const KINDS: [ErrorKind; 10] = [
    ErrorKind::User,
    ErrorKind::Peer,
    ErrorKind::Usage,
    ErrorKind::FlinkHome,
    ErrorKind::JavaMissing,
    ErrorKind::MemoryDoesNotFit,
    ErrorKind::JobFailed,
    ErrorKind::JobCanceled,
    ErrorKind::Child(1),
    ErrorKind::Internal,
];

fn name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::User => "User",
        ErrorKind::Peer => "Peer",
        ErrorKind::Usage => "Usage",
        ErrorKind::Internal => "Internal",
        ErrorKind::FlinkHome => "FlinkHome",
        ErrorKind::JavaMissing => "JavaMissing",
        ErrorKind::MemoryDoesNotFit => "MemoryDoesNotFit",
        ErrorKind::JobFailed => "JobFailed",
        ErrorKind::JobCanceled => "JobCanceled",
        ErrorKind::Child(_) => "Child",
    }
}

/// What a kind means, whichever command ends with it.
fn meaning(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::User => {
            "The configuration, an input file or a value is wrong: errors in the configuration \
             (every diagnostic is printed, with its location), a file that cannot be read or \
             written, a request that cannot be carried out as given."
        }
        ErrorKind::Peer => {
            "A peer failed or refused (a Mesos master, ZooKeeper, Marathon, Flink's \
             `BashJavaUtils`), or the cluster failed or was stopped abnormally (too many failed \
             TaskManagers, a JobManager that keeps dying, a failed teardown, a second signal)."
        }
        ErrorKind::Usage => {
            "The command line is wrong: unknown or conflicting flags, a malformed `-D`, a flag \
             value that cannot be used, a confirmation needed without a terminal."
        }
        ErrorKind::Internal => "A bug or an impossible state: please report it.",
        ErrorKind::FlinkHome => {
            "No usable Flink distribution: `--flink-home`/`FLINK_HOME` unset or missing, or a \
             directory without exactly one `lib/flink-dist*.jar` or without `conf/`."
        }
        ErrorKind::JavaMissing => "No `java`: `env.java.home`, `JAVA_HOME` and `PATH` were tried.",
        ErrorKind::MemoryDoesNotFit => {
            "A Flink JVM's memory cannot fit: the TaskManager's memory settings are larger than \
             its Mesos container (`mesos.resourcemanager.tasks.mem`), Flink's own memory check \
             failed (its reason is printed), or the legacy heap does not fit."
        }
        ErrorKind::JobFailed => {
            "A job cluster's job (`appmaster --job-jar`) ended FAILED: its failure cause (the \
             innermost exception of its newest failure) is printed; the framework was torn down."
        }
        ErrorKind::JobCanceled => {
            "A job cluster's job ended CANCELED: canceled by someone else, or by the appmaster on \
             SIGTERM without a savepoint directory (or after a failed stop-with-savepoint)."
        }
        ErrorKind::Child(_) => {
            "A Flink JVM that is the command's own process (the TaskManager of `flink-mesos \
             taskmanager`) ended unsuccessfully: its exit code is passed through (Flink uses 1 \
             for a failed start, 2 for a failure at run time), 128 + N when signal N ended it."
        }
    }
}

fn code(end: End) -> String {
    match end {
        Success => "0".into(),
        E(ErrorKind::Child(_)) => "the JVM's (1–255)".into(),
        E(kind) => kind.exit_code().to_string(),
    }
}

/// When each command ends how, in the order of the codes.
const COMMANDS: &[(&str, &[(End, &str)])] = &[
    (
        "validate-conf",
        &[
            (Success, "no errors (warnings are printed and allowed)"),
            (
                E(ErrorKind::User),
                "errors in the configuration (every diagnostic is printed)",
            ),
            (E(ErrorKind::Usage), "bad flags or `-D`"),
        ],
    ),
    (
        "appmaster",
        &[
            (
                Success,
                "stopped by SIGTERM or SIGINT: the framework torn down, or kept with \
                 `--keep-framework` or high availability",
            ),
            (
                Success,
                "job cluster (`--job-jar`): the job FINISHED, or SIGTERM stopped it with a \
                 savepoint (its path is printed); the framework torn down",
            ),
            (
                E(ErrorKind::User),
                "errors in the configuration (printed; Mesos is not contacted); an artifact \
                 server that cannot start (port, key material); a job JAR that is missing, not \
                 a JAR, or without the entry class (nothing started); a `rest.port` or \
                 `jobmanager.rpc.port` another process holds (named, before the JobManager \
                 starts)",
            ),
            (
                E(ErrorKind::Peer),
                "more than `mesos.maximum-failed-tasks` failed workers; the Mesos master refused \
                 the framework; the teardown failed; a second signal; the JobManager died more \
                 often than `--jobmanager-restarts` allows",
            ),
            (
                E(ErrorKind::Peer),
                "high availability: ZooKeeper unreachable or refusing the credentials, or the \
                 store path holds something else",
            ),
            (E(ErrorKind::Usage), "bad flags or `-D`"),
            (E(ErrorKind::FlinkHome), "no usable Flink distribution"),
            (E(ErrorKind::JavaMissing), "no `java` for the JobManager"),
            (
                E(ErrorKind::MemoryDoesNotFit),
                "JobManager memory that cannot fit",
            ),
            (
                E(ErrorKind::JobFailed),
                "job cluster: the job FAILED (its cause is printed)",
            ),
            (
                E(ErrorKind::JobCanceled),
                "job cluster: the job was CANCELED (by SIGTERM without a savepoint directory, \
                 a failed stop-with-savepoint, or someone else)",
            ),
        ],
    ),
    (
        "taskmanager",
        &[
            (
                Success,
                "the TaskManager exited normally, or stopped as asked after SIGTERM/SIGINT",
            ),
            (
                E(ErrorKind::User),
                "errors in the configuration (printed); the bootstrap command failed or ran \
                 out of `mesos.resourcemanager.tasks.bootstrap-timeout`",
            ),
            (
                E(ErrorKind::Peer),
                "`BashJavaUtils` failed for a reason other than memory",
            ),
            (E(ErrorKind::Usage), "bad flags or `-D`"),
            (
                E(ErrorKind::FlinkHome),
                "no usable Flink distribution (see the table above)",
            ),
            (E(ErrorKind::JavaMissing), "no `java`"),
            (
                E(ErrorKind::MemoryDoesNotFit),
                "the TaskManager memory does not fit (see the table above)",
            ),
            (
                E(ErrorKind::Child(1)),
                "the TaskManager JVM's own exit code",
            ),
        ],
    ),
    (
        "local up/status/logs/down",
        &[
            (Success, "done; `status`: every component healthy"),
            (
                E(ErrorKind::User),
                "errors in the configuration; a cluster already runs (or is being brought up) \
                 in the state directory; `--mesos real` and no genuine Mesos found",
            ),
            (
                E(ErrorKind::Peer),
                "a component did not start (its log is named); Ctrl-C or SIGTERM during `up`; \
                 `status`: something is unhealthy, or no cluster is recorded",
            ),
            (
                E(ErrorKind::Usage),
                "bad flags or `-D`; `--workers 0`; a ZooKeeper high-availability configuration \
                 without `--ha`; `--ha` without ZooKeeper installed; `logs` with no cluster \
                 recorded and no logs left in the state directory",
            ),
            (
                E(ErrorKind::FlinkHome),
                "no Flink distribution (`--flink-home`, `FLINK_HOME`, or the one \
                 `scripts/fetch-flink.sh` assembles)",
            ),
        ],
    ),
    (
        "marathon-json",
        &[
            (Success, "the definition was written, or deployed"),
            (
                E(ErrorKind::User),
                "errors in the configuration (printed; nothing is generated)",
            ),
            (
                E(ErrorKind::Peer),
                "`--deploy`: Marathon unreachable or refusing (its message and details are shown)",
            ),
            (
                E(ErrorKind::Usage),
                "bad flags: an invalid `--id`, an `--env`/`--label`/`--constraint` that cannot \
                 be used (or would carry a secret), a value with a NUL character, a bad \
                 `--deploy` URL, `--deploy-user` without `$MARATHON_PASSWORD`",
            ),
        ],
    ),
    (
        "workers, framework",
        &[
            (Success, "done"),
            (
                E(ErrorKind::User),
                "nothing stored at the path; no such worker; an appmaster leads the store \
                 (without `--force`)",
            ),
            (
                E(ErrorKind::Peer),
                "ZooKeeper unreachable or refusing the credentials, or the path holds something \
                 else",
            ),
            (
                E(ErrorKind::Usage),
                "bad flags; a confirmation needed without a terminal (pass `--yes`)",
            ),
        ],
    ),
    (
        "master",
        &[
            (Success, "the leading master was found and answered"),
            (E(ErrorKind::User), "a malformed `mesos.master`"),
            (
                E(ErrorKind::Peer),
                "no master reachable, no leader in ZooKeeper, or the master refused",
            ),
            (E(ErrorKind::Usage), "bad flags or `-D`"),
        ],
    ),
];

/// `docs/exit-codes.md`.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Exit codes\n\n\
         <!-- Generated by src/exit_codes.rs from ErrorKind::exit_code (src/error.rs); \
         tests/it/generated.rs fails when it is stale. Regenerate with \
         FLINK_MESOS_UPDATE_GENERATED=1 cargo nextest run --test it generated:: -->\n\n\
         Every command ends the same way: `main` maps the error that ends it to its kind \
         (`ErrorKind` in `src/error.rs`), and the kind to the exit code. The message is \
         printed on stderr as `error: …`; configuration errors are printed once, as \
         diagnostics.\n\n\
         | code | kind | meaning |\n|---|---|---|\n\
         | 0 | | Success (warnings allowed), `--help` and `--version`; also when stdout is \
         closed early (`… \\| head`). |\n",
    );
    for kind in KINDS {
        out.push_str(&format!(
            "| {} | `{}` | {} |\n",
            code(E(kind)),
            name(kind),
            meaning(kind)
        ));
    }
    out.push_str("\n## By command\n");
    for (command, ends) in COMMANDS {
        out.push_str(&format!(
            "\n### `flink-mesos {command}`\n\n| code | when |\n|---|---|\n"
        ));
        for (end, when) in *ends {
            out.push_str(&format!(
                "| {} | {} |\n",
                code(*end),
                when.replace('|', "\\|")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_listed_once_and_in_the_order_of_their_codes() {
        let names: Vec<&str> = KINDS.iter().map(|k| name(*k)).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        let codes: Vec<i32> = KINDS
            .iter()
            .filter(|k| !matches!(k, ErrorKind::Child(_)))
            .map(|k| k.exit_code())
            .collect();
        assert!(codes.windows(2).all(|w| w[0] <= w[1]), "{codes:?}");
    }

    #[test]
    fn every_command_lists_its_codes_in_order() {
        for (command, ends) in COMMANDS {
            let codes: Vec<i32> = ends
                .iter()
                .map(|(end, _)| match end {
                    Success => 0,
                    E(ErrorKind::Child(_)) => 254,
                    E(k) => k.exit_code(),
                })
                .collect();
            assert!(
                codes.windows(2).all(|w| w[0] <= w[1]),
                "{command}: {codes:?}"
            );
        }
    }
}
