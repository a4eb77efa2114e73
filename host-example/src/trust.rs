//! The certificates a connection's TLS trusts, as botocore chooses them for a client: Mozilla's
//! roots by default (botocore ships certifi's bundle; this host the same list through
//! `webpki-roots`), or the PEM bundle the configuration names (`verify`, `AWS_CA_BUNDLE`, a
//! profile's `ca_bundle`), which then *replaces* the default roots, as a bundle given to
//! botocore does.
//!
//! The bundle is read by the host when a session opens (the component never sees it); a bundle
//! that cannot be read, or holds no certificate, fails the open with an error naming the file.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Whose certificates a connection trusts.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Trust {
    /// Mozilla's roots (`webpki-roots`).
    Default,
    /// The certificates of a PEM bundle, and only those.
    Bundle {
        /// Where they were read from, for messages.
        path: PathBuf,
        /// The DER certificates, in the file's order.
        certificates: Arc<[CertificateDer<'static>]>,
    },
}

impl Trust {
    /// Reads the PEM bundle at `path`, taken as written (botocore hands it to OpenSSL
    /// unchanged: no `~`, relative to the working directory).
    pub fn bundle(path: &str) -> Result<Self, TrustError> {
        let path = PathBuf::from(path);
        let fail = |why: String| TrustError {
            path: path.clone(),
            why,
        };
        let bytes = std::fs::read(&path).map_err(|e| fail(e.to_string()))?;
        let certificates = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| fail(format!("not a PEM certificate bundle ({e})")))?;
        if certificates.is_empty() {
            return Err(fail("it holds no PEM certificate".into()));
        }
        Ok(Trust::Bundle {
            path,
            certificates: certificates.into(),
        })
    }

    /// The root store a TLS client built for this trust checks servers against.
    pub fn roots(&self) -> Result<RootCertStore, TrustError> {
        match self {
            Trust::Default => Ok(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }),
            Trust::Bundle { path, certificates } => {
                let mut roots = RootCertStore::empty();
                let (added, ignored) =
                    roots.add_parsable_certificates(certificates.iter().cloned());
                if added == 0 {
                    return Err(TrustError {
                        path: path.clone(),
                        why: format!("none of its {ignored} certificates is a usable CA"),
                    });
                }
                Ok(roots)
            }
        }
    }
}

impl fmt::Debug for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trust::Default => f.write_str("Default"),
            Trust::Bundle { path, certificates } => f
                .debug_struct("Bundle")
                .field("path", path)
                .field("certificates", &certificates.len())
                .finish(),
        }
    }
}

/// A CA bundle could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustError {
    path: PathBuf,
    why: String,
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the CA bundle {} cannot be used: {}",
            self.path.display(),
            self.why
        )
    }
}

impl std::error::Error for TrustError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("trust-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn default_is_mozillas_roots() {
        let roots = Trust::Default.roots().unwrap();
        assert_eq!(roots.len(), webpki_roots::TLS_SERVER_ROOTS.len());
        assert!(roots.len() > 100);
    }

    #[test]
    fn an_unusable_bundle_names_the_file_and_why() {
        let missing = Trust::bundle("/nonexistent/ca.pem")
            .unwrap_err()
            .to_string();
        assert!(missing.contains("/nonexistent/ca.pem"), "{missing}");
        assert!(missing.contains("No such file"), "{missing}");

        let empty = write("empty.pem", "no certificates here\n");
        let text = Trust::bundle(empty.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(text.contains("holds no PEM certificate"), "{text}");

        let garbage = write(
            "garbage.pem",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        );
        let trust = Trust::bundle(garbage.to_str().unwrap()).unwrap();
        let text = trust.roots().unwrap_err().to_string();
        assert!(text.contains("none of its 1 certificates"), "{text}");
        assert!(text.contains("garbage.pem"), "{text}");
    }
}
