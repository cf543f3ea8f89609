//! TLS to ZooKeeper (`high-availability.zookeeper.client.ssl.*`, issue 26,
//! item 4): the PEM files every ZooKeeper client of the cluster uses.
//!
//! One pair of files serves both kinds of client: flink-mesos' own (the
//! worker store, leader election, `workers`; `zookeeper-client` with rustls,
//! `crate::store::zk`) and Flink's shaded Java client in the JobManager and
//! the TaskManagers (`crate::flink::zk_login::tls_jvm_options`), which reads
//! PEM since ZooKeeper 3.6, i.e. in every Flink flink-mesos supports. PEM
//! needs no password, so none has to reach a JVM's command line or
//! environment; the key file itself travels to the workers in their secrets
//! bundle only.
//!
//! Both files are read and parsed when the configuration is resolved, so a
//! missing, unreadable or malformed file is a configuration error naming its
//! key instead of a failed handshake later.

use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Where the trust store and the key store are.
#[derive(Debug, Clone, PartialEq)]
pub struct ZkTls {
    /// PEM: the CA certificates the servers' certificates are checked against.
    pub truststore: PathBuf,
    /// PEM: this cluster's certificate chain and unencrypted private key.
    pub keystore: Option<PathBuf>,
}

/// The trust store's text, once it is known to hold a certificate.
pub fn read_truststore(path: &Path) -> Result<String, String> {
    let text = read(path)?;
    let certs = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{} is not a PEM file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{} holds no certificate (BEGIN CERTIFICATE)",
            path.display()
        ));
    }
    Ok(text)
}

/// The key store's text, once it is known to hold a certificate and an
/// unencrypted private key.
pub fn read_keystore(path: &Path) -> Result<String, String> {
    let text = read(path)?;
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(format!(
            "{} holds an encrypted private key; flink-mesos reads unencrypted PEM keys only \
             (keep the file private instead: `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem`, \
             mode 0600)",
            path.display()
        ));
    }
    let certs = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{} is not a PEM file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{} holds no certificate; put the client's certificate chain in the same PEM file \
             as its key",
            path.display()
        ));
    }
    if PrivateKeyDer::from_pem_slice(text.as_bytes()).is_err() {
        return Err(format!(
            "{} holds no private key (BEGIN PRIVATE KEY / RSA PRIVATE KEY / EC PRIVATE KEY)",
            path.display()
        ));
    }
    Ok(text)
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pems() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn each_file_is_checked_for_what_it_must_hold() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = pems();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let ca = write("ca.pem", &cert);
        let both = write("client.pem", &format!("{key}{cert}"));
        let key_only = write("key.pem", &key);
        let garbage = write("garbage.pem", "hello");
        let encrypted = write(
            "enc.pem",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        );

        assert_eq!(read_truststore(&ca).unwrap(), cert);
        assert!(read_keystore(&both).is_ok());
        let e = read_truststore(&garbage).unwrap_err();
        assert!(e.contains("garbage.pem holds no certificate"), "{e}");
        let e = read_keystore(&key_only).unwrap_err();
        assert!(e.contains("holds no certificate"), "{e}");
        let e = read_keystore(&ca).unwrap_err();
        assert!(e.contains("holds no private key"), "{e}");
        let e = read_keystore(&encrypted).unwrap_err();
        assert!(
            e.contains("encrypted private key") && e.contains("-nocrypt"),
            "{e}"
        );
        let e = read_truststore(&dir.path().join("nope.pem")).unwrap_err();
        assert!(
            e.starts_with("cannot read ") && e.contains("nope.pem"),
            "{e}"
        );
    }
}
