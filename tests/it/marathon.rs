//! `flink-mesos marathon-json`: the generated app definitions, compared with
//! committed snapshots (tests/it/snapshots/marathon/; rewrite them with
//! FLINK_MESOS_UPDATE_GENERATED=1), checked against Marathon's app-definition
//! rules, and their `cmd` run through `/bin/sh -c` to prove that every
//! argument reaches the appmaster intact. `--deploy` is tested against a
//! local HTTP server that records what it receives.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};

const SECRET: &str = "s3cr3t-Fr4mework";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary with a clean environment (no configuration leaks in from the
/// machine running the tests).
fn bin() -> Command {
    let mut c = Command::cargo_bin("flink-mesos").unwrap();
    for var in [
        "FLINK_CONF_DIR",
        "FLINK_PROPERTIES",
        "FLINK_MESOS_MASTER",
        "FLINK_MESOS_FRAMEWORK_SECRET",
        "FLINK_SSL_KEYSTORE_PASSWORD",
        "FLINK_SSL_KEY_PASSWORD",
        "FLINK_SSL_TRUSTSTORE_PASSWORD",
        "MARATHON_PASSWORD",
    ] {
        c.env_remove(var);
    }
    c.env("NO_COLOR", "1").current_dir(root());
    c
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn run(c: &mut Command) -> Run {
    let o = c.output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into(),
        err: String::from_utf8_lossy(&o.stderr).into(),
    }
}

fn conf_dir(content: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flink-conf.yaml"), content).unwrap();
    dir
}

/// Runs marathon-json and returns the parsed definition (asserting success).
fn generate(args: &[&str], env: &[(&str, &str)]) -> (Value, Run) {
    let r = run(bin()
        .arg("marathon-json")
        .args(args)
        .envs(env.iter().copied()));
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.out, r.err);
    let app: Value =
        serde_json::from_str(&r.out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", r.out));
    (app, r)
}

fn updating() -> bool {
    std::env::var_os("FLINK_MESOS_UPDATE_GENERATED").is_some()
}

/// Compares the pretty JSON with the committed snapshot (or writes it).
fn snapshot(name: &str, app: &Value) {
    let path = root()
        .join("tests/it/snapshots/marathon")
        .join(format!("{name}.json"));
    let text = format!("{}\n", serde_json::to_string_pretty(app).unwrap());
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with FLINK_MESOS_UPDATE_GENERATED=1",
            path.display()
        )
    });
    assert_eq!(
        text,
        expected,
        "{} differs; if the change is intended, run with FLINK_MESOS_UPDATE_GENERATED=1",
        path.display()
    );
}

// --- Marathon's app-definition rules ------------------------------------------------

