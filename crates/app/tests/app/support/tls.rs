//! TLS for the delivery tests: a certificate authority made here (as a health system's own
//! would be), a server certificate it signs for 127.0.0.1, and an HTTPS receiver on 127.0.0.1
//! that keeps what it is sent — a real TLS handshake (rustls), nothing mocked.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

/// An authority and the server certificate it signed for `127.0.0.1` and `localhost`, in PEM.
pub struct TestAuthority {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
}

impl TestAuthority {
    pub fn new() -> TestAuthority {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "Lakeshore test authority");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        server
            .distinguished_name
            .push(DnType::CommonName, "hooks.lakeshore.test");
        let server_key = KeyPair::generate().unwrap();
        let server_cert = server.signed_by(&server_key, &ca_cert, &ca_key).unwrap();
        TestAuthority {
            ca_pem: ca_cert.pem(),
            server_cert_pem: server_cert.pem(),
            server_key_pem: server_key.serialize_pem(),
        }
    }

    /// The authority as the app trusts it (`serve --ca-file`).
    pub fn roots(&self) -> cellpath_app::outbox::TrustedRoots {
        cellpath_app::outbox::TrustedRoots::from_pem(self.ca_pem.as_bytes()).unwrap()
    }

    /// The server side of TLS with the signed certificate.
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let certs = vec![CertificateDer::from_pem_slice(self.server_cert_pem.as_bytes()).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(self.server_key_pem.as_bytes()).unwrap();
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }

    /// The authority's, the server's certificate and its key as files in `dir` (for a server
    /// started as another program): their paths.
    pub fn files(&self, dir: &std::path::Path) -> [std::path::PathBuf; 3] {
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        [
            write("ca.pem", &self.ca_pem),
            write("server.pem", &self.server_cert_pem),
            write("server.key", &self.server_key_pem),
        ]
    }
}

/// One request received: its headers (lower-case names) and its body.
pub type HttpsRequest = (Vec<(String, String)>, Vec<u8>);

/// What an HTTPS receiver was sent, and how many TLS handshakes failed.
#[derive(Clone, Default)]
pub struct HttpsReceived {
    pub requests: Arc<Mutex<Vec<HttpsRequest>>>,
    pub refused_handshakes: Arc<Mutex<usize>>,
}

impl HttpsReceived {
    pub fn header(&self, n: usize, name: &str) -> String {
        self.requests.lock().unwrap()[n]
            .0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// An HTTPS receiver on 127.0.0.1 with the authority's server certificate, answering 200 to
/// every request: its URL (`https://127.0.0.1:PORT/hook`) and what it keeps.
pub async fn https_receiver(authority: &TestAuthority) -> (String, HttpsReceived) {
    let acceptor = authority.acceptor();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/hook", listener.local_addr().unwrap());
    let received = HttpsReceived::default();
    let keep = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, keep) = (acceptor.clone(), keep.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    *keep.refused_handshakes.lock().unwrap() += 1;
                    return;
                };
                // One request per connection: the head, then the body its length names.
                let mut bytes = Vec::new();
                let mut buf = [0u8; 4096];
                let head_end = loop {
                    let n = tls.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    bytes.extend_from_slice(&buf[..n]);
                    if let Some(i) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&bytes[..head_end]).to_string();
                let headers: Vec<(String, String)> = head
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k == "content-length")
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                while bytes.len() < head_end + length {
                    let n = tls.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    bytes.extend_from_slice(&buf[..n]);
                }
                let body = bytes[head_end..head_end + length].to_vec();
                keep.requests.lock().unwrap().push((headers, body));
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (url, received)
}
