//! The artifact server over real sockets: what is served (only registered
//! files, under the per-start id), HTTP semantics (GET, HEAD, Range, ETag,
//! 405), path traversal in every spelling, slow clients, many concurrent
//! downloads of a large sparse file with flat memory, and HTTPS with a
//! generated certificate.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flink_mesos::artifacts::{ArtifactServer, Registry, ServerOptions, HEADER_TIMEOUT};

pub(crate) async fn serve(registry: Registry) -> ArtifactServer {
    ArtifactServer::start(
        ServerOptions {
            bind_host: "127.0.0.1".into(),
            port: 0,
            advertised_host: "127.0.0.1".into(),
            tls: None,
        },
        registry,
    )
    .await
    .unwrap()
}

/// An HTTPS server advertised as `localhost`, and a client that trusts
/// `ca_pem` and reaches `localhost` on it.
async fn serve_tls(
    registry: Registry,
    tls: Arc<rustls::ServerConfig>,
    ca_pem: &[u8],
) -> (ArtifactServer, reqwest::Client) {
    let server = ArtifactServer::start(
        ServerOptions {
            bind_host: "127.0.0.1".into(),
            port: 0,
            advertised_host: "localhost".into(),
            tls: Some(tls),
        },
        registry,
    )
    .await
    .unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem).unwrap())
        .resolve("localhost", server.local_addr())
        .build()
        .unwrap();
    (server, client)
}

/// The URL path of the server's base (`/<id>/`).
fn base_path(server: &ArtifactServer) -> String {
    let url = server.base_url();
    let after_scheme = url.split_once("://").unwrap().1;
    after_scheme[after_scheme.find('/').unwrap()..].to_string()
}