/// Checks an app definition against Marathon's published app schema (v2
/// REST API `App` type): required `id` with the PathId pattern, no unknown
/// properties at any level, `cmd` and `args` never both, types and ranges.
/// Plus the rules flink-mesos adds: at most one instance, an upgrade
/// strategy that never overlaps, ports referenced by `cmd` are declared.
fn marathon_violations(app: &Value) -> Vec<String> {
    let mut v = Vec::new();
    let Some(obj) = app.as_object() else {
        return vec!["the app definition is not an object".into()];
    };
    let known = [
        "id",
        "acceptedResourceRoles",
        "args",
        "backoffFactor",
        "backoffSeconds",
        "cmd",
        "constraints",
        "container",
        "cpus",
        "dependencies",
        "disk",
        "env",
        "executor",
        "fetch",
        "healthChecks",
        "instances",
        "labels",
        "maxLaunchDelaySeconds",
        "mem",
        "gpus",
        "ipAddress",
        "networks",
        "ports",
        "portDefinitions",
        "readinessChecks",
        "residency",
        "requirePorts",
        "secrets",
        "storeUrls",
        "taskKillGracePeriodSeconds",
        "upgradeStrategy",
        "uris",
        "user",
        "version",
        "versionInfo",
        "killSelection",
        "unreachableStrategy",
    ];
    unknown_keys(&mut v, "", obj, &known);
    let path_id =
        regex::Regex::new(r"^(\/?((\.{2})|([a-z0-9][a-z0-9\-.]*[a-z0-9]+)|([a-z0-9]*))($|\/))+$")
            .unwrap();
    match obj.get("id").and_then(Value::as_str) {
        None => v.push("`id` is required and must be a string".into()),
        Some(id) if id.is_empty() || !path_id.is_match(id) => {
            v.push(format!("`id` `{id}` does not match PathId"))
        }
        _ => {}
    }
    if obj.contains_key("cmd") && obj.contains_key("args") {
        v.push("`cmd` and `args` must not both be given".into());
    }
    let has_image = app.pointer("/container/docker/image").is_some();
    if !obj.contains_key("cmd") && !obj.contains_key("args") && !has_image {
        v.push("one of `cmd`, `args` or a container image is required".into());
    }
    if let Some(cmd) = obj.get("cmd") {
        if cmd.as_str().is_none_or(str::is_empty) {
            v.push("`cmd` must be a non-empty string".into());
        }
    }
    number(&mut v, app, "/cpus", 0.001, f64::INFINITY);
    number(&mut v, app, "/mem", 0.0, f64::INFINITY);
    number(&mut v, app, "/disk", 0.0, f64::INFINITY);
    integer(&mut v, app, "/instances", 0, 8);
    integer(&mut v, app, "/gpus", 0, i64::MAX);
    integer(&mut v, app, "/taskKillGracePeriodSeconds", 0, i64::MAX);
    if let Some(user) = obj.get("user") {
        if !user.is_string() {
            v.push("`user` must be a string".into());
        }
    }
    string_map(&mut v, app, "/labels");
    if let Some(env) = obj.get("env") {
        let env_name = regex::Regex::new(r"^[a-zA-Z_][a-zA-Z0-9_]*$").unwrap();
        for (name, value) in env.as_object().into_iter().flatten() {
            if !env_name.is_match(name) {
                v.push(format!("env name `{name}` is invalid"));
            }
            let secret_ref = value.as_object().is_some_and(|o| {
                o.len() == 1
                    && o.get("secret").and_then(Value::as_str).is_some_and(|s| {
                        app.pointer(&format!("/secrets/{s}/source"))
                            .is_some_and(Value::is_string)
                    })
            });
            if !value.is_string() && !secret_ref {
                v.push(format!(
                    "env `{name}` must be a string or a reference to a declared secret"
                ));
            }
        }
    }
    if let Some(secrets) = obj.get("secrets").and_then(Value::as_object) {
        for (name, s) in secrets {
            let ok = s
                .as_object()
                .is_some_and(|o| o.len() == 1 && o.get("source").is_some_and(Value::is_string));
            if !ok {
                v.push(format!("secret `{name}` must be {{\"source\": string}}"));
            }
        }
    }
    let ports = obj
        .get("portDefinitions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let port_name = regex::Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").unwrap();
    for (i, p) in ports.iter().enumerate() {
        let at = format!("/portDefinitions/{i}");
        unknown_keys(
            &mut v,
            &at,
            p.as_object().unwrap_or(&Default::default()),
            &["port", "protocol", "name", "labels"],
        );
        integer(&mut v, app, &format!("{at}/port"), 0, 65535);
        if !matches!(
            p.get("protocol").and_then(Value::as_str),
            None | Some("tcp" | "udp" | "tcp,udp" | "udp,tcp")
        ) {
            v.push(format!("{at}/protocol is invalid"));
        }
        if !p
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(|n| port_name.is_match(n))
        {
            v.push(format!("{at}/name is invalid"));
        }
    }
    if let Some(cmd) = obj.get("cmd").and_then(Value::as_str) {
        for m in regex::Regex::new(r"\$PORT(\d+)")
            .unwrap()
            .captures_iter(cmd)
        {
            let n: usize = m[1].parse().unwrap();
            if n >= ports.len() {
                v.push(format!(
                    "cmd uses $PORT{n} but only {} ports are declared",
                    ports.len()
                ));
            }
        }
    }
    for (i, hc) in obj
        .get("healthChecks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("/healthChecks/{i}");
        let keys = [
            "command",
            "gracePeriodSeconds",
            "ignoreHttp1xx",
            "intervalSeconds",
            "maxConsecutiveFailures",
            "path",
            "port",
            "portIndex",
            "protocol",
            "ipProtocol",
            "timeoutSeconds",
            "delaySeconds",
        ];
        unknown_keys(
            &mut v,
            &at,
            hc.as_object().unwrap_or(&Default::default()),
            &keys,
        );
        let protocols = [
            "HTTP",
            "HTTPS",
            "TCP",
            "COMMAND",
            "MESOS_TCP",
            "MESOS_HTTP",
            "MESOS_HTTPS",
        ];
        if !hc
            .get("protocol")
            .and_then(Value::as_str)
            .is_some_and(|p| protocols.contains(&p))
        {
            v.push(format!("{at}/protocol is invalid"));
        }
        for k in [
            "gracePeriodSeconds",
            "intervalSeconds",
            "maxConsecutiveFailures",
            "timeoutSeconds",
        ] {
            integer(&mut v, app, &format!("{at}/{k}"), 0, i64::MAX);
        }
        integer(
            &mut v,
            app,
            &format!("{at}/portIndex"),
            0,
            ports.len() as i64 - 1,
        );
    }
    match obj.get("upgradeStrategy") {
        Some(u) => {
            let keys = ["minimumHealthCapacity", "maximumOverCapacity"];
            unknown_keys(
                &mut v,
                "/upgradeStrategy",
                u.as_object().unwrap_or(&Default::default()),
                &keys,
            );
            for k in keys {
                number(&mut v, app, &format!("/upgradeStrategy/{k}"), 0.0, 0.0);
            }
        }
        None => v.push("upgradeStrategy is required for an appmaster (never two at once)".into()),
    }
    let operators = [
        "UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS",
    ];
    for c in obj
        .get("constraints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let parts: Vec<&str> = c
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let ok = c.as_array().is_some_and(|a| a.len() == parts.len())
            && (2..=3).contains(&parts.len())
            && operators.contains(&parts[1]);
        if !ok {
            v.push(format!("constraint {c} is invalid"));
        }
    }
    if let Some(c) = obj.get("container") {
        let keys = ["type", "docker", "appc", "volumes", "portMappings"];
        unknown_keys(
            &mut v,
            "/container",
            c.as_object().unwrap_or(&Default::default()),
            &keys,
        );
        if !matches!(
            c.get("type").and_then(Value::as_str),
            Some("MESOS" | "DOCKER")
        ) {
            v.push("/container/type must be MESOS or DOCKER".into());
        }
        if let Some(d) = c.get("docker") {
            let keys = [
                "credential",
                "forcePullImage",
                "image",
                "network",
                "parameters",
                "portMappings",
                "privileged",
            ];
            unknown_keys(
                &mut v,
                "/container/docker",
                d.as_object().unwrap_or(&Default::default()),
                &keys,
            );
            if d.get("image")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                v.push("/container/docker/image must be a non-empty string".into());
            }
            if !d.get("forcePullImage").is_none_or(Value::is_boolean) {
                v.push("/container/docker/forcePullImage must be a boolean".into());
            }
            for p in d
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let ok = p.as_object().is_some_and(|o| {
                    o.len() == 2
                        && o.get("key")
                            .and_then(Value::as_str)
                            .is_some_and(|k| !k.is_empty())
                        && o.get("value").is_some_and(Value::is_string)
                });
                if !ok {
                    v.push(format!("docker parameter {p} is invalid"));
                }
            }
        }
        for vol in c
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ok = vol.as_object().is_some_and(|o| {
                o.len() == 3
                    && o.get("containerPath")
                        .and_then(Value::as_str)
                        .is_some_and(|p| !p.is_empty())
                    && o.get("hostPath")
                        .and_then(Value::as_str)
                        .is_some_and(|p| !p.is_empty())
                    && matches!(o.get("mode").and_then(Value::as_str), Some("RO" | "RW"))
            });
            if !ok {
                v.push(format!("volume {vol} is invalid"));
            }
        }
    }
    v
}

fn unknown_keys(
    v: &mut Vec<String>,
    at: &str,
    obj: &serde_json::Map<String, Value>,
    known: &[&str],
) {
    for k in obj.keys() {
        if !known.contains(&k.as_str()) {
            v.push(format!("{at}/{k} is not a known property"));
        }
    }
}

fn number(v: &mut Vec<String>, app: &Value, at: &str, min: f64, max: f64) {
    if let Some(x) = app.pointer(at) {
        match x.as_f64() {
            Some(n) if n >= min && n <= max => {}
            _ => v.push(format!("{at} must be a number in [{min}, {max}], is {x}")),
        }
    }
}

fn integer(v: &mut Vec<String>, app: &Value, at: &str, min: i64, max: i64) {
    if let Some(x) = app.pointer(at) {
        match x.as_i64() {
            Some(n) if n >= min && n <= max => {}
            _ => v.push(format!("{at} must be an integer in [{min}, {max}], is {x}")),
        }
    }
}

fn string_map(v: &mut Vec<String>, app: &Value, at: &str) {
    if let Some(x) = app.pointer(at) {
        let ok = x
            .as_object()
            .is_some_and(|o| o.values().all(Value::is_string));
        if !ok {
            v.push(format!("{at} must map strings to strings"));
        }
    }
}

fn assert_marathon_valid(app: &Value) {
    let v = marathon_violations(app);
    assert!(v.is_empty(), "violations:\n{}\nin\n{app:#}", v.join("\n"));
}

