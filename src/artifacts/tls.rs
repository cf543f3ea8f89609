//! TLS for the artifact server: a rustls server configuration from the key
//! material `security.ssl.keystore` names.
//!
//! Two forms are read:
//! * **PKCS#12** (`keytool -storetype PKCS12`, Java's default keystore type
//!   since Java 9), opened with `security.ssl.keystore-password` through the
//!   `p12-keystore` crate: the same file Flink's JVMs use;
//! * **PEM**: the certificate chain and the unencrypted private key in one
//!   file.
//!
//! A JKS keystore (magic `FEEDFEED`) is refused at start with the `keytool`
//! command that converts it to PKCS#12, which Flink's JVMs read as well. No
//! error message ever contains a password.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::ArtifactError;
use crate::config::options::Key;
use crate::config::secret::Secret;

const KEYSTORE: Key = Key::SecuritySslKeystore;
const PASSWORD: Key = Key::SecuritySslKeystorePassword;
const ARTIFACT_SSL: Key = Key::MesosResourcemanagerArtifactserverSslEnabled;

const JKS_MAGIC: [u8; 4] = [0xfe, 0xed, 0xfe, 0xed];

/// The server configuration from the keystore file (PKCS#12 or PEM, see the
/// module docs); `password` is `security.ssl.keystore-password`.
pub fn server_config(
    keystore: &Path,
    password: Option<&Secret>,
) -> Result<Arc<rustls::ServerConfig>, ArtifactError> {
    let shown = keystore.display();
    let bytes = std::fs::read(keystore)
        .map_err(|e| ArtifactError::Tls(format!("cannot read {KEYSTORE} {shown}: {e}")))?;
    let (certs, key) = if bytes.starts_with(&JKS_MAGIC) {
        return Err(ArtifactError::Tls(format!(
            "{KEYSTORE} {shown} is a JKS keystore, which the artifact server cannot \
             read. Convert it to PKCS#12, which Flink's JVMs read as well: `keytool \
             -importkeystore -srckeystore {shown} -destkeystore keystore.p12 -deststoretype \
             PKCS12` and point {KEYSTORE} at keystore.p12 (or set \
             {ARTIFACT_SSL}: false)"
        )));
    } else if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        from_pem(&bytes, &shown.to_string())?
    } else if bytes.first() == Some(&0x30) {
        from_pkcs12(&bytes, password, &shown.to_string())?
    } else {
        return Err(ArtifactError::Tls(format!(
            "{KEYSTORE} {shown} is neither a PKCS#12 keystore nor PEM; give it a \
             PKCS#12 keystore (`keytool -genkeypair … -storetype PKCS12`) or a PEM file with the \
             certificate chain and the private key"
        )));
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ArtifactError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            ArtifactError::Tls(format!(
                "{KEYSTORE} {shown}: the key does not fit the certificate: {e}"
            ))
        })?;
    Ok(Arc::new(config))
}

type KeyMaterial = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn from_pkcs12(
    bytes: &[u8],
    password: Option<&Secret>,
    shown: &str,
) -> Result<KeyMaterial, ArtifactError> {
    let Some(password) = password else {
        return Err(ArtifactError::Tls(format!(
            "{KEYSTORE} {shown} is a PKCS#12 keystore: set \
             {PASSWORD} to open it"
        )));
    };
    let store = p12_keystore::KeyStore::from_pkcs12(
        bytes,
        password.expose(),
        p12_keystore::Pkcs12ImportPolicy::Strict,
    )
    .map_err(|e| {
        ArtifactError::Tls(format!(
            "cannot open the PKCS#12 keystore {KEYSTORE} {shown} with \
             {PASSWORD} (wrong password, or not PKCS#12?): {e}"
        ))
    })?;
    let Some((_, chain)) = store.private_key_chain() else {
        return Err(ArtifactError::Tls(format!(
            "the PKCS#12 keystore {KEYSTORE} {shown} holds no private key with its \
             certificate chain"
        )));
    };
    let certs: Vec<CertificateDer<'static>> = chain
        .certs()
        .iter()
        .map(|c| CertificateDer::from(c.as_der().to_vec()))
        .collect();
    if certs.is_empty() {
        return Err(ArtifactError::Tls(format!(
            "the PKCS#12 keystore {KEYSTORE} {shown} holds a key without certificates"
        )));
    }
    let key = PrivateKeyDer::Pkcs8(chain.key().as_der().to_vec().into());
    Ok((certs, key))
}

fn from_pem(bytes: &[u8], shown: &str) -> Result<KeyMaterial, ArtifactError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| ArtifactError::Tls(format!("{KEYSTORE} {shown}: bad certificate: {e}")))?;
    if certs.is_empty() {
        return Err(ArtifactError::Tls(format!(
            "{KEYSTORE} {shown} holds no CERTIFICATE block; put the certificate chain \
             in the same PEM file as the key"
        )));
    }
    let key = PrivateKeyDer::from_pem_slice(bytes).map_err(|e| {
        ArtifactError::Tls(format!(
            "{KEYSTORE} {shown} holds no usable private key ({e}); it must be an \
             unencrypted PEM key (BEGIN PRIVATE KEY / RSA PRIVATE KEY / EC PRIVATE KEY)"
        ))
    })?;
    Ok((certs, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_java_keystore_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let jks = dir.path().join("ks.jks");
        std::fs::write(&jks, [0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]).unwrap();
        let e = server_config(&jks, None).unwrap_err().to_string();
        assert!(
            e.contains("JKS") && e.contains("keytool -importkeystore"),
            "{e}"
        );
        let garbage = dir.path().join("garbage");
        std::fs::write(&garbage, b"not a keystore").unwrap();
        let e = server_config(&garbage, None).unwrap_err().to_string();
        assert!(e.contains("neither a PKCS#12 keystore nor PEM"), "{e}");
        let missing = server_config(&dir.path().join("nope"), None)
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
        let e = server_config(&only_cert, None).unwrap_err().to_string();
        assert!(e.contains("private key"), "{e}");
        let both = dir.path().join("both.pem");
        std::fs::write(
            &both,
            format!("{}{}", cert.cert.pem(), cert.signing_key.serialize_pem()),
        )
        .unwrap();
        server_config(&both, None).unwrap();
    }
}
