//! Trust boundaries (issue 26) that need a running appmaster: its status
//! endpoint keeps answering `/health` while idle connections flood it; a
//! framework id in ZooKeeper that is not this cluster's (forged, or another
//! cluster's) is refused before anything talks to Mesos, so nothing of the
//! other framework is killed; the store's nodes are its user's alone with
//! credentials, and an id-only record (an older flink-mesos) is trusted only
//! then.

use std::time::{Duration, Instant};

use zookeeper_client::{Acls, CreateMode};

use flink_mesos::config::secret::Secret;
use flink_mesos::store::zk::{Zk, ZkStore};
use flink_mesos::store::WorkerStore;

use crate::store::config;
use crate::support::appmaster::{running_ids, Appmaster};
use crate::support::ha::{cluster, tasks, Am};
use crate::support::mesos_local::MesosLocal;
use crate::support::zookeeper::ZooKeeper;

/// Writes `data` at `path` (created open to anyone, as anyone can without
/// credentials), whatever was there.
async fn forge(zk: &Zk, path: &str, data: &[u8]) {
    let client = zk.client();
    match client.set_data(path, data, None).await {
        Ok(_) => {}
        Err(zookeeper_client::Error::NoNode) => {
            client
                .create(
                    path,
                    data,
                    &CreateMode::Persistent.with_acls(Acls::anyone_all()),
                )
                .await
                .unwrap();
        }
        Err(e) => panic!("{path}: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_framework_id_is_refused_and_kills_nothing_of_the_other_framework() {
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // The victim: another cluster with the same principal, whose worker's
    // task id looks exactly like one of ours.
    let victim = Am::start(
        dir.path(),
        "victim",
        &mesos,
        &zk,
        &[
            "-Dmesos.initial-tasks=1",
            "-Dmesos.resourcemanager.framework.name=Victim",
            "-Dmesos.resourcemanager.framework.principal=flink",
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 623",
            &cluster("victim"),
        ],
    );
    let v = victim
        .wait_status("the victim's worker running", |v| running_ids(v).len() == 1)
        .await;
    let victim_id = v["framework_id"].as_str().unwrap().to_string();

    // Our store, as anyone who reaches ZooKeeper can leave it.
    let ours = Zk::connect(config(
        &zk.connect_string(),
        "/flink/ours/mesos-workers",
        Duration::from_secs(10),
    ))
    .await
    .unwrap();
    ours.ensure_layout().await.unwrap();
    let record = ours.path("frameworkId");
    let forgeries = [
        // An id-only record, as an older flink-mesos wrote them.
        (victim_id.clone(), "does not say whose framework"),
        // The victim's own name, role and principal.
        (
            format!(
                r#"{{"format":1,"id":"{victim_id}","name":"Victim","role":"*","principal":"flink"}}"#
            ),
            "another framework's (name `Victim`",
        ),
        // Our name with the victim's id, but another principal.
        (
            format!(
                r#"{{"format":1,"id":"{victim_id}","name":"Flink","role":"*","principal":"other"}}"#
            ),
            "another framework's",
        ),
    ];
    for (n, (forged, why)) in forgeries.iter().enumerate() {
        forge(&ours, &record, forged.as_bytes()).await;
        let mut am = Am::start(
            dir.path(),
            &format!("ours-{n}"),
            &mesos,
            &zk,
            &[
                "-Dmesos.initial-tasks=1",
                "-Dmesos.resourcemanager.framework.principal=flink",
                "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 624",
                &cluster("ours"),
            ],
        );
        let status = am.wait_exit().await;
        let stderr = am.stderr();
        assert_eq!(status.code(), Some(1), "{stderr}");
        for part in [
            *why,
            "refusing to fail over",
            record.as_str(),
            victim_id.as_str(),
            "flink-mesos framework clear-id",
        ] {
            assert!(stderr.contains(part), "`{part}` not in:\n{stderr}");
        }
        assert!(
            !stderr.contains("subscribed to the Mesos master"),
            "{stderr}"
        );
    }

    // The victim is untouched: its task runs, it is still subscribed.
    let (active, completed) = tasks(&mesos, &victim_id).await;
    assert_eq!(active, ["taskmanager-00001"]);
    assert!(completed.is_empty(), "{completed:?}");
    let state = mesos.get_json("/master/state").await;
    let frameworks = state["frameworks"].as_array().unwrap();
    let task_states: Vec<&str> = frameworks
        .iter()
        .filter(|f| f["id"] == victim_id.as_str())
        .flat_map(|f| f["tasks"].as_array().unwrap())
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(task_states, ["TASK_RUNNING"]);
    // Only the victim ever registered.
    assert_eq!(frameworks.len(), 1, "{frameworks:?}");
    let v = victim.status().await;
    assert_eq!(v["connected"], true, "{v}");
    assert_eq!(running_ids(&v), ["taskmanager-00001"]);
    // The workers of the victim carry whose they are.
    let labels = frameworks[0]["tasks"][0]["labels"].to_string();
    assert!(
        labels.contains("flink-mesos/framework-name")
            && labels.contains("Victim")
            && labels.contains("flink-mesos/cluster-id"),
        "{labels}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_credentials_the_store_is_its_users_alone_and_an_old_id_record_is_trusted_only_then() {
    let zk = ZooKeeper::start();
    let cs = zk.connect_string();
    let mut secured = config(&cs, "/flink/sec/mesos-workers", Duration::from_secs(10));
    secured.digest = Some(("flink".into(), Secret::new("zk-s3cret")));
    // Flink's own `client.acl` is `open`: the store's nodes follow the
    // credentials all the same.
    secured.acl_creator = false;
    let owner = Zk::connect(secured.clone()).await.unwrap();
    owner.ensure_layout().await.unwrap();
    // An id-only record as an older flink-mesos under these credentials
    // wrote it: nobody else could have, so it is trusted.
    owner
        .client()
        .create(
            &owner.path("frameworkId"),
            b"fw-old-0001",
            &CreateMode::Persistent.with_acls(Acls::creator_all()),
        )
        .await
        .unwrap();
    let snapshot = ZkStore::new(owner.clone(), None).load().await.unwrap();
    let record = snapshot.framework.unwrap();
    assert_eq!(snapshot.framework_id.as_deref(), Some("fw-old-0001"));
    assert_eq!(record.identity, None);
    assert!(!record.others_can_write, "{record:?}");
    // Nobody else can read, write or replace anything of the store; its
    // parents stay open for Flink's own nodes.
    let anonymous = Zk::connect(config(
        &cs,
        "/flink/sec/mesos-workers",
        Duration::from_secs(10),
    ))
    .await
    .unwrap();
    let raw = anonymous.client();
    for node in [
        owner.base().to_string(),
        owner.path("frameworkId"),
        owner.path("workers"),
    ] {
        assert!(
            matches!(
                raw.set_data(&node, b"x", None).await,
                Err(zookeeper_client::Error::NoAuth)
            ),
            "{node} writable by anyone"
        );
    }
    let (acls, _) = raw.get_acl("/flink/sec").await.unwrap();
    assert_eq!(acls.len(), 1);
    assert_eq!((acls[0].scheme(), acls[0].id()), ("world", "anyone"));

    // The same id-only record in a store anyone can write is not trusted.
    let open = Zk::connect(config(
        &cs,
        "/flink/open/mesos-workers",
        Duration::from_secs(10),
    ))
    .await
    .unwrap();
    open.ensure_layout().await.unwrap();
    forge(&open, &open.path("frameworkId"), b"fw-old-0001").await;
    let record = ZkStore::new(open, None)
        .load()
        .await
        .unwrap()
        .framework
        .unwrap();
    assert!(record.others_can_write);
    // Nor is it, credentials or not, when its ACL lets others write it.
    owner
        .client()
        .delete(&owner.path("frameworkId"), None)
        .await
        .unwrap();
    forge(&owner, &owner.path("frameworkId"), b"fw-old-0001").await;
    let record = ZkStore::new(owner, None)
        .load()
        .await
        .unwrap()
        .framework
        .unwrap();
    assert!(record.others_can_write);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_while_a_thousand_idle_connections_are_held() {
    let mesos = MesosLocal::start(&[]);
    let am = Appmaster::spawn_in_temp_dir(
        Appmaster::command(),
        &mesos,
        &[
            "-Dmesos.initial-tasks=1",
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 621",
        ],
    );
    am.wait_status("the worker running", |v| running_ids(v).len() == 1)
        .await;
    let addr = am.base.trim_start_matches("http://").to_string();
    // 1,000 connections that never send a byte (a slowloris, a port scan,
    // a broken load balancer), all held open.
    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    for _ in 0..5 {
        let started = Instant::now();
        let r = client
            .get(format!("{}/health", am.base))
            .send()
            .await
            .expect("/health answers within 1 s");
        assert_eq!(r.status(), 200);
        eprintln!(
            "numbers: /health under 1,000 idle connections: {} ms",
            started.elapsed().as_millis()
        );
    }
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_go_on_while_a_thousand_idle_connections_are_held() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flink-mesos-conf.tar");
    std::fs::write(&file, b"the configuration").unwrap();
    let mut registry = flink_mesos::artifacts::Registry::default();
    registry.add("flink-mesos-conf.tar", &file).unwrap();
    let server = crate::artifacts::serve(registry).await;
    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(
            tokio::net::TcpStream::connect(server.local_addr())
                .await
                .unwrap(),
        );
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let started = Instant::now();
    let body = client
        .get(server.url("flink-mesos-conf.tar"))
        .send()
        .await
        .expect("the fetch is served within 1 s")
        .bytes()
        .await
        .unwrap();
    assert_eq!(&body[..], b"the configuration");
    eprintln!(
        "numbers: a fetch under 1,000 idle connections: {} ms",
        started.elapsed().as_millis()
    );
    drop(idle);
}

/// ZooKeeper authentication and TLS end to end (issue 26, item 4): the
/// quorum is the server's TLS port alone, which requires a client
/// certificate; with digest credentials and
/// `high-availability.zookeeper.client.acl: creator` the worker store is
/// the digest user's, Flink's own nodes (leader election, job graphs,
/// checkpoints) are creator-only for the same user logged in over SASL
/// DIGEST-MD5 by the JobManager and the TaskManager, a job finishes,
/// `workers list` reads the store over TLS, and anonymous clients can read
/// none of them. The password is in no Flink configuration, no command line
/// and no environment; the client key reaches the TaskManager with its
/// secrets, not through the agent's sandbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_with_zookeeper_tls_digest_auth_and_creator_acls_runs_a_job() {
    use crate::flink_on_mesos::{appmaster_args, spawn_appmaster, terminate_and_wait_success};
    use crate::support::flink::{self, children, cmdline};

    const PASSWORD: &str = "zk-sasl-pw-4e2b";
    let certs = crate::support::zookeeper::ZkCerts::generate();
    let zk = ZooKeeper::start_with(&certs, Some(("flink", PASSWORD)));
    let JobCluster {
        mesos,
        home,
        dir,
        job,
        rpc_port,
        rest_port,
        bin,
    } = JobCluster::new(&assert_cmd::cargo::cargo_bin("flink-mesos"));
    let mut args = appmaster_args(&mesos, &home, &dir.path().join("am"), rpc_port, rest_port);
    args.extend([
        "-Dmesos.initial-tasks=1".to_string(),
        cluster("creator-acls"),
        "-Dhigh-availability.zookeeper.client.acl=creator".into(),
        "-Dhigh-availability.zookeeper.client.digest.username=flink".into(),
    ]);
    // The README's form: the quorum names the TLS port.
    let tls_flags = zk.tls_flags(&certs);
    args.extend(tls_flags.iter().cloned());
    args.push(format!(
        "-Dhigh-availability.storageDir=file://{}",
        dir.path().join("ha").display()
    ));
    let stderr_path = dir.path().join("appmaster.stderr");
    let mut guard = spawn_appmaster(
        &bin,
        &args,
        dir.path(),
        &stderr_path,
        &[("FLINK_MESOS_ZK_PASSWORD", PASSWORD)],
    );
    let child = &mut guard.0;
    one_taskmanager_runs_the_small_job(child, rest_port, &job, &stderr_path).await;

    // Anonymous: Flink's nodes and the store's are closed.
    closed_to_anonymous(&zk, "/flink/creator-acls").await;
    // The JobManager and the TaskManager logged in as the digest user.
    let jobmanager = children(child.id())
        .into_iter()
        .find(|p| cmdline(*p).contains("StandaloneSessionClusterEntrypoint"))
        .expect("the JobManager JVM");
    let taskmanager = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|p| {
            cmdline(*p).contains("TaskManagerRunner")
                && std::fs::read_link(format!("/proc/{p}/cwd"))
                    .is_ok_and(|c| c.starts_with(mesos.work_dir()))
        })
        .expect("the TaskManager JVM");
    // The client key's body: in no file of the agents.
    let client_key = std::fs::read_to_string(&certs.client).unwrap();
    let key_line = client_key.lines().nth(1).expect("a PEM key").to_string();
    for (who, pid) in [("JobManager", jobmanager), ("TaskManager", taskmanager)] {
        let line = cmdline(pid);
        // Flink's ZooKeeper client talks TLS with the cluster's certificate.
        assert!(
            line.contains("-Dzookeeper.client.secure=true")
                && line.contains("-Dzookeeper.clientCnxnSocket=org.apache.flink.shaded.zookeeper3.org.apache.zookeeper.ClientCnxnSocketNetty"),
            "{who}: {line}"
        );
        let keystore = line
            .split(' ')
            .find_map(|w| w.strip_prefix("-Dzookeeper.ssl.keyStore.location="))
            .unwrap_or_else(|| panic!("the {who} has no ZooKeeper key store: {line}"));
        assert!(
            !std::path::Path::new(keystore).starts_with(mesos.work_dir()),
            "{who}'s ZooKeeper key is in the agent's work dir: {keystore}"
        );
        assert_eq!(
            std::fs::read_to_string(keystore).unwrap(),
            client_key,
            "{who}"
        );
        let jaas = line
            .split(' ')
            .find_map(|w| w.strip_prefix("-Djava.security.auth.login.config="))
            .unwrap_or_else(|| panic!("the {who} has no ZooKeeper login: {line}"));
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(jaas).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{who}: {jaas}");
        assert!(
            !std::path::Path::new(jaas).starts_with(mesos.work_dir()),
            "{who}'s login file is in the agent's work dir: {jaas}"
        );
        assert!(std::fs::read_to_string(jaas).unwrap().contains(PASSWORD));
        for what in ["cmdline", "environ"] {
            let bytes = std::fs::read(format!("/proc/{pid}/{what}")).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(PASSWORD),
                "{who}'s {what}"
            );
        }
        let conf_dir = line
            .split(' ')
            .skip_while(|w| *w != "--configDir")
            .nth(1)
            .unwrap()
            .to_string();
        for f in std::fs::read_dir(&conf_dir).unwrap().flatten() {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            assert!(!text.contains(PASSWORD), "{who}'s {}", f.path().display());
        }
    }
    // Flink serves its configuration on its REST API: the password is not in it.
    let (_, config) = flink::http_get(rest_port, "/jobmanager/config").unwrap();
    assert!(
        config.contains("high-availability.zookeeper.client.acl"),
        "{config}"
    );
    assert!(!config.contains(PASSWORD));
    for (path, content) in crate::support::mesos_local::files_below(mesos.work_dir()) {
        for secret in [PASSWORD, key_line.as_str()] {
            assert!(
                !crate::support::mesos_local::holds(&content, secret),
                "{}",
                path.display()
            );
        }
    }
    // `workers list` from the README, over TLS with the same flags.
    let mut flags = tls_flags.to_vec();
    flags.extend([
        cluster("creator-acls"),
        "-Dhigh-availability.zookeeper.client.digest.username=flink".into(),
    ]);
    workers_list_shows_the_worker(
        &bin,
        &flags,
        dir.path(),
        &[("FLINK_MESOS_ZK_PASSWORD", PASSWORD)],
    );
    terminate_and_wait_success(child, &stderr_path).await;
    let log = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(!log.contains(PASSWORD));
}

/// TLS to ZooKeeper for flink-mesos' own client (issue 26, item 4): the
/// worker store talks to the server's `secureClientPort` with the cluster's
/// client certificate (the server requires one), a digest login rides
/// inside the TLS session; without the client certificate, or trusting
/// another CA, no session comes, with an error that says what to check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_store_talks_tls_to_zookeeper_and_refuses_a_server_it_does_not_trust() {
    use flink_mesos::config::zk_tls::ZkTls;
    use flink_mesos::store::Write;

    let certs = crate::support::zookeeper::ZkCerts::generate();
    let zk = ZooKeeper::start_with(&certs, None);
    let tls = ZkTls {
        truststore: certs.ca.clone(),
        keystore: Some(certs.client.clone()),
    };
    let session = Duration::from_secs(10);
    let mut secure = config(&zk.secure_connect_string(), "/tls/workers", session);
    secure.tls = Some(tls.clone());
    secure.digest = Some(("flink".into(), Secret::new("tls-digest-pw")));
    // Leader election and the leader's store, over TLS.
    let store_zk = Zk::connect(secure.clone()).await.unwrap();
    let lead = crate::store::leader(&store_zk, "tls-host").await;
    let mut store = ZkStore::for_leader(store_zk.clone(), lead.latch().to_string());
    assert_eq!(store.load().await.unwrap().next_task_number, 0);
    store
        .apply(vec![
            Write::NextTaskNumber(7),
            Write::Worker(crate::store::worker(
                3,
                flink_mesos::scheduler::WorkerState::New,
            )),
        ])
        .await
        .unwrap();
    let snapshot = ZkStore::new(Zk::connect(secure.clone()).await.unwrap(), None)
        .load()
        .await
        .unwrap();
    assert_eq!(snapshot.next_task_number, 7);
    assert_eq!(snapshot.workers.len(), 1);
    // The server saw TLS connections: its secure port is the one in use.
    let secure_port = zk.secure_port.unwrap();
    assert!(
        std::fs::read_to_string("/proc/net/tcp")
            .unwrap()
            .lines()
            .any(|l| l.contains(&format!(":{secure_port:04X} ")) && l.contains(" 01 ")),
        "no established connection to the secure port {secure_port}"
    );

    let refused = |mut config: flink_mesos::store::zk::ZkConfig| async move {
        config.connect_timeout = Duration::from_secs(4);
        Zk::connect(config)
            .await
            .map(|_| ())
            .expect_err("a session came")
            .to_string()
    };
    // No client certificate: the server refuses the handshake.
    let mut no_identity = secure.clone();
    no_identity.tls = Some(ZkTls {
        keystore: None,
        ..tls.clone()
    });
    let e = refused(no_identity).await;
    assert!(
        e.contains(&zk.secure_connect_string())
            && e.contains("over TLS")
            && e.contains("high-availability.zookeeper.client.ssl.keystore"),
        "{e}"
    );
    // A server whose certificate another CA signed is not trusted.
    let others = crate::support::zookeeper::ZkCerts::generate();
    let mut wrong_ca = secure.clone();
    wrong_ca.tls = Some(ZkTls {
        truststore: others.ca.clone(),
        keystore: Some(others.client.clone()),
    });
    let e = refused(wrong_ca).await;
    assert!(
        e.contains("high-availability.zookeeper.client.ssl.truststore"),
        "{e}"
    );
    assert!(!e.contains("tls-digest-pw"), "{e}");
}

