//! `cargo xtask bench upload`: throughput of a 20 MB package sent by `sceau-client` (TLS client
//! key on a SoftHSM token, streamed body with progress) against `curl` with the same client
//! certificate as PEM files, to the same vault on loopback, in the same run.
//!
//! Both send the identical request (`PUT /v1/deposits/{key}` with the same content digest and
//! body): the vault reads and hashes the whole body, then refuses the content (it is not a
//! deposit package) — so what is measured is the transfer and the vault's receiving path, the
//! same for both, not the vault's validation of a deposit. The client's time includes hashing
//! the file first (it must send the digest), as in real use.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::{Datelike, TimeZone, Utc};
use sceau_client::{TlsVersions, TokenIdentity, VaultClient};
use sceau_testsupport::pki::{KeySpec, TestCa};
use sceau_testsupport::softhsm::{self, OfficeSpec, SoftHsm};
use sceau_token::{CertSelector, FinalTry, Pin, Role, TokenSelector, Tokens};
use sceau_vault::config::{Config, FixedClock};

const SIZE: usize = 20 * 1024 * 1024;
const ROUNDS: usize = 7;

fn tuesday_morning() -> chrono::DateTime<Utc> {
    let cal = sceau_core::calendar::Calendar::default();
    let mut day = (Utc::now() + chrono::Duration::days(2)).date_naive();
    while day.weekday() != chrono::Weekday::Tue || cal.is_public_holiday(day) {
        day += chrono::Duration::days(1);
    }
    Utc.from_utc_datetime(&day.and_hms_opt(9, 0, 0).unwrap_or_default())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs the benchmark.
pub fn run() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    let ca = TestCa::new("AC bench upload", KeySpec::EcP256)?;
    let office = hsm.office_token(&ca, &OfficeSpec::demo("BenchUpload", KeySpec::EcP256))?;
    let (ca_pem, _) = ca.identity.write_pem(dir.path(), "office-ca")?;
    let (cert_pem, key_pem) = office.authentication.write_pem(dir.path(), "auth")?;

    let data = dir.path().join("vault");
    let cfg_path = sceau_vault::init(
        &data,
        "127.0.0.1:0",
        &["127.0.0.1".into()],
        vec![ca_pem.clone()],
    )?;
    let config = Config::load(&cfg_path)?;
    let vault_ca = data.join(sceau_vault::keys::files::CA_CERT);

    rt.block_on(async {
        let base = serve_vault(&config, &ca_pem).await?;

        // sceau-client on the token.
        let tokens = Tokens::open(&softhsm::module_path()?)?;
        let certs = tokens.certificates(&TokenSelector::Any).await?;
        let auth = CertSelector::Role(Role::Authentication).select(&certs)?;
        let ca_der = sceau_vault::keys::load_cert_ders(&vault_ca)?
            .into_iter()
            .next()
            .context("vault CA")?;
        let new_client = || -> Result<VaultClient> {
            let identity =
                TokenIdentity::new(&tokens, auth, Pin::new(&office.pin), FinalTry::Refuse)?;
            Ok(VaultClient::new(identity, &ca_der, TlsVersions::Both)?.with_base_url(&base))
        };
        let client = new_client()?;
        let s = client.session().await?;
        client
            .bind(&sceau_proto::BindRequest {
                confirm_fingerprint_sha256: s.certificate.fingerprint_sha256,
                office_number: "9991".into(),
                office_name: "Etude 9991".into(),
            })
            .await?;

        let file = dir.path().join("package.zip");
        let body: Vec<u8> = (0..SIZE)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(&file, &body)?;
        let (digest, _) = sceau_client::file_sha256(&file).await?;
        println!(
            "bench upload — {} MB package, mutual TLS on loopback, median of {ROUNDS} rounds each",
            SIZE / (1024 * 1024)
        );
        let curl = Curl {
            vault_ca: &vault_ca,
            cert: &cert_pem,
            key: &key_pem,
            digest: &digest,
            file: &file,
            base: &base,
        };
        let times = rounds(&client, new_client, &curl).await?;
        report(times);
        Ok::<_, anyhow::Error>(())
    })
}

/// The vault in this process on loopback (its clock on a Tuesday morning), étude 9991
/// declared; its base URL.
async fn serve_vault(config: &Config, office_ca: &Path) -> Result<String> {
    let vault = sceau_vault::Vault::open(
        config.clone(),
        Arc::new(FixedClock::new(tuesday_morning())),
        Arc::new(sceau_vault::SceauPdfa),
    )
    .await?;
    crate::bench_vault::declare_office(&vault, config, office_ca).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let tls = vault.tls_config()?;
    let app = sceau_vault::app(vault);
    tokio::spawn(async move {
        let _ = sceau_vault::serve(listener, tls, app).await;
    });
    Ok(format!("https://127.0.0.1:{port}"))
}