#[test]
fn the_rule_checker_catches_violations() {
    let good = json!({
        "id": "/a/flink", "cmd": "x", "cpus": 1.0, "mem": 10, "instances": 1,
        "portDefinitions": [{"port": 0, "protocol": "tcp", "name": "rest"}],
        "healthChecks": [{"protocol": "HTTP", "path": "/", "portIndex": 0}],
        "upgradeStrategy": {"minimumHealthCapacity": 0, "maximumOverCapacity": 0},
    });
    assert_marathon_valid(&good);
    let bad = |patch: Value, expect: &str| {
        let mut app = good.clone();
        for (k, val) in patch.as_object().unwrap() {
            if val.is_null() {
                app.as_object_mut().unwrap().remove(k);
            } else {
                app[k] = val.clone();
            }
        }
        let v = marathon_violations(&app);
        assert!(
            v.iter().any(|m| m.contains(expect)),
            "{patch}: expected `{expect}` in {v:?}"
        );
    };
    bad(json!({"id": null}), "`id` is required");
    bad(json!({"id": "Flink"}), "does not match PathId");
    bad(json!({"id": "-flink"}), "does not match PathId");
    bad(json!({"args": ["a"]}), "must not both");
    bad(json!({"cmd": null}), "is required");
    bad(json!({"cpu": 1}), "/cpu is not a known property");
    bad(json!({"cpus": 0}), "/cpus must be");
    bad(json!({"mem": "1g"}), "/mem must be");
    bad(json!({"instances": 9}), "/instances must be");
    bad(json!({"cmd": "x -Dp=$PORT1"}), "$PORT1");
    bad(
        json!({"healthChecks": [{"protocol": "HTTP", "portIndex": 1}]}),
        "portIndex",
    );
    bad(
        json!({"upgradeStrategy": {"minimumHealthCapacity": 1, "maximumOverCapacity": 0}}),
        "minimumHealthCapacity",
    );
    bad(json!({"constraints": [["hostname", "NEAR"]]}), "constraint");
    bad(json!({"env": {"A": 1}}), "env `A`");
    bad(json!({"env": {"A": {"secret": "s"}}}), "env `A`");
    bad(
        json!({"container": {"type": "DOCKER", "docker": {"image": ""}}}),
        "image",
    );
    bad(
        json!({"container": {"type": "DOCKER", "volumes": [{"containerPath": "/c"}]}}),
        "volume",
    );
}

// --- running cmd through /bin/sh -c -------------------------------------------------

/// A fake Flink home whose `bin/mesos-appmaster.sh` prints its arguments,
/// NUL-terminated, so that newlines inside arguments survive.
fn fake_flink_home(parent: &Path, name: &str) -> PathBuf {
    let home = parent.join(name);
    std::fs::create_dir_all(home.join("bin")).unwrap();
    let script = home.join("bin/mesos-appmaster.sh");
    std::fs::write(&script, "#!/bin/sh\nprintf '%s\\0' \"$@\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    home
}

/// Runs `cmd` the way Marathon does (`/bin/sh -c`), with the ports Marathon
/// would assign, and returns the arguments the appmaster received.
/// `flink-mesos` on the PATH is a stand-in that prints its arguments like
/// [`fake_flink_home`]'s script (the default entrypoint, `flink-mesos
/// appmaster`); its leading `appmaster` is dropped, so that both entrypoints
/// give the appmaster's own arguments.
fn appmaster_args(cmd: &str, env: &[(&str, &str)]) -> Vec<String> {
    let fake_bin = tempfile::tempdir().unwrap();
    let fake = fake_flink_home(fake_bin.path(), "fake");
    std::fs::copy(
        fake.join("bin/mesos-appmaster.sh"),
        fake_bin.path().join("flink-mesos"),
    )
    .unwrap();
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .env_clear()
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", fake_bin.path().display()),
        )
        .envs([
            ("PORT0", "31000"),
            ("PORT1", "31001"),
            ("PORT2", "31002"),
            ("PORT3", "31003"),
            ("PORT4", "31004"),
        ])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd}\nfailed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut args: Vec<String> = text.split('\0').map(String::from).collect();
    assert_eq!(
        args.pop().as_deref(),
        Some(""),
        "output not NUL-terminated: {text:?}"
    );
    if cmd.starts_with("exec flink-mesos appmaster ") {
        assert_eq!(args.first().map(String::as_str), Some("appmaster"));
        args.remove(0);
    }
    // A generated cmd puts the status endpoint on the last Marathon port
    // (the health check asks its /health; the snapshots show it); the rest
    // is what each test looks at.
    if let Some(i) = args.iter().position(|a| a == "--status-port") {
        assert_eq!(
            args.get(i + 1).map(String::as_str),
            Some("31004"),
            "{args:?}"
        );
        args.drain(i..i + 2);
    }
    args
}

/// The arguments `cmd` delivers are a valid `flink-mesos appmaster` command
/// line (what the drop-in script runs), with every property intact.
fn assert_appmaster_accepts(args: &[String]) {
    use clap::Parser;
    let argv = ["flink-mesos", "appmaster"]
        .into_iter()
        .map(String::from)
        .chain(args.iter().cloned());
    let cli =
        flink_mesos::cli::Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(matches!(
        cli.command,
        flink_mesos::cli::Command::Appmaster(_)
    ));
    let props: Vec<String> = args
        .iter()
        .filter_map(|a| a.strip_prefix("-D"))
        .map(String::from)
        .collect();
    assert_eq!(cli.global.dynamic, props);
}

fn cmd_of(app: &Value) -> &str {
    app["cmd"].as_str().expect("cmd is a string")
}

const PORT_ARGS: [&str; 4] = [
    "-Drest.port=31000",
    "-Djobmanager.rpc.port=31001",
    "-Dblob.server.port=31002",
    "-Dmesos.resourcemanager.artifactserver.port=31003",
];

/// The seed's Marathon example: its -D properties on top of a file with the master.
#[test]
fn seed_example() {
    let conf = conf_dir("mesos.master: master.foobar.org:5050\n");
    let seed_props = [
        "-Djobmanager.heap.mb=1024",
        "-Djobmanager.rpc.port=6123",
        "-Djobmanager.web.port=8081",
        "-Dmesos.initial-tasks=1",
        "-Dmesos.resourcemanager.tasks.mem=1024",
        "-Dtaskmanager.heap.mb=1024",
        "-Dtaskmanager.numberOfTaskSlots=2",
        "-Dparallelism.default=2",
        "-Dmesos.resourcemanager.tasks.cpus=1",
    ];
    let mut args = vec!["--conf-dir", conf.path().to_str().unwrap()];
    args.extend(seed_props);
    let (app, r) = generate(&args, &[]);
    snapshot("seed", &app);
    assert_marathon_valid(&app);
    // Heap 1024 + JVM overhead 576 + appmaster 128.
    assert_eq!(app["mem"], 1728);
    assert_eq!(app["id"], "flink");
    // The fixed ports become Marathon's; the operator is told.
    assert!(
        r.err.contains(
            "`jobmanager.rpc.port` from -D is replaced by the port Marathon assigns (`$PORT1`"
        ),
        "{}",
        r.err
    );
    assert!(
        r.err.contains("`jobmanager.web.port` from -D is replaced"),
        "{}",
        r.err
    );
    assert!(
        r.err.contains("note: high availability is not configured"),
        "{}",
        r.err
    );

    let tmp = tempfile::tempdir().unwrap();
    let home = fake_flink_home(tmp.path(), "flink home");
    let got = appmaster_args(cmd_of(&app), &[("FLINK_HOME", home.to_str().unwrap())]);
    let mut expected: Vec<&str> = seed_props
        .iter()
        .copied()
        .filter(|p| !p.contains(".port="))
        .collect();
    expected.sort();
    expected.extend(PORT_ARGS);
    assert_eq!(got, expected);
    assert_appmaster_accepts(&got);
}

