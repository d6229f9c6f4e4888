//! HTTPS through the real server: a certificate made in the test (`rcgen`), served on the
//! listen address with plain HTTP beside it (`--plain-listen`), a renewed certificate served
//! without a restart, a bad new pair ignored (the old one kept), and a client that opens a
//! connection and never completes the handshake dropped after the header timeout. SQLite only:
//! the database plays no part.

use std::path::Path;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use reqwest::StatusCode;
use ringmaster::connections::ConnectionLimits;
use ringmaster::http::HttpConfig;
use ringmaster::tls::TlsConfig;

use crate::support::{AppOptions, TestBackend, spawn_app_with};

/// A test CA, and leaf certificates for `localhost` it signs.
struct TestCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let certificate = params.self_signed(&key).unwrap();
        TestCa {
            pem: certificate.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A new leaf: its PEM certificate, PEM key and DER certificate.
    fn leaf(&self) -> (String, String, Vec<u8>) {
        let params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        (
            certificate.pem(),
            key.serialize_pem(),
            certificate.der().to_vec(),
        )
    }
}

fn write_pair(dir: &Path, cert: &str, key: &str) {
    // Written beside and renamed, as a certificate manager does, so no round reads half a file.
    for (name, contents) in [("cert.pem", cert), ("key.pem", key)] {
        let partial = dir.join(format!("{name}.new"));
        std::fs::write(&partial, contents).unwrap();
        std::fs::rename(&partial, dir.join(name)).unwrap();
    }
}

/// The DER certificate a new HTTPS connection to `port` is shown.
async fn served_certificate(ca: &TestCa, port: u16) -> Vec<u8> {
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap())
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let response = client
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .expect("HTTPS request");
    assert_eq!(response.status(), StatusCode::OK);
    let info = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .expect("TLS info");
    info.peer_certificate().expect("a certificate").to_vec()
}

#[tokio::test]
async fn https_serves_the_certificate_and_a_renewed_one_without_a_restart() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, first) = ca.leaf();
    write_pair(dir.path(), &cert, &key);
    let app = spawn_app_with(
        TestBackend::Sqlite,
        AppOptions {
            http: HttpConfig {
                tls: Some(TlsConfig {
                    cert: dir.path().join("cert.pem"),
                    key: dir.path().join("key.pem"),
                    reload_every: Duration::from_millis(100),
                    plain_listen: Some("127.0.0.1:0".parse().unwrap()),
                }),
                connections: ConnectionLimits {
                    header_timeout: Duration::from_secs(1),
                    ..ConnectionLimits::default()
                },
                ..HttpConfig::default()
            },
            ..AppOptions::default()
        },
    )
    .await;
    let port = app.address().port();
    assert_eq!(served_certificate(&ca, port).await, first);

    // Plain HTTP on its own listener, and not on the HTTPS one.
    let plain = app.plain_address().expect("a plain listener");
    let answer = reqwest::get(format!("http://{plain}/healthz"))
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .is_err(),
        "plain HTTP on the HTTPS port is not answered"
    );

    // A renewed certificate is served to the next connection.
    let (cert, key, second) = ca.leaf();
    write_pair(dir.path(), &cert, &key);
    let renewed = wait_for_certificate(&ca, port, &second).await;
    assert!(
        renewed,
        "the renewed certificate was not served within 10 s"
    );

    // A pair that does not belong together is refused, and the current one kept.
    let (other_cert, _, _) = ca.leaf();
    write_pair(dir.path(), &other_cert, &key);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(served_certificate(&ca, port).await, second);
    std::fs::write(dir.path().join("cert.pem"), "not PEM").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(served_certificate(&ca, port).await, second);

    // A connection that never starts its handshake is closed after the header timeout.
    let address = app.address();
    let closed = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut silent = std::net::TcpStream::connect(address).unwrap();
        silent
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let started = std::time::Instant::now();
        let read = silent.read(&mut [0u8; 16]);
        (read.map_err(|error| error.kind()), started.elapsed())
    })
    .await
    .unwrap();
    assert!(
        matches!(closed.0, Ok(0) | Err(std::io::ErrorKind::ConnectionReset)),
        "a silent TLS connection is closed, not left open: {closed:?}"
    );
    assert!(closed.1 < Duration::from_secs(4), "{closed:?}");
    app.stop().await;
}

async fn wait_for_certificate(ca: &TestCa, port: u16, wanted: &[u8]) -> bool {
    for _ in 0..100 {
        if served_certificate(ca, port).await == wanted {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_server_does_not_start_with_a_certificate_that_does_not_load() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let (cert, _, _) = ca.leaf();
    let (_, other_key, _) = ca.leaf();
    write_pair(dir.path(), &cert, &other_key);
    let database = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let cert_path = dir.path().join("cert.pem").display().to_string();
    let key_path = dir.path().join("key.pem").display().to_string();
    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--ddm-open",
        "--database",
        &database,
        "--tls-cert",
        &cert_path,
        "--tls-key",
        &key_path,
    ];
    let run = crate::cli::ringmaster(&args);
    let run = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("it stops instead of serving");
    let stderr = run.stderr;
    assert_eq!(run.code, 1, "{stderr}");
    assert!(stderr.contains("does not fit the certificate"), "{stderr}");
}
