//! Hosts as operators have them (issue 25). A Debian or Ubuntu host maps
//! its own name to 127.0.1.1 in `/etc/hosts`; the agents resolve that name
//! to the host's real address. The appmaster runs here in a mount namespace
//! whose `/etc/hosts` says 127.0.1.1 (the agents keep this machine's), so
//! an artifact server that listened on its advertised name would listen on
//! 127.0.1.1 alone and every fetch would be refused.
//!
//! Needs root (a mount namespace and a bind mount): elsewhere it says so
//! and returns.

use std::process::Command;

use crate::support::appmaster::{running_ids, Appmaster};
use crate::support::mesos_local::MesosLocal;

/// Why this machine cannot run the test, if it cannot.
fn cannot_isolate() -> Option<String> {
    // SAFETY: geteuid(2) cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root for a mount namespace".into());
    }
    let probe = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount --bind /etc/hosts /etc/hosts"])
        .output();
    match probe {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!(
            "unshare -m with a bind mount failed: {}",
            String::from_utf8_lossy(&o.stderr)
        )),
        Err(e) => Some(format!("cannot run unshare: {e}")),
    }
}

fn hostname() -> String {
    let out = Command::new("hostname").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debian_host_whose_name_resolves_to_127_0_1_1_still_serves_its_workers() {
    if let Some(why) = cannot_isolate() {
        eprintln!("skipped: {why}");
        return;
    }
    let name = hostname();
    let resolved = Command::new("getent")
        .args(["hosts", &name])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if resolved.trim().is_empty() || resolved.starts_with("127.0.1.1") {
        eprintln!("skipped: this machine's name {name} must resolve here, and not to 127.0.1.1 ({resolved:?})");
        return;
    }
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(
        &hosts,
        format!("127.0.0.1 localhost\n127.0.1.1 {name}\n::1 localhost ip6-localhost\n"),
    )
    .unwrap();
    // The appmaster sees the Debian hosts file; the agents do not.
    let mut command = Command::new("unshare");
    command
        .args([
            "-m",
            "sh",
            "-c",
            "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
        ])
        .arg(&hosts)
        .arg(assert_cmd::cargo::cargo_bin("flink-mesos"))
        .arg("appmaster")
        .env_remove("FLINK_MESOS_FRAMEWORK_SECRET");
    let am = Appmaster::spawn_in_temp_dir(
        command,
        &mesos,
        &[
            "-Dmesos.initial-tasks=1",
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 618",
        ],
    );
    let v = am
        .wait_status("the worker fetched its files and runs", |v| {
            running_ids(v).len() == 1
        })
        .await;
    assert_eq!(v["failures"]["count"], 0, "{v}");
    let origin = v["artifact_server"].as_str().unwrap_or_default();
    assert!(
        origin.starts_with(&format!("http://{name}:")),
        "the URLs name the host: {origin}"
    );
}
