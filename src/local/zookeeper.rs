//! ZooKeeper for `local up --ha`: Debian's `zookeeper` package (the jar in
//! `/usr/share/java`), started standalone on a loopback port with its data
//! directory in the state directory, as `../shared/DESIGN.md` §5 describes.
//! It holds the appmaster's worker store and leader latch and Flink's own
//! high-availability data.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::LocalError;
use crate::config::options::Key;

const JARS: [&str; 2] = [
    "/usr/share/java/zookeeper.jar",
    "/usr/share/java/slf4j-simple.jar",
];

/// The ZooKeeper jar, or how to install it.
pub fn installed() -> Result<(), LocalError> {
    if Path::new(JARS[0]).is_file() {
        Ok(())
    } else {
        Err(LocalError::Usage(format!(
            "`local up --ha` needs ZooKeeper, and {} is missing: install Debian's package \
             (`apt-get install zookeeper`, as scripts/install-deps.sh does)",
            JARS[0]
        )))
    }
}

/// Writes `dir/zoo.cfg` and returns the command that runs the server.
pub fn command(dir: &Path, port: u16) -> std::io::Result<Command> {
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let cfg = dir.join("zoo.cfg");
    std::fs::write(
        &cfg,
        format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             admin.enableServer=false\n4lw.commands.whitelist=ruok,srvr,mntr\n",
            data.display()
        ),
    )?;
    let java = std::env::var_os("JAVA_HOME")
        .map(|h| PathBuf::from(h).join("bin/java"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("java"));
    let classpath: Vec<&str> = JARS
        .iter()
        .copied()
        .filter(|j| Path::new(j).is_file())
        .collect();
    let mut cmd = Command::new(java);
    cmd.arg("-Xmx256m")
        .arg("-cp")
        .arg(classpath.join(":"))
        .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
        .arg(&cfg)
        .current_dir(dir);
    Ok(cmd)
}

/// `ruok` → `imok`.
pub fn ruok(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(1),
    ) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"ruok").is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = s.take(16).read_to_string(&mut answer);
    answer == "imok"
}

/// The appmaster's (and through it Flink's) high-availability settings.
pub fn properties(port: u16, state_dir: &Path) -> Vec<String> {
    vec![
        format!("{}=zookeeper", Key::HighAvailabilityType),
        format!("{}=127.0.0.1:{port}", Key::HighAvailabilityZookeeperQuorum),
        format!(
            "{}=file://{}",
            Key::HighAvailabilityStorageDir,
            state_dir.join("ha").display()
        ),
    ]
}
