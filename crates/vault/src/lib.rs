//! The Sceau vault server: where legal time, proof and authorisation live.
//!
//! Offices authenticate with the authentication certificate of their token over mutual TLS
//! ([`tls`], [`peer`]); a first connection binds the office's space to the certificate. Offices
//! find recipients, check consent and reception hours, and deposit signed PDF/A acts
//! ([`api::deposit`], [`acceptance`]); the vault seals and time-stamps the deposit attestation,
//! files the acts in the recipient's vault and an archive in the office's vault, and records
//! every step in a hash-chained journal ([`journal`]).
//!
//! Storage sits behind two small traits: [`store::sql::Metadata`] (SQLite or PostgreSQL) and
//! [`store::blobs::Blobs`] (content-addressed files or an S3 bucket).
//!
//! [`app`] builds the router (tests drive it with `oneshot`); [`serve`] runs it over TLS.

pub mod acceptance;
pub mod admin;
pub mod api;
pub mod config;
pub mod data_message;
pub mod datadir;
pub mod delivery;
pub mod error;
pub mod flow;
pub mod gc;
pub mod group_commit;
pub mod invitation;
pub mod journal;
pub mod keys;
pub mod notify;
pub mod pdfguard;
pub mod peer;
pub mod place;
pub mod portal;
pub mod proof;
pub mod ratelimit;
pub mod register;
pub mod returns;
pub mod revocation;
pub mod second_factor;
pub mod store;
pub mod tls;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tower::ServiceExt;

use config::{BlobConfig, Clock, Config, MetadataConfig};
use error::ConfigError;
pub use error::{Error, Result};
use keys::{files, KeyCert};
use peer::PeerCerts;
use store::blobs::{Blobs, FileBlobs, S3Blobs};
use store::sql::{Metadata, PgMeta, Sql, SqliteMeta};

/// Checks that an act is PDF/A-1b ("the shared checker": [`SceauPdfa`] in the product).
pub trait PdfaChecker: Send + Sync {
    /// `Ok(())` if conformant, else a short reason (logged, not sent).
    fn check(&self, pdf: &[u8]) -> std::result::Result<(), String>;
}

/// The product's PDF/A-1b checker: `sceau_pdfa::check_pdfa1b`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SceauPdfa;

impl PdfaChecker for SceauPdfa {
    fn check(&self, pdf: &[u8]) -> std::result::Result<(), String> {
        // The checker loads the file with lopdf: within the same bounds as a return's.
        pdfguard::check_bounds(pdf).map_err(|r| r.0)?;
        let verdict = sceau_pdfa::check_pdfa1b(pdf);
        if verdict.conformant {
            Ok(())
        } else {
            Err(verdict.codes().join(", "))
        }
    }
}

/// The running vault: configuration, storage, keys and clock.
pub struct Vault {
    /// Configuration.
    pub config: Config,
    /// Metadata store.
    pub meta: Arc<dyn Metadata>,
    /// Blob store.
    pub blobs: Arc<dyn Blobs>,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Sealing key (attestations).
    pub seal: KeyCert,
    /// Time-stamping unit.
    pub tsa: KeyCert,
    /// Client certificate checks of the offices' routes (`client_ca_files`).
    pub checker: tls::ClientChecker,
    /// Client certificate checks of the bank API (`bank_ca_files`, else `client_ca_files`).
    pub bank_checker: tls::ClientChecker,
    /// Trust anchors for the offices' signatures (the client CAs).
    pub trust_anchors: Vec<x509_cert::Certificate>,
    /// Revocation lists in force (`crl_files`, reloaded when they change).
    pub revocation: revocation::Revocation,
    /// PDF/A-1b checker.
    pub pdfa: Arc<dyn PdfaChecker>,
    /// Catalogue of natures of acts (loaded at start).
    pub natures: sceau_core::natures::Catalogue,
    /// Calendar of public holidays in force.
    pub calendar: sceau_core::calendar::Calendar,
    /// Serialises deposit commits: the journal is a chain.
    pub commit_lock: tokio::sync::Mutex<()>,
    /// Wakes long-polls of the event feed.
    pub feed: tokio::sync::Notify,
    /// Deposits waiting for the next group commit (taken under `commit_lock`).
    pub group_commit: group_commit::Deposits,
    /// First consultations waiting for the next group commit.
    pub consultations: delivery::Consultations,
    /// Delivery notices decided by a consultation, filed off the request path.
    pub notices: delivery::Notices,
    /// What the collection of interrupted uploads' blobs did when the vault opened.
    pub startup_gc: std::sync::Mutex<gc::Collected>,
    /// Reusable upload spool files (`DATA/uploads`).
    pub spools: Arc<store::pool::FilePool>,
    /// Reusable pending notes of the garbage collector (`DATA/pending`).
    pub notes: Arc<store::pool::FilePool>,
    /// The data directory's exclusive lock, held as long as this vault is open.
    pub data_lock: datadir::DataDirLock,
    /// Bounds how many PDFs from outside (returns) are checked at once.
    pub pdf_checks: tokio::sync::Semaphore,
}

