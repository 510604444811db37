//! `cargo xtask bench portal`: p50/p99 of the recipients' portal list page and act downloads
//! (200 KB acts) under 50 concurrent recipients on loopback (TLS, SQLite + files), and
//! notifications sent per second by the vault's notifier to a real SMTP server on loopback
//! (python3-aiosmtpd).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rustls::pki_types::CertificateDer;
use sceau_testsupport::deposit::tuesday_morning;
use sceau_testsupport::pki::{KeySpec, TestCa};
use sceau_testsupport::sinks::{SmtpOptions, SmtpSink};
use sceau_vault::config::{Config, FixedClock, SmtpConfig, SmtpSecurity};
use sceau_vault::store::meta::{self, DepositRow, OfficeRow, RecipientRow};
use sceau_vault::Vault;

const RECIPIENTS: usize = 50;
const ACTS_EACH: usize = 4;
const ACT_BYTES: usize = 200 * 1024;
const BUDGET: Duration = Duration::from_secs(10);
const NOTIFICATIONS: usize = 300;

/// Runs the benchmark.
pub fn run() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(bench())
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

async fn bench() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = TestCa::new("AC bench", KeySpec::EcP256)?;
    let (ca_pem, _) = ca.identity.write_pem(dir.path(), "client-ca")?;
    let data = dir.path().join("data");
    let cfg_path = sceau_vault::init(&data, "127.0.0.1:0", &["127.0.0.1".into()], vec![ca_pem])?;
    let smtp = SmtpSink::start(&SmtpOptions::default())?;
    let mut config = Config::load(&cfg_path)?;
    config.smtp = Some(SmtpConfig {
        host: "127.0.0.1".into(),
        port: smtp.port,
        security: SmtpSecurity::Plain,
        username: None,
        password: None,
        from: "Coffre Sceau <coffre@sceau.test>".into(),
        ca_file: None,
    });
    // Every simulated recipient comes from 127.0.0.1: one address's budget would be the
    // bottleneck measured, not the portal.
    config.portal.max_requests_per_minute = 0;
    let now = tuesday_morning();
    let clock = Arc::new(FixedClock::new(now));
    let vault = Vault::open(config, clock, Arc::new(sceau_vault::SceauPdfa)).await?;

    let (sessions, acts) = seed(&vault, now).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let tls = sceau_vault::portal::tls_config(&vault)?;
    let app = sceau_vault::portal_app(vault.clone());
    let server = tokio::spawn(async move {
        let _ = sceau_vault::serve(listener, tls, app).await;
    });
    let mut roots = rustls::RootCertStore::empty();
    for der in sceau_vault::keys::load_cert_ders(&data.join(sceau_vault::keys::files::CA_CERT))? {
        roots.add(CertificateDer::from(der))?;
    }
    println!(
        "bench portal — {RECIPIENTS} concurrent recipients on loopback (TLS, SQLite + files), \
         {ACTS_EACH} acts of {} KB each, {} s",
        ACT_BYTES / 1024,
        BUDGET.as_secs()
    );
    let (list, docs, firsts) = load(port, &roots, sessions, acts).await?;
    settle_and_report(&vault, server, list, docs, firsts).await?;
    notifications(&vault, &smtp, now).await
}

/// An act of a recipient: deposit id, file name, blob digest.
type Act = (String, String, String);

