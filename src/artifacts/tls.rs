//! TLS for the artifact server: a rustls server configuration from the key
//! material `security.ssl.keystore` names.
//!
//! rustls reads PEM, not Java keystores: the keystore file must hold the
//! certificate chain and the (unencrypted) private key in PEM. A JKS or
//! PKCS#12 file is refused at start with the command that converts it.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::ArtifactError;

/// The server configuration from a PEM file with certificate(s) and key.
pub fn server_config(pem_file: &Path) -> Result<Arc<rustls::ServerConfig>, ArtifactError> {
    let shown = pem_file.display();
    let bytes = std::fs::read(pem_file).map_err(|e| {
        ArtifactError::Tls(format!("cannot read security.ssl.keystore {shown}: {e}"))
    })?;
    if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(ArtifactError::Tls(format!(
            "security.ssl.keystore {shown} is not PEM (a Java keystore?). The artifact server \
             reads PEM: give it a file with the certificate chain and the private key, e.g. \
             `keytool -importkeystore -srckeystore KS -destkeystore ks.p12 -deststoretype PKCS12` \
             then `openssl pkcs12 -in ks.p12 -nodes -out ks.pem`, or set \
             mesos.resourcemanager.artifactserver.ssl.enabled: false"
        )));
    }
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            ArtifactError::Tls(format!(
                "security.ssl.keystore {shown}: bad certificate: {e}"
            ))
        })?;
    if certs.is_empty() {
        return Err(ArtifactError::Tls(format!(
            "security.ssl.keystore {shown} holds no CERTIFICATE block; put the certificate chain \
             in the same PEM file as the key"
        )));
    }
    let key = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        ArtifactError::Tls(format!(
            "security.ssl.keystore {shown} holds no usable private key ({e}); it must be an \
             unencrypted PEM key (BEGIN PRIVATE KEY / RSA PRIVATE KEY / EC PRIVATE KEY)"
        ))
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ArtifactError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            ArtifactError::Tls(format!(
                "security.ssl.keystore {shown}: the key does not fit the certificate: {e}"
            ))
        })?;
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_java_keystore_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let jks = dir.path().join("ks.jks");
        std::fs::write(&jks, [0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]).unwrap();
        let e = server_config(&jks).unwrap_err().to_string();
        assert!(e.contains("not PEM") && e.contains("openssl pkcs12"), "{e}");
        let missing = server_config(&dir.path().join("nope"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("cannot read"), "{missing}");
    }

    #[test]
    fn pem_without_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let only_cert = dir.path().join("cert.pem");
        std::fs::write(&only_cert, cert.cert.pem()).unwrap();
        let e = server_config(&only_cert).unwrap_err().to_string();
        assert!(e.contains("private key"), "{e}");
        let both = dir.path().join("both.pem");
        std::fs::write(
            &both,
            format!("{}{}", cert.cert.pem(), cert.signing_key.serialize_pem()),
        )
        .unwrap();
        server_config(&both).unwrap();
    }
}