/// PDFs from outside checked at once (each check's memory is bounded, see [`pdfguard`]).
pub const PDF_CHECKS_AT_ONCE: usize = 2;

/// What the operator subcommands (`recipients`, `consent`, `rules`, `bank`, `office`,
/// `verify-journal`) open: the metadata store and the catalogue, never the spool, the pending
/// notes or the blobs. Safe beside a running server: its transactions follow the same rules as
/// the server's (SQLite: one writer at a time; journal appends serialised, see [`journal`]).
pub struct OperatorStore {
    /// Configuration.
    pub config: Config,
    /// Metadata store.
    pub meta: Arc<dyn Metadata>,
    /// Catalogue of natures of acts.
    pub natures: sceau_core::natures::Catalogue,
}

impl OperatorStore {
    /// Opens the metadata of the vault described by `config` (creating its tables if the
    /// server never ran).
    pub async fn open(config: Config) -> Result<OperatorStore> {
        let meta = open_metadata(&config).await?;
        let m = meta.clone();
        tokio::task::spawn_blocking(move || store::meta::migrate_all(m.as_ref()))
            .await
            .map_err(error::storage)??;
        Ok(OperatorStore {
            config,
            meta,
            natures: sceau_core::natures::Catalogue::shipped()
                .map_err(|e| error::config(ConfigError::Catalogue(e)))?
                .clone(),
        })
    }
}

async fn open_metadata(config: &Config) -> Result<Arc<dyn Metadata>> {
    Ok(match &config.metadata {
        MetadataConfig::Sqlite => {
            // Created 0600 before SQLite opens it (its WAL and shared-memory files take the
            // database's mode); an older database is restricted too.
            let path = config.data_dir.join("vault.db");
            datadir::private_dir_all(&config.data_dir).map_err(error::storage)?;
            datadir::ensure_private_file(&path).map_err(error::storage)?;
            Arc::new(SqliteMeta::open(&path)?)
        }
        MetadataConfig::Postgres { url } => {
            let url = url.clone();
            let max = config.pg_max_connections;
            Arc::new(
                tokio::task::spawn_blocking(move || PgMeta::connect_bounded(&url, max))
                    .await
                    .map_err(error::storage)??,
            )
        }
    })
}