/// 50 recipients with 4 acts of 200 KB each, and an open portal session each: the sessions'
/// cookies and each recipient's acts.
async fn seed(vault: &Arc<Vault>, now: DateTime<Utc>) -> Result<(Vec<String>, Vec<Vec<Act>>)> {
    let mut sessions = Vec::new();
    let mut acts = Vec::new();
    for r in 0..RECIPIENTS {
        let rid = format!("dest-{r:03}");
        let mut mine = Vec::new();
        for a in 0..ACTS_EACH {
            let mut pdf = format!("%PDF-1.4\n% acte {r} {a}\n").into_bytes();
            pdf.resize(ACT_BYTES, b' ');
            let sha = vault.blobs.put(pdf).await?;
            mine.push((
                uuid_like(r, a),
                format!("9991_REF{r}-{a}_20260601_100000.pdf"),
                sha,
            ));
        }
        let sid = format!("session-de-bench-{r:03}-0123456789abcdef");
        let (rid2, mine2, sid_hash) = (
            rid.clone(),
            mine.clone(),
            sceau_vault::notify::token_hash(&sid),
        );
        vault
            .db(move |sql| {
                if r == 0 {
                    meta::insert_office(
                        sql,
                        &OfficeRow {
                            office: sceau_proto::Office {
                                id: "office-9991".into(),
                                number: "9991".into(),
                                name: "Etude 9991".into(),
                            },
                            holder: "CN=bench".into(),
                        },
                        now,
                    )?;
                }
                meta::upsert_recipient(
                    sql,
                    &RecipientRow {
                        id: rid2.clone(),
                        kind: sceau_proto::RecipientKind::Person,
                        name: format!("Destinataire {r}"),
                        siret: None,
                        siren: None,
                        nir: None,
                        email: Some(format!("{rid2}@exemple.test")),
                        phone_fixed: None,
                        phone_mobile: None,
                    },
                )?;
                for (id, name, sha) in &mine2 {
                    meta::insert_deposit(sql, &deposit_row(id, &rid2, name, now))?;
                    meta::insert_recipient_file(sql, &rid2, id, name, sha, ACT_BYTES as i64)?;
                }
                meta::insert_session(
                    sql,
                    &sid_hash,
                    &rid2,
                    "csrf",
                    now + chrono::Duration::days(1),
                )
            })
            .await?;
        sessions.push(sid);
        acts.push(mine);
    }
    Ok((sessions, acts))
}

/// Request times of one recipient: list pages, downloads, first downloads.
type Times = (Vec<Duration>, Vec<Duration>, Vec<Duration>);

/// Every recipient at once for `BUDGET`, each in its own task: the list page then one of its
/// acts, again and again.
async fn load(
    port: u16,
    roots: &rustls::RootCertStore,
    sessions: Vec<String>,
    acts: Vec<Vec<Act>>,
) -> Result<Times> {
    let deadline = Instant::now() + BUDGET;
    let mut tasks = Vec::new();
    for (r, sid) in sessions.into_iter().enumerate() {
        let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(cfg)
            .build()?;
        tasks.push(tokio::spawn(recipient(
            client,
            port,
            sid,
            acts[r].clone(),
            deadline,
        )));
    }
    let (mut list, mut docs, mut firsts) = (Vec::new(), Vec::new(), Vec::new());
    for t in tasks {
        let (l, d, f) = t.await.context("client task")??;
        list.extend(l);
        docs.extend(d);
        firsts.extend(f);
    }
    Ok((list, docs, firsts))
}

/// One recipient until `deadline`.
async fn recipient(
    client: reqwest::Client,
    port: u16,
    sid: String,
    mine: Vec<Act>,
    deadline: Instant,
) -> Result<Times> {
    let mut list = Vec::new();
    let mut docs = Vec::new();
    let mut firsts = Vec::new();
    let mut i = 0usize;
    while Instant::now() < deadline {
        let cookie = format!("sceau_portail={sid}");
        let t = Instant::now();
        let resp = client
            .get(format!("https://127.0.0.1:{port}/portail/actes"))
            .header("cookie", &cookie)
            .send()
            .await?;
        anyhow::ensure!(resp.status() == 200, "list: {}", resp.status());
        resp.bytes().await?;
        list.push(t.elapsed());
        let (id, name, _) = &mine[i % mine.len()];
        let t = Instant::now();
        let resp = client
            .get(format!(
                "https://127.0.0.1:{port}/portail/actes/{id}/document/{name}?telecharger=1"
            ))
            .header("cookie", &cookie)
            .send()
            .await?;
        anyhow::ensure!(resp.status() == 200, "download: {}", resp.status());
        let n = resp.bytes().await?.len();
        anyhow::ensure!(n == ACT_BYTES, "download size {n}");
        // The first download of an act is its consultation (and its REMISE attestation).
        if i < mine.len() {
            firsts.push(t.elapsed());
        } else {
            docs.push(t.elapsed());
        }
        i += 1;
    }
    Ok((list, docs, firsts))
}

