//! The short fuzz run of CI: every fuzz entry point (`flink_mesos::fuzzing`,
//! the same ones the cargo-fuzz targets in `fuzz/` drive) gets its seeds and
//! thousands of deterministic mutations of them (byte flips, inserts,
//! deletes, splices, truncations). Passing means: no panic, no hang (the
//! per-test timeout), and the artifact path property holds. Long,
//! coverage-guided runs: `scripts/fuzz.sh TARGET SECONDS`.

use flink_mesos::fuzzing;
use flink_mesos::mesos::{AgentId, FrameworkId, Offer, OfferId, Range, Resource};
use flink_mesos::scheduler::{Worker, WorkerState};

/// Mutations per target: the configuration pipeline is the slowest.
const MUTATIONS: usize = 50_000;
const CONFIG_MUTATIONS: usize = 5_000;

fn mutate(rng: &mut fastrand::Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.usize(..seeds.len())].clone();
    for _ in 0..rng.usize(1..6) {
        match rng.u8(..6) {
            0 if !data.is_empty() => {
                let i = rng.usize(..data.len());
                data[i] ^= 1 << rng.u8(..8);
            }
            1 => {
                let i = rng.usize(..=data.len());
                let byte = *[
                    b'\n', b':', b'#', b'"', b'-', b'.', b'=', 0, 0xff, b'%', b'/',
                ]
                .get(rng.usize(..11))
                .unwrap_or(&0);
                data.insert(i, if rng.bool() { byte } else { rng.u8(..) });
            }
            2 if !data.is_empty() => {
                let i = rng.usize(..data.len());
                let n = rng.usize(..=(data.len() - i).min(16));
                data.drain(i..i + n);
            }
            3 => {
                let other = &seeds[rng.usize(..seeds.len())];
                if !other.is_empty() {
                    let from = rng.usize(..other.len());
                    let to = rng.usize(from..=other.len());
                    let at = rng.usize(..=data.len());
                    data.splice(at..at, other[from..to].iter().copied());
                }
            }
            4 if !data.is_empty() => data.truncate(rng.usize(..data.len())),
            _ => {
                // Repeat a slice: deep nesting, long lines.
                if !data.is_empty() {
                    let i = rng.usize(..data.len());
                    let piece: Vec<u8> = data[i..(i + 8).min(data.len())].to_vec();
                    for _ in 0..rng.usize(1..64) {
                        data.extend_from_slice(&piece);
                    }
                }
            }
        }
    }
    data
}

fn run(seed: u64, seeds: Vec<Vec<u8>>, mutations: usize, mut target: impl FnMut(&[u8])) {
    for s in &seeds {
        target(s);
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    for _ in 0..mutations {
        target(&mutate(&mut rng, &seeds));
    }
}

fn config_seeds() -> Vec<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for (file, selector) in [
        ("examples/conf/flink-conf.yaml", 1u8),
        ("examples/flink2-conf/config.yaml", 0u8),
    ] {
        let mut s = vec![selector];
        s.extend(std::fs::read(root.join(file)).unwrap());
        seeds.push(s);
    }
    seeds.push(b"\x00mesos:\n  master: zk://u:p@h:2181/mesos\n  initial-tasks: [1, 2]\ntaskmanager: {memory: {process.size: 1g}}\n".to_vec());
    seeds.push(b"\x01mesos.constraints.hard.hostattribute: az:a,rack\nmesos.resourcemanager.tasks.container.volumes: /a:/b:rw\n".to_vec());
    seeds
}

#[test]
fn configuration_parsing_and_validation_survive_mutations() {
    run(1, config_seeds(), CONFIG_MUTATIONS, fuzzing::config);
}