impl Vault {
    /// Opens the vault described by `config` with `clock` and `pdfa` to serve it: takes the
    /// data directory's exclusive lock (refused with [`Error::DataDirBusy`] while another
    /// server or a `gc` holds it), empties the upload spool and collects the blobs of
    /// interrupted uploads — safe only because no other process can have one in flight.
    pub async fn open(
        config: Config,
        clock: Arc<dyn Clock>,
        pdfa: Arc<dyn PdfaChecker>,
    ) -> Result<Arc<Vault>> {
        let dir = config.data_dir.clone();
        let data_lock = datadir::DataDirLock::acquire(&dir)?;
        let meta = open_metadata(&config).await?;
        let blobs: Arc<dyn Blobs> = match &config.blobs {
            BlobConfig::Files => Arc::new(FileBlobs::new(&dir.join("blobs"))?),
            BlobConfig::S3(s3) => Arc::new(S3Blobs::new(s3)?),
        };
        let mut ca_ders = Vec::new();
        for f in &config.client_ca_files {
            ca_ders.extend(keys::load_cert_ders(f)?);
        }
        if ca_ders.is_empty() {
            return Err(Error::NoOfficeCa);
        }
        let checker = tls::ClientChecker::new(&ca_ders, &config.revoked_serials)?;
        let mut bank_ca_ders = Vec::new();
        for f in &config.bank_ca_files {
            bank_ca_ders.extend(keys::load_cert_ders(f)?);
        }
        let bank_checker = if bank_ca_ders.is_empty() {
            checker.clone()
        } else {
            tls::ClientChecker::new(&bank_ca_ders, &config.revoked_serials)?
        };
        let trust_anchors = ca_ders
            .iter()
            .map(|d| <x509_cert::Certificate as der::Decode>::from_der(d).map_err(error::config))
            .collect::<Result<Vec<_>>>()?;
        let mut crl_cas = trust_anchors.clone();
        for d in &bank_ca_ders {
            crl_cas
                .push(<x509_cert::Certificate as der::Decode>::from_der(d).map_err(error::config)?);
        }
        let revocation = revocation::Revocation::new(config.crl_files.clone(), crl_cas)?;
        let calendar = sceau_core::calendar::Calendar {
            alsace_moselle: config.alsace_moselle,
        };
        // Spool files left by uploads interrupted by a crash were never deposits: remove them.
        let uploads = dir.join("uploads");
        let _ = std::fs::remove_dir_all(&uploads);
        let spools = store::pool::FilePool::new(&uploads)?;
        let notes = store::pool::FilePool::new(&gc::pending_dir(&dir))?;
        let vault = Arc::new(Vault {
            seal: KeyCert::load(&dir, files::SEAL_KEY, files::SEAL_CERT)?,
            tsa: KeyCert::load(&dir, files::TSA_KEY, files::TSA_CERT)?,
            config,
            meta,
            blobs,
            clock,
            checker,
            bank_checker,
            trust_anchors,
            revocation,
            pdfa,
            natures: sceau_core::natures::Catalogue::shipped()
                .map_err(|e| error::config(ConfigError::Catalogue(e)))?
                .clone(),
            calendar,
            commit_lock: tokio::sync::Mutex::new(()),
            feed: tokio::sync::Notify::new(),
            group_commit: group_commit::GroupCommit::default(),
            consultations: group_commit::GroupCommit::default(),
            notices: delivery::Notices::default(),
            startup_gc: std::sync::Mutex::new(gc::Collected::default()),
            spools,
            notes,
            data_lock,
            pdf_checks: tokio::sync::Semaphore::new(PDF_CHECKS_AT_ONCE),
        });
        let m = vault.meta.clone();
        tokio::task::spawn_blocking(move || store::meta::migrate_all(m.as_ref()))
            .await
            .map_err(error::storage)??;
        // Blobs of uploads that died before their commit (nothing is in flight yet).
        let collected = gc::collect(
            &vault.config.data_dir,
            vault.meta.clone(),
            vault.blobs.as_ref(),
        )
        .await?;
        if let Ok(mut g) = vault.startup_gc.lock() {
            *g = collected;
        }
        Ok(vault)
    }

    /// Where uploads are spooled before they are checked (never visible as deposits).
    pub fn uploads_dir(&self) -> std::path::PathBuf {
        self.config.data_dir.join("uploads")
    }

    /// Runs `f` in one metadata transaction on a blocking thread.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnMut(&mut dyn Sql) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let meta = self.meta.clone();
        tokio::task::spawn_blocking(move || store::sql::tx(meta.as_ref(), f))
            .await
            .map_err(error::storage)?
    }

    /// Runs `f`, which only reads, in one metadata transaction on a blocking thread (on SQLite,
    /// on the reading connection: it does not wait for a commit in progress).
    pub async fn db_read<T: Send + 'static>(
        &self,
        f: impl FnMut(&mut dyn Sql) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let meta = self.meta.clone();
        tokio::task::spawn_blocking(move || store::sql::read_tx(meta.as_ref(), f))
            .await
            .map_err(error::storage)?
    }

    /// The TLS configuration from the data directory's server certificate.
    pub fn tls_config(&self) -> Result<rustls::ServerConfig> {
        let dir = &self.config.data_dir;
        let chain = keys::load_cert_ders(&dir.join(files::SERVER_CERT))?
            .into_iter()
            .map(CertificateDer::from)
            .collect();
        let pem = std::fs::read_to_string(dir.join(files::SERVER_KEY)).map_err(error::config)?;
        let (_, der) = der::pem::decode_vec(pem.as_bytes()).map_err(error::config)?;
        let key = PrivateKeyDer::Pkcs8(der.into());
        tls::server_config(chain, key, &[&self.checker, &self.bank_checker])
    }
}