/// Flink 2.x `config.yaml` with Docker containers: the appmaster runs in the same image.
#[test]
fn docker_configuration() {
    let (app, _) = generate(
        &[
            "--conf-dir",
            "examples/flink2-conf",
            "-Dmesos.master=zk://zk1:2181/mesos",
            "--id",
            "/analytics/flink",
        ],
        &[],
    );
    snapshot("docker", &app);
    assert_marathon_valid(&app);
    assert_eq!(app["container"]["type"], "DOCKER");
    assert_eq!(app["container"]["docker"]["image"], "flink:2.3");
    assert_eq!(
        app["container"]["docker"]["parameters"],
        json!([{"key": "env", "value": "FLINK_ENV=prod"}, {"key": "log-driver", "value": "journald"}])
    );
    let tmp = tempfile::tempdir().unwrap();
    let got = appmaster_args(
        cmd_of(&app),
        &[(
            "FLINK_HOME",
            fake_flink_home(tmp.path(), "f").to_str().unwrap(),
        )],
    );
    let mut expected = vec!["-Dmesos.master=zk://zk1:2181/mesos"];
    expected.extend(PORT_ARGS);
    assert_eq!(got, expected);

    // --docker-image overrides the image and keeps the configured settings.
    let (app, _) = generate(
        &[
            "--conf-dir",
            "examples/flink2-conf",
            "-Dmesos.master=m:5050",
            "--docker-image",
            "registry.example.org/flink-mesos:1",
        ],
        &[],
    );
    assert_eq!(
        app["container"]["docker"]["image"],
        "registry.example.org/flink-mesos:1"
    );
    assert_marathon_valid(&app);
}

/// `--image` runs the appmaster in a Docker container and, when no task image
/// is configured, the TaskManagers in the same image (issue 27).
#[test]
fn the_image_flag_runs_the_appmaster_and_by_default_the_taskmanagers_in_that_image() {
    let image_key = "mesos.resourcemanager.tasks.container.image.name";
    let type_key = "mesos.resourcemanager.tasks.container.type";
    let tasks_in = |extra: &[&str]| {
        let mut args = vec![
            "-Dmesos.master=m:5050",
            "--image",
            "registry.example.org/flink:2.3",
        ];
        args.extend_from_slice(extra);
        let (app, r) = generate(&args, &[]);
        assert_marathon_valid(&app);
        assert_eq!(app["container"]["type"], "DOCKER");
        assert_eq!(
            app["container"]["docker"]["image"],
            "registry.example.org/flink:2.3"
        );
        let got = appmaster_args(cmd_of(&app), &[]);
        assert_appmaster_accepts(&got);
        let value = |key: &str| {
            let prefix = format!("-D{key}=");
            let all: Vec<&str> = got.iter().filter_map(|a| a.strip_prefix(&prefix)).collect();
            assert!(all.len() <= 1, "{key} twice: {got:?}");
            all.first().map(|v| v.to_string())
        };
        (value(image_key), value(type_key), r.err)
    };
    // No task image: the same one, in the Docker containerizer.
    let (image, kind, notes) = tasks_in(&[]);
    assert_eq!(image.as_deref(), Some("registry.example.org/flink:2.3"));
    assert_eq!(kind.as_deref(), Some("docker"));
    assert!(
        notes.contains(
            "the TaskManagers run in the appmaster's image `registry.example.org/flink:2.3` too"
        ),
        "{notes}"
    );
    // A configured container type is kept.
    let (image, kind, _) = tasks_in(&[&format!("-D{type_key}=mesos")]);
    assert_eq!(image.as_deref(), Some("registry.example.org/flink:2.3"));
    assert_eq!(kind.as_deref(), Some("mesos"));
    // A configured task image is the TaskManagers'.
    let (image, kind, notes) = tasks_in(&[&format!("-D{image_key}=flink-tm:2.3")]);
    assert_eq!(image.as_deref(), Some("flink-tm:2.3"));
    assert_eq!(kind, None);
    assert!(!notes.contains("appmaster's image"), "{notes}");
}

/// ZooKeeper HA from the example configuration; the framework secret comes
/// from the environment and is referenced from Marathon's secret store.
#[test]
fn ha_configuration() {
    let (app, r) = generate(
        &[
            "--conf-dir",
            "examples/conf",
            "--secret-store",
            "flink/prod",
            "--constraint",
            "hostname:UNIQUE",
            "--label",
            "team=data",
            "--env",
            "JAVA_TOOL_OPTIONS=-Xss1m",
            "--disk",
            "512",
            "--cpus",
            "2",
        ],
        &[("FLINK_MESOS_FRAMEWORK_SECRET", SECRET)],
    );
    snapshot("ha", &app);
    assert_marathon_valid(&app);
    // With high availability standbys are safe: more instances are allowed.
    let (standbys, _) = generate(
        &["--conf-dir", "examples/conf", "--instances", "2"],
        &[("FLINK_MESOS_FRAMEWORK_SECRET", SECRET)],
    );
    assert_eq!(standbys["instances"], 2);
    let text = app.to_string();
    assert!(!text.contains(SECRET) && !r.out.contains(SECRET) && !r.err.contains(SECRET));
    assert_eq!(
        app["env"]["FLINK_MESOS_FRAMEWORK_SECRET"],
        json!({"secret": "flink-mesos-framework-secret"})
    );
    assert_eq!(
        app["secrets"]["flink-mesos-framework-secret"]["source"],
        "flink/prod/flink-mesos-framework-secret"
    );
    assert!(r.err.contains("$FLINK_MESOS_FRAMEWORK_SECRET"), "{}", r.err);
    assert!(!r.err.contains("high availability is not configured"));

    let tmp = tempfile::tempdir().unwrap();
    let home = fake_flink_home(tmp.path(), "flink");
    let got = appmaster_args(cmd_of(&app), &[("FLINK_HOME", home.to_str().unwrap())]);
    let mut expected = vec![
        "--keep-framework",
        "-Dhigh-availability.type=zookeeper",
        "-Dhigh-availability.zookeeper.quorum=zk1.example.org:2181,zk2.example.org:2181,zk3.example.org:2181",
        "-Dhigh-availability.storageDir=hdfs:///flink/recovery",
        "-Dhigh-availability.zookeeper.path.mesos-workers=/mesos-workers",
    ];
    expected.extend(PORT_ARGS);
    expected.push("-Dhigh-availability.jobmanager.port=31001");
    assert_eq!(got, expected);
    assert_appmaster_accepts(&got);

    // Without a secret store the secret is left out and the operator is told how to provide it.
    let (app, r) = generate(
        &["--conf-dir", "examples/conf"],
        &[("FLINK_MESOS_FRAMEWORK_SECRET", SECRET)],
    );
    assert!(app.get("secrets").is_none() && app.get("env").is_none());
    assert!(!app.to_string().contains(SECRET) && !r.err.contains(SECRET));
    assert!(
        r.err.contains("`mesos.resourcemanager.framework.secret` (from env FLINK_MESOS_FRAMEWORK_SECRET) is not written into the app definition"),
        "{}",
        r.err
    );
}

