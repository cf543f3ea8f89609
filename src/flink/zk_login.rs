//! Flink's own ZooKeeper login with flink-mesos' digest credentials, for
//! `high-availability.zookeeper.client.acl: creator` (issue 26, item 4).
//!
//! Flink authenticates to ZooKeeper only through SASL: a JAAS section (its
//! `zookeeper.sasl.login-context-name`, `Client` by default) read from the
//! file that the JVM's `java.security.auth.login.config` names. With
//! `high-availability.zookeeper.client.digest.username`/`.password` and no
//! Kerberos login of its own, every Flink JVM of the cluster gets such a
//! file: ZooKeeper's `DigestLoginModule` (as Flink shades it) with the same
//! user and password, so Flink logs in with SASL DIGEST-MD5 (a challenge and
//! response: the password never crosses the network) as `sasl:<user>`, the
//! identity its creator-only nodes belong to. The ZooKeeper servers need the
//! SASL authentication provider and that user in their JAAS `Server`
//! section (docs/security.md).
//!
//! Invariant: the password is only in that file, 0600 in a private
//! directory: the JobManager's (the appmaster's host), a TaskManager's
//! secrets directory (it travels in the secrets bundle, never through the
//! fetcher). It is never in a Flink configuration (Flink logs those and
//! serves them on its REST API), an environment or a command line: the
//! command line holds the file's path alone.

use std::path::PathBuf;

use crate::config::secret::Secret;
use crate::config::zk_tls::ZkTls;

/// The file's name: in the secrets bundle and in the JobManager's work
/// directory.
pub const JAAS_FILE: &str = "zookeeper-jaas.conf";

/// ZooKeeper's digest login module, relocated as every Flink from 1.18 on
/// ships it (`flink-dist`, flink-shaded-zookeeper-3).
pub const LOGIN_MODULE: &str =
    "org.apache.flink.shaded.zookeeper3.org.apache.zookeeper.server.auth.DigestLoginModule";

/// ZooKeeper's Netty client socket, relocated as in every Flink from 1.18
/// on: the only one of its client sockets that speaks TLS.
pub const NETTY_SOCKET: &str =
    "org.apache.flink.shaded.zookeeper3.org.apache.zookeeper.ClientCnxnSocketNetty";

/// How one Flink JVM's ZooKeeper client logs in and connects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZkClientJvm {
    /// A JAAS file (`-Djava.security.auth.login.config`) with its login.
    pub login_config: Option<PathBuf>,
    /// TLS to the servers (`crate::config::zk_tls`).
    pub tls: Option<ZkTls>,
}

impl ZkClientJvm {
    /// The JVM options: ZooKeeper's client reads its login and TLS settings
    /// from system properties only (Flink has no configuration keys for
    /// them). Paths alone: the PEM files need no password.
    pub fn jvm_options(&self) -> Vec<String> {
        let mut opts = Vec::new();
        if let Some(path) = &self.login_config {
            opts.push(format!(
                "-Djava.security.auth.login.config={}",
                path.display()
            ));
        }
        if let Some(tls) = &self.tls {
            opts.push("-Dzookeeper.client.secure=true".into());
            opts.push(format!("-Dzookeeper.clientCnxnSocket={NETTY_SOCKET}"));
            opts.push(format!(
                "-Dzookeeper.ssl.trustStore.location={}",
                tls.truststore.display()
            ));
            opts.push("-Dzookeeper.ssl.trustStore.type=PEM".into());
            if let Some(keystore) = &tls.keystore {
                opts.push(format!(
                    "-Dzookeeper.ssl.keyStore.location={}",
                    keystore.display()
                ));
                opts.push("-Dzookeeper.ssl.keyStore.type=PEM".into());
            }
        }
        opts
    }
}

/// The JAAS configuration: section `context` with the digest login of
/// `user`. Quotes and backslashes are escaped (the JAAS parser reads Java
/// string escapes in quoted values).
pub fn jaas(context: &str, user: &str, password: &Secret) -> Secret {
    let quoted = |s: &str| {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for c in s.chars() {
            if matches!(c, '"' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    };
    Secret::new(format!(
        "{context} {{\n  {LOGIN_MODULE} required\n  username={}\n  password={};\n}};\n",
        quoted(user),
        quoted(password.expose())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jaas_section_with_escaped_values() {
        let text = jaas("Client", "flink", &Secret::new(r#"p"w\d"#));
        assert_eq!(
            text.expose(),
            format!(
                "Client {{\n  {LOGIN_MODULE} required\n  username=\"flink\"\n  password=\"p\\\"w\\\\d\";\n}};\n"
            )
        );
        assert!(
            !format!("{text:?}").contains("p\\\"w"),
            "Debug never shows it"
        );
    }
}
