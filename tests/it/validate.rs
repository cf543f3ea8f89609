//! One bad example per validation rule, asserting the exact diagnostic and
//! where it points; plus Flink's own shipped configuration files and the
//! seed's examples, which must validate without errors.

use std::path::PathBuf;

use flink_mesos::config::settings::{resolve, Purpose, Report, ValidateOptions};
use flink_mesos::config::{Config, LoadOptions, Severity};

/// Loads `content` as `file_name` in a fresh directory (plus `-D` args) and
/// returns the report and each diagnostic as `LINE:COL: severity: key: message`.
fn validate_with(
    file_name: &str,
    content: &str,
    dynamic: &[&str],
    purpose: Purpose,
    strict: bool,
) -> (Report, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file_name), content).unwrap();
    let opts = LoadOptions {
        conf_dir: Some(dir.path().into()),
        dynamic: dynamic.iter().map(|s| s.to_string()).collect(),
        env: vec![],
    };
    let config = Config::load(&opts).unwrap();
    let report = resolve(&config, ValidateOptions { purpose, strict });
    let lines = report
        .diagnostics
        .iter()
        .map(|d| {
            let at = d
                .span
                .as_ref()
                .map_or("-".to_string(), |s| format!("{}:{}", s.line, s.col));
            let sev = if d.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            format!(
                "{at}: {sev}: {}: {}",
                d.key.as_deref().unwrap_or("-"),
                d.message
            )
        })
        .collect();
    (report, lines)
}

fn flat(content: &str) -> Vec<String> {
    validate_with(
        "flink-conf.yaml",
        &format!("mesos.master: m:5050\n{content}"),
        &[],
        Purpose::Appmaster,
        false,
    )
    .1
}

fn assert_has(diags: &[String], expected: &str) {
    assert!(
        diags.iter().any(|d| d == expected),
        "expected\n  {expected}\nin\n  {}",
        diags.join("\n  ")
    );
}

#[test]
fn type_rules() {
    let cases = [
        ("mesos.resourcemanager.tasks.container.docker.force-pull-image: yes", "2:64: error: mesos.resourcemanager.tasks.container.docker.force-pull-image: `yes` is not a boolean; use `true` or `false`"),
        ("jobmanager.rpc.port: 70000", "2:22: error: jobmanager.rpc.port: `70000` is not a port; use a number from 0 to 65535"),
        ("mesos.resourcemanager.tasks.cpus: -1", "2:35: error: mesos.resourcemanager.tasks.cpus: `-1` must be a finite number of at least 0"),
        ("mesos.resourcemanager.tasks.gpus: -2", "2:35: error: mesos.resourcemanager.tasks.gpus: `-2` must be between 0 and 1024"),
        ("mesos.resourcemanager.tasks.mem: lots", "2:34: error: mesos.resourcemanager.tasks.mem: `lots` is not a number of megabytes (write e.g. `4096`)"),
        ("mesos.maximum-failed-tasks: -2", "2:29: error: mesos.maximum-failed-tasks: `-2` must be at least -1"),
        ("mesos.resourcemanager.tasks.container.type: lxc", "2:45: error: mesos.resourcemanager.tasks.container.type: `lxc` must be one of: mesos, docker"),
        ("mesos.resourcemanager.declined-offer-refuse-duration: 5 fortnights", "2:55: error: mesos.resourcemanager.declined-offer-refuse-duration: `5 fortnights` has an unknown time unit `fortnights`; use ms, s, min, h or d"),
        ("taskmanager.memory.process.size: 2 zettabytes", "2:34: error: taskmanager.memory.process.size: `2 zettabytes` has an unknown memory unit `zettabytes`; use b, k, m, g or t"),
        ("high-availability.zookeeper.path.mesos-workers: workers", "2:49: error: high-availability.zookeeper.path.mesos-workers: `workers` ZooKeeper path `workers` must start with `/`"),
    ];
    for (line, expected) in cases {
        assert_has(&flat(line), expected);
    }
}

