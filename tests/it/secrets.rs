//! Secrets audit: with known secret values configured every way an operator
//! can (a file, `FLINK_PROPERTIES`, the per-option environment variable,
//! `-D`, the password of a `zk://` master), no command's output — stdout or
//! stderr, text, JSON or YAML, debug logs included — holds any of them.
//! And a running HA cluster (genuine Mesos, real ZooKeeper with digest
//! credentials) keeps them out of everything but the workers' configuration
//! file: ZooKeeper's nodes, the master's TaskInfos, the appmaster's debug
//! log, the workers' sandbox output, `workers list`. (The appmaster's task
//! environments are audited in
//! `appmaster::seed_standalone_example_comes_up_without_secrets_on_the_workers`
//! and `appmaster::workers_fetch_their_configuration_over_https_and_secrets_stay_in_it`.)

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

const SECRETS: [&str; 8] = [
    "fw-secret-9f3a",
    "ks-pass-71c2",
    "key-pass-55e0",
    "ts-pass-0b9d",
    "zk-pw-a7e1",
    "props-secret-3c44",
    // Keys that Flink's list of sensitive fragments covers beyond
    // "password" and "secret".
    "apikey-6d2b",
    "azure-key-8c1d",
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
             metrics.reporter.dghttp.apikey: {}\n\
             fs.azure.account.key.acct.blob.core.windows.net: {}\n\
             # a malformed line next to a secret, for a diagnostic that quotes lines\n\
             security.ssl.key-password {}\n",
            SECRETS[4], SECRETS[1], SECRETS[2], SECRETS[6], SECRETS[7], SECRETS[2]
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

/// Every node under `path` with its data (depth first).
async fn dump(zk: &zookeeper_client::Client, path: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let data = zk.get_data(path).await.map(|(d, _)| d).unwrap_or_default();
    out.push((path.to_string(), data));
    let mut children = zk.list_children(path).await.unwrap_or_default();
    children.sort();
    for child in children {
        let child = if path == "/" {
            format!("/{child}")
        } else {
            format!("{path}/{child}")
        };
        Box::pin(dump(zk, &child, out)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_ha_cluster_keeps_secrets_out_of_zookeeper_task_infos_logs_and_sandboxes() {
    use crate::support::ha::{cluster, count, Am};
    use crate::support::mesos_local::MesosLocal;
    use crate::support::zookeeper::ZooKeeper;

    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let digest_user = "-Dhigh-availability.zookeeper.client.digest.username=flink".to_string();
    let digest_password = format!(
        "-Dhigh-availability.zookeeper.client.digest.password={}",
        SECRETS[4]
    );
    let keystore = format!("-Dsecurity.ssl.keystore-password={}", SECRETS[1]);
    let key = format!("-Dsecurity.ssl.key-password={}", SECRETS[2]);
    let truststore = format!("-Dsecurity.ssl.truststore-password={}", SECRETS[3]);
    let property = format!("-Dmy.service.password={}", SECRETS[5]);
    let cluster_id = cluster("audit");
    let ha = [
        "-Dhigh-availability.type=zookeeper".to_string(),
        format!(
            "-Dhigh-availability.zookeeper.quorum={}",
            zk.connect_string()
        ),
        digest_user.clone(),
        digest_password.clone(),
        cluster_id.clone(),
    ];
    let mut am = Am::start_env(
        dir.path(),
        "am",
        &mesos,
        &zk.connect_string(),
        &[
            "-Dmesos.initial-tasks=2",
            "-Dmesos.resourcemanager.framework.principal=flink",
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 619",
            &digest_user,
            &digest_password,
            &keystore,
            &key,
            &truststore,
            &property,
            &cluster_id,
            // Debug logs: more output in which no secret may appear.
            "-v",
        ],
        &[("FLINK_MESOS_FRAMEWORK_SECRET", SECRETS[0])],
    );
    am.wait_status("2 running workers", |v| count(v, "running") == 2)
        .await;
    let mut places: Vec<(String, String)> = Vec::new();

    // The workers' secrets are offered apart from the fetcher (the task's
    // own `flink-mesos taskmanager` fetches them: `flink_on_mesos`), so no
    // file of the agents, fetcher cache included, holds one, whatever its
    // mode, and neither does anything the agent's `/files` API serves.
    let sandbox = mesos.sandbox("taskmanager-00001").expect("a sandbox");
    assert!(sandbox.join("flink-mesos-conf/config.yaml").is_file());
    let on_disk = crate::support::mesos_local::files_below(mesos.work_dir());
    assert!(on_disk
        .iter()
        .any(|(p, _)| p.ends_with("flink-mesos-conf/config.yaml")));
    for (path, content) in on_disk {
        places.push((
            format!("the agent's file {}", path.display()),
            String::from_utf8_lossy(&content).into(),
        ));
    }
    let served = mesos.files_served().await;
    assert!(served.iter().any(|(p, _)| p.ends_with("stderr")));
    for (path, content) in served {
        places.push((
            format!("the agent's /files: {path}"),
            String::from_utf8_lossy(&content).into(),
        ));
    }

    // Everything in ZooKeeper, read with the credentials (the store's nodes
    // are creator-only with them).
    let client = zookeeper_client::Client::connector()
        .with_auth("digest", format!("flink:{}", SECRETS[4]).as_bytes())
        .connect(&zk.connect_string())
        .await
        .unwrap();
    let mut nodes = Vec::new();
    dump(&client, "/", &mut nodes).await;
    assert!(
        nodes
            .iter()
            .any(|(p, d)| p.ends_with("/workers/taskmanager-00001") && !d.is_empty()),
        "the worker records were read: {:?}",
        nodes.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for (path, data) in &nodes {
        places.push((
            format!("ZooKeeper {path}"),
            String::from_utf8_lossy(data).into(),
        ));
    }
    // What the master knows of the tasks: command, environment, labels, URIs.
    for endpoint in ["/master/state", "/master/tasks", "/master/frameworks"] {
        places.push((
            format!("master {endpoint}"),
            mesos.get_json(endpoint).await.to_string(),
        ));
    }
    // The workers' own output.
    for task in ["taskmanager-00001", "taskmanager-00002"] {
        let sandbox = mesos.sandbox(task).expect("a sandbox");
        for file in ["stdout", "stderr"] {
            places.push((
                format!("{task} {file}"),
                std::fs::read_to_string(sandbox.join(file)).unwrap_or_default(),
            ));
        }
    }
    // The store as operators read it.
    let mut list: Vec<String> = vec!["workers".into(), "list".into()];
    list.extend(ha.iter().cloned());
    list.extend(["--output".into(), "json".into()]);
    let args: Vec<&str> = list.iter().map(String::as_str).collect();
    let (code, out) = audit(&args, dir.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("taskmanager-00001"), "{out}");
    places.push(("workers list".into(), out));
    // The appmaster's debug log, to its end.
    am.signal("TERM");
    assert!(am.wait_exit().await.success(), "{}", am.stderr());
    places.push(("the appmaster's log".into(), am.stderr()));

    for (place, text) in &places {
        for secret in SECRETS {
            assert!(!text.contains(secret), "{secret} in {place}:\n{text}");
        }
    }
}
