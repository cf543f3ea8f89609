//! Secrets audit: with known secret values configured every way an operator
//! can (a file, `FLINK_PROPERTIES`, the per-option environment variable,
//! `-D`, the password of a `zk://` master), no command's output — stdout or
//! stderr, text, JSON or YAML, debug logs included — holds any of them.
//! (The appmaster with a genuine Mesos is audited in
//! `appmaster::seed_standalone_example_comes_up_without_secrets_on_the_workers`
//! and `appmaster::workers_fetch_their_configuration_over_https_and_secrets_stay_in_it`.)

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

const SECRETS: [&str; 6] = [
    "fw-secret-9f3a",
    "ks-pass-71c2",
    "key-pass-55e0",
    "ts-pass-0b9d",
    "zk-pw-a7e1",
    "props-secret-3c44",
];

fn audit(args: &[&str], dir: &std::path::Path) -> (i32, String) {
    let out = Command::cargo_bin("flink-mesos")
        .unwrap()
        .args(args)
        .current_dir(dir)
        .env_remove("FLINK_CONF_DIR")
        .env("NO_COLOR", "1")
        .env("FLINK_MESOS_FRAMEWORK_SECRET", SECRETS[0])
        .env(
            "FLINK_PROPERTIES",
            format!(
                "security.ssl.truststore-password: {}\nmy.service.password: {}\n",
                SECRETS[3], SECRETS[5]
            ),
        )
        .output()
        .unwrap();
    let all = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in SECRETS {
        assert!(
            !all.contains(secret),
            "`flink-mesos {}` printed the secret {secret}:\n{all}",
            args.join(" ")
        );
    }
    (out.status.code().unwrap_or(-1), all)
}

#[test]
fn no_command_prints_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    std::fs::create_dir(&conf).unwrap();
    std::fs::write(
        conf.join("flink-conf.yaml"),
        format!(
            "mesos.master: zk://flink:{}@127.0.0.1:1/mesos\n\
             mesos.resourcemanager.framework.principal: flink\n\
             security.ssl.keystore-password: {}\n\
             security.ssl.key-password: {}\n\
             mesos.initial-tasks: 2\n\
             # a malformed line next to a secret, for a diagnostic that quotes lines\n\
             security.ssl.key-password {}\n",
            SECRETS[4], SECRETS[1], SECRETS[2], SECRETS[2]
        ),
    )
    .unwrap();
    let d = format!("-Dsecurity.ssl.keystore-password={}", SECRETS[1]);
    let runs: Vec<Vec<&str>> = vec![
        vec!["validate-conf"],
        vec!["validate-conf", "--strict", "--output", "json"],
        vec!["validate-conf", "--for", "taskmanager"],
        vec!["config", "show"],
        vec!["config", "show", "--output", "json", d.as_str()],
        vec!["marathon-json"],
        vec!["marathon-json", "--format", "yaml", d.as_str()],
        vec!["-v", "taskmanager", "--dry-run"],
        vec!["--output", "json", "taskmanager", "--dry-run"],
        vec!["-v", "--log-format", "json", "master"],
    ];
    let mut outputs = 0;
    for args in &runs {
        let (_, all) = audit(args, dir.path());
        if !all.trim().is_empty() {
            outputs += 1;
        }
    }
    assert_eq!(outputs, runs.len(), "every command said something");
    // The values are really configured: config show knows them as masked.
    let (code, shown) = audit(&["config", "show"], dir.path());
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("******"), "{shown}");
}
