//! `https://` masters: rustls with a configured CA. The certificates are made
//! by `openssl` for each run: a test CA and a leaf for 127.0.0.1.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use flink_mesos::mesos::client::{
    fixed_master, Client, ClientOptions, Driver, MesosError, SessionEvent,
};
use flink_mesos::mesos::{Call, Event, FrameworkSettings};
use tokio::sync::mpsc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::support::fake_master::{self, FakeMaster, Reply};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is missing: run scripts/install-deps.sh");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes ca.pem, leaf.pem and leaf.key into `dir`.
fn make_certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=flink-mesos test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
        ],
    );
}

fn acceptor(dir: &Path) -> TlsAcceptor {
    let certs = CertificateDer::pem_file_iter(dir.join("leaf.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).unwrap();
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

fn stream(id: &str) -> Reply {
    Reply::Stream {
        stream_id: "tls-stream".into(),
        chunks: vec![(Duration::ZERO, fake_master::subscribed(id, 15.0))],
        then_hang: true,
    }
}

#[tokio::test]
async fn https_master_with_a_configured_ca() {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let master = FakeMaster::start_tls(vec![stream("fw-tls")], acceptor(dir.path())).await;
    assert!(master.url.starts_with("https://"));

    // Not trusted without the CA (the bundled web PKI roots do not know it).
    let untrusting = Client::new(
        FrameworkSettings::new("tls", "nobody"),
        ClientOptions::default(),
    )
    .unwrap();
    match untrusting.subscribe(&master.url, None).await {
        Err(MesosError::Connect { message, .. }) => {
            assert!(message.to_lowercase().contains("certificate"), "{message}")
        }
        other => panic!("expected a certificate error, got {other:?}"),
    }

    // With the CA: subscribed, and calls go over TLS with the stream id.
    let options = ClientOptions {
        ca_file: Some(dir.path().join("ca.pem")),
        ..ClientOptions::default()
    };
    let client = Client::new(FrameworkSettings::new("tls", "nobody"), options).unwrap();
    let (driver, handle) = Driver::new(client, fixed_master(&master.url), None);
    let (tx, mut rx) = mpsc::channel(8);
    let task = tokio::spawn(driver.run(tx));
    let ev = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(ev, SessionEvent::Event(Event::Subscribed { .. })),
        "{ev:?}"
    );
    handle.call(Call::Revive { roles: vec![] }).await.unwrap();
    assert_eq!(
        master.calls()[0].header("Mesos-Stream-Id"),
        Some("tls-stream")
    );
    handle.stop();
    task.await.unwrap().unwrap();
}

#[test]
fn an_unusable_ca_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    for (path, needle) in [
        (bad, "no certificate"),
        (dir.path().join("missing.pem"), "cannot read CA file"),
    ] {
        let options = ClientOptions {
            ca_file: Some(path),
            ..ClientOptions::default()
        };
        match Client::new(FrameworkSettings::new("tls", "nobody"), options) {
            Err(e @ MesosError::Tls(_)) => assert!(e.to_string().contains(needle), "{e}"),
            other => panic!("expected a TLS setup error, got {other:?}"),
        }
    }
}

/// `flink-mesos master` reaches an `https://` master behind a private CA
/// with `mesos.tls.ca-file`, and refuses it without.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_command_trusts_the_configured_ca() {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let state = serde_json::json!({
        "version": "1.11.0", "id": "tls-master", "leader": "master@127.0.0.1:1",
        "pid": "master@127.0.0.1:1", "activated_slaves": 0.0,
    });
    let reply = || Reply::Status {
        code: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: state.to_string().into_bytes(),
    };
    let master = FakeMaster::start_tls(vec![reply(), reply()], acceptor(dir.path())).await;
    let spec = format!("-Dmesos.master={}", master.url);
    let ca = format!(
        "-Dmesos.tls.ca-file={}",
        dir.path().join("ca.pem").display()
    );
    let untrusted = {
        let spec = spec.clone();
        tokio::task::spawn_blocking(move || crate::mesos::flink_mesos(&["master", &spec]))
            .await
            .unwrap()
    };
    assert_eq!(untrusted.status.code(), Some(1));
    let err = String::from_utf8_lossy(&untrusted.stderr).to_lowercase();
    assert!(err.contains("certificate"), "{err}");

    let trusted = tokio::task::spawn_blocking(move || {
        crate::mesos::flink_mesos(&["master", "--output", "json", &spec, &ca])
    })
    .await
    .unwrap();
    assert!(
        trusted.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    let out: serde_json::Value = serde_json::from_slice(&trusted.stdout).unwrap();
    assert_eq!(out["state"]["id"], "tls-master");
}
