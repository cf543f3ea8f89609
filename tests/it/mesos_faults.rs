//! Fault injection: the client and driver against a scripted fake master
//! (`support::fake_master`) for the failures a real master cannot be made to
//! produce on demand.

use std::time::Duration;

use flink_mesos::mesos::backoff::BackoffPolicy;
use flink_mesos::mesos::client::{
    fixed_master, Client, ClientOptions, Driver, DriverExit, DriverHandle, MesosError, SessionEvent,
};
use flink_mesos::mesos::{Call, Event, FrameworkId, FrameworkSettings};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::support::fake_master::{self, FakeMaster, Reply};

const NOW: Duration = Duration::ZERO;

fn options() -> ClientOptions {
    ClientOptions {
        subscribe_timeout: Duration::from_secs(3),
        backoff: BackoffPolicy {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(100),
            reset_after: Duration::from_secs(60),
        },
        ..ClientOptions::default()
    }
}

struct Run {
    handle: DriverHandle,
    events: mpsc::Receiver<SessionEvent>,
    task: JoinHandle<Result<DriverExit, MesosError>>,
}

fn run(url: &str, id: Option<&str>) -> Run {
    let client = Client::new(FrameworkSettings::new("fault", "nobody"), options()).unwrap();
    let (driver, handle) = Driver::new(client, fixed_master(url), id.map(FrameworkId::from));
    let (tx, events) = mpsc::channel(64);
    Run {
        handle,
        events,
        task: tokio::spawn(driver.run(tx)),
    }
}

impl Run {
    async fn next(&mut self) -> SessionEvent {
        tokio::time::timeout(Duration::from_secs(10), self.events.recv())
            .await
            .expect("timed out waiting for a session event")
            .expect("driver ended")
    }

    async fn expect_subscribed(&mut self, id: &str) {
        match self.next().await {
            SessionEvent::Event(Event::Subscribed { framework_id, .. }) => {
                assert_eq!(framework_id.as_str(), id)
            }
            other => panic!("expected SUBSCRIBED, got {other:?}"),
        }
    }

    async fn expect_disconnected(&mut self, needle: &str) -> String {
        match self.next().await {
            SessionEvent::Disconnected { reason } => {
                assert!(
                    reason.contains(needle),
                    "reason `{reason}` lacks `{needle}`"
                );
                reason
            }
            other => panic!("expected a disconnect ({needle}), got {other:?}"),
        }
    }

    async fn stop(self) {
        self.handle.stop();
        assert_eq!(self.task.await.unwrap().unwrap(), DriverExit::Stopped);
    }
}

fn stream(chunks: Vec<Vec<u8>>, then_hang: bool) -> Reply {
    Reply::Stream {
        stream_id: "stream-1".into(),
        chunks: chunks.into_iter().map(|c| (NOW, c)).collect(),
        then_hang,
    }
}

#[tokio::test]
async fn stream_cut_mid_record_resubscribes_with_the_framework_id() {
    let offers_prefix = b"120\n\x08\x02\x1a".to_vec(); // a record that never completes
    let master = FakeMaster::start(vec![
        stream(
            vec![fake_master::subscribed("fw-cut", 15.0), offers_prefix],
            false,
        ),
        stream(vec![fake_master::subscribed("fw-cut", 15.0)], true),
    ])
    .await;
    let mut run = run(&master.url, None);
    run.expect_subscribed("fw-cut").await;
    run.expect_disconnected("").await;
    run.expect_subscribed("fw-cut").await;
    let subs = master.subscribes();
    assert_eq!(subs.len(), 2);
    assert!(!subs[0].body_contains(b"fw-cut"));
    // The failover re-subscription names the framework id.
    assert!(subs[1].body_contains(b"fw-cut"));
    assert_eq!(subs[1].path, "/master/api/v1/scheduler");
    assert_eq!(
        subs[1].header("Content-Type"),
        Some("application/x-protobuf")
    );
    run.stop().await;
}

#[tokio::test]
async fn missing_heartbeats_are_a_disconnect() {
    let master = FakeMaster::start(vec![
        stream(
            vec![
                fake_master::subscribed("fw-hb", 0.2),
                fake_master::heartbeat(),
            ],
            true,
        ),
        stream(vec![fake_master::subscribed("fw-hb", 15.0)], true),
    ])
    .await;
    let mut run = run(&master.url, Some("fw-hb"));
    run.expect_subscribed("fw-hb").await;
    assert_eq!(run.next().await, SessionEvent::Event(Event::Heartbeat));
    let started = std::time::Instant::now();
    run.expect_disconnected("heartbeat").await;
    // 2 missed intervals of 0.2 s.
    assert!(started.elapsed() < Duration::from_secs(2));
    run.expect_subscribed("fw-hb").await;
    run.stop().await;
}

