//! Starts real peers for the integration tests, each on a free loopback port,
//! and stops them in `Drop` guards. A peer that cannot be started fails the
//! test with a message that says how to install it; nothing is skipped but
//! what needs root (`netns`: several hosts on this machine).

pub mod appmaster;
pub mod conformance;
pub mod fake_master;
pub mod flink;
pub mod ha;
pub mod kdc;
pub mod mesos_local;
pub mod netns;
pub mod zookeeper;

use std::net::TcpListener;

/// A port that was free a moment ago on 127.0.0.1.
/// Sends this process's `tracing` output (the library's, debug and up, and
/// the ZooKeeper client's) to the test's captured output, which the runner
/// shows when the test fails or hangs. `RUST_LOG` overrides the filter.
pub fn trace_to_test_output() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "flink_mesos=debug,zookeeper_client=info".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .with_ansi(false)
        .try_init();
}

/// flink-mesos built with the `kerberos` feature: `$FLINK_MESOS_KERBEROS_BIN`
/// (scripts/test builds it before the tests), else built now into
/// `target/kerberos` (its own target directory, so that the default binary
/// the other tests run stays as it is).
pub fn kerberos_binary() -> std::path::PathBuf {
    if let Some(bin) = std::env::var_os("FLINK_MESOS_KERBEROS_BIN") {
        return bin.into();
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), std::path::PathBuf::from)
        .join("kerberos");
    let status = std::process::Command::new(option_env!("CARGO").unwrap_or("cargo"))
        .args(["build", "--features", "kerberos", "--bin", "flink-mesos"])
        .arg("--target-dir")
        .arg(&target)
        .current_dir(root)
        .status()
        .expect("cannot run cargo");
    assert!(status.success(), "cargo build --features kerberos failed");
    target.join("debug/flink-mesos")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("cannot bind a loopback port")
}

/// Waits for `child` to exit, polling every `poll`; fails the test with
/// `what` and `context()` (e.g. its stderr) after `timeout`.
pub async fn wait_exit(
    child: &mut std::process::Child,
    timeout: std::time::Duration,
    poll: std::time::Duration,
    what: &str,
    context: impl Fn() -> String,
) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}\n{}",
            context()
        );
        tokio::time::sleep(poll).await;
    }
}

/// Reads the appmaster's first stdout line and returns the base URL of its
/// status endpoint (`http://host:port`, from `… http://host:port/status`),
/// with the reader to keep (dropping it would close the pipe). Fails the
/// test with the line and `stderr_file` when there is none.
pub fn status_base(
    child: &mut std::process::Child,
    stderr_file: &std::path::Path,
) -> (std::io::BufReader<std::process::ChildStdout>, String) {
    use std::io::BufRead;
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read stdout");
    let base = line
        .split_whitespace()
        .find_map(|w| w.strip_suffix("/status"))
        .unwrap_or_else(|| {
            panic!(
                "no status address on stdout: {line:?}; stderr:\n{}",
                std::fs::read_to_string(stderr_file).unwrap_or_default()
            )
        })
        .to_string();
    (stdout, base)
}
