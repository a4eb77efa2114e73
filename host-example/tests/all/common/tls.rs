//! TLS for the tests, made at test time: a private CA (written as a PEM bundle), leaf
//! certificates from it (for `localhost`, for another name, expired) or from a CA nobody
//! trusts, and a loopback TLS front that terminates TLS with one of them and passes the bytes
//! on to a plain-HTTP server (moto, a mock), counting the handshakes it completes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, date_time_ymd};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpStream;

/// A certificate and its key, for a TLS server.
pub struct Leaf {
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

/// A certificate authority made for one test process.
pub struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
    /// The CA's certificate as a PEM bundle on disk (what `verify` / `AWS_CA_BUNDLE` name).
    pub bundle: PathBuf,
}

impl Pki {
    /// A new CA named `name`; its bundle is written under the system's temporary directory.
    pub fn new(name: &str) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("{name} test CA"));
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let dir = std::env::temp_dir().join(format!("ssm-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bundle = dir.join(format!("{name}-ca.pem"));
        std::fs::write(&bundle, ca.pem()).unwrap();
        Pki { ca, bundle }
    }

    /// A certificate for `names`, valid now.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(names, |_| {})
    }

    /// A certificate for `names` that expired in 2020.
    pub fn expired_leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(names, |params| {
            params.not_before = date_time_ymd(2019, 1, 1);
            params.not_after = date_time_ymd(2020, 1, 1);
        })
    }

    fn leaf_with(&self, names: &[&str], adjust: impl FnOnce(&mut CertificateParams)) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        adjust(&mut params);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        Leaf {
            chain: vec![cert.der().clone()],
            key: key.serialize_der(),
        }
    }
}

/// A loopback TLS front for a plain-HTTP server at `backend`.
pub struct TlsFront {
    /// Where it listens.
    pub addr: SocketAddr,
    handshakes: Arc<AtomicUsize>,
}

impl TlsFront {
    /// Serves `leaf` on a free loopback port, forwarding each connection to `backend`.
    pub fn start(leaf: Leaf, backend: SocketAddr) -> TlsFront {
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            leaf.chain,
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key)),
        )
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let handshakes = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&handshakes);
        let addr = super::loopback_server(move |tcp| {
            let (acceptor, counted) = (acceptor.clone(), Arc::clone(&counted));
            async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            }
        });
        TlsFront { addr, handshakes }
    }

    /// `https://localhost:<port>`.
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// How many TLS handshakes completed.
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

/// The loopback address behind `http://127.0.0.1:<port>`.
pub fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap()
}
