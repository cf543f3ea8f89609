//! ZooKeeper 3.8 (Debian's `zookeeper` package) on free loopback ports with
//! throwaway data directories, killed on drop: one standalone server
//! ([`ZooKeeper`], which can also be restarted or paused), or a 3-node
//! ensemble ([`Ensemble`]) whose leader a test can kill.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server, its logger, and the Netty codec its TLS port needs (Debian's
/// zookeeper.jar leaves that one out of its manifest's class path).
const JARS: &str =
    "/usr/share/java/zookeeper.jar:/usr/share/java/netty-codec.jar:/usr/share/java/slf4j-simple.jar";

/// PEM files for a ZooKeeper server with TLS ([`ZooKeeper::start_with`]):
/// a CA, the server's key and certificate for 127.0.0.1 and localhost, and
/// a client's, each key in the same file as its certificate (the form both
/// ZooKeeper's Java client and flink-mesos read).
pub struct ZkCerts {
    pub ca: std::path::PathBuf,
    pub server: std::path::PathBuf,
    pub client: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl ZkCerts {
    pub fn generate() -> ZkCerts {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let dir = tempfile::Builder::new()
            .prefix("flink-mesos-it-zk-certs-")
            .tempdir()
            .unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "flink-mesos test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, &ca_key);
        let leaf = |names: Vec<String>, file: &str| {
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(names)
                .unwrap()
                .signed_by(&key, &issuer)
                .unwrap();
            let path = dir.path().join(file);
            std::fs::write(&path, format!("{}{}", key.serialize_pem(), cert.pem())).unwrap();
            // Private, as docs/security.md asks of a key.
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .unwrap();
            path
        };
        let server = leaf(vec!["127.0.0.1".into(), "localhost".into()], "server.pem");
        let client = leaf(vec!["flink-mesos".into()], "client.pem");
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, ca_cert.pem()).unwrap();
        ZkCerts {
            ca,
            server,
            client,
            _dir: dir,
        }
    }
}

/// How a server authenticates SASL clients.
enum Login<'a> {
    /// DIGEST-MD5, with one user and password.
    Digest(&'a str, &'a str),
    Kerberos(&'a super::kdc::Kdc),
}

pub struct ZooKeeper {
    pub port: u16,
    /// The TLS port (`secureClientPort`), with [`ZooKeeper::start_with`] TLS.
    pub secure_port: Option<u16>,
    /// The address it listens on (`127.0.0.1`, or a test host's).
    pub ip: String,
    child: Child,
    /// The host of a network topology it runs on, if not here.
    on: Option<super::netns::Host>,
    _dir: tempfile::TempDir,
}

fn ruok(ip: &str, port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect((ip, port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    let mut answer = String::new();
    s.write_all(b"ruok").is_ok() && s.read_to_string(&mut answer).is_ok() && answer == "imok"
}

fn four_letter(port: u16, word: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    s.write_all(word.as_bytes()).ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    Some(answer)
}

fn spawn_server(dir: &Path, cfg: &Path) -> Child {
    spawn_server_on(dir, cfg, None)
}

/// [`spawn_server`] on `host` of a network topology, or here.
fn spawn_server_on(dir: &Path, cfg: &Path, host: Option<&super::netns::Host>) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("zk.log"))
        .unwrap();
    let mut command = match host {
        Some(h) => h.command("java"),
        None => Command::new("java"),
    };
    // A server with SASL users (`ZooKeeper::start_with`), with Kerberos.
    let jaas = dir.join("jaas.conf");
    if jaas.is_file() {
        command.arg(format!(
            "-Djava.security.auth.login.config={}",
            jaas.display()
        ));
    }
    let krb5 = dir.join("krb5.conf");
    if krb5.is_file() {
        command.arg(format!("-Djava.security.krb5.conf={}", krb5.display()));
    }
    command
        .args(["-Xmx256m", "-cp", JARS])
        .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
        .arg(cfg)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("cannot run java: run scripts/install-deps.sh")
}

fn installed() {
    assert!(
        Path::new("/usr/share/java/zookeeper.jar").exists(),
        "ZooKeeper is not installed (/usr/share/java/zookeeper.jar): run scripts/install-deps.sh"
    );
}

impl ZooKeeper {
    pub fn start() -> ZooKeeper {
        Self::start_inner(None, None, None)
    }

    /// A standalone server that also listens with TLS on
    /// [`ZooKeeper::secure_port`] and requires a client certificate signed
    /// by `certs`' CA (`ssl.clientAuth=need`, ZooKeeper's default); with
    /// `sasl`, it also authenticates clients with SASL DIGEST-MD5 (the SASL
    /// authentication provider, and that user with that password in its
    /// JAAS `Server` section), as Flink's own ZooKeeper login needs it.
    pub fn start_with(certs: &ZkCerts, sasl: Option<(&str, &str)>) -> ZooKeeper {
        Self::start_inner(None, sasl.map(|(u, p)| Login::Digest(u, p)), Some(certs))
    }

