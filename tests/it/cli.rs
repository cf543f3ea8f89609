//! The binary as a user runs it: exit codes, output formats, pipes, the
//! drop-in scripts, and the hidden subcommand behind `local up --mesos embedded`.

use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

fn bin() -> Command {
    let mut c = Command::cargo_bin("flink-mesos").unwrap();
    c.env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_MESOS_FRAMEWORK_SECRET")
        .env_remove("FLINK_PROPERTIES");
    c.env_remove("FLINK_MESOS_MASTER").env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn example_configuration_validates() {
    let (code, out, err) = run(&["validate-conf", "--conf-dir", "examples/conf"]);
    assert_eq!(code, 0, "{out}{err}");
    // A principal without a secret, and a ZooKeeper store without
    // credentials (world-writable): both said, neither fatal.
    assert!(
        out.contains("examples/conf/flink-conf.yaml: ok, 2 warning(s)")
            && out.contains("world-writable"),
        "{out}"
    );
    let (code, out, err) = run(&[
        "validate-conf",
        "--conf-dir",
        "examples/flink2-conf",
        "-Dmesos.master=m:5050",
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

/// `--flink-version`/`--flink-home` add what Flink gives the JobManager and
/// each TaskManager (Flink's own calculation) and what differs for that
/// version (issue 22).
#[test]
fn validate_conf_for_a_flink_version_shows_its_memory_and_differences() {
    let seed = [
        "validate-conf",
        "--conf-dir",
        "examples/flink2-conf",
        "-Dmesos.master=m:5050",
        "-Djobmanager.heap.mb=1024",
        "-Dmesos.resourcemanager.tasks.mem=4096",
        "-Dtaskmanager.heap.mb=3500",
    ];
    let mut args = seed.to_vec();
    args.extend(["--flink-version", "1.18.1"]);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Flink 1.18.1:\n  JobManager   process 1600 MB: heap 1024,"),
        "{out}"
    );
    assert!(
        out.contains("  TaskManager  process 3500 MB: heap "),
        "{out}"
    );
    assert!(out.contains("(Mesos container 4096 MB)"), "{out}");
    assert!(out.contains("get flink-conf.yaml"), "{out}");
    assert!(out.contains("written as whole milliseconds"), "{out}");
    // From a distribution: its version; JSON carries the numbers.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("lib")).unwrap();
    std::fs::create_dir_all(home.path().join("conf")).unwrap();
    std::fs::write(home.path().join("lib/flink-dist-2.3.0.jar"), b"x").unwrap();
    let mut args = seed.to_vec();
    args.extend([
        "--flink-home",
        home.path().to_str().unwrap(),
        "--output",
        "json",
    ]);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["flink_version"], "2.3.0");
    assert_eq!(v["memory"]["taskmanager"]["process"], 3500u64 << 20);
    assert_eq!(v["memory"]["jobmanager"]["task_heap"], 1u64 << 30);
    assert!(
        v["notes"][0].as_str().unwrap().contains("config.yaml"),
        "{v}"
    );
    // Not a version: a usage error.
    let (code, _, err) = run(&["validate-conf", "--flink-version", "latest"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("write it like 1.18.1"), "{err}");
}

#[test]
fn errors_exit_1_with_locations_and_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("flink-conf.yaml"),
        "mesos.master: m:5050\nmesos.initial-tasks: many\n",
    )
    .unwrap();
    let conf = dir.path().to_str().unwrap();
    let (code, out, _) = run(&["validate-conf", "--conf-dir", conf]);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "flink-conf.yaml:2:22: error: `mesos.initial-tasks`: `many` is not a whole number"
        ),
        "{out}"
    );
    assert!(
        out.contains("2 | mesos.initial-tasks: many\n  |                      ^^^^"),
        "{out}"
    );
    let (code, out, _) = run(&["validate-conf", "--conf-dir", conf, "--output", "json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["errors"], 1);
    let d = &doc["diagnostics"][0];
    assert_eq!(
        (
            d["severity"].as_str(),
            d["key"].as_str(),
            d["line"].as_u64(),
            d["column"].as_u64()
        ),
        (
            Some("error"),
            Some("mesos.initial-tasks"),
            Some(2),
            Some(22)
        )
    );
    assert!(d["file"].as_str().unwrap().ends_with("flink-conf.yaml"));
    assert!(d["hint"].as_str().unwrap().contains("whole number"));
}

#[test]
fn each_dynamic_property_has_its_own_label() {
    let (code, out, err) = run(&[
        "validate-conf",
        "-Dmesos.master=m:5050",
        "-Dmesos.failover-timeout=soon",
        "-Dmesos.resourcemanager.tasks.cpus=-1",
    ]);
    let err = format!("{out}{err}");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("-D#2:1:24"), "{err}");
    assert!(err.contains("-D#3:1:34"), "{err}");
    assert!(!err.contains("-D:1:"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run(&["validate-conf", "--no-such-flag"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&["validate-conf", "-D", "novalue"]);
    assert_eq!(code, 2);
    assert!(err.contains("-D novalue: expected key=value"), "{err}");
    let (code, _, err) = run(&["validate-conf", "--conf-dir", "/nonexistent/dir"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("configuration directory /nonexistent/dir does not exist"),
        "{err}"
    );
}

#[test]
fn the_embedded_mesos_subcommand_is_hidden_and_checks_its_flags() {
    let (code, out, _) = run(&["local", "--help"]);
    assert_eq!(code, 0);
    assert!(!out.contains("embedded-mesos"), "hidden: {out}");
    let work = tempfile::tempdir().unwrap();
    let work = work.path().to_str().unwrap();
    for (flag, value) in [
        ("--resources", "cpus:lots"),
        ("--attributes", "no-colon"),
        ("--heartbeat-interval", "0"),
    ] {
        let args = [
            "local",
            "embedded-mesos",
            "--port",
            "0",
            "--work-dir",
            work,
            flag,
            value,
        ];
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(out.is_empty());
    }
    let (code, _, err) = run(&["local", "embedded-mesos", "--work-dir", work]);
    assert_eq!(code, 2, "--port is required: {err}");
}

#[test]
fn config_show_lists_sources_and_masks_secrets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("flink-conf.yaml"),
        "mesos.master: zk://u:hunter2@zk:2181/mesos\nmesos.initial-tasks: 4\n",
    )
    .unwrap();
    let out = bin()
        .args([
            "config",
            "show",
            "--output",
            "json",
            "-Drest.port=9999",
            "--conf-dir",
        ])
        .arg(dir.path())
        .env("FLINK_MESOS_FRAMEWORK_SECRET", "s3cr3t-value")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains("hunter2") && !text.contains("s3cr3t-value"),
        "{text}"
    );
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let row = |k: &str| {
        rows.iter()
            .find(|r| r["key"] == k)
            .unwrap_or_else(|| panic!("{k} missing"))
            .clone()
    };
    assert_eq!(row("mesos.master")["value"], "zk://u:******@zk:2181/mesos");
    assert!(row("mesos.master")["source"]
        .as_str()
        .unwrap()
        .ends_with("flink-conf.yaml:1"));
    assert_eq!(row("rest.port")["source"], "-D");
    assert_eq!(
        row("mesos.resourcemanager.framework.secret")["value"],
        "******"
    );
    assert_eq!(
        row("mesos.resourcemanager.framework.secret")["source"],
        "env FLINK_MESOS_FRAMEWORK_SECRET"
    );
    assert_eq!(row("mesos.maximum-failed-tasks")["value"], "4");
    assert_eq!(row("mesos.maximum-failed-tasks")["source"], "derived");
    assert_eq!(row("mesos.failover-timeout")["source"], "default");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = bin()
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away at once
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn drop_in_scripts_forward_every_argument() {
    let bin_path = assert_cmd::cargo::cargo_bin("flink-mesos");
    for (script, sub) in [
        ("commands/mesos-appmaster.sh", "appmaster"),
        ("commands/mesos-taskmanager.sh", "taskmanager"),
    ] {
        let out = Command::new(script)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("FLINK_MESOS_BIN", &bin_path)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success(), "{script}");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains(&format!("Usage: flink-mesos {sub}")),
            "{script}: {help}"
        );
    }
    // The seed's example flags reach the subcommand unchanged: a bad value
    // among them is reported by the appmaster's configuration check.
    let out = Command::new("commands/mesos-appmaster.sh")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("FLINK_MESOS_BIN", &bin_path)
        .args([
            "-Dmesos.master=master.foobar.org:5050",
            "-Djobmanager.heap.mb=1024",
            "-Dmesos.initial-tasks=ten",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`mesos.initial-tasks`: `ten` is not a whole number"),
        "{err}"
    );
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, _) = run(&["completions", shell]);
        assert_eq!(code, 0);
        assert!(out.contains("validate-conf"), "{shell}");
    }
}

