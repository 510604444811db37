//! The vault's listeners under clients that never finish (connections held open without a
//! handshake, headers that never end, more connections than allowed) and the portal when its
//! audit trail cannot be written: it refuses to serve (503, in French) rather than serve an
//! access it cannot record, and reopens by itself once writing works again.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use rustls::pki_types::{CertificateDer, ServerName};
use sceau_vault::{ConnLimits, SceauPdfa};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Starts the portal of `h` on loopback within `limits`.
async fn portal(
    h: &Harness,
    limits: ConnLimits,
) -> (
    SocketAddr,
    sceau_vault::portal::AuditLog,
    tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tls = sceau_vault::portal::tls_config(&h.vault).unwrap();
    let (app, audit) = sceau_vault::portal_app_with_audit(h.vault.clone());
    let task = tokio::spawn(async move {
        let _ = sceau_vault::serve_with(listener, tls, app, limits).await;
    });
    (addr, audit, task)
}

fn roots(h: &Harness) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for der in sceau_vault::keys::load_cert_ders(
        &h.config.data_dir.join(sceau_vault::keys::files::CA_CERT),
    )
    .unwrap()
    {
        roots.add(CertificateDer::from(der)).unwrap();
    }
    roots
}

fn client_config(h: &Harness) -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(h))
        .with_no_client_auth()
}

/// Seconds until the server closes `tcp` (reads until end of stream), or `None` after `wait`.
async fn closed_within(tcp: &mut TcpStream, wait: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(wait.saturating_sub(start.elapsed()), tcp.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_excess_connections_are_closed() {
    let h = Harness::start(Backend::Embedded, Arc::new(SceauPdfa)).await;
    let limits = ConnLimits {
        max_connections: 2,
        handshake_timeout: Duration::from_secs(2),
        header_timeout: Duration::from_secs(2),
    };
    let (addr, _audit, _task) = portal(&h, limits).await;

    // Two clients connect and say nothing: they take both places.
    let mut idle1 = TcpStream::connect(addr).await.unwrap();
    let mut idle2 = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A third is closed at once, before any handshake.
    let mut third = TcpStream::connect(addr).await.unwrap();
    let shut = closed_within(&mut third, Duration::from_secs(1)).await;
    assert!(
        shut.is_some(),
        "a connection beyond the limit must be closed at once"
    );
    // The silent ones lose their place once the handshake time is over…
    for idle in [&mut idle1, &mut idle2] {
        let shut = closed_within(idle, Duration::from_secs(6)).await;
        assert!(
            shut.is_some(),
            "a client that never shakes hands must be closed"
        );
    }
    // …and the portal serves again.
    let r = browser(&h)
        .get(format!(
            "https://127.0.0.1:{}/portail/acces/inconnu",
            addr.port()
        ))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());

    // A client that shakes hands and then never ends its headers is closed too.
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config(&h)));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    tls.write_all(b"GET /portail/actes HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    tls.flush().await.unwrap();
    let start = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(8), tls.read_to_end(&mut buf)).await;
    assert!(
        read.is_ok(),
        "headers that never end must not hold the connection (still open after {:?})",
        start.elapsed()
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(
        !text.contains("200 OK"),
        "an unfinished request must not be served: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_refuses_to_serve_while_its_accesses_cannot_be_recorded() {
    let h = Harness::start(Backend::Embedded, Arc::new(SceauPdfa)).await;
    let (addr, audit, _task) = portal(&h, ConnLimits::default()).await;
    let b = browser(&h);
    let url = format!("https://127.0.0.1:{}/portail/acces/inconnu", addr.port());
    let count = |h: &Harness| {
        let vault = h.vault.clone();
        async move {
            vault
                .db(|sql| {
                    let rows = sql.query("SELECT COUNT(*) FROM portal_audit", &[])?;
                    Ok(format!("{:?}", rows[0][0]))
                })
                .await
                .unwrap()
        }
    };

    let first = b.get(&url).send().await.unwrap();
    assert_eq!(
        first.status(),
        404,
        "an unknown link is answered, not refused"
    );
    audit.flush().await;
    let before = count(&h).await;

    // The audit table disappears: the next access cannot be written…
    h.vault
        .db(|sql| {
            sql.exec("ALTER TABLE portal_audit RENAME TO portal_audit_away", &[])?;
            Ok(())
        })
        .await
        .unwrap();
    let unrecorded = b.get(&url).send().await.unwrap();
    assert_eq!(unrecorded.status(), 404);
    audit.flush().await;
    // …and from then on the portal serves nothing.
    for _ in 0..3 {
        let r = b.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 503);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("ne peut pas enregistrer votre accès"),
            "{page}"
        );
        audit.flush().await;
    }

    // The table is back: the refusal itself is written, which reopens the portal.
    h.vault
        .db(|sql| {
            sql.exec("ALTER TABLE portal_audit_away RENAME TO portal_audit", &[])?;
            Ok(())
        })
        .await
        .unwrap();
    let r = b.get(&url).send().await.unwrap();
    assert_eq!(
        r.status(),
        503,
        "the first request after the repair is still refused"
    );
    audit.flush().await;
    let r = b.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 404, "the portal reopens once a write succeeds");
    audit.flush().await;
    assert_ne!(
        count(&h).await,
        before,
        "the accesses after the repair are recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_address_has_a_budget_of_portal_requests_per_minute() {
    let h = Harness::start_with(Backend::Embedded, Arc::new(SceauPdfa), |cfg, _| {
        cfg.portal.max_requests_per_minute = 5;
    })
    .await;
    let (addr, _audit, _task) = portal(&h, ConnLimits::default()).await;
    let url = format!("https://127.0.0.1:{}/portail/acces/inconnu", addr.port());
    let from = |ip: &str| {
        reqwest::Client::builder()
            .tls_backend_preconfigured(client_config(&h))
            .local_address(ip.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap()
    };
    let (one, two) = (from("127.0.0.1"), from("127.0.0.2"));
    for _ in 0..5 {
        assert_eq!(one.get(&url).send().await.unwrap().status(), 404);
    }
    let over = one.get(&url).send().await.unwrap();
    assert_eq!(over.status(), 429);
    let retry: u32 = over.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");
    let page = over.text().await.unwrap();
    assert!(page.contains("Réessayez dans une minute"), "{page}");
    // Another address keeps its own budget.
    assert_eq!(two.get(&url).send().await.unwrap().status(), 404);
    // The next minute (the vault's clock) renews it.
    h.clock
        .set(tuesday_morning() + chrono::Duration::seconds(60));
    assert_eq!(one.get(&url).send().await.unwrap().status(), 404);
}