    /// A standalone server that authenticates clients with SASL Kerberos
    /// (GSSAPI) as `zookeeper/localhost` of `kdc`'s realm, the identity of
    /// a client being its principal's first part (`flink@REALM` → `flink`).
    /// Clients reach it as [`ZooKeeper::connect_string_by_name`]: the
    /// host name is part of the server's principal.
    pub fn start_with_kerberos(kdc: &super::kdc::Kdc) -> ZooKeeper {
        Self::start_inner(None, Some(Login::Kerberos(kdc)), None)
    }

    /// A standalone server on `host` of a network topology, listening on
    /// its address (port 2181: the host has every port free).
    pub fn start_on(host: &super::netns::Host) -> ZooKeeper {
        Self::start_inner(Some(host), None, None)
    }

    fn start_inner(
        host: Option<&super::netns::Host>,
        sasl: Option<Login>,
        tls: Option<&ZkCerts>,
    ) -> ZooKeeper {
        installed();
        let dir = tempfile::Builder::new()
            .prefix("flink-mesos-it-zk-")
            .tempdir()
            .unwrap();
        let (port, ip) = match host {
            Some(h) => (2181, h.ip.clone()),
            None => (super::free_port(), "127.0.0.1".to_string()),
        };
        let cfg = dir.path().join("zoo.cfg");
        let mut text = format!(
            "tickTime=1000\nminSessionTimeout=2000\ndataDir={}\nclientPort={port}\nclientPortAddress={ip}\n\
             admin.enableServer=false\n4lw.commands.whitelist=ruok,srvr,mntr\n",
            dir.path().join("data").display()
        );
        let secure_port = tls.map(|certs| {
            let port = super::free_port();
            text.push_str(&format!(
                "secureClientPort={port}\nsecureClientPortAddress={ip}\n\
                 serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n\
                 ssl.keyStore.location={}\nssl.keyStore.type=PEM\n\
                 ssl.trustStore.location={}\nssl.trustStore.type=PEM\n",
                certs.server.display(),
                certs.ca.display()
            ));
            port
        });
        if let Some(login) = sasl {
            text.push_str(
                "authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n",
            );
            let section = match login {
                Login::Digest(user, password) => format!(
                    "org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_{user}=\"{password}\";"
                ),
                Login::Kerberos(kdc) => {
                    text.push_str(
                        "kerberos.removeHostFromPrincipal=true\nkerberos.removeRealmFromPrincipal=true\n",
                    );
                    std::fs::copy(&kdc.krb5_conf, dir.path().join("krb5.conf")).unwrap();
                    format!(
                        "com.sun.security.auth.module.Krb5LoginModule required\n  useKeyTab=true\n  \
                         keyTab=\"{}\"\n  storeKey=true\n  useTicketCache=false\n  \
                         principal=\"zookeeper/localhost@{}\";",
                        kdc.keytab("zookeeper/localhost").display(),
                        super::kdc::REALM
                    )
                }
            };
            std::fs::write(
                dir.path().join("jaas.conf"),
                format!("Server {{\n  {section}\n}};\n"),
            )
            .unwrap();
        }
        std::fs::write(&cfg, text).unwrap();
        let child = spawn_server_on(dir.path(), &cfg, host);
        let mut zk = ZooKeeper {
            port,
            secure_port,
            ip,
            child,
            on: host.cloned(),
            _dir: dir,
        };
        zk.wait_ready();
        zk
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ruok(&self.ip, self.port) {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log =
                    std::fs::read_to_string(self._dir.path().join("zk.log")).unwrap_or_default();
                panic!("ZooKeeper exited ({status}):\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "ZooKeeper did not start within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn connect_string(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }

    /// The plain port by host name (`localhost`), as a Kerberos client
    /// needs it.
    pub fn connect_string_by_name(&self) -> String {
        assert_eq!(self.ip, "127.0.0.1");
        format!("localhost:{}", self.port)
    }

    /// The TLS port's address (a server started with TLS).
    pub fn secure_connect_string(&self) -> String {
        let port = self.secure_port.expect("a server started with TLS");
        format!("{}:{port}", self.ip)
    }

    /// The `-D` flags of ZooKeeper high availability over TLS to this
    /// server (started with `certs`): the quorum names the TLS port, with
    /// `certs`' CA and client certificate.
    pub fn tls_flags(&self, certs: &ZkCerts) -> [String; 5] {
        [
            "-Dhigh-availability.type=zookeeper".to_string(),
            format!(
                "-Dhigh-availability.zookeeper.quorum={}",
                self.secure_connect_string()
            ),
            "-Dhigh-availability.zookeeper.client.ssl.enabled=true".into(),
            format!(
                "-Dhigh-availability.zookeeper.client.ssl.truststore={}",
                certs.ca.display()
            ),
            format!(
                "-Dhigh-availability.zookeeper.client.ssl.keystore={}",
                certs.client.display()
            ),
        ]
    }

    /// The `-D` flags of Flink's ZooKeeper high availability on this
    /// server, with Flink's HA storage in `storage`.
    pub fn ha_flags(&self, storage: &std::path::Path) -> [String; 3] {
        [
            "-Dhigh-availability.type=zookeeper".into(),
            format!(
                "-Dhigh-availability.zookeeper.quorum={}",
                self.connect_string()
            ),
            format!(
                "-Dhigh-availability.storageDir=file://{}",
                storage.display()
            ),
        ]
    }

    /// Kills the server (-9) for good.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the server (-9) and starts it again on the same port and data:
    /// sessions survive if the client reconnects within their timeout.
    pub fn restart_after(&mut self, down: Duration) {
        self.kill();
        std::thread::sleep(down);
        self.child = spawn_server_on(
            self._dir.path(),
            &self._dir.path().join("zoo.cfg"),
            self.on.as_ref(),
        );
        self.wait_ready();
    }
}

impl Drop for ZooKeeper {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A 3-node ensemble on loopback.
pub struct Ensemble {
    pub ports: Vec<u16>,
    children: Vec<Option<Child>>,
    _dir: tempfile::TempDir,
}

impl Ensemble {
    pub fn start() -> Ensemble {
        installed();
        let dir = tempfile::Builder::new()
            .prefix("flink-mesos-it-zk3-")
            .tempdir()
            .unwrap();
        let ports: Vec<u16> = (0..3).map(|_| super::free_port()).collect();
        let peers: Vec<(u16, u16)> = (0..3)
            .map(|_| (super::free_port(), super::free_port()))
            .collect();
        let servers: String = peers
            .iter()
            .enumerate()
            .map(|(i, (a, b))| format!("server.{}=127.0.0.1:{a}:{b}\n", i + 1))
            .collect();
        let mut children = Vec::new();
        for (i, port) in ports.iter().enumerate() {
            let node = dir.path().join(format!("n{}", i + 1));
            std::fs::create_dir_all(node.join("data")).unwrap();
            std::fs::write(node.join("data/myid"), format!("{}\n", i + 1)).unwrap();
            let cfg = node.join("zoo.cfg");
            std::fs::write(
                &cfg,
                format!(
                    "tickTime=500\ninitLimit=10\nsyncLimit=4\nminSessionTimeout=2000\n\
                     dataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
                     admin.enableServer=false\n4lw.commands.whitelist=ruok,srvr,mntr\n{servers}",
                    node.join("data").display()
                ),
            )
            .unwrap();
            children.push(Some(spawn_server(&node, &cfg)));
        }
        let ensemble = Ensemble {
            ports,
            children,
            _dir: dir,
        };
        ensemble.wait_leader("the ZooKeeper ensemble");
        ensemble
    }

    /// Waits up to 60 s until the ensemble has elected a leader.
    fn wait_leader(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.leader().is_none() {
            assert!(
                Instant::now() < deadline,
                "{what} did not elect a leader within 60 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn connect_string(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The index of the serving leader, if any.
    pub fn leader(&self) -> Option<usize> {
        (0..3).find(|i| {
            self.children[*i].is_some()
                && four_letter(self.ports[*i], "srvr").is_some_and(|a| a.contains("Mode: leader"))
        })
    }

    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts every stopped node again (same port, same data) and waits
    /// until the ensemble has a leader.
    pub fn start_stopped(&mut self) {
        for i in 0..3 {
            if self.children[i].is_none() {
                let node = self._dir.path().join(format!("n{}", i + 1));
                self.children[i] = Some(spawn_server(&node, &node.join("zoo.cfg")));
            }
        }
        self.wait_leader("the restarted ZooKeeper ensemble");
    }
}

impl Drop for Ensemble {
    fn drop(&mut self) {
        for i in 0..3 {
            self.kill(i);
        }
    }
}

/// A TCP proxy to ZooKeeper that a test can cut: while cut, every
/// connection is dropped and new ones are closed at once, as in a network
/// partition; the server then expires the sessions behind it.
pub struct Proxy {
    pub port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Proxy {
    pub async fn start(upstream: u16) -> Proxy {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = cut.clone();
        tokio::spawn(async move {
            while let Ok((mut down, _)) = listener.accept().await {
                if flag.load(Ordering::SeqCst) {
                    continue;
                }
                let flag = flag.clone();
                tokio::spawn(async move {
                    let Ok(mut up) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                    else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut down, &mut up);
                    tokio::pin!(copy);
                    loop {
                        tokio::select! {
                            _ = &mut copy => return,
                            _ = tokio::time::sleep(Duration::from_millis(50)) => {
                                if flag.load(Ordering::SeqCst) {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
        Proxy { port, cut }
    }

    pub fn set_cut(&self, cut: bool) {
        self.cut.store(cut, std::sync::atomic::Ordering::SeqCst);
    }
}