#[tokio::test]
async fn redirect_307_leads_to_the_leader_and_calls_go_there() {
    let leader = FakeMaster::start(vec![stream(
        vec![fake_master::subscribed("fw-307", 15.0)],
        true,
    )])
    .await;
    let follower = FakeMaster::start(vec![Reply::Status {
        code: 307,
        headers: vec![(
            "Location".into(),
            format!("//127.0.0.1:{}/master/api/v1/scheduler", leader.port),
        )],
        body: vec![],
    }])
    .await;
    let mut run = run(&follower.url, None);
    run.expect_subscribed("fw-307").await;
    run.handle
        .call(Call::Revive { roles: vec![] })
        .await
        .unwrap();
    let calls = leader.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].header("Mesos-Stream-Id"), Some("stream-1"));
    assert!(calls[0].body_contains(b"fw-307"));
    assert!(follower.calls().is_empty());
    run.stop().await;
}

#[tokio::test]
async fn unavailable_503_is_retried_until_a_leader_answers() {
    let no_leader = || Reply::Status {
        code: 503,
        headers: vec![],
        body: b"No leader elected".to_vec(),
    };
    let master = FakeMaster::start(vec![
        no_leader(),
        no_leader(),
        stream(vec![fake_master::subscribed("fw-503", 15.0)], true),
    ])
    .await;
    let mut run = run(&master.url, None);
    run.expect_disconnected("503").await;
    run.expect_disconnected("No leader elected").await;
    run.expect_subscribed("fw-503").await;
    assert_eq!(master.subscribes().len(), 3);
    run.stop().await;
}

#[tokio::test]
async fn malformed_records_end_the_subscription_cleanly() {
    let bad_protobuf = fake_master::record(b"\xff\xff\xff\xff");
    let master = FakeMaster::start(vec![
        stream(
            vec![
                fake_master::subscribed("fw-bad", 15.0),
                b"{\"type\":1}".to_vec(),
            ],
            true,
        ),
        stream(
            vec![fake_master::subscribed("fw-bad", 15.0), bad_protobuf],
            true,
        ),
        stream(vec![fake_master::subscribed("fw-bad", 15.0)], true),
    ])
    .await;
    let mut run = run(&master.url, None);
    run.expect_subscribed("fw-bad").await;
    run.expect_disconnected("RecordIO").await;
    run.expect_subscribed("fw-bad").await;
    run.expect_disconnected("malformed event").await;
    run.expect_subscribed("fw-bad").await;
    // Calls are withdrawn between subscriptions and work again after.
    run.handle
        .call(Call::Suppress { roles: vec![] })
        .await
        .unwrap();
    run.stop().await;
}

#[tokio::test]
async fn framework_removed_is_a_typed_outcome() {
    let master = FakeMaster::start(vec![stream(
        vec![fake_master::error("Framework has been removed")],
        true,
    )])
    .await;
    let run = run(&master.url, Some("fw-gone"));
    match tokio::time::timeout(Duration::from_secs(10), run.task)
        .await
        .unwrap()
        .unwrap()
    {
        Err(MesosError::FrameworkRemoved { framework_id }) => {
            assert_eq!(framework_id.as_str(), "fw-gone")
        }
        other => panic!("expected FrameworkRemoved, got {other:?}"),
    }
}

#[tokio::test]
async fn calls_before_subscribed_are_not_connected() {
    let master = FakeMaster::start(vec![Reply::Stream {
        stream_id: "s".into(),
        chunks: vec![(
            Duration::from_millis(300),
            fake_master::subscribed("fw-late", 15.0),
        )],
        then_hang: true,
    }])
    .await;
    let mut run = run(&master.url, None);
    assert!(matches!(
        run.handle.call(Call::Revive { roles: vec![] }).await,
        Err(MesosError::NotConnected)
    ));
    assert!(!run.handle.is_connected());
    run.expect_subscribed("fw-late").await;
    assert_eq!(run.handle.framework_id().unwrap().as_str(), "fw-late");
    assert!(run.handle.is_connected());
    assert_eq!(
        run.handle.master_url(),
        Some(format!("{}/master/api/v1/scheduler", master.url))
    );
    run.stop().await;
}

#[tokio::test]
async fn a_redirect_loop_is_cut_and_retried() {
    // A master that keeps naming itself as the leader (an election in flux),
    // then settles.
    let mut script: Vec<Reply> = (0..6).map(|_| Reply::RedirectToSelf).collect();
    script.push(stream(vec![fake_master::subscribed("fw-loop", 15.0)], true));
    let master = FakeMaster::start(script).await;
    let mut run = run(&master.url, None);
    run.expect_disconnected("more than 5 redirects").await;
    run.expect_subscribed("fw-loop").await;
    assert_eq!(master.subscribes().len(), 7);
    run.stop().await;
}