/// What bash offers for `line` (the word under the cursor is its last word,
/// empty after a trailing space), with the script `flink-mesos completions
/// bash` prints sourced into a real `bash` and run in `dir`. The completion
/// function is called the way readline calls it, and when it offers nothing
/// the `-o default` fallback of its `complete` line is applied too: file
/// names, which is what an interactive shell would then list.
fn bash_complete(script: &std::path::Path, dir: &std::path::Path, line: &str) -> Vec<String> {
    const DRIVER: &str = r#"
source "$1" || exit 3
shift
spec=$(complete -p flink-mesos) || exit 4
fn=${spec#*-F }
fn=${fn%% *}
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMP_TYPE=9
COMP_KEY=9
cur=${COMP_WORDS[COMP_CWORD]}
prev=${COMP_WORDS[COMP_CWORD-1]}
COMPREPLY=()
"$fn" "${COMP_WORDS[0]}" "$cur" "$prev" 2>/dev/null
if [[ ${#COMPREPLY[@]} -eq 0 && $spec == *"-o default"* ]]; then
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
fi
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let mut words: Vec<&str> = line.split_whitespace().collect();
    if line.ends_with(' ') {
        words.push("");
    }
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", DRIVER, "bash"])
        .arg(script)
        .args(&words)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash failed for {line:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_their_flags() {
    let (code, script, err) = run(&["completions", "bash"]);
    assert_eq!(code, 0, "{err}");
    let tmp = tempfile::tempdir().unwrap();
    let script_path = tmp.path().join("flink-mesos.bash");
    std::fs::write(&script_path, script).unwrap();
    // A file that shows up whenever bash falls back to completing file names.
    let cwd = tmp.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    std::fs::write(cwd.join("zz-a-file"), "").unwrap();
    let complete = |line: &str| bash_complete(&script_path, &cwd, line);
    let offers = |line: &str, expected: &[&str]| {
        let got = complete(line);
        for word in expected {
            assert!(
                got.iter().any(|g| g == word),
                "{line:?} offers {got:?}, not {word}"
            );
        }
        assert!(
            !got.iter().any(|g| g == "zz-a-file"),
            "{line:?} offers file names: {got:?}"
        );
        got
    };

    offers(
        "flink-mesos ",
        &[
            "appmaster",
            "taskmanager",
            "validate-conf",
            "config",
            "workers",
            "local",
            "completions",
        ],
    );
    let local = offers("flink-mesos local ", &["up", "down", "status", "logs"]);
    assert!(
        local
            .iter()
            .all(|w| w.starts_with('-') || ["up", "down", "status", "logs"].contains(&w.as_str())),
        "flink-mesos local offers {local:?}"
    );
    assert_eq!(complete("flink-mesos local em"), Vec::<String>::new());
    assert_eq!(complete("flink-mesos local s"), ["status"]);
    offers("flink-mesos workers ", &["list", "show", "forget"]);
    offers("flink-mesos config ", &["show"]);
    assert_eq!(complete("flink-mesos local up --w"), ["--workers"]);
    assert_eq!(
        complete("flink-mesos local up --mesos "),
        ["real", "embedded", "auto"]
    );
    assert_eq!(complete("flink-mesos config show --a"), ["--all"]);
    assert_eq!(complete("flink-mesos workers list --i"), ["--interval"]);
    assert_eq!(complete("flink-mesos marathon-json --pre"), ["--pretty"]);
    assert_eq!(complete("flink-mesos --log-format "), ["text", "json"]);
}

/// Every hidden subcommand and flag of the clap tree (path, name).
fn hidden_items(cmd: &clap::Command, path: &str, out: &mut Vec<(String, String)>) {
    for arg in cmd.get_arguments().filter(|a| a.is_hide_set()) {
        if let Some(long) = arg.get_long() {
            out.push((path.to_owned(), format!("--{long}")));
        }
    }
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() {
            out.push((path.to_owned(), sub.get_name().to_owned()));
        }
        hidden_items(sub, &format!("{path} {}", sub.get_name()), out);
    }
}

#[test]
fn completions_leave_hidden_subcommands_and_flags_out() {
    let mut root = flink_mesos::cli::command();
    root.build();
    let mut hidden = Vec::new();
    hidden_items(&root, "flink-mesos", &mut hidden);
    assert!(
        hidden.contains(&("flink-mesos local".to_owned(), "embedded-mesos".to_owned())),
        "{hidden:?}"
    );
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, _) = run(&["completions", shell]);
        assert_eq!(code, 0);
        for (path, name) in &hidden {
            assert!(
                !out.contains(name.as_str()),
                "{shell} offers `{path} {name}`"
            );
        }
    }
}

/// `validate-conf` says where each `containerized.*.env.*` variable goes
/// (it said "passed to Flink unchanged"), that a secret one stays out of
/// the TaskInfo, and where the workers' Flink comes from (issue 27).
#[test]
fn validate_conf_explains_where_container_environment_and_flink_go() {
    let (code, out, err) = run(&[
        "validate-conf",
        "--strict",
        "-Dmesos.master=m:5050",
        "-Dmesos.resourcemanager.tasks.container.image.name=my-java:17",
        "-Dcontainerized.taskmanager.env.FLINK_HOME=/opt/flink",
        "-Dcontainerized.taskmanager.env.S3_SECRET=hunter2",
        "-Dcontainerized.master.env.TZ=UTC",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("passed to Flink unchanged"), "{out}");
    assert!(!out.contains("hunter2"), "{out}");
    assert!(
        out.contains("sets `FLINK_HOME` in every TaskManager's task environment"),
        "{out}"
    );
    assert!(
        out.contains(
            "sets `S3_SECRET` in every TaskManager JVM's environment; the value is secret"
        ),
        "{out}"
    );
    assert!(
        out.contains("sets `TZ` in the environment of the JobManager the appmaster runs"),
        "{out}"
    );
    assert!(
        out.contains("the TaskManagers run Flink from FLINK_HOME=/opt/flink"),
        "{out}"
    );
}