/// Values with spaces, quotes, `$`, `=`, backslashes, backquotes, globs,
/// newlines and non-ASCII reach the appmaster byte for byte.
#[test]
fn awkward_values_arrive_intact() {
    let conf = conf_dir(
        "mesos.master: m:5050\nmesos.resourcemanager.framework.name: Team's \"Flink\" $1\n",
    );
    let awkward = [
        "env.java.opts=-Dlog.file=\"/var/log/a b.log\" -Dx='y'",
        "mesos.resourcemanager.tasks.bootstrap-cmd=echo $HOME `id` $(id) && ls *; exit 0",
        "my.key=a=b=c",
        "my.backslash=C:\\path\\n\\\\",
        "my.newline=line1\nline2",
        "my.unicode=größe ✓",
        "my.glob=*",
        "my.tilde=~root",
        "my.quote='",
    ];
    let mut args = vec![
        "--conf-dir".to_string(),
        conf.path().to_str().unwrap().to_string(),
    ];
    args.extend(awkward.iter().map(|a| format!("-D{a}")));
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (app, _) = generate(&arg_refs, &[("FLINK_PROPERTIES", "my.from-env: x y $z")]);
    snapshot("awkward", &app);
    assert_marathon_valid(&app);
    assert_eq!(app["id"], "team-s-flink-1");

    let tmp = tempfile::tempdir().unwrap();
    let home = fake_flink_home(tmp.path(), "it's a $HOME");
    let got = appmaster_args(cmd_of(&app), &[("FLINK_HOME", home.to_str().unwrap())]);
    let mut expected: BTreeMap<String, ()> =
        awkward.iter().map(|a| (format!("-D{a}"), ())).collect();
    expected.insert("-Dmy.from-env=x y $z".into(), ());
    let mut expected: Vec<String> = expected.into_keys().collect();
    expected.extend(PORT_ARGS.iter().map(|s| s.to_string()));
    assert_eq!(got, expected);
    assert_appmaster_accepts(&got);

    // --flink-home with the same awkward path, quoted into cmd.
    let mut args2 = arg_refs.clone();
    let home_str = home.to_str().unwrap().to_string();
    args2.extend(["--entrypoint", "script", "--flink-home", &home_str]);
    let (app2, _) = generate(&args2, &[("FLINK_PROPERTIES", "my.from-env: x y $z")]);
    assert_eq!(appmaster_args(cmd_of(&app2), &[]), expected);

    // The binary entrypoint: `flink-mesos appmaster` from the PATH.
    let bin_dir = tmp.path().join("bin dir");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::fs::copy(
        home.join("bin/mesos-appmaster.sh"),
        bin_dir.join("flink-mesos"),
    )
    .unwrap();
    let mut args3 = arg_refs.clone();
    args3.extend(["--entrypoint", "binary"]);
    let (app3, _) = generate(&args3, &[("FLINK_PROPERTIES", "my.from-env: x y $z")]);
    let path = format!("{}:/usr/bin:/bin", bin_dir.display());
    let got = appmaster_args(cmd_of(&app3), &[("PATH", &path)]);
    assert_eq!(got, expected);
    // With --flink-home, the appmaster is told where Flink is.
    let mut args4 = arg_refs.clone();
    args4.extend(["--flink-home", &home_str]);
    let (app4, _) = generate(&args4, &[("FLINK_PROPERTIES", "my.from-env: x y $z")]);
    let got = appmaster_args(cmd_of(&app4), &[]);
    assert_eq!(got[..2], ["--flink-home".to_string(), home_str.clone()]);
    assert_eq!(&got[2..], &expected[..]);
    assert_appmaster_accepts(&got);
}

#[test]
fn unset_flink_home_fails_clearly_on_the_agent() {
    let conf = conf_dir("mesos.master: m:5050\n");
    let (app, r) = generate(
        &[
            "--conf-dir",
            conf.path().to_str().unwrap(),
            "--entrypoint",
            "script",
        ],
        &[],
    );
    assert!(
        r.err
            .contains("which no Flink since 1.14 ships: copy commands/mesos-appmaster.sh there"),
        "{}",
        r.err
    );
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd_of(&app))
        .env_clear()
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("FLINK_HOME: not set"));
}

// --- YAML ---------------------------------------------------------------------------

