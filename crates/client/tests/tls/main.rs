//! The TLS identity against a real peer: `openssl s_server` on loopback requiring a client
//! certificate, the client key on a SoftHSM token. Run with nextest (one process per test):
//! SoftHSM reads its configuration from the process environment.

#![allow(clippy::unwrap_used)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sceau_client::{Error, TlsVersions, TokenIdentity, VaultClient};
use sceau_testsupport::pki::{IssueRequest, KeySpec, Profile, TestCa};
use sceau_testsupport::softhsm::{self, OfficeSpec, OfficeToken, SoftHsm};
use sceau_token::{CertSelector, FinalTry, Pin, Role, TokenSelector, Tokens};

/// `openssl s_server -www` requiring a client certificate from the office CA.
struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(office_ca: &TestCa, server_ca: &TestCa, version_flag: &str) -> Result<Server> {
        Self::start_with(office_ca, server_ca, version_flag, &[])
    }

    fn start_with(
        office_ca: &TestCa,
        server_ca: &TestCa,
        version_flag: &str,
        extra: &[&str],
    ) -> Result<Server> {
        let dir = tempfile::tempdir()?;
        let server = server_ca.issue(&IssueRequest::new(
            "localhost",
            KeySpec::EcP256,
            Profile::Server,
        ))?;
        let (cert, key) = server.write_pem(dir.path(), "server")?;
        let ca = dir.path().join("office-ca.pem");
        std::fs::write(&ca, office_ca.identity.cert_pem())?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new("openssl")
            .arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .args(["-Verify", "1", "-verify_return_error"])
            .arg("-CAfile")
            .arg(&ca)
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .arg(version_flag)
            .args(extra)
            .arg("-www")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting openssl s_server")?;
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(
                start.elapsed() < Duration::from_secs(10),
                "s_server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Server {
            child,
            port,
            _dir: dir,
        })
    }

    fn url(&self) -> String {
        format!("https://localhost:{}/", self.port)
    }
}

/// A SoftHSM token with the office's certificates, the CAs, and the token worker.
struct Office {
    office_ca: TestCa,
    vault_ca: TestCa,
    token: OfficeToken,
    tokens: Tokens,
    hsm: SoftHsm,
}

impl Office {
    fn new(hsm: SoftHsm, key: KeySpec) -> Result<Office> {
        let office_ca = TestCa::new("AC des commissaires de justice (test)", KeySpec::EcP256)?;
        let vault_ca = TestCa::new("AC du coffre-fort (test)", KeySpec::EcP256)?;
        let spec = OfficeSpec::demo("Etude9991", key);
        let token = hsm.office_token(&office_ca, &spec)?;
        let tokens = Tokens::open(&softhsm::module_path()?)?;
        Ok(Office {
            office_ca,
            vault_ca,
            token,
            tokens,
            hsm,
        })
    }

    async fn identity(&self, pin: &str) -> Result<TokenIdentity> {
        let certs = self
            .tokens
            .certificates(&TokenSelector::LabelOrSerial(self.token.label.clone()))
            .await?;
        let auth = CertSelector::Role(Role::Authentication).select(&certs)?;
        Ok(TokenIdentity::new(
            &self.tokens,
            auth,
            Pin::new(pin),
            FinalTry::Refuse,
        )?)
    }

    async fn client(&self, pin: &str, versions: TlsVersions) -> Result<VaultClient> {
        Ok(VaultClient::new(
            self.identity(pin).await?,
            &self.vault_ca.identity.cert_der,
            versions,
        )?)
    }
}