/// The vault's answer to random bytes sent as a package: refused as a bad package.
fn expected(
    r: std::result::Result<sceau_proto::DepositReceipt, sceau_client::Error>,
) -> Result<()> {
    match r {
        Err(sceau_client::Error::Vault { code, .. }) if code == "bad_package" => Ok(()),
        Err(e) => bail!("unexpected answer: {e}"),
        Ok(_) => bail!("the vault accepted random bytes as a package"),
    }
}

/// The times of `ROUNDS` uploads (after one to warm up) by `client` on its connection, by a
/// new client each time (`new_client`) and by curl.
async fn rounds(
    client: &VaultClient,
    new_client: impl Fn() -> Result<VaultClient>,
    curl: &Curl<'_>,
) -> Result<[Vec<Duration>; 3]> {
    let file = curl.file;
    let mut ours = Vec::new();
    let mut ours_fresh = Vec::new();
    let mut theirs = Vec::new();
    for round in 0..ROUNDS + 1 {
        let key = format!("bench-upload-{round:04}");
        let t = Instant::now();
        // Read within the timing, as curl reads its file (the app reads a sealed package).
        expected(client.deposit(&key, std::fs::read(file)?, |_, _| {}).await)?;
        let a = t.elapsed();

        // A new connection (and a handshake signed on the token) for this upload alone,
        // as curl does.
        let key = format!("bench-fresh-{round:04}");
        let t = Instant::now();
        let c = new_client()?;
        expected(c.deposit(&key, std::fs::read(file)?, |_, _| {}).await)?;
        let f = t.elapsed();

        let key = format!("bench-curl-{round:04}");
        let t = Instant::now();
        curl.upload(&key)?;
        let b = t.elapsed();
        // The first round warms up both (TLS session, page cache).
        if round > 0 {
            ours.push(a);
            ours_fresh.push(f);
            theirs.push(b);
        }
    }
    Ok([ours, ours_fresh, theirs])
}

/// curl with the same client certificate as PEM files.
struct Curl<'a> {
    vault_ca: &'a Path,
    cert: &'a Path,
    key: &'a Path,
    digest: &'a str,
    file: &'a Path,
    base: &'a str,
}

impl Curl<'_> {
    /// The same request as sceau-client's, refused the same way.
    fn upload(&self, key: &str) -> Result<()> {
        let out = Command::new("curl")
            .args(["--silent", "--show-error", "--http1.1", "-X", "PUT"])
            .arg("--cacert")
            .arg(self.vault_ca)
            .arg("--cert")
            .arg(self.cert)
            .arg("--key")
            .arg(self.key)
            .args([
                "-H",
                &format!("{}: {}", sceau_proto::CONTENT_SHA256_HEADER, self.digest),
            ])
            .arg("--data-binary")
            .arg(format!("@{}", self.file.display()))
            .args(["-o", "/dev/null", "-w", "%{http_code}"])
            .arg(format!("{}/v1/deposits/{key}", self.base))
            .output()
            .context("running curl")?;
        let code = String::from_utf8_lossy(&out.stdout).into_owned();
        if code.trim() != "400" && code.trim() != "422" {
            bail!(
                "curl: unexpected HTTP {code}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }
}

fn report([ours, ours_fresh, theirs]: [Vec<Duration>; 3]) {
    let mb = SIZE as f64 / (1024.0 * 1024.0);
    let (a, f, b) = (median(ours), median(ours_fresh), median(theirs));
    let (ra, rf, rb) = (
        mb / a.as_secs_f64(),
        mb / f.as_secs_f64(),
        mb / b.as_secs_f64(),
    );
    println!("{:<40} {:>10} {:>10}", "", "median ms", "MB/s");
    println!(
        "{:<40} {:>10.1} {:>10.1}",
        "sceau-client (token key, streamed)",
        a.as_secs_f64() * 1000.0,
        ra
    );
    println!(
        "{:<40} {:>10.1} {:>10.1}",
        "sceau-client, new connection per upload",
        f.as_secs_f64() * 1000.0,
        rf
    );
    println!(
        "{:<40} {:>10.1} {:>10.1}",
        "curl (same certificate as PEM)",
        b.as_secs_f64() * 1000.0,
        rb
    );
    println!(
        "ratio sceau-client / curl: {:.0} % (new connection each: {:.0} %) (goal >= 80 %)",
        100.0 * ra / rb,
        100.0 * rf / rb
    );
}