/// Reads YAML into a JSON value with YAML 1.1's plain-scalar typing (the
/// strictest reader: `yes`, `on`, `n` are booleans there), so a string the
/// renderer left unquoted must come back as the same string.
fn yaml_to_json(text: &str) -> Value {
    use saphyr_parser::{Event, Parser, ScalarStyle};
    enum Frame {
        Map(serde_json::Map<String, Value>, Option<String>),
        Seq(Vec<Value>),
    }
    fn typed(s: &str) -> Value {
        match s {
            "null" | "~" | "" => return Value::Null,
            "true" | "yes" | "on" | "y" => return json!(true),
            "false" | "no" | "off" | "n" => return json!(false),
            _ => {}
        }
        if let Ok(i) = s.parse::<i64>() {
            return json!(i);
        }
        if let Ok(f) = s.parse::<f64>() {
            return json!(f);
        }
        json!(s)
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut result = Value::Null;
    let push = |stack: &mut Vec<Frame>, v: Value, result: &mut Value| match stack.last_mut() {
        Some(Frame::Map(m, key)) => match key.take() {
            Some(k) => {
                m.insert(k, v);
            }
            None => *key = Some(v.as_str().expect("string keys").to_string()),
        },
        Some(Frame::Seq(s)) => s.push(v),
        None => *result = v,
    };
    for ev in Parser::new_from_str(text) {
        let (ev, _) = ev.expect("valid YAML");
        match ev {
            Event::MappingStart(..) => stack.push(Frame::Map(Default::default(), None)),
            Event::SequenceStart(..) => stack.push(Frame::Seq(Vec::new())),
            Event::MappingEnd => {
                let Some(Frame::Map(m, _)) = stack.pop() else {
                    panic!()
                };
                push(&mut stack, Value::Object(m), &mut result);
            }
            Event::SequenceEnd => {
                let Some(Frame::Seq(s)) = stack.pop() else {
                    panic!()
                };
                push(&mut stack, Value::Array(s), &mut result);
            }
            Event::Scalar(s, style, ..) => {
                let is_key = matches!(stack.last(), Some(Frame::Map(_, None)));
                let v = if style == ScalarStyle::Plain && !is_key {
                    typed(&s)
                } else {
                    json!(s.as_ref())
                };
                push(&mut stack, v, &mut result);
            }
            _ => {}
        }
    }
    result
}

#[test]
fn yaml_output_is_the_same_definition() {
    for (args, env) in [
        (
            vec!["--conf-dir", "examples/conf"],
            vec![("FLINK_MESOS_FRAMEWORK_SECRET", SECRET)],
        ),
        (
            vec![
                "--conf-dir",
                "examples/flink2-conf",
                "-Dmesos.master=m:5050",
                "-Dmy.odd=yes: no # {x}",
            ],
            vec![],
        ),
        (
            vec![
                "--conf-dir",
                "examples/conf",
                "--secret-store",
                "s",
                "--label",
                "on=off",
                "--env",
                "Y=n",
            ],
            vec![("FLINK_MESOS_FRAMEWORK_SECRET", SECRET)],
        ),
    ] {
        let (json_app, _) = generate(&args, &env);
        let mut yaml_args = args.clone();
        yaml_args.extend(["--format", "yaml"]);
        let r = run(bin()
            .arg("marathon-json")
            .args(&yaml_args)
            .envs(env.iter().copied()));
        assert_eq!(r.code, 0, "{}", r.err);
        assert_eq!(yaml_to_json(&r.out), json_app, "YAML:\n{}", r.out);
    }
}

#[test]
fn pretty_and_compact_json_agree() {
    let (compact, r) = generate(&["--conf-dir", "examples/conf"], &[]);
    assert_eq!(r.out.lines().count(), 1);
    let (pretty, r) = generate(&["--conf-dir", "examples/conf", "--pretty"], &[]);
    assert!(r.out.lines().count() > 10);
    assert_eq!(compact, pretty);
}

// --- errors -------------------------------------------------------------------------

#[test]
fn configuration_errors_block_generation() {
    let conf =
        conf_dir("mesos.master: m:5050\nmesos.initial-tasks: many\nhigh-availability: zookeeper\n");
    let r = run(bin().args(["marathon-json", "--conf-dir", conf.path().to_str().unwrap()]));
    assert_eq!(r.code, 1);
    assert!(r.out.is_empty(), "{}", r.out);
    assert!(
        r.err.contains(
            "flink-conf.yaml:2:22: error: `mesos.initial-tasks`: `many` is not a whole number"
        ),
        "{}",
        r.err
    );
    assert!(
        r.err
            .contains("`high-availability.zookeeper.quorum`: is required"),
        "{}",
        r.err
    );
    // The master is required as for the appmaster itself.
    let empty = conf_dir("");
    let r = run(bin().args([
        "marathon-json",
        "--conf-dir",
        empty.path().to_str().unwrap(),
    ]));
    assert_eq!(r.code, 1);
    assert!(r.err.contains("`mesos.master`: is not set"), "{}", r.err);
}

#[test]
fn bad_flags_exit_2_naming_the_rule() {
    let conf = conf_dir("mesos.master: m:5050\n");
    let c = conf.path().to_str().unwrap();
    for (args, expected) in [
        (
            vec!["--id", "Flink"],
            "--id `Flink` is not a valid Marathon app id: the name `Flink` contains `F`",
        ),
        (vec!["--id", "/a//b"], "it has an empty name"),
        (
            vec!["--id", "flink-"],
            "begins or ends with a dash or a dot",
        ),
        (
            vec!["--instances", "2"],
            "only one appmaster may run at a time without high availability",
        ),
        (
            vec!["--cpus", "0"],
            "--cpus `0`: must be a number of at least 0.001",
        ),
        (vec!["--constraint", "hostname:NEAR"], "unknown operator"),
        (
            vec!["--env", "FLINK_MESOS_FRAMEWORK_SECRET=hunter2"],
            "would write a secret into the app definition",
        ),
        (
            vec!["--label", "novalue"],
            "--label `novalue`: expected KEY=VALUE",
        ),
        (vec!["--deploy", "ftp://m"], "use Marathon's address"),
        (
            vec!["--deploy", "http://m:8080", "--format", "yaml"],
            "'--deploy <URL>' cannot be used with '--format <FORMAT>'",
        ),
        (
            vec!["--deploy", "http://u:p@m:8080"],
            "put no credentials in the URL",
        ),
        (
            vec!["--deploy", "http://m:8080", "--deploy-user", "u"],
            "set $MARATHON_PASSWORD",
        ),
    ] {
        let r = run(bin().args(["marathon-json", "--conf-dir", c]).args(&args));
        assert_eq!(r.code, 2, "{args:?}: {}", r.err);
        assert!(r.err.contains(expected), "{args:?}: {}", r.err);
        assert!(r.out.is_empty());
        assert!(!r.err.contains("hunter2"));
    }
}

// --- --deploy -----------------------------------------------------------------------

/// What the fake Marathon received.
#[derive(Debug)]
struct Received {
    request_line: String,
    headers: BTreeMap<String, String>,
    body: String,
}

/// Reads one HTTP/1.1 request from `stream`, answers it and returns what it received.
fn serve_one(
    mut stream: impl Read + Write,
    status: &str,
    answer: &str,
) -> std::io::Result<Received> {
    let (request_line, headers, body) = {
        let mut reader = BufReader::new(&mut stream);
        let mut request_line = String::new();
        reader.read_line(&mut request_line)?;
        let mut headers = BTreeMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(':').unwrap_or((line, ""));
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
        let len: usize = headers
            .get("content-length")
            .map_or(0, |l| l.parse().unwrap());
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        (request_line, headers, body)
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    )?;
    stream.flush()?;
    Ok(Received {
        request_line: request_line.trim_end().to_string(),
        headers,
        body: String::from_utf8(body).unwrap(),
    })
}

/// Serves one request on a free loopback port with the given answer and
/// hands back what it received.
fn fake_marathon(
    status: &'static str,
    answer: &'static str,
) -> (String, std::thread::JoinHandle<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        serve_one(stream, status, answer).unwrap()
    });
    (url, handle)
}