#[test]
fn master_forms() {
    let d = validate_with(
        "flink-conf.yaml",
        "mesos.master: zk://zk1:2181\n",
        &[],
        Purpose::Appmaster,
        false,
    )
    .1;
    assert_has(&d, "1:15: error: mesos.master: `zk://zk1:2181` is not a valid master address: a zk:// master needs a path: zk://host1:port1,host2:port2/mesos");
    let d = validate_with(
        "flink-conf.yaml",
        "mesos.master: file:///nonexistent/master\n",
        &[],
        Purpose::Appmaster,
        false,
    )
    .1;
    assert_has(&d, "1:15: error: mesos.master: `file:///nonexistent/master` is not a valid master address: cannot read the master file /nonexistent/master: No such file or directory (os error 2)");
    for good in [
        "m:5050",
        "zk://zk1:2181,zk2:2181/mesos",
        "zk://user:pass@zk1:2181,zk2:2181/mesos",
        "http://m:5050",
    ] {
        let (report, d) = validate_with(
            "flink-conf.yaml",
            &format!("mesos.master: {good}\n"),
            &[],
            Purpose::Appmaster,
            false,
        );
        assert_eq!(report.errors(), 0, "{good}: {d:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("master");
    std::fs::write(&file, "zk://zk1:2181/mesos\n").unwrap();
    let (report, d) = validate_with(
        "flink-conf.yaml",
        &format!("mesos.master: file://{}\n", file.display()),
        &[],
        Purpose::Appmaster,
        false,
    );
    assert_eq!(report.errors(), 0, "{d:?}");
}

#[test]
fn missing_master_is_an_error_only_for_the_appmaster() {
    let (_, d) = validate_with(
        "flink-conf.yaml",
        "rest.port: 8081\n",
        &[],
        Purpose::Appmaster,
        false,
    );
    assert_has(
        &d,
        "-: error: mesos.master: is not set; the appmaster needs to know the Mesos master",
    );
    let (report, _) = validate_with(
        "flink-conf.yaml",
        "rest.port: 8081\n",
        &[],
        Purpose::Taskmanager,
        false,
    );
    assert_eq!(report.errors(), 0);
}

#[test]
fn list_formats() {
    assert_has(
        &flat("mesos.constraints.hard.hostattribute: az:eu-west-1a,series"),
        "2:39: error: mesos.constraints.hard.hostattribute: `az:eu-west-1a,series` has the entry `series`, which is not `key:value`",
    );
    assert_has(
        &flat("mesos.resourcemanager.tasks.container.volumes: /a:/b:XX"),
        "2:48: error: mesos.resourcemanager.tasks.container.volumes: `/a:/b:XX` volume `/a:/b:XX`: mode `XX` must be RO or RW",
    );
    assert_has(
        &flat("mesos.resourcemanager.tasks.container.docker.parameters: env=A=B,=oops"),
        "2:58: error: mesos.resourcemanager.tasks.container.docker.parameters: `env=A=B,=oops` has the entry `=oops`, which is not `key=value`",
    );
    assert_has(
        &flat("mesos.resourcemanager.tasks.hostname: _TASK_.bad_name.mesos"),
        "2:39: error: mesos.resourcemanager.tasks.hostname: `_TASK_.bad_name.mesos` gives the host name `taskmanager-00001.bad_name.mesos` for task taskmanager-00001, which is not a valid DNS name (label `bad_name`)",
    );
    assert_has(
        &flat("mesos.initial-tasks: 2\nmesos.resourcemanager.tasks.hostname: tm.flink.mesos"),
        "3:39: warning: mesos.resourcemanager.tasks.hostname: has no `_TASK_`, so every TaskManager gets the same host name",
    );
}

#[test]
fn cross_field_rules() {
    assert_has(
        &flat("mesos.resourcemanager.tasks.container.type: docker"),
        "2:45: error: mesos.resourcemanager.tasks.container.type: is `docker`, but `mesos.resourcemanager.tasks.container.image.name` is not set",
    );
    assert_has(
        &flat("mesos.resourcemanager.framework.principal: flink"),
        "2:44: warning: mesos.resourcemanager.framework.principal: is set without `mesos.resourcemanager.framework.secret`; the master must accept unauthenticated frameworks",
    );
    let d = flat("high-availability: zookeeper");
    assert_has(
        &d,
        "-: error: high-availability.zookeeper.quorum: is required when high-availability is ZOOKEEPER",
    );
    assert_has(&d, "-: error: high-availability.storageDir: is required when high-availability is ZOOKEEPER (the JobManager stores its recovery data there)");
    let d = flat("security.ssl.enabled: true");
    assert_has(&d, "-: error: security.ssl.keystore: is required: the artifact server serves over TLS (security.ssl.enabled or security.ssl.internal.enabled, and mesos.resourcemanager.artifactserver.ssl.enabled, are true)");
    // Internal SSL alone turns the artifact server's TLS on (the workers'
    // key stores travel through it) ...
    let d = flat("security.ssl.internal.enabled: true");
    assert_has(&d, "-: error: security.ssl.keystore: is required: the artifact server serves over TLS (security.ssl.enabled or security.ssl.internal.enabled, and mesos.resourcemanager.artifactserver.ssl.enabled, are true)");
    // ... and refuses to be turned off.
    assert_has(
        &flat("security.ssl.internal.enabled: true\nmesos.resourcemanager.artifactserver.ssl.enabled: false"),
        "3:51: error: mesos.resourcemanager.artifactserver.ssl.enabled: is false while security.ssl.internal.enabled is true: the workers' key stores and their passwords would travel to them over plain HTTP",
    );
    assert_has(
        &flat("mesos.resourcemanager.artifactserver.ssl.enabled: true"),
        "2:51: warning: mesos.resourcemanager.artifactserver.ssl.enabled: is true but `security.ssl.enabled` is false, so the artifact server serves plain HTTP",
    );
    assert_has(
        &flat("mesos.maximum-failed-tasks: 0"),
        "2:29: warning: mesos.maximum-failed-tasks: is 0: the cluster fails at the first failed worker",
    );
}

#[test]
fn memory_rules() {
    assert_has(
        &flat("mesos.resourcemanager.tasks.mem: 1024\ntaskmanager.memory.process.size: 1728m"),
        "3:34: error: taskmanager.memory.process.size: is 1728 MB, larger than the Mesos container (`mesos.resourcemanager.tasks.mem` = 1024 MB)",
    );
    assert_has(
        &flat("mesos.resourcemanager.tasks.mem: 1024\ntaskmanager.heap.mb: 2048"),
        "3:22: error: taskmanager.heap.mb: is 2048 MB, larger than the Mesos container (`mesos.resourcemanager.tasks.mem` = 1024 MB)",
    );
    // The seed's own Marathon example: Flink 1.10+ reads the legacy heap as
    // the whole process on Mesos, so it fills the container exactly.
    let d = flat("mesos.resourcemanager.tasks.mem: 1024\ntaskmanager.heap.mb: 1024");
    assert!(!d.iter().any(|d| d.contains("error")), "{d:?}");
    assert_has(
        &d,
        "3:22: warning: taskmanager.heap.mb: is a setting of Flink before 1.10, which later versions ignore: flink-mesos passes it to Flink as taskmanager.memory.process.size: 1024m, the TaskManager's whole process (Flink's own migration rule on Mesos)",
    );
    // The example: 600 MB cannot hold Flink's fixed parts; refused
    // at the key instead of a 153 MB heap nobody asked for.
    assert_has(
        &flat("mesos.resourcemanager.tasks.mem: 1024\ntaskmanager.heap.mb: 600"),
        "3:22: error: taskmanager.heap.mb: leaves Flink's TaskManager memory calculation no room: framework heap (128 MB), framework off-heap (128 MB), task off-heap (0 MB), managed (60 MB) and network memory (64 MB) exceed the 152 MB of Flink memory left after JVM metaspace (256 MB) and overhead (192 MB); the TaskManager would not start",
    );
    // A 700 MB container with Flink's defaults: validation catches what
    // made the TaskManager exit 5 at start.
    let d = flat("mesos.resourcemanager.tasks.mem: 700");
    assert!(
        d.iter().any(|d| d.starts_with("2:34: error: mesos.resourcemanager.tasks.mem: leaves Flink's TaskManager memory calculation no room")),
        "{d:?}"
    );
    // Unset container size follows the TaskManager memory.
    let (report, d) = validate_with(
        "flink-conf.yaml",
        "mesos.master: m:5050\ntaskmanager.memory.process.size: 1728m\n",
        &[],
        Purpose::Appmaster,
        false,
    );
    assert!(d.is_empty(), "{d:?}");
    let s = report.settings.unwrap();
    assert_eq!(s.tasks.mem_mb, 1728);
    let b = s.taskmanager_memory.breakdown.unwrap();
    assert_eq!(
        (b.process >> 20, b.metaspace >> 20, b.overhead >> 20),
        (1728, 256, 192)
    );
    let (report, _) = validate_with(
        "flink-conf.yaml",
        "mesos.master: m:5050\ntaskmanager.heap.mb: 1000\n",
        &[],
        Purpose::Appmaster,
        false,
    );
    assert_eq!(report.settings.unwrap().tasks.mem_mb, 1000);
    // Flink memory that makes a process larger than the container.
    let d = flat("mesos.resourcemanager.tasks.mem: 1024\ntaskmanager.memory.flink.size: 1024m");
    assert!(
        d.iter().any(|d| d.starts_with(
            "3:32: error: taskmanager.memory.flink.size: makes a TaskManager process of 1"
        )),
        "{d:?}"
    );
    // Retired memory keys are named, not dropped silently.
    assert_has(
        &flat("taskmanager.memory.fraction: 0.7"),
        "2:1: warning: taskmanager.memory.fraction: is a memory setting of Flink before 1.10; Flink 1.10 and later ignore it, and flink-mesos does not pass it on",
    );
}

#[test]
fn unknown_and_deprecated_keys() {
    let (_, d) = validate_with(
        "flink-conf.yaml",
        "mesos.master: m:5050\nmesos.artifact-server.port: 9000\nfoo.bar: 1\njobmanager.web.port: 8081\n",
        &[],
        Purpose::Appmaster,
        false,
    );
    assert_has(
        &d,
        "2:1: warning: mesos.artifact-server.port: is not a flink-mesos option and is ignored",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    let (report, d) = validate_with(
        "flink-conf.yaml",
        "mesos.master: m:5050\nmesos.artifact-server.port: 9000\nfoo.bar: 1\njobmanager.web.port: 8081\n",
        &[],
        Purpose::Appmaster,
        true,
    );
    assert_has(
        &d,
        "3:1: warning: foo.bar: is not an option flink-mesos knows; it is passed to Flink unchanged",
    );
    assert_has(
        &d,
        "4:1: warning: jobmanager.web.port: is a deprecated spelling of `rest.port`",
    );
    let hint = report
        .diagnostics
        .iter()
        .find(|d| d.key.as_deref() == Some("mesos.artifact-server.port"))
        .unwrap()
        .hint
        .clone();
    assert_eq!(
        hint.as_deref(),
        Some("did you mean `mesos.resourcemanager.artifactserver.port`?")
    );
}

#[test]
fn file_format_problems_have_locations() {
    let (report, d) = validate_with(
        "config.yaml",
        "mesos:\n  master: m:5050\nmesos.master: other:5050\n",
        &[],
        Purpose::Appmaster,
        false,
    );
    assert_has(
        &d,
        "3:1: error: mesos.master: duplicate key (first defined on line 2)",
    );
    assert_eq!(report.errors(), 1);
    let (_, d) = validate_with(
        "flink-conf.yaml",
        "mesos.master: m:5050\nmesos.initial-tasks 3\n",
        &[],
        Purpose::Appmaster,
        false,
    );
    assert_has(
        &d,
        "2:1: warning: -: line is not a `key: value` pair and is ignored",
    );
}

#[test]
fn dynamic_properties_point_into_the_argument() {
    let (_, d) = validate_with(
        "flink-conf.yaml",
        "mesos.master: m:5050\n",
        &["mesos.failover-timeout=soon"],
        Purpose::Appmaster,
        false,
    );
    assert_has(
        &d,
        "1:24: error: mesos.failover-timeout: `soon` is not a whole number",
    );
}

#[test]
fn secrets_never_appear_in_diagnostics() {
    let (report, _) = validate_with(
        "flink-conf.yaml",
        "mesos.master: zk://flink:TopSecret1@zk1:99999/mesos\nmesos.resourcemanager.framework.secret: TopSecret2\nsecurity.ssl.enabled: true\nsecurity.ssl.keystore-password: TopSecret3\n",
        &[],
        Purpose::Appmaster,
        true,
    );
    assert!(report.errors() > 0);
    for d in &report.diagnostics {
        let text = format!("{}{}", d.render(false), d.to_json());
        assert!(!text.contains("TopSecret"), "secret leaked: {text}");
    }
    let rendered: String = report.diagnostics.iter().map(|d| d.render(false)).collect();
    assert!(
        rendered.contains("zk://flink:******@zk1:99999/mesos"),
        "{rendered}"
    );
}

#[test]
fn the_seeds_examples_validate_without_errors() {
    // bin/mesos-appmaster.sh -D… from the "General configuration" section.
    let seed = [
        "mesos.master=master.foobar.org:5050",
        "jobmanager.heap.mb=1024",
        "jobmanager.rpc.port=6123",
        "jobmanager.web.port=8081",
        "mesos.initial-tasks=10",
        "mesos.resourcemanager.tasks.mem=4096",
        "taskmanager.heap.mb=3500",
        "taskmanager.numberOfTaskSlots=2",
        "parallelism.default=10",
    ];
    let (report, d) = validate_with("flink-conf.yaml", "", &seed, Purpose::Appmaster, false);
    // The legacy heap keys are translated, each with a warning that says
    // to what (Flink's migration rules: the JobManager's heap is the heap,
    // the TaskManager's is its whole process on Mesos).
    assert_eq!(report.errors(), 0, "{d:?}");
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(
        d.iter().any(
            |d| d.contains("jobmanager.heap.mb: is a setting of Flink before 1.10")
                && d.contains("jobmanager.memory.heap.size: 1024m")
        ),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|d| d.contains("taskmanager.memory.process.size: 3500m")),
        "{d:?}"
    );
    let s = report.settings.unwrap();
    assert_eq!(
        (
            s.initial_tasks,
            s.max_failed_tasks,
            s.tasks.mem_mb,
            s.rest_port
        ),
        (10, Some(10), 4096, 8081)
    );
    assert_eq!(s.tasks.cpus, 2.0, "0 cpus means one per slot");

    // The Marathon example's cmd, with mesos.master from the file.
    let cmd = "$FLINK_HOME/bin/mesos-appmaster.sh -Djobmanager.heap.mb=1024 -Djobmanager.rpc.port=6123 -Djobmanager.web.port=8081 -Dmesos.initial-tasks=1 -Dmesos.resourcemanager.tasks.mem=1024 -Dtaskmanager.heap.mb=1024 -Dtaskmanager.numberOfTaskSlots=2 -Dparallelism.default=2 -Dmesos.resourcemanager.tasks.cpus=1";
    let dynamic: Vec<&str> = cmd
        .split_whitespace()
        .skip(1)
        .map(|a| a.strip_prefix("-D").unwrap())
        .collect();
    let (report, d) = validate_with(
        "flink-conf.yaml",
        "mesos.master: m:5050\n",
        &dynamic,
        Purpose::Appmaster,
        false,
    );
    assert_eq!(report.errors(), 0, "{d:?}");
    assert_eq!(d.len(), 2, "only the two legacy heap warnings: {d:?}");
    let s = report.settings.unwrap();
    let tm = s.taskmanager_memory.breakdown.unwrap();
    assert_eq!((tm.process >> 20, s.tasks.mem_mb), (1024, 1024));
    assert_eq!(s.jobmanager_breakdown.unwrap().heap() >> 20, 1024);
}

fn flink_conf_fixtures() -> PathBuf {
    let cache = std::env::var_os("FLINK_MESOS_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/flink-mesos")
        });
    cache.join("flink-conf")
}

