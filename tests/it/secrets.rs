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
//! and `appmaster::workers_get_their_configuration_without_secrets_and_the_secrets_over_https`.)
//! The whole-cluster audits (issue 26) run real Flink with a canary for
//! every kind of secret in the configuration file, once in a directory of
//! its own and once in `$FLINK_HOME/conf`, and scan every file below the
//! agents' work dirs (fetcher cache included), everything `/files` serves,
//! and the environment and command line of every process of the cluster.

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

/// Canaries of the whole-cluster audit: one per kind of secret.
const CLUSTER_CANARIES: [(&str, &str); 9] = [
    (
        "mesos.resourcemanager.framework.secret",
        "fwsecret-c4n4ry-17",
    ),
    ("security.ssl.keystore-password", "kspass-c4n4ry-23"),
    ("security.ssl.key-password", "keypass-c4n4ry-31"),
    ("security.ssl.truststore-password", "tspass-c4n4ry-47"),
    (
        "high-availability.zookeeper.client.digest.password",
        "zkdigest-c4n4ry-53",
    ),
    ("metrics.reporter.dghttp.apikey", "apikey-c4n4ry-61"),
    (
        "fs.azure.account.key.acct.blob.core.windows.net",
        "azure-c4n4ry-73",
    ),
    ("my.service.password", "svcpass-c4n4ry-79"),
    // The content of the key store file the configuration points at.
    ("security.ssl.internal.keystore", "keystore-file-c4n4ry-83"),
];

/// Every place below `root` (regular files, any size, links not followed)
/// that holds one of `canaries` (GNU grep, fixed strings, binary files read
/// as text), and the regular files there.
fn scan_files(root: &std::path::Path, canaries: &[&str]) -> (Vec<String>, Vec<std::path::PathBuf>) {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path()),
                Ok(t) if t.is_file() => files.push(entry.path()),
                _ => {}
            }
        }
    }
    let patterns = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(patterns.path(), canaries.join("\n") + "\n").unwrap();
    let out = std::process::Command::new("grep")
        .args(["-r", "-a", "-o", "-F", "-f"])
        .arg(patterns.path())
        .arg(root)
        .output()
        .expect("cannot run grep");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "grep -r {}: {}",
        root.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let hits = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| format!("{l} (file:canary)"))
        .collect();
    (hits, files)
}

/// What the agents' `/files` API serves, browsed from every directory
/// `/files/debug` lists: files up to `limit` bytes downloaded (path,
/// content), the paths and sizes of larger ones.
async fn served_files(
    mesos: &crate::support::mesos_local::MesosLocal,
    limit: u64,
) -> (Vec<(String, Vec<u8>)>, Vec<(String, u64)>) {
    let client = reqwest::Client::new();
    let attached = mesos.get_json("/files/debug").await;
    let mut stack: Vec<String> = attached
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    let (mut small, mut large) = (Vec::new(), Vec::new());
    while let Some(dir) = stack.pop() {
        if !seen.insert(dir.clone()) {
            continue;
        }
        let Ok(r) = client
            .get(format!("{}/files/browse", mesos.url))
            .query(&[("path", &dir)])
            .send()
            .await
        else {
            continue;
        };
        let listing: serde_json::Value =
            serde_json::from_slice(&r.bytes().await.unwrap_or_default()).unwrap_or_default();
        for entry in listing.as_array().into_iter().flatten() {
            let path = entry["path"].as_str().unwrap_or_default().to_string();
            if entry["mode"].as_str().is_some_and(|m| m.starts_with('d')) {
                stack.push(path);
            } else if entry["size"].as_u64().unwrap_or(0) > limit {
                large.push((path, entry["size"].as_u64().unwrap_or(0)));
            } else {
                let body = client
                    .get(format!("{}/files/download", mesos.url))
                    .query(&[("path", &path)])
                    .send()
                    .await
                    .unwrap();
                assert!(body.status().is_success(), "GET /files/download {path}");
                small.push((path, body.bytes().await.unwrap().to_vec()));
            }
        }
    }
    (small, large)
}

/// The processes of this cluster: the appmaster (`am_pid`) and its
/// descendants (the JobManager JVM), and every process whose sandbox or
/// working directory is below the agents' work dir (`flink-mesos
/// taskmanager`, the TaskManager JVM, the executors).
fn cluster_processes(am_pid: u32, agents: &std::path::Path) -> Vec<u32> {
    let mut pids = vec![am_pid];
    let mut frontier = vec![am_pid];
    while let Some(p) = frontier.pop() {
        for c in crate::support::flink::children(p) {
            if !pids.contains(&c) {
                pids.push(c);
                frontier.push(c);
            }
        }
    }
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let in_sandbox = environ.split(|b| *b == 0).any(|v| {
            v.strip_prefix(b"MESOS_SANDBOX=").is_some_and(|p| {
                std::path::Path::new(&*String::from_utf8_lossy(p)).starts_with(agents)
            })
        }) || std::fs::read_link(format!("/proc/{pid}/cwd"))
            .is_ok_and(|c| c.starts_with(agents));
        if in_sandbox && !pids.contains(&pid) {
            pids.push(pid);
        }
    }
    pids
}