#[test]
fn deploy_puts_the_definition_with_basic_auth() {
    let args = [
        "marathon-json",
        "--conf-dir",
        "examples/conf",
        "--id",
        "/analytics/flink",
    ];
    let (expected, _) = generate(&args[1..], &[]);
    let (url, server) = fake_marathon(
        "201 Created",
        r#"{"version":"2026-11-25T10:00:00.000Z","deploymentId":"5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43"}"#,
    );
    let r = run(bin()
        .args(args)
        .args([
            "--deploy",
            &format!("{url}/"),
            "--deploy-user",
            "ops",
            "--deploy-force",
        ])
        .env("MARATHON_PASSWORD", "pa:ss wörd"));
    let got = server.join().unwrap();
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        got.request_line,
        "PUT /v2/apps/analytics/flink?force=true HTTP/1.1"
    );
    // "ops:pa:ss wörd" in base64 (RFC 7617, UTF-8).
    assert_eq!(got.headers["authorization"], "Basic b3BzOnBhOnNzIHfDtnJk");
    assert_eq!(got.headers["content-type"], "application/json");
    let sent: Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(sent, expected);
    assert!(!r.err.contains("pa:ss") && !r.out.contains("pa:ss"));
    // Marathon's answer on stdout, a summary on stderr.
    let answer: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(
        answer["deploymentId"],
        "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43"
    );
    assert!(
        r.err
            .contains("deployed `/analytics/flink` to http://127.0.0.1:"),
        "{}",
        r.err
    );
    assert!(r.err.contains("201 Created"), "{}", r.err);
}

#[test]
fn deploy_shows_marathons_refusal() {
    let (url, server) = fake_marathon(
        "422 Unprocessable Entity",
        r#"{"message":"Object is not valid","details":[{"path":"/cpus","errors":["error.min"]}]}"#,
    );
    let r = run(bin().args([
        "marathon-json",
        "--conf-dir",
        "examples/conf",
        "--deploy",
        &url,
    ]));
    let got = server.join().unwrap();
    assert_eq!(got.request_line, "PUT /v2/apps/flink HTTP/1.1");
    assert!(!got.headers.contains_key("authorization"));
    assert_eq!(r.code, 1);
    assert!(r.out.is_empty());
    assert!(
        r.err.contains("error: Marathon at http://127.0.0.1:")
            && r.err.contains(
                "PUT /v2/apps/flink answered 422 Unprocessable Entity: Object is not valid"
            )
            && r.err.contains("error.min")
            && r.err.contains("Marathon rejected the definition"),
        "{}",
        r.err
    );

    let (url, server) = fake_marathon(
        "409 Conflict",
        r#"{"message":"App is locked by one or more deployments."}"#,
    );
    let r = run(bin().args([
        "marathon-json",
        "--conf-dir",
        "examples/conf",
        "--deploy",
        &url,
    ]));
    server.join().unwrap();
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("App is locked") && r.err.contains("--deploy-force"),
        "{}",
        r.err
    );
}

#[test]
fn deploy_to_nothing_is_a_peer_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = run(bin().args([
        "marathon-json",
        "--conf-dir",
        "examples/conf",
        "--deploy",
        &format!("http://127.0.0.1:{port}"),
    ]));
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains(&format!(
            "error: Marathon at http://127.0.0.1:{port}: PUT /v2/apps/flink:"
        )),
        "{}",
        r.err
    );
}

/// A fake Marathon behind TLS with a certificate for 127.0.0.1 from a fresh
/// CA; returns the URL, the CA's PEM and the server thread (which reports
/// the failed handshake when the client does not trust the CA).
fn fake_marathon_tls() -> (
    String,
    String,
    std::thread::JoinHandle<Result<Received, String>>,
) {
    use std::sync::Arc;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "flink-mesos test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server_cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![server_cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
        let conn = rustls::ServerConnection::new(Arc::new(config)).map_err(|e| e.to_string())?;
        serve_one(
            rustls::StreamOwned::new(conn, tcp),
            "200 OK",
            r#"{"deploymentId":"tls"}"#,
        )
        .map_err(|e| e.to_string())
    });
    (url, ca.pem(), handle)
}

#[test]
fn deploy_over_https_trusts_the_given_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (url, ca_pem, server) = fake_marathon_tls();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let r = run(bin()
        .args([
            "marathon-json",
            "--conf-dir",
            "examples/conf",
            "--deploy",
            &url,
            "--deploy-ca",
        ])
        .arg(&ca));
    let got = server.join().unwrap().expect("TLS request");
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(got.request_line, "PUT /v2/apps/flink HTTP/1.1");
    assert!(r.out.contains(r#""deploymentId": "tls""#), "{}", r.out);

    // Without the CA the certificate is not trusted: a peer error, nothing sent.
    let (url, _, server) = fake_marathon_tls();
    let r = run(bin().args([
        "marathon-json",
        "--conf-dir",
        "examples/conf",
        "--deploy",
        &url,
    ]));
    assert!(server.join().unwrap().is_err(), "the handshake must fail");
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("error: Marathon at https://127.0.0.1:"),
        "{}",
        r.err
    );
}

#[test]
fn deploy_ca_must_hold_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate\n").unwrap();
    let r = run(bin()
        .args([
            "marathon-json",
            "--conf-dir",
            "examples/conf",
            "--deploy",
            "https://m:8443",
            "--deploy-ca",
        ])
        .arg(&ca));
    assert_eq!(r.code, 1);
    assert!(r.err.contains("no certificate found"), "{}", r.err);
    let r = run(bin().args([
        "marathon-json",
        "--conf-dir",
        "examples/conf",
        "--deploy",
        "https://m:8443",
        "--deploy-ca",
        "/nonexistent/ca.pem",
    ]));
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("cannot read /nonexistent/ca.pem"),
        "{}",
        r.err
    );
}

/// `--inline-config`: the file's values go into cmd too, secrets still do not.
#[test]
fn inline_config_puts_the_file_into_cmd() {
    let conf = conf_dir(
        "mesos.master: m:5050\nmesos.initial-tasks: 3\njobmanager.web.port: 8081\n\
         security.ssl.keystore-password: hunter2\nmy.opts: a b\n",
    );
    let (app, r) = generate(
        &[
            "--conf-dir",
            conf.path().to_str().unwrap(),
            "--inline-config",
            "-Dmesos.initial-tasks=4",
        ],
        &[],
    );
    assert_marathon_valid(&app);
    assert!(!app.to_string().contains("hunter2") && !r.err.contains("hunter2"));
    assert!(
        r.err.contains("`security.ssl.keystore-password` (from "),
        "{}",
        r.err
    );
    assert!(r.err.contains("$FLINK_SSL_KEYSTORE_PASSWORD"), "{}", r.err);
    assert!(!r.err.contains("FLINK_CONF_DIR"), "{}", r.err);
    let tmp = tempfile::tempdir().unwrap();
    let home = fake_flink_home(tmp.path(), "flink");
    let got = appmaster_args(cmd_of(&app), &[("FLINK_HOME", home.to_str().unwrap())]);
    let mut expected = vec![
        "-Dmesos.initial-tasks=4",
        "-Dmesos.master=m:5050",
        "-Dmy.opts=a b",
    ];
    expected.extend(PORT_ARGS);
    assert_eq!(got, expected);

    // Without it the appmaster is told where its file must be.
    let (_, r) = generate(&["--conf-dir", conf.path().to_str().unwrap()], &[]);
    assert!(r.err.contains("--env FLINK_CONF_DIR=DIR"), "{}", r.err);
    let (_, r) = generate(
        &[
            "--conf-dir",
            conf.path().to_str().unwrap(),
            "--env",
            "FLINK_CONF_DIR=/etc/flink",
        ],
        &[],
    );
    assert!(!r.err.contains("--env FLINK_CONF_DIR=DIR"), "{}", r.err);
}