#[test]
fn flinks_own_configuration_files_validate() {
    let root = flink_conf_fixtures();
    let versions: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run scripts/install-deps.sh (it fetches Flink's shipped configuration files)",
                root.display()
            )
        })
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        versions.len() >= 3,
        "expected Flink 1.13, 1.18 and 2.3 in {}",
        root.display()
    );
    let mut formats = std::collections::HashSet::new();
    for dir in versions {
        let file = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap();
        let name = file.file_name().to_string_lossy().to_string();
        formats.insert(name.clone());
        let content = std::fs::read_to_string(file.path()).unwrap();
        // Flink ships `localhost` for the JobManager's address: fine with a
        // master on this host, an error naming the line with one elsewhere.
        let (remote, d) = validate_with(
            &name,
            &content,
            &["mesos.master=mesos.example:5050"],
            Purpose::Appmaster,
            false,
        );
        assert!(remote.errors() >= 1, "{}: {d:?}", dir.display());
        assert!(
            d.iter()
                .all(|l| l.contains("is a loopback address while the Mesos master")),
            "{}: {d:?}",
            dir.display()
        );
        assert!(
            d.iter()
                .any(|l| l.contains("error: jobmanager.rpc.address:")),
            "{}: {d:?}",
            dir.display()
        );
        let (report, d) = validate_with(
            &name,
            &content,
            &["mesos.master=127.0.0.1:5050"],
            Purpose::Appmaster,
            false,
        );
        assert_eq!(report.errors(), 0, "{}: {d:?}", dir.display());
        assert!(d.is_empty(), "{}: {d:?}", dir.display());
        // The values Flink ships are read, nested YAML included.
        let s = report.settings.unwrap();
        assert_eq!(
            (s.jobmanager_rpc_port, s.task_slots),
            (6123, 1),
            "{}",
            dir.display()
        );
        assert_eq!(
            s.tasks.mem_mb,
            1728,
            "{}: the container follows taskmanager.memory.process.size",
            dir.display()
        );
    }
    assert!(
        formats.contains("flink-conf.yaml") && formats.contains("config.yaml"),
        "{formats:?}"
    );
}