#[tokio::test]
async fn retries_back_off_exponentially() {
    let no_leader = || Reply::Status {
        code: 503,
        headers: vec![],
        body: b"No leader elected".to_vec(),
    };
    let mut script: Vec<Reply> = (0..5).map(|_| no_leader()).collect();
    script.push(stream(
        vec![fake_master::subscribed("fw-backoff", 15.0)],
        true,
    ));
    let master = FakeMaster::start(script).await;
    let client = Client::new(
        FrameworkSettings::new("fault", "nobody"),
        ClientOptions {
            backoff: BackoffPolicy {
                initial: Duration::from_millis(40),
                max: Duration::from_millis(160),
                reset_after: Duration::from_secs(60),
            },
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let (driver, handle) = Driver::new(client, fixed_master(&master.url), None);
    let (tx, events) = mpsc::channel(64);
    let task = tokio::spawn(driver.run(tx));
    let mut run = Run {
        handle,
        events,
        task,
    };
    for _ in 0..5 {
        run.expect_disconnected("503").await;
    }
    run.expect_subscribed("fw-backoff").await;
    let at: Vec<_> = master.subscribes().iter().map(|r| r.at).collect();
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    // Equal jitter never waits less than half the nominal delay: 40, 80, 160
    // (capped), 160, 160 ms.
    for (gap, nominal) in gaps.iter().zip([40u64, 80, 160, 160, 160]) {
        assert!(
            *gap >= Duration::from_millis(nominal / 2),
            "gaps {gaps:?} shorter than the backoff"
        );
    }
    run.stop().await;
}

#[tokio::test]
async fn update_framework_and_suppression_survive_a_resubscription() {
    let master = FakeMaster::start(vec![
        // Cut the stream once SUPPRESS and the update below have been sent.
        Reply::StreamUntilCalls {
            stream_id: "s1".into(),
            chunks: vec![fake_master::subscribed("fw-upd", 15.0)],
            calls: 2,
        },
        stream(vec![fake_master::subscribed("fw-upd", 15.0)], true),
    ])
    .await;
    let mut run = run(&master.url, None);
    run.expect_subscribed("fw-upd").await;
    // Offers were suppressed: the re-subscription keeps them suppressed.
    run.handle
        .call(Call::Suppress { roles: vec![] })
        .await
        .unwrap();
    let mut updated = FrameworkSettings::new("fault", "nobody");
    updated.webui_url = Some("http://jobmanager.example:8081".into());
    run.handle
        .call(Call::UpdateFramework {
            settings: updated,
            suppressed_roles: vec![],
        })
        .await
        .unwrap();
    run.expect_disconnected("").await;
    run.expect_subscribed("fw-upd").await;
    let subs = master.subscribes();
    assert!(!subs[0].body_contains(b"jobmanager.example"));
    assert!(subs[1].body_contains(b"http://jobmanager.example:8081"));
    // Subscribe.suppressed_roles (field 2) = ["*"]; absent the first time.
    assert!(!subs[0].body_contains(b"\x12\x01*"));
    assert!(subs[1].body_contains(b"\x12\x01*"));
    run.stop().await;
}

/// A master that answers a call's headers and then stalls the body, or
/// never answers at all, must not hold the caller (the appmaster's owner
/// loop) past the call's deadline.
#[tokio::test]
async fn calls_whose_answers_stall_end_at_their_deadline() {
    use crate::support::fake_master::CallReply;

    let master = FakeMaster::start(vec![stream(
        vec![fake_master::subscribed("fw-stall", 15.0)],
        true,
    )])
    .await;
    master.reply_to_calls([
        CallReply::StallBody { code: 202 },
        CallReply::StallBody { code: 500 },
        CallReply::NoAnswer,
        CallReply::Status {
            code: 500,
            body: b"boom".to_vec(),
        },
    ]);
    let client = Client::new(
        FrameworkSettings::new("fault", "nobody"),
        ClientOptions {
            call_timeout: Duration::from_millis(500),
            ..options()
        },
    )
    .unwrap();
    let (driver, handle) = Driver::new(client, fixed_master(&master.url), None);
    let (tx, events) = mpsc::channel(64);
    let task = tokio::spawn(driver.run(tx));
    let mut run = Run {
        handle,
        events,
        task,
    };
    run.expect_subscribed("fw-stall").await;
    let call = || async {
        tokio::time::timeout(
            Duration::from_secs(20),
            run.handle.call(Call::Revive { roles: vec![] }),
        )
        .await
        .expect("a stalled answer held the call")
    };
    // 202 arrived: accepted, whatever the body does.
    call().await.unwrap();
    let stalled_error = call().await.unwrap_err().to_string();
    assert!(stalled_error.contains("500"), "{stalled_error}");
    let silent = call().await.unwrap_err().to_string();
    assert!(silent.contains("no answer to REVIVE"), "{silent}");
    let error = call().await.unwrap_err().to_string();
    assert!(error.contains("boom"), "{error}");
    // The driver is still subscribed: a slow call is not a lost stream.
    call().await.unwrap();
    assert_eq!(master.calls().len(), 5);
    run.stop().await;
}
