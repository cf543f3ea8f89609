//! A standalone ZooKeeper 3.8 (Debian's `zookeeper` package) on a free
//! loopback port, killed on drop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const JARS: &str = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar";

pub struct ZooKeeper {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

fn ruok(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    let mut answer = String::new();
    s.write_all(b"ruok").is_ok() && s.read_to_string(&mut answer).is_ok() && answer == "imok"
}

impl ZooKeeper {
    pub fn start() -> ZooKeeper {
        assert!(
            Path::new("/usr/share/java/zookeeper.jar").exists(),
            "ZooKeeper is not installed (/usr/share/java/zookeeper.jar): run scripts/install-deps.sh"
        );
        let dir = tempfile::Builder::new()
            .prefix("flink-mesos-it-zk-")
            .tempdir()
            .unwrap();
        let port = super::free_port();
        let cfg = dir.path().join("zoo.cfg");
        std::fs::write(
            &cfg,
            format!(
                "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
                 admin.enableServer=false\n4lw.commands.whitelist=ruok,srvr,mntr\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("zk.log")).unwrap();
        let child = Command::new("java")
            .args(["-Xmx256m", "-cp", JARS])
            .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cannot run java: run scripts/install-deps.sh");
        let mut zk = ZooKeeper {
            port,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ruok(port) {
            if let Ok(Some(status)) = zk.child.try_wait() {
                let log =
                    std::fs::read_to_string(zk._dir.path().join("zk.log")).unwrap_or_default();
                panic!("ZooKeeper exited ({status}):\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "ZooKeeper did not start within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        zk
    }

    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for ZooKeeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