/// TLS to ZooKeeper (`high-availability.zookeeper.client.ssl.*`): on
/// without a trust store, files that do not hold what they must, and files
/// set while it is off each get a diagnostic at the key.
#[test]
fn zookeeper_tls_rules() {
    let ha = "high-availability: zookeeper\nhigh-availability.zookeeper.quorum: zk:2281\nhigh-availability.storageDir: file:///tmp/ha\n";
    let d = flat(&format!(
        "{ha}high-availability.zookeeper.client.ssl.enabled: true"
    ));
    assert_has(&d, "5:49: error: high-availability.zookeeper.client.ssl.enabled: is true but high-availability.zookeeper.client.ssl.truststore is not set");
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.txt");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let d = flat(&format!(
        "{ha}high-availability.zookeeper.client.ssl.enabled: true\n\
         high-availability.zookeeper.client.ssl.truststore: {}\n\
         high-availability.zookeeper.client.ssl.keystore: {}",
        not_pem.display(),
        dir.path().join("missing.pem").display()
    ));
    assert_has(
        &d,
        &format!(
            "6:52: error: high-availability.zookeeper.client.ssl.truststore: {} holds no certificate (BEGIN CERTIFICATE)",
            not_pem.display()
        ),
    );
    assert!(
        d.iter().any(|l| l.starts_with(&format!(
            "7:50: error: high-availability.zookeeper.client.ssl.keystore: cannot read {}",
            dir.path().join("missing.pem").display()
        ))),
        "{d:?}"
    );
    let d = flat(&format!(
        "{ha}high-availability.zookeeper.client.ssl.truststore: {}",
        not_pem.display()
    ));
    assert_has(&d, "-: warning: high-availability.zookeeper.client.ssl.enabled: is false, so the ZooKeeper trust store and key store are not used: every connection to ZooKeeper is plain TCP");
    // A client key that others can read: a warning with the remedy; none
    // once it is private.
    let certs = crate::support::zookeeper::ZkCerts::generate();
    let tls = format!(
        "{ha}high-availability.zookeeper.client.ssl.enabled: true\n\
         high-availability.zookeeper.client.ssl.truststore: {}\n\
         high-availability.zookeeper.client.ssl.keystore: {}",
        certs.ca.display(),
        certs.client.display()
    );
    assert!(
        !flat(&tls).iter().any(|l| l.contains("readable by")),
        "{:?}",
        flat(&tls)
    );
    std::fs::set_permissions(
        &certs.client,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    assert_has(
        &flat(&tls),
        &format!(
            "7:50: warning: high-availability.zookeeper.client.ssl.keystore: {} holds this cluster's private key and is readable by everyone (mode 0644)",
            certs.client.display()
        ),
    );
}
