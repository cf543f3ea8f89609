//! Artifact server throughput next to nginx, in the same run; prints
//! numbers and asserts nothing.
//!
//! One 200 MB file (random bytes, in the page cache) is downloaded by 32
//! concurrent clients, from the artifact server (a separate process: this
//! binary re-executed with `--serve`) and from Debian's nginx (sendfile on,
//! 2 workers on this 2-core machine) serving the same file. The two
//! alternate for 5 rounds; the median aggregate throughput of each and their
//! ratio are printed, with each server's peak resident memory (VmHWM).
//!
//! Run: `cargo bench --bench artifacts` (needs `/usr/sbin/nginx`:
//! `apt-get install nginx-light`).

// A benchmark prints its numbers and fails loudly.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::kib;

use flink_mesos::artifacts::{ArtifactServer, Registry, ServerOptions};

const SIZE: usize = 200 << 20;
const CLIENTS: usize = 32;
const ROUNDS: usize = 5;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// `--serve FILE`: serve one file, print its URL, run until killed.
fn serve(file: &Path) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut registry = Registry::default();
        registry.add("file.bin", file).expect("register");
        let server = ArtifactServer::start(
            ServerOptions {
                bind_host: "127.0.0.1".into(),
                port: 0,
                advertised_host: "127.0.0.1".into(),
                tls: None,
            },
            registry,
        )
        .await
        .expect("start");
        println!("{}", server.url("file.bin"));
        let _ = std::io::stdout().flush();
        std::future::pending::<()>().await;
    });
}

fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Downloads `url` with `CLIENTS` concurrent clients; returns MB/s.
async fn load(url: &str) -> f64 {
    let url = Arc::new(url.to_string());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut r = client.get(url.as_str()).send().await.expect("GET");
            assert!(r.status().is_success(), "{}", r.status());
            let mut n = 0usize;
            while let Some(c) = r.chunk().await.expect("body") {
                n += c.len();
            }
            assert_eq!(n, SIZE);
        }));
    }
    for t in tasks {
        t.await.expect("client");
    }
    (SIZE * CLIENTS) as f64 / (1 << 20) as f64 / started.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        serve(Path::new(&args[i + 1]));
        return;
    }
    if !Path::new("/usr/sbin/nginx").exists() {
        eprintln!("artifacts bench: /usr/sbin/nginx is missing; apt-get install nginx-light");
        std::process::exit(1);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("www");
    std::fs::create_dir(&root).expect("www");
    let file = root.join("file.bin");
    let mut data = vec![0u8; SIZE];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for chunk in data.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    std::fs::write(&file, &data).expect("write");
    drop(data);

    // Ours, as its own process.
    let exe = std::env::current_exe().expect("exe");
    let mut ours = Killed(
        Command::new(exe)
            .arg("--serve")
            .arg(&file)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn server"),
    );
    let mut ours_url = String::new();
    BufReader::new(ours.0.stdout.take().expect("stdout"))
        .read_line(&mut ours_url)
        .expect("url");
    let ours_url = ours_url.trim().to_string();

    // nginx, same file.
    let port = free_port();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off; worker_processes 2; pid {d}/nginx.pid; error_log {d}/error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{ access_log off; sendfile on; tcp_nopush on;\n\
               client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;\n\
               uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;\n\
               server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n",
            d = dir.path().display(),
            root = root.display()
        ),
    )
    .expect("nginx.conf");
    let nginx = Killed(
        Command::new("/usr/sbin/nginx")
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir.path())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx"),
    );
    let nginx_url = format!("http://127.0.0.1:{port}/file.bin");

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (mut a, mut b) = (Vec::new(), Vec::new());
    runtime.block_on(async {
        // Wait for nginx, warm both (and the page cache).
        for _ in 0..100 {
            if reqwest::get(&nginx_url).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = reqwest::get(&ours_url).await.map(|r| r.bytes());
        for round in 0..ROUNDS {
            let x = load(&ours_url).await;
            let y = load(&nginx_url).await;
            eprintln!("round {round}: artifact server {x:.0} MB/s, nginx {y:.0} MB/s");
            a.push(x);
            b.push(y);
        }
    });
    let (ours_mbs, nginx_mbs) = (median(a), median(b));
    let ours_hwm = kib(ours.0.id(), "VmHWM:") / 1024;
    let nginx_hwm: u64 = std::iter::once(nginx.0.id())
        .chain(children(nginx.0.id()))
        .map(|p| kib(p, "VmHWM:"))
        .sum::<u64>()
        / 1024;
    println!(
        "artifacts: 200 MB x {CLIENTS} clients, median of {ROUNDS}: artifact server {ours_mbs:.0} MB/s, nginx {nginx_mbs:.0} MB/s, ratio {:.2} (goal >= 0.9); peak RSS: artifact server {ours_hwm} MB, nginx (all processes) {nginx_hwm} MB",
        ours_mbs / nginx_mbs
    );
}