/// Flink's own Kerberos login to ZooKeeper (issue 26, item 4), through the
/// Kerberos overlay: a genuine KDC, a ZooKeeper that authenticates clients
/// with SASL GSSAPI, and `high-availability.zookeeper.client.acl: creator`,
/// with no digest credentials. The JobManager and the TaskManager log in as
/// `flink@FLINK.TEST` from the keytab (the TaskManager's arrives with its
/// secrets), and so do the worker store and the leader election; a job
/// finishes, neither Flink's nodes nor the store's are open to anonymous
/// clients, `workers list` reads the store with the same login, and the
/// keytab's key is in no agent file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_whose_flink_logs_in_to_zookeeper_with_kerberos_runs_a_job() {
    use crate::flink_on_mesos::{appmaster_args, spawn_appmaster, terminate_and_wait_success};
    use crate::support::flink;
    use crate::support::kdc::{Kdc, REALM};

    let kdc = Kdc::start();
    let zk = ZooKeeper::start_with_kerberos(&kdc);
    let keytab = kdc.keytab("flink");
    // The build with the `kerberos` feature: the store logs in with it too.
    let JobCluster {
        mesos,
        home,
        dir,
        job,
        rpc_port,
        rest_port,
        bin,
    } = JobCluster::new(&crate::support::kerberos_binary());
    // The keytab and krb5.conf by paths relative to where the appmaster
    // starts (the JobManager runs elsewhere), in a directory whose name
    // has a space.
    std::fs::create_dir(dir.path().join("kerberos conf")).unwrap();
    std::fs::copy(&keytab, dir.path().join("kerberos conf/flink.keytab")).unwrap();
    std::fs::copy(&kdc.krb5_conf, dir.path().join("kerberos conf/krb5.conf")).unwrap();
    let mut args = appmaster_args(&mesos, &home, &dir.path().join("am"), rpc_port, rest_port);
    args.extend([
        "-Dmesos.initial-tasks=1".to_string(),
        cluster("kerberos"),
        "-Dhigh-availability.type=zookeeper".into(),
        format!(
            "-Dhigh-availability.zookeeper.quorum={}",
            zk.connect_string_by_name()
        ),
        format!(
            "-Dhigh-availability.storageDir=file://{}",
            dir.path().join("ha").display()
        ),
        "-Dhigh-availability.zookeeper.client.acl=creator".into(),
        "-Dsecurity.kerberos.login.keytab=kerberos conf/flink.keytab".into(),
        format!("-Dsecurity.kerberos.login.principal=flink@{REALM}"),
        "-Dsecurity.kerberos.login.contexts=Client".into(),
        "-Dsecurity.kerberos.krb5-conf.path=kerberos conf/krb5.conf".into(),
    ]);
    let stderr_path = dir.path().join("appmaster.stderr");
    let mut guard = spawn_appmaster(&bin, &args, dir.path(), &stderr_path, &[]);
    let child = &mut guard.0;
    one_taskmanager_runs_the_small_job(child, rest_port, &job, &stderr_path).await;

    // Flink's nodes and the store's are the Kerberos user's: closed to
    // anonymous clients.
    let top = closed_to_anonymous(&zk, "/flink/kerberos").await;
    assert!(top.iter().any(|n| n == "mesos-workers"), "{top:?}");
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(!stderr.contains("world-writable"), "{stderr}");
    // `workers list` logs in the same way.
    let flags = &args[args.iter().position(|a| a.contains("cluster-id")).unwrap()..];
    workers_list_shows_the_worker(&bin, flags, dir.path(), &[]);
    // Both JVMs logged in: the TaskManager from the keytab it received.
    let jm_log = std::fs::read_dir(dir.path().join("am").join("log"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("jobmanager"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect::<String>();
    const GSSAPI: &str = "Client will use GSSAPI as SASL mechanism";
    assert!(jm_log.contains(GSSAPI), "the JobManager did not log in");
    // The store's Kerberos variables are the appmaster's own: the
    // JobManager logged in from Flink's configuration without them.
    let jobmanager = flink::children(child.id())
        .into_iter()
        .find(|p| flink::cmdline(*p).contains("StandaloneSessionClusterEntrypoint"))
        .expect("the JobManager JVM");
    let environ = std::fs::read(format!("/proc/{jobmanager}/environ")).unwrap();
    for var in ["KRB5CCNAME=", "KRB5_CLIENT_KTNAME=", "KRB5_CONFIG="] {
        assert!(
            !environ
                .split(|b| *b == 0)
                .any(|e| e.starts_with(var.as_bytes())),
            "the JobManager's environment has {var}"
        );
    }
    let agent_files = crate::support::mesos_local::files_below(mesos.work_dir());
    assert!(
        agent_files.iter().any(|(path, content)| {
            path.ends_with("taskmanager.log") && String::from_utf8_lossy(content).contains(GSSAPI)
        }),
        "the TaskManager did not log in"
    );
    // The keytab's bytes are in no agent file.
    let key = std::fs::read(&keytab).unwrap();
    for (path, content) in &agent_files {
        assert!(
            !content.windows(key.len()).any(|w| w == key.as_slice()),
            "{}",
            path.display()
        );
    }
    terminate_and_wait_success(child, &stderr_path).await;
}

/// Waits for the one TaskManager of the cluster `child` runs to register,
/// then runs `SmallJob` from `job` on it to FINISHED.
async fn one_taskmanager_runs_the_small_job(
    child: &mut std::process::Child,
    rest_port: u16,
    job: &std::path::Path,
    stderr_path: &std::path::Path,
) {
    use crate::flink_on_mesos::wait_registered;
    use crate::support::flink::{submit_jar, wait_job_terminal};

    let (_stdout, _) = crate::support::status_base(child, stderr_path);
    wait_registered(
        rest_port,
        "a TaskManager",
        |ids| ids.len() == 1,
        stderr_path,
    )
    .await;
    let job_id = submit_jar(rest_port, job, "SmallJob").await;
    assert_eq!(
        wait_job_terminal(rest_port, &job_id, Duration::from_secs(120)).await,
        "FINISHED",
        "{}",
        std::fs::read_to_string(stderr_path).unwrap_or_default()
    );
}

/// The nodes below `base` (Flink's and the worker store's), each of which
/// an anonymous client of `zk`'s plain port is refused: sorted, with
/// Flink's `leader` among them.
async fn closed_to_anonymous(zk: &ZooKeeper, base: &str) -> Vec<String> {
    let anonymous = zookeeper_client::Client::connect(&zk.connect_string())
        .await
        .unwrap();
    let mut top = anonymous.list_children(base).await.unwrap();
    top.sort();
    assert!(top.iter().any(|n| n == "leader"), "Flink's nodes: {top:?}");
    for node in &top {
        let path = format!("{base}/{node}");
        assert!(
            matches!(
                anonymous.list_children(&path).await,
                Err(zookeeper_client::Error::NoAuth)
            ),
            "{path} is readable without credentials"
        );
    }
    top
}

/// `bin workers list` with `flags` (and `env`), run in `dir`, succeeds and
/// lists the cluster's first worker.
fn workers_list_shows_the_worker(
    bin: &std::path::Path,
    flags: &[String],
    dir: &std::path::Path,
    env: &[(&str, &str)],
) {
    let out = std::process::Command::new(bin)
        .args(["workers", "list"])
        .args(flags)
        .envs(env.iter().copied())
        .env_remove("FLINK_CONF_DIR")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && list.contains("taskmanager-00001"),
        "{list}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What a whole-cluster test needs before its appmaster starts: genuine
/// Mesos, Flink, a directory with `SmallJob`'s JAR, the JobManager's ports
/// and a private copy of the flink-mesos at `source` (other builds may
/// replace the original while the cluster runs).
struct JobCluster {
    mesos: MesosLocal,
    home: flink_mesos::flink::FlinkHome,
    dir: tempfile::TempDir,
    job: std::path::PathBuf,
    rpc_port: u16,
    rest_port: u16,
    bin: std::path::PathBuf,
}

impl JobCluster {
    fn new(source: &std::path::Path) -> JobCluster {
        let mesos = MesosLocal::start(&[]);
        let home = crate::support::flink::flink_home();
        let dir = tempfile::tempdir().unwrap();
        let job = crate::support::flink::build_small_job(&home, dir.path());
        let bin = dir.path().join("flink-mesos");
        std::fs::copy(source, &bin).unwrap();
        JobCluster {
            mesos,
            home,
            dir,
            job,
            rpc_port: crate::support::free_port(),
            rest_port: crate::support::free_port(),
            bin,
        }
    }
}