// --- properties -----------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Text with everything a shell or a YAML reader might trip over.
    fn awkward_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                any::<char>().prop_filter("no NUL", |c| *c != '\0'),
                proptest::sample::select(vec![
                    '\'', '"', '\\', '$', '`', '!', '*', '?', '[', '~', '#', ';', '&', '|', '<',
                    '>', '(', ')', '{', '}', ' ', '\t', '\n', '\r', '=', ':', '-', '%', '@',
                ]),
            ],
            0..24,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Any word, quoted, reaches a program through `/bin/sh -c` unchanged.
        #[test]
        fn shell_quote_survives_sh(words in proptest::collection::vec(awkward_text(), 1..4)) {
            let quoted: Vec<String> = words.iter().map(|w| flink_mesos::marathon::shell_quote(w)).collect();
            let cmd = format!("printf '%s\\0' {}", quoted.join(" "));
            prop_assert_eq!(appmaster_args(&cmd, &[]), words);
        }

        /// YAML output reads back as the same value, with YAML 1.1 typing.
        #[test]
        fn yaml_reads_back(key in awkward_text(), value in awkward_text(), n in any::<i32>()) {
            let doc = json!({"k": value, "list": [value, n, {"inner": value}], "m": {key.clone(): value}});
            let yaml = flink_mesos::marathon::to_yaml(&doc);
            prop_assert_eq!(yaml_to_json(&yaml), doc, "{}", yaml);
        }
    }
}

/// `--entrypoint script` with a Flink directory on this machine: a missing
/// `bin/mesos-appmaster.sh` (no Flink since 1.14 ships it) or Flink's own
/// (which starts Flink's Mesos mode) is named with the fix.
#[test]
fn a_missing_or_foreign_mesos_appmaster_script_is_named() {
    let conf = conf_dir("mesos.master: m:5050\n");
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("flink-1.18.1");
    std::fs::create_dir_all(home.join("lib")).unwrap();
    std::fs::create_dir_all(home.join("conf")).unwrap();
    std::fs::write(home.join("lib/flink-dist-1.18.1.jar"), b"x").unwrap();
    let home_str = home.to_str().unwrap();
    let args = [
        "--conf-dir",
        conf.path().to_str().unwrap(),
        "--entrypoint",
        "script",
        "--flink-home",
        home_str,
    ];
    let (app, r) = generate(&args, &[]);
    assert!(cmd_of(&app).contains("bin/mesos-appmaster.sh"));
    assert!(
        r.err.contains(&format!(
            "warning: {home_str}/bin/mesos-appmaster.sh does not exist (Flink 1.18.1): no Flink since 1.14 ships it; copy commands/mesos-appmaster.sh there"
        )),
        "{}",
        r.err
    );
    // Flink 1.13's own script.
    std::fs::create_dir_all(home.join("bin")).unwrap();
    std::fs::write(
        home.join("bin/mesos-appmaster.sh"),
        "#!/usr/bin/env bash\nexec $JAVA_RUN org.apache.flink.mesos.entrypoint.MesosSessionClusterEntrypoint \"$@\"\n",
    )
    .unwrap();
    let (_, r) = generate(&args, &[]);
    assert!(
        r.err
            .contains("is Flink's own script (Flink 1.18.1), which starts Flink's Mesos mode"),
        "{}",
        r.err
    );
    // The drop-in script: nothing to say; the default entrypoint never looks.
    std::fs::copy(
        "commands/mesos-appmaster.sh",
        home.join("bin/mesos-appmaster.sh"),
    )
    .unwrap();
    let (_, r) = generate(&args, &[]);
    assert!(!r.err.contains("warning:"), "{}", r.err);
    let (app, r) = generate(&args[..2], &[]);
    assert!(cmd_of(&app).starts_with("exec flink-mesos appmaster "));
    assert!(!r.err.contains("mesos-appmaster.sh"), "{}", r.err);
}

/// A job cluster's app (issue 21): the JAR fetched from a URI into the
/// sandbox, the job's flags and its own arguments (after `--`, quoted
/// through the shell intact) reach `flink-mesos appmaster`, and Marathon
/// waits long enough for a stop-with-savepoint before SIGKILL.
#[test]
fn a_job_cluster_app_fetches_its_jar_and_passes_the_job_arguments() {
    let conf = conf_dir("mesos.master: master.foobar.org:5050\n");
    let (app, r) = generate(
        &[
            "--conf-dir",
            conf.path().to_str().unwrap(),
            "--job-jar",
            "https://repo.example/jobs/my-job-1.2.jar?token=x",
            "--job-classname",
            "com.example.MyJob",
            "--savepoint-on-stop",
            "s3://bucket/savepoints",
            "--",
            "--input",
            "a b; $HOME",
        ],
        &[],
    );
    assert_marathon_valid(&app);
    assert_eq!(
        app["fetch"],
        json!([{"uri": "https://repo.example/jobs/my-job-1.2.jar?token=x",
                "executable": false, "extract": false, "cache": false}])
    );
    assert_eq!(app["taskKillGracePeriodSeconds"], 600);
    assert!(
        r.err
            .contains("note: a job cluster: Marathon starts an app again"),
        "{}",
        r.err
    );
    let tmp = tempfile::tempdir().unwrap();
    let home = fake_flink_home(tmp.path(), "flink");
    let got = appmaster_args(
        cmd_of(&app),
        &[
            ("FLINK_HOME", home.to_str().unwrap()),
            ("MESOS_SANDBOX", "/sandbox dir"),
        ],
    );
    let start: Vec<&str> = got.iter().take(6).map(String::as_str).collect();
    assert_eq!(
        start,
        [
            "--job-jar",
            "/sandbox dir/my-job-1.2.jar",
            "--job-classname",
            "com.example.MyJob",
            "--savepoint-on-stop",
            "s3://bucket/savepoints"
        ]
    );
    let tail: Vec<&str> = got.iter().rev().take(3).rev().map(String::as_str).collect();
    assert_eq!(tail, ["--", "--input", "a b; $HOME"]);
    assert_appmaster_accepts(&got);
    use clap::Parser;
    let argv = ["flink-mesos", "appmaster"]
        .into_iter()
        .map(String::from)
        .chain(got.iter().cloned());
    let flink_mesos::cli::Command::Appmaster(args) =
        flink_mesos::cli::Cli::try_parse_from(argv).unwrap().command
    else {
        panic!("not the appmaster")
    };
    assert_eq!(args.job.job_args, ["--input", "a b; $HOME"]);
}