#[test]
fn master_parsing_survives_mutations() {
    let seeds = [
        "127.0.0.1:5050",
        "https://m.example:5050",
        "zk://a:1,b:2/mesos",
        "zk://user:pw@zk1:2181,[::1]:2181/mesos/x",
        "file:///nonexistent/master",
        "[::1]:5050",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    run(2, seeds, MUTATIONS, fuzzing::master);
}

#[test]
fn event_stream_decoding_survives_mutations() {
    let offer = Offer {
        id: OfferId::new("o1"),
        framework_id: FrameworkId::new("f1"),
        agent_id: AgentId::new("a1"),
        hostname: "h".into(),
        resources: vec![
            Resource::scalar("cpus", 4.0),
            Resource::ranges(
                "ports",
                vec![Range {
                    begin: 31000,
                    end: 32000,
                }],
            ),
        ],
        attributes: vec![],
        allocation_role: None,
    };
    let body = flink_mesos::mesos::testing::encode_offers_event(&[offer]);
    let mut stream = vec![7u8];
    for _ in 0..3 {
        flink_mesos::mesos::recordio::encode(&body, &mut stream);
    }
    run(
        3,
        vec![stream, b"\x0112\nabc".to_vec()],
        MUTATIONS,
        fuzzing::events,
    );
}

#[test]
fn stored_records_survive_mutations() {
    let worker = Worker {
        task_id: "taskmanager-00001".into(),
        state: WorkerState::Running,
        agent_id: Some("a1".into()),
        hostname: Some("h".into()),
        ports: vec![("taskmanager.rpc.port".into(), 31000)],
    };
    let seeds = vec![
        flink_mesos::store::record::encode_worker(&worker),
        b"42".to_vec(),
        b"framework-0001".to_vec(),
    ];
    run(4, seeds, MUTATIONS, fuzzing::worker_record);
}

#[test]
fn artifact_request_paths_resolve_only_to_exact_registered_names() {
    let dir = tempfile::tempdir().unwrap();
    let registry = fuzzing::artifact_registry(dir.path());
    let prefix = fuzzing::ARTIFACT_PREFIX;
    let mut seeds: Vec<Vec<u8>> = fuzzing::ARTIFACT_NAMES
        .iter()
        .map(|n| format!("/{prefix}/{n}").into_bytes())
        .collect();
    seeds.push(format!("/{prefix}/../{prefix}/flink-mesos").into_bytes());
    seeds.push(format!("/{prefix}/conf%2fconfig.yaml").into_bytes());
    seeds.push(b"/etc/passwd".to_vec());
    let mut resolved = 0;
    run(5, seeds, MUTATIONS, |data| {
        if let Some(name) = fuzzing::artifact_path(data, &registry) {
            resolved += 1;
            assert_eq!(
                String::from_utf8_lossy(data),
                format!("/{prefix}/{name}"),
                "a path that is not exactly a registered name resolved"
            );
        }
    });
    assert!(resolved >= 3, "the registered names themselves resolve");
}

/// Calls to the embedded Mesos, as any local client may send them: each
/// seed is a sequence of (length, call type, protobuf body) records, the
/// types as in Mesos' scheduler.proto (ACCEPT 3, DECLINE 4, REVIVE 5, KILL 6,
/// ACKNOWLEDGE 8, RECONCILE 9, TEARDOWN 2).
#[test]
fn embedded_mesos_calls_survive_mutations() {
    use flink_mesos::mesos::testing::encode_call;
    use flink_mesos::mesos::{AgentId, Call, CommandInfo, ReconcileTask, TaskId, TaskInfo};
    let offer = Offer {
        id: OfferId("master-O0".into()),
        framework_id: FrameworkId::from("fw"),
        agent_id: AgentId("agent".into()),
        hostname: "127.0.0.1".into(),
        resources: vec![
            Resource::scalar("cpus", 2.0),
            Resource::scalar("mem", 1024.0),
        ],
        attributes: Vec::new(),
        allocation_role: Some("*".into()),
    };
    let launch = Call::Launch {
        offer_ids: vec![offer.id.clone()],
        tasks: vec![TaskInfo {
            name: "t".into(),
            task_id: TaskId::from("t"),
            agent_id: offer.agent_id.clone(),
            resources: vec![Resource::scalar("cpus", 0.1), Resource::scalar("mem", 32.0)],
            command: CommandInfo::shell("true"),
            container: None,
            labels: vec![],
            kill_grace_period: None,
        }],
        refuse_seconds: Some(1.0),
    };
    let calls = [
        (3u8, launch),
        (
            4,
            Call::Decline {
                offer_ids: vec![offer.id.clone()],
                refuse_seconds: Some(5.0),
            },
        ),
        (5, Call::Revive { roles: vec![] }),
        (
            6,
            Call::Kill {
                task_id: TaskId::from("t"),
                agent_id: Some(offer.agent_id.clone()),
                grace_period: None,
            },
        ),
        (
            9,
            Call::Reconcile {
                tasks: vec![ReconcileTask {
                    task_id: TaskId::from("t"),
                    agent_id: None,
                }],
            },
        ),
        (
            8,
            Call::Acknowledge {
                agent_id: offer.agent_id.clone(),
                task_id: TaskId::from("t"),
                uuid: vec![1, 2, 3],
            },
        ),
        (2, Call::Teardown),
    ];
    let record = |ty: u8, call: &Call| {
        let body = encode_call(call, "fw");
        let mut r = vec![body.len().min(255) as u8, ty];
        r.extend(body.into_iter().take(255));
        r
    };
    let mut seeds: Vec<Vec<u8>> = calls.iter().map(|(ty, c)| record(*ty, c)).collect();
    seeds.push(calls.iter().flat_map(|(ty, c)| record(*ty, c)).collect());
    run(6, seeds, MUTATIONS / 5, fuzzing::embedded_calls);
}