/// One raw HTTP/1.1 request (paths exactly as given, no client
/// normalisation); returns the status code and the whole response (status 0:
/// no answer). A write the server cut short (it refuses an oversized head
/// before reading all of it) still reads what the server answered.
fn raw(port: u16, request_line: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = write!(s, "{request_line}\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut response = Vec::new();
    let _ = s.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn fixture(dir: &Path) -> Registry {
    std::fs::write(dir.join("served.txt"), b"0123456789abcdef").unwrap();
    std::fs::write(dir.join("secret.txt"), b"not registered").unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/conf.yaml"), b"a: b\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("sub/passwd")).unwrap();
    let mut r = Registry::default();
    r.add("served.txt", &dir.join("served.txt")).unwrap();
    r.add("sub/conf.yaml", &dir.join("sub/conf.yaml")).unwrap();
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_head_range_etag_and_methods() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(fixture(dir.path())).await;
    let client = reqwest::Client::new();
    let url = server.url("served.txt");

    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "16");
    assert!(r.headers().contains_key("last-modified"));
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"'), "{etag}");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"0123456789abcdef");

    let r = client.head(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "16");
    assert_eq!(r.bytes().await.unwrap().len(), 0);

    let r = client
        .get(&url)
        .header("Range", "bytes=4-7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 4-7/16");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"4567");
    let r = client
        .get(&url)
        .header("Range", "bytes=-3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"def");
    let r = client
        .get(&url)
        .header("Range", "bytes=99-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);

    let r = client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = client
        .get(&url)
        .header("If-None-Match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let r = client.request(method.clone(), &url).send().await.unwrap();
        assert_eq!(r.status(), 405, "{method}");
        assert!(r.headers()["allow"].to_str().unwrap().contains("GET"));
    }
    let nested = client
        .get(server.url("sub/conf.yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(nested.text().await.unwrap(), "a: b\n");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_outside_the_registered_files_is_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(fixture(dir.path())).await;
    let port = server.local_addr().port();
    let base = base_path(&server);
    let id = base.trim_matches('/');
    let attempts = [
        format!("{base}secret.txt"),
        format!("{base}sub/passwd"),
        format!("{base}sub"),
        format!("{base}sub/"),
        format!("{base}../{id}/secret.txt"),
        format!("{base}sub/../secret.txt"),
        format!("{base}sub/../served.txt"),
        format!("{base}./served.txt"),
        format!("{base}%2e%2e/%2e%2e/etc/passwd"),
        format!("{base}..%2f..%2fetc%2fpasswd"),
        format!("{base}sub%2fconf.yaml"),
        format!("{base}%2fetc%2fpasswd"),
        format!("{base}/etc/passwd"),
        format!("{base}%252e%252e/etc/passwd"),
        format!("{base}..\\..\\etc\\passwd"),
        format!("{base}served.txt%00.png"),
        format!("{base}SERVED.TXT"),
        "/etc/passwd".to_string(),
        "/../../etc/passwd".to_string(),
        format!("/{}/served.txt", "0".repeat(32)),
        "/served.txt".to_string(),
        "/".to_string(),
        format!("http://evil.example/{id}/secret.txt"),
    ];
    for path in &attempts {
        let (status, response) = raw(port, &format!("GET {path} HTTP/1.1"));
        assert!(
            status == 404 || status == 400,
            "GET {path} -> {status}\n{response}"
        );
        assert!(!response.contains("root:"), "GET {path} leaked /etc/passwd");
        assert!(
            !response.contains("not registered"),
            "GET {path} leaked a file"
        );
    }
    // The registered file itself is reachable, also raw.
    let (status, response) = raw(port, &format!("GET {base}served.txt HTTP/1.1"));
    assert_eq!(status, 200, "{response}");
    // Oversized request headers are refused, not buffered without bound.
    let (status, _) = raw(
        port,
        &format!(
            "GET {base}served.txt HTTP/1.1\r\nX-Big: {}",
            "a".repeat(200_000)
        ),
    );
    assert!(status == 431 || status == 400 || status == 0, "{status}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_disconnected_and_others_are_served_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(fixture(dir.path())).await;
    let port = server.local_addr().port();
    let url = server.url("served.txt");
    // Slowloris: a request line and one header, then nothing.
    let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        slow,
        "GET {}served.txt HTTP/1.1\r\nHost: x\r\n",
        base_path(&server)
    )
    .unwrap();
    let opened = Instant::now();
    // Meanwhile, others are served.
    let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert_eq!(body, "0123456789abcdef");
    // The slow one is cut off once the header timeout passes.
    slow.set_read_timeout(Some(HEADER_TIMEOUT + Duration::from_secs(10)))
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::task::spawn_blocking(move || slow.read_to_end(&mut buf).map(|_| buf))
        .await
        .unwrap();
    let waited = opened.elapsed();
    assert!(read.is_ok(), "the connection was not closed: {read:?}");
    assert!(
        waited < HEADER_TIMEOUT + Duration::from_secs(10),
        "{waited:?}"
    );
    server.stop().await;
}

/// Resident set size of this process, in MB.
fn rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_sparse_file_streams_to_many_clients_with_flat_memory() {
    const SIZE: u64 = 512 << 20;
    const CLIENTS: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(SIZE).unwrap();
    drop(f);
    let mut registry = Registry::default();
    registry.add("big.bin", &big).unwrap();
    let server = serve(registry).await;
    let url = Arc::new(server.url("big.bin"));
    let before = rss_mb();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut r = reqwest::get(url.as_str()).await.unwrap();
            assert_eq!(r.status(), 200);
            let mut n = 0u64;
            let mut peak = 0;
            while let Some(chunk) = r.chunk().await.unwrap() {
                assert!(chunk.iter().all(|b| *b == 0));
                n += chunk.len() as u64;
                if n % (64 << 20) < chunk.len() as u64 {
                    peak = peak.max(rss_mb());
                }
            }
            (n, peak)
        }));
    }
    let mut peak = before;
    for t in tasks {
        let (n, p) = t.await.unwrap();
        assert_eq!(n, SIZE);
        peak = peak.max(p);
    }
    // 4 GB went through this process; memory stays within a small bound
    // (buffers per connection), far below the file size.
    assert!(
        peak < before + 128,
        "RSS grew from {before} MB to {peak} MB while streaming"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_generated_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let registry = fixture(dir.path());
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let pem = dir.path().join("keystore.pem");
    std::fs::write(
        &pem,
        format!("{}{}", cert.cert.pem(), cert.signing_key.serialize_pem()),
    )
    .unwrap();
    let tls = flink_mesos::artifacts::tls::server_config(&pem, None).unwrap();
    let (server, client) = serve_tls(registry, tls, cert.cert.pem().as_bytes()).await;
    assert!(server.base_url().starts_with("https://localhost:"));
    assert_eq!(
        server.origin(),
        format!("https://localhost:{}", server.local_addr().port())
    );
    let r = client
        .get(server.url("served.txt"))
        .header("Range", "bytes=0-3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.text().await.unwrap(), "0123");
    // Without the CA the client refuses the server; plain HTTP gets no answer.
    let untrusting = reqwest::Client::builder()
        .resolve("localhost", server.local_addr())
        .build()
        .unwrap();
    assert!(untrusting
        .get(server.url("served.txt"))
        .send()
        .await
        .is_err());
    let plain = server.url("served.txt").replacen("https://", "http://", 1);
    assert!(client.get(plain).send().await.is_err());
    server.stop().await;
}

/// The same PKCS#12 keystore Flink's JVMs use, made by `keytool` as an
/// operator makes it, serves HTTPS; a wrong or missing password and a JKS
/// keystore are refused at start with advice, and no password is shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_pkcs12_keystore_from_keytool() {
    use flink_mesos::config::secret::Secret;
    let dir = tempfile::tempdir().unwrap();
    let registry = fixture(dir.path());
    let keytool = |args: &[&str]| {
        let out = std::process::Command::new("keytool")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("keytool (Java) is installed");
        assert!(
            out.status.success(),
            "keytool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let password = "p12-s3cret-pass";
    for (file, kind) in [("keystore.p12", "PKCS12"), ("keystore.jks", "JKS")] {
        keytool(&[
            "-genkeypair",
            "-alias",
            "artifacts",
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-dname",
            "CN=localhost",
            "-ext",
            "SAN=dns:localhost",
            "-validity",
            "2",
            "-storetype",
            kind,
            "-keystore",
            file,
            "-storepass",
            password,
            "-keypass",
            password,
        ]);
    }
    keytool(&[
        "-exportcert",
        "-rfc",
        "-alias",
        "artifacts",
        "-keystore",
        "keystore.p12",
        "-storepass",
        password,
        "-file",
        "cert.pem",
    ]);
    let p12 = dir.path().join("keystore.p12");
    let secret = Secret::new(password);
    for (path, pw, expected) in [
        (p12.clone(), None, "set security.ssl.keystore-password"),
        (
            p12.clone(),
            Some(Secret::new("wrong-pass-xyz")),
            "wrong password",
        ),
        (
            dir.path().join("keystore.jks"),
            Some(secret.clone()),
            "keytool -importkeystore",
        ),
    ] {
        let e = flink_mesos::artifacts::tls::server_config(&path, pw.as_ref())
            .unwrap_err()
            .to_string();
        assert!(e.contains(expected), "{e}");
        assert!(
            !e.contains(password) && !e.contains("wrong-pass-xyz"),
            "{e}"
        );
    }
    let tls = flink_mesos::artifacts::tls::server_config(&p12, Some(&secret)).unwrap();
    let ca = std::fs::read(dir.path().join("cert.pem")).unwrap();
    let (server, client) = serve_tls(registry, tls, &ca).await;
    let r = client.get(server.url("served.txt")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().starts_with("0123"));
    server.stop().await;
}