/// The handshake succeeds, the server saw our certificate, and the protocol is the one asked.
async fn handshake(key: KeySpec, versions: TlsVersions) -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _active = hsm.activate();
    let office = Office::new(hsm, key)?;
    let (flag, proto) = match versions {
        TlsVersions::Tls12Only => ("-tls1_2", "TLSv1.2"),
        _ => ("-tls1_3", "TLSv1.3"),
    };
    let server = Server::start(&office.office_ca, &office.vault_ca, flag)?;
    let client = office.client(&office.token.pin, versions).await?;
    let page = client.get_text(&server.url()).await?;
    // s_server -www describes the session, including the peer's certificate.
    assert!(page.contains(proto), "protocol {proto} in:\n{page}");
    // The scheme our token key signed with: PSS for RSA (mandatory in TLS 1.3, preferred in
    // 1.2), ECDSA with the curve's hash.
    let (sig_type, digest) = match key {
        KeySpec::Rsa(_) => ("RSA-PSS", "SHA256"),
        KeySpec::EcP256 => ("ECDSA", "SHA256"),
        KeySpec::EcP384 => ("ECDSA", "SHA384"),
    };
    assert!(
        page.contains(&format!("Peer signature type: {sig_type}")),
        "{page}"
    );
    assert!(
        page.contains(&format!("Peer signing digest: {digest}")),
        "{page}"
    );
    let ours = office.token.authentication.cert_pem();
    let body: String = ours.lines().filter(|l| !l.starts_with("-----")).collect();
    let seen: String = page.lines().map(str::trim).collect();
    assert!(
        seen.contains(&body),
        "the server did not see our authentication certificate:\n{page}"
    );
    drop(office.hsm);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_key_tls13_uses_pss() {
    handshake(KeySpec::Rsa(2048), TlsVersions::Tls13Only)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_key_tls12() {
    handshake(KeySpec::Rsa(2048), TlsVersions::Tls12Only)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec_p256_key_tls13() {
    handshake(KeySpec::EcP256, TlsVersions::Tls13Only)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec_p256_key_tls12() {
    handshake(KeySpec::EcP256, TlsVersions::Tls12Only)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec_p384_key_tls13() {
    handshake(KeySpec::EcP384, TlsVersions::Tls13Only)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec_p384_key_tls12() {
    handshake(KeySpec::EcP384, TlsVersions::Tls12Only)
        .await
        .unwrap();
}

/// On a current-thread runtime the signer waits plainly (block_in_place would panic there).
#[tokio::test(flavor = "current_thread")]
async fn current_thread_runtime_works_too() {
    handshake(KeySpec::EcP256, TlsVersions::Both).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_certificate_from_another_ca_is_refused() {
    let hsm = SoftHsm::new().unwrap();
    let _active = hsm.activate();
    let office = Office::new(hsm, KeySpec::EcP256).unwrap();
    let rogue = TestCa::new("AC du coffre-fort (test)", KeySpec::EcP256).unwrap();
    let server = Server::start(&office.office_ca, &rogue, "-tls1_3").unwrap();
    let client = office
        .client(&office.token.pin, TlsVersions::Both)
        .await
        .unwrap();
    let err = client.get_text(&server.url()).await.unwrap_err();
    assert!(matches!(err, Error::ServerNotTrusted { .. }), "{err:?}");
    assert_eq!(err.code(), "client.server_not_trusted");
    assert!(err.message_fr().contains("coffre-fort"));
}

async fn wrong_pin(versions: TlsVersions) {
    let hsm = SoftHsm::new().unwrap();
    let _active = hsm.activate();
    let office = Office::new(hsm, KeySpec::EcP256).unwrap();
    let server = Server::start(
        &office.office_ca,
        &office.vault_ca,
        if versions == TlsVersions::Tls12Only {
            "-tls1_2"
        } else {
            "-tls1_3"
        },
    )
    .unwrap();
    let client = office.client("000000", versions).await.unwrap();
    let err = client.get_text(&server.url()).await.unwrap_err();
    assert!(
        matches!(err, Error::Token(sceau_token::Error::WrongPin { .. })),
        "{err:?}"
    );
    assert_eq!(err.code(), "token.wrong_pin");
    assert!(err.message_fr().contains("PIN"));
    // The right PIN then works on the same server.
    let client = office.client(&office.token.pin, versions).await.unwrap();
    client.get_text(&server.url()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pin_is_the_tokens_error_tls13() {
    wrong_pin(TlsVersions::Tls13Only).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pin_is_the_tokens_error_tls12() {
    wrong_pin(TlsVersions::Tls12Only).await;
}

#[tokio::test]
async fn a_bad_vault_ca_is_a_configuration_error() {
    let hsm = SoftHsm::new().unwrap();
    let _active = hsm.activate();
    let office = Office::new(hsm, KeySpec::EcP256).unwrap();
    let identity = office.identity("123456").await.unwrap();
    let err = VaultClient::new(identity, b"not a certificate", TlsVersions::Both).unwrap_err();
    assert_eq!(err.code(), "client.bad_vault_ca", "{err:?}");
}

async fn refused_client_certificate(versions: TlsVersions, flag: &str) {
    let hsm = SoftHsm::new().unwrap();
    let _active = hsm.activate();
    let office = Office::new(hsm, KeySpec::EcP256).unwrap();
    // The server trusts another authority for client certificates.
    let stranger = TestCa::new("AC inconnue", KeySpec::EcP256).unwrap();
    let server = Server::start(&stranger, &office.vault_ca, flag).unwrap();
    let client = office.client(&office.token.pin, versions).await.unwrap();
    let err = client.get_text(&server.url()).await.unwrap_err();
    assert!(
        matches!(err, Error::ClientCertificateRefused { .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "client.client_cert_refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_client_certificate_is_reported_as_such_tls13() {
    refused_client_certificate(TlsVersions::Tls13Only, "-tls1_3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_client_certificate_is_reported_as_such_tls12() {
    refused_client_certificate(TlsVersions::Tls12Only, "-tls1_2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_vault_is_unreachable() {
    let hsm = SoftHsm::new().unwrap();
    let _active = hsm.activate();
    let office = Office::new(hsm, KeySpec::EcP256).unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = office
        .client(&office.token.pin, TlsVersions::Both)
        .await
        .unwrap();
    let err = client
        .get_text(&format!("https://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "client.unreachable", "{err:?}");
    assert!(err.message_fr().contains("file d'envoi"));
}

/// A TLS 1.2 server that accepts only PKCS#1 v1.5 client signatures gets one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_key_tls12_pkcs1_when_the_server_asks_for_it() {
    let hsm = SoftHsm::new().unwrap();
    let _active = hsm.activate();
    let office = Office::new(hsm, KeySpec::Rsa(2048)).unwrap();
    let server = Server::start_with(
        &office.office_ca,
        &office.vault_ca,
        "-tls1_2",
        &["-client_sigalgs", "RSA+SHA384"],
    )
    .unwrap();
    let client = office
        .client(&office.token.pin, TlsVersions::Both)
        .await
        .unwrap();
    let page = client.get_text(&server.url()).await.unwrap();
    assert!(page.contains("Peer signature type: RSA\n"), "{page}");
    assert!(page.contains("Peer signing digest: SHA384"), "{page}");
}

/// A server that accepts the connection and then says nothing (a stalled network, a vault that
/// hangs) does not hang the client: the call fails once its limit is over, as a transient
/// "no answer in time" that leaves packages queued — for a call, a download and an upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_times_out_instead_of_hanging() {
    let hsm = SoftHsm::new().unwrap();
    let _active = hsm.activate();
    let office = Office::new(hsm, KeySpec::EcP256).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept every connection and keep it open without a byte.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let limit = Duration::from_millis(1500);
    let client = office
        .client(&office.token.pin, TlsVersions::Both)
        .await
        .unwrap()
        .with_base_url(&format!("https://127.0.0.1:{port}"))
        .with_call_timeout(limit);
    let started = Instant::now();
    let calls: Vec<Error> = vec![
        client.session().await.unwrap_err(),
        client.vault_bytes("Archives/a.zip").await.unwrap_err(),
        client
            .deposit("cle-idempotence-01", vec![0u8; 4096], |_, _| {})
            .await
            .unwrap_err(),
    ];
    for err in &calls {
        assert_eq!(err.code(), "client.timeout", "{err:?}");
        assert!(err.is_transient() && err.is_out_of_reach(), "{err:?}");
        assert!(
            err.message_fr().contains("file d'envoi"),
            "{}",
            err.message_fr()
        );
    }
    // Each gave up after its limit, not long after.
    assert!(
        started.elapsed() < limit * 3 + Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