/// Creates a data directory: keys and certificates, and a default configuration file
/// (`DIR/vault.toml`) trusting `client_ca_files`.
pub fn init(
    dir: &Path,
    listen: &str,
    server_names: &[String],
    client_ca_files: Vec<std::path::PathBuf>,
) -> Result<std::path::PathBuf> {
    keys::init_keys(dir, server_names)?;
    let cfg = Config::new(dir, listen, client_ca_files);
    let path = dir.join("vault.toml");
    cfg.save(&path)?;
    Ok(path)
}

/// The router of the whole API.
pub fn app(vault: Arc<Vault>) -> Router {
    api::router().with_state(vault)
}

/// The router of the recipients' portal (served on its own listener, without client
/// certificates).
pub fn portal_app(vault: Arc<Vault>) -> Router {
    portal_app_with_audit(vault).0
}

/// The portal's router and its audit trail writer (tests flush it before reading the trail).
/// Must be called on a tokio runtime (the writer is a task).
pub fn portal_app_with_audit(vault: Arc<Vault>) -> (Router, portal::AuditLog) {
    let log = portal::AuditLog::start(vault.clone());
    let limiter = Arc::new(ratelimit::RateLimiter::new(
        vault.config.portal.max_requests_per_minute,
    ));
    // Outermost first: the address's budget, then the audit trail's health, then the page.
    let app = portal::router()
        .layer(axum::middleware::from_fn_with_state(
            vault.clone(),
            portal::audit_gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            vault.clone(),
            portal::rate_gate,
        ))
        .layer(axum::Extension(limiter))
        .layer(axum::Extension(log.clone()))
        .with_state(vault);
    (app, log)
}

/// Bounds on the connections of a listener (`vault.toml`: `max_connections`,
/// `handshake_timeout_secs`, `header_timeout_secs`).
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Connections served at once; one more is closed at once, before its TLS handshake.
    pub max_connections: usize,
    /// Time a client has to complete its TLS handshake.
    pub handshake_timeout: std::time::Duration,
    /// Time a client has to send a request's headers (HTTP/1.1).
    pub header_timeout: std::time::Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_connections: config::DEFAULT_MAX_CONNECTIONS,
            handshake_timeout: std::time::Duration::from_secs(10),
            header_timeout: std::time::Duration::from_secs(10),
        }
    }
}

impl ConnLimits {
    /// The limits of `config`.
    pub fn of(config: &Config) -> ConnLimits {
        ConnLimits {
            max_connections: config.max_connections.max(1),
            handshake_timeout: std::time::Duration::from_secs(config.handshake_timeout_secs.max(1)),
            header_timeout: std::time::Duration::from_secs(config.header_timeout_secs.max(1)),
        }
    }
}

/// Accepts TLS connections on `listener` and serves `app` on each, with the connection's client
/// certificates on every request, until the task is dropped ([`ConnLimits::default`]).
pub async fn serve(listener: TcpListener, tls: rustls::ServerConfig, app: Router) -> Result<()> {
    serve_with(listener, tls, app, ConnLimits::default()).await
}

/// [`serve`] within `limits`: a connection beyond `max_connections` is closed before its
/// handshake, a handshake or a request's headers that do not arrive in time end the
/// connection — a slow or idle client holds neither a task nor a file descriptor for long.
pub async fn serve_with(
    listener: TcpListener,
    tls: rustls::ServerConfig,
    app: Router,
    limits: ConnLimits,
) -> Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    loop {
        let (tcp, addr) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!("connection refused: too many connections");
            drop(tcp);
            continue;
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let stream =
                match tokio::time::timeout(limits.handshake_timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::info!(error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::info!("TLS handshake timed out");
                        return;
                    }
                };
            let certs: Vec<CertificateDer<'static>> = stream
                .get_ref()
                .1
                .peer_certificates()
                .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
                .unwrap_or_default();
            let peer = PeerCerts(Arc::new(certs));
            let svc = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(peer.clone());
                    req.extensions_mut().insert(ratelimit::PeerAddr(addr));
                    app.clone().oneshot(req)
                },
            );
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            if let Err(e) = builder.serve_connection(TokioIo::new(stream), svc).await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
}