/// A whole cluster with real Flink (genuine Mesos, ZooKeeper high
/// availability with digest credentials, the JobManager, a TaskManager)
/// whose configuration file holds a canary for every kind of secret, in a
/// directory of its own (`--conf-dir`) or in `$FLINK_HOME/conf` (Flink's
/// classic layout, whose `conf/` the distribution overlay ships): no file
/// below the agents' work dirs (sandboxes, the fetcher cache, the
/// extracted distribution), nothing the agents' `/files` serves, no
/// process environment or command line of the cluster, no ZooKeeper node,
/// nothing in the master's state and nothing in the appmaster's log holds
/// one; the TaskManager still gets what it needs (issue 26).
async fn whole_cluster_keeps_canaries_out(conf_in_flink_home: bool) {
    use crate::flink_on_mesos::{
        appmaster_args, spawn_appmaster, terminate_and_wait_success, wait_registered,
    };
    use crate::support::flink;
    use crate::support::ha::cluster;
    use crate::support::mesos_local::MesosLocal;
    use crate::support::zookeeper::ZooKeeper;

    let home = flink::flink_home();
    let dir = tempfile::tempdir().unwrap();
    // The configuration: Flink's shipped file plus every canary.
    let keystore = dir.path().join("internal.p12");
    std::fs::write(&keystore, CLUSTER_CANARIES[8].1).unwrap();
    let flink_home = dir.path().join("flink");
    let conf_dir = if conf_in_flink_home {
        std::fs::create_dir(&flink_home).unwrap();
        for part in ["bin", "lib", "opt", "plugins"] {
            std::os::unix::fs::symlink(home.root.join(part), flink_home.join(part)).unwrap();
        }
        flink_home.join("conf")
    } else {
        dir.path().join("conf")
    };
    std::fs::create_dir(&conf_dir).unwrap();
    for f in std::fs::read_dir(home.root.join("conf")).unwrap().flatten() {
        std::fs::copy(f.path(), conf_dir.join(f.file_name())).unwrap();
    }
    let mut yaml = std::fs::read_to_string(conf_dir.join("config.yaml")).unwrap();
    yaml.push_str("\n# issue 26: canaries\nmesos.resourcemanager.framework.principal: flink\n");
    yaml.push_str("high-availability.zookeeper.client.digest.username: flink\n");
    for (key, value) in &CLUSTER_CANARIES[..8] {
        yaml.push_str(&format!("{key}: {value}\n"));
    }
    yaml.push_str(&format!(
        "security.ssl.internal.keystore: {}\n",
        keystore.display()
    ));
    std::fs::write(conf_dir.join("config.yaml"), yaml).unwrap();

    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let (rpc_port, rest_port) = (crate::support::free_port(), crate::support::free_port());
    let mut args = appmaster_args(&mesos, &home, &dir.path().join("am"), rpc_port, rest_port);
    if conf_in_flink_home {
        let i = args.iter().position(|a| a == "--flink-home").unwrap();
        args[i + 1] = flink_home.display().to_string();
    }
    args.extend([
        "--conf-dir".to_string(),
        conf_dir.display().to_string(),
        "-Dmesos.initial-tasks=1".into(),
        cluster(&format!("canaries-{conf_in_flink_home}")),
        "-v".into(),
    ]);
    args.extend(zk.ha_flags(&dir.path().join("ha")));
    let stderr_path = dir.path().join("appmaster.stderr");
    // A private copy: it is what the artifact server ships to the worker,
    // and a build meanwhile must not replace it.
    let bin = dir.path().join("flink-mesos");
    std::fs::copy(assert_cmd::cargo::cargo_bin("flink-mesos"), &bin).unwrap();
    let mut guard = spawn_appmaster(&bin, &args, dir.path(), &stderr_path, &[]);
    let child = &mut guard.0;
    let (_stdout, _) = crate::support::status_base(child, &stderr_path);
    let started = std::time::Instant::now();
    wait_registered(
        rest_port,
        "one TaskManager",
        |ids| ids.len() == 1,
        &stderr_path,
    )
    .await;
    eprintln!(
        "numbers: TaskManager registered at {:.0} s",
        started.elapsed().as_secs_f64()
    );

    let canaries = regex::bytes::Regex::new(
        &CLUSTER_CANARIES
            .iter()
            .map(|(_, v)| regex::escape(v))
            .collect::<Vec<_>>()
            .join("|"),
    )
    .unwrap();
    let mut hits = Vec::new();

    // The configuration really reached the TaskManager: its private copy
    // holds the password (and so the scan below can find a leak).
    let agents = mesos.work_dir().to_path_buf();
    let pids = cluster_processes(child.id(), &agents);
    let jvm = pids
        .iter()
        .copied()
        .find(|p| flink::cmdline(*p).contains("TaskManagerRunner"))
        .expect("the TaskManager JVM is a process of the cluster");
    let private_conf = flink::cmdline(jvm)
        .split(' ')
        .skip_while(|w| *w != "--configDir")
        .nth(1)
        .map(|d| std::path::Path::new(d).join("config.yaml"))
        .expect("--configDir");
    let tm_conf = std::fs::read_to_string(&private_conf).unwrap();
    assert!(tm_conf.contains(CLUSTER_CANARIES[7].1), "{tm_conf}");
    assert!(
        pids.iter()
            .any(|p| flink::cmdline(*p).contains("StandaloneSessionClusterEntrypoint")),
        "the JobManager JVM is a process of the cluster: {pids:?}"
    );

    // Every file of the agents: sandboxes, the fetcher cache, meta data.
    let values: Vec<&str> = CLUSTER_CANARIES.iter().map(|(_, v)| *v).collect();
    let (found, files) = scan_files(&agents, &values);
    // The scan finds a canary where one is: the TaskManager's private
    // directory, outside the agents' work dirs.
    let (private, _) = scan_files(private_conf.parent().unwrap(), &values);
    assert!(
        private.iter().any(|h| h.contains(CLUSTER_CANARIES[7].1)),
        "{private:?}"
    );
    let read = |suffix: &str| files.iter().any(|p| p.to_string_lossy().ends_with(suffix));
    assert!(
        read("flink-dist.tar") && read("flink/conf/config.yaml") && read("taskmanager.log"),
        "the fetcher cache, the distribution and the logs were read: {files:?}"
    );
    hits.extend(found);
    eprintln!(
        "numbers: agents' files scanned at {:.0} s",
        started.elapsed().as_secs_f64()
    );
    // What the agents' /files serves: downloaded and scanned, except the
    // large files (the binary, the distribution's jars and archive), which
    // must be files the scan above read.
    let (served, large) = served_files(&mesos, 4 << 20).await;
    assert!(
        served.iter().any(|(p, _)| p.ends_with("taskmanager.log")),
        "{:?}",
        served.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for (path, content) in &served {
        if let Some(m) = canaries.find(content) {
            hits.push(format!(
                "/files serves {path} with {}",
                String::from_utf8_lossy(m.as_bytes())
            ));
        }
    }
    // (Mesos serves a sandbox under its real path and under a virtual
    // `/frameworks/…/runs/latest` one: matched by name and size.)
    for (path, size) in &large {
        let name = std::path::Path::new(path).file_name();
        assert!(
            files
                .iter()
                .any(|f| f.file_name() == name
                    && std::fs::metadata(f).is_ok_and(|m| m.len() == *size)),
            "/files serves {path}, which the scan of the agents' files did not read"
        );
    }
    eprintln!(
        "numbers: /files scanned at {:.0} s",
        started.elapsed().as_secs_f64()
    );
    // Every process of the cluster: environment and command line.
    let mut read = 0;
    for pid in &pids {
        for what in ["environ", "cmdline"] {
            let Ok(bytes) = std::fs::read(format!("/proc/{pid}/{what}")) else {
                continue;
            };
            read += 1;
            if let Some(m) = canaries.find(&bytes) {
                hits.push(format!(
                    "/proc/{pid}/{what} ({}) holds {}",
                    flink::cmdline(*pid).chars().take(80).collect::<String>(),
                    String::from_utf8_lossy(m.as_bytes())
                ));
            }
        }
    }
    assert!(read >= 8, "the cluster's processes were read: {pids:?}");
    // ZooKeeper, with the credentials; the master's view of the tasks.
    let client = zookeeper_client::Client::connector()
        .with_auth(
            "digest",
            format!("flink:{}", CLUSTER_CANARIES[4].1).as_bytes(),
        )
        .connect(&zk.connect_string())
        .await
        .unwrap();
    let mut nodes = Vec::new();
    dump(&client, "/", &mut nodes).await;
    assert!(nodes
        .iter()
        .any(|(p, _)| p.ends_with("/workers/taskmanager-00001")));
    for (path, data) in &nodes {
        if let Some(m) = canaries.find(data) {
            hits.push(format!(
                "ZooKeeper {path} holds {}",
                String::from_utf8_lossy(m.as_bytes())
            ));
        }
    }
    for endpoint in ["/master/state", "/master/tasks", "/master/frameworks"] {
        let state = mesos.get_json(endpoint).await.to_string();
        if let Some(m) = canaries.find(state.as_bytes()) {
            hits.push(format!(
                "master {endpoint} holds {}",
                String::from_utf8_lossy(m.as_bytes())
            ));
        }
    }

    terminate_and_wait_success(child, &stderr_path).await;
    let log = std::fs::read(&stderr_path).unwrap();
    if let Some(m) = canaries.find(&log) {
        hits.push(format!(
            "the appmaster's log holds {}",
            String::from_utf8_lossy(m.as_bytes())
        ));
    }
    assert!(hits.is_empty(), "secrets leaked:\n{}", hits.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_cluster_keeps_secrets_of_its_conf_dir_out_of_agents_and_processes() {
    whole_cluster_keeps_canaries_out(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_cluster_keeps_secrets_of_flink_home_conf_out_of_agents_and_processes() {
    whole_cluster_keeps_canaries_out(true).await;
}