/// Waits for the REMISE attestations queued by the first consultations, then prints the
/// table and checks that every act was "remis à personne".
async fn settle_and_report(
    vault: &Arc<Vault>,
    server: tokio::task::JoinHandle<()>,
    mut list: Vec<Duration>,
    mut docs: Vec<Duration>,
    mut firsts: Vec<Duration>,
) -> Result<()> {
    // Every first consultation's REMISE attestation is filed off the request path: count how
    // long the queue takes to drain after the load, and check that none is missing.
    let t = Instant::now();
    sceau_vault::delivery::settled(vault).await;
    let drained = t.elapsed();
    let in_person = vault
        .db(|sql| {
            let rows = sql.query(
                "SELECT count(*) FROM deposits WHERE state = 'in_person'",
                &[],
            )?;
            Ok(rows.first().map_or(0, |r| r[0].int()))
        })
        .await?;
    server.abort();
    list.sort();
    docs.sort();
    firsts.sort();
    println!(
        "{:<34} {:>8} {:>9} {:>9} {:>9}",
        "page", "requests", "req/s", "p50 ms", "p99 ms"
    );
    for (name, v) in [
        ("list of acts (/portail/actes)", &list),
        ("download of a 200 KB act", &docs),
        ("first download (consultation)", &firsts),
    ] {
        println!(
            "{:<34} {:>8} {:>9.0} {:>9.1} {:>9.1}",
            name,
            v.len(),
            v.len() as f64 / BUDGET.as_secs_f64(),
            pct(v, 0.5),
            pct(v, 0.99)
        );
    }
    println!(
        "(a first download records the consultation — concurrent ones share one commit — and \
         queues its REMISE attestation; the {} first downloads all start in the first second)",
        RECIPIENTS * ACTS_EACH
    );
    println!(
        "REMISE attestations rendered, sealed and filed in the background: {in_person} of {} \
         (queue drained {:.0} ms after the load ended)",
        RECIPIENTS * ACTS_EACH,
        drained.as_secs_f64() * 1000.0
    );
    anyhow::ensure!(
        in_person == (RECIPIENTS * ACTS_EACH) as i64,
        "{in_person} acts « remis à personne » instead of {}",
        RECIPIENTS * ACTS_EACH
    );
    println!("goal: p99 < 100 ms for pages and downloads");
    Ok(())
}

/// Notifications: the notifier's queue and sends to the SMTP server on loopback.
async fn notifications(vault: &Arc<Vault>, smtp: &SmtpSink, now: DateTime<Utc>) -> Result<()> {
    for n in 0..NOTIFICATIONS {
        let rid = format!("dest-{:03}", n % RECIPIENTS);
        let row = deposit_row(
            &format!("notif-{n:05}"),
            &rid,
            "9991_N_20260601_100000.pdf",
            now,
        );
        vault.db(move |sql| meta::insert_deposit(sql, &row)).await?;
    }
    let start = Instant::now();
    sceau_vault::notify::enqueue_new(vault).await?;
    let mut sent = 0;
    loop {
        let (s, f) = sceau_vault::notify::send_due(vault).await?;
        anyhow::ensure!(f == 0, "notifications failed");
        sent += s;
        if s == 0 {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let received = smtp.messages()?.len();
    println!(
        "notifications: {sent} e-mails sent in {secs:.2} s = {:.0}/s (SMTP server on loopback \
         received {received}; one connection per message)",
        sent as f64 / secs
    );
    Ok(())
}

fn uuid_like(r: usize, a: usize) -> String {
    format!("00000000-0000-4000-8000-{r:06}{a:06}")
}

fn deposit_row(id: &str, rid: &str, name: &str, at: chrono::DateTime<Utc>) -> DepositRow {
    DepositRow {
        id: id.into(),
        office_id: "office-9991".into(),
        idem_key: format!("bench-{id}"),
        content_sha256: "00".repeat(32),
        recipient_id: rid.into(),
        recipient_name: rid.into(),
        nature: "COMMANDEMENT_DE_PAYER".into(),
        reference: "REF".into(),
        source: "form".into(),
        state: "awaiting_consultation".into(),
        deposited_at: at,
        files: vec![name.into()],
        receipt: "{}".into(),
        region: None,
    }
}
