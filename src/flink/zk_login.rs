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

use crate::config::secret::Secret;

/// The file's name: in the secrets bundle and in the JobManager's work
/// directory.
pub const JAAS_FILE: &str = "zookeeper-jaas.conf";

/// ZooKeeper's digest login module, relocated as every Flink from 1.18 on
/// ships it (`flink-dist`, flink-shaded-zookeeper-3).
pub const LOGIN_MODULE: &str =
    "org.apache.flink.shaded.zookeeper3.org.apache.zookeeper.server.auth.DigestLoginModule";

/// The JVM option that makes the JVM read `path` as its JAAS configuration.
pub fn jvm_option(path: &std::path::Path) -> String {
    format!("-Djava.security.auth.login.config={}", path.display())
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
